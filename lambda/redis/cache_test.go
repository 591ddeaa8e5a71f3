package redis_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/lambda/emf"
	"github.com/hasivu/infra/lambda/freshness"
	"github.com/hasivu/infra/lambda/orders"
	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/testsupport"
)

func TestKindsFollowThePlan(t *testing.T) {
	want := map[string]time.Duration{"profile": time.Hour, "orders": 5 * time.Minute, "menu-items": 30 * time.Minute,
		"payment-methods": 30 * time.Minute, "analytics": time.Hour, "menu": 2 * time.Hour}
	for _, k := range redis.Kinds {
		if want[k.Name] != k.TTL {
			t.Errorf("%s TTL %s, want %s", k.Name, k.TTL, want[k.Name])
		}
		delete(want, k.Name)
	}
	if len(want) != 0 {
		t.Errorf("kinds missing: %v", want)
	}
}

// versions is an in-memory stand-in for PostgreSQL's order_list_versions.
type versions struct {
	mu    sync.Mutex
	v     map[string]int64
	reads int
}

func (s *versions) OrderListVersion(_ context.Context, user string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	return s.v[user], nil
}

func (s *versions) set(user string, v int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.v[user] = v
}

func newCache(t *testing.T, addr, prefix string, cfg redis.Config) *redis.Cache {
	t.Helper()
	rdb := goredis.NewClient(redis.Options(addr, false, ""))
	t.Cleanup(func() { rdb.Close() })
	cfg.Prefix = prefix
	return redis.New(rdb, cfg)
}

func recorderCtx() (context.Context, *emf.Recorder) {
	rec := emf.NewRecorder("test", "t")
	return emf.NewContext(context.Background(), rec), rec
}

func page(id string) *orders.Page {
	return &orders.Page{Orders: []orders.Order{{ID: id}}, Page: 1, Limit: 20}
}

// TestOrderPagesServeOnlyTheCurrentVersion drives the versioned entries
// through the interleavings that made cache-aside serve stale lists.
func TestOrderPagesServeOnlyTheCurrentVersion(t *testing.T) {
	t.Parallel()
	addr, prefix := testsupport.Redis(t)
	db := &versions{v: map[string]int64{}}
	pages := redis.OrderPages{Cache: newCache(t, addr, prefix, redis.Config{}), Versions: db}
	ctx, _ := recorderCtx()
	rdb := goredis.NewClient(&goredis.Options{Addr: addr})
	defer rdb.Close()
	var got orders.Page
	lookup := func() (orders.Version, string) {
		got = orders.Page{}
		v, hit := pages.Page(ctx, "u1", 1, 20, &got)
		if !hit {
			return v, ""
		}
		return v, got.Orders[0].ID
	}

	// A first reader learns version 0 from the database and caches its page.
	v, hit := lookup()
	if hit != "" || v != 0 || db.reads != 1 {
		t.Fatalf("first lookup = %d %q after %d reads, want a miss at version 0 read from the database", v, hit, db.reads)
	}
	pages.StorePage(ctx, "u1", v, 1, 20, page("a"))
	if v, hit := lookup(); hit != "a" || v != 0 || db.reads != 1 {
		t.Fatalf("second lookup = %d %q after %d reads, want a hit on the copy of the version", v, hit, db.reads)
	}

	// The race: a reader learnt version 0 and read the database; a write
	// commits version 1 and announces it; the reader stores its old page
	// after that. The page is stored, but under version 0: never served.
	stale, _ := lookup()
	db.set("u1", 1)
	pages.Changed(ctx, "u1", 1)
	pages.StorePage(ctx, "u1", stale, 1, 20, page("old"))
	if v, hit := lookup(); hit != "" || v != 1 {
		t.Fatalf("after the write: %d %q, want a miss at version 1", v, hit)
	}
	pages.StorePage(ctx, "u1", 1, 1, 20, page("new"))
	if _, hit := lookup(); hit != "new" {
		t.Fatalf("after the fresh page: %q", hit)
	}

	// The copy of the version is only ever raised: a reader putting back
	// an older version it read cannot undo a write's announcement.
	pages.Changed(ctx, "u1", 0)
	if v, _ := lookup(); v != 1 {
		t.Errorf("version went back to %d", v)
	}
	// ...and it expires after ListVersionTTL, which bounds how long a
	// write that could not reach Redis goes unseen.
	ttl, err := rdb.PTTL(ctx, prefix+"orders:{u1}:v").Result()
	if err != nil || ttl <= 0 || ttl > redis.ListVersionTTL {
		t.Errorf("version copy TTL = %s (%v), want at most %s", ttl, err, redis.ListVersionTTL)
	}
	// A write the cache never heard of (Redis was down) is seen once the
	// copy is gone: the reader goes back to the database for the version.
	db.set("u1", 2)
	rdb.Del(ctx, prefix+"orders:{u1}:v") // as if ListVersionTTL had passed
	if v, hit := lookup(); hit != "" || v != 2 {
		t.Errorf("after the copy expired: %d %q, want a miss at version 2", v, hit)
	}
	// Pages keep the plan's five minutes.
	if ttl := rdb.TTL(ctx, prefix+"orders:{u1}:p1:l20").Val(); ttl <= 290*time.Second || ttl > 300*time.Second {
		t.Errorf("page TTL %s, want 300 s", ttl)
	}
}

