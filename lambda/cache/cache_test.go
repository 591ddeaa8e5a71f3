package cache_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/lambda/cache"
	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/testsupport"
)

func TestKindsFollowThePlan(t *testing.T) {
	want := map[string]time.Duration{"profile": time.Hour, "orders": 5 * time.Minute,
		"menu-items": 30 * time.Minute, "menu": 2 * time.Hour}
	for _, k := range cache.Kinds {
		if want[k.Name] != k.TTL {
			t.Errorf("%s TTL %s, want %s", k.Name, k.TTL, want[k.Name])
		}
		delete(want, k.Name)
	}
	if len(want) != 0 {
		t.Errorf("kinds missing: %v", want)
	}
}

func TestHashEntryKeepsItsFirstExpiry(t *testing.T) {
	addr, prefix := testsupport.Redis(t)
	rdb := redis.NewClient(cache.Options(addr, false, ""))
	defer rdb.Close()
	c := cache.New(rdb, prefix)
	ctx := metrics.NewContext(context.Background(), metrics.NewRecorder("test", "t"))
	c.SetField(ctx, cache.OrderList, "u1", "p1:l20", map[string]int{"a": 1})
	rdb.Expire(ctx, prefix+"orders:u1", 10*time.Second) // as if 290 s had passed
	c.SetField(ctx, cache.OrderList, "u1", "p2:l20", map[string]int{"a": 2})
	if ttl := rdb.TTL(ctx, prefix+"orders:u1").Val(); ttl > 10*time.Second {
		t.Errorf("TTL %s after a second page: storing a page must not extend the older pages' life", ttl)
	}
	var got map[string]int
	if !c.GetField(ctx, cache.OrderList, "u1", "p1:l20", &got) || got["a"] != 1 {
		t.Errorf("GetField = %v", got)
	}
	if err := c.Delete(ctx, cache.OrderList, "u1"); err != nil {
		t.Fatal(err)
	}
	if c.GetField(ctx, cache.OrderList, "u1", "p2:l20", &got) {
		t.Error("a page survived Delete of its user's key")
	}
}

func TestNilCacheMisses(t *testing.T) {
	var c *cache.Cache
	var v any
	c.Set(context.Background(), cache.DailyMenu, "k", 1)
	if c.Get(context.Background(), cache.DailyMenu, "k", &v) || c.Delete(context.Background(), cache.DailyMenu, "k") != nil {
		t.Error("nil cache did something")
	}
}

func TestOptionsFailFast(t *testing.T) {
	o := cache.Options("master.hasivu.cache.amazonaws.com:6379", true, "token")
	if o.TLSConfig == nil || o.TLSConfig.ServerName != "master.hasivu.cache.amazonaws.com" || o.Password != "token" {
		t.Errorf("TLS options = %+v", o.TLSConfig)
	}
	if o.MaxRetries != -1 || o.DialTimeout > 200*time.Millisecond || o.ReadTimeout > 100*time.Millisecond {
		t.Errorf("options do not fail fast: retries %d, dial %s, read %s", o.MaxRetries, o.DialTimeout, o.ReadTimeout)
	}
	if local := cache.Options("127.0.0.1:6379", false, ""); local.TLSConfig != nil {
		t.Error("TLS without REDIS_TLS")
	}
}
