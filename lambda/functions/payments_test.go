package functions_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
	"github.com/hasivu/infra/lambda/routes"
)

// The Razorpay API in these tests is razorpaytest's local stand-in:
// Razorpay itself cannot be called from here.

func TestPaymentsCreateOrder(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	orderID := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	pay := func(id string) response {
		return f.call(routes.PaymentsCreateOrder, request{method: "POST", token: token, body: `{"orderId":"` + id + `"}`})
	}
	r := pay(orderID)
	if r.status != 201 {
		t.Fatalf("create payment order: %d %s", r.status, r.raw)
	}
	sent := f.razorpay.Orders()
	if len(sent) != 1 || sent[0].Amount != 7000 || sent[0].Currency != "INR" || sent[0].Receipt != orderID {
		t.Fatalf("Razorpay got %+v, want one order of 7000 paise with our order id as receipt", sent)
	}
	if r.body["razorpayOrderId"] != sent[0].ID || r.body["amountPaise"] != 7000.0 || r.body["keyId"] != "rzp_test_key" || r.body["status"] != "created" {
		t.Errorf("payment order = %s", r.raw)
	}
	exp, _ := time.Parse(time.RFC3339Nano, r.body["expiresAt"].(string))
	if d := time.Until(exp); d < 14*time.Minute || d > 15*time.Minute {
		t.Errorf("expires in %s, want 15 min", d)
	}
	// Idempotent per order: the same live payment order, no new Razorpay call.
	again := pay(orderID)
	if again.status != 200 || again.body["id"] != r.body["id"] || len(f.razorpay.Orders()) != 1 {
		t.Errorf("repeat: %d %s, Razorpay orders %d; want 200 with the same payment order", again.status, again.raw, len(f.razorpay.Orders()))
	}

	// Concurrent first requests for another order store one payment order.
	second := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	var wg sync.WaitGroup
	ids := make([]any, 5)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := pay(second)
			if r.status != 200 && r.status != 201 {
				t.Errorf("racing pay: %d %s", r.status, r.raw)
			}
			ids[i] = r.body["id"]
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("racing requests got different payment orders: %v", ids)
			break
		}
	}
	if n := f.count(`SELECT count(*) FROM payment_orders WHERE order_id = $1`, second); n != 1 {
		t.Errorf("%d payment orders stored for one order, want 1", n)
	}

	// An expired payment order is replaced by a new one.
	f.exec(`UPDATE payment_orders SET expires_at = now() - interval '1 minute' WHERE order_id = $1`, orderID)
	fresh := pay(orderID)
	if fresh.status != 201 || fresh.body["id"] == r.body["id"] {
		t.Errorf("after expiry: %d %s, want a new payment order", fresh.status, fresh.raw)
	}
	if n := f.count(`SELECT count(*) FROM payment_orders WHERE order_id = $1 AND status = 'expired'`, orderID); n != 1 {
		t.Errorf("%d expired payment orders, want the old one marked expired", n)
	}
}

func TestPaymentsCreateOrderBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	paid := f.insertOrder(parentID, studentID, f.tomorrow, "confirmed", "paid", time.Now())
	cancelled := f.insertOrder(parentID, studentID, f.tomorrow, "cancelled", "unpaid", time.Now())
	others := f.insertOrder(otherParentID, otherStudent, f.tomorrow, "pending", "unpaid", time.Now())
	for _, tc := range []struct {
		name, body string
		status     int
		mention    string
	}{
		{"malformed", `{"orderId":`, 400, "malformed JSON"},
		{"missing", `{}`, 400, "orderId is required"},
		{"wrong type", `{"orderId":7}`, 400, "field orderId must be a string"},
		{"bad id", `{"orderId":"7"}`, 400, "not a valid id"},
		{"unknown", `{"orderId":"` + unknownID + `"}`, 404, "not found"},
		{"someone else's", `{"orderId":"` + others + `"}`, 404, "not found"},
		{"paid", `{"orderId":"` + paid + `"}`, 409, "already paid"},
		{"cancelled", `{"orderId":"` + cancelled + `"}`, 409, "cancelled"},
	} {
		r := f.call(routes.PaymentsCreateOrder, request{method: "POST", token: token, body: tc.body})
		if r.status != tc.status || !strings.Contains(r.errorMessage(), tc.mention) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, r.status, r.raw, tc.status, tc.mention)
		}
	}
	if len(f.razorpay.Orders()) != 0 || f.count(`SELECT count(*) FROM payment_orders`) != 0 {
		t.Error("bad requests reached Razorpay or stored a payment order")
	}

	// Razorpay failing: 503 and nothing stored; Razorpay refusing our
	// credentials (the secret holds wrong ones): 503 too, and counted;
	// Razorpay refusing the request itself: a 500 (our fault). Nothing is
	// stored.
	pending := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	f.razorpay.FailWith.Store(502)
	r := f.call(routes.PaymentsCreateOrder, request{method: "POST", token: token, body: `{"orderId":"` + pending + `"}`})
	if r.status != 503 || r.errorCode() != "unavailable" {
		t.Errorf("Razorpay down: %d %s, want 503", r.status, r.raw)
	}
	f.razorpay.FailWith.Store(401)
	r = f.call(routes.PaymentsCreateOrder, request{method: "POST", token: token, body: `{"orderId":"` + pending + `"}`})
	if r.status != 503 || !strings.Contains(f.metrics.String(), `"SecretFailures":[1]`) {
		t.Errorf("Razorpay refusing our keys: %d %s, want 503 and a SecretFailures count", r.status, r.raw)
	}
	f.razorpay.FailWith.Store(400)
	r = f.call(routes.PaymentsCreateOrder, request{method: "POST", token: token, body: `{"orderId":"` + pending + `"}`})
	if r.status != 500 || r.errorMessage() != "internal error" {
		t.Errorf("Razorpay refusing the request: %d %s, want 500", r.status, r.raw)
	}
	if n := f.count(`SELECT count(*) FROM payment_orders`); n != 0 {
		t.Errorf("%d payment orders stored after Razorpay failures", n)
	}
}

