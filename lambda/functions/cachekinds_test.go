package functions_test

import (
	"regexp"
	"testing"

	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/routes"
)

// TestEveryCacheKindIsRead: every kind of cached entry redis declares is
// read by a route (the plan's cache table, one route per row), which
// counts its hits under the kind's name; a kind nothing reads is a TTL
// with no effect and is removed instead. Each cached read is sent twice:
// a miss, then a hit.
func TestEveryCacheKindIsRead(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	parent := f.login("parent@test.example")
	admin := f.login("admin@test.example")
	for _, read := range []struct {
		fn  string
		req request
	}{
		{routes.OrdersList, request{method: "GET", token: parent}},
		{routes.MenusDaily, request{method: "GET", params: map[string]string{"schoolId": schoolID, "date": f.today}}},
		{routes.MenusDaily, request{method: "GET", params: map[string]string{"schoolId": schoolID}}},
		{routes.Profile, request{method: "GET", token: parent}},
		{routes.PaymentsCreateOrder, request{method: "GET", token: parent}},
		{routes.AnalyticsDaily, request{method: "GET", token: admin, params: map[string]string{"schoolId": schoolID},
			query: map[string]string{"from": f.today, "to": f.today}}},
	} {
		for range 2 {
			if r := f.call(read.fn, read.req); r.status != 200 {
				t.Fatalf("%s %s: %d %s", read.fn, read.req.method, r.status, r.raw)
			}
		}
	}
	hits := map[string]bool{}
	for _, m := range regexp.MustCompile(`"Cache":"([^"]+)","CacheHits":\[1\]`).FindAllStringSubmatch(f.metrics.String(), -1) {
		hits[m[1]] = true
	}
	for _, k := range redis.Kinds {
		if !hits[k.Name] {
			t.Errorf("cache kind %q was never read (hit) by the routes of the cache table", k.Name)
		}
	}
	if len(hits) != len(redis.Kinds) {
		t.Errorf("hits under %v, kinds declared %v", hits, redis.Kinds)
	}
}
