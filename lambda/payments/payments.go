// Package payments takes payment for orders through Razorpay: it creates a
// Razorpay order for an order of the user (once per order) and applies
// Razorpay's signed webhook, marking a payment and its order paid exactly
// once. The Razorpay API itself is behind the Gateway interface.
package payments

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/ids"
	"github.com/hasivu/infra/lambda/plaintext"
)

// CheckoutWindow is how long a payment order stays open for checkout;
// after it a new request creates a fresh Razorpay order.
const CheckoutWindow = 15 * time.Minute

// PayableOrder is what payment needs to know about an order.
type PayableOrder struct {
	ID            string
	UserID        string
	TotalPaise    int64
	Currency      string
	Status        string
	PaymentStatus string
}

// PaymentOrder is a Razorpay order for one of our orders.
type PaymentOrder struct {
	ID              string    `json:"id"`
	OrderID         string    `json:"orderId"`
	RazorpayOrderID string    `json:"razorpayOrderId"`
	AmountPaise     int64     `json:"amountPaise"`
	Currency        string    `json:"currency"`
	Status          string    `json:"status"`
	ExpiresAt       time.Time `json:"expiresAt"`
	// KeyID is the public Razorpay key the client's checkout needs.
	KeyID string `json:"keyId"`
}

// GatewayOrder is Razorpay's answer to an order creation.
type GatewayOrder struct {
	ID       string
	Amount   int64
	Currency string
	Status   string
}

// Gateway is Razorpay's Orders API.
type Gateway interface {
	// CreateOrder creates a Razorpay order. receipt is our reference
	// (at most 40 characters). Errors: Unavailable when Razorpay cannot be
	// reached or fails.
	CreateOrder(ctx context.Context, amountPaise int64, currency, receipt string, notes map[string]string) (*GatewayOrder, error)
}

// Captured is a captured payment reported by the webhook.
type Captured struct {
	RazorpayPaymentID string
	RazorpayOrderID   string
	AmountPaise       int64
	Currency          string
	Method            string
	PaidAt            time.Time
}

// Applied says what applying a payment did.
type Applied struct {
	// Outcome is "paid" (order marked paid now), "duplicate" (this payment
	// was applied before), "unknown_order" (no payment order has that
	// Razorpay order id) or "amount_mismatch" (recorded, order untouched).
	Outcome string
	// UserID is the order's owner, whose cached order list is now stale.
	UserID string
}

// Store keeps payment orders and payments.
type Store interface {
	// PayableOrder returns the user's order. Errors: NotFound (no such
	// order of this user), Unavailable.
	PayableOrder(ctx context.Context, orderID, userID string) (*PayableOrder, error)
	// LivePaymentOrder returns the order's paid payment order or its open
	// one that expires after now, or nil. Errors: Unavailable.
	LivePaymentOrder(ctx context.Context, orderID string, now time.Time) (*PaymentOrder, error)
	// SavePaymentOrder marks the order's open payment orders that expired
	// by now as expired and stores po, all in one transaction. If a live
	// payment order for the order was stored meanwhile, it returns that
	// one instead. Errors: Unavailable.
	SavePaymentOrder(ctx context.Context, po *PaymentOrder, userID string, now time.Time) (*PaymentOrder, error)
	// ApplyPayment records the payment and, if its amount matches, marks
	// the payment order and the order paid, in one transaction and at most
	// once per Razorpay payment id. Errors: Unavailable.
	ApplyPayment(ctx context.Context, p Captured) (*Applied, error)
}

// Service creates payment orders and applies webhooks.
type Service struct {
	Store   Store
	Gateway Gateway
	// KeyID is the public Razorpay key id returned to checkout.
	KeyID string
	// WebhookSecret verifies webhook signatures.
	WebhookSecret []byte
	// Now returns the current time; tests move it.
	Now func() time.Time
}

// CreateRequest asks for a payment order.
type CreateRequest struct {
	OrderID string `json:"orderId"`
}

