package migrations_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/hasivu/infra/lambda/migrations"
	"github.com/hasivu/infra/lambda/testsupport"
)

func TestApplyTwice(t *testing.T) {
	t.Parallel()
	dsn := testsupport.Schema(t)
	pool := testsupport.Pool(t, dsn)
	ctx := context.Background()
	first, err := migrations.Apply(ctx, pool)
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	all := migrations.Versions()
	last := all[len(all)-1]
	if len(all) < 3 || !slices.Equal(first.Applied, all) || first.Version != last {
		t.Fatalf("first run = %+v, want applied %v", first, all)
	}
	second, err := migrations.Apply(ctx, pool)
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if len(second.Applied) != 0 || second.Version != last {
		t.Fatalf("second run = %+v, want nothing applied at version %d", second, last)
	}
}

func TestApplyConcurrently(t *testing.T) {
	t.Parallel()
	dsn := testsupport.Schema(t)
	const runners = 4
	var wg sync.WaitGroup
	results := make([]*migrations.Result, runners)
	errs := make([]error, runners)
	for i := range runners {
		pool := testsupport.Pool(t, dsn) // one pool per runner, as separate Lambda invocations have
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = migrations.Apply(context.Background(), pool)
		}()
	}
	wg.Wait()
	all := migrations.Versions()
	applied := 0
	for i := range runners {
		if errs[i] != nil {
			t.Fatalf("runner %d: %v", i, errs[i])
		}
		if results[i].Version != all[len(all)-1] {
			t.Errorf("runner %d ended at version %d, want %d", i, results[i].Version, all[len(all)-1])
		}
		applied += len(results[i].Applied)
	}
	if applied != len(all) {
		t.Errorf("runners applied %d migrations in total, want each of the %d exactly once", applied, len(all))
	}
	pool := testsupport.Pool(t, dsn)
	var rows int
	if err := pool.QueryRow(context.Background(),
		"SELECT count(*) FROM goose_db_version WHERE version_id > 0").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(all) {
		t.Errorf("goose_db_version has %d applied rows, want %d", rows, len(all))
	}
}

// TestPlanIndexes checks that every index the performance plan lists
// exists with the intended leading columns.
func TestPlanIndexes(t *testing.T) {
	t.Parallel()
	dsn := testsupport.MigratedSchema(t)
	pool := testsupport.Pool(t, dsn)
	want := map[string]string{
		"users_role_status_idx":                "(role, status)",
		"users_school_role_active_idx":         "(school_id, role) WHERE (status = 'active'::text)",
		"users_parent_active_idx":              "(parent_id) WHERE ((status = 'active'::text) AND (parent_id IS NOT NULL))",
		"users_created_at_idx":                 "(created_at DESC)",
		"orders_user_created_idx":              "(user_id, created_at DESC, id DESC)",
		"orders_school_date_status_idx":        "(school_id, delivery_date, status)",
		"orders_student_date_idx":              "(student_id, delivery_date DESC)",
		"orders_status_payment_idx":            "(status, payment_status) WHERE (status <> 'delivered'::text)",
		"orders_date_status_idx":               "(delivery_date, status)",
		"payment_orders_user_created_idx":      "(user_id, created_at DESC)",
		"payment_orders_open_expires_idx":      "(expires_at) WHERE (status = 'created'::text)",
		"payment_orders_razorpay_order_id_key": "(razorpay_order_id)",
		"rfid_cards_student_active_idx":        "(student_id) WHERE is_active",
		"rfid_cards_school_active_idx":         "(school_id) WHERE is_active",
		"rfid_cards_number_active_idx":         "(card_number) INCLUDE (id, student_id, school_id, expires_at) WHERE is_active",
		"rfid_cards_expires_idx":               "(expires_at) WHERE (is_active AND (expires_at IS NOT NULL))",
		"payments_user_paid_idx":               "(user_id, paid_at DESC)",
		"payments_status_created_idx":          "(status, created_at)",
		"payments_subscription_status_idx":     "(subscription_id, status) WHERE (subscription_id IS NOT NULL)",
		"payments_razorpay_payment_id_key":     "(razorpay_payment_id)",
		"subscriptions_user_status_idx":        "(user_id, status)",
		"subscriptions_school_status_idx":      "(school_id, status)",
		"subscriptions_status_billing_idx":     "(status, next_billing_date)",
		"subscriptions_student_status_idx":     "(student_id, status)",
		"invoices_user_date_idx":               "(user_id, invoice_date DESC)",
		"invoices_school_status_idx":           "(school_id, status)",
		"invoices_status_due_idx":              "(status, due_date)",
		"invoices_number_idx":                  "(invoice_number)",
		"orders_school_date_totals_idx":        "(school_id, delivery_date) INCLUDE (status, payment_status, total_paise)",
		"meal_verifications_school_date_idx":   "(school_id, service_date)",
		"students_parent_idx":                  "(parent_id)",
		"students_user_idx":                    "(user_id) WHERE (user_id IS NOT NULL)",
		"menu_items_school_idx":                "(school_id)",
	}
	rows, err := pool.Query(context.Background(), `
		SELECT indexname, substring(indexdef from '\((.*)$')
		FROM pg_indexes WHERE schemaname = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		got[name] = "(" + def
	}
	for name, def := range want {
		if got[name] != def {
			t.Errorf("index %s = %q, want %q", name, got[name], def)
		}
	}
}

// TestPreviousReleaseMigrateIsANoOp: after a failed deploy, CloudFormation
// rolls the migrate trigger back too, which runs the previous release's
// migrate against the schema this release migrated. With fewer embedded
// migrations than the database has, it must succeed and apply nothing.
func TestPreviousReleaseMigrateIsANoOp(t *testing.T) {
	t.Parallel()
	pool := testsupport.Pool(t, testsupport.Schema(t))
	if _, err := migrations.Apply(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	all := migrations.Versions()
	previous := fstest.MapFS{}
	names, _ := fs.Glob(migrations.Files, "sql/*.sql")
	for _, name := range names[:len(names)-1] {
		b, _ := fs.ReadFile(migrations.Files, name)
		previous[strings.TrimPrefix(name, "sql/")] = &fstest.MapFile{Data: b}
	}
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	res, err := migrations.ApplyFS(context.Background(), db, previous)
	if err != nil {
		t.Fatalf("the previous release's migrate failed against this release's schema: %v", err)
	}
	if len(res.Applied) != 0 || res.Version != all[len(all)-1] {
		t.Errorf("previous release's migrate = %+v, want nothing applied at version %d", res, all[len(all)-1])
	}
}
