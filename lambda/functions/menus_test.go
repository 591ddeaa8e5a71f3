package functions_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/routes"
)

func TestMenusDaily(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	get := func(school, date string) response {
		return f.call(routes.MenusDaily, request{method: "GET", params: map[string]string{"schoolId": school, "date": date}})
	}
	r := get(schoolID, f.today)
	if r.status != 200 {
		t.Fatalf("menu: %d %s", r.status, r.raw)
	}
	items := r.body["items"].([]any)
	if len(items) != 3 || r.body["schoolName"] != "Test School" || r.body["date"] != f.today {
		t.Fatalf("menu = %s", r.raw)
	}
	names := []string{}
	for _, it := range items {
		names = append(names, it.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "Veg Thali,Samosa,Mango Lassi" {
		t.Errorf("items in order %v, want the menu's sort order", names)
	}
	if sold := items[2].(map[string]any); sold["available"] != false || sold["pricePaise"] != 3000.0 {
		t.Errorf("sold-out item = %v", sold)
	}
	// Cached for 7200 s under the school and date: a change behind the
	// cache's back is not seen until the entry expires.
	if ttl := f.redisTTL("menu:" + schoolID + ":" + f.today); ttl <= 7190*time.Second || ttl > 7200*time.Second {
		t.Errorf("menu cache TTL = %s, want 7200 s", ttl)
	}
	f.exec(`UPDATE menu_items SET name = 'Renamed' WHERE id = $1`, lunchID)
	if r := get(schoolID, f.today); !strings.Contains(r.raw, "Veg Thali") {
		t.Errorf("second read did not come from the cache: %s", r.raw)
	}
	if !strings.Contains(f.metrics.String(), `"Cache":"menu"`) || !strings.Contains(f.metrics.String(), `"CacheHits":[1]`) {
		t.Errorf("no menu cache hit recorded")
	}

	for _, tc := range []struct {
		school, date string
		status       int
		mention      string
	}{
		{unknownID, f.today, 404, "school " + unknownID + " not found"},
		{schoolID, "2001-01-01", 404, "no menu"},
		{otherSchoolID, f.today, 404, "no menu"},
		{"not-an-id", f.today, 400, "schoolId is not a valid id"},
		{schoolID, "tomorrow", 400, "YYYY-MM-DD"},
		{schoolID, "2026-02-30", 400, "YYYY-MM-DD"},
	} {
		r := get(tc.school, tc.date)
		if r.status != tc.status || !strings.Contains(r.errorMessage(), tc.mention) {
			t.Errorf("menu of %s on %s: %d %s, want %d mentioning %q", tc.school, tc.date, r.status, r.raw, tc.status, tc.mention)
		}
	}
}

func TestMenusItems(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	get := func(school string) response {
		return f.call(routes.MenusDaily, request{method: "GET", params: map[string]string{"schoolId": school}})
	}
	r := get(schoolID)
	if r.status != 200 || r.body["schoolId"] != schoolID || r.body["schoolName"] != "Test School" {
		t.Fatalf("menu items: %d %s", r.status, r.raw)
	}
	// Every item of the school, on today's menu or not, by category and
	// name.
	var names []string
	for _, it := range r.body["items"].([]any) {
		names = append(names, it.(map[string]any)["name"].(string))
	}
	if strings.Join(names, ",") != "Mango Lassi,Poha,Veg Thali,Samosa" {
		t.Errorf("items %v, want the catalogue by category and name", names)
	}
	if sold := r.body["items"].([]any)[0].(map[string]any); sold["id"] != soldOutID || sold["available"] != false ||
		sold["pricePaise"] != 3000.0 || sold["category"] != "beverage" || sold["allergens"] == nil {
		t.Errorf("sold-out item = %v", sold)
	}
	// Cached for the plan's 1800 s under the school; nothing in the
	// platform writes menu items, so a change made behind the platform's
	// back is seen when the entry expires.
	if ttl := f.redisTTL("menu-items:" + schoolID); ttl <= 1790*time.Second || ttl > 1800*time.Second {
		t.Errorf("menu items cache TTL = %s, want 1800 s", ttl)
	}
	f.exec(`UPDATE menu_items SET name = 'Renamed' WHERE id = $1`, lunchID)
	before := f.metrics.String()
	if r := get(strings.ToUpper(schoolID)); !strings.Contains(r.raw, "Veg Thali") {
		t.Errorf("second read did not come from the cache: %s", r.raw)
	}
	if after := strings.TrimPrefix(f.metrics.String(), before); !strings.Contains(after, `"Cache":"menu-items"`) ||
		!strings.Contains(after, `"CacheHits":[1]`) || strings.Contains(after, `"menus.items"`) {
		t.Errorf("no menu-items cache hit recorded: %s", after)
	}

	// A school without items has an empty catalogue, not null.
	if r := get(otherSchoolID); r.status != 200 || r.body["items"] == nil || len(r.body["items"].([]any)) != 0 {
		t.Errorf("school without items: %d %s", r.status, r.raw)
	}
	for _, tc := range []struct {
		school  string
		status  int
		mention string
	}{
		{unknownID, 404, "school " + unknownID + " not found"},
		{"not-an-id", 400, "schoolId is not a valid id"},
		{"", 400, "schoolId is not a valid id"},
	} {
		r := get(tc.school)
		if r.status != tc.status || !strings.Contains(r.errorMessage(), tc.mention) {
			t.Errorf("menu items of %q: %d %s, want %d mentioning %q", tc.school, r.status, r.raw, tc.status, tc.mention)
		}
	}
	// An unknown school is not cached: it may be created.
	if n, _ := f.redis.Exists(context.Background(), f.prefix+"menu-items:"+unknownID).Result(); n != 0 {
		t.Error("a 404 was cached")
	}
}
