package functions_test

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hasivu/infra/lambda/routes"
)

// allocRuns is how many requests an allocation figure averages: enough
// that a background goroutine's occasional allocation (pgxpool's health
// check, go-redis's pool) moves the average by less than one.
const allocRuns = 100

// allocAttempts is how many times a handler over its budget is measured
// before the test fails.
const allocAttempts = 3

// allocBudgets are the most heap allocations one request of each hot
// handler may make, end to end through the handler (the API Gateway
// event in, PostgreSQL and Redis on loopback, the response out), about
// twice what it measured (the comment), so that a tenfold rise fails
// while a dependency's small change does not. Counts do not depend on
// timing; testing.AllocsPerRun counts every goroutine's, the in-process
// Razorpay stand-in's included for payments-create-order.
var allocBudgets = []struct {
	name   string
	budget float64
	// status is the answer every run must get, 200 unless set.
	status int
	// setup arranges the data and returns the request of the i-th run
	// (AllocsPerRun calls it allocRuns+1 times, the first to warm up).
	setup func(t *testing.T, f *fixture) func(i int) events.APIGatewayProxyRequest
}{
	// Measured 674: a 20-order page cut from a 40-order head in Redis,
	// decoded and encoded again.
	{"orders-list, page cached", 1350, 200, func(t *testing.T, f *fixture) func(int) events.APIGatewayProxyRequest {
		ev := ordersListEvent(t, f, 20)
		return func(int) events.APIGatewayProxyRequest { return ev }
	}},
	// Measured 799: a 20-order head read and stored, the first list of
	// each of allocRuns+1 parents.
	{"orders-list, head read from PostgreSQL", 1600, 200, func(t *testing.T, f *fixture) func(int) events.APIGatewayProxyRequest {
		rows, err := f.db.Query(context.Background(), `
			WITH u AS (
				INSERT INTO users (email, password_hash, first_name, last_name, role, status)
				SELECT 'alloc-' || n || '@test.example', 'x', 'A', 'P' || n, 'parent', 'active' FROM generate_series(0, $1 - 1) n
				RETURNING id),
			s AS (
				INSERT INTO students (school_id, parent_id, first_name, last_name, grade, section)
				SELECT $2, u.id, 'S', 'S', '4', 'B' FROM u RETURNING id, parent_id),
			o AS (
				INSERT INTO orders (user_id, student_id, school_id, delivery_date, status, payment_status, total_paise, created_at)
				SELECT s.parent_id, s.id, $2, $3::date, 'confirmed', 'paid', 7000, now() - k * interval '1 hour'
				FROM s, generate_series(1, 20) k RETURNING id),
			i AS (
				INSERT INTO order_items (order_id, menu_item_id, quantity, unit_price_paise)
				SELECT o.id, x.id, 1, x.p FROM o, (VALUES ($4::uuid, 5000), ($5::uuid, 2000)) AS x(id, p))
			SELECT id::text FROM u`, allocRuns+1, schoolID, f.tomorrow, lunchID, snackID)
		if err != nil {
			t.Fatal(err)
		}
		var evs []events.APIGatewayProxyRequest
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			evs = append(evs, events.APIGatewayProxyRequest{HTTPMethod: "GET",
				Headers: map[string]string{"Authorization": "Bearer " + signedToken(t, id, "parent", "")}})
		}
		if rows.Err() != nil || len(evs) != allocRuns+1 {
			t.Fatalf("%d parents (%v), want %d", len(evs), rows.Err(), allocRuns+1)
		}
		return func(i int) events.APIGatewayProxyRequest { return evs[i] }
	}},
	// Measured 92.
	{"menus-daily, menu cached", 200, 200, func(t *testing.T, f *fixture) func(int) events.APIGatewayProxyRequest {
		ev := events.APIGatewayProxyRequest{HTTPMethod: "GET", Headers: map[string]string{},
			PathParameters: map[string]string{"schoolId": schoolID, "date": f.today}}
		return func(int) events.APIGatewayProxyRequest { return ev }
	}},
	// The first tap records the meal, every later one answers 409
	// (already served) after the same statement.
	// Measured 176.
	{"rfid-verify-card", 350, 409, func(t *testing.T, f *fixture) func(int) events.APIGatewayProxyRequest {
		f.insertOrder(parentID, studentID, f.today, "confirmed", "paid", time.Now())
		ev := events.APIGatewayProxyRequest{HTTPMethod: "POST", Body: `{"cardNumber":"` + cardNumber + `","readerId":"gate-1"}`,
			Headers: map[string]string{"Authorization": "Bearer " + f.login("kitchen@test.example")}}
		return func(int) events.APIGatewayProxyRequest { return ev }
	}},
	// Measured 431.
	{"orders-create", 900, 201, func(t *testing.T, f *fixture) func(int) events.APIGatewayProxyRequest {
		ev := events.APIGatewayProxyRequest{HTTPMethod: "POST", Body: newOrder(t, f),
			Headers: map[string]string{"Authorization": "Bearer " + f.login("parent@test.example")}}
		return func(i int) events.APIGatewayProxyRequest {
			e := ev
			e.Headers = map[string]string{"Authorization": ev.Headers["Authorization"], "Idempotency-Key": fmt.Sprintf("alloc-%d", i)}
			return e
		}
	}},
	// Measured 467, the Razorpay stand-in's share included.
	{"payments-create-order", 950, 201, func(t *testing.T, f *fixture) func(int) events.APIGatewayProxyRequest {
		auth := "Bearer " + f.login("parent@test.example")
		evs := make([]events.APIGatewayProxyRequest, allocRuns+1)
		for i := range evs {
			id := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
			evs[i] = events.APIGatewayProxyRequest{HTTPMethod: "POST", Body: `{"orderId":"` + id + `"}`,
				Headers: map[string]string{"Authorization": auth}}
		}
		return func(i int) events.APIGatewayProxyRequest { return evs[i] }
	}},
	// Measured 134 (bcrypt at the fixture's minimum cost).
	{"auth-login", 300, 200, func(t *testing.T, f *fixture) func(int) events.APIGatewayProxyRequest {
		ev := events.APIGatewayProxyRequest{HTTPMethod: "POST", Headers: map[string]string{},
			Body: `{"email":"parent@test.example","password":"` + password + `"}`}
		return func(int) events.APIGatewayProxyRequest { return ev }
	}},
}

