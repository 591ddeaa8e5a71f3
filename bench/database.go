package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hasivu/infra/bench/internal/emf"
	"github.com/hasivu/infra/bench/internal/mix"
	"github.com/hasivu/infra/bench/internal/report"
	"github.com/hasivu/infra/bench/internal/stats"
	"github.com/hasivu/infra/lambda/analytics"
	lambdaemf "github.com/hasivu/infra/lambda/emf"
	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/orders"
	"github.com/hasivu/infra/lambda/payments"
	"github.com/hasivu/infra/lambda/postgres"
	"github.com/hasivu/infra/lambda/rfid"
	"github.com/hasivu/infra/lambda/routes"
)

// keptIndexes are secondary indexes the comparison without indexes keeps:
// the writes' ON CONFLICT clauses name them as arbiters, so without them
// the statements fail instead of slowing down.
var keptIndexes = []string{"orders_idempotency_idx", "payment_orders_live_order_idx"}

// queryTimeout cuts off a call, as the stages' statement_timeout (30 s,
// stacks.TunedParameters) would.
const queryTimeout = 30 * time.Second

// namedQuery is one query of the stores, by the name its QueryDuration
// metric carries.
type namedQuery struct {
	name, function string
	// call runs the store method with the i-th parameters.
	call func(ctx context.Context, i int) error
	// explain limits EXPLAIN to statements containing it (a transaction
	// sends several).
	explain string
}

// tracer remembers the statements sent, so that EXPLAIN runs exactly
// what a store ran.
type tracer struct {
	on  bool
	all []captured
}

type captured struct {
	sql  string
	args []any
}

