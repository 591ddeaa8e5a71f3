package razorpay

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/payments"
	"github.com/hasivu/infra/lambda/plaintext"
)

// Webhook reads Razorpay's webhook deliveries into payments.Event: it
// checks a delivery's signature, then reads and checks its payload, so
// that the payments domain sees neither a raw body nor Razorpay's JSON.
type Webhook struct {
	// Secret is the webhook secret set in Razorpay's dashboard, which
	// signs every delivery.
	Secret []byte
	// Previous, when set, is the secret before it: while the dashboard is
	// switched over, deliveries signed with either are accepted.
	Previous []byte
}

// ErrSignatureMismatch is in the chain of the error of a delivery whose
// signature matches neither secret: the caller may re-read the secrets
// (rotated meanwhile) and try again.
var ErrSignatureMismatch = errors.New("signature mismatch")

// paymentEntity is the part of a Razorpay payment entity we read.
type paymentEntity struct {
	ID        string `json:"id"`
	OrderID   string `json:"order_id"`
	Amount    *int64 `json:"amount"`
	Currency  string `json:"currency"`
	Status    string `json:"status"`
	Method    string `json:"method"`
	CreatedAt int64  `json:"created_at"`
}

// refundEntity is the part of a Razorpay refund entity we read.
type refundEntity struct {
	ID        string `json:"id"`
	PaymentID string `json:"payment_id"`
	Amount    *int64 `json:"amount"`
	Currency  string `json:"currency"`
}

// webhookEvent is the part of a Razorpay webhook body we read.
type webhookEvent struct {
	Event   string `json:"event"`
	Payload struct {
		Payment *struct {
			Entity paymentEntity `json:"entity"`
		} `json:"payment"`
		Refund *struct {
			Entity refundEntity `json:"entity"`
		} `json:"refund"`
	} `json:"payload"`
}

// kinds maps the Razorpay events the platform acts on to what they
// report; any other event is read as an event of no kind, which the
// domain acknowledges and ignores.
var kinds = map[string]payments.EventKind{
	"payment.captured": payments.CaptureEvent,
	"order.paid":       payments.CaptureEvent,
	"payment.failed":   payments.FailureEvent,
	"refund.processed": payments.RefundEvent,
}

// maxID bounds Razorpay's ids ("pay_" or "order_" and 14 characters)
// generously, and far under the 2704 bytes a unique index entry may take
// in PostgreSQL.
const maxID = 64

// maxCreatedAt is the last second of the year 9999. A later payment time
// is no real one; past the year 294276 PostgreSQL refuses it, and further
// on the conversion to microseconds overflows into a wrong time.
var maxCreatedAt = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()

// Read checks a delivery's X-Razorpay-Signature (the hex HMAC-SHA256 of
// the raw body under the webhook secret) before it even parses the body,
// then reads the event. An event the platform does not act on is returned
// with no kind and its payload unread. Errors: Unauthorized (signature
// missing or wrong), Invalid (a body that is not JSON, or an event whose
// payload lacks or garbles what its kind needs; the error's field names
// the payload's).
func (w *Webhook) Read(body []byte, signature string) (payments.Event, error) {
	if err := w.verify(body, signature); err != nil {
		return payments.Event{}, err
	}
	var ev webhookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return payments.Event{}, apperr.Wrap(apperr.Invalid, err, "webhook body is not valid JSON")
	}
	kind, ok := kinds[ev.Event]
	if !ok {
		return payments.Event{}, nil
	}
	out := payments.Event{Kind: kind}
	var err error
	if kind == payments.RefundEvent {
		out.Refund, err = refund(&ev)
	} else {
		out.Payment, err = payment(&ev)
	}
	if err != nil {
		return payments.Event{}, err
	}
	return out, nil
}