// ordersListEvent stores n orders of the parent and returns a request
// for the first page of them.
func ordersListEvent(t *testing.T, f *fixture, n int) events.APIGatewayProxyRequest {
	for i := range n {
		f.insertOrder(parentID, studentID, f.tomorrow, "confirmed", "paid", time.Now().Add(-time.Duration(i)*time.Hour))
	}
	return events.APIGatewayProxyRequest{HTTPMethod: "GET",
		Headers: map[string]string{"Authorization": "Bearer " + f.login("parent@test.example")}}
}

// TestHotHandlerAllocations holds each hot handler's allocations per
// request within its budget (allocBudgets). It runs alone (no
// t.Parallel), so no other test's allocations are counted.
func TestHotHandlerAllocations(t *testing.T) {
	// One fixture for every handler, in the table's order: the lists come
	// before anything adds to the parent's orders.
	f := newFixture(t)
	f.deps.Metrics = io.Discard
	for _, tc := range allocBudgets {
		t.Run(tc.name, func(t *testing.T) {
			f.t = t
			h := f.handlers[handlerOf(tc.name)]
			for attempt := 1; ; attempt++ {
				req := tc.setup(t, f)
				i, failed := 0, ""
				got := testing.AllocsPerRun(allocRuns, func() {
					resp, err := h(context.Background(), req(i))
					i++
					if (err != nil || resp.StatusCode != tc.status) && failed == "" && i > 1 {
						failed = fmt.Sprintf("request %d: %d %v %s, want %d", i, resp.StatusCode, err, resp.Body, tc.status)
					}
				})
				if failed != "" {
					t.Fatal(failed)
				}
				t.Logf("%s: %.0f allocations per request (budget %.0f)", tc.name, got, tc.budget)
				if got <= tc.budget {
					break
				}
				// A Redis call that timed out on a loaded machine takes the
				// database's path, which allocates more: a figure over
				// budget is measured again, with fresh data. A real rise
				// exceeds the budget every time.
				if attempt == allocAttempts {
					t.Errorf("%s: %.0f allocations per request, budget %.0f (allocBudgets), in each of %d measurements",
						tc.name, got, tc.budget, allocAttempts)
					break
				}
			}
		})
	}
}

// handlerOf is the function a budget's name starts with.
func handlerOf(name string) string {
	for _, fn := range routes.Functions() {
		if len(name) >= len(fn) && name[:len(fn)] == fn && (len(name) == len(fn) || name[len(fn)] == ',') {
			return fn
		}
	}
	return name
}
