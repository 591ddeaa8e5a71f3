package functions_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/analytics"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/freshness"
	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
	"github.com/hasivu/infra/lambda/routes"
)

// summary reads the school's analytics from from to to with token.
func (f *fixture) summary(token, school, from, to string) response {
	f.t.Helper()
	q := map[string]string{}
	if from != "" {
		q["from"] = from
	}
	if to != "" {
		q["to"] = to
	}
	return f.call(routes.AnalyticsDaily, request{method: "GET", token: token, params: map[string]string{"schoolId": school}, query: q})
}

// days reads a summary answer's days as "date orders/paid/meals/revenue".
func days(t *testing.T, r response) []string {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("analytics: %d %s", r.status, r.raw)
	}
	var s analytics.Summary
	if err := json.Unmarshal([]byte(r.raw), &s); err != nil {
		t.Fatal(err)
	}
	var out []string
	var sum analytics.Totals
	for _, d := range s.Days {
		out = append(out, fmt.Sprintf("%s %d/%d/%d/%d", d.Date, d.Orders, d.PaidOrders, d.MealsCollected, d.RevenuePaise))
		sum.Orders, sum.PaidOrders = sum.Orders+d.Orders, sum.PaidOrders+d.PaidOrders
		sum.MealsCollected, sum.RevenuePaise = sum.MealsCollected+d.MealsCollected, sum.RevenuePaise+d.RevenuePaise
	}
	if s.Totals != sum {
		t.Errorf("totals %+v, want the days' sum %+v", s.Totals, sum)
	}
	return out
}

func TestAnalyticsDaily(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	yesterday := time.Now().In(time.FixedZone("IST", 5*3600+1800)).AddDate(0, 0, -1).Format(time.DateOnly)
	f.insertOrder(parentID, studentID, f.today, "confirmed", "paid", time.Now().Add(-time.Hour))
	f.insertOrder(otherParentID, otherStudent, f.today, "pending", "unpaid", time.Now().Add(-time.Hour))
	f.insertOrder(parentID, studentID, f.tomorrow, "cancelled", "unpaid", time.Now().Add(-time.Hour))
	admin := f.login("admin@test.example")
	want := []string{yesterday + " 0/0/0/0", f.today + " 2/1/0/7000", f.tomorrow + " 0/0/0/0"}
	if got := days(t, f.summary(admin, schoolID, yesterday, f.tomorrow)); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("summary %v, want %v", got, want)
	}
	// Kitchen staff of the school may read it too, from the cache: an
	// hour under the school and the range.
	if ttl := f.redisTTL("analytics:{" + schoolID + "}:" + yesterday + ":" + f.tomorrow); ttl <= 3590*time.Second || ttl > time.Hour {
		t.Errorf("analytics cache TTL = %s, want 3600 s", ttl)
	}
	before := f.metrics.String()
	if got := days(t, f.summary(f.login("kitchen@test.example"), strings.ToUpper(schoolID), yesterday, f.tomorrow)); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("kitchen staff's summary %v, want %v", got, want)
	}
	if after := strings.TrimPrefix(f.metrics.String(), before); !strings.Contains(after, `"Cache":"analytics"`) ||
		!strings.Contains(after, `"CacheHits":[1]`) || strings.Contains(after, `"analytics.daily"`) {
		t.Errorf("second read was not a cache hit: %s", after)
	}

	// That school's staff only.
	for _, tc := range []struct {
		name, token string
		status      int
	}{
		{"another school's staff", f.login("kitchen2@test.example"), 403},
		{"a parent", f.login("parent@test.example"), 403},
		{"a platform admin", signedToken(t, adminID, "admin", ""), 403},
		{"a school admin's token for another school", signedToken(t, adminID, "school_admin", otherSchoolID), 403},
		{"no token", "", 401},
		{"an inactive account", signedToken(t, inactiveID, "school_admin", schoolID), 403},
	} {
		if r := f.summary(tc.token, schoolID, f.today, f.today); r.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.raw, tc.status)
		}
	}

	month := time.Now().AddDate(0, 0, -30).Format(time.DateOnly)
	for _, tc := range []struct {
		school, from, to, field string
	}{
		{"not-an-id", f.today, f.today, "schoolId"},
		{schoolID, "", f.today, "from"},
		{schoolID, f.today, "", "to"},
		{schoolID, "yesterday", f.today, "from"},
		{schoolID, f.today, "2026-02-30", "to"},
		{schoolID, f.tomorrow, f.today, "to"},
		{schoolID, month, f.tomorrow, "to"}, // 32 days
		{schoolID, "0001-01-01", "9999-12-31", "to"},
	} {
		r := f.summary(admin, tc.school, tc.from, tc.to)
		e, _ := r.body["error"].(map[string]any)
		if r.status != 400 || e["field"] != tc.field {
			t.Errorf("school %q from %q to %q: %d %s, want 400 on %s", tc.school, tc.from, tc.to, r.status, r.raw, tc.field)
		}
	}
	// The longest range is fine.
	if got := days(t, f.summary(admin, schoolID, time.Now().AddDate(0, 0, -29).Format(time.DateOnly), f.tomorrow)); len(got) != analytics.MaxDays {
		t.Errorf("a %d-day range has %d days", analytics.MaxDays, len(got))
	}
}

