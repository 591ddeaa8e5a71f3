package redis

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/lambda/menus"
	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/orders"
)

// ListVersionTTL is how long Redis keeps its copy of a user's order-list
// version before a reader checks it against PostgreSQL again. It bounds
// how stale an order list can be after a write whose new version could
// not be written to Redis (Redis down or hung at that moment): at most
// this long after the write. The price is one primary-key read per active
// user per ListVersionTTL.
const ListVersionTTL = 30 * time.Second

// ListVersions reads users' committed order-list versions, the authority
// behind Redis's copies.
type ListVersions interface {
	// OrderListVersion returns the user's order-list version, 0 if it was
	// never raised. Errors: Unavailable.
	OrderListVersion(ctx context.Context, userID string) (int64, error)
}

// OrderPages adapts the cache to orders.PageCache with versioned entries,
// so that cache-aside cannot serve a page older than a write that was
// answered:
//
//   - orders:{user}:v holds a copy of the user's order-list version
//     (order_list_versions in PostgreSQL, raised in every write's
//     transaction) for ListVersionTTL (Config.VersionTTL); a missing copy
//     is read from PostgreSQL and put back.
//   - orders:{user}:p<page>:l<limit> holds a page with the version it was
//     read at, for the plan's five minutes; it is served only if that
//     version is at least the copy's.
//
// Both keys are read with one MGET (the braces keep them in one slot, so
// this holds under cluster mode too). A write raises the copy to its new
// version before it is answered (Changed). So a reader that read the
// database before the write, and stores its page after the write's
// invalidation (the classic cache-aside race), stores it under the old
// version, where no later reader looks. The copy is only ever raised,
// never lowered, by a Lua script. Nothing is deleted and nothing scans:
// pages of old versions expire with their TTL.
type OrderPages struct {
	Cache    *Cache
	Versions ListVersions
}

var _ orders.PageCache = OrderPages{}

// raiseScript sets KEYS[1] to ARGV[1] for ARGV[2] milliseconds unless it
// holds a version at least as high. A reader that read an old version
// from PostgreSQL before a write cannot put it back over the write's.
var raiseScript = goredis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '-1')
if tonumber(ARGV[1]) > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`)

// versionedPage is a cached page with the version it was read at.
type versionedPage struct {
	Version int64           `json:"v"`
	Page    json.RawMessage `json:"p"`
}

func (a OrderPages) versionKey(userID string) string {
	return a.Cache.key(OrderList, "{"+userID+"}:v")
}

func (a OrderPages) pageKey(userID string, page, limit int) string {
	return a.Cache.key(OrderList, "{"+userID+"}:p"+strconv.Itoa(page)+":l"+strconv.Itoa(limit))
}

// Page implements orders.PageCache.
func (a OrderPages) Page(ctx context.Context, userID string, page, limit int, dst *orders.Page) (orders.Version, bool) {
	if a.Cache == nil {
		return orders.NoVersion, false
	}
	var vals []any
	err := a.Cache.call(ctx, OrderList, "mget", func() (err error) {
		vals, err = a.Cache.rdb.MGet(ctx, a.versionKey(userID), a.pageKey(userID, page, limit)).Result()
		return err
	})
	if err != nil || len(vals) != 2 {
		return orders.NoVersion, false // Redis is failing: do not cache either
	}
	current, known := parseVersion(vals[0])
	if !known {
		v, err := a.Versions.OrderListVersion(ctx, userID)
		if err != nil {
			return orders.NoVersion, false
		}
		current = v
		a.raise(ctx, userID, v)
	}
	if s, ok := vals[1].(string); ok {
		var e versionedPage
		if json.Unmarshal([]byte(s), &e) == nil && e.Version >= current && json.Unmarshal(e.Page, dst) == nil {
			a.Cache.count(ctx, metrics.CacheHits, OrderList)
			return orders.Version(current), true
		}
	}
	a.Cache.count(ctx, metrics.CacheMisses, OrderList)
	return orders.Version(current), false
}

func parseVersion(v any) (int64, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// StorePage implements orders.PageCache.
func (a OrderPages) StorePage(ctx context.Context, userID string, v orders.Version, page, limit int, p *orders.Page) {
	if a.Cache == nil || v < 0 {
		return
	}
	pb, err := json.Marshal(p)
	if err != nil {
		a.Cache.failed(ctx, OrderList, "encode", err)
		return
	}
	b, _ := json.Marshal(versionedPage{Version: int64(v), Page: pb})
	_ = a.Cache.call(ctx, OrderList, "set", func() error {
		return a.Cache.rdb.Set(ctx, a.pageKey(userID, page, limit), b, OrderList.TTL).Err()
	})
}

// Changed implements orders.PageCache: the copy of the version is raised
// for ListVersionTTL. If Redis cannot be reached, the copy it holds
// expires within ListVersionTTL and readers then learn the new version
// from PostgreSQL.
func (a OrderPages) Changed(ctx context.Context, userID string, version int64) {
	if a.Cache == nil {
		return
	}
	a.raise(ctx, userID, version)
}

func (a OrderPages) raise(ctx context.Context, userID string, version int64) {
	_ = a.Cache.call(ctx, OrderList, "raise-version", func() error {
		return raiseScript.Run(ctx, a.Cache.rdb, []string{a.versionKey(userID)},
			version, a.Cache.versionTTL.Milliseconds()).Err()
	})
}

// Menus adapts the cache to menus.Cache, one key per school and date:
// menu:<schoolID>:<date>. Menus have no write path in this platform (they
// are published by the school's tools, straight to the database), so a
// menu entry lives out the plan's two hours.
type Menus struct{ Cache *Cache }

var _ menus.Cache = Menus{}

// Menu implements menus.Cache.
func (a Menus) Menu(ctx context.Context, schoolID, date string, dst *menus.Menu) bool {
	return a.Cache.Get(ctx, DailyMenu, schoolID+":"+date, dst)
}

// StoreMenu implements menus.Cache.
func (a Menus) StoreMenu(ctx context.Context, m *menus.Menu) {
	a.Cache.Set(ctx, DailyMenu, m.SchoolID+":"+m.Date, m)
}
