package main

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hasivu/infra/lambda/ist"
	"github.com/hasivu/infra/lambda/migrations"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Password is every seeded user's password; PasswordHash is its bcrypt
// hash (cost 10), a constant so that runs are byte-for-byte repeatable
// and the seed spends no time hashing.
const (
	Password     = "hasivu-bench-password"
	PasswordHash = "$2a$10$XJLFzZb5jucvXCmuLaayouxowudB7FuuSSX8IRa/zd1WGsp9KHuoS"
)

// Config sizes a data set.
type Config struct {
	DatabaseURL string
	Schools     int
	Students    int
	Orders      int
	DaysBack    int
	DaysAhead   int
	Seed        uint64
	// Today is the data set's current day (a date at midnight UTC).
	Today    time.Time
	Reset    bool
	Migrate  bool
	Manifest string
	// ManifestOnly generates the data set in memory and returns its
	// manifest without touching the database: the manifest of a database
	// seeded earlier with the same seed, scale and today.
	ManifestOnly bool
}

func defaultConfig() Config {
	return Config{Schools: 500, Students: 100_000, Orders: 2_000_000, DaysBack: 120, DaysAhead: 7, Seed: 1,
		Today: ist.Today(time.Now()), Migrate: true}
}

type uuid = [16]byte

type school struct {
	id         uuid
	code, name string
	city       string
	weight     float64
	students   []int32
	items      []menuItem
	staff      []int32 // user indexes: admin, kitchen staff
}

type menuItem struct {
	id       uuid
	category string
	price    int32
}

type user struct {
	id         uuid
	email      string
	first      string
	last       string
	role       string
	status     string
	school     int32 // -1: none
	parent     int32 // -1: none
	createdAt  time.Time
	students   []int32
	schoolOnly bool
}

type student struct {
	id         uuid
	school     int32
	parent     int32
	user       int32 // -1: no login
	first      string
	last       string
	grade      int8
	section    byte
	card       uuid
	cardNumber string
	cardState  uint8 // 0 active, 1 inactive, 2 expired
}

type orderItem struct {
	item uint8 // index into the school's items
	qty  uint8
}

type order struct {
	id        uuid
	student   int32
	day       int16 // index into days
	status    uint8
	payment   uint8
	n         uint8
	items     [3]orderItem
	total     int32
	createdAt int64 // unix seconds
}

var orderStatuses = []string{"pending", "confirmed", "preparing", "ready", "delivered", "cancelled"}
var paymentStatuses = []string{"unpaid", "paid", "refunded", "failed"}

const (
	stPending, stConfirmed, stDelivered, stCancelled = 0, 1, 4, 5
	payUnpaid, payPaid, payRefunded                  = 0, 1, 2
)

// gen holds the generated data set.
type gen struct {
	cfg      Config
	rng      *rand.Rand
	now      time.Time // the data set's "now": today 09:00 IST
	days     []time.Time
	todayIdx int
	schools  []school
	users    []user
	students []student
	menus    [][]uuid // [school][day] daily menu id
	orders   []order
	used     [][]bool // [student][day]: has an order that day
}

func (g *gen) id(t time.Time) uuid {
	// UUIDv7 layout: time-ordered ids keep B-tree inserts sequential.
	var u uuid
	binary.BigEndian.PutUint64(u[0:8], uint64(t.UnixMilli())<<16|uint64(g.rng.Uint32()&0x0fff)|0x7000)
	binary.BigEndian.PutUint64(u[8:16], g.rng.Uint64()&0x3fffffffffffffff|0x8000000000000000)
	return u
}

