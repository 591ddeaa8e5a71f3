package functions_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/routes"
)

func TestOrdersList(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	base := time.Now().Add(-time.Hour)
	var ids []string
	for i := range 3 {
		ids = append(ids, f.insertOrder(parentID, studentID, f.tomorrow, "confirmed", "paid", base.Add(time.Duration(i)*time.Minute)))
	}
	f.insertOrder(otherParentID, otherStudent, f.tomorrow, "confirmed", "paid", base)
	token := f.login("parent@test.example")

	r := f.call(routes.OrdersList, request{method: "GET", token: token, query: map[string]string{"limit": "2"}})
	if r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.raw)
	}
	data := r.body["data"].([]any)
	if len(data) != 2 || r.body["hasMore"] != true || r.body["page"] != 1.0 || r.body["limit"] != 2.0 ||
		r.body["total"] != 3.0 || r.body["totalPages"] != 2.0 || r.body["hasNext"] != true || r.body["hasPrev"] != false {
		t.Fatalf("page 1 = %s", r.raw)
	}
	first := data[0].(map[string]any)
	if first["id"] != ids[2] || data[1].(map[string]any)["id"] != ids[1] {
		t.Errorf("not newest first: %s", r.raw)
	}
	items := first["items"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["name"] != "Veg Thali" || items[0].(map[string]any)["unitPricePaise"] != 5000.0 {
		t.Errorf("items = %v", items)
	}
	if st := first["student"].(map[string]any); st["id"] != studentID || st["firstName"] != "Sam" {
		t.Errorf("student = %v", st)
	}

	r = f.call(routes.OrdersList, request{method: "GET", token: token, query: map[string]string{"limit": "2", "page": "2"}})
	if data := r.body["data"].([]any); len(data) != 1 || r.body["hasMore"] != false || data[0].(map[string]any)["id"] != ids[0] ||
		r.body["total"] != 3.0 || r.body["totalPages"] != 2.0 || r.body["hasNext"] != false || r.body["hasPrev"] != true {
		t.Errorf("page 2 = %s", r.raw)
	}
	r = f.call(routes.OrdersList, request{method: "GET", token: token, query: map[string]string{"page": "9"}})
	if r.status != 200 || len(r.body["data"].([]any)) != 0 {
		t.Errorf("page past the end = %d %s, want an empty page", r.status, r.raw)
	}

	// Sparse fields: exactly the named ones, in the struct's order.
	r = f.call(routes.OrdersList, request{method: "GET", token: token, query: map[string]string{"fields": "status,id", "limit": "1"}})
	if r.status != 200 || !strings.Contains(r.raw, `"data":[{"id":"`+ids[2]+`","status":"confirmed"}]`) ||
		r.body["total"] != 3.0 || r.body["totalPages"] != 3.0 || r.body["hasNext"] != true {
		t.Errorf("fields=status,id: %s", r.raw)
	}

	// The limit is capped at 100.
	r = f.call(routes.OrdersList, request{method: "GET", token: token, query: map[string]string{"limit": "1000"}})
	if r.status != 200 || r.body["limit"] != 100.0 || len(r.body["data"].([]any)) != 3 {
		t.Errorf("limit=1000: %d %s, want limit 100", r.status, r.raw)
	}

	// Another parent sees only their own order.
	r = f.call(routes.OrdersList, request{method: "GET", token: f.login("other@test.example")})
	if data := r.body["data"].([]any); len(data) != 1 || data[0].(map[string]any)["student"].(map[string]any)["id"] != otherStudent {
		t.Errorf("other parent sees %s", r.raw)
	}

	for _, tc := range []struct {
		query   map[string]string
		mention string
	}{
		{map[string]string{"page": "0"}, "page must be a positive integer"},
		{map[string]string{"page": "abc"}, "page must be a positive integer"},
		{map[string]string{"page": "100000"}, "page must be between"},
		{map[string]string{"limit": "-1"}, "limit must be a positive integer"},
		{map[string]string{"limit": "1.5"}, "limit must be a positive integer"},
		{map[string]string{"fields": "id,password"}, `unknown field "password"`},
	} {
		r := f.call(routes.OrdersList, request{method: "GET", token: token, query: tc.query})
		if r.status != 400 || !strings.Contains(r.errorMessage(), tc.mention) {
			t.Errorf("query %v: %d %s, want 400 mentioning %q", tc.query, r.status, r.raw, tc.mention)
		}
	}
}

