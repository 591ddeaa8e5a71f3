// Command querybench measures the handlers' database queries on a seeded
// data set (see cmd/seed): for each query it prints the plan from
// EXPLAIN (ANALYZE, BUFFERS) of the exact statement and arguments the
// handler's store sends, then calls the store method in a loop with
// parameters drawn from the seed's manifest and prints latency
// percentiles. It goes through the same pool configuration as the Lambda
// functions (pgx cache_describe mode) on one connection at a time.
//
// The write queries (order insert, RFID verification, webhook payment)
// really write: run it on a benchmark database and reseed afterwards.
//
//	go run ./lambda/cmd/querybench -database-url postgres://postgres@127.0.0.1/hasivu_bench?sslmode=disable \
//	    -manifest /tmp/hasivu-manifest.json -n 2000
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/orders"
	"github.com/hasivu/infra/lambda/payments"
	"github.com/hasivu/infra/lambda/postgres"
	"github.com/hasivu/infra/lambda/rfid"
)

type manifest struct {
	Today     string   `json:"today"`
	MenuDates []string `json:"menuDates"`
	Schools   []struct {
		ID     string  `json:"id"`
		Weight float64 `json:"weight"`
	} `json:"schools"`
	Parents []struct {
		Email    string `json:"email"`
		UserID   string `json:"userId"`
		Students []struct {
			ID       string `json:"id"`
			SchoolID string `json:"schoolId"`
		} `json:"students"`
	} `json:"parents"`
	Staff []struct {
		SchoolID string `json:"schoolId"`
	} `json:"staff"`
	RFIDCards []struct {
		CardNumber string `json:"cardNumber"`
		SchoolID   string `json:"schoolId"`
	} `json:"rfidCards"`
	UnpaidOrders []struct {
		OrderID string `json:"orderId"`
	} `json:"unpaidOrders"`
}

// tracer remembers the last statement and arguments sent, so that
// EXPLAIN runs exactly what the store ran.
type tracer struct {
	sql  string
	args []any
	all  []captured
}

type captured struct {
	sql  string
	args []any
}

