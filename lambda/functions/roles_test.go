package functions_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/deploycheck"
	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
	"github.com/hasivu/infra/lambda/routes"
)

// roleScenario drives one function through the requests that run each of
// its queries, and checks each answer and what it stored. tokens holds a
// parent's and a kitchen staff member's, signed in before it runs.
type roleScenario func(t *testing.T, f *fixture, tokens map[string]string)

// roleScenarios has a scenario for every routed function that touches the
// database.
var roleScenarios = map[string]roleScenario{
	routes.AuthLogin: func(t *testing.T, f *fixture, _ map[string]string) {
		f.login("parent@test.example")
	},
	routes.OrdersList: func(t *testing.T, f *fixture, tokens map[string]string) {
		id := f.insertOrder(parentID, studentID, f.tomorrow, "confirmed", "paid", time.Now())
		r := f.call(routes.OrdersList, request{method: "GET", token: tokens["parent"]})
		if data, _ := r.body["data"].([]any); r.status != 200 || len(data) != 1 || data[0].(map[string]any)["id"] != id {
			t.Errorf("list: %d %s, want the one order", r.status, r.raw)
		}
	},
	routes.MenusDaily: func(t *testing.T, f *fixture, _ map[string]string) {
		r := f.call(routes.MenusDaily, request{method: "GET", params: map[string]string{"schoolId": schoolID, "date": f.today}})
		if r.status != 200 {
			t.Errorf("menu: %d %s", r.status, r.raw)
		}
		if r := f.call(routes.MenusDaily, request{method: "GET", params: map[string]string{"schoolId": schoolID}}); r.status != 200 {
			t.Errorf("menu items: %d %s", r.status, r.raw)
		}
	},
	routes.Profile: func(t *testing.T, f *fixture, tokens map[string]string) {
		if r := f.me(tokens["parent"]); r.status != 200 {
			t.Errorf("GET /me: %d %s", r.status, r.raw)
		}
		if r := f.patchMe(tokens["parent"], `{"phone":"+919876543210"}`); r.status != 200 || r.body["phone"] != "+919876543210" {
			t.Errorf("PATCH /me: %d %s", r.status, r.raw)
		}
	},
	routes.AnalyticsDaily: func(t *testing.T, f *fixture, _ map[string]string) {
		if r := f.summary(f.login("admin@test.example"), schoolID, f.today, f.tomorrow); r.status != 200 {
			t.Errorf("analytics: %d %s", r.status, r.raw)
		}
	},
	routes.OrdersCreate: func(t *testing.T, f *fixture, tokens map[string]string) {
		create := func() response {
			return f.call(routes.OrdersCreate, request{method: "POST", token: tokens["parent"], body: newOrder(t, f),
				headers: map[string]string{"Idempotency-Key": "roles"}})
		}
		if r := create(); r.status != 201 {
			t.Errorf("create: %d %s", r.status, r.raw)
		}
		if r := create(); r.status != 200 {
			t.Errorf("replay: %d %s", r.status, r.raw)
		}
		if n := f.count(`SELECT count(*) FROM order_items oi JOIN orders o ON o.id = oi.order_id WHERE o.idempotency_key = 'roles'`); n != 2 {
			t.Errorf("%d order items stored, want 2", n)
		}
	},
	routes.PaymentsCreateOrder: func(t *testing.T, f *fixture, tokens map[string]string) {
		order := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
		if r := f.checkout(tokens["parent"], order); r.status != 201 {
			t.Errorf("checkout: %d %s", r.status, r.raw)
		}
		if r := f.checkout(tokens["parent"], order); r.status != 200 {
			t.Errorf("checkout again: %d %s", r.status, r.raw)
		}
		f.expireCheckout(order)
		if r := f.checkout(tokens["parent"], order); r.status != 201 || f.count(`SELECT count(*) FROM payment_orders WHERE status = 'expired'`) != 1 {
			t.Errorf("checkout after expiry: %d %s", r.status, r.raw)
		}
	},
	routes.PaymentsWebhook: func(t *testing.T, f *fixture, tokens map[string]string) {
		// Checkouts are arranged directly: this scenario is the webhook's.
		open := func(rzp string) {
			order := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
			f.exec(`INSERT INTO payment_orders (order_id, user_id, razorpay_order_id, amount_paise, expires_at)
				VALUES ($1, $2, $3, 7000, now() + interval '15 minutes')`, order, parentID, rzp)
		}
		open("order_roles_paid")
		open("order_roles_failed")
		p := razorpaytest.Payment{ID: "pay_roles", OrderID: "order_roles_paid", Amount: 7000}
		f.wantWebhook(t, "capture", razorpaytest.CapturedEvent(p.ID, p.OrderID, 7000), "paid", "")
		f.wantWebhook(t, "failure", razorpaytest.PaymentEvent("payment.failed",
			razorpaytest.Payment{ID: "pay_roles_failed", OrderID: "order_roles_failed", Amount: 7000}), "failed", "")
		f.wantWebhook(t, "refund", razorpaytest.RefundEvent("rfnd_roles", p, 7000), "refunded", "")
		if got := f.payment(p.ID); got.status != "refunded" {
			t.Errorf("payment %+v, want refunded", got)
		}
	},
	routes.RFIDVerifyCard: func(t *testing.T, f *fixture, tokens map[string]string) {
		order := f.insertOrder(parentID, studentID, f.today, "confirmed", "paid", time.Now().Add(-time.Hour))
		r := f.call(routes.RFIDVerifyCard, request{method: "POST", token: tokens["staff"], body: `{"cardNumber":"CARD0001","readerId":"gate"}`})
		if r.status != 200 || r.body["orderId"] != order || f.count(`SELECT count(*) FROM meal_verifications`) != 1 {
			t.Errorf("tap: %d %s", r.status, r.raw)
		}
	},
}