func TestOrdersListCache(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	list := func() []any {
		r := f.call(routes.OrdersList, request{method: "GET", token: token})
		if r.status != 200 {
			t.Fatalf("list: %d %s", r.status, r.raw)
		}
		return r.body["data"].([]any)
	}
	if got := list(); len(got) != 0 {
		t.Fatalf("fresh list has %d orders", len(got))
	}
	// An order written behind the cache's back is not seen: the page is
	// served from Redis.
	f.insertOrder(parentID, studentID, f.tomorrow, "confirmed", "paid", time.Now())
	if got := list(); len(got) != 0 {
		t.Fatalf("second list has %d orders, want the cached empty page", len(got))
	}
	if !strings.Contains(f.metrics.String(), `"CacheHits":[1]`) || !strings.Contains(f.metrics.String(), `"Cache":"orders"`) {
		t.Errorf("no cache hit recorded: %s", f.metrics.String())
	}
	// The cached page lives for the plan's 300 s, beside the copy of the
	// user's order-list version it was read at.
	ttl := f.redisTTL("orders:{" + parentID + "}:head")
	if ttl <= 290*time.Second || ttl > 300*time.Second {
		t.Errorf("orders cache TTL = %s, want 300 s", ttl)
	}
	// Creating an order through the function invalidates the user's pages:
	// the next list shows both orders at once.
	r := f.call(routes.OrdersCreate, request{method: "POST", token: token, headers: map[string]string{"Idempotency-Key": "k1"},
		body: jsonBody(t, map[string]any{"studentId": studentID, "schoolId": schoolID, "deliveryDate": f.tomorrow,
			"items": []map[string]any{{"menuItemId": lunchID, "quantity": 1}}})})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	if got := list(); len(got) != 2 || got[0].(map[string]any)["id"] != r.body["id"] {
		t.Errorf("list after create = %v, want the new order first of 2", got)
	}
}

func newOrder(t *testing.T, f *fixture, items ...map[string]any) string {
	if len(items) == 0 {
		items = []map[string]any{{"menuItemId": lunchID, "quantity": 2}, {"menuItemId": snackID, "quantity": 1}}
	}
	return jsonBody(t, map[string]any{"studentId": studentID, "schoolId": schoolID, "deliveryDate": f.tomorrow, "items": items})
}