var (
	firstNames = []string{"Aarav", "Vivaan", "Aditya", "Vihaan", "Arjun", "Sai", "Reyansh", "Ayaan", "Krishna", "Ishaan",
		"Ananya", "Diya", "Aadhya", "Saanvi", "Myra", "Pari", "Anika", "Navya", "Kiara", "Riya", "Rohan", "Meera",
		"Kabir", "Tara", "Dev", "Nisha", "Arnav", "Isha", "Veer", "Zara"}
	lastNames = []string{"Sharma", "Verma", "Iyer", "Reddy", "Nair", "Patel", "Gupta", "Rao", "Menon", "Singh",
		"Kumar", "Das", "Joshi", "Kulkarni", "Pillai", "Chatterjee", "Bose", "Mehta", "Shetty", "Naidu"}
	cities    = []string{"Bengaluru", "Mumbai", "Delhi", "Chennai", "Hyderabad", "Pune", "Kolkata", "Ahmedabad", "Kochi", "Jaipur"}
	itemNames = map[string][]string{
		"breakfast": {"Idli Sambar", "Masala Dosa", "Poha", "Upma", "Aloo Paratha", "Pongal"},
		"lunch":     {"Veg Thali", "Rajma Chawal", "Curd Rice", "Veg Biryani", "Dal Khichdi", "Chole Kulche"},
		"snack":     {"Samosa", "Fruit Bowl", "Dhokla", "Sprouts Chaat", "Veg Sandwich", "Banana Chips"},
		"beverage":  {"Buttermilk", "Mango Lassi", "Badam Milk", "Lemon Water", "Ragi Malt", "Filter Coffee"},
	}
	categories = []string{"breakfast", "lunch", "snack", "beverage"}
	// perMenu is how many items of each category a daily menu offers.
	perMenu = map[string]int{"breakfast": 2, "lunch": 3, "snack": 2, "beverage": 1}
)