// observed matches a query's name in the functions' EMF lines.
var observed = regexp.MustCompile(`"Query":"([^"]+)"`)

// TestFunctionsWorkAsTheirDatabaseRoles connects every routed function
// as the role it connects as in AWS (routes.DBUserOf), drives it through
// its queries and its health check (which reads the schema version), and
// checks that together they ran every named query of package postgres,
// each under the role of the function that runs it. A query that needs a
// privilege its role lacks fails its request (5xx) here, as it would in
// AWS.
func TestFunctionsWorkAsTheirDatabaseRoles(t *testing.T) {
	t.Parallel()
	ran := map[string]string{} // query name → the function that ran it
	for _, role := range routes.DBRoles() {
		f := newFixture(t, fixtureOpts{dbRole: role})
		tokens := map[string]string{"parent": f.login("parent@test.example"), "staff": f.login("kitchen@test.example")}
		for _, name := range routes.Functions() {
			if routes.DBUserOf(name, "") != role {
				continue
			}
			scenario, ok := roleScenarios[name]
			if !ok {
				t.Errorf("%s connects as %s and has no scenario in roleScenarios", name, role)
				continue
			}
			before := len(f.metrics.String())
			t.Run(name, func(t *testing.T) { scenario(t, f, tokens) })
			for _, m := range observed.FindAllStringSubmatch(f.metrics.String()[before:], -1) {
				ran[m[1]] = name
			}
			resp, err := f.handlers[name](t.Context(), deploycheck.Request())
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("%s's health as %s: %v %d %s", name, role, err, resp.StatusCode, resp.Body)
			}
		}
	}
	for _, q := range namedQueries(t) {
		if _, ok := ran[q]; !ok {
			t.Errorf("query %s ran in no function's scenario: add the request that runs it to roleScenarios", q)
		}
	}
}

// namedQueries returns the names package postgres records its queries
// under.
func namedQueries(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../postgres/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("package postgres's sources: %v", err)
	}
	name := regexp.MustCompile(`observe\(ctx, "([^"]+)"`)
	var out []string
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range name.FindAllSubmatch(b, -1) {
			if q := string(m[1]); !slices.Contains(out, q) {
				out = append(out, q)
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %v in package postgres", out)
	}
	return out
}
