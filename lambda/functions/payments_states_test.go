package functions_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
)

// The Razorpay API in these tests is razorpaytest's local stand-in, and
// the webhooks are bodies built and signed as Razorpay does: Razorpay
// itself cannot be called from here.

// paymentRow is a payment as stored.
type paymentRow struct{ status, reason string }

func (f *fixture) payment(id string) paymentRow {
	f.t.Helper()
	var p paymentRow
	if err := f.db.QueryRow(f.t.Context(), `
		SELECT status, coalesce(refund_reason, '') FROM payments WHERE razorpay_payment_id = $1`, id).Scan(&p.status, &p.reason); err != nil {
		f.t.Fatalf("payment %s: %v", id, err)
	}
	return p
}

// orderState returns an order's status and payment status.
func (f *fixture) orderState(id string) string {
	f.t.Helper()
	var status, payment string
	if err := f.db.QueryRow(f.t.Context(), `SELECT status, payment_status FROM orders WHERE id = $1`, id).Scan(&status, &payment); err != nil {
		f.t.Fatal(err)
	}
	return status + "/" + payment
}

func (f *fixture) paymentOrderStatus(rzpOrderID string) string {
	f.t.Helper()
	var s string
	if err := f.db.QueryRow(f.t.Context(), `SELECT status FROM payment_orders WHERE razorpay_order_id = $1`, rzpOrderID).Scan(&s); err != nil {
		f.t.Fatal(err)
	}
	return s
}

// expireCheckout moves an order's open payment order past its window.
func (f *fixture) expireCheckout(orderID string) {
	f.exec(`UPDATE payment_orders SET expires_at = now() - interval '1 minute' WHERE order_id = $1 AND status = 'created'`, orderID)
}

// openCheckout stores a pending order of the parent and opens a payment
// order for it; it returns both ids (ours, Razorpay's).
func (f *fixture) openCheckout(token string) (order, razorpayOrder string) {
	f.t.Helper()
	order = f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	r := f.checkout(token, order)
	if r.status != 201 {
		f.t.Fatalf("checkout: %d %s", r.status, r.raw)
	}
	return order, r.body["razorpayOrderId"].(string)
}

// wantWebhook delivers body and checks the answer.
func (f *fixture) wantWebhook(t *testing.T, name string, body []byte, status, reason string) {
	t.Helper()
	r := f.webhook(body)
	if r.status != 200 || r.body["status"] != status || (reason != "" && r.body["reason"] != reason) {
		t.Errorf("%s: %d %s, want 200 %s %s", name, r.status, r.raw, status, reason)
	}
}

// TestLateCaptureOfReplacedPaymentOrder is finding 1: checkout opens R1,
// its window passes, checkout opens R2 in its place, then the parent pays
// R1 (Razorpay still accepts it). The capture used to violate the
// one-live-payment-order index and answer 500 on every redelivery, losing
// the payment. It now settles the order through R1, supersedes R2, and a
// payment of R2 after that is recorded and owed back.
func TestLateCaptureOfReplacedPaymentOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	order := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	r1 := f.checkout(token, order).body["razorpayOrderId"].(string)
	f.expireCheckout(order)
	r2resp := f.checkout(token, order)
	r2, _ := r2resp.body["razorpayOrderId"].(string)
	if r2resp.status != 201 || r2 == r1 {
		t.Fatalf("second checkout: %d %s, want a new payment order", r2resp.status, r2resp.raw)
	}

	late := razorpaytest.CapturedEvent("pay_late", r1, 7000)
	f.wantWebhook(t, "capture of the replaced payment order", late, "paid", "")
	if got := f.orderState(order); got != "confirmed/paid" {
		t.Errorf("order is %s, want confirmed/paid", got)
	}
	if a, b := f.paymentOrderStatus(r1), f.paymentOrderStatus(r2); a != "paid" || b != "superseded" {
		t.Errorf("payment orders R1 %s, R2 %s; want paid, superseded", a, b)
	}
	if p := f.payment("pay_late"); p != (paymentRow{"captured", ""}) {
		t.Errorf("payment = %+v, want captured, settling", p)
	}
	f.wantWebhook(t, "redelivery", late, "duplicate", "")

	// The parent pays R2 as well: recorded, flagged for refund, counted.
	f.wantWebhook(t, "capture of the superseded payment order", razorpaytest.CapturedEvent("pay_second", r2, 7000),
		"refund_due", "duplicate_capture")
	if p := f.payment("pay_second"); p != (paymentRow{"captured", "duplicate_capture"}) {
		t.Errorf("second payment = %+v", p)
	}
	if m := f.metrics.String(); !strings.Contains(m, `"PaymentsRefundDue":[1]`) || !strings.Contains(m, `"Reason":"duplicate_capture"`) {
		t.Errorf("no PaymentsRefundDue metric: %s", m)
	}
	// And checkout now refuses: the order is paid.
	if r := f.checkout(token, order); r.status != 409 {
		t.Errorf("checkout of the paid order: %d %s", r.status, r.raw)
	}
}