func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if t.on {
		t.all = append(t.all, captured{d.SQL, d.Args})
	}
	return ctx
}
func (t *tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (t *tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (t *tracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	if t.on {
		t.all = append(t.all, captured{d.SQL, d.Args})
	}
}
func (t *tracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// dbBench runs the stores' queries one call at a time.
type dbBench struct {
	pool   *pgxpool.Pool
	tr     *tracer
	m      *manifest
	d      mix.Data
	cards  []mix.Card
	unpaid []mix.Order
	rng    *rand.Rand
	// created are the payment orders open_payment_order stored, which
	// apply_capture then reports paid.
	created []payments.PaymentOrder
	queries []namedQuery
	// nextCard and nextOrder hand out the cards and unpaid orders the
	// writes consume, each once.
	nextCard, nextOrder int
}

// card returns a card no call has tapped yet (cycling if the phase's
// share runs out, which turns later taps into repeats).
func (b *dbBench) card() mix.Card {
	c := b.cards[b.nextCard%len(b.cards)]
	b.nextCard++
	return c
}

// staffOf returns the user id of a staff member of school, who taps the
// card as the function's caller would (verified_by records them).
func (b *dbBench) staffOf(school string) string {
	for _, s := range b.m.Staff {
		if s.SchoolID == school {
			return s.UserID
		}
	}
	return b.m.Staff[0].UserID
}

// order returns an unpaid order no call has paid for yet.
func (b *dbBench) order() mix.Order {
	o := b.unpaid[b.nextOrder%len(b.unpaid)]
	b.nextOrder++
	return o
}

// newDBBench opens one traced connection, configured as the functions'
// pool is (cache_describe), to url.
func newDBBench(ctx context.Context, url string, m *manifest, d mix.Data, cards []mix.Card, unpaid []mix.Order) (*dbBench, error) {
	cfg, err := postgres.Config(env.DB{URL: url}, env.AWS{})
	if err != nil {
		return nil, err
	}
	cfg.MaxConns = 1
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(queryTimeout.Milliseconds())
	tr := &tracer{}
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	b := &dbBench{pool: pool, tr: tr, m: m, d: d, cards: cards, unpaid: unpaid, rng: rand.New(rand.NewPCG(m.Seed, 77))}
	b.define()
	return b, nil
}

func (b *dbBench) Close() { b.pool.Close() }

// Names returns the query names, in the order they run.
func (b *dbBench) Names() []string {
	var names []string
	for _, q := range b.queries {
		names = append(names, q.name)
	}
	return names
}

// Indexed maps each query written for a secondary index
// (postgres.Indexed) to that index, when the comparison drops it: without
// the indexes such a query must be slower, on any machine
// (report.Expect.Indexed).
func (b *dbBench) Indexed() map[string]string {
	m := map[string]string{}
	for _, q := range postgres.Indexed {
		if !slices.Contains(keptIndexes, q.Index) && slices.ContainsFunc(b.queries, func(n namedQuery) bool { return n.name == q.Name }) {
			m[q.Name] = q.Index
		}
	}
	return m
}

func (b *dbBench) define() {
	users := &postgres.Users{Pool: b.pool}
	ords := &postgres.Orders{Pool: b.pool}
	mns := &postgres.Menus{Pool: b.pool}
	pays := &postgres.Payments{Pool: b.pool}
	cards := &postgres.Cards{Pool: b.pool}
	profiles := &postgres.Profiles{Pool: b.pool}
	summaries := &postgres.Summaries{Pool: b.pool}
	schoolVersions := postgres.CacheVersions{Pool: b.pool, Scope: postgres.SchoolVersions}
	today, _ := time.Parse(time.DateOnly, b.d.Today)
	orderDate, _ := time.Parse(time.DateOnly, b.d.OrderDate)
	parent := func(i int) mix.Parent { return b.d.Parents[(i*7919)%len(b.d.Parents)] }
	schools := make([]float64, len(b.d.Schools))
	for i, s := range b.d.Schools {
		schools[i] = s.Popularity
	}
	pick, _ := mix.NewSampler(schools)
	dates, _ := mix.NewSampler(mix.DateWeights(len(b.d.ViewDates)))
	// The reads take any unpaid order; the writes take fresh ones.
	unpaid := func(i int) mix.Order { return b.unpaid[(i*31)%len(b.unpaid)] }
	firstItem := func(menu *orders.MenuRecord) (string, int64) {
		ids := make([]string, 0, len(menu.Items))
		for id := range menu.Items {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		return ids[0], menu.Items[ids[0]].PricePaise
	}
	b.queries = []namedQuery{
		{name: "users.by_email", function: routes.AuthLogin, call: func(ctx context.Context, i int) error {
			_, err := users.UserByEmail(ctx, parent(i).Email)
			return err
		}},
		{name: "users.status", function: routes.OrdersList, call: func(ctx context.Context, i int) error {
			_, err := users.UserStatus(ctx, parent(i).UserID)
			return err
		}},
		{name: "orders.list_version", function: routes.OrdersList, call: func(ctx context.Context, i int) error {
			_, err := ords.OrderListVersion(ctx, parent(i).UserID)
			return err
		}},
		{name: "orders.list", function: routes.OrdersList, call: func(ctx context.Context, i int) error {
			// Pages as the mix asks for them: mostly the first.
			page := []int{0, 0, 0, 0, 0, 0, 0, 0, 20, 40}[i%10]
			_, err := ords.ListByUser(ctx, parent(i).UserID, page, 21)
			return err
		}},
		{name: "orders.count", function: routes.OrdersList, call: func(ctx context.Context, i int) error {
			_, err := ords.CountByUser(ctx, parent(i).UserID)
			return err
		}},
		{name: "profiles.get", function: routes.Profile, call: func(ctx context.Context, i int) error {
			_, err := profiles.Profile(ctx, parent(i).UserID)
			return err
		}},
		{name: "cache_versions.read", function: routes.AnalyticsDaily, call: func(ctx context.Context, i int) error {
			_, err := schoolVersions.Version(ctx, b.d.Schools[pick.Draw(b.rng)].ID)
			return err
		}},
		{name: "analytics.daily", function: routes.AnalyticsDaily, call: func(ctx context.Context, i int) error {
			// The mix's week to today, and every third call the longest
			// range a summary may cover.
			days := 7
			if i%3 == 0 {
				days = analytics.MaxDays
			}
			_, err := summaries.Daily(ctx, b.d.Schools[pick.Draw(b.rng)].ID, today.AddDate(0, 0, 1-days), today)
			return err
		}},
		{name: "orders.by_idempotency_key", function: routes.OrdersCreate, call: func(ctx context.Context, i int) error {
			_, _, err := ords.ByIdempotencyKey(ctx, parent(i).UserID, fmt.Sprintf("bench-db-%d", i))
			return err
		}},
		{name: "orders.load_for_create", function: routes.OrdersCreate, call: func(ctx context.Context, i int) error {
			st := parent(i).Students[0]
			return ords.InTx(ctx, func(tx orders.Tx) error {
				_, _, err := tx.Load(ctx, st.ID, st.SchoolID, orderDate)
				return err
			})
		}},
		{name: "orders.insert", function: routes.OrdersCreate, explain: "INSERT", call: func(ctx context.Context, i int) error {
			p := parent(i)
			st := p.Students[0]
			return ords.InTx(ctx, func(tx orders.Tx) error {
				_, menu, err := tx.Load(ctx, st.ID, st.SchoolID, orderDate)
				if err != nil || menu == nil {
					return err
				}
				item, price := firstItem(menu)
				o := &orders.Order{SchoolID: st.SchoolID, Student: orders.Student{ID: st.ID}, DeliveryDate: b.d.OrderDate,
					Currency: "INR", TotalPaise: price, Items: []orders.Item{{MenuItemID: item, Quantity: 1, UnitPricePaise: price}}}
				_, err = tx.Insert(ctx, o, p.UserID, fmt.Sprintf("bench-db-%d-%d", time.Now().UnixNano(), i), []byte{1})
				return err
			})
		}},
		{name: "menus.daily", function: routes.MenusDaily, call: func(ctx context.Context, i int) error {
			d, _ := time.Parse(time.DateOnly, b.d.ViewDates[dates.Draw(b.rng)])
			_, err := mns.Daily(ctx, b.d.Schools[pick.Draw(b.rng)].ID, d)
			return err
		}},
		{name: "menus.items", function: routes.MenusDaily, call: func(ctx context.Context, i int) error {
			_, err := mns.Catalogue(ctx, b.d.Schools[pick.Draw(b.rng)].ID)
			return err
		}},
		{name: "payments.payable_order", function: routes.PaymentsCreateOrder, call: func(ctx context.Context, i int) error {
			o := unpaid(i)
			_, err := pays.PayableOrder(ctx, o.ID, o.UserID)
			return err
		}},
		{name: "payments.live_payment_order", function: routes.PaymentsCreateOrder, call: func(ctx context.Context, i int) error {
			_, err := pays.LivePaymentOrder(ctx, unpaid(i).ID, time.Now())
			return err
		}},
		{name: "payments.open_payment_order", function: routes.PaymentsCreateOrder, explain: "INSERT", call: func(ctx context.Context, i int) error {
			o := b.order()
			return pays.Checkout(ctx, o.ID, o.UserID, func(po *payments.PayableOrder, tx payments.CheckoutTx) error {
				opened := &payments.PaymentOrder{OrderID: o.ID, RazorpayOrderID: fmt.Sprintf("order_benchdb%d%d", time.Now().UnixNano(), i),
					AmountPaise: po.TotalPaise, Currency: "INR", Status: payments.POCreated, ExpiresAt: time.Now().Add(payments.CheckoutWindow)}
				if err := tx.Open(ctx, opened, o.UserID, time.Now()); err != nil {
					return err
				}
				b.created = append(b.created, *opened)
				return nil
			})
		}},
		{name: "payments.apply_capture", function: routes.PaymentsWebhook, explain: "payment_orders", call: func(ctx context.Context, i int) error {
			if len(b.created) == 0 {
				return errExhausted
			}
			po := b.created[0]
			b.created = b.created[1:]
			_, err := pays.ApplyCapture(ctx, payments.Captured{RazorpayPaymentID: fmt.Sprintf("pay_benchdb%d%d", time.Now().UnixNano(), i),
				RazorpayOrderID: po.RazorpayOrderID, AmountPaise: po.AmountPaise, Currency: "INR", Method: "upi", PaidAt: time.Now()})
			return err
		}},
		{name: "rfid.verify", function: routes.RFIDVerifyCard, call: func(ctx context.Context, i int) error {
			c := b.card()
			_, err := cards.Verify(ctx, rfid.Lookup{CardNumber: c.Number, Date: today, ReaderID: "bench-db",
				VerifiedBy: b.staffOf(c.SchoolID), SchoolID: c.SchoolID, At: time.Now()})
			return err
		}},
	}
}

// timed runs q once and returns the duration its store recorded for it.
func (b *dbBench) timed(ctx context.Context, q namedQuery, i int) (time.Duration, error) {
	rec := lambdaemf.NewRecorder("bench", q.function)
	err := q.call(lambdaemf.NewContext(ctx, rec), i)
	var buf bytes.Buffer
	if ferr := rec.Flush(&buf); ferr != nil {
		return 0, ferr
	}
	var c emf.Collector
	if _, rerr := c.ReadFrom(&buf); rerr != nil {
		return 0, rerr
	}
	d := c.Durations(emf.Filter{Metric: metrics.QueryDuration.Name, Dims: map[string]string{metrics.DimQuery: q.name}})
	if err != nil {
		return 0, err
	}
	if len(d) == 0 {
		return 0, fmt.Errorf("%s recorded no QueryDuration", q.name)
	}
	return d[len(d)-1], nil
}

// errExhausted ends a query's calls early: its input (payment orders
// stored by open_payment_order) ran out.
var errExhausted = errors.New("no more input for this query")

func timedOut(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "57014" || strings.Contains(fmt.Sprint(err), "statement timeout")
}

// phase runs every query: n calls each, or, with a budget, calls until
// the budget is spent (at least 3, at most n). It returns the summaries
// and the calls that hit the timeout.
func (b *dbBench) phase(ctx context.Context, n int, budget time.Duration, label string, p *progress) (map[string]stats.Summary, map[string]int, error) {
	out, timeouts := map[string]stats.Summary{}, map[string]int{}
	// Warm the connection and the statement descriptions.
	for _, q := range b.queries {
		if _, err := b.timed(ctx, q, 0); err != nil && !timedOut(err) && !errors.Is(err, errExhausted) {
			return out, timeouts, fmt.Errorf("%s: %w", q.name, err)
		}
	}
	for _, q := range b.queries {
		var samples []time.Duration
		start := time.Now()
		for i := 0; i < n; i++ {
			if ctx.Err() != nil {
				return out, timeouts, ctx.Err()
			}
			if budget > 0 && i >= 3 && time.Since(start) > budget {
				break
			}
			p.Detail("%s: %s, call %d", label, q.name, i+1)
			d, err := b.timed(ctx, q, i)
			if errors.Is(err, errExhausted) {
				break
			}
			switch {
			case timedOut(err):
				timeouts[q.name]++
				d = queryTimeout
			case err != nil:
				return out, timeouts, fmt.Errorf("%s: %w", q.name, err)
			}
			samples = append(samples, d)
		}
		out[q.name] = stats.Summarize(samples)
	}
	return out, timeouts, nil
}

// dropIndexes drops the secondary indexes (those no constraint owns)
// except the kept ones, in the database b is connected to (the run's
// scratch copy), and returns their names.
func (b *dbBench) dropIndexes(ctx context.Context) ([]string, error) {
	rows, err := b.pool.Query(ctx, `
		SELECT i.indexrelid::regclass::text
		FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
		WHERE n.nspname = current_schema() AND t.relkind = 'r'
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
		ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	var dropped []string
	for _, name := range names {
		if slices.Contains(keptIndexes, name) {
			continue
		}
		if _, err := b.pool.Exec(ctx, "DROP INDEX "+pgx.Identifier{name}.Sanitize()); err != nil {
			return dropped, fmt.Errorf("drop %s: %w", name, err)
		}
		dropped = append(dropped, name)
	}
	// The planner forgets the dropped indexes at once; the statistics
	// stay valid.
	return dropped, nil
}

// explain writes EXPLAIN (ANALYZE, BUFFERS) of every query's statements,
// each in a transaction that is rolled back.
func (b *dbBench) explain(ctx context.Context, w io.Writer, heading string) error {
	fmt.Fprintf(w, "\n######## %s\n", heading)
	for _, q := range b.queries {
		b.tr.on, b.tr.all = true, nil
		err := q.call(ctx, 1_000_003)
		b.tr.on = false
		if err != nil && !timedOut(err) {
			return fmt.Errorf("%s: %w", q.name, err)
		}
		for _, c := range b.tr.all {
			if c.sql == "begin" || c.sql == "commit" || q.explain != "" && !strings.Contains(c.sql, q.explain) {
				continue
			}
			if err := b.plan(ctx, w, q.name, c); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *dbBench) plan(ctx context.Context, w io.Writer, name string, c captured) error {
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // the point is to roll back
	rows, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+c.sql, c.args...)
	if err != nil {
		return fmt.Errorf("explain %s: %w", name, err)
	}
	defer rows.Close()
	fmt.Fprintf(w, "\n=== %s\n%s\n---\n", name, strings.Join(strings.Fields(c.sql), " "))
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		fmt.Fprintln(w, line)
	}
	return rows.Err()
}

// dbResults merges the phases into the report's form.
func dbResults(names []string, functions map[string]string, with, without map[string]stats.Summary,
	timeouts map[string]int) []report.Query {
	var out []report.Query
	for _, n := range names {
		out = append(out, report.Query{Name: n, Function: functions[n], With: with[n], Without: without[n], TimedOut: timeouts[n]})
	}
	return out
}
