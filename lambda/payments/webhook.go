package payments

import (
	"context"
	"fmt"
	"time"
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
	// Status is the state Razorpay reports the payment in ("captured",
	// "failed", ...), which need not be the one its event names.
	Status string
	// PaidAt is when the payment was made; zero when Razorpay does not
	// say, and then the time it is applied.
	PaidAt time.Time
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
	// SchoolID is the order's school and SchoolVersion the version of
	// its summaries (package analytics) after this change, zero if they
	// did not change.
	SchoolID      string
	SchoolVersion int64
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
	// SchoolID is the order's school, and SchoolVersion the version of
	// its summaries after the change (zero: no change).
	SchoolID      string `json:"-"`
	SchoolVersion int64  `json:"-"`
}

// EventKind is what a webhook event reports.
type EventKind string

// The kinds the platform acts on; an event of any other kind is
// acknowledged and ignored.
const (
	// CaptureEvent reports a captured payment (Razorpay's
	// payment.captured and order.paid).
	CaptureEvent EventKind = "capture"
	// FailureEvent reports a failed payment (payment.failed).
	FailureEvent EventKind = "failure"
	// RefundEvent reports a processed refund (refund.processed).
	RefundEvent EventKind = "refund"
)

// Event is one webhook event, as the webhook adapter (package razorpay)
// reads it from a delivery whose signature it has checked. The adapter
// also checks the values Razorpay sent: the ids are present, plain text
// and bounded, amounts are not negative (refunds positive), currencies
// present.
type Event struct {
	Kind EventKind
	// Payment is the payment a capture or failure event reports.
	Payment Captured
	// Refund is the refund a refund event reports.
	Refund Refund
}

// Apply applies one webhook event. A capture event applies a capture, a
// failure event records a failure, a refund event a refund, each at most
// once; an event reporting a payment in a state other than the one it
// names changes nothing (NotCaptured), and other events are ignored.
// Every event is answered with an outcome, whatever it finds: an event
// for an order we do not know (another stage sharing the Razorpay
// account) too, since failing it would make Razorpay retry it for a day
// and then disable the webhook. Errors: Unavailable.
func (s *Service) Apply(ctx context.Context, ev Event) (*WebhookResult, error) {
	var applied *Applied
	var err error
	switch ev.Kind {
	case CaptureEvent, FailureEvent:
		p := ev.Payment
		if p.PaidAt.IsZero() {
			p.PaidAt = s.Now()
		}
		switch {
		case ev.Kind == FailureEvent && p.Status == "failed":
			applied, err = s.Store.ApplyFailure(ctx, p)
		case ev.Kind == CaptureEvent && p.Status == "captured":
			applied, err = s.Store.ApplyCapture(ctx, p)
		default:
			// A capture event for a payment that is not captured (or a
			// failure event for one that did not fail) reports a state
			// the payment is not in: nothing to apply.
			return &WebhookResult{Status: NotCaptured}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("apply %s of payment %s: %w", ev.Kind, p.RazorpayPaymentID, err)
		}
	case RefundEvent:
		if applied, err = s.Store.ApplyRefund(ctx, ev.Refund); err != nil {
			return nil, fmt.Errorf("apply refund %s: %w", ev.Refund.RazorpayRefundID, err)
		}
	default:
		return &WebhookResult{Status: Ignored}, nil
	}
	return &WebhookResult{Status: applied.Outcome, Reason: applied.RefundReason, UserID: applied.UserID,
		ListVersion: applied.ListVersion, SchoolID: applied.SchoolID, SchoolVersion: applied.SchoolVersion}, nil
}