// scopeVersions is an in-memory stand-in for cache_versions, one scope.
type scopeVersions map[string]int64

func (s scopeVersions) Version(_ context.Context, id string) (int64, error) { return s[id], nil }

// TestVersionedKindsKeepTheirOwnVersions: two kinds versioned by the same
// id (a user's profile, a school's summaries share no id, but nothing
// stops them) keep separate copies of the version and separate entries,
// each with its kind's TTL, so a write announced for one retires nothing
// of the other.
func TestVersionedKindsKeepTheirOwnVersions(t *testing.T) {
	t.Parallel()
	addr, prefix := testsupport.Redis(t)
	c := newCache(t, addr, prefix, redis.Config{})
	ctx, _ := recorderCtx()
	rdb := goredis.NewClient(&goredis.Options{Addr: addr})
	defer rdb.Close()
	type answer struct{ V string }
	profiles := redis.Versioned[answer]{Cache: c, Kind: redis.Profile, Versions: scopeVersions{"x": 3}}
	summaries := redis.Versioned[answer]{Cache: c, Kind: redis.Analytics, Versions: scopeVersions{"x": 7}}
	for _, k := range []struct {
		cache redis.Versioned[answer]
		want  freshness.Version
	}{{profiles, 3}, {summaries, 7}} {
		var a answer
		v, hit := k.cache.Get(ctx, "x", "k", &a)
		if hit || v != k.want {
			t.Fatalf("%s: first read %d %v, want a miss at %d", k.cache.Kind.Name, v, hit, k.want)
		}
		k.cache.Put(ctx, "x", "k", v, &answer{k.cache.Kind.Name})
	}
	profiles.Changed(ctx, "x", 4)
	var a answer
	if v, hit := profiles.Get(ctx, "x", "k", &a); hit || v != 4 {
		t.Errorf("profile after its write: %d %v, want a miss at 4", v, hit)
	}
	if v, hit := summaries.Get(ctx, "x", "k", &a); !hit || v != 7 || a.V != "analytics" {
		t.Errorf("summary after the profile's write: %d %v %q, want its own entry at 7", v, hit, a.V)
	}
	if ttl := rdb.TTL(ctx, prefix+"analytics:{x}:k").Val(); ttl <= time.Hour-10*time.Second || ttl > time.Hour {
		t.Errorf("summary TTL %s, want an hour", ttl)
	}
}

func TestNilCacheMisses(t *testing.T) {
	var c *redis.Cache
	var v any
	c.Set(context.Background(), redis.DailyMenu, "k", 1)
	if c.Get(context.Background(), redis.DailyMenu, "k", &v) {
		t.Error("nil cache hit")
	}
	pages := redis.OrderPages{}
	if v, hit := pages.Page(context.Background(), "u", 1, 1, &orders.Page{}); hit || v != orders.NoVersion {
		t.Error("nil cache gave a page or a version")
	}
}

