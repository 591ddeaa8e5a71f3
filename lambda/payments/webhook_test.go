package payments_test

import (
	"testing"

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