// TestCaptureMoneyChecks is finding 4: a capture event whose payment is
// not captured, a capture in another currency, and many captures against
// one Razorpay order.
func TestCaptureMoneyChecks(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")

	order, rzp := f.openCheckout(token)
	failed := razorpaytest.PaymentEvent("payment.captured", razorpaytest.Payment{ID: "pay_f", OrderID: rzp, Amount: 7000, Status: "failed"})
	f.wantWebhook(t, "payment.captured of a failed payment", failed, "not_captured", "")
	if got := f.orderState(order); got != "pending/unpaid" || f.count(`SELECT count(*) FROM payments`) != 0 {
		t.Errorf("a failed payment changed the order (%s) or was recorded", got)
	}

	usd := razorpaytest.PaymentEvent("payment.captured", razorpaytest.Payment{ID: "pay_usd", OrderID: rzp, Amount: 7000, Currency: "USD"})
	f.wantWebhook(t, "capture in USD", usd, "refund_due", "currency_mismatch")
	if got := f.orderState(order); got != "pending/unpaid" {
		t.Errorf("a USD capture left the INR order %s", got)
	}

	// Ten payments captured against one Razorpay order: the first settles
	// the order, the other nine are owed back.
	order, rzp = f.openCheckout(token)
	outcomes := map[any]int{}
	for i := range 10 {
		r := f.webhook(razorpaytest.CapturedEvent("pay_many_"+string(rune('a'+i)), rzp, 7000))
		outcomes[r.body["status"]]++
	}
	if outcomes["paid"] != 1 || outcomes["refund_due"] != 9 {
		t.Errorf("ten captures: %v, want 1 paid, 9 refund_due", outcomes)
	}
	if n := f.count(`SELECT count(*) FROM payments WHERE refund_reason = 'duplicate_capture' AND status = 'captured'`); n != 9 {
		t.Errorf("%d captures flagged as duplicates, want 9", n)
	}
	if got := f.orderState(order); got != "confirmed/paid" {
		t.Errorf("order %s", got)
	}
	if m := f.metrics.String(); !strings.Contains(m, `"Reason":"currency_mismatch"`) {
		t.Errorf("currency mismatch not counted: %s", m)
	}
}

// TestPaymentStateMachine carries out each transition of the package
// payments state machine that the tests above do not, on the real
// database.
func TestPaymentStateMachine(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	pay := func(id, rzp string) razorpaytest.Payment {
		return razorpaytest.Payment{ID: id, OrderID: rzp, Amount: 7000}
	}

	// Failed, then captured by late authorisation.
	{
		order, rzp := f.openCheckout(token)
		f.wantWebhook(t, "failure", razorpaytest.PaymentEvent("payment.failed", pay("pay_la", rzp)), "failed", "")
		if p := f.payment("pay_la"); p.status != "failed" || f.orderState(order) != "pending/unpaid" {
			t.Errorf("after the failure: %+v, order %s", p, f.orderState(order))
		}
		f.wantWebhook(t, "failure again", razorpaytest.PaymentEvent("payment.failed", pay("pay_la", rzp)), "duplicate", "")
		f.wantWebhook(t, "capture", razorpaytest.PaymentEvent("order.paid", pay("pay_la", rzp)), "paid", "")
		if p := f.payment("pay_la"); p.status != "captured" || f.orderState(order) != "confirmed/paid" {
			t.Errorf("after the capture: %+v, order %s", p, f.orderState(order))
		}
	}
	// A failure delivered after its capture changes nothing.
	{
		order, rzp := f.openCheckout(token)
		f.wantWebhook(t, "capture", razorpaytest.PaymentEvent("payment.captured", pay("pay_ooo", rzp)), "paid", "")
		f.wantWebhook(t, "late failure", razorpaytest.PaymentEvent("payment.failed", pay("pay_ooo", rzp)), "duplicate", "")
		if p := f.payment("pay_ooo"); p.status != "captured" || f.orderState(order) != "confirmed/paid" {
			t.Errorf("after the late failure: %+v, order %s", p, f.orderState(order))
		}
	}
	// Refunds: partial, then full.
	{
		order, rzp := f.openCheckout(token)
		p := pay("pay_rf", rzp)
		f.wantWebhook(t, "capture", razorpaytest.CapturedEvent(p.ID, rzp, 7000), "paid", "")
		f.wantWebhook(t, "partial refund", razorpaytest.RefundEvent("rfnd_1", p, 2000), "refund_recorded", "")
		if got := f.orderState(order); got != "confirmed/paid" {
			t.Errorf("after a partial refund the order is %s", got)
		}
		f.wantWebhook(t, "partial refund again", razorpaytest.RefundEvent("rfnd_1", p, 2000), "duplicate", "")
		f.wantWebhook(t, "rest of the refund", razorpaytest.RefundEvent("rfnd_2", p, 5000), "refunded", "")
		if got, pr := f.orderState(order), f.payment(p.ID); got != "confirmed/refunded" || pr.status != "refunded" {
			t.Errorf("after the full refund: order %s, payment %+v", got, pr)
		}
		if r := f.checkout(token, order); r.status != 409 {
			t.Errorf("checkout of a refunded order: %d %s", r.status, r.raw)
		}
	}
	// A refund delivered before its capture.
	{
		order, rzp := f.openCheckout(token)
		p := pay("pay_early", rzp)
		f.wantWebhook(t, "refund first", razorpaytest.RefundEvent("rfnd_early", p, 7000), "refund_recorded", "")
		f.wantWebhook(t, "capture after", razorpaytest.CapturedEvent(p.ID, rzp, 7000), "refunded", "")
		if got, pr := f.orderState(order), f.payment(p.ID); got != "pending/unpaid" || pr.status != "refunded" {
			t.Errorf("order %s, payment %+v; want the order unpaid and the payment refunded", got, pr)
		}
	}
	// Refund of a payment owed back leaves the order alone.
	{
		order, rzp := f.openCheckout(token)
		f.wantWebhook(t, "capture", razorpaytest.CapturedEvent("pay_one", rzp, 7000), "paid", "")
		twice := pay("pay_two", rzp)
		f.wantWebhook(t, "second capture", razorpaytest.CapturedEvent(twice.ID, rzp, 7000), "refund_due", "duplicate_capture")
		f.wantWebhook(t, "its refund", razorpaytest.RefundEvent("rfnd_two", twice, 7000), "refunded", "")
		if got, pr := f.orderState(order), f.payment(twice.ID); got != "confirmed/paid" || pr != (paymentRow{"refunded", "duplicate_capture"}) {
			t.Errorf("order %s, payment %+v", got, pr)
		}
		if n := f.count(`SELECT count(*) FROM payments WHERE status = 'captured' AND refund_reason IS NOT NULL AND razorpay_payment_id = 'pay_two'`); n != 0 {
			t.Error("the refunded payment is still in the refund queue")
		}
	}
	// Payment of a cancelled order.
	{
		order, rzp := f.openCheckout(token)
		f.exec(`UPDATE orders SET status = 'cancelled' WHERE id = $1`, order)
		f.wantWebhook(t, "capture", razorpaytest.CapturedEvent("pay_cancel", rzp, 7000), "refund_due", "order_cancelled")
		if got := f.orderState(order); got != "cancelled/unpaid" {
			t.Errorf("order %s", got)
		}
	}
	// Events for orders of another stage are acknowledged.
	{
		p := razorpaytest.Payment{ID: "pay_x", OrderID: "order_elsewhere", Amount: 100}
		f.wantWebhook(t, "failure", razorpaytest.PaymentEvent("payment.failed", p), "unknown_order", "")
		f.wantWebhook(t, "refund", razorpaytest.RefundEvent("rfnd_x", p, 100), "unknown_order", "")
	}
}