// TestAnalyticsFollowsEveryWrite: with the summary cached, each write
// that changes it (an order placed, a payment settling it, a meal
// collected, a refund) is in the next read after the write was answered.
func TestAnalyticsFollowsEveryWrite(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.insertOrder(parentID, studentID, f.today, "confirmed", "paid", time.Now().Add(-time.Hour))
	admin := f.login("admin@test.example")
	parent := f.login("parent@test.example")
	read := func() string { return strings.Join(days(t, f.summary(admin, schoolID, f.today, f.tomorrow)), ",") }
	step := func(what, want string) {
		t.Helper()
		if got := read(); got != want {
			t.Errorf("after %s: %s, want %s", what, got, want)
		}
	}
	step("the start", f.today+" 1/1/0/7000,"+f.tomorrow+" 0/0/0/0")
	step("a cached read", f.today+" 1/1/0/7000,"+f.tomorrow+" 0/0/0/0")

	order := f.createOrder(parent, "analytics-1") // one Veg Thali, 5000 paise, for tomorrow
	step("an order placed", f.today+" 1/1/0/7000,"+f.tomorrow+" 1/0/0/0")

	r := f.checkout(parent, order)
	if r.status != 201 {
		t.Fatalf("checkout: %d %s", r.status, r.raw)
	}
	p := razorpaytest.Payment{ID: "pay_analytics", OrderID: r.body["razorpayOrderId"].(string), Amount: 5000}
	f.wantWebhook(t, "capture", razorpaytest.PaymentEvent("payment.captured", p), "paid", "")
	step("a payment settling it", f.today+" 1/1/0/7000,"+f.tomorrow+" 1/1/0/5000")

	if r := f.call(routes.RFIDVerifyCard, request{method: "POST", token: f.login("kitchen@test.example"), body: `{"cardNumber":"` + cardNumber + `"}`}); r.status != 200 {
		t.Fatalf("tap: %d %s", r.status, r.raw)
	}
	step("a meal collected", f.today+" 1/1/1/7000,"+f.tomorrow+" 1/1/0/5000")

	f.wantWebhook(t, "refund", razorpaytest.RefundEvent("rfnd_analytics", p, 5000), "refunded", "")
	step("a refund", f.today+" 1/1/1/7000,"+f.tomorrow+" 1/0/0/0")
	// Writes for another school leave this one's cached summary alone.
	before := f.metrics.String()
	step("nothing", f.today+" 1/1/1/7000,"+f.tomorrow+" 1/0/0/0")
	if after := strings.TrimPrefix(f.metrics.String(), before); !strings.Contains(after, `"CacheHits":[1]`) {
		t.Errorf("a read with no write between missed the cache: %s", after)
	}
}

// heldSummaries holds a reader between its database read and its cache
// store: the interleaving point of the cache-aside race.
type heldSummaries struct {
	freshness.Cache[analytics.Summary]
	reached, release chan struct{}
}

func (h heldSummaries) Put(ctx context.Context, scope, key string, v freshness.Version, s *analytics.Summary) {
	close(h.reached)
	<-h.release
	h.Cache.Put(ctx, scope, key, v, s)
}

// TestAnalyticsReadRacingTapIsNeverStale drives the cache-aside race
// deterministically: a summary read misses, reads the database and is
// held before it stores what it read; a meal is collected and the tap is
// answered; then the held reader stores its summary without the meal.
// Every read that starts after the tap's answer counts the meal.
func TestAnalyticsReadRacingTapIsNeverStale(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.insertOrder(parentID, studentID, f.today, "confirmed", "paid", time.Now().Add(-time.Hour))
	admin := f.login("admin@test.example")
	svc := f.deps.AnalyticsService()
	held := heldSummaries{Cache: svc.Cache, reached: make(chan struct{}), release: make(chan struct{})}
	svc.Cache = held
	claims := &auth.Claims{UserID: adminID, Role: auth.RoleSchoolAdmin, SchoolID: schoolID}
	done := make(chan *analytics.Summary)
	go func() {
		s, err := svc.Daily(context.Background(), claims, schoolID, f.today, f.today)
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	<-held.reached // the reader has counted no meal
	if r := f.call(routes.RFIDVerifyCard, request{method: "POST", token: f.login("kitchen@test.example"), body: `{"cardNumber":"` + cardNumber + `"}`}); r.status != 200 {
		t.Fatalf("tap: %d %s", r.status, r.raw)
	}
	close(held.release)
	if s := <-done; s.Totals.MealsCollected != 0 {
		t.Fatalf("the held reader counted %d meals, want the summary from before the tap", s.Totals.MealsCollected)
	}
	for range 3 {
		if got := days(t, f.summary(admin, schoolID, f.today, f.today)); got[0] != f.today+" 1/1/1/7000" {
			t.Fatalf("summary after the tap was answered: %v", got)
		}
	}
}