// verify checks the signature of body. Errors: Unauthorized.
func (w *Webhook) verify(body []byte, signature string) error {
	if signature == "" {
		return apperr.New(apperr.Unauthorized, "X-Razorpay-Signature header is missing")
	}
	got, err := hex.DecodeString(signature)
	if err != nil {
		return apperr.New(apperr.Unauthorized, "X-Razorpay-Signature is not hexadecimal")
	}
	for _, secret := range [][]byte{w.Secret, w.Previous} {
		if len(secret) == 0 {
			continue
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write(body)
		if hmac.Equal(got, mac.Sum(nil)) {
			return nil
		}
	}
	return apperr.Wrap(apperr.Unauthorized, ErrSignatureMismatch, "X-Razorpay-Signature does not match the body")
}

// payment reads and checks the payment entity of a payment event.
func payment(ev *webhookEvent) (payments.Captured, error) {
	const at = "payload.payment.entity."
	if ev.Payload.Payment == nil {
		return payments.Captured{}, apperr.Field("payload.payment", "payload.payment is missing")
	}
	p := ev.Payload.Payment.Entity
	if err := checkID(at+"id", "payment id", p.ID); err != nil {
		return payments.Captured{}, err
	}
	if err := checkID(at+"order_id", "payment order_id", p.OrderID); err != nil {
		return payments.Captured{}, err
	}
	switch {
	case p.Amount == nil || *p.Amount < 0:
		return payments.Captured{}, apperr.Field(at+"amount", "payment amount is missing or negative")
	case p.Currency == "":
		return payments.Captured{}, apperr.Field(at+"currency", "payment currency is missing")
	case p.CreatedAt > maxCreatedAt:
		return payments.Captured{}, apperr.Field(at+"created_at", "payment created_at is not a Unix time before the year 10000")
	}
	for _, f := range []struct{ name, value string }{{"currency", p.Currency}, {"method", p.Method}, {"status", p.Status}} {
		if !plaintext.Valid(f.value) {
			return payments.Captured{}, apperr.Field(at+f.name, "payment %s must be text without control characters", f.name)
		}
	}
	var paidAt time.Time
	if p.CreatedAt > 0 {
		paidAt = time.Unix(p.CreatedAt, 0)
	}
	return payments.Captured{RazorpayPaymentID: p.ID, RazorpayOrderID: p.OrderID, AmountPaise: *p.Amount,
		Currency: p.Currency, Method: p.Method, Status: p.Status, PaidAt: paidAt}, nil
}

// refund reads and checks a refund event: the refund and its payment's
// order.
func refund(ev *webhookEvent) (payments.Refund, error) {
	const at = "payload.refund.entity."
	if ev.Payload.Refund == nil {
		return payments.Refund{}, apperr.Field("payload.refund", "payload.refund is missing")
	}
	r := ev.Payload.Refund.Entity
	if err := checkID(at+"id", "refund id", r.ID); err != nil {
		return payments.Refund{}, err
	}
	if err := checkID(at+"payment_id", "refund payment_id", r.PaymentID); err != nil {
		return payments.Refund{}, err
	}
	switch {
	case r.Amount == nil || *r.Amount <= 0:
		return payments.Refund{}, apperr.Field(at+"amount", "refund amount is missing or not positive")
	case r.Currency == "" || !plaintext.Valid(r.Currency):
		return payments.Refund{}, apperr.Field(at+"currency", "refund currency is missing or not plain text")
	case ev.Payload.Payment == nil:
		return payments.Refund{}, apperr.Field("payload.payment", "payload.payment (the refunded payment) is missing")
	}
	orderID := ev.Payload.Payment.Entity.OrderID
	if err := checkID("payload.payment.entity.order_id", "refunded payment's order_id", orderID); err != nil {
		return payments.Refund{}, err
	}
	return payments.Refund{RazorpayRefundID: r.ID, RazorpayPaymentID: r.PaymentID, RazorpayOrderID: orderID,
		AmountPaise: *r.Amount, Currency: r.Currency}, nil
}

// checkID checks one of Razorpay's ids: present, plain text, bounded.
func checkID(field, what, v string) error {
	switch {
	case v == "":
		return apperr.Field(field, "%s is missing", what)
	case len(v) > maxID:
		return apperr.Field(field, "%s is longer than %d characters", what, maxID)
	case !plaintext.Valid(v):
		return apperr.Field(field, "%s must be text without control characters", what)
	}
	return nil
}
