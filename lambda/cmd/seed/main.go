// Command seed fills a database with a realistic synthetic data set for
// benchmarks and manual trials: schools of skewed popularity, parents
// and their children, staff, menus for every school day, orders with
// items, payment orders and payments, RFID cards and meal verifications,
// subscriptions and invoices. It loads everything with COPY and is
// deterministic for a given -seed and -today (the one bcrypt hash every
// user shares is a constant, so even it does not vary).
//
// It also writes a manifest (-manifest) listing credentials, ids, dates
// and card numbers a benchmark harness can use (parents with their
// students, each school's kitchen staff and administrator), and records the settings
// and the manifest in the table seed_meta once the data set is complete
// (the benchmark harness, bench/, reads it to tell whether a database
// holds the data set it needs).
//
// Usage:
//
//	go run ./lambda/cmd/seed -database-url postgres://postgres@127.0.0.1/hasivu_bench?sslmode=disable \
//	    -manifest /tmp/hasivu-manifest.json
//	go run ./lambda/cmd/seed -tiny ...   # a few schools, for tests
//	go run ./lambda/cmd/seed -manifest-only -today 2026-11-27 -manifest m.json   # manifest of an earlier run
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/hasivu/infra/lambda/routes"
)

func main() {
	cfg := defaultConfig()
	var tiny bool
	var today string
	flag.StringVar(&cfg.DatabaseURL, "database-url", os.Getenv(routes.EnvDatabaseURL), "database to fill (default $"+routes.EnvDatabaseURL+")")
	flag.IntVar(&cfg.Schools, "schools", cfg.Schools, "number of schools")
	flag.IntVar(&cfg.Students, "students", cfg.Students, "number of students")
	flag.IntVar(&cfg.Orders, "orders", cfg.Orders, "number of orders")
	flag.IntVar(&cfg.DaysBack, "days-back", cfg.DaysBack, "days of order history before today")
	flag.IntVar(&cfg.DaysAhead, "days-ahead", cfg.DaysAhead, "days of menus and pre-orders after today")
	flag.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	flag.StringVar(&today, "today", "", "the data set's today, YYYY-MM-DD (default: today in India)")
	flag.BoolVar(&tiny, "tiny", false, "a tiny data set (4 schools, 200 students, 3000 orders) for tests")
	flag.BoolVar(&cfg.Reset, "reset", false, "empty every table first")
	flag.BoolVar(&cfg.Migrate, "migrate", true, "apply the migrations first")
	flag.StringVar(&cfg.Manifest, "manifest", "", "write the manifest JSON to this file")
	flag.BoolVar(&cfg.ManifestOnly, "manifest-only", false, "write the manifest of an earlier run with the same flags; touch no database")
	flag.Parse()
	if tiny {
		cfg.Schools, cfg.Students, cfg.Orders = 4, 200, 3000
	}
	if today != "" {
		t, err := time.Parse(time.DateOnly, today)
		if err != nil {
			log.Fatalf("-today: %v", err)
		}
		cfg.Today = t
	}
	if cfg.DatabaseURL == "" && !cfg.ManifestOnly {
		log.Fatal("-database-url or DATABASE_URL is required")
	}
	start := time.Now()
	m, err := Run(context.Background(), cfg, func(format string, args ...any) {
		log.Printf("%6.1fs "+format, append([]any{time.Since(start).Seconds()}, args...)...)
	})
	if err != nil {
		log.Fatal(err)
	}
	if cfg.Manifest != "" {
		if err := m.WriteFile(cfg.Manifest); err != nil {
			log.Fatal(err)
		}
	}
	if cfg.ManifestOnly {
		fmt.Printf("wrote the manifest of %d schools, %d students, %d orders (seed %d, today %s)\n",
			cfg.Schools, cfg.Students, cfg.Orders, cfg.Seed, m.Today)
		return
	}
	fmt.Printf("seeded %d schools, %d students, %d orders in %s\n", cfg.Schools, cfg.Students, cfg.Orders, time.Since(start).Round(time.Millisecond))
}