// CreateOrder returns a payment order for the user's order, creating a
// Razorpay order only if the order has no live one (created false when
// an existing one is returned). Errors: Invalid, NotFound, Conflict
// (already paid, cancelled), Unavailable (database or Razorpay).
func (s *Service) CreateOrder(ctx context.Context, userID string, req CreateRequest) (*PaymentOrder, bool, error) {
	switch {
	case req.OrderID == "":
		return nil, false, apperr.Field("orderId", "orderId is required")
	case !ids.Valid(req.OrderID):
		return nil, false, apperr.Field("orderId", "orderId is not a valid id")
	}
	orderID := strings.ToLower(req.OrderID)
	o, err := s.Store.PayableOrder(ctx, orderID, userID)
	if err != nil {
		return nil, false, fmt.Errorf("load order %s: %w", orderID, err)
	}
	switch {
	case o.PaymentStatus == "paid":
		return nil, false, apperr.New(apperr.Conflict, "order %s is already paid", orderID)
	case o.Status == "cancelled":
		return nil, false, apperr.New(apperr.Conflict, "order %s is cancelled", orderID)
	case o.TotalPaise <= 0:
		return nil, false, apperr.New(apperr.Conflict, "order %s has nothing to pay", orderID)
	}
	now := s.Now()
	if live, err := s.Store.LivePaymentOrder(ctx, orderID, now); err != nil {
		return nil, false, fmt.Errorf("look up payment order of %s: %w", orderID, err)
	} else if live != nil {
		if live.Status == "paid" {
			return nil, false, apperr.New(apperr.Conflict, "order %s is already paid", orderID)
		}
		live.KeyID = s.KeyID
		return live, false, nil
	}
	g, err := s.Gateway.CreateOrder(ctx, o.TotalPaise, o.Currency, orderID,
		map[string]string{"orderId": orderID, "userId": userID})
	if err != nil {
		return nil, false, fmt.Errorf("create Razorpay order for %s: %w", orderID, err)
	}
	if g.Amount != o.TotalPaise {
		return nil, false, fmt.Errorf("razorpay order %s has amount %d, asked for %d", g.ID, g.Amount, o.TotalPaise)
	}
	po := &PaymentOrder{OrderID: orderID, RazorpayOrderID: g.ID, AmountPaise: g.Amount, Currency: g.Currency,
		Status: "created", ExpiresAt: now.Add(CheckoutWindow).Truncate(time.Microsecond)}
	saved, err := s.Store.SavePaymentOrder(ctx, po, userID, now)
	if err != nil {
		return nil, false, fmt.Errorf("store payment order for %s: %w", orderID, err)
	}
	saved.KeyID = s.KeyID
	// If a concurrent request stored its payment order first, ours (and
	// its Razorpay order, which is never paid) is dropped; the client gets
	// the stored one either way.
	return saved, saved.RazorpayOrderID == g.ID, nil
}

// WebhookResult is the answer to a webhook delivery.
type WebhookResult struct {
	Status string `json:"status"`
	// UserID is the order owner whose cached data is stale, if any.
	UserID string `json:"-"`
}

// webhookEvent is the part of a Razorpay webhook body we read.
type webhookEvent struct {
	Event   string `json:"event"`
	Payload struct {
		Payment *struct {
			Entity struct {
				ID        string `json:"id"`
				OrderID   string `json:"order_id"`
				Amount    *int64 `json:"amount"`
				Currency  string `json:"currency"`
				Status    string `json:"status"`
				Method    string `json:"method"`
				CreatedAt int64  `json:"created_at"`
			} `json:"entity"`
		} `json:"payment"`
	} `json:"payload"`
}

// maxRazorpayID bounds Razorpay's ids ("pay_" or "order_" and 14
// characters) generously, and far under the 2704 bytes a unique index
// entry may take in PostgreSQL.
const maxRazorpayID = 64