func TestOrdersCreate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	create := func(key, body string) response {
		return f.call(routes.OrdersCreate, request{method: "POST", token: token, body: body,
			headers: map[string]string{"Idempotency-Key": key}})
	}
	r := create("key-1", newOrder(t, f))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.raw)
	}
	// The amount is the server's: 2 × 5000 + 1 × 2000.
	if r.body["totalPaise"] != 12000.0 || r.body["status"] != "pending" || r.body["paymentStatus"] != "unpaid" {
		t.Errorf("created = %s", r.raw)
	}
	id := r.body["id"].(string)
	if n := f.count(`SELECT count(*) FROM order_items WHERE order_id = $1`, id); n != 2 {
		t.Errorf("stored %d items, want 2", n)
	}
	if n := f.count(`SELECT total_paise FROM orders WHERE id = $1`, id); n != 12000 {
		t.Errorf("stored total %d", n)
	}

	// A retry with the same key and body returns the same order.
	again := create("key-1", newOrder(t, f))
	if again.status != 200 || again.body["id"] != id || again.headers["Idempotent-Replayed"] != "true" {
		t.Errorf("retry: %d %s, want 200 with order %s", again.status, again.raw, id)
	}
	// The retry may list the items in another order.
	reordered := create("key-1", newOrder(t, f, map[string]any{"menuItemId": snackID, "quantity": 1},
		map[string]any{"menuItemId": lunchID, "quantity": 2}))
	if reordered.status != 200 || reordered.body["id"] != id {
		t.Errorf("retry with items reordered: %d %s, want 200 with order %s", reordered.status, reordered.raw, id)
	}
	// The same key with another request is a conflict.
	other := create("key-1", newOrder(t, f, map[string]any{"menuItemId": snackID, "quantity": 1}))
	if other.status != 409 || !strings.Contains(other.errorMessage(), "Idempotency-Key") {
		t.Errorf("key reuse: %d %s, want 409", other.status, other.raw)
	}
	if n := f.count(`SELECT count(*) FROM orders`); n != 1 {
		t.Errorf("%d orders stored, want 1", n)
	}

	// Concurrent requests with one key create one order.
	var wg sync.WaitGroup
	got := make([]response, 6)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = create("key-race", newOrder(t, f))
		}()
	}
	wg.Wait()
	created := 0
	for _, g := range got {
		switch g.status {
		case 201:
			created++
		case 200:
		default:
			t.Errorf("racing create: %d %s", g.status, g.raw)
		}
		if g.body["id"] != got[0].body["id"] {
			t.Errorf("racing creates returned different orders")
		}
	}
	if created != 1 || f.count(`SELECT count(*) FROM orders WHERE idempotency_key = 'key-race'`) != 1 {
		t.Errorf("racing creates: %d answered 201, want exactly 1 order", created)
	}
}

func TestOrdersCreateBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	yesterday := time.Now().In(time.FixedZone("IST", 5*3600+1800)).AddDate(0, 0, -1).Format(time.DateOnly)
	farAhead := time.Now().AddDate(0, 0, 40).Format(time.DateOnly)
	noMenu := time.Now().In(time.FixedZone("IST", 5*3600+1800)).AddDate(0, 0, 5).Format(time.DateOnly)
	body := func(mod func(m map[string]any)) string {
		m := map[string]any{"studentId": studentID, "schoolId": schoolID, "deliveryDate": f.tomorrow,
			"items": []map[string]any{{"menuItemId": lunchID, "quantity": 1}}}
		mod(m)
		return jsonBody(t, m)
	}
	item := func(id string, q any) []map[string]any { return []map[string]any{{"menuItemId": id, "quantity": q}} }
	for _, tc := range []struct {
		name    string
		key     string
		body    string
		status  int
		mention string
	}{
		{"no key", "", body(func(map[string]any) {}), 400, "Idempotency-Key header is required"},
		{"NUL in key", "k\x00", body(func(map[string]any) {}), 400, "without control characters"},
		{"key not UTF-8", "k\xff", body(func(map[string]any) {}), 400, "without control characters"},
		{"malformed", "k", `{"studentId":`, 400, "malformed JSON"},
		{"wrong type", "k", `{"studentId":"` + studentID + `","items":"many"}`, 400, "field items must be an array"},
		{"quantity wrong type", "k", body(func(m map[string]any) { m["items"] = item(lunchID, "two") }), 400, "must be an integer"},
		{"missing student", "k", body(func(m map[string]any) { delete(m, "studentId") }), 400, "studentId is required"},
		{"bad student id", "k", body(func(m map[string]any) { m["studentId"] = "42" }), 400, "studentId is not a valid id"},
		{"missing school", "k", body(func(m map[string]any) { delete(m, "schoolId") }), 400, "schoolId is required"},
		{"missing date", "k", body(func(m map[string]any) { delete(m, "deliveryDate") }), 400, "deliveryDate is required"},
		{"bad date", "k", body(func(m map[string]any) { m["deliveryDate"] = "31/12/2030" }), 400, "YYYY-MM-DD"},
		{"past date", "k", body(func(m map[string]any) { m["deliveryDate"] = yesterday }), 400, "in the past"},
		{"far date", "k", body(func(m map[string]any) { m["deliveryDate"] = farAhead }), 400, "at most 30 days"},
		{"no items", "k", body(func(m map[string]any) { m["items"] = []any{} }), 400, "at least one"},
		{"zero quantity", "k", body(func(m map[string]any) { m["items"] = item(lunchID, 0) }), 400, "quantity must be between"},
		{"huge quantity", "k", body(func(m map[string]any) { m["items"] = item(lunchID, 11) }), 400, "quantity must be between"},
		{"duplicate item", "k", body(func(m map[string]any) {
			m["items"] = []map[string]any{{"menuItemId": lunchID, "quantity": 1}, {"menuItemId": lunchID, "quantity": 1}}
		}), 400, "listed twice"},
		{"bad item id", "k", body(func(m map[string]any) { m["items"] = item("x", 1) }), 400, "not a valid id"},
		{"unknown field", "k", body(func(m map[string]any) { m["totalPaise"] = 1 }), 400, `unknown field "totalPaise"`},
		{"unknown student", "k", body(func(m map[string]any) { m["studentId"] = unknownID }), 404, "student"},
		{"someone else's student", "k", body(func(m map[string]any) { m["studentId"] = otherStudent }), 404, "student"},
		{"other school", "k", body(func(m map[string]any) { m["schoolId"] = otherSchoolID }), 400, "does not attend"},
		{"no menu that day", "k", body(func(m map[string]any) { m["deliveryDate"] = noMenu }), 404, "no menu"},
		{"item not on menu", "k", body(func(m map[string]any) { m["items"] = item(offMenuID, 1) }), 400, "not on the menu"},
		{"unknown item", "k", body(func(m map[string]any) { m["items"] = item(unknownID, 1) }), 400, "not on the menu"},
		{"sold out", "k", body(func(m map[string]any) { m["items"] = item(soldOutID, 1) }), 409, "not available"},
		{"oversize", "k", `{"studentId":"` + strings.Repeat("a", 70_000) + `"}`, 413, "exceeds"},
	} {
		headers := map[string]string{}
		if tc.key != "" {
			headers["Idempotency-Key"] = tc.key + "-" + tc.name
		}
		r := f.call(routes.OrdersCreate, request{method: "POST", token: token, body: tc.body, headers: headers})
		if r.status != tc.status || !strings.Contains(r.errorMessage(), tc.mention) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, r.status, r.raw, tc.status, tc.mention)
		}
	}
	if n := f.count(`SELECT count(*) FROM orders`) + f.count(`SELECT count(*) FROM order_items`); n != 0 {
		t.Errorf("bad requests wrote %d rows", n)
	}
}

// TestOrdersCreateIsAtomic makes the items insert fail inside the
// transaction and checks that no order is left behind.
func TestOrdersCreateIsAtomic(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.exec(`CREATE FUNCTION fail_items() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'simulated failure writing order items'; END $$`)
	f.exec(`CREATE TRIGGER fail_items BEFORE INSERT ON order_items FOR EACH ROW EXECUTE FUNCTION fail_items()`)
	token := f.login("parent@test.example")
	r := f.call(routes.OrdersCreate, request{method: "POST", token: token, body: newOrder(t, f),
		headers: map[string]string{"Idempotency-Key": "atomic"}})
	if r.status != 500 || r.errorMessage() != "internal error" {
		t.Errorf("create with failing items: %d %s, want 500 with a generic message", r.status, r.raw)
	}
	if n := f.count(`SELECT count(*) FROM orders`); n != 0 {
		t.Errorf("%d orders left behind by a failed create", n)
	}
	// And with the fault gone, the same key creates the order.
	f.exec(`DROP TRIGGER fail_items ON order_items`)
	r = f.call(routes.OrdersCreate, request{method: "POST", token: token, body: newOrder(t, f),
		headers: map[string]string{"Idempotency-Key": "atomic"}})
	if r.status != 201 {
		t.Errorf("create after the fault: %d %s", r.status, r.raw)
	}
}
