// Package cache is cache-aside storage in Redis with the plan's TTLs. A
// Redis failure is never the user's problem: reads report a miss (so the
// caller answers from the database), writes and deletes are dropped, and
// each failed call is counted as metrics.CacheErrors. Invalidation deletes
// exact keys; nothing here scans the keyspace.
package cache

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/hasivu/infra/lambda/metrics"
)

// Kind is one kind of cached entry: its name (the metrics' Cache
// dimension and the key's first segment) and how long it lives.
type Kind struct {
	Name string
	TTL  time.Duration
}

// The plan's TTL strategy. Entries that change rarely live longest.
var (
	// Profile is a user's profile.
	Profile = Kind{Name: "profile", TTL: time.Hour}
	// OrderList is a page of a user's order history; orders-create and the
	// payment webhook delete it when they change the user's orders.
	OrderList = Kind{Name: "orders", TTL: 5 * time.Minute}
	// MenuItems is a school's menu item catalogue.
	MenuItems = Kind{Name: "menu-items", TTL: 30 * time.Minute}
	// DailyMenu is a school's menu for one date.
	DailyMenu = Kind{Name: "menu", TTL: 2 * time.Hour}
)

// Kinds lists every kind.
var Kinds = []Kind{Profile, OrderList, MenuItems, DailyMenu}

// Timeouts that make a dead or unreachable Redis cost tens of
// milliseconds, not go-redis's default seconds of retries.
const (
	dialTimeout    = 50 * time.Millisecond
	tlsDialTimeout = 150 * time.Millisecond
	ioTimeout      = 50 * time.Millisecond
)

// Options returns client options for a Lambda function: fail fast, no
// retries (the database is the fallback), a small pool, TLS and AUTH when
// given.
func Options(addr string, useTLS bool, password string) *redis.Options {
	o := &redis.Options{
		Addr:               addr,
		Password:           password,
		DialTimeout:        dialTimeout,
		ReadTimeout:        ioTimeout,
		WriteTimeout:       ioTimeout,
		MaxRetries:         -1, // -1 disables retries; 0 means the default 3
		DialerRetries:      1,
		DialerRetryTimeout: time.Millisecond,
		PoolSize:           2,
		PoolTimeout:        ioTimeout,
		// Skip CLIENT SETINFO and maintenance-notification handshakes: one
		// round trip fewer per new connection, and ElastiCache needs
		// neither.
		DisableIdentity:          true,
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	}
	if useTLS {
		host, _, _ := net.SplitHostPort(addr)
		o.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
		// The dial timeout covers the TLS handshake too, which costs a few
		// milliseconds more than TCP alone on a small function's CPU.
		o.DialTimeout = tlsDialTimeout
	}
	return o
}

// Cache reads and writes cache-aside entries. A nil *Cache is valid and
// caches nothing (a function built without Redis).
type Cache struct {
	rdb    *redis.Client
	prefix string
}

// New returns a cache over rdb whose keys all start with prefix (tests
// give each test its own).
func New(rdb *redis.Client, prefix string) *Cache {
	return &Cache{rdb: rdb, prefix: prefix}
}

func (c *Cache) key(kind Kind, key string) string { return c.prefix + kind.Name + ":" + key }

func (c *Cache) count(ctx context.Context, m metrics.Metric, kind Kind) {
	metrics.FromContext(ctx).Add(m, 1, metrics.DimCache, kind.Name)
}

func (c *Cache) failed(ctx context.Context, kind Kind, op string, err error) {
	c.count(ctx, metrics.CacheErrors, kind)
	slog.WarnContext(ctx, "cache call failed, using the database", "cache", kind.Name, "op", op, "error", err)
}

// Get loads the entry key of kind into dst and reports whether it did.
// A miss, a Redis failure and an undecodable entry all return false.
func (c *Cache) Get(ctx context.Context, kind Kind, key string, dst any) bool {
	if c == nil {
		return false
	}
	b, err := c.rdb.Get(ctx, c.key(kind, key)).Bytes()
	return c.decode(ctx, kind, "get", b, err, dst)
}

// GetField loads field of the hash entry key of kind into dst.
func (c *Cache) GetField(ctx context.Context, kind Kind, key, field string, dst any) bool {
	if c == nil {
		return false
	}
	b, err := c.rdb.HGet(ctx, c.key(kind, key), field).Bytes()
	return c.decode(ctx, kind, "hget", b, err, dst)
}

func (c *Cache) decode(ctx context.Context, kind Kind, op string, b []byte, err error, dst any) bool {
	switch {
	case errors.Is(err, redis.Nil):
		c.count(ctx, metrics.CacheMisses, kind)
		return false
	case err != nil:
		c.failed(ctx, kind, op, err)
		return false
	}
	if err := json.Unmarshal(b, dst); err != nil {
		c.failed(ctx, kind, "decode", err)
		return false
	}
	c.count(ctx, metrics.CacheHits, kind)
	return true
}

// Set stores v as the entry key of kind for the kind's TTL.
func (c *Cache) Set(ctx context.Context, kind Kind, key string, v any) {
	if c == nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		c.failed(ctx, kind, "encode", err)
		return
	}
	if err := c.rdb.Set(ctx, c.key(kind, key), b, kind.TTL).Err(); err != nil {
		c.failed(ctx, kind, "set", err)
	}
}

// SetField stores v as field of the hash entry key. The hash expires the
// kind's TTL after its first field was stored (EXPIRE NX), so every field
// is at most one TTL old, and deleting the one key drops all of them.
// HSET and EXPIRE run in one MULTI so a hash can never be left without
// its expiry.
func (c *Cache) SetField(ctx context.Context, kind Kind, key, field string, v any) {
	if c == nil {
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		c.failed(ctx, kind, "encode", err)
		return
	}
	k := c.key(kind, key)
	_, err = c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, k, field, b)
		p.ExpireNX(ctx, k, kind.TTL)
		return nil
	})
	if err != nil {
		c.failed(ctx, kind, "hset", err)
	}
}

// Delete removes the entries keys of kind. It returns the error only for
// logging: the entries then live out their TTL.
func (c *Cache) Delete(ctx context.Context, kind Kind, keys ...string) error {
	if c == nil || len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = c.key(kind, k)
	}
	if err := c.rdb.Del(ctx, full...).Err(); err != nil {
		c.failed(ctx, kind, "del", err)
		return err
	}
	return nil
}

// clientLog routes go-redis's own log lines (one per failed dial, in
// free text) to slog at debug level: each failure is already logged once,
// structured, by Cache, and a dead Redis must not flood the function's log.
type clientLog struct{}

func (clientLog) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "go-redis", "msg", fmt.Sprintf(format, v...))
}

func init() { redis.SetLogger(clientLog{}) }
