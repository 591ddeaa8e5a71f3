package payments_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/payments"
)

// TestJudge covers every way a capture can find its payment order, its
// order and its payment (the package's state machine); the real-server
// tests in package functions carry each verdict out.
func TestJudge(t *testing.T) {
	po := payments.PaymentOrder{AmountPaise: 7000, Currency: "INR", Status: payments.POCreated}
	capture := payments.Captured{RazorpayPaymentID: "pay_1", AmountPaise: 7000, Currency: "INR"}
	with := func(mod func(*payments.Target, *payments.Captured)) (payments.Target, payments.Captured) {
		tg := payments.Target{PaymentOrder: po, OrderStatus: "pending", OrderPaymentStatus: "unpaid"}
		c := capture
		mod(&tg, &c)
		return tg, c
	}
	for _, tc := range []struct {
		name    string
		mod     func(*payments.Target, *payments.Captured)
		outcome payments.Outcome
		reason  string
	}{
		{"first capture of an open payment order", func(*payments.Target, *payments.Captured) {}, payments.Paid, ""},
		{"late capture of an expired payment order", func(t *payments.Target, _ *payments.Captured) { t.PaymentOrder.Status = payments.POExpired }, payments.Paid, ""},
		{"capture of a superseded payment order of an unpaid order", func(t *payments.Target, _ *payments.Captured) {
			t.PaymentOrder.Status = payments.POSuperseded
		}, payments.Paid, ""},
		{"late authorisation of a failed payment", func(t *payments.Target, _ *payments.Captured) { t.Recorded = "failed" }, payments.Paid, ""},
		{"capture delivered again", func(t *payments.Target, _ *payments.Captured) { t.Recorded = "captured" }, payments.Duplicate, ""},
		{"capture delivered after its refund", func(t *payments.Target, _ *payments.Captured) { t.Recorded = "refunded" }, payments.Duplicate, ""},
		{"first release's amount mismatch delivered again", func(t *payments.Target, _ *payments.Captured) { t.Recorded = "amount_mismatch" }, payments.Duplicate, ""},
		{"second payment of a paid order", func(t *payments.Target, _ *payments.Captured) {
			t.OrderPaymentStatus, t.PaymentOrder.Status = "paid", payments.POPaid
		}, payments.RefundDue, payments.DuplicateCapture},
		{"payment of a refunded order", func(t *payments.Target, _ *payments.Captured) { t.OrderPaymentStatus = "refunded" }, payments.RefundDue, payments.DuplicateCapture},
		{"payment of a cancelled order", func(t *payments.Target, _ *payments.Captured) { t.OrderStatus = "cancelled" }, payments.RefundDue, payments.OrderCancelled},
		{"short payment", func(_ *payments.Target, c *payments.Captured) { c.AmountPaise = 100 }, payments.RefundDue, payments.AmountMismatch},
		{"overpayment", func(_ *payments.Target, c *payments.Captured) { c.AmountPaise = 70000 }, payments.RefundDue, payments.AmountMismatch},
		{"right number, wrong currency", func(_ *payments.Target, c *payments.Captured) { c.Currency = "USD" }, payments.RefundDue, payments.CurrencyMismatch},
		{"wrong currency on a paid order", func(t *payments.Target, c *payments.Captured) {
			c.Currency, t.OrderPaymentStatus = "USD", "paid"
		}, payments.RefundDue, payments.CurrencyMismatch},
		{"refunds reported before the capture cover it", func(t *payments.Target, _ *payments.Captured) { t.RefundedPaise = 7000 }, payments.Refunded, ""},
		{"a partial refund reported first leaves it settling", func(t *payments.Target, _ *payments.Captured) { t.RefundedPaise = 1000 }, payments.Paid, ""},
	} {
		tg, c := with(tc.mod)
		got := payments.Judge(tg, c)
		if got.Outcome != tc.outcome || got.Reason != tc.reason {
			t.Errorf("%s: %s/%s, want %s/%s", tc.name, got.Outcome, got.Reason, tc.outcome, tc.reason)
		}
	}
}