// maxCreatedAt is the last second of the year 9999. A later payment time
// is no real one; past the year 294276 PostgreSQL refuses it, and further
// on the conversion to microseconds overflows into a wrong time.
var maxCreatedAt = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()

// VerifySignature checks Razorpay's X-Razorpay-Signature: the hex
// HMAC-SHA256 of the raw body under the webhook secret. Errors:
// Unauthorized.
func (s *Service) VerifySignature(body []byte, signature string) error {
	if signature == "" {
		return apperr.New(apperr.Unauthorized, "X-Razorpay-Signature header is missing")
	}
	got, err := hex.DecodeString(signature)
	if err != nil {
		return apperr.New(apperr.Unauthorized, "X-Razorpay-Signature is not hexadecimal")
	}
	mac := hmac.New(sha256.New, s.WebhookSecret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return apperr.New(apperr.Unauthorized, "X-Razorpay-Signature does not match the body")
	}
	return nil
}

// HandleWebhook verifies and applies one webhook delivery. The signature
// is checked before the body is even parsed. payment.captured and
// order.paid apply the payment (each at most once); other events are
// acknowledged and ignored. A signed event for an order we do not know
// (another stage sharing the Razorpay account) is acknowledged too:
// answering 4xx would make Razorpay retry it for a day and then disable
// the webhook. Errors: Unauthorized, Invalid, Unavailable.
func (s *Service) HandleWebhook(ctx context.Context, body []byte, signature string) (*WebhookResult, error) {
	if err := s.VerifySignature(body, signature); err != nil {
		return nil, err
	}
	var ev webhookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err, "webhook body is not valid JSON")
	}
	if ev.Event != "payment.captured" && ev.Event != "order.paid" {
		return &WebhookResult{Status: "ignored"}, nil
	}
	p := ev.Payload.Payment
	switch {
	case p == nil:
		return nil, apperr.Field("payload.payment", "payload.payment is missing")
	case p.Entity.ID == "":
		return nil, apperr.Field("payload.payment.entity.id", "payment id is missing")
	case len(p.Entity.ID) > maxRazorpayID:
		return nil, apperr.Field("payload.payment.entity.id", "payment id is longer than %d characters", maxRazorpayID)
	case p.Entity.OrderID == "":
		return nil, apperr.Field("payload.payment.entity.order_id", "payment order_id is missing")
	case len(p.Entity.OrderID) > maxRazorpayID:
		return nil, apperr.Field("payload.payment.entity.order_id", "payment order_id is longer than %d characters", maxRazorpayID)
	case p.Entity.Amount == nil || *p.Entity.Amount < 0:
		return nil, apperr.Field("payload.payment.entity.amount", "payment amount is missing or negative")
	case p.Entity.CreatedAt > maxCreatedAt:
		return nil, apperr.Field("payload.payment.entity.created_at", "payment created_at is not a Unix time before the year 10000")
	}
	for _, f := range []struct{ name, value string }{{"id", p.Entity.ID}, {"order_id", p.Entity.OrderID},
		{"currency", p.Entity.Currency}, {"method", p.Entity.Method}} {
		if !plaintext.Valid(f.value) {
			return nil, apperr.Field("payload.payment.entity."+f.name, "payment %s must be text without control characters", f.name)
		}
	}
	paidAt := s.Now()
	if p.Entity.CreatedAt > 0 {
		paidAt = time.Unix(p.Entity.CreatedAt, 0)
	}
	applied, err := s.Store.ApplyPayment(ctx, Captured{RazorpayPaymentID: p.Entity.ID, RazorpayOrderID: p.Entity.OrderID,
		AmountPaise: *p.Entity.Amount, Currency: p.Entity.Currency, Method: p.Entity.Method, PaidAt: paidAt})
	if err != nil {
		return nil, fmt.Errorf("apply payment %s: %w", p.Entity.ID, err)
	}
	return &WebhookResult{Status: applied.Outcome, UserID: applied.UserID}, nil
}
