// Package razorpaytest is a local stand-in for Razorpay's Orders API,
// Methods API and webhook signing. Tests and the local server use it
// because Razorpay cannot be called from here (no internet, no account);
// it answers POST /v1/orders and GET /v1/methods the way Razorpay
// documents, including its basic-auth check and its error shape.
package razorpaytest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"
)

// Order is an order the stand-in created.
type Order struct {
	ID       string            `json:"id"`
	Entity   string            `json:"entity"`
	Amount   int64             `json:"amount"`
	Currency string            `json:"currency"`
	Receipt  string            `json:"receipt"`
	Status   string            `json:"status"`
	Notes    map[string]string `json:"notes"`
	Created  int64             `json:"created_at"`
}

// Server is the stand-in.
type Server struct {
	*httptest.Server
	KeyID, KeySecret string
	// FailWith, when non-zero, is the status every request answers.
	FailWith atomic.Int32
	// BeforeCreate, when set, runs before an order is created: tests hold
	// a request there to line others up behind it.
	BeforeCreate func()
	// MethodsCalls counts the GET /v1/methods requests answered.
	MethodsCalls atomic.Int32

	mu     sync.Mutex
	orders []Order
}

// New starts a stand-in on a loopback port that accepts the given key.
func New(keyID, keySecret string) *Server {
	s := &Server{KeyID: keyID, KeySecret: keySecret}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Orders returns the orders created so far.
func (s *Server) Orders() []Order {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Order(nil), s.orders...)
}

func apiError(w http.ResponseWriter, status int, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": "BAD_REQUEST_ERROR", "description": desc}})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if st := s.FailWith.Load(); st != 0 {
		apiError(w, int(st), "simulated failure")
		return
	}
	if r.Method == http.MethodGet && r.URL.Path == "/v1/methods" {
		s.methods(w, r)
		return
	}
	if r.Method != http.MethodPost || r.URL.Path != "/v1/orders" {
		apiError(w, http.StatusNotFound, "The requested URL was not found on the server.")
		return
	}
	if id, secret, ok := r.BasicAuth(); !ok || id != s.KeyID || secret != s.KeySecret {
		apiError(w, http.StatusUnauthorized, "Authentication failed")
		return
	}
	var req struct {
		Amount   int64             `json:"amount"`
		Currency string            `json:"currency"`
		Receipt  string            `json:"receipt"`
		Notes    map[string]string `json:"notes"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		apiError(w, http.StatusBadRequest, "invalid JSON")
		return
	}
	switch {
	case req.Amount < 100:
		apiError(w, http.StatusBadRequest, "The amount must be atleast INR 1.00")
		return
	case len(req.Receipt) > 40:
		apiError(w, http.StatusBadRequest, "receipt: the length must not be greater than 40.")
		return
	}
	if s.BeforeCreate != nil {
		s.BeforeCreate()
	}
	b := make([]byte, 7)
	_, _ = rand.Read(b)
	o := Order{ID: "order_" + hex.EncodeToString(b), Entity: "order", Amount: req.Amount, Currency: req.Currency,
		Receipt: req.Receipt, Status: "created", Notes: req.Notes, Created: time.Now().Unix()}
	s.mu.Lock()
	s.orders = append(s.orders, o)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(o)
}

// MethodsBody is the stand-in's answer to GET /v1/methods: an Indian
// account's methods in the shape Razorpay's Methods API documents
// (https://razorpay.com/docs/payments/payment-gateway/s2s-integration/payment-methods/methods-api),
// trimmed to a few banks and wallets, with a card network and a wallet
// that are off and a method (paylater) answered as an empty array, as
// Razorpay does for one with nothing enabled.
const MethodsBody = `{"entity":"methods","card":true,"debit_card":true,"credit_card":true,"prepaid_card":true,` +
	`"card_networks":{"AMEX":0,"DICL":1,"MC":1,"MAES":1,"VISA":1,"JCB":0,"RUPAY":1,"BAJAJ":0},` +
	`"card_subtype":{"consumer":1,"business":0,"premium":0},"amex":false,` +
	`"netbanking":{"HDFC":"HDFC Bank","ICIC":"ICICI Bank","SBIN":"State Bank of India","UTIB":"Axis Bank"},` +
	`"wallet":{"airtelmoney":true,"amazonpay":true,"freecharge":false,"mobikwik":true},` +
	`"emi":true,"upi":true,"cardless_emi":[],"paylater":[],"google_pay_cards":false,"app":{"cred":0},"gpay":false}`

// methods answers GET /v1/methods, which Razorpay authenticates with the
// key id alone.
func (s *Server) methods(w http.ResponseWriter, r *http.Request) {
	if id, _, ok := r.BasicAuth(); !ok || id != s.KeyID {
		apiError(w, http.StatusUnauthorized, "Authentication failed")
		return
	}
	s.MethodsCalls.Add(1)
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, MethodsBody)
}

// Sign returns the X-Razorpay-Signature Razorpay sends with body.
func Sign(body []byte, webhookSecret string) string {
	m := hmac.New(sha256.New, []byte(webhookSecret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// CapturedEvent returns a payment.captured webhook body as Razorpay sends
// it (trimmed to the fields that matter).
func CapturedEvent(paymentID, orderID string, amount int64) []byte {
	return PaymentEvent("payment.captured", Payment{ID: paymentID, OrderID: orderID, Amount: amount})
}

// Payment is the payment entity of a webhook event. Zero Currency and
// Status mean INR and the state the event names.
type Payment struct {
	ID, OrderID      string
	Amount           int64
	Currency, Status string
}

// PaymentEvent returns the body of a payment event (payment.captured,
// order.paid, payment.failed) as Razorpay sends it, trimmed to the fields
// that matter.
func PaymentEvent(event string, p Payment) []byte {
	if p.Currency == "" {
		p.Currency = "INR"
	}
	if p.Status == "" {
		p.Status = map[string]string{"payment.failed": "failed"}[event]
		if p.Status == "" {
			p.Status = "captured"
		}
	}
	now := time.Now().Unix()
	return []byte(fmt.Sprintf(`{"entity":"event","account_id":"acc_test","event":%q,"contains":["payment"],`+
		`"payload":{"payment":{"entity":{"id":%q,"entity":"payment","amount":%d,"currency":%q,"status":%q,`+
		`"order_id":%q,"method":"upi","captured":%t,"created_at":%d}}},"created_at":%d}`,
		event, p.ID, p.Amount, p.Currency, p.Status, p.OrderID, p.Status == "captured", now, now))
}

// RefundEvent returns a refund.processed body: the refund and the
// refunded payment, as Razorpay sends them.
func RefundEvent(refundID string, p Payment, amount int64) []byte {
	now := time.Now().Unix()
	return []byte(fmt.Sprintf(`{"entity":"event","account_id":"acc_test","event":"refund.processed","contains":["refund","payment"],`+
		`"payload":{"refund":{"entity":{"id":%q,"entity":"refund","amount":%d,"currency":"INR","payment_id":%q,"status":"processed","created_at":%d}},`+
		`"payment":{"entity":{"id":%q,"entity":"payment","amount":%d,"currency":"INR","status":"refunded","order_id":%q,"amount_refunded":%d,"captured":true}}},"created_at":%d}`,
		refundID, amount, p.ID, now, p.ID, p.Amount, p.OrderID, amount, now))
}
