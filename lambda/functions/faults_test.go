package functions_test

import (
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/testsupport"
)

// TestRedisDown points every function at a closed Redis port: each still
// answers from the database, quickly, and counts the cache failures.
func TestRedisDown(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpts{redisAddr: testsupport.ClosedAddr(t)})
	start := time.Now()
	token := f.login("parent@test.example")
	staff := f.login("kitchen@test.example")
	f.insertOrder(parentID, studentID, f.today, "confirmed", "paid", time.Now().Add(-time.Hour))

	for i := range 2 { // twice: the second read would be a hit if Redis worked
		if r := f.call(routes.OrdersList, request{method: "GET", token: token}); r.status != 200 || len(r.body["data"].([]any)) != 1+i {
			t.Fatalf("orders-list: %d %s", r.status, r.raw)
		}
		if r := f.call(routes.MenusDaily, request{method: "GET", params: map[string]string{"schoolId": schoolID, "date": f.today}}); r.status != 200 {
			t.Fatalf("menus-daily: %d %s", r.status, r.raw)
		}
		if i == 0 {
			r := f.call(routes.OrdersCreate, request{method: "POST", token: token, body: newOrder(t, f),
				headers: map[string]string{"Idempotency-Key": "redis-down"}})
			if r.status != 201 {
				t.Fatalf("orders-create: %d %s", r.status, r.raw)
			}
			po := f.call(routes.PaymentsCreateOrder, request{method: "POST", token: token, body: `{"orderId":"` + r.body["id"].(string) + `"}`})
			if po.status != 201 {
				t.Fatalf("payments-create-order: %d %s", po.status, po.raw)
			}
			body := razorpaytest.CapturedEvent("pay_redis_down", po.body["razorpayOrderId"].(string), 12000)
			if wh := f.call(routes.PaymentsWebhook, request{method: "POST", body: string(body),
				headers: map[string]string{"X-Razorpay-Signature": razorpaytest.Sign(body, webhookSecret)}}); wh.status != 200 || wh.body["status"] != "paid" {
				t.Fatalf("payments-webhook: %d %s", wh.status, wh.raw)
			}
		}
	}
	if r := f.call(routes.RFIDVerifyCard, request{method: "POST", token: staff, body: `{"cardNumber":"CARD0001"}`}); r.status != 200 {
		t.Fatalf("rfid-verify-card: %d %s", r.status, r.raw)
	}
	admin := f.login("admin@test.example")
	for i := range 2 {
		for _, read := range []struct {
			fn  string
			req request
		}{
			{routes.Profile, request{method: "GET", token: token}},
			{routes.MenusDaily, request{method: "GET", params: map[string]string{"schoolId": schoolID}}},
			{routes.PaymentsCreateOrder, request{method: "GET", token: token}},
			{routes.AnalyticsDaily, request{method: "GET", token: admin, params: map[string]string{"schoolId": schoolID},
				query: map[string]string{"from": f.today, "to": f.today}}},
		} {
			if r := f.call(read.fn, read.req); r.status != 200 {
				t.Fatalf("%s %s, read %d: %d %s", read.fn, read.req.method, i+1, r.status, r.raw)
			}
		}
	}
	if r := f.call(routes.Profile, request{method: "PATCH", token: token, body: `{"firstName":"Patricia"}`}); r.status != 200 ||
		r.body["firstName"] != "Patricia" {
		t.Fatalf("profile-update: %d %s", r.status, r.raw)
	}
	// Without fast-failing client settings go-redis spends ~1.7 s per call
	// in retries; ten calls here would take many seconds.
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("with Redis down the calls took %s in all, want fast failure", d)
	}
	m := f.metrics.String()
	for _, cache := range []string{`"Cache":"orders"`, `"Cache":"menu"`, `"Cache":"profile"`, `"Cache":"menu-items"`,
		`"Cache":"payment-methods"`, `"Cache":"analytics"`} {
		if !strings.Contains(m, cache) || !strings.Contains(m, `"CacheErrors":[`) {
			t.Errorf("no CacheErrors recorded for %s", cache)
		}
	}
	if strings.Contains(m, `"CacheHits"`) {
		t.Error("cache hits recorded with Redis down")
	}
}

