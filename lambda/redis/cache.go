// Package redis is the Redis adapter: cache-aside storage with the plan's
// TTLs behind the domain's cache interfaces (freshness.Cache with
// versioned entries, orders.PageCache over them, menus.Cache,
// menus.CatalogueCache, payments.MethodsCache), and the go-redis client
// options for a Lambda function. The cache-aside policy itself (read, fall back to the
// database, store) is the domain packages'; everything here speaks Redis.
// A Redis failure is never the user's problem: reads report a miss (so the
// caller answers from the database), writes are dropped, and each failed
// call is counted as metrics.CacheErrors. A circuit breaker keeps a dead or
// hung Redis from costing every request its timeouts: after a few
// consecutive failures the calls are skipped outright, and one probe at a
// time checks whether Redis is back. Failures are logged at most once per
// logEvery. Nothing here scans the keyspace.
package redis

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
	"github.com/sony/gobreaker/v2"

	"github.com/hasivu/infra/lambda/emf"
	"github.com/hasivu/infra/lambda/metrics"
)

// Kind is one kind of cached entry: its name (the metrics' Cache
// dimension and the key's first segment) and how long it lives.
type Kind struct {
	Name string
	TTL  time.Duration
}

// The plan's TTL strategy, one kind per row of its cache table, each read
// by one route. Entries that change rarely live longest.
var (
	// Profile is a user's profile with their students (GET /me), valid
	// at one profile version (Versioned).
	Profile = Kind{Name: "profile", TTL: time.Hour}
	// OrderList is a page of a user's order history, valid at one
	// order-list version (see OrderPages).
	OrderList = Kind{Name: "orders", TTL: 5 * time.Minute}
	// MenuItems is a school's menu item catalogue.
	MenuItems = Kind{Name: "menu-items", TTL: 30 * time.Minute}
	// PaymentMethods is the payment methods Razorpay offers the
	// platform's account.
	PaymentMethods = Kind{Name: "payment-methods", TTL: 30 * time.Minute}
	// Analytics is a school's daily summary for a date range, valid at
	// one version of the school's summaries (Versioned).
	Analytics = Kind{Name: "analytics", TTL: time.Hour}
	// DailyMenu is a school's menu for one date.
	DailyMenu = Kind{Name: "menu", TTL: 2 * time.Hour}
)

// Kinds lists every kind.
var Kinds = []Kind{Profile, OrderList, MenuItems, PaymentMethods, Analytics, DailyMenu}

// Timeouts that make a dead or unreachable Redis cost tens of
// milliseconds, not go-redis's default seconds of retries.
const (
	dialTimeout    = 50 * time.Millisecond
	tlsDialTimeout = 150 * time.Millisecond
	ioTimeout      = 50 * time.Millisecond
)

// Circuit breaker defaults. Three failures in a row are not a blip: a
// healthy ElastiCache node answers in about a millisecond. Five seconds
// open bounds what a dead Redis costs to one probe (at most one timeout)
// per execution environment per five seconds, and an ElastiCache failover
// (tens of seconds) to a handful of probes.
const (
	DefaultTripAfter = 3
	DefaultCooldown  = 5 * time.Second
)

// logEvery is the most often a failing Redis is logged per process:
// with Redis down, each request would otherwise write a warning.
const logEvery = 10 * time.Second