func (t *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	t.sql, t.args = d.SQL, d.Args
	t.all = append(t.all, captured{d.SQL, d.Args})
	return ctx
}
func (t *tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (t *tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}
func (t *tracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	t.all = append(t.all, captured{d.SQL, d.Args})
}
func (t *tracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

type bench struct {
	name string
	// call runs the store method once with the i-th parameters.
	call func(ctx context.Context, i int) error
	// explainOnly, if set, limits EXPLAIN to the captured statements
	// containing it (a transaction sends several).
	explainOnly string
}

func main() {
	dbURL := flag.String("database-url", os.Getenv("DATABASE_URL"), "seeded database")
	manifestPath := flag.String("manifest", "/tmp/hasivu-manifest.json", "the seed's manifest")
	n := flag.Int("n", 1000, "calls per query")
	only := flag.String("only", "", "comma-separated query names to run (default all)")
	explain := flag.Bool("explain", true, "print EXPLAIN (ANALYZE, BUFFERS) of each query")
	flag.Parse()
	var m manifest
	b, err := os.ReadFile(*manifestPath)
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	cfg, err := postgres.Config(env.DB{URL: *dbURL}, env.AWS{})
	if err != nil {
		log.Fatal(err)
	}
	cfg.MaxConns = 1
	tr := &tracer{}
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	plain, err := pgxpool.New(ctx, *dbURL) // for EXPLAIN, untraced
	if err != nil {
		log.Fatal(err)
	}
	defer plain.Close()

	rng := rand.New(rand.NewPCG(1, 2))
	today, _ := time.Parse(time.DateOnly, m.Today)
	weights := make([]float64, len(m.Schools))
	for i, s := range m.Schools {
		weights[i] = s.Weight
	}
	pickSchool := func() string { return m.Schools[weighted(rng, weights)].ID }
	parent := func(i int) (string, string, string) {
		p := m.Parents[i%len(m.Parents)]
		return p.UserID, p.Students[0].ID, p.Students[0].SchoolID
	}
	recentDates := m.MenuDates[max(0, len(m.MenuDates)-14):]

	// Paid payment orders for the webhook: a second captured payment for
	// each runs every statement of the transaction.
	type paidOrder struct {
		id     string
		amount int64
	}
	var paid []paidOrder
	rows, err := plain.Query(ctx, `SELECT razorpay_order_id, amount_paise FROM payment_orders WHERE status = 'paid' ORDER BY created_at DESC LIMIT 5000`)
	if err != nil {
		log.Fatal(err)
	}
	for rows.Next() {
		var p paidOrder
		if err := rows.Scan(&p.id, &p.amount); err != nil {
			log.Fatal(err)
		}
		paid = append(paid, p)
	}
	rows.Close()
	rng.Shuffle(len(paid), func(i, j int) { paid[i], paid[j] = paid[j], paid[i] })

	users := &postgres.Users{Pool: pool}
	ords := &postgres.Orders{Pool: pool}
	mns := &postgres.Menus{Pool: pool}
	pays := &postgres.Payments{Pool: pool}
	cards := &postgres.Cards{Pool: pool}
	tomorrow := today.AddDate(0, 0, 1)
	if !slices.Contains(m.MenuDates, tomorrow.Format(time.DateOnly)) {
		tomorrow = today
	}
	benches := []bench{
		{name: "users.by_email (auth-login)", call: func(ctx context.Context, i int) error {
			_, err := users.UserByEmail(ctx, m.Parents[i%len(m.Parents)].Email)
			return err
		}},
		{name: "orders.list (orders-list, page 1 of 20)", call: func(ctx context.Context, i int) error {
			u, _, _ := parent(i)
			_, err := ords.ListByUser(ctx, u, 0, 21)
			return err
		}},
		{name: "orders.list (orders-list, page 3 of 20)", call: func(ctx context.Context, i int) error {
			u, _, _ := parent(i)
			_, err := ords.ListByUser(ctx, u, 40, 21)
			return err
		}},
		{name: "orders.load_for_create (orders-create)", call: func(ctx context.Context, i int) error {
			_, st, sch := parent(i)
			return ords.InTx(ctx, func(tx orders.Tx) error {
				_, _, err := tx.Load(ctx, st, sch, tomorrow)
				return err
			})
		}},
		{name: "orders.insert (orders-create)", explainOnly: "INSERT", call: func(ctx context.Context, i int) error {
			u, st, sch := parent(i)
			return ords.InTx(ctx, func(tx orders.Tx) error {
				_, menu, err := tx.Load(ctx, st, sch, tomorrow)
				if err != nil || menu == nil {
					return err
				}
				var item string
				var price int64
				for id, it := range menu.Items {
					item, price = id, it.PricePaise
					break
				}
				o := &orders.Order{SchoolID: sch, Student: orders.Student{ID: st}, DeliveryDate: tomorrow.Format(time.DateOnly),
					Currency: "INR", TotalPaise: price, Items: []orders.Item{{MenuItemID: item, Quantity: 1, UnitPricePaise: price}}}
				_, err = tx.Insert(ctx, o, u, fmt.Sprintf("querybench-%d-%d", time.Now().UnixNano(), i), []byte{1})
				return err
			})
		}},
		{name: "menus.daily (menus-daily)", call: func(ctx context.Context, i int) error {
			d, _ := time.Parse(time.DateOnly, recentDates[rng.IntN(len(recentDates))])
			_, err := mns.Daily(ctx, pickSchool(), d)
			return err
		}},
		{name: "payments.payable_order (payments-create-order)", call: func(ctx context.Context, i int) error {
			u, _, _ := parent(i)
			_, err := pays.PayableOrder(ctx, m.UnpaidOrders[i%len(m.UnpaidOrders)].OrderID, u)
			if err != nil && !strings.Contains(err.Error(), "not found") {
				return err
			}
			return nil
		}},
		{name: "payments.live_payment_order (payments-create-order)", call: func(ctx context.Context, i int) error {
			_, err := pays.LivePaymentOrder(ctx, m.UnpaidOrders[i%len(m.UnpaidOrders)].OrderID, time.Now())
			return err
		}},
		{name: "payments.apply (payments-webhook, whole transaction)", call: func(ctx context.Context, i int) error {
			po := paid[i%len(paid)]
			_, err := pays.ApplyPayment(ctx, payments.Captured{RazorpayPaymentID: fmt.Sprintf("pay_qb_%d_%d", time.Now().UnixNano(), i),
				RazorpayOrderID: po.id, AmountPaise: po.amount, Currency: "INR", Method: "upi", PaidAt: time.Now()})
			return err
		}},
		{name: "rfid.verify (rfid-verify-card, lunchtime taps)", call: func(ctx context.Context, i int) error {
			c := m.RFIDCards[i%len(m.RFIDCards)]
			_, err := cards.Verify(ctx, rfid.Lookup{CardNumber: c.CardNumber, Date: today, ReaderID: "querybench",
				SchoolID: c.SchoolID, At: time.Now()})
			return err
		}},
	}
	for _, bn := range benches {
		short := strings.Fields(bn.name)[0]
		if *only != "" && !slices.Contains(strings.Split(*only, ","), short) {
			continue
		}
		if *explain {
			tr.all = nil
			if err := bn.call(ctx, len(m.Parents)/2+7); err != nil {
				log.Fatalf("%s: %v", bn.name, err)
			}
			for _, c := range tr.all {
				if c.sql == "begin" || c.sql == "commit" || bn.explainOnly != "" && !strings.Contains(c.sql, bn.explainOnly) {
					continue
				}
				printPlan(ctx, plain, bn.name, c)
			}
		}
		lat := make([]time.Duration, 0, *n)
		for i := range *n {
			start := time.Now()
			if err := bn.call(ctx, i); err != nil {
				log.Fatalf("%s: %v", bn.name, err)
			}
			lat = append(lat, time.Since(start))
		}
		slices.Sort(lat)
		pct := func(p float64) string {
			return fmt.Sprintf("%.2f", float64(lat[int(p*float64(len(lat)-1))].Microseconds())/1000)
		}
		fmt.Printf("RESULT %-55s n=%d p50=%sms p95=%sms p99=%sms max=%sms\n", bn.name, len(lat), pct(0.5), pct(0.95), pct(0.99), pct(1))
	}
}

// printPlan runs EXPLAIN (ANALYZE, BUFFERS) of a captured statement in a
// transaction that is rolled back, so explaining a write changes nothing.
func printPlan(ctx context.Context, pool *pgxpool.Pool, name string, c captured) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	rows, err := tx.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+c.sql, c.args...)
	if err != nil {
		log.Fatalf("explain %s: %v", name, err)
	}
	defer rows.Close()
	fmt.Printf("\n=== %s\n%s\n---\n", name, strings.Join(strings.Fields(c.sql), " "))
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			log.Fatal(err)
		}
		fmt.Println(line)
	}
	if err := rows.Err(); err != nil {
		log.Fatalf("explain %s: %v", name, err)
	}
}

func weighted(rng *rand.Rand, w []float64) int {
	x := rng.Float64()
	for i, v := range w {
		if x < v {
			return i
		}
		x -= v
	}
	return len(w) - 1
}
