package redis

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/lambda/freshness"
	"github.com/hasivu/infra/lambda/metrics"
)

// ListVersionTTL is how long Redis keeps its copy of a scope's version
// (a user's order list, profile; a school's summaries) before a reader
// checks it against PostgreSQL again. It bounds how stale an answer can
// be after a write whose new version could not be written to Redis
// (Redis down or hung at that moment): at most this long after the write.
// The price is one primary-key read per active scope per ListVersionTTL.
const ListVersionTTL = 30 * time.Second

// Versions reads scopes' committed versions, the authority behind
// Redis's copies.
type Versions interface {
	// Version returns the scope's version, 0 if it was never raised.
	// Errors: Unavailable.
	Version(ctx context.Context, scope string) (int64, error)
}

// Versioned adapts the cache to freshness.Cache[T] for one kind, so that
// cache-aside cannot serve an answer older than a write that was
// answered:
//
//   - <kind>:{<scope>}:v holds a copy of the scope's version (in
//     PostgreSQL, raised in every write's transaction) for
//     ListVersionTTL (Config.VersionTTL); a missing copy is read from
//     PostgreSQL (Versions) and put back.
//   - <kind>:{<scope>}:<key> holds an answer with the version it was read
//     at, for the kind's TTL; it is served only if that version is at
//     least the copy's.
//
// Both keys are read with one MGET (the braces keep them in one slot, so
// this holds under cluster mode too). A write raises the copy to its new
// version before it is answered (Changed). The copy is only ever raised,
// never lowered, by a Lua script, so a reader putting back a version it
// read before a write cannot undo the write's. Nothing is deleted and
// nothing scans: answers of old versions expire with their TTL.
type Versioned[T any] struct {
	Cache    *Cache
	Kind     Kind
	Versions Versions
}

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

// versionedEntry is a cached answer with the version it was read at.
type versionedEntry struct {
	Version int64           `json:"v"`
	Value   json.RawMessage `json:"p"`
}

func (a Versioned[T]) versionKey(scope string) string { return a.Cache.key(a.Kind, "{"+scope+"}:v") }

func (a Versioned[T]) entryKey(scope, key string) string {
	return a.Cache.key(a.Kind, "{"+scope+"}:"+key)
}

var _ freshness.Cache[struct{}] = Versioned[struct{}]{}

// Get implements freshness.Cache.
func (a Versioned[T]) Get(ctx context.Context, scope, key string, dst *T) (freshness.Version, bool) {
	if a.Cache == nil {
		return freshness.Unknown, false
	}
	var vals []any
	err := a.Cache.call(ctx, a.Kind, "mget", func() (err error) {
		vals, err = a.Cache.rdb.MGet(ctx, a.versionKey(scope), a.entryKey(scope, key)).Result()
		return err
	})
	if err != nil || len(vals) != 2 {
		return freshness.Unknown, false // Redis is failing: do not cache either
	}
	current, known := parseVersion(vals[0])
	if !known {
		v, err := a.Versions.Version(ctx, scope)
		if err != nil {
			return freshness.Unknown, false
		}
		current = v
		a.raise(ctx, scope, v)
	}
	if s, ok := vals[1].(string); ok {
		var e versionedEntry
		if json.Unmarshal([]byte(s), &e) == nil && e.Version >= current && json.Unmarshal(e.Value, dst) == nil {
			a.Cache.count(ctx, metrics.CacheHits, a.Kind)
			return freshness.Version(current), true
		}
	}
	a.Cache.count(ctx, metrics.CacheMisses, a.Kind)
	return freshness.Version(current), false
}

func parseVersion(v any) (int64, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// Put implements freshness.Cache.
func (a Versioned[T]) Put(ctx context.Context, scope, key string, version freshness.Version, v *T) {
	if a.Cache == nil || version < 0 {
		return
	}
	vb, err := json.Marshal(v)
	if err != nil {
		a.Cache.failed(ctx, a.Kind, "encode", err)
		return
	}
	b, _ := json.Marshal(versionedEntry{Version: int64(version), Value: vb})
	_ = a.Cache.call(ctx, a.Kind, "set", func() error {
		return a.Cache.rdb.Set(ctx, a.entryKey(scope, key), b, a.Kind.TTL).Err()
	})
}

// Changed implements freshness.Changes: the copy of the version is raised
// for ListVersionTTL. If Redis cannot be reached, the copy it holds
// expires within ListVersionTTL and readers then learn the new version
// from PostgreSQL.
func (a Versioned[T]) Changed(ctx context.Context, scope string, version int64) {
	if a.Cache == nil {
		return
	}
	a.raise(ctx, scope, version)
}

func (a Versioned[T]) raise(ctx context.Context, scope string, version int64) {
	_ = a.Cache.call(ctx, a.Kind, "raise-version", func() error {
		return raiseScript.Run(ctx, a.Cache.rdb, []string{a.versionKey(scope)},
			version, a.Cache.versionTTL.Milliseconds()).Err()
	})
}