func (g *gen) build() {
	cfg := g.cfg
	g.now = time.Date(cfg.Today.Year(), cfg.Today.Month(), cfg.Today.Day(), 9, 0, 0, 0, ist.Zone)
	for d := -cfg.DaysBack; d <= cfg.DaysAhead; d++ {
		day := cfg.Today.AddDate(0, 0, d)
		if day.Weekday() == time.Sunday && d != 0 {
			continue // schools are closed on Sundays (today always has a menu)
		}
		if d == 0 {
			g.todayIdx = len(g.days)
		}
		g.days = append(g.days, day)
	}
	epoch := g.now.AddDate(-2, 0, 0)

	// Schools, with Zipf-like popularity: school i has weight 1/(i+1)^0.8.
	var sum float64
	g.schools = make([]school, cfg.Schools)
	for i := range g.schools {
		s := &g.schools[i]
		s.id = g.id(epoch)
		s.code = fmt.Sprintf("SCH%04d", i+1)
		s.city = cities[i%len(cities)]
		s.name = fmt.Sprintf("%s Public School %d", s.city, i+1)
		s.weight = 1 / math.Pow(float64(i+1), 0.8)
		sum += s.weight
		for _, c := range categories {
			for k := range itemNames[c] {
				s.items = append(s.items, menuItem{id: g.id(epoch), category: c,
					price: int32(2000 + 500*((i+k*7+len(c))%17))})
			}
		}
	}
	for i := range g.schools {
		g.schools[i].weight /= sum
	}

	// Staff: one admin and two kitchen staff per school.
	for i := range g.schools {
		for k, role := range []string{"school_admin", "kitchen_staff", "kitchen_staff"} {
			g.schools[i].staff = append(g.schools[i].staff, int32(len(g.users)))
			g.users = append(g.users, user{id: g.id(epoch), role: role, status: "active", school: int32(i), parent: -1,
				email: fmt.Sprintf("%s.%s@staff.hasivu.test", []string{"admin", "kitchen1", "kitchen2"}[k],
					strings.ToLower(g.schools[i].code)), createdAt: epoch,
				first: firstNames[(i+k)%len(firstNames)], last: lastNames[(i*3+k)%len(lastNames)]})
		}
	}

	// Students per school in proportion to popularity (at least one each),
	// in families of one to three siblings at the same school.
	g.students = make([]student, 0, cfg.Students)
	counts := make([]int, cfg.Schools)
	left := cfg.Students
	for i := range counts {
		counts[i] = max(1, int(float64(cfg.Students)*g.schools[i].weight))
		left -= counts[i]
	}
	for i := 0; left > 0; i = (i + 1) % len(counts) {
		counts[i]++
		left--
	}
	for i := 0; left < 0; i = (i + 1) % len(counts) {
		if counts[i] > 1 {
			counts[i]--
			left++
		}
	}
	for si, n := range counts {
		for n > 0 {
			kids := 1
			if g.rng.Float64() < 0.35 {
				kids++
			}
			if g.rng.Float64() < 0.1 {
				kids++
			}
			kids = min(kids, n)
			n -= kids
			joined := epoch.Add(time.Duration(g.rng.Int64N(int64(700 * 24 * time.Hour))))
			pi := int32(len(g.users))
			last := lastNames[g.rng.IntN(len(lastNames))]
			p := user{id: g.id(joined), role: "parent", status: "active", school: -1, parent: -1,
				email: fmt.Sprintf("parent%d@example.test", pi), createdAt: joined,
				first: firstNames[g.rng.IntN(len(firstNames))], last: last}
			if g.rng.Float64() < 0.02 {
				p.status = "inactive"
			}
			g.users = append(g.users, p)
			for range kids {
				st := student{id: g.id(joined), school: int32(si), parent: pi, user: -1, last: last,
					first: firstNames[g.rng.IntN(len(firstNames))], grade: int8(1 + g.rng.IntN(12)),
					section: byte('A' + g.rng.IntN(4))}
				sti := int32(len(g.students))
				st.cardNumber = fmt.Sprintf("RF%010d", 1_000_000_000+int64(sti)*7919%9_000_000_000)
				st.card = g.id(joined)
				switch r := g.rng.Float64(); {
				case r < 0.02:
					st.cardState = 1
				case r < 0.04:
					st.cardState = 2
				}
				if st.grade >= 9 && g.rng.Float64() < 0.5 {
					// Older students have their own login linked to the parent.
					st.user = int32(len(g.users))
					g.users = append(g.users, user{id: g.id(joined), role: "student", status: "active",
						school: int32(si), parent: pi, email: fmt.Sprintf("student%d@example.test", sti),
						createdAt: joined, first: st.first, last: last})
				}
				g.users[pi].students = append(g.users[pi].students, sti)
				g.schools[si].students = append(g.schools[si].students, sti)
				g.students = append(g.students, st)
			}
		}
	}

	// Daily menus.
	g.menus = make([][]uuid, len(g.schools))
	for i := range g.schools {
		g.menus[i] = make([]uuid, len(g.days))
		for d := range g.days {
			g.menus[i][d] = g.id(g.days[d].AddDate(0, 0, -7))
		}
	}

	// Orders: each student gets a share of cfg.Orders that varies from 0.3
	// to 1.7 times the mean, on distinct menu days.
	g.orders = make([]order, 0, cfg.Orders)
	shares := make([]float64, len(g.students))
	var total float64
	for i := range shares {
		shares[i] = 0.3 + 1.4*g.rng.Float64()
		total += shares[i]
	}
	remaining := cfg.Orders
	for i := range g.students {
		want := int(math.Round(float64(cfg.Orders) * shares[i] / total))
		if i == len(g.students)-1 {
			want = remaining
		}
		want = min(want, remaining, len(g.days))
		remaining -= g.addOrders(int32(i), want)
	}
	// Rounding leaves a few orders over; give them to students with free
	// days, round-robin.
	for i, idle := 0, 0; remaining > 0 && idle < len(g.students); i = (i + 1) % len(g.students) {
		if g.addOrders(int32(i), 1) == 1 {
			remaining--
			idle = 0
		} else {
			idle++
		}
	}
	g.used = nil
	slices.SortFunc(g.orders, func(a, b order) int { return int(a.createdAt - b.createdAt) })
	for i := range g.orders {
		g.orders[i].id = g.id(time.Unix(g.orders[i].createdAt, 0))
	}
}