func TestPaymentsWebhook(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	orderID := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	po := f.call(routes.PaymentsCreateOrder, request{method: "POST", token: token, body: `{"orderId":"` + orderID + `"}`})
	rzpOrder := po.body["razorpayOrderId"].(string)

	// Cache the user's order list while the order is unpaid.
	list := func() string {
		r := f.call(routes.OrdersList, request{method: "GET", token: token, query: map[string]string{"fields": "paymentStatus"}})
		return r.raw
	}
	if !strings.Contains(list(), `"paymentStatus":"unpaid"`) {
		t.Fatal("order not listed as unpaid")
	}
	hook := func(body []byte, sig string) response {
		h := map[string]string{"Content-Type": "application/json"}
		if sig != "" {
			h["X-Razorpay-Signature"] = sig
		}
		return f.call(routes.PaymentsWebhook, request{method: "POST", body: string(body), headers: h})
	}
	body := razorpaytest.CapturedEvent("pay_test_1", rzpOrder, 7000)

	// Bad signatures are refused before anything is read or written.
	for name, sig := range map[string]string{
		"missing": "", "not hex": "zz", "wrong secret": razorpaytest.Sign(body, "not-the-secret"),
		"other body": razorpaytest.Sign([]byte(`{}`), webhookSecret),
	} {
		if r := hook(body, sig); r.status != 401 || r.errorCode() != "unauthorized" {
			t.Errorf("%s signature: %d %s, want 401", name, r.status, r.raw)
		}
	}
	if n := f.count(`SELECT count(*) FROM payments`); n != 0 {
		t.Fatalf("%d payments written by unsigned webhooks", n)
	}

	// A correctly signed delivery marks the payment and order paid...
	r := hook(body, razorpaytest.Sign(body, webhookSecret))
	if r.status != 200 || r.body["status"] != "paid" {
		t.Fatalf("webhook: %d %s", r.status, r.raw)
	}
	var status, payment string
	if err := f.db.QueryRow(t.Context(), `SELECT status, payment_status FROM orders WHERE id = $1`, orderID).Scan(&status, &payment); err != nil {
		t.Fatal(err)
	}
	if status != "confirmed" || payment != "paid" {
		t.Errorf("order is %s/%s, want confirmed/paid", status, payment)
	}
	if n := f.count(`SELECT count(*) FROM payment_orders WHERE razorpay_order_id = $1 AND status = 'paid'`, rzpOrder); n != 1 {
		t.Errorf("payment order not marked paid")
	}
	// ...and the user's cached list is invalidated at once.
	if got := list(); !strings.Contains(got, `"paymentStatus":"paid"`) {
		t.Errorf("list after payment = %s, want paid", got)
	}
	// ...exactly once: a redelivery changes nothing.
	again := hook(body, razorpaytest.Sign(body, webhookSecret))
	if again.status != 200 || again.body["status"] != "duplicate" {
		t.Errorf("redelivery: %d %s, want 200 duplicate", again.status, again.raw)
	}
	if n := f.count(`SELECT count(*) FROM payments WHERE razorpay_payment_id = 'pay_test_1'`); n != 1 {
		t.Errorf("%d payment rows after redelivery, want 1", n)
	}
	// Concurrent redeliveries of a new payment apply it once.
	order2 := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	po2 := f.call(routes.PaymentsCreateOrder, request{method: "POST", token: token, body: `{"orderId":"` + order2 + `"}`})
	body2 := razorpaytest.CapturedEvent("pay_test_2", po2.body["razorpayOrderId"].(string), 7000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	outcomes := map[any]int{}
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := hook(body2, razorpaytest.Sign(body2, webhookSecret))
			mu.Lock()
			outcomes[r.body["status"]]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if outcomes["paid"] != 1 || outcomes["duplicate"] != 4 {
		t.Errorf("concurrent deliveries: %v, want 1 paid and 4 duplicate", outcomes)
	}

	// Signed but malformed or incomplete: 400, nothing written.
	for name, b := range map[string][]byte{
		"malformed":  []byte(`{"event":"payment.captured",`),
		"no payment": []byte(`{"event":"payment.captured","payload":{}}`),
		"no amount":  []byte(`{"event":"payment.captured","payload":{"payment":{"entity":{"id":"pay_x","order_id":"order_x"}}}}`),
		// PostgreSQL stores neither a NUL in text nor a time 300,000 years on.
		"NUL in payment id":   []byte(`{"event":"payment.captured","payload":{"payment":{"entity":{"id":"pay_\u0000","order_id":"` + rzpOrder + `","amount":7000}}}}`),
		"payment id too long": []byte(`{"event":"payment.captured","payload":{"payment":{"entity":{"id":"pay_` + noise(4000) + `","order_id":"` + rzpOrder + `","amount":7000}}}}`),
		"time out of range":   []byte(`{"event":"payment.captured","payload":{"payment":{"entity":{"id":"pay_late","order_id":"` + rzpOrder + `","amount":7000,"created_at":10000000000000}}}}`),
	} {
		if r := hook(b, razorpaytest.Sign(b, webhookSecret)); r.status != 400 {
			t.Errorf("%s: %d %s, want 400", name, r.status, r.raw)
		}
	}
	// Signed events we do not act on, or for orders we do not know, are
	// acknowledged so that Razorpay does not retry them.
	other := []byte(`{"event":"refund.created","payload":{}}`)
	if r := hook(other, razorpaytest.Sign(other, webhookSecret)); r.status != 200 || r.body["status"] != "ignored" {
		t.Errorf("other event: %d %s", r.status, r.raw)
	}
	unknown := razorpaytest.CapturedEvent("pay_test_3", "order_unknown", 7000)
	if r := hook(unknown, razorpaytest.Sign(unknown, webhookSecret)); r.status != 200 || r.body["status"] != "unknown_order" {
		t.Errorf("unknown order: %d %s", r.status, r.raw)
	}
	if n := f.count(`SELECT count(*) FROM payments`); n != 2 {
		t.Errorf("%d payments, want 2", n)
	}
	// A payment of the wrong amount is recorded but does not pay the order.
	order3 := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	po3 := f.call(routes.PaymentsCreateOrder, request{method: "POST", token: token, body: `{"orderId":"` + order3 + `"}`})
	short := razorpaytest.CapturedEvent("pay_test_4", po3.body["razorpayOrderId"].(string), 100)
	if r := hook(short, razorpaytest.Sign(short, webhookSecret)); r.body["status"] != "refund_due" || r.body["reason"] != "amount_mismatch" {
		t.Errorf("short payment: %s", r.raw)
	}
	if n := f.count(`SELECT count(*) FROM orders WHERE id = $1 AND payment_status = 'unpaid'`, order3); n != 1 {
		t.Error("a short payment marked the order paid")
	}
}

// TestRazorpaySecretReadOnFirstUse: the api stack creates the Razorpay
// secret with its three keys empty, and the functions read it when a
// payment request first needs it (through a stand-in for the Parameters
// and Secrets extension). Until it is filled in, init succeeds (so no
// deploy waits on it) and payment requests answer 503, counted as
// SecretFailures; a request after the retry interval picks the filled-in
// secret up. Wrong credentials (Razorpay refuses them) are a 503 too.
func TestRazorpaySecretReadOnFirstUse(t *testing.T) {
	t.Parallel()
	ext := newSecretsExtension(t, map[string]string{"arn:razorpay": `{"keyId":"","keySecret":"","webhookSecret":""}`})
	f := newFixture(t, fixtureOpts{razorpaySecret: ext})
	now := time.Now()
	f.deps.Now = func() time.Time { return now }
	token := f.login("parent@test.example")
	order := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	for i := range 3 {
		if r := f.checkout(token, order); r.status != 503 || !strings.Contains(r.errorMessage(), "credentials are not set up") {
			t.Fatalf("checkout %d with an unfilled secret: %d %s, want 503", i, r.status, r.raw)
		}
	}
	if r := f.webhook(razorpaytest.CapturedEvent("pay_early", "order_x", 100)); r.status != 503 {
		t.Errorf("webhook with an unfilled secret: %d %s, want 503 so that Razorpay retries", r.status, r.raw)
	}
	if m := f.metrics.String(); !strings.Contains(m, `"SecretFailures":[1]`) || !strings.Contains(m, `"Secret":"razorpay"`) {
		t.Errorf("no SecretFailures metric: %s", m)
	}
	if n := ext.readCount(); n != 1 {
		t.Errorf("%d secret reads for 4 requests within the retry interval, want 1", n)
	}

	// Filled in with keys Razorpay refuses: still 503, still counted.
	ext.set("arn:razorpay", `{"keyId":"rzp_test_key","keySecret":"wrong","webhookSecret":"`+webhookSecret+`"}`)
	now = now.Add(time.Minute)
	if r := f.checkout(token, order); r.status != 503 || !strings.Contains(r.errorMessage(), "refused our credentials") {
		t.Errorf("checkout with refused keys: %d %s", r.status, r.raw)
	}
	// Corrected: picked up once the last answer expires.
	ext.set("arn:razorpay", `{"keyId":"rzp_test_key","keySecret":"rzp_test_secret","webhookSecret":"`+webhookSecret+`"}`)
	now = now.Add(10 * time.Minute)
	r := f.checkout(token, order)
	if r.status != 201 {
		t.Fatalf("checkout after the secret was corrected: %d %s", r.status, r.raw)
	}
	body := razorpaytest.CapturedEvent("pay_ok", r.body["razorpayOrderId"].(string), 7000)
	if r := f.webhook(body); r.status != 200 || r.body["status"] != "paid" {
		t.Errorf("webhook: %d %s", r.status, r.raw)
	}
}

// TestWebhookSecretRotation: the payment functions accept deliveries
// signed with the Razorpay secret's webhookSecret or its
// previousWebhookSecret, and a delivery that matches neither re-reads the
// secret at once (rotated since the last read) and is checked again; a
// flood of forged deliveries re-reads at most once per 30 s. The secret
// comes through a stand-in for the Parameters and Secrets extension.
func TestWebhookSecretRotation(t *testing.T) {
	t.Parallel()
	secret := func(current, previous string) string {
		return `{"keyId":"rzp_test_key","keySecret":"rzp_test_secret","webhookSecret":"` + current + `","previousWebhookSecret":"` + previous + `"}`
	}
	ext := newSecretsExtension(t, map[string]string{"arn:razorpay": secret("old-secret", "")})
	f := newFixture(t, fixtureOpts{razorpaySecret: ext})
	now := time.Now()
	f.deps.Now = func() time.Time { return now }
	event := []byte(`{"event":"refund.created","payload":{}}`) // acknowledged, changes nothing
	deliver := func(secret string) response {
		return f.call(routes.PaymentsWebhook, request{method: "POST", body: string(event),
			headers: map[string]string{"Content-Type": "application/json", "X-Razorpay-Signature": razorpaytest.Sign(event, secret)}})
	}
	if r := deliver("old-secret"); r.status != 200 {
		t.Fatalf("delivery before the rotation: %d %s", r.status, r.raw)
	}
	// The rotation puts the new secret in, the old one as previous; the
	// dashboard then signs with the new one, well inside our 5-minute TTL.
	ext.set("arn:razorpay", secret("new-secret", "old-secret"))
	now = now.Add(time.Minute)
	reads := ext.readCount()
	if r := deliver("new-secret"); r.status != 200 {
		t.Fatalf("delivery signed with the new secret: %d %s, want it taken after a re-read", r.status, r.raw)
	}
	if n := ext.readCount() - reads; n != 1 {
		t.Errorf("a delivery of an unknown secret made %d reads, want 1", n)
	}
	if r := deliver("old-secret"); r.status != 200 {
		t.Errorf("delivery signed with the previous secret: %d %s", r.status, r.raw)
	}
	// Forged deliveries: refused, one re-read per 30 s at most.
	reads = ext.readCount()
	for range 20 {
		if r := deliver("forged"); r.status != 401 {
			t.Fatalf("forged delivery: %d %s", r.status, r.raw)
		}
	}
	now = now.Add(31 * time.Second)
	for range 20 {
		deliver("forged")
	}
	if n := ext.readCount() - reads; n != 1 {
		t.Errorf("40 forged deliveries over 31 s made %d reads, want 1", n)
	}
}
