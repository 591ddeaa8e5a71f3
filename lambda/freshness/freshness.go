// Package freshness is the rule that keeps a cached answer from outliving
// a write: every cached answer belongs to a scope (a user, a school) and
// is kept with the scope's version read before the answer was read from
// the store; every write that changes what the scope's answers show
// raises the version in its own transaction and announces the new version
// to the cache before it is answered; the cache serves an answer only at
// the scope's current version. So a reader that read the store before a
// write and stores its answer after the write's announcement (the classic
// cache-aside race) stores it under the old version, where no later
// reader looks, and nothing is deleted or scanned.
//
// The package holds the rule and the read path; the adapters (package
// redis, package postgres) keep the versions. It imports nothing but the
// standard library, so domain packages may use it.
package freshness

import "context"

// Version is the version of a scope an answer was read at.
type Version int64

// Unknown means the version could not be learnt (the cache is failing):
// the answer read next is not cached.
const Unknown Version = -1

// Changes hears of committed writes.
type Changes interface {
	// Changed tells the cache that a committed write moved the scope to
	// version, before the write is answered. A cache that cannot be
	// reached learns it from the store within its bound (package redis:
	// redis.ListVersionTTL).
	Changed(ctx context.Context, scope string, version int64)
}

// Cache keeps answers of type T by scope and key, each at the version it
// was read at. A failing cache misses and stores nothing; it never fails
// the read.
type Cache[T any] interface {
	Changes
	// Get loads the answer cached under key at the scope's current
	// version into dst and reports whether it did. On a miss it returns
	// the version to store the answer under, learnt before the caller
	// reads the store, or Unknown.
	Get(ctx context.Context, scope, key string, dst *T) (Version, bool)
	// Put caches v, read after Get returned version.
	Put(ctx context.Context, scope, key string, version Version, v *T)
}

// Read returns the answer cached under scope and key, or reads it with
// load and caches it. load's errors are returned as they are.
func Read[T any](ctx context.Context, c Cache[T], scope, key string, load func(context.Context) (*T, error)) (*T, error) {
	var v T
	version, hit := c.Get(ctx, scope, key, &v)
	if hit {
		return &v, nil
	}
	got, err := load(ctx)
	if err != nil {
		return nil, err
	}
	c.Put(ctx, scope, key, version, got)
	return got, nil
}