// TestApply covers what the domain decides about an event before the
// store applies it: which of the store's transitions it asks for, if
// any, when a payment reported without a time was made, and what the
// webhook answers.
func TestApply(t *testing.T) {
	paid := time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)
	payment := func(status string, at time.Time) payments.Captured {
		return payments.Captured{RazorpayPaymentID: "pay_1", RazorpayOrderID: "order_1", AmountPaise: 7000, Currency: "INR",
			Method: "upi", Status: status, PaidAt: at}
	}
	refund := payments.Refund{RazorpayRefundID: "rfnd_1", RazorpayPaymentID: "pay_1", RazorpayOrderID: "order_1", AmountPaise: 7000, Currency: "INR"}
	applied := &payments.Applied{Outcome: payments.RefundDue, RefundReason: payments.AmountMismatch, UserID: parent, ListVersion: 3}
	fromStore := &payments.WebhookResult{Status: payments.RefundDue, Reason: payments.AmountMismatch, UserID: parent, ListVersion: 3}
	for _, tc := range []struct {
		name string
		ev   payments.Event
		// call is what the store is asked to apply, nil for nothing.
		call any
		want *payments.WebhookResult
	}{
		{"capture", payments.Event{Kind: payments.CaptureEvent, Payment: payment("captured", paid)},
			payment("captured", paid), fromStore},
		{"capture without a time is made when applied", payments.Event{Kind: payments.CaptureEvent, Payment: payment("captured", time.Time{})},
			payment("captured", t0), fromStore},
		{"capture event of a failed payment", payments.Event{Kind: payments.CaptureEvent, Payment: payment("failed", paid)},
			nil, &payments.WebhookResult{Status: payments.NotCaptured}},
		{"capture event of an authorised payment", payments.Event{Kind: payments.CaptureEvent, Payment: payment("authorized", paid)},
			nil, &payments.WebhookResult{Status: payments.NotCaptured}},
		{"failure", payments.Event{Kind: payments.FailureEvent, Payment: payment("failed", time.Time{})},
			payment("failed", t0), fromStore},
		{"failure event of a captured payment", payments.Event{Kind: payments.FailureEvent, Payment: payment("captured", paid)},
			nil, &payments.WebhookResult{Status: payments.NotCaptured}},
		{"refund", payments.Event{Kind: payments.RefundEvent, Refund: refund}, refund, fromStore},
		{"an event of no kind", payments.Event{Payment: payment("captured", paid)}, nil, &payments.WebhookResult{Status: payments.Ignored}},
	} {
		svc, st, _, _ := newService(nil)
		st.applied = applied
		got, err := svc.Apply(context.Background(), tc.ev)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, %v; want %+v", tc.name, got, err, tc.want)
		}
		var want []any
		if tc.call != nil {
			want = []any{tc.call}
		}
		if !reflect.DeepEqual(st.calls, want) {
			t.Errorf("%s: store asked to apply %+v, want %+v", tc.name, st.calls, want)
		}
	}
}

// TestApplyKeepsTheStoresError: a store that cannot apply an event makes
// the delivery fail with the store's code (Unavailable: Razorpay retries
// it), never an answer.
func TestApplyKeepsTheStoresError(t *testing.T) {
	for _, ev := range []payments.Event{
		{Kind: payments.CaptureEvent, Payment: payments.Captured{RazorpayPaymentID: "pay_1", Status: "captured"}},
		{Kind: payments.FailureEvent, Payment: payments.Captured{RazorpayPaymentID: "pay_1", Status: "failed"}},
		{Kind: payments.RefundEvent, Refund: payments.Refund{RazorpayRefundID: "rfnd_1"}},
	} {
		svc, st, _, _ := newService(nil)
		down := apperr.New(apperr.Unavailable, "database down")
		st.fail = down
		got, err := svc.Apply(context.Background(), ev)
		if got != nil || !errors.Is(err, down) || apperr.CodeOf(err) != apperr.Unavailable {
			t.Errorf("%s: %+v, %v; want the store's Unavailable error", ev.Kind, got, err)
		}
	}
}
