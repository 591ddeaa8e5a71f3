// Package migrations holds the schema as embedded SQL files and applies
// them with goose. Apply is safe to run twice (applied versions are
// recorded in goose_db_version and skipped) and concurrently (a
// PostgreSQL session-level advisory lock serialises runners: the second
// waits, then finds nothing to do). The migrate function runs it on every
// deploy, before any alias moves.
//
// Migrations only expand the schema: the release before must keep working
// on it, since a failed deploy returns the functions to that release but
// not the database. The rule, and when a contract step (a drop, a rename,
// a type change) is allowed, are in expand.go; Breaking enforces it and a
// test runs it over every migration.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"hash/crc32"
	"io/fs"
	"slices"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed sql/*.sql
var files embed.FS

// lockBase is mixed with the schema name into the advisory lock key:
// runs against one schema exclude each other, runs against different
// schemas (parallel tests) do not wait for one another.
const lockBase = 0x6861_7376_0000_0000 // "hasv" << 32

// Result lists what one run applied.
type Result struct {
	// Applied lists the versions applied by this run, in order; empty when
	// the schema was already current.
	Applied []int64 `json:"applied"`
	// Version is the schema version after the run.
	Version int64 `json:"version"`
}

// Versions returns the versions of the embedded migrations, in order:
// what a run on an empty schema applies.
func Versions() []int64 {
	names, _ := fs.Glob(files, "sql/*.sql")
	var out []int64
	for _, name := range names {
		v, err := goose.NumericComponent(name)
		if err != nil {
			panic(fmt.Sprintf("migration %s: %v", name, err))
		}
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// SchemaVersion returns the highest migration applied to the pool's
// schema, 0 if none.
func SchemaVersion(ctx context.Context, pool *pgxpool.Pool) (int64, error) {
	var v int64
	err := pool.QueryRow(ctx, `SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v)
	return v, err
}

// Apply applies every pending migration over pool. It needs one
// connection for its whole run (the advisory lock is held by the session).
func Apply(ctx context.Context, pool *pgxpool.Pool) (*Result, error) {
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	sqlFiles, err := fs.Sub(files, "sql")
	if err != nil {
		return nil, err
	}
	return apply(ctx, db, sqlFiles)
}

// apply applies the migrations in sqlFiles: this build's, or in tests a
// previous release's (a prefix of them).
func apply(ctx context.Context, db *sql.DB, sqlFiles fs.FS) (*Result, error) {
	var schema string
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return nil, fmt.Errorf("read current schema: %w", err)
	}
	lockID := int64(lockBase | uint64(crc32.ChecksumIEEE([]byte(schema))))
	// Probe the lock every second for up to five minutes: a concurrent
	// deploy's run finishes well within that.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lockID), lock.WithLockTimeout(1, 300))
	if err != nil {
		return nil, fmt.Errorf("create migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sqlFiles,
		goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	res := &Result{Applied: []int64{}}
	for _, r := range results {
		res.Applied = append(res.Applied, r.Source.Version)
	}
	if res.Version, err = p.GetDBVersion(ctx); err != nil {
		return nil, fmt.Errorf("read schema version: %w", err)
	}
	return res, nil
}
