package payments

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/plaintext"
)

// Outcome says what a webhook delivery did; it is the webhook answer's
// status.
type Outcome string

// The outcomes.
const (
	// Paid: a capture settled its order.
	Paid Outcome = "paid"
	// RefundDue: a capture was recorded that cannot settle its order; the
	// money is owed back (Applied.RefundReason says why).
	RefundDue Outcome = "refund_due"
	// Refunded: a payment is now refunded in full (by this refund, or, for
	// a capture, by refunds reported before it).
	Refunded Outcome = "refunded"
	// RefundRecorded: a refund was recorded that leaves its payment
	// partly refunded, or whose payment's capture has not arrived yet.
	RefundRecorded Outcome = "refund_recorded"
	// Failed: a failed payment was recorded.
	Failed Outcome = "failed"
	// Duplicate: the event was applied before; nothing changed.
	Duplicate Outcome = "duplicate"
	// UnknownOrder: no payment order has the event's Razorpay order id
	// (another stage sharing the Razorpay account, or not ours at all).
	UnknownOrder Outcome = "unknown_order"
	// NotCaptured: a capture event whose payment is not in the captured
	// state; nothing was recorded.
	NotCaptured Outcome = "not_captured"
	// Ignored: an event the platform does not act on.
	Ignored Outcome = "ignored"
)

// Refund reasons: why a captured payment did not settle its order.
const (
	DuplicateCapture = "duplicate_capture"
	AmountMismatch   = "amount_mismatch"
	CurrencyMismatch = "currency_mismatch"
	OrderCancelled   = "order_cancelled"
)

// RefundReasons lists every refund reason (the metric's dimension values).
var RefundReasons = []string{DuplicateCapture, AmountMismatch, CurrencyMismatch, OrderCancelled}

// Captured is a payment reported by the webhook: captured, or failed.
type Captured struct {
	RazorpayPaymentID string
	RazorpayOrderID   string
	AmountPaise       int64
	Currency          string
	Method            string
	PaidAt            time.Time
}

// Refund is a refund reported by the webhook.
type Refund struct {
	RazorpayRefundID  string
	RazorpayPaymentID string
	// RazorpayOrderID is the refunded payment's order, which finds (and
	// locks) our order.
	RazorpayOrderID string
	AmountPaise     int64
	Currency        string
}

// Applied says what applying an event did.
type Applied struct {
	Outcome Outcome
	// RefundReason says why a RefundDue capture is owed back.
	RefundReason string
	// UserID is the order's owner.
	UserID string
	// ListVersion is the owner's order-list version after this change, or
	// zero if the order list did not change.
	ListVersion int64
}

// Target is what a capture applies to, as read under its order's lock.
type Target struct {
	// PaymentOrder is the payment order the capture names.
	PaymentOrder PaymentOrder
	// OrderStatus and OrderPaymentStatus are its order's.
	OrderStatus, OrderPaymentStatus string
	// Recorded is the status of a payment already recorded under the
	// capture's payment id, "" if none.
	Recorded string
	// RefundedPaise totals the refunds already reported for the payment.
	RefundedPaise int64
}

// Verdict is what a capture does: Paid (settle the order), RefundDue
// (record it, owed back for Reason), Refunded (record it as refunded:
// refunds reported before it cover it) or Duplicate (nothing).
type Verdict struct {
	Outcome Outcome
	Reason  string
}

// Judge decides what a capture does to its target; see the package's
// state machine. The checks run from the payment's own facts to the
// order's: a capture that disagrees with its payment order is owed back
// whatever state the order is in.
func Judge(t Target, p Captured) Verdict {
	switch {
	case t.Recorded != "" && t.Recorded != "failed":
		return Verdict{Outcome: Duplicate}
	case t.RefundedPaise > 0 && t.RefundedPaise >= p.AmountPaise:
		return Verdict{Outcome: Refunded}
	case p.Currency != t.PaymentOrder.Currency:
		return Verdict{Outcome: RefundDue, Reason: CurrencyMismatch}
	case p.AmountPaise != t.PaymentOrder.AmountPaise:
		return Verdict{Outcome: RefundDue, Reason: AmountMismatch}
	case t.OrderPaymentStatus == "paid" || t.OrderPaymentStatus == "refunded":
		return Verdict{Outcome: RefundDue, Reason: DuplicateCapture}
	case t.OrderStatus == "cancelled":
		return Verdict{Outcome: RefundDue, Reason: OrderCancelled}
	}
	return Verdict{Outcome: Paid}
}