// TestCheckoutCallsRazorpayOnce is finding 5: concurrent checkouts of one
// order opened one payment order but called Razorpay many times, leaving
// orphan orders in the merchant's account. The first request is held
// inside Razorpay's stand-in while the others are sent; they must queue
// on the order's lock (seen in pg_stat_activity) rather than call
// Razorpay, and then answer with the one payment order.
func TestCheckoutCallsRazorpayOnce(t *testing.T) {
	t.Parallel()
	const n = 20
	f := newFixture(t, fixtureOpts{dbConns: 2 * n})
	token := f.login("parent@test.example")
	order := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	entered, release := make(chan struct{}), make(chan struct{})
	var first sync.Once
	f.razorpay.BeforeCreate = func() {
		first.Do(func() {
			close(entered)
			<-release
		})
	}
	results := make([]response, n)
	var wg sync.WaitGroup
	run := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = f.checkout(token, order)
		}()
	}
	run(0)
	<-entered
	for i := 1; i < n; i++ {
		run(i)
	}
	f.waitFor("the other checkouts to queue on the order's lock", func() bool { return f.lockWaiters() == n-1 })
	close(release)
	wg.Wait()
	if got := len(f.razorpay.Orders()); got != 1 {
		t.Errorf("%d Razorpay orders created for one order, want 1", got)
	}
	created := 0
	for _, r := range results {
		if r.status == 201 {
			created++
		} else if r.status != 200 {
			t.Errorf("checkout: %d %s", r.status, r.raw)
		}
		if r.body["razorpayOrderId"] != results[0].body["razorpayOrderId"] {
			t.Errorf("checkouts answered different payment orders: %v, %v", r.body["razorpayOrderId"], results[0].body["razorpayOrderId"])
		}
	}
	if created != 1 {
		t.Errorf("%d checkouts answered 201, want 1", created)
	}

	// The same without holding anyone: still one Razorpay order.
	f.razorpay.BeforeCreate = nil
	other := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := f.checkout(token, other); r.status != 200 && r.status != 201 {
				t.Errorf("checkout: %d %s", r.status, r.raw)
			}
		}()
	}
	wg.Wait()
	if got := len(f.razorpay.Orders()); got != 2 {
		t.Errorf("%d Razorpay orders after two orders' checkouts, want 2", got)
	}
}
