package functions_test

import (
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
	"github.com/hasivu/infra/lambda/routes"
)

// TestSecurityHeaders: every answer of every route, its successes and its
// failures, carries X-Content-Type-Options: nosniff and
// Strict-Transport-Security; every answer no cache may keep (a route
// that is not Public, the login token among them, and any error) says
// Cache-Control: no-store, and a public route's successful answer carries
// no Cache-Control of its own (the gateway's and the edge's TTLs decide).
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	parent, admin, staff := f.login("parent@test.example"), f.login("admin@test.example"), f.login("kitchen@test.example")
	f.insertOrder(parentID, studentID, f.today, "confirmed", "paid", time.Now().Add(-time.Hour))
	unpaid := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	captured := razorpaytest.CapturedEvent("pay_hdr_1", "order_unknown", 7000)
	ok := map[string]request{
		"POST /auth/login": {method: "POST", body: `{"email":"parent@test.example","password":"` + password + `"}`},
		"GET /orders":      {method: "GET", token: parent},
		"POST /orders": {method: "POST", token: parent, headers: map[string]string{"Idempotency-Key": "hdr-1"},
			body: `{"studentId":"` + studentID + `","schoolId":"` + schoolID + `","deliveryDate":"` + f.tomorrow +
				`","items":[{"menuItemId":"` + lunchID + `","quantity":1}]}`},
		"GET /schools/{schoolId}/menus/{date}": {method: "GET", params: map[string]string{"schoolId": schoolID, "date": f.today}},
		"GET /schools/{schoolId}/menu-items":   {method: "GET", params: map[string]string{"schoolId": schoolID}},
		"GET /me":                              {method: "GET", token: parent},
		"PATCH /me":                            {method: "PATCH", token: parent, body: `{"firstName":"Pat"}`},
		"GET /payments/methods":                {method: "GET", token: parent},
		"GET /schools/{schoolId}/analytics": {method: "GET", token: admin, params: map[string]string{"schoolId": schoolID},
			query: map[string]string{"from": f.today, "to": f.today}},
		"POST /payments/orders": {method: "POST", token: parent, body: `{"orderId":"` + unpaid + `"}`},
		"POST /payments/webhook": {method: "POST", body: string(captured),
			headers: map[string]string{"X-Razorpay-Signature": razorpaytest.Sign(captured, webhookSecret)}},
		"POST /rfid/verify": {method: "POST", token: staff, body: `{"cardNumber":"` + cardNumber + `"}`},
	}
	// failing returns a request of the route that fails: a bad date for a
	// public route, no token for one that needs a caller, an unsigned or
	// malformed body otherwise.
	failing := func(rt routes.Route, good request) request {
		switch {
		case rt.Public:
			bad := request{method: rt.Method, params: map[string]string{}}
			for k := range good.params {
				bad.params[k] = "not-an-id"
			}
			return bad
		case rt.Auth:
			return request{method: rt.Method, body: good.body, params: good.params}
		}
		return request{method: rt.Method, body: `{`}
	}
	for _, rt := range routes.Table {
		good, found := ok[rt.Key()]
		if !found {
			t.Errorf("%s: add a request for it to this test", rt.Key())
			continue
		}
		for _, tc := range []struct {
			name string
			req  request
		}{{"success", good}, {"failure", failing(rt, good)}} {
			r := f.call(rt.Function, tc.req)
			if (tc.name == "success") != (r.status < 400) {
				t.Errorf("%s %s: status %d %s", rt.Key(), tc.name, r.status, r.raw)
				continue
			}
			for k, v := range routes.SecurityHeaders {
				if got := r.headers[k]; got != v {
					t.Errorf("%s %s (%d): %s %q, want %q", rt.Key(), tc.name, r.status, k, got, v)
				}
			}
			want := routes.NoStore
			if rt.Public && r.status < 400 {
				want = ""
			}
			if got := r.headers["Cache-Control"]; got != want {
				t.Errorf("%s %s (%d): Cache-Control %q, want %q", rt.Key(), tc.name, r.status, got, want)
			}
		}
	}
	if r := f.call(routes.MenusDaily, request{method: "DELETE"}); r.headers["Cache-Control"] != routes.NoStore ||
		r.headers["X-Content-Type-Options"] != "nosniff" {
		t.Errorf("a request no route serves: %d %v", r.status, r.headers)
	}
}