// Options returns client options for a Lambda function: fail fast, no
// retries (the database is the fallback), a small pool, TLS and AUTH when
// given.
func Options(addr string, useTLS bool, password string) *goredis.Options {
	o := &goredis.Options{
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

// Config adjusts a Cache.
type Config struct {
	// Prefix starts every key (tests give each test its own). Default
	// none.
	Prefix string
	// TripAfter is how many consecutive failed calls open the circuit
	// breaker. Default DefaultTripAfter.
	TripAfter uint32
	// Cooldown is how long the open breaker skips calls before it lets
	// one probe through. Default DefaultCooldown.
	Cooldown time.Duration
	// VersionTTL is how long Redis keeps its copy of a scope's version
	// (see Versioned). Default ListVersionTTL.
	VersionTTL time.Duration
	// Now is the clock of the warnings' rate limit (at most one per
	// logEvery); tests stop it. Default time.Now.
	Now func() time.Time
}

// Cache reads and writes cache-aside entries. A nil *Cache is valid and
// caches nothing (a function built without Redis).
type Cache struct {
	rdb        *goredis.Client
	prefix     string
	versionTTL time.Duration
	breaker    *gobreaker.CircuitBreaker[struct{}]
	log        *rateLimitedLog
	now        func() time.Time
	// attemptsLog limits Attempts' warnings on their own: sign-in
	// throttling off is news even while cache failures are logged.
	attemptsLog *rateLimitedLog
}

// ErrSkipped is the error of a call the open circuit breaker skipped.
var ErrSkipped = errors.New("Redis calls skipped: the circuit breaker is open after consecutive failures")

// New returns a cache over rdb.
func New(rdb *goredis.Client, cfg Config) *Cache {
	if cfg.TripAfter == 0 {
		cfg.TripAfter = DefaultTripAfter
	}
	if cfg.Cooldown == 0 {
		cfg.Cooldown = DefaultCooldown
	}
	if cfg.VersionTTL == 0 {
		cfg.VersionTTL = ListVersionTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Cache{rdb: rdb, prefix: cfg.Prefix, versionTTL: cfg.VersionTTL, log: &rateLimitedLog{every: logEvery}, now: cfg.Now,
		attemptsLog: &rateLimitedLog{every: logEvery}}
	c.breaker = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        "redis",
		MaxRequests: 1,
		Timeout:     cfg.Cooldown,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= cfg.TripAfter },
		// A miss is an answer: Redis is working.
		IsSuccessful: func(err error) bool { return err == nil || errors.Is(err, goredis.Nil) },
		// A caller that gave up says nothing about Redis.
		IsExcluded: func(err error) bool { return errors.Is(err, context.Canceled) },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			// Open and half-open alternate every cooldown while Redis stays
			// down; only leaving and regaining health is news.
			if from == gobreaker.StateClosed || to == gobreaker.StateClosed {
				slog.Warn("Redis circuit breaker changed state", "from", from.String(), "to", to.String())
			}
		},
	})
	return c
}

// call runs one Redis call through the circuit breaker. A failure, a
// skipped call included, is counted and logged (rate-limited) against
// kind; goredis.Nil (a miss) is returned as it is.
func (c *Cache) call(ctx context.Context, kind Kind, op string, fn func() error) error {
	_, err := c.breaker.Execute(func() (struct{}, error) { return struct{}{}, fn() })
	switch {
	case err == nil, errors.Is(err, goredis.Nil):
		return err
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		err = ErrSkipped
	}
	c.failed(ctx, kind, op, err)
	return err
}

func (c *Cache) key(kind Kind, key string) string { return c.prefix + kind.Name + ":" + key }

func (c *Cache) count(ctx context.Context, m metrics.Metric, kind Kind) {
	emf.FromContext(ctx).Add(m, 1, metrics.DimCache, kind.Name)
}

func (c *Cache) failed(ctx context.Context, kind Kind, op string, err error) {
	c.count(ctx, metrics.CacheErrors, kind)
	if ok, suppressed := c.log.allow(c.now()); ok {
		slog.WarnContext(ctx, "cache call failed, using the database", "cache", kind.Name, "op", op, "error", err,
			"suppressed", suppressed)
	}
}

// Ping asks Redis itself, past the circuit breaker, whether it answers.
func (c *Cache) Ping(ctx context.Context) error {
	return c.rdb.Ping(ctx).Err()
}

// Get loads the entry key of kind into dst and reports whether it did.
// A miss, a Redis failure and an undecodable entry all return false.
func (c *Cache) Get(ctx context.Context, kind Kind, key string, dst any) bool {
	if c == nil {
		return false
	}
	var b []byte
	err := c.call(ctx, kind, "get", func() (err error) {
		b, err = c.rdb.Get(ctx, c.key(kind, key)).Bytes()
		return err
	})
	switch {
	case errors.Is(err, goredis.Nil):
		c.count(ctx, metrics.CacheMisses, kind)
		return false
	case err != nil:
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
	_ = c.call(ctx, kind, "set", func() error { return c.rdb.Set(ctx, c.key(kind, key), b, kind.TTL).Err() })
}

// rateLimitedLog lets one line through per period and counts the rest.
type rateLimitedLog struct {
	every      time.Duration
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// allow reports whether a line may be written at now and how many were
// suppressed since the last one.
func (l *rateLimitedLog) allow(now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.suppressed++
		return false, 0
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	return true, n
}

// clientLog routes go-redis's own log lines (one per failed dial, in
// free text) to slog at debug level: each failure is already logged,
// structured and rate-limited, by Cache, and a dead Redis must not flood
// the function's log.
type clientLog struct{}

func (clientLog) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "go-redis", "msg", fmt.Sprintf(format, v...))
}

func init() { goredis.SetLogger(clientLog{}) }