// addOrders adds up to n orders for student si on days it has none yet
// and returns how many it added.
func (g *gen) addOrders(si int32, n int) int {
	if g.used == nil {
		g.used = make([][]bool, len(g.students))
	}
	if g.used[si] == nil {
		g.used[si] = make([]bool, len(g.days))
	}
	used := g.used[si]
	added := 0
	for tries := 0; added < n && tries < 4*n+len(g.days); tries++ {
		d := int16(g.rng.IntN(len(g.days)))
		if used[d] {
			continue
		}
		used[d] = true
		added++
		o := order{student: si, day: d}
		sch := &g.schools[g.students[si].school]
		menu := g.menuOf(int(g.students[si].school), int(d))
		o.n = uint8(1 + g.rng.IntN(3))
		perm := g.rng.Perm(len(menu))
		for k := 0; k < int(o.n); k++ {
			qty := uint8(1)
			if g.rng.Float64() < 0.15 {
				qty = 2
			}
			o.items[k] = orderItem{item: menu[perm[k]], qty: qty}
			o.total += sch.items[menu[perm[k]]].price * int32(qty)
		}
		r := g.rng.Float64()
		switch {
		case int(d) < g.todayIdx:
			switch {
			case r < 0.92:
				o.status, o.payment = stDelivered, payPaid
			case r < 0.97:
				o.status, o.payment = stCancelled, payRefunded
			default:
				o.status, o.payment = stCancelled, payUnpaid
			}
		case int(d) == g.todayIdx:
			switch {
			case r < 0.85:
				o.status, o.payment = stConfirmed, payPaid
			case r < 0.95:
				o.status, o.payment = stPending, payUnpaid
			default:
				o.status, o.payment = stCancelled, payUnpaid
			}
		default:
			if r < 0.6 {
				o.status, o.payment = stConfirmed, payPaid
			} else {
				o.status, o.payment = stPending, payUnpaid
			}
		}
		day := g.days[d]
		created := time.Date(day.Year(), day.Month(), day.Day(), 7, 0, 0, 0, ist.Zone).
			Add(-time.Duration(1+g.rng.IntN(7)) * 24 * time.Hour).
			Add(time.Duration(g.rng.IntN(15*3600)) * time.Second)
		if created.After(g.now) {
			created = g.now.Add(-time.Duration(1+g.rng.IntN(3600)) * time.Second)
		}
		o.createdAt = created.Unix()
		g.orders = append(g.orders, o)
	}
	return added
}

// menuOf returns the indexes of the school's items on the day's menu: a
// fixed number per category, rotating with the day.
func (g *gen) menuOf(school, day int) []uint8 {
	var out []uint8
	base := 0
	for _, c := range categories {
		k := len(itemNames[c])
		for j := 0; j < perMenu[c]; j++ {
			out = append(out, uint8(base+(day+school+j*2)%k))
		}
		base += k
	}
	return out
}

// razorpayID returns a deterministic Razorpay-style id.
func razorpayID(prefix string, n uint64) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := []byte(prefix)
	x := n*0x9E3779B97F4A7C15 + 0x1234567
	for range 14 {
		b = append(b, alphabet[x%62])
		x /= 62
		if x == 0 {
			x = n*2654435761 + 977
		}
	}
	return string(b)
}

