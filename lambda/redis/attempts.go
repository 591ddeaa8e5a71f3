package redis

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/sony/gobreaker/v2"

	"github.com/hasivu/infra/lambda/loginguard"
)

// Attempts adapts the cache's Redis to loginguard.Store: counters and
// locks under login:<key>, through the cache's circuit breaker, so a dead
// or hung Redis costs sign-in at most one timeout per cooldown. Every
// failure is returned (the guard then lets the sign-in through
// unguarded) and logged, at most once per logEvery, as throttling off.
// A nil Cache fails every call: a function built without Redis is
// unguarded.
type Attempts struct{ Cache *Cache }

var _ loginguard.Store = Attempts{}

// errNoRedis is the failure of a function built without Redis.
var errNoRedis = errors.New("no Redis configured")

func (a Attempts) key(k string) string { return a.Cache.prefix + "login:" + k }

func (a Attempts) call(ctx context.Context, op string, fn func() error) error {
	if a.Cache == nil {
		return errNoRedis
	}
	_, err := a.Cache.breaker.Execute(func() (struct{}, error) { return struct{}{}, fn() })
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gobreaker.ErrOpenState), errors.Is(err, gobreaker.ErrTooManyRequests):
		err = ErrSkipped
	}
	if ok, suppressed := a.Cache.attemptsLog.allow(a.Cache.now()); ok {
		slog.WarnContext(ctx, "sign-in throttling off: failed logins cannot be counted, sign-in proceeds unguarded",
			"op", op, "error", err, "suppressed", suppressed)
	}
	return err
}

// Fail implements loginguard.Store: INCR and PEXPIRE in one transaction.
func (a Attempts) Fail(ctx context.Context, key string, window time.Duration) (int64, error) {
	var n *goredis.IntCmd
	err := a.call(ctx, "fail", func() error {
		_, err := a.Cache.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
			n = p.Incr(ctx, a.key(key))
			p.PExpire(ctx, a.key(key), window)
			return nil
		})
		return err
	})
	if err != nil {
		return 0, err
	}
	return n.Val(), nil
}

// Lock implements loginguard.Store: the lock's end as its value, in Unix
// milliseconds, and Redis's expiry then (by Redis's clock).
func (a Attempts) Lock(ctx context.Context, key string, until time.Time) error {
	ttl := time.Until(until)
	if ttl <= 0 {
		return nil
	}
	return a.call(ctx, "lock", func() error { return a.Cache.rdb.Set(ctx, a.key(key), until.UnixMilli(), ttl).Err() })
}

// Locked implements loginguard.Store: every lock in one round trip.
func (a Attempts) Locked(ctx context.Context, keys ...string) (time.Time, error) {
	var latest time.Time
	err := a.call(ctx, "locked", func() error {
		full := make([]string, len(keys))
		for i, k := range keys {
			full[i] = a.key(k)
		}
		vals, err := a.Cache.rdb.MGet(ctx, full...).Result()
		if err != nil {
			return err
		}
		for _, v := range vals {
			s, ok := v.(string)
			if !ok {
				continue
			}
			ms, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				continue
			}
			if t := time.UnixMilli(ms); t.After(latest) {
				latest = t
			}
		}
		return nil
	})
	return latest, err
}

// Clear implements loginguard.Store.
func (a Attempts) Clear(ctx context.Context, key string) error {
	return a.call(ctx, "clear", func() error { return a.Cache.rdb.Del(ctx, a.key(key)).Err() })
}