func TestOptionsFailFast(t *testing.T) {
	o := redis.Options("master.hasivu.cache.amazonaws.com:6379", true, "token")
	if o.TLSConfig == nil || o.TLSConfig.ServerName != "master.hasivu.cache.amazonaws.com" || o.Password != "token" {
		t.Errorf("TLS options = %+v", o.TLSConfig)
	}
	if o.MaxRetries != -1 || o.DialTimeout > 200*time.Millisecond || o.ReadTimeout > 100*time.Millisecond {
		t.Errorf("options do not fail fast: retries %d, dial %s, read %s", o.MaxRetries, o.DialTimeout, o.ReadTimeout)
	}
	if local := redis.Options("127.0.0.1:6379", false, ""); local.TLSConfig != nil {
		t.Error("TLS without REDIS_TLS")
	}
}

// TestBreakerSkipsAHungRedis puts a hung server (accepts, never answers)
// behind the cache: after TripAfter failed calls, calls no longer reach
// it at all, so they cost nothing; each is still counted as a cache
// error.
func TestBreakerSkipsAHungRedis(t *testing.T) {
	t.Parallel()
	addr, prefix := testsupport.Redis(t)
	proxy := testsupport.NewProxy(t, addr)
	proxy.SetMode(testsupport.Hung)
	c := newCache(t, proxy.Addr, prefix, redis.Config{TripAfter: 3, Cooldown: time.Hour})
	ctx, rec := recorderCtx()
	var v int
	for range 3 {
		if c.Get(ctx, redis.DailyMenu, "k", &v) {
			t.Fatal("hit from a hung server")
		}
	}
	conns, sent := proxy.Accepted()
	if conns == 0 || sent == 0 {
		t.Fatalf("the first calls never reached the hung server (%d connections, %d bytes)", conns, sent)
	}
	for range 50 {
		c.Get(ctx, redis.DailyMenu, "k", &v)
		c.Set(ctx, redis.DailyMenu, "k", 1)
	}
	if c2, s2 := proxy.Accepted(); c2 != conns || s2 != sent {
		t.Errorf("with the breaker open, calls still reached the hung server: %d→%d connections, %d→%d bytes", conns, c2, sent, s2)
	}
	var b strings.Builder
	if err := rec.Flush(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"CacheErrors":[103]`) {
		t.Errorf("want 103 cache errors counted (3 failed, 100 skipped): %s", b.String())
	}
}

// TestBreakerProbesAndRecovers cuts Redis off, trips the breaker, brings
// Redis back with its data, and checks that a probe closes the breaker
// and the cached entry is served again. A cooldown of a nanosecond makes
// every call after the trip a probe, without waiting.
func TestBreakerProbesAndRecovers(t *testing.T) {
	t.Parallel()
	addr, prefix := testsupport.Redis(t)
	proxy := testsupport.NewProxy(t, addr)
	// Timeouts of seconds, not the functions' 50 ms: with Redis up, a
	// loaded machine's slow reply must not count as a failure here.
	o := redis.Options(proxy.Addr, false, "")
	o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = 5*time.Second, 5*time.Second, 5*time.Second
	rdb := goredis.NewClient(o)
	t.Cleanup(func() { rdb.Close() })
	c := redis.New(rdb, redis.Config{Prefix: prefix, TripAfter: 2, Cooldown: time.Nanosecond})
	ctx, _ := recorderCtx()
	c.Set(ctx, redis.DailyMenu, "k", 42)
	proxy.SetMode(testsupport.Down)
	var v int
	for range 4 {
		if c.Get(ctx, redis.DailyMenu, "k", &v) {
			t.Fatal("hit with Redis down")
		}
	}
	proxy.SetMode(testsupport.Forward)
	if !c.Get(ctx, redis.DailyMenu, "k", &v) || v != 42 {
		t.Errorf("after Redis came back: %d, want the entry it kept", v)
	}
}

func TestRateLimitedLog(t *testing.T) {
	l := redis.NewRateLimitedLog(10 * time.Second)
	t0 := time.Unix(1000, 0)
	for i, step := range []struct {
		at         time.Duration
		ok         bool
		suppressed int
	}{{0, true, 0}, {time.Second, false, 0}, {9 * time.Second, false, 0}, {10 * time.Second, true, 2}, {11 * time.Second, false, 0}} {
		ok, n := l.Allow(t0.Add(step.at))
		if ok != step.ok || n != step.suppressed {
			t.Errorf("step %d at +%s: %v, %d; want %v, %d", i, step.at, ok, n, step.ok, step.suppressed)
		}
	}
}