// Run generates the data set described by cfg and loads it.
func Run(ctx context.Context, cfg Config, logf func(string, ...any)) (*Manifest, error) {
	if cfg.Schools < 1 || cfg.Students < cfg.Schools || cfg.Orders < 0 {
		return nil, errors.New("need at least one school and one student per school")
	}
	if cfg.ManifestOnly {
		g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))}
		g.build()
		return g.manifest(), nil
	}
	if cfg.Migrate {
		pool, err := pgxpool.New(ctx, cfg.DatabaseURL)
		if err != nil {
			return nil, err
		}
		res, err := migrations.Apply(ctx, pool)
		pool.Close()
		if err != nil {
			return nil, err
		}
		logf("schema at version %d", res.Version)
	}
	conn, err := pgx.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(ctx)
	tables := []string{"invoices", "meal_verifications", "rfid_cards", "refunds", "payments", "payment_orders", "subscriptions",
		"order_list_versions", "cache_versions",
		"order_items", "orders", "daily_menu_items", "daily_menus", "menu_items", "students", "users", "schools"}
	if cfg.Reset {
		// Forget what the database held before changing any of it.
		if err := dropMeta(ctx, conn); err != nil {
			return nil, err
		}
		if _, err := conn.Exec(ctx, "TRUNCATE "+joinIdents(tables)); err != nil {
			return nil, fmt.Errorf("reset: %w", err)
		}
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM schools").Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, errors.New("the database already has data: use -reset to replace it")
	}
	if err := dropMeta(ctx, conn); err != nil {
		return nil, err
	}
	// Bulk-load settings for this session only: no waiting for WAL flush,
	// and no per-row foreign-key triggers (the generator's data is
	// consistent by construction; needs a superuser, else checks stay on).
	if _, err := conn.Exec(ctx, "SET synchronous_commit = off"); err != nil {
		return nil, err
	}
	if _, err := conn.Exec(ctx, "SET session_replication_role = replica"); err != nil {
		logf("foreign-key checks stay on: %v", err)
	}
	if _, err := conn.Exec(ctx, "SET maintenance_work_mem = '512MB'"); err != nil {
		return nil, err
	}

	g := &gen{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed))}
	g.build()
	logf("generated %d users, %d students, %d orders in memory", len(g.users), len(g.students), len(g.orders))
	if err := g.load(ctx, conn, logf); err != nil {
		return nil, err
	}
	for _, t := range tables {
		if _, err := conn.Exec(ctx, "VACUUM (ANALYZE) "+pgx.Identifier{t}.Sanitize()); err != nil {
			return nil, fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	logf("vacuumed and analysed")
	m := g.manifest()
	if err := writeMeta(ctx, conn, cfg, m); err != nil {
		return nil, err
	}
	return m, nil
}

func joinIdents(names []string) string {
	s := ""
	for i, n := range names {
		if i > 0 {
			s += ", "
		}
		s += pgx.Identifier{n}.Sanitize()
	}
	return s
}

// copyTable loads rows into table with COPY, with the table's secondary
// indexes dropped during the load and rebuilt after it (one sort per index
// instead of millions of random inserts). The definitions come from the
// catalog, so the rebuilt indexes are exactly the migration's.
func copyTable(ctx context.Context, conn *pgx.Conn, table string, cols []string, next func() ([]any, error)) (int64, error) {
	rows, err := conn.Query(ctx, `
		SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
		FROM pg_index i
		WHERE i.indrelid = $1::regclass
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)`, table)
	if err != nil {
		return 0, err
	}
	type index struct{ Name, Def string }
	indexes, err := pgx.CollectRows(rows, pgx.RowToStructByPos[index])
	if err != nil {
		return 0, fmt.Errorf("list indexes of %s: %w", table, err)
	}
	for _, ix := range indexes {
		if _, err := conn.Exec(ctx, "DROP INDEX "+ix.Name); err != nil {
			return 0, err
		}
	}
	n, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(next))
	if err != nil {
		return 0, fmt.Errorf("copy %s: %w", table, err)
	}
	for _, ix := range indexes {
		if _, err := conn.Exec(ctx, ix.Def); err != nil {
			return 0, fmt.Errorf("rebuild %s: %w", ix.Name, err)
		}
	}
	return n, nil
}

// rowsOf adapts an indexed generator to CopyFromFunc.
func rowsOf(n int, row func(i int) []any) func() ([]any, error) {
	i := 0
	return func() ([]any, error) {
		for i < n {
			r := row(i)
			i++
			if r != nil {
				return r, nil
			}
		}
		return nil, nil
	}
}