// WebhookResult is the answer to a webhook delivery.
type WebhookResult struct {
	Status Outcome `json:"status"`
	// Reason says why a captured payment is owed back.
	Reason string `json:"reason,omitempty"`
	// UserID is the order owner, and ListVersion their order-list version
	// after the change (zero: no change).
	UserID      string `json:"-"`
	ListVersion int64  `json:"-"`
}

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
// order.paid apply a capture, payment.failed records a failure,
// refund.processed a refund, each at most once; other events are
// acknowledged and ignored. Every well-formed signed event is
// acknowledged, whatever it finds: an event for an order we do not know
// (another stage sharing the Razorpay account) too, since answering
// otherwise would make Razorpay retry it for a day and then disable the
// webhook. Errors: Unauthorized, Invalid, Unavailable.
func (s *Service) HandleWebhook(ctx context.Context, body []byte, signature string) (*WebhookResult, error) {
	if err := s.VerifySignature(body, signature); err != nil {
		return nil, err
	}
	var ev webhookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, apperr.Wrap(apperr.Invalid, err, "webhook body is not valid JSON")
	}
	var applied *Applied
	switch ev.Event {
	case "payment.captured", "order.paid", "payment.failed":
		p, status, err := s.payment(&ev)
		if err != nil {
			return nil, err
		}
		switch {
		case ev.Event == "payment.failed" && status == "failed":
			applied, err = s.Store.ApplyFailure(ctx, p)
		case ev.Event != "payment.failed" && status == "captured":
			applied, err = s.Store.ApplyCapture(ctx, p)
		default:
			// A capture event for a payment that is not captured (or a
			// failure event for one that did not fail) reports a state
			// the payment is not in: nothing to apply.
			return &WebhookResult{Status: NotCaptured}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("apply %s of payment %s: %w", ev.Event, p.RazorpayPaymentID, err)
		}
	case "refund.processed":
		r, err := refund(&ev)
		if err != nil {
			return nil, err
		}
		if applied, err = s.Store.ApplyRefund(ctx, r); err != nil {
			return nil, fmt.Errorf("apply refund %s: %w", r.RazorpayRefundID, err)
		}
	default:
		return &WebhookResult{Status: Ignored}, nil
	}
	return &WebhookResult{Status: applied.Outcome, Reason: applied.RefundReason, UserID: applied.UserID,
		ListVersion: applied.ListVersion}, nil
}

// payment reads and checks the payment entity of a payment event and
// returns it with its status.
func (s *Service) payment(ev *webhookEvent) (Captured, string, error) {
	const at = "payload.payment.entity."
	if ev.Payload.Payment == nil {
		return Captured{}, "", apperr.Field("payload.payment", "payload.payment is missing")
	}
	p := ev.Payload.Payment.Entity
	if err := checkID(at+"id", "payment id", p.ID); err != nil {
		return Captured{}, "", err
	}
	if err := checkID(at+"order_id", "payment order_id", p.OrderID); err != nil {
		return Captured{}, "", err
	}
	switch {
	case p.Amount == nil || *p.Amount < 0:
		return Captured{}, "", apperr.Field(at+"amount", "payment amount is missing or negative")
	case p.Currency == "":
		return Captured{}, "", apperr.Field(at+"currency", "payment currency is missing")
	case p.CreatedAt > maxCreatedAt:
		return Captured{}, "", apperr.Field(at+"created_at", "payment created_at is not a Unix time before the year 10000")
	}
	for _, f := range []struct{ name, value string }{{"currency", p.Currency}, {"method", p.Method}, {"status", p.Status}} {
		if !plaintext.Valid(f.value) {
			return Captured{}, "", apperr.Field(at+f.name, "payment %s must be text without control characters", f.name)
		}
	}
	paidAt := s.Now()
	if p.CreatedAt > 0 {
		paidAt = time.Unix(p.CreatedAt, 0)
	}
	return Captured{RazorpayPaymentID: p.ID, RazorpayOrderID: p.OrderID, AmountPaise: *p.Amount,
		Currency: p.Currency, Method: p.Method, PaidAt: paidAt}, p.Status, nil
}

// refund reads and checks a refund event: the refund and its payment's
// order.
func refund(ev *webhookEvent) (Refund, error) {
	const at = "payload.refund.entity."
	if ev.Payload.Refund == nil {
		return Refund{}, apperr.Field("payload.refund", "payload.refund is missing")
	}
	r := ev.Payload.Refund.Entity
	if err := checkID(at+"id", "refund id", r.ID); err != nil {
		return Refund{}, err
	}
	if err := checkID(at+"payment_id", "refund payment_id", r.PaymentID); err != nil {
		return Refund{}, err
	}
	switch {
	case r.Amount == nil || *r.Amount <= 0:
		return Refund{}, apperr.Field(at+"amount", "refund amount is missing or not positive")
	case r.Currency == "" || !plaintext.Valid(r.Currency):
		return Refund{}, apperr.Field(at+"currency", "refund currency is missing or not plain text")
	case ev.Payload.Payment == nil:
		return Refund{}, apperr.Field("payload.payment", "payload.payment (the refunded payment) is missing")
	}
	orderID := ev.Payload.Payment.Entity.OrderID
	if err := checkID("payload.payment.entity.order_id", "refunded payment's order_id", orderID); err != nil {
		return Refund{}, err
	}
	return Refund{RazorpayRefundID: r.ID, RazorpayPaymentID: r.PaymentID, RazorpayOrderID: orderID,
		AmountPaise: *r.Amount, Currency: r.Currency}, nil
}

// checkID checks one of Razorpay's ids: present, plain text, bounded.
func checkID(field, what, v string) error {
	switch {
	case v == "":
		return apperr.Field(field, "%s is missing", what)
	case len(v) > maxRazorpayID:
		return apperr.Field(field, "%s is longer than %d characters", what, maxRazorpayID)
	case !plaintext.Valid(v):
		return apperr.Field(field, "%s must be text without control characters", what)
	}
	return nil
}
