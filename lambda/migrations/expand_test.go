package migrations

import (
	"io/fs"
	"strings"
	"testing"
)

// TestMigrationsOnlyExpand holds every embedded migration to the rule in
// expand.go: nothing the previous release uses is taken away, unless the
// migration is marked as a contract step.
func TestMigrationsOnlyExpand(t *testing.T) {
	names, err := fs.Glob(files, "sql/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		up := Up(string(b))
		if strings.TrimSpace(up) == "" {
			t.Errorf("%s has no -- +goose Up section", name)
			continue
		}
		if IsContract(up) {
			continue
		}
		for _, b := range Breaking(up) {
			t.Errorf("%s %s\n(the previous release runs against this schema after a rollback: expand now, contract in a later "+
				"release marked %q; see expand.go)", name, b, ContractMarker)
		}
	}
}

func TestBreaking(t *testing.T) {
	for _, tc := range []struct {
		name, sql string
		breaks    bool
	}{
		{"add a nullable column", `ALTER TABLE orders ADD COLUMN notes text;`, false},
		{"add a column with a default", `ALTER TABLE orders ADD COLUMN rush boolean NOT NULL DEFAULT false;`, false},
		{"add an index", "-- serves the kitchen list\nCREATE INDEX orders_rush_idx ON orders (rush) WHERE rush;", false},
		{"add a table", `CREATE TABLE notes (id uuid PRIMARY KEY, body text NOT NULL);`, false},
		{"widen a check", `ALTER TABLE orders DROP CONSTRAINT orders_status_check,
			ADD CONSTRAINT orders_status_check CHECK (status IN ('a', 'b', 'c'));`, false},
		{"loosen NOT NULL", `ALTER TABLE orders ALTER COLUMN currency DROP NOT NULL;`, false},
		{"drop an index", `DROP INDEX orders_rush_idx;`, false},
		{"drop a column", `ALTER TABLE orders DROP COLUMN notes;`, true},
		{"drop a column without the keyword", `ALTER TABLE orders ADD COLUMN a text, DROP notes;`, true},
		{"rename a column", `ALTER TABLE orders RENAME COLUMN notes TO remarks;`, true},
		{"rename a table", `ALTER TABLE orders RENAME TO purchases;`, true},
		{"change a type", `ALTER TABLE orders ALTER COLUMN total_paise TYPE numeric;`, true},
		{"change a type, long form", `ALTER TABLE orders ALTER total_paise SET DATA TYPE numeric(12,2);`, true},
		{"forbid nulls", `ALTER TABLE orders ALTER COLUMN notes SET NOT NULL;`, true},
		{"drop a default", `ALTER TABLE orders ALTER COLUMN currency DROP DEFAULT;`, true},
		{"add a NOT NULL column without a default", `ALTER TABLE orders ADD COLUMN rush boolean NOT NULL;`, true},
		{"drop a table", `DROP TABLE invoices;`, true},
		{"drop a table, lower case", "drop   table\n  if exists invoices;", true},
		{"a comment naming DROP TABLE", "-- DROP TABLE invoices would break the previous release\nCREATE INDEX a ON b (c);", false},
	} {
		if got := len(Breaking(tc.sql)) > 0; got != tc.breaks {
			t.Errorf("%s: Breaking = %v, want breaking %v", tc.name, Breaking(tc.sql), tc.breaks)
		}
	}
	if !IsContract("-- +hasivu contract: release 41 stopped reading notes\nALTER TABLE orders DROP COLUMN notes;") {
		t.Error("a marked contract step is not recognised")
	}
	if IsContract("-- +hasivu contract:\nALTER TABLE orders DROP COLUMN notes;") {
		t.Error("a contract mark without a reason counts")
	}
}