func (g *gen) load(ctx context.Context, conn *pgx.Conn, logf func(string, ...any)) error {
	date := func(d int16) time.Time { return g.days[d] }
	load := func(table string, cols []string, n int, row func(i int) []any) error {
		start := time.Now()
		c, err := copyTable(ctx, conn, table, cols, rowsOf(n, row))
		if err != nil {
			return err
		}
		logf("%-18s %9d rows in %s", table, c, time.Since(start).Round(time.Millisecond))
		return nil
	}
	epoch := g.now.AddDate(-2, 0, 0)
	if err := load("schools", []string{"id", "code", "name", "city", "created_at"}, len(g.schools), func(i int) []any {
		s := &g.schools[i]
		return []any{s.id, s.code, s.name, s.city, epoch}
	}); err != nil {
		return err
	}
	if err := load("users", []string{"id", "email", "password_hash", "first_name", "last_name", "phone", "role",
		"status", "school_id", "parent_id", "created_at", "updated_at"}, len(g.users), func(i int) []any {
		u := &g.users[i]
		var sch, par *uuid
		if u.school >= 0 {
			sch = &g.schools[u.school].id
		}
		if u.parent >= 0 {
			par = &g.users[u.parent].id
		}
		return []any{u.id, u.email, PasswordHash, u.first, u.last, fmt.Sprintf("+9198%08d", i), u.role, u.status,
			sch, par, u.createdAt, u.createdAt}
	}); err != nil {
		return err
	}
	if err := load("students", []string{"id", "school_id", "parent_id", "user_id", "first_name", "last_name",
		"grade", "section", "created_at"}, len(g.students), func(i int) []any {
		s := &g.students[i]
		var uid *uuid
		if s.user >= 0 {
			uid = &g.users[s.user].id
		}
		return []any{s.id, g.schools[s.school].id, g.users[s.parent].id, uid, s.first, s.last,
			fmt.Sprint(s.grade), string(s.section), g.users[s.parent].createdAt}
	}); err != nil {
		return err
	}
	perSchool := len(g.schools[0].items)
	if err := load("menu_items", []string{"id", "school_id", "name", "description", "category", "price_paise",
		"is_vegetarian", "allergens"}, len(g.schools)*perSchool, func(i int) []any {
		s := &g.schools[i/perSchool]
		it := s.items[i%perSchool]
		k := i % perSchool
		name := itemNames[it.category][k%6]
		allergens := []string{}
		if it.category == "beverage" && k%2 == 0 {
			allergens = []string{"dairy"}
		}
		return []any{it.id, s.id, name, "Freshly made " + name, it.category, it.price, true, allergens}
	}); err != nil {
		return err
	}
	nd := len(g.days)
	if err := load("daily_menus", []string{"id", "school_id", "menu_date", "status", "created_at"},
		len(g.schools)*nd, func(i int) []any {
			s, d := i/nd, i%nd
			return []any{g.menus[s][d], g.schools[s].id, g.days[d], "published", g.days[d].AddDate(0, 0, -7)}
		}); err != nil {
		return err
	}
	per := len(g.menuOf(0, 0))
	if err := load("daily_menu_items", []string{"daily_menu_id", "menu_item_id", "sort_order"},
		len(g.schools)*nd*per, func(i int) []any {
			s, d, k := i/(nd*per), (i/per)%nd, i%per
			return []any{g.menus[s][d], g.schools[s].items[g.menuOf(s, d)[k]].id, k}
		}); err != nil {
		return err
	}
	if err := load("orders", []string{"id", "user_id", "student_id", "school_id", "delivery_date", "status",
		"payment_status", "total_paise", "created_at", "updated_at"}, len(g.orders), func(i int) []any {
		o := &g.orders[i]
		st := &g.students[o.student]
		created := time.Unix(o.createdAt, 0)
		return []any{o.id, g.users[st.parent].id, st.id, g.schools[st.school].id, date(o.day),
			orderStatuses[o.status], paymentStatuses[o.payment], int64(o.total), created, created}
	}); err != nil {
		return err
	}
	// order_items: one generator position per (order, slot); empty slots
	// are skipped.
	if err := load("order_items", []string{"order_id", "menu_item_id", "quantity", "unit_price_paise"},
		len(g.orders)*3, func(i int) []any {
			o := &g.orders[i/3]
			k := i % 3
			if k >= int(o.n) {
				return nil
			}
			it := g.schools[g.students[o.student].school].items[o.items[k].item]
			return []any{o.id, it.id, int32(o.items[k].qty), it.price}
		}); err != nil {
		return err
	}
	paid := func(o *order) bool { return o.payment == payPaid || o.payment == payRefunded }
	poID := func(i int) uuid {
		u := g.orders[i].id
		u[15] ^= 0x5a // derived from the order id: unique and time-ordered
		u[6] = u[6]&0x0f | 0x70
		return u
	}
	if err := load("payment_orders", []string{"id", "order_id", "user_id", "razorpay_order_id", "amount_paise",
		"status", "expires_at", "created_at", "updated_at"}, len(g.orders), func(i int) []any {
		o := &g.orders[i]
		if !paid(o) {
			return nil
		}
		created := time.Unix(o.createdAt+60, 0)
		return []any{poID(i), o.id, g.users[g.students[o.student].parent].id, razorpayID("order_", uint64(i)),
			int64(o.total), "paid", created.Add(15 * time.Minute), created, created.Add(2 * time.Minute)}
	}); err != nil {
		return err
	}
	if err := load("payments", []string{"id", "payment_order_id", "order_id", "user_id", "razorpay_payment_id",
		"amount_paise", "status", "method", "paid_at", "created_at"}, len(g.orders), func(i int) []any {
		o := &g.orders[i]
		if !paid(o) {
			return nil
		}
		id := poID(i)
		id[14] ^= 0xa5
		status := "captured"
		if o.payment == payRefunded {
			status = "refunded"
		}
		at := time.Unix(o.createdAt+120, 0)
		methods := []string{"upi", "card", "netbanking", "wallet"}
		return []any{id, poID(i), o.id, g.users[g.students[o.student].parent].id, razorpayID("pay_", uint64(i)),
			int64(o.total), status, methods[i%4], at, at}
	}); err != nil {
		return err
	}
	if err := load("rfid_cards", []string{"id", "card_number", "student_id", "school_id", "is_active", "issued_at",
		"expires_at"}, len(g.students), func(i int) []any {
		s := &g.students[i]
		issued := g.users[s.parent].createdAt
		expires := g.now.AddDate(1, 0, 0)
		if s.cardState == 2 {
			expires = g.now.AddDate(0, 0, -10)
		}
		return []any{s.card, s.cardNumber, s.id, g.schools[s.school].id, s.cardState != 1, issued, expires}
	}); err != nil {
		return err
	}
	if err := load("meal_verifications", []string{"order_id", "card_id", "student_id", "school_id", "reader_id",
		"service_date", "verified_at"}, len(g.orders), func(i int) []any {
		o := &g.orders[i]
		if o.status != stDelivered {
			return nil
		}
		s := &g.students[o.student]
		d := g.days[o.day]
		at := time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, ist.Zone).Add(time.Duration(i%5400) * time.Second)
		return []any{o.id, s.card, s.id, g.schools[s.school].id, fmt.Sprintf("reader-%d", i%4), d, at}
	}); err != nil {
		return err
	}
	// Subscriptions for one student in ten, three monthly invoices each.
	nsub := len(g.students) / 10
	subID := func(i int) uuid { u := g.students[i*10].id; u[15] ^= 0x33; return u }
	if err := load("subscriptions", []string{"id", "user_id", "student_id", "school_id", "plan", "status",
		"amount_paise", "billing_cycle", "next_billing_date"}, nsub, func(i int) []any {
		s := &g.students[i*10]
		status := []string{"active", "active", "active", "paused", "cancelled", "past_due"}[i%6]
		return []any{subID(i), g.users[s.parent].id, s.id, g.schools[s.school].id, "monthly-lunch", status,
			int64(180000), "monthly", g.cfg.Today.AddDate(0, 0, i%28)}
	}); err != nil {
		return err
	}
	if err := load("invoices", []string{"invoice_number", "user_id", "school_id", "subscription_id", "amount_paise",
		"status", "invoice_date", "due_date"}, nsub*3, func(i int) []any {
		s := &g.students[(i/3)*10]
		issued := g.cfg.Today.AddDate(0, -(i%3)-1, 0)
		status := []string{"issued", "paid", "paid"}[i%3]
		return []any{fmt.Sprintf("INV-%08d", i+1), g.users[s.parent].id, g.schools[s.school].id, subID(i / 3),
			int64(180000), status, issued, issued.AddDate(0, 0, 15)}
	}); err != nil {
		return err
	}
	return nil
}

