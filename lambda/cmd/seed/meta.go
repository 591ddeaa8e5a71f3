package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// MetaTable records what the database was seeded with: the settings that
// determine the data set and its manifest. It lives outside the
// migrations because only seeded databases have it. A run removes it
// before touching any data and writes it after the last table is loaded
// and vacuumed, so a database whose seeding was interrupted has none: the
// benchmark harness (bench/) reads it to decide, in one query, whether
// the database holds the data set it wants (same seed, scale and day)
// and takes the manifest from it.
const MetaTable = "seed_meta"

const createMeta = `CREATE TABLE IF NOT EXISTS seed_meta (
	id         integer PRIMARY KEY CHECK (id = 1),
	seed       bigint NOT NULL,
	today      date NOT NULL,
	schools    integer NOT NULL,
	students   integer NOT NULL,
	orders     integer NOT NULL,
	days_back  integer NOT NULL,
	days_ahead integer NOT NULL,
	seeded_at  timestamptz NOT NULL DEFAULT now(),
	manifest   jsonb NOT NULL
)`

// dropMeta forgets what the database was seeded with.
func dropMeta(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, "DROP TABLE IF EXISTS "+MetaTable); err != nil {
		return fmt.Errorf("drop %s: %w", MetaTable, err)
	}
	return nil
}

// writeMeta records the finished data set.
func writeMeta(ctx context.Context, conn *pgx.Conn, cfg Config, m *Manifest) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, createMeta); err != nil {
		return fmt.Errorf("create %s: %w", MetaTable, err)
	}
	_, err = conn.Exec(ctx, `INSERT INTO seed_meta (id, seed, today, schools, students, orders, days_back, days_ahead, manifest)
		VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8)`,
		int64(cfg.Seed), cfg.Today, cfg.Schools, cfg.Students, cfg.Orders, cfg.DaysBack, cfg.DaysAhead, b)
	if err != nil {
		return fmt.Errorf("write %s: %w", MetaTable, err)
	}
	return nil
}
