package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hasivu/infra/lambda/testsupport"
)

func tinyConfig(dsn string) Config {
	return Config{DatabaseURL: dsn, Schools: 3, Students: 60, Orders: 900, DaysBack: 20, DaysAhead: 3, Seed: 7,
		Today: time.Date(2030, 3, 4, 0, 0, 0, 0, time.UTC), Migrate: true}
}

func TestSeedTiny(t *testing.T) {
	t.Parallel()
	dsn := testsupport.Schema(t)
	m, err := Run(context.Background(), tinyConfig(dsn), t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	pool := testsupport.Pool(t, dsn)
	count := func(q string) int {
		var n int
		if err := pool.QueryRow(context.Background(), q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	if n := count(`SELECT count(*) FROM orders`); n != 900 {
		t.Errorf("%d orders, want 900", n)
	}
	if n := count(`SELECT count(*) FROM students`); n != 60 {
		t.Errorf("%d students, want 60", n)
	}
	if n := count(`SELECT count(*) FROM orders o JOIN students s ON s.id = o.student_id WHERE o.user_id <> s.parent_id OR o.school_id <> s.school_id`); n != 0 {
		t.Errorf("%d orders whose owner or school does not match the student", n)
	}
	if n := count(`SELECT count(*) FROM orders o WHERE total_paise <> (SELECT sum(quantity * unit_price_paise) FROM order_items WHERE order_id = o.id)`); n != 0 {
		t.Errorf("%d orders whose total is not the sum of their items", n)
	}
	if n := count(`SELECT count(*) FROM order_items oi JOIN orders o ON o.id = oi.order_id JOIN daily_menus dm ON dm.school_id = o.school_id AND dm.menu_date = o.delivery_date
		LEFT JOIN daily_menu_items dmi ON dmi.daily_menu_id = dm.id AND dmi.menu_item_id = oi.menu_item_id WHERE dmi.menu_item_id IS NULL`); n != 0 {
		t.Errorf("%d ordered items not on that day's menu", n)
	}
	// Every foreign key holds although the load ran without FK triggers.
	for _, q := range []string{
		`SELECT count(*) FROM orders o LEFT JOIN users u ON u.id = o.user_id WHERE u.id IS NULL`,
		`SELECT count(*) FROM order_items oi LEFT JOIN menu_items m ON m.id = oi.menu_item_id WHERE m.id IS NULL`,
		`SELECT count(*) FROM payments p LEFT JOIN payment_orders po ON po.id = p.payment_order_id WHERE po.id IS NULL`,
		`SELECT count(*) FROM meal_verifications v LEFT JOIN rfid_cards c ON c.id = v.card_id WHERE c.id IS NULL`,
	} {
		if n := count(q); n != 0 {
			t.Errorf("%s: %d dangling rows", q, n)
		}
	}
	// The manifest's credentials and cards are real.
	var hash string
	if err := pool.QueryRow(context.Background(), `SELECT password_hash FROM users WHERE email = $1`, m.Parents[0].Email).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(m.Password)) != nil {
		t.Error("manifest password does not match the stored hash")
	}
	if len(m.RFIDCards) == 0 {
		t.Fatal("manifest lists no RFID cards")
	}
	var paid int
	if err := pool.QueryRow(context.Background(), `
		SELECT count(*) FROM rfid_cards c JOIN orders o ON o.student_id = c.student_id
		WHERE c.card_number = $1 AND c.is_active AND o.delivery_date = $2 AND o.payment_status = 'paid'`,
		m.RFIDCards[0].CardNumber, m.Today).Scan(&paid); err != nil || paid == 0 {
		t.Errorf("manifest card %s has no paid order on %s (%v)", m.RFIDCards[0].CardNumber, m.Today, err)
	}
	if m.Today != "2030-03-04" || len(m.Schools) != 3 || len(m.Staff) != 3 || len(m.InactiveParents) == 0 && count(`SELECT count(*) FROM users WHERE status = 'inactive'`) > 0 {
		t.Errorf("manifest = today %s, %d schools, %d staff", m.Today, len(m.Schools), len(m.Staff))
	}
	// What the cache table's routes read: each school's administrator
	// (analytics), its menu items (catalogue), the parents' students
	// (profile).
	if len(m.Admins) != len(m.Schools) {
		t.Fatalf("%d admins for %d schools", len(m.Admins), len(m.Schools))
	}
	for i, a := range m.Admins {
		var role, school string
		if err := pool.QueryRow(context.Background(), `SELECT role, school_id::text FROM users WHERE id = $1 AND email = $2 AND status = 'active'`,
			a.UserID, a.Email).Scan(&role, &school); err != nil || role != "school_admin" || school != a.SchoolID || school != m.Schools[i].ID {
			t.Errorf("admin %+v is %s of %s (%v), want the active school_admin of %s", a, role, school, err, m.Schools[i].ID)
		}
	}
	if n := count(`SELECT count(*) FROM schools sc WHERE NOT EXISTS (SELECT FROM menu_items mi WHERE mi.school_id = sc.id)`); n != 0 {
		t.Errorf("%d schools without menu items", n)
	}
	for _, p := range m.Parents {
		var n int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM students WHERE parent_id = $1`, p.UserID).Scan(&n); err != nil || n != len(p.Students) {
			t.Errorf("parent %s has %d students, the manifest %d (%v)", p.UserID, n, len(p.Students), err)
		}
	}
}

// TestSeedRecordsMeta: a finished run records its settings and manifest
// in seed_meta, which the benchmark harness reads; a reset removes it
// before touching data.
func TestSeedRecordsMeta(t *testing.T) {
	t.Parallel()
	dsn := testsupport.Schema(t)
	cfg := tinyConfig(dsn)
	m, err := Run(context.Background(), cfg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	pool := testsupport.Pool(t, dsn)
	var today string
	var orders int
	var stored []byte
	if err := pool.QueryRow(context.Background(), `SELECT today::text, orders, manifest FROM seed_meta`).
		Scan(&today, &orders, &stored); err != nil {
		t.Fatal(err)
	}
	var got Manifest
	if err := json.Unmarshal(stored, &got); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(m)
	again, _ := json.Marshal(&got)
	if today != "2030-03-04" || orders != 900 || string(want) != string(again) {
		t.Errorf("seed_meta = today %s, %d orders, manifest equal %v", today, orders, string(want) == string(again))
	}
	if m.Staff[0].UserID == "" || m.UnpaidOrders[0].UserID == "" {
		t.Error("manifest staff and unpaid orders lack user ids")
	}
}

// TestSeedDeterministic: the same seed and day give the same data set.
func TestSeedDeterministic(t *testing.T) {
	t.Parallel()
	var manifests [2][]byte
	for i := range manifests {
		m, err := Run(context.Background(), tinyConfig(testsupport.Schema(t)), func(string, ...any) {})
		if err != nil {
			t.Fatal(err)
		}
		manifests[i], _ = json.Marshal(m)
	}
	if string(manifests[0]) != string(manifests[1]) {
		t.Error("two runs with one seed wrote different manifests")
	}
	cfg := tinyConfig("")
	cfg.ManifestOnly = true
	m, err := Run(context.Background(), cfg, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(m); string(b) != string(manifests[0]) {
		t.Error("-manifest-only wrote another manifest than the seeding run")
	}
}

func TestSeedRefusesFilledDatabase(t *testing.T) {
	t.Parallel()
	dsn := testsupport.Schema(t)
	cfg := tinyConfig(dsn)
	if _, err := Run(context.Background(), cfg, t.Logf); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), cfg, t.Logf); err == nil {
		t.Error("seeded a database that already has data")
	}
	cfg.Reset = true
	if _, err := Run(context.Background(), cfg, t.Logf); err != nil {
		t.Errorf("-reset: %v", err)
	}
}