// Manifest lists known data a benchmark harness can drive requests with.
type Manifest struct {
	Seed     uint64 `json:"seed"`
	Today    string `json:"today"`
	Password string `json:"password"`
	// MenuDates lists every date with a menu, oldest first.
	MenuDates []string `json:"menuDates"`
	// Schools lists every school with its share of students (popularity).
	Schools []ManifestSchool `json:"schools"`
	// Parents samples parent accounts; sampling is uniform over parents,
	// so popular schools dominate as they would in real traffic.
	Parents []ManifestParent `json:"parents"`
	// InactiveParents are accounts whose login must be refused.
	InactiveParents []string `json:"inactiveParents"`
	// Staff lists each school's kitchen staff, who may verify RFID taps.
	Staff []ManifestStaff `json:"staff"`
	// Admins lists each school's administrator, who may read its
	// analytics.
	Admins []ManifestStaff `json:"admins"`
	// RFIDCards lists active, unexpired cards of students with a paid order
	// today (the lunchtime burst), in random order.
	RFIDCards []ManifestCard `json:"rfidCards"`
	// UnpaidOrders lists future unpaid orders to create payment orders for.
	UnpaidOrders []ManifestOrder `json:"unpaidOrders"`
}

// ManifestSchool is one school.
type ManifestSchool struct {
	ID       string  `json:"id"`
	Code     string  `json:"code"`
	Weight   float64 `json:"weight"`
	Students int     `json:"students"`
}

