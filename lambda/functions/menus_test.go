package functions_test

import (
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
