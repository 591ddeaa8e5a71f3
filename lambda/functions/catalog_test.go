package functions_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/testsupport"
)

// TestEveryDeclaredMetricIsEmitted runs the functions through a day that
// touches every metric (a cold start, sign-ins, menus from the cache and
// past it, a capture owed back, an unsigned webhook, Razorpay refusing
// our keys, Redis down)
// and checks that every metric the catalog declares was written, under
// every dimension set it declares. The dashboard and alarms read only
// declared metrics (stacks' TestDashboardReadsOnlyEmittedMetrics); this
// closes the loop: a declared metric no function emits would be a graph
// that stays empty and an alarm that never fires.
func TestEveryDeclaredMetricIsEmitted(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpts{redisProxy: true})
	f.deps.Ready(42 * time.Millisecond) // before the first invocation, as main does

	token := f.login("parent@test.example")
	if r := f.call(routes.AuthLogin, request{method: "POST", body: `{"email":"parent@test.example","password":"wrong"}`}); r.status != 401 {
		t.Errorf("wrong password: %d %s", r.status, r.raw)
	}
	menu := func() {
		t.Helper()
		if r := f.call(routes.MenusDaily, request{method: "GET", params: map[string]string{"schoolId": schoolID, "date": f.today}}); r.status != 200 {
			t.Fatalf("menus-daily: %d %s", r.status, r.raw)
		}
	}
	menu() // a miss
	menu() // a hit
	_, rzp := f.openCheckout(token)
	usd := razorpaytest.PaymentEvent("payment.captured", razorpaytest.Payment{ID: "pay_usd", OrderID: rzp, Amount: 7000, Currency: "USD"})
	f.wantWebhook(t, "capture in USD", usd, "refund_due", "currency_mismatch")
	if r := f.call(routes.PaymentsWebhook, request{method: "POST", body: `{"event":"payment.captured"}`,
		headers: map[string]string{"X-Razorpay-Signature": "not-a-signature"}}); r.status != 401 {
		t.Errorf("unsigned webhook: %d %s, want 401", r.status, r.raw)
	}
	f.razorpay.FailWith.Store(401) // Razorpay refuses our keys: a 503
	pending := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	if r := f.checkout(token, pending); r.status != 503 {
		t.Errorf("Razorpay refusing our keys: %d %s, want 503", r.status, r.raw)
	}
	f.proxy.SetMode(testsupport.Down)
	menu() // from the database, the cache call failed

	// Only the 503 counts as an error: client faults (the wrong
	// password's 401) are not the platform failing.
	var errorLines []string
	for _, line := range strings.Split(f.metrics.String(), "\n") {
		if strings.Contains(line, `"OperationErrors":[`) {
			errorLines = append(errorLines, line)
		}
	}
	if len(errorLines) != 1 || !strings.Contains(errorLines[0], `"Function":"`+routes.PaymentsCreateOrder+`"`) {
		t.Errorf("OperationErrors lines %q, want one for %s", errorLines, routes.PaymentsCreateOrder)
	}

	emitted := map[string][][]string{}
	for _, line := range strings.Split(strings.TrimSpace(f.metrics.String()), "\n") {
		var doc struct {
			AWS struct {
				CloudWatchMetrics []struct {
					Dimensions [][]string
					Metrics    []struct{ Name string }
				}
			} `json:"_aws"`
		}
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatalf("metrics line is not JSON: %v: %s", err, line)
		}
		for _, d := range doc.AWS.CloudWatchMetrics {
			for _, m := range d.Metrics {
				emitted[m.Name] = append(emitted[m.Name], d.Dimensions...)
			}
		}
	}
	for _, m := range metrics.Catalog {
		got, ok := emitted[m.Name]
		if !ok {
			t.Errorf("%s is declared in lambda/metrics but no function emitted it", m.Name)
			continue
		}
		for _, set := range m.Dimensions {
			if !slices.ContainsFunc(got, func(g []string) bool { return slices.Equal(g, set) }) {
				t.Errorf("%s was never emitted under its declared dimensions %v (emitted under %v)", m.Name, set, got)
			}
		}
	}
}
