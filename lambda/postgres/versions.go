package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The scopes of cache_versions: what a version is the version of. Each
// is raised in the transaction of every write of the platform that
// changes what the scope's cached answers show (package freshness).
const (
	// ProfileVersions are users' profiles (package profiles), by user id.
	ProfileVersions = "profile"
	// SchoolVersions are schools' summaries (package analytics), by
	// school id: raised by an order placed, a payment settling or
	// refunding an order, a meal collected.
	SchoolVersions = "school"
)

// raiseVersion is the statement that raises a scope's version by one
// (creating it at 1) and returns the new one: $1 the scope, $2 the id.
const raiseVersion = `
	INSERT INTO cache_versions (scope, id, version) VALUES ($1, $2, 1)
	ON CONFLICT (scope, id) DO UPDATE SET version = cache_versions.version + 1
	RETURNING version`

// CacheVersions adapts cache_versions to redis.Versions for one scope:
// the authority behind Redis's copies of the versions.
type CacheVersions struct {
	Pool  *pgxpool.Pool
	Scope string
}

// Version implements redis.Versions: a primary-key read, 0 for an id
// whose scope never changed.
func (s CacheVersions) Version(ctx context.Context, id string) (int64, error) {
	defer observe(ctx, "cache_versions.read", time.Now())
	var v int64
	if err := s.Pool.QueryRow(ctx, `
		SELECT coalesce((SELECT version FROM cache_versions WHERE scope = $1 AND id = $2), 0)`, s.Scope, id).Scan(&v); err != nil {
		return 0, classify(err, "read "+s.Scope+" version")
	}
	return v, nil
}