// ManifestParent is one parent and their children.
type ManifestParent struct {
	Email    string            `json:"email"`
	UserID   string            `json:"userId"`
	Students []ManifestStudent `json:"students"`
}

// ManifestStudent is one child of a parent.
type ManifestStudent struct {
	ID       string `json:"id"`
	SchoolID string `json:"schoolId"`
}

// ManifestStaff is one staff account of a school.
type ManifestStaff struct {
	Email    string `json:"email"`
	UserID   string `json:"userId"`
	SchoolID string `json:"schoolId"`
}

// ManifestCard is one RFID card.
type ManifestCard struct {
	CardNumber string `json:"cardNumber"`
	StudentID  string `json:"studentId"`
	SchoolID   string `json:"schoolId"`
}

// ManifestOrder is one order and its owner.
type ManifestOrder struct {
	OrderID string `json:"orderId"`
	Email   string `json:"email"`
	UserID  string `json:"userId"`
}

func uuidString(u uuid) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

func (g *gen) manifest() *Manifest {
	m := &Manifest{Seed: g.cfg.Seed, Today: g.cfg.Today.Format(time.DateOnly), Password: Password}
	for _, d := range g.days {
		m.MenuDates = append(m.MenuDates, d.Format(time.DateOnly))
	}
	for _, s := range g.schools {
		m.Schools = append(m.Schools, ManifestSchool{ID: uuidString(s.id), Code: s.code, Weight: s.weight,
			Students: len(s.students)})
		k := s.staff[1]
		m.Staff = append(m.Staff, ManifestStaff{Email: g.users[k].email, UserID: uuidString(g.users[k].id),
			SchoolID: uuidString(s.id)})
		a := s.staff[0]
		m.Admins = append(m.Admins, ManifestStaff{Email: g.users[a].email, UserID: uuidString(g.users[a].id),
			SchoolID: uuidString(s.id)})
	}
	rng := rand.New(rand.NewPCG(g.cfg.Seed, 42))
	var parents []int
	for i, u := range g.users {
		switch {
		case u.role == "parent" && u.status == "active":
			parents = append(parents, i)
		case u.role == "parent" && len(m.InactiveParents) < 20:
			m.InactiveParents = append(m.InactiveParents, u.email)
		}
	}
	rng.Shuffle(len(parents), func(i, j int) { parents[i], parents[j] = parents[j], parents[i] })
	for _, pi := range parents[:min(2000, len(parents))] {
		u := g.users[pi]
		p := ManifestParent{Email: u.email, UserID: uuidString(u.id)}
		for _, si := range u.students {
			p.Students = append(p.Students, ManifestStudent{ID: uuidString(g.students[si].id),
				SchoolID: uuidString(g.schools[g.students[si].school].id)})
		}
		m.Parents = append(m.Parents, p)
	}
	var cards []ManifestCard
	for i := range g.orders {
		o := &g.orders[i]
		s := &g.students[o.student]
		if int(o.day) == g.todayIdx && o.payment == payPaid && s.cardState == 0 &&
			g.users[s.parent].status == "active" {
			cards = append(cards, ManifestCard{CardNumber: s.cardNumber, StudentID: uuidString(s.id),
				SchoolID: uuidString(g.schools[s.school].id)})
		}
		if int(o.day) > g.todayIdx && o.payment == payUnpaid && o.status == stPending &&
			g.users[s.parent].status == "active" && len(m.UnpaidOrders) < 2000 {
			m.UnpaidOrders = append(m.UnpaidOrders, ManifestOrder{OrderID: uuidString(o.id), Email: g.users[s.parent].email,
				UserID: uuidString(g.users[s.parent].id)})
		}
	}
	rng.Shuffle(len(cards), func(i, j int) { cards[i], cards[j] = cards[j], cards[i] })
	m.RFIDCards = cards[:min(20000, len(cards))]
	return m
}

// WriteFile writes the manifest as indented JSON.
func (m *Manifest) WriteFile(path string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