// TestDatabaseDown points the functions at a closed PostgreSQL port: each
// answers 503 with a JSON error, quickly.
func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	dead := "postgres://postgres@" + testsupport.ClosedAddr(t) + "/test?sslmode=disable"
	f := newFixture(t, fixtureOpts{dbURL: dead})
	token := signedToken(t, parentID, "parent", "")
	staff := signedToken(t, staffID, "kitchen_staff", schoolID)
	body := razorpaytest.CapturedEvent("pay_db_down", "order_x", 100)
	start := time.Now()
	for fn, req := range map[string]request{
		routes.AuthLogin:           {method: "POST", body: `{"email":"parent@test.example","password":"` + password + `"}`},
		routes.OrdersList:          {method: "GET", token: token},
		routes.OrdersCreate:        {method: "POST", token: token, body: newOrder(t, f), headers: map[string]string{"Idempotency-Key": "db-down"}},
		routes.MenusDaily:          {method: "GET", params: map[string]string{"schoolId": schoolID, "date": f.today}},
		routes.PaymentsCreateOrder: {method: "POST", token: token, body: `{"orderId":"` + unknownID + `"}`},
		routes.PaymentsWebhook:     {method: "POST", body: string(body), headers: map[string]string{"X-Razorpay-Signature": razorpaytest.Sign(body, webhookSecret)}},
		routes.RFIDVerifyCard:      {method: "POST", token: staff, body: `{"cardNumber":"CARD0001"}`},
		routes.Profile:             {method: "PATCH", token: token, body: `{"firstName":"Patricia"}`},
		routes.AnalyticsDaily: {method: "GET", token: signedToken(t, adminID, "school_admin", schoolID),
			params: map[string]string{"schoolId": schoolID}, query: map[string]string{"from": f.today, "to": f.today}},
	} {
		r := f.call(fn, req)
		if r.status != 503 || r.errorCode() != "unavailable" {
			t.Errorf("%s with the database down: %d %s, want 503 unavailable", fn, r.status, r.raw)
		}
	}
	for fn, req := range map[string]request{
		routes.Profile:    {method: "GET", token: token},
		routes.MenusDaily: {method: "GET", params: map[string]string{"schoolId": schoolID}},
	} {
		if r := f.call(fn, req); r.status != 503 || r.errorCode() != "unavailable" {
			t.Errorf("%s %s with the database down: %d %s, want 503 unavailable", fn, req.method, r.status, r.raw)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("with the database down the calls took %s in all", d)
	}
	// The payment methods need no database beyond the account's standing,
	// which a down database leaves to the token's signature: Razorpay
	// answers.
	if r := f.call(routes.PaymentsCreateOrder, request{method: "GET", token: token}); r.status != 200 {
		t.Errorf("payments-methods with the database down: %d %s, want Razorpay's methods", r.status, r.raw)
	}
	// The real schema saw nothing.
	if n := f.count(`SELECT count(*) FROM orders`) + f.count(`SELECT count(*) FROM payments`) + f.count(`SELECT count(*) FROM meal_verifications`); n != 0 {
		t.Errorf("%d rows written", n)
	}
}

// TestRedisHung is finding 6: a hung Redis (connections accepted, never
// answered, as a SIGSTOPped server) used to cost every request its
// timeouts. After the circuit breaker's first failures the functions stop
// calling Redis altogether, so requests cost what the database costs; the
// proxy standing for Redis sees no new connection or byte after that.
// The latency itself is measured by the benchmark (make bench, outage
// phase), not here.
func TestRedisHung(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpts{redisProxy: true, cache: redis.Config{TripAfter: 3, Cooldown: time.Hour}})
	token := f.login("parent@test.example")
	f.insertOrder(parentID, studentID, f.today, "confirmed", "paid", time.Now().Add(-time.Hour))
	f.proxy.SetMode(testsupport.Hung)
	list := func() {
		t.Helper()
		if r := f.call(routes.OrdersList, request{method: "GET", token: token}); r.status != 200 || len(r.body["data"].([]any)) != 1 {
			t.Fatalf("orders-list: %d %s", r.status, r.raw)
		}
		if r := f.call(routes.MenusDaily, request{method: "GET", params: map[string]string{"schoolId": schoolID, "date": f.today}}); r.status != 200 {
			t.Fatalf("menus-daily: %d %s", r.status, r.raw)
		}
	}
	list()
	list() // by now at least three calls timed out: the breaker is open
	conns, sent := f.proxy.Accepted()
	for range 20 {
		list()
	}
	if c, s := f.proxy.Accepted(); c != conns || s != sent {
		t.Errorf("requests kept calling the hung Redis: %d→%d connections, %d→%d bytes", conns, c, sent, s)
	}
	if m := f.metrics.String(); !strings.Contains(m, `"CacheErrors"`) {
		t.Error("skipped cache calls were not counted as CacheErrors")
	}
}
