// Command bench is the local performance harness: it measures, on this
// machine and against PostgreSQL and Redis on loopback, every figure the
// performance plan set a target for, and reports each beside its target.
//
//	make bench         # full run (about 10 minutes; seeds the data set when needed)
//	make bench-quick   # quick run for CI (under 2 minutes)
//	make bench-synth   # the synth phase alone, spliced into BENCHMARKS.md
//
// scripts/bench.sh finds or starts PostgreSQL and Redis (scripts/services.sh)
// and runs this command with -postgres and -redis. A run:
//
//  1. builds the local server, the data generator, aws-lambda-rie (a tool
//     dependency in go.mod) and the Lambda binary for this machine; makes
//     sure the data set is seeded for today (lambda/cmd/seed records what
//     it seeded in seed_meta) and copies it into a scratch database that
//     the run may write to and drop indexes in;
//  2. times `cdk synth` per stage (wall and CPU) and counts each stack's
//     resources; for one stage (prod; quick: dev) compares the synth's CPU
//     with the same stacks synthesised by aws-cdk-lib in Node (the app's
//     jsii requests recorded and replayed natively, bench/jsreplay) and
//     breaks it down (CLI, builds, Go, jsii kernel, aws-cdk-lib, cdk-nag,
//     CloudFormation validation);
//  3. zips the synthesised Lambda assets: size per function and in total;
//  4. starts each function in fresh aws-lambda-rie processes: init
//     duration and first invocation;
//  5. times every named query of the stores with the migrations' indexes;
//  6. through the local server: latency with an empty cache and a filled
//     one, then the mixed load (Zipf-skewed schools and parents, a
//     lunchtime RFID burst): latency per function, end-to-end p95, error
//     rate, cache hit rate;
//  7. the cached functions, one request at a time, with a Redis of the
//     phase's own answering, hung (SIGSTOP) and down (killed);
//  8. drops the secondary indexes in the scratch copy and times the
//     queries again;
//  9. prints the table, writes the Markdown report and the chart.
//
// It exits 1 when a figure is missing (a phase failed) or a ratio that
// does not depend on the machine points the wrong way (a query an index
// exists for not slower without it, a function not faster with its cache
// filled), whatever the figures are: a slow machine is not a failure.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/bench/internal/load"
	"github.com/hasivu/infra/bench/internal/mix"
	"github.com/hasivu/infra/bench/internal/report"
	"github.com/hasivu/infra/bench/internal/rie"
	"github.com/hasivu/infra/bench/internal/stats"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/ist"
	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
	lambdaredis "github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/routes"
)

// Secrets of the run's functions, on loopback only.
const (
	webhookSecret = "hasivu-bench-webhook-secret"
)

// config is one run's settings.
type config struct {
	quick         bool
	postgres      string
	redis         string
	database      string
	scale         scale
	stages        []string
	synthRuns     int
	baselineStage string
	splice        bool
	coldRuns      int
	dbSamples     int
	withoutMax    int
	withoutBudget time.Duration
	cacheKeys     int
	warmup        time.Duration
	normal, lunch time.Duration
	rate          float64
	lunchRate     float64
	inFlight      int
	dbConns       int
	redisPool     int
	parentZipf    float64
	reportPath    string
	chartPath     string
	explainPath   string
	only          []string
	keep          bool
	command       string
}

// parseFlags reads the command line into a config: the full run's
// settings, or the quick run's with -quick, with any single setting
// overridden by its flag.
// jwtSecret is the run's JWT signing key (PKCS #8 PEM), generated at
// start: the harness signs the requests' tokens with it, and the local
// server and the emulated functions verify them with it.
var jwtSecret = func() string {
	k, err := auth.GenerateKey()
	if err != nil {
		panic(err)
	}
	return k
}()

func parseFlags(now time.Time) (*config, error) {
	c := &config{}
	quick := flag.Bool("quick", false, "quick run for CI: small data set in its own database, fewer runs, shorter load")
	flag.StringVar(&c.postgres, "postgres", os.Getenv("HASIVU_BENCH_POSTGRES_URL"),
		"PostgreSQL URL of a database to connect to for administration (default $HASIVU_BENCH_POSTGRES_URL)")
	flag.StringVar(&c.redis, "redis", os.Getenv("HASIVU_BENCH_REDIS_ADDR"), "Redis host:port (default $HASIVU_BENCH_REDIS_ADDR)")
	database := flag.String("database", "", "database holding the data set (default hasivu_bench, quick: hasivu_bench_quick)")
	synthRuns := flag.Int("synth-runs", 0, "cdk synth runs per stage (default 3, quick 1)")
	stages := flag.String("stages", "", "stages to synthesise (default dev,staging,prod, quick dev)")
	baseline := flag.String("baseline", "", "stage whose synth is compared with the same stacks in Node, and broken down "+
		"(default prod, quick dev; \"none\" skips it)")
	flag.BoolVar(&c.splice, "splice", false, "with -only synth (or -only load): replace the synth (cache) rows and section "+
		"of the existing report (-report, default BENCHMARKS.md) and keep the rest of it")
	coldRuns := flag.Int("cold-runs", 0, "fresh emulator processes per function (default 20, quick 5)")
	dbSamples := flag.Int("db-samples", 0, "calls per query with indexes (default 300, quick 40)")
	rate := flag.Float64("rate", 0, "requests per second in the normal mix (default 100, quick 60); the lunchtime burst is twice that")
	loadFor := flag.Duration("load", 0, "length of the normal-mix stage (default 60s, quick 12s); the lunchtime burst is half as long")
	flag.IntVar(&c.inFlight, "in-flight", 64, "most requests in flight at once")
	flag.StringVar(&c.reportPath, "report", "", "Markdown report (default BENCHMARKS.md at the repository root; quick: in the temporary directory)")
	flag.StringVar(&c.chartPath, "chart", "", "PNG chart (default bench/latency.png; quick: beside the report)")
	flag.StringVar(&c.explainPath, "explain", "", "also write EXPLAIN (ANALYZE, BUFFERS) of every query, with and without indexes, to this file")
	only := flag.String("only", "", "run only these phases (comma-separated: synth, bundle, cold, db, load, outage); the rest are reported missing")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (binaries, cloud assemblies) and the scratch database")
	flag.Parse()
	if flag.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", flag.Args())
	}
	if c.postgres == "" || c.redis == "" {
		return nil, errors.New("-postgres and -redis are required: run scripts/bench.sh (make bench), which finds or starts them")
	}
	c.quick = *quick
	c.scale = scale{Schools: 500, Students: 100_000, Orders: 2_000_000, DaysBack: 120, DaysAhead: 7, Seed: 1,
		Today: ist.Today(now).Format(time.DateOnly)}
	c.database, c.stages, c.synthRuns, c.coldRuns, c.dbSamples = "hasivu_bench", []string{"dev", "staging", "prod"}, 3, 20, 300
	c.baselineStage = "prod"
	c.withoutMax, c.withoutBudget, c.cacheKeys = 100, 6*time.Second, 200
	c.warmup, c.normal, c.rate = 20*time.Second, 60*time.Second, 100
	c.dbConns, c.redisPool, c.parentZipf = 16, 32, 1
	c.command = "make bench"
	if c.quick {
		c.scale.Schools, c.scale.Students, c.scale.Orders = 40, 8_000, 150_000
		c.database, c.stages, c.synthRuns, c.coldRuns, c.dbSamples = "hasivu_bench_quick", []string{"dev"}, 1, 5, 40
		c.baselineStage = "dev"
		c.withoutMax, c.withoutBudget, c.cacheKeys = 20, time.Second, 40
		c.warmup, c.normal, c.rate = 3*time.Second, 12*time.Second, 60
		c.command = "make bench-quick"
	}
	if *database != "" {
		c.database = *database
	}
	if *stages != "" {
		c.stages = strings.Split(*stages, ",")
	}
	switch {
	case *baseline == "none":
		c.baselineStage = ""
	case *baseline != "":
		c.baselineStage = *baseline
	}
	if c.baselineStage != "" && !slices.Contains(c.stages, c.baselineStage) {
		return nil, fmt.Errorf("-baseline %s is not among the stages synthesised (%s)", c.baselineStage, strings.Join(c.stages, ","))
	}
	for _, v := range []struct {
		dst *int
		src int
	}{{&c.synthRuns, *synthRuns}, {&c.coldRuns, *coldRuns}, {&c.dbSamples, *dbSamples}} {
		if v.src > 0 {
			*v.dst = v.src
		}
	}
	if *rate > 0 {
		c.rate = *rate
	}
	if *loadFor > 0 {
		c.normal = *loadFor
	}
	c.lunch, c.lunchRate = c.normal/2, 2*c.rate
	// The report names the command that reproduces it.
	var extra []string
	flag.Visit(func(f *flag.Flag) {
		if f.Name != "postgres" && f.Name != "redis" && f.Name != "quick" {
			extra = append(extra, fmt.Sprintf("-%s=%s", f.Name, f.Value))
		}
	})
	if len(extra) > 0 {
		if c.quick {
			extra = append([]string{"-quick"}, extra...)
		}
		c.command = "scripts/bench.sh " + strings.Join(extra, " ")
	}
	if *only != "" {
		c.only = strings.Split(*only, ",")
		for _, o := range c.only {
			if !slices.Contains([]string{"synth", "bundle", "cold", "db", "load", "outage"}, o) {
				return nil, fmt.Errorf("-only: unknown phase %q", o)
			}
		}
	}
	if c.splice && !slices.Equal(c.only, []string{"synth"}) && !slices.Equal(c.only, []string{"load"}) {
		return nil, errors.New("-splice rewrites the synth or the cache part of a report: use it with -only synth or -only load")
	}
	return c, nil
}

// runs reports whether the phase is selected.
func (c *config) runs(phase string) bool { return len(c.only) == 0 || slices.Contains(c.only, phase) }

// moduleRoot finds the repository root (the directory of go.mod) from
// the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/hasivu/infra\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run from inside the hasivu infra repository")
		}
		dir = parent
	}
}

func main() {
	os.Exit(run())
}

func run() int {
	start := time.Now()
	cfg, err := parseFlags(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		return 2
	}
	if cfg.reportPath == "" {
		cfg.reportPath = filepath.Join(root, "BENCHMARKS.md")
		if cfg.quick {
			cfg.reportPath = filepath.Join(os.TempDir(), "hasivu-bench-quick", "BENCHMARKS.md")
		}
	}
	if cfg.chartPath == "" {
		cfg.chartPath = filepath.Join(root, "bench", "latency.png")
		if cfg.quick {
			cfg.chartPath = filepath.Join(filepath.Dir(cfg.reportPath), "latency.png")
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h := &harness{cfg: cfg, root: root, res: &report.Results{}}
	code := h.run(ctx)
	h.res.Meta.Duration = time.Since(start)
	return code
}

// harness is one run.
type harness struct {
	cfg     *config
	root    string
	work    string
	res     *report.Results
	p       *progress
	bins    *binaries
	m       *manifest
	data    mix.Data
	scratch string
	// Parts of the data set each phase uses, so that no two phases tap
	// the same card or pay the same order.
	coldCards, dbCards, loadCards    []mix.Card
	coldUnpaid, dbUnpaid, loadUnpaid []mix.Order
	rp                               *razorpaytest.Server
	tokens                           *auth.Tokens
	underLoad                        map[string]stats.Summary
	without                          map[string]stats.Summary
	timeouts                         map[string]int
	dropped                          []string
	with                             map[string]stats.Summary
	queryFn                          map[string]string
	explain                          *os.File
}

func (h *harness) problem(what string, err error) {
	msg := fmt.Sprintf("%s: %v", what, err)
	h.res.Problems = append(h.res.Problems, firstLine(msg))
	h.p.Log("FAILED %s", msg)
}

func (h *harness) run(ctx context.Context) int {
	cfg := h.cfg
	phases := []string{"prepare"}
	for _, ph := range []string{"synth", "bundle", "cold", "db", "load", "outage"} {
		if cfg.runs(ph) {
			phases = append(phases, ph)
		}
	}
	if cfg.runs("db") {
		phases = append(phases, "db-without")
	}
	phases = append(phases, "report")
	h.p = newProgress(os.Stderr, len(phases))
	defer h.p.Close()

	h.res.Expect = report.Expect{Stages: cfg.stages, Baseline: cfg.baselineStage, Functions: routes.Deployed(),
		Routed: routes.Functions(), ColdWarm: coldWarmFunctions}
	for _, r := range routes.Table {
		h.res.Expect.Routes = append(h.res.Expect.Routes, r.Key())
	}
	for _, k := range lambdaredis.Kinds {
		h.res.Expect.CacheKinds = append(h.res.Expect.CacheKinds, k.Name)
	}
	h.meta()

	var err error
	if h.work, err = os.MkdirTemp("", "hasivu-bench-"); err != nil {
		h.p.Log("bench: %v", err)
		return 2
	}
	if cfg.keep {
		h.p.Log("keeping the temporary directory %s", h.work)
	} else {
		defer os.RemoveAll(h.work)
	}

	h.p.Phase("prepare")
	err = h.prepare(ctx)
	// The scratch copy goes whatever happens next, interruptions included
	// (a run killed outright leaves it to the next run, which replaces it).
	if h.scratch != "" && !cfg.keep {
		defer func() {
			if err := dropDatabase(cfg.postgres, h.scratch); err != nil {
				h.p.Log("bench: drop the scratch database %s: %v", h.scratch, err)
			}
		}()
	}
	if h.rp != nil {
		defer h.rp.Close()
	}
	if err != nil {
		h.p.Log("bench: prepare: %v", err)
		return 2
	}

	var synthOut string
	if cfg.runs("synth") && ctx.Err() == nil {
		h.p.Phase("synth")
		synthOut = h.synth(ctx)
	}
	if cfg.runs("bundle") && ctx.Err() == nil {
		h.p.Phase("bundle")
		h.bundle(ctx, synthOut)
	}
	if cfg.runs("cold") && ctx.Err() == nil {
		h.p.Phase("cold start")
		h.coldStart(ctx)
	}
	var db *dbBench
	if cfg.runs("db") && ctx.Err() == nil {
		h.p.Phase("database, with indexes")
		u, _ := dbURL(cfg.postgres, h.scratch)
		if db, err = newDBBench(ctx, u, h.m, h.data, h.dbCards, h.dbUnpaid); err != nil {
			h.problem("database", err)
		} else {
			defer db.Close()
			h.res.Expect.Queries, h.res.Expect.Indexed = db.Names(), db.Indexed()
			h.queryFn = map[string]string{}
			for _, q := range db.queries {
				h.queryFn[q.name] = q.function
			}
			h.databaseWith(ctx, db)
		}
	}
	if cfg.runs("load") && ctx.Err() == nil {
		h.p.Phase("load through the local server")
		h.load(ctx)
	}
	if cfg.runs("outage") && ctx.Err() == nil {
		h.p.Phase("cache outage")
		h.outage(ctx)
	}
	if db != nil && ctx.Err() == nil {
		h.p.Phase("database, without indexes")
		h.databaseWithout(ctx, db)
	}
	if db != nil {
		h.res.DB = &report.Database{Queries: dbResults(db.Names(), h.queryFn, h.with, h.without, h.timeouts),
			Dropped: h.dropped, Kept: keptIndexes, WithoutBudget: cfg.withoutBudget, Timeout: queryTimeout}
		for i, q := range h.res.DB.Queries {
			h.res.DB.Queries[i].UnderLoad = h.underLoad[q.Name]
		}
	}
	if ctx.Err() != nil {
		h.res.Problems = append(h.res.Problems, "the run was interrupted")
	}

	h.p.Phase("report")
	h.res.Meta.Duration = time.Since(h.p.start)
	return h.write()
}

// write prints the table and writes the report and the chart.
func (h *harness) write() int {
	if h.cfg.splice {
		return h.writeSplice()
	}
	chartLink := ""
	if err := h.res.Chart(h.cfg.chartPath); err != nil {
		h.problem("chart", err)
	} else if rel, err := filepath.Rel(filepath.Dir(h.cfg.reportPath), h.cfg.chartPath); err == nil {
		chartLink = filepath.ToSlash(rel)
	}
	if err := os.MkdirAll(filepath.Dir(h.cfg.reportPath), 0o755); err != nil {
		h.problem("report", err)
	} else if err := os.WriteFile(h.cfg.reportPath, h.res.Markdown(chartLink), 0o644); err != nil {
		h.problem("report", err)
	}
	h.p.Close()
	fmt.Println()
	_ = h.res.Table(os.Stdout)
	fmt.Println()
	for _, pr := range h.res.Problems {
		fmt.Println("problem:", pr)
	}
	fmt.Printf("report: %s\nchart:  %s\n", h.cfg.reportPath, h.cfg.chartPath)
	if h.explain != nil {
		fmt.Printf("plans:  %s\n", h.cfg.explainPath)
		h.explain.Close()
	}
	fmt.Printf("took %s\n", h.res.Meta.Duration.Round(time.Second))
	return h.verdict(h.res.Complete(), h.res.Consistent())
}

// verdict prints why a run fails and returns its exit status: 1 when a
// figure is missing or a ratio that does not depend on the machine
// points the wrong way, never because a target is missed.
func (h *harness) verdict(complete, consistent bool) int {
	if !complete {
		fmt.Println("bench: figures are missing (MISSING above)")
	}
	if !consistent {
		fmt.Println("bench: a ratio that does not depend on the machine points the wrong way (FLIPPED above)")
	}
	if !complete || !consistent {
		return 1
	}
	return 0
}

// writeSplice replaces the synth part (-only synth -splice) or the cache
// part (-only load -splice) of the existing report with this run's and
// prints its rows.
func (h *harness) writeSplice() int {
	section, splice := "synth", report.SpliceSynth
	if h.cfg.runs("load") {
		section, splice = "cache", report.SpliceCache
	}
	old, err := os.ReadFile(h.cfg.reportPath)
	if err == nil {
		var spliced []byte
		if spliced, err = splice(old, h.res); err == nil {
			err = os.WriteFile(h.cfg.reportPath, spliced, 0o644)
		}
	}
	if err != nil {
		h.problem("report", err)
	}
	h.p.Close()
	fmt.Println()
	complete, consistent := true, true
	for _, row := range h.res.Rows() {
		if row.Section != section {
			continue
		}
		fmt.Printf("%-50s %-70s %s\n", row.Figure, row.Result, row.Verdict)
		complete = complete && row.Verdict != report.Missing
		consistent = consistent && row.Verdict != report.Flipped
	}
	for _, pr := range h.res.Problems {
		fmt.Println("problem:", pr)
		complete = false
	}
	fmt.Printf("report: %s (%s part)\ntook %s\n", h.cfg.reportPath, section, h.res.Meta.Duration.Round(time.Second))
	return h.verdict(complete, consistent)
}

// meta records the machine, the versions and the settings.
func (h *harness) meta() {
	cfg, m := h.cfg, &h.res.Meta
	m.Date, m.Command = time.Now(), cfg.command
	m.Mode = "full"
	if cfg.quick {
		m.Mode = "quick"
	}
	machine(m)
	m.Commit, m.Dirty = gitState(h.root)
	m.Versions = []report.KV{{Name: "Go", Value: runtime.Version()}}
	m.Settings = []report.KV{
		{Name: "data set", Value: cfg.scale.String()},
		{Name: "synth", Value: synthSettings(cfg)},
		{Name: "cold starts", Value: fmt.Sprintf("%d fresh emulator processes per function", cfg.coldRuns)},
		{Name: "database", Value: fmt.Sprintf("%d calls per query with indexes; without, up to %d calls or %s per query",
			cfg.dbSamples, cfg.withoutMax, cfg.withoutBudget)},
		{Name: "cache cold vs warm", Value: fmt.Sprintf("%d menu views and %d order lists, one at a time", cfg.cacheKeys, cfg.cacheKeys)},
		{Name: "mixed load", Value: fmt.Sprintf("warm-up %s at %.0f/s (not recorded), normal mix %s at %.0f/s, lunchtime burst %s at %.0f/s, then the normal mix "+
			"again for %s (the cache's steady state, recorded apart); Poisson arrivals, at most %d in flight",
			cfg.warmup, cfg.rate, cfg.normal, cfg.rate, cfg.lunch, cfg.lunchRate, cfg.normal, cfg.inFlight)},
		{Name: "request mix", Value: mixDescription()},
		{Name: "local server", Value: fmt.Sprintf("database pool %d connections, Redis pool %d", cfg.dbConns, cfg.redisPool)},
	}
}

// plural is n and the noun, in the plural unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func mixDescription() string {
	var parts []string
	for _, ph := range []mix.Phase{mix.Normal, mix.Lunch} {
		w := mix.Weights[ph]
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range w {
				if !yield(n) {
					return
				}
			}
		})
		slices.SortStableFunc(names, func(a, b string) int { return int(w[b] - w[a]) })
		var s []string
		for _, n := range names {
			s = append(s, fmt.Sprintf("%s %.0f %%", n, w[n]))
		}
		parts = append(parts, fmt.Sprintf("%s: %s", ph, strings.Join(s, ", ")))
	}
	return strings.Join(parts, "; ") + "; schools by popularity (Zipf, exponent 0.8), order lists by parent activity (Zipf, exponent 1)"
}

// prepare builds the programs, makes sure the data set is there and
// copies it, and reads what the phases need.
func (h *harness) prepare(ctx context.Context) error {
	cfg := h.cfg
	var err error
	if h.bins, err = buildAll(ctx, h.root, h.work, h.p); err != nil {
		return err
	}
	h.versions(ctx)
	// Synth and bundle need no data: a run of those alone leaves the
	// data set alone.
	if !slices.ContainsFunc([]string{"cold", "db", "load", "outage"}, cfg.runs) {
		return nil
	}
	h.p.Detail("checking the data set in %s", cfg.database)
	m, seeded, err := ensureDataset(ctx, cfg.postgres, cfg.database, cfg.scale, h.bins.Seed, h.p)
	if err != nil {
		return err
	}
	h.m = m
	if applied, err := migrateDataset(ctx, cfg.postgres, cfg.database); err != nil {
		return err
	} else if len(applied) > 0 {
		h.p.Log("applied migrations %v to %s", applied, cfg.database)
	}
	if seeded {
		h.res.Meta.Settings = append(h.res.Meta.Settings, report.KV{Name: "seeding", Value: "this run seeded the data set"})
	}
	h.scratch = cfg.database + "_run"
	h.p.Detail("copying %s to %s", cfg.database, h.scratch)
	if err := copyDatabase(ctx, cfg.postgres, cfg.database, h.scratch); err != nil {
		return err
	}
	if h.data, err = h.mixData(ctx); err != nil {
		return err
	}
	key, err := auth.ParseSigningKey(jwtSecret)
	if err != nil {
		return err
	}
	h.tokens = auth.NewTokens(auth.Issuer("bench"), auth.StaticKeys{Key: key})
	h.rp = razorpaytest.New("rzp_test_bench", "bench-key-secret")
	// Split the cards and unpaid orders between the phases.
	cards, unpaid := h.data.Cards, h.data.Unpaid
	dbCards := cfg.dbSamples + cfg.withoutMax + 8
	if len(cards) < cfg.coldRuns+dbCards+100 || len(unpaid) < cfg.coldRuns+dbCards+20 {
		return fmt.Errorf("the data set has %d RFID cards and %d unpaid orders; the run needs more (a larger scale)", len(cards), len(unpaid))
	}
	h.coldCards, h.dbCards, h.loadCards = cards[:cfg.coldRuns], cards[cfg.coldRuns:cfg.coldRuns+dbCards], cards[cfg.coldRuns+dbCards:]
	h.coldUnpaid, h.dbUnpaid, h.loadUnpaid = unpaid[:cfg.coldRuns], unpaid[cfg.coldRuns:cfg.coldRuns+dbCards], unpaid[cfg.coldRuns+dbCards:]
	if cfg.explainPath != "" {
		if h.explain, err = os.Create(cfg.explainPath); err != nil {
			return err
		}
	}
	return nil
}

// versions records the versions of what the run uses.
func (h *harness) versions(ctx context.Context) {
	m := &h.res.Meta
	add := func(name, v string) {
		if v != "" {
			m.Versions = append(m.Versions, report.KV{Name: name, Value: v})
		}
	}
	if c, err := connect(ctx, h.cfg.postgres, ""); err == nil {
		var v string
		if c.QueryRow(ctx, "SHOW server_version").Scan(&v) == nil {
			add("PostgreSQL", v+" (shared_buffers "+showSetting(ctx, c, "shared_buffers")+")")
		}
		c.Close(ctx)
	}
	rdb := redis.NewClient(&redis.Options{Addr: h.cfg.redis})
	if info, err := rdb.Info(ctx, "server").Result(); err == nil {
		for _, l := range strings.Split(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "redis_version:"); ok {
				add("Redis", v)
			}
		}
	}
	rdb.Close()
	add("aws-lambda-rie", output(h.root, "go", "list", "-m", "-f", "{{.Version}}", "github.com/aws/aws-lambda-runtime-interface-emulator"))
	add("aws-cdk-lib (Go)", output(h.root, "go", "list", "-m", "-f", "{{.Version}}", "github.com/aws/aws-cdk-go/awscdk/v2"))
	if b, err := os.ReadFile(filepath.Join(h.root, "node_modules", "aws-cdk", "package.json")); err == nil {
		var pkg struct{ Version string }
		if json.Unmarshal(b, &pkg) == nil {
			add("CDK CLI", pkg.Version)
		}
	}
	add("Node.js", output(h.root, filepath.Join(h.root, "node_modules", ".bin", "node"), "--version"))
}

func showSetting(ctx context.Context, c *pgx.Conn, name string) string {
	var v string
	_ = c.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v)
	return v
}

// mixData reads what the requests are made of: the manifest, and the
// menu items on the next school day from the database.
func (h *harness) mixData(ctx context.Context) (mix.Data, error) {
	m := h.m
	d := mix.Data{Today: m.Today, Password: m.Password, MenuItems: map[string][]string{}, Staff: map[string]string{},
		Admins: map[string]string{}}
	for _, day := range m.MenuDates {
		if day < m.Today {
			continue
		}
		if day > m.Today && d.OrderDate == "" {
			d.OrderDate = day
		}
		if len(d.ViewDates) < 6 {
			d.ViewDates = append(d.ViewDates, day)
		}
	}
	if d.OrderDate == "" || len(d.ViewDates) == 0 {
		return d, fmt.Errorf("the data set has no menus after %s", m.Today)
	}
	for _, s := range m.Schools {
		d.Schools = append(d.Schools, mix.School{ID: s.ID, Popularity: s.Weight})
	}
	for _, p := range m.Parents {
		mp := mix.Parent{UserID: p.UserID, Email: p.Email}
		for _, s := range p.Students {
			mp.Students = append(mp.Students, mix.Student{ID: s.ID, SchoolID: s.SchoolID})
		}
		d.Parents = append(d.Parents, mp)
	}
	for _, s := range m.Staff {
		d.Staff[s.SchoolID] = s.UserID
	}
	for _, a := range m.Admins {
		d.Admins[a.SchoolID] = a.UserID
	}
	for _, c := range m.RFIDCards {
		d.Cards = append(d.Cards, mix.Card{Number: c.CardNumber, SchoolID: c.SchoolID})
	}
	for _, o := range m.UnpaidOrders {
		d.Unpaid = append(d.Unpaid, mix.Order{ID: o.OrderID, UserID: o.UserID})
	}
	c, err := connect(ctx, h.cfg.postgres, h.cfg.database)
	if err != nil {
		return d, err
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `
		SELECT dm.school_id::text, dmi.menu_item_id::text
		FROM daily_menus dm JOIN daily_menu_items dmi ON dmi.daily_menu_id = dm.id
		JOIN menu_items mi ON mi.id = dmi.menu_item_id
		WHERE dm.menu_date = $1 AND dm.status = 'published' AND mi.is_available
		ORDER BY 1, dmi.sort_order`, d.OrderDate)
	if err != nil {
		return d, err
	}
	defer rows.Close()
	for rows.Next() {
		var school, item string
		if err := rows.Scan(&school, &item); err != nil {
			return d, err
		}
		d.MenuItems[school] = append(d.MenuItems[school], item)
	}
	return d, rows.Err()
}

// sign returns a bearer token, as auth-login would issue.
func (h *harness) sign(userID, role, school string) (string, error) {
	t, _, err := h.tokens.Sign(context.Background(), auth.Claims{UserID: userID, Role: role, SchoolID: school})
	return t, err
}

// generator returns a request generator over the given cards and unpaid
// orders.
func (h *harness) generator(seed uint64, cards []mix.Card, unpaid []mix.Order) (*mix.Generator, error) {
	d := h.data
	d.Cards, d.Unpaid = cards, unpaid
	return mix.New(d, mix.Options{Seed: seed, ParentZipf: h.cfg.parentZipf, Sign: h.sign, WebhookSecret: webhookSecret})
}

// synth times cdk synth per stage, the stages' runs interleaved so that
// a noisy minute does not land on one stage, and returns the directory of
// the last synthesis of the first stage (for the bundle).
func (h *harness) synth(ctx context.Context) string {
	runs := map[string][]time.Duration{}
	var last string
	failed := map[string]bool{}
	// A first synth builds the app and the Lambda binary if the tree
	// changed since the last one; the runs then time the synth of an
	// unchanged tree, which is what a reviewer's or a deploy's next synth
	// costs.
	h.p.Detail("building the app and the Lambda binary")
	if _, err := cdkSynth(ctx, h.root, h.cfg.stages[0], filepath.Join(h.work, "cdk.out-build"), nil, nil); err != nil {
		h.problem("synth "+h.cfg.stages[0], err)
		return ""
	}
	os.RemoveAll(filepath.Join(h.work, "cdk.out-build"))
	cpu := map[string][]time.Duration{}
	for i := range h.cfg.synthRuns {
		for _, stage := range h.cfg.stages {
			if failed[stage] || ctx.Err() != nil {
				continue
			}
			h.p.Detail("%s, run %d of %d", stage, i+1, h.cfg.synthRuns)
			out := filepath.Join(h.work, fmt.Sprintf("cdk.out-%s-%d", stage, i))
			run, err := cdkSynth(ctx, h.root, stage, out, nil, nil)
			if err != nil {
				h.problem("synth "+stage, err)
				failed[stage] = true
				continue
			}
			runs[stage] = append(runs[stage], run.Wall)
			cpu[stage] = append(cpu[stage], run.CPU)
			if i == 0 {
				st, err := stacks(out)
				if err != nil {
					h.problem("synth "+stage, err)
					failed[stage] = true
					continue
				}
				h.res.Synth = append(h.res.Synth, report.SynthStage{Stage: stage, Stacks: st})
			}
			if stage == h.cfg.stages[0] {
				if last != "" {
					os.RemoveAll(last)
				}
				last = out
			} else if i > 0 {
				os.RemoveAll(out)
			}
		}
	}
	for i := range h.res.Synth {
		h.res.Synth[i].Runs, h.res.Synth[i].CPU = runs[h.res.Synth[i].Stage], cpu[h.res.Synth[i].Stage]
		s := h.res.Synth[i]
		h.p.Log("synth %-8s median %.1f s (CPU %.1f s) of %s, %d resources", s.Stage, s.Median().Seconds(),
			s.MedianCPU().Seconds(), plural(len(s.Runs), "run"), s.Resources())
	}
	if stage := h.cfg.baselineStage; stage != "" && !failed[stage] && ctx.Err() == nil {
		h.baseline(ctx, stage)
	}
	return last
}

// bundle measures the Lambda assets of a synthesis (running one if the
// synth phase did not).
func (h *harness) bundle(ctx context.Context, out string) {
	stage := h.cfg.stages[0]
	if out == "" {
		h.p.Detail("synthesising %s for its assets", stage)
		out = filepath.Join(h.work, "cdk.out-bundle")
		if _, err := cdkSynth(ctx, h.root, stage, out, nil, nil); err != nil {
			h.problem("bundle", err)
			return
		}
	}
	h.p.Detail("zipping the assets")
	b, err := measureBundle(out, stage, routes.Deployed())
	if err != nil {
		h.problem("bundle", err)
		return
	}
	h.res.Bundle = b
	h.p.Log("bundle: %s for all %d functions", report.MB(b.Unique), len(b.Functions))
}

// functionEnv is the environment of a function under the emulator.
func (h *harness) functionEnv() []string {
	u, _ := dbURL(h.cfg.postgres, h.scratch)
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), routes.EnvStage + "=bench", routes.EnvDatabaseURL + "=" + u,
		routes.EnvRedisAddr + "=" + h.cfg.redis, routes.EnvJWTSecret + "=" + jwtSecret, routes.EnvRazorpayKeyID + "=" + h.rp.KeyID,
		routes.EnvRazorpayKeySecret + "=" + h.rp.KeySecret, routes.EnvRazorpayWebhookSecret + "=" + webhookSecret, routes.EnvRazorpayBaseURL + "=" + h.rp.URL}
}

// coldStart starts every function in fresh emulators.
func (h *harness) coldStart(ctx context.Context) {
	// The emulator sets AWS_LAMBDA_FUNCTION_NAME; routes.ArgEmulator lets
	// the binary take the local settings of functionEnv all the same.
	em := rie.Emulator{RIE: h.bins.RIE, Bootstrap: h.bins.Bootstrap, Args: []string{routes.ArgEmulator}, Dir: h.work}
	d := h.data
	var hooks []struct {
		id     string
		amount int64
	}
	parent := func(i int) mix.Parent { return d.Parents[(i*131)%len(d.Parents)] }
	next := func(fn string, i int) (invocation, error) {
		switch fn {
		case routes.AuthLogin:
			return apiInvocation(mix.LoginRequest(parent(i).Email, d.Password))
		case routes.OrdersList:
			t, err := h.sign(parent(i).UserID, "parent", "")
			if err != nil {
				return invocation{}, err
			}
			return apiInvocation(mix.Request{Function: fn, Route: mix.OrdersListRoute, Method: "GET", Path: "/orders",
				Header: map[string][]string{"Authorization": {"Bearer " + t}}, Expect: []int{200}})
		case routes.OrdersCreate:
			p := parent(i)
			st := mix.Student{ID: p.Students[0].ID, SchoolID: p.Students[0].SchoolID}
			items := d.MenuItems[st.SchoolID]
			if len(items) == 0 {
				return invocation{}, fmt.Errorf("no menu items at school %s on %s", st.SchoolID, d.OrderDate)
			}
			t, err := h.sign(p.UserID, "parent", "")
			if err != nil {
				return invocation{}, err
			}
			return apiInvocation(mix.CreateOrderRequest(t, fmt.Sprintf("bench-cold-%d-%d", time.Now().UnixNano(), i), st,
				d.OrderDate, items[:1]))
		case routes.MenusDaily:
			return apiInvocation(mix.MenuRequest(d.Schools[i%min(len(d.Schools), 20)].ID, d.ViewDates[i%len(d.ViewDates)]))
		case routes.Profile:
			t, err := h.sign(parent(i).UserID, "parent", "")
			if err != nil {
				return invocation{}, err
			}
			return apiInvocation(mix.ProfileRequest(t))
		case routes.AnalyticsDaily:
			school := d.Schools[i%min(len(d.Schools), 20)].ID
			t, err := h.sign(d.Admins[school], "school_admin", school)
			if err != nil {
				return invocation{}, err
			}
			return apiInvocation(mix.AnalyticsRequest(t, school, d.Today, d.Today))
		case routes.PaymentsCreateOrder:
			o := h.coldUnpaid[i%len(h.coldUnpaid)]
			t, err := h.sign(o.UserID, "parent", "")
			if err != nil {
				return invocation{}, err
			}
			return apiInvocation(mix.PaymentRequest(t, o.ID))
		case routes.PaymentsWebhook:
			id, amount := "order_benchcold_unknown", int64(100)
			if i < len(hooks) {
				id, amount = hooks[i].id, hooks[i].amount
			}
			r, err := mix.WebhookRequest(webhookSecret, fmt.Sprintf("pay_benchcold%d%d", time.Now().UnixNano(), i), id, amount, time.Now())
			if err != nil {
				return invocation{}, err
			}
			return apiInvocation(r)
		case routes.RFIDVerifyCard:
			c := h.coldCards[i%len(h.coldCards)]
			t, err := h.sign(d.Staff[c.SchoolID], "kitchen_staff", c.SchoolID)
			if err != nil {
				return invocation{}, err
			}
			return apiInvocation(mix.TapRequest(t, c.Number))
		case routes.Migrate:
			return invocation{payload: []byte(`{}`)}, nil
		}
		return invocation{}, fmt.Errorf("no cold-start request for %s", fn)
	}
	done := func(fn string, resp proxyResponse) {
		if fn == routes.PaymentsCreateOrder {
			if id, amount, ok := mix.PaymentOrderOf([]byte(resp.Body)); ok {
				hooks = append(hooks, struct {
					id     string
					amount int64
				}{id, amount})
			}
		}
	}
	env := h.functionEnv()
	h.res.Cold = coldStarts(ctx, routes.Deployed(), h.cfg.coldRuns, em, func(string) []string { return slices.Clone(env) },
		next, done, h.p)
	for _, c := range h.res.Cold {
		if c.Failures > 0 {
			h.p.Log("cold start %s: %d of %d runs failed, e.g. %s", c.Function, c.Failures, c.Runs, c.Failure)
		}
	}
}

// databaseWith times the queries with the migrations' indexes.
func (h *harness) databaseWith(ctx context.Context, db *dbBench) {
	if h.explain != nil {
		h.p.Detail("EXPLAIN with indexes")
		if err := db.explain(ctx, h.explain, "with indexes"); err != nil {
			h.problem("explain", err)
		}
	}
	with, _, err := db.phase(ctx, h.cfg.dbSamples, 0, "with indexes", h.p)
	h.with = with
	if err != nil {
		h.problem("database with indexes", err)
	}
	for _, n := range db.Names() {
		if s, ok := with[n]; ok {
			h.p.Log("query %-30s p50 %s p95 %s (n=%d)", n, report.Ms(s.P50), report.Ms(s.P95), s.N)
		}
	}
}

// databaseWithout drops the secondary indexes in the scratch copy and
// times the queries again.
func (h *harness) databaseWithout(ctx context.Context, db *dbBench) {
	h.p.Detail("dropping the secondary indexes in %s", h.scratch)
	dropped, err := db.dropIndexes(ctx)
	h.dropped = dropped
	if err != nil {
		h.problem("drop indexes", err)
		return
	}
	if h.explain != nil {
		h.p.Detail("EXPLAIN without indexes")
		if err := db.explain(ctx, h.explain, "without indexes"); err != nil {
			h.problem("explain", err)
		}
	}
	without, timeouts, err := db.phase(ctx, h.cfg.withoutMax, h.cfg.withoutBudget, "without indexes", h.p)
	h.without, h.timeouts = without, timeouts
	if err != nil {
		h.problem("database without indexes", err)
	}
	for _, n := range db.Names() {
		if s, ok := without[n]; ok {
			h.p.Log("query %-30s without indexes p50 %s p95 %s (n=%d)", n, report.Ms(s.P50), report.Ms(s.P95), s.N)
		}
	}
}

// load runs the cache comparison and the mixed load through the local
// server.
func (h *harness) load(ctx context.Context) {
	cfg := h.cfg
	u, _ := dbURL(cfg.postgres, h.scratch)
	prefix := fmt.Sprintf("bench:%d:", time.Now().UnixNano())
	rdb := redis.NewClient(&redis.Options{Addr: cfg.redis})
	defer rdb.Close()
	defer func() { _ = forgetCache(context.Background(), rdb, prefix) }()
	h.p.Detail("starting the local server")
	srv, err := startServer(ctx, serverConfig{Bin: h.bins.LocalServer, DatabaseURL: u, RedisAddr: cfg.redis,
		CachePrefix: prefix, DBConns: cfg.dbConns, RedisPool: cfg.redisPool, JWTSecret: jwtSecret, WebhookSecret: webhookSecret})
	if err != nil {
		h.problem("local server", err)
		return
	}
	defer srv.Stop()
	runner := &load.Runner{BaseURL: srv.URL, MaxInFlight: cfg.inFlight, Seed: cfg.scale.Seed}

	g, err := h.generator(cfg.scale.Seed, h.loadCards, h.loadUnpaid)
	if err != nil {
		h.problem("request mix", err)
		return
	}
	cw, err := cacheColdWarm(ctx, srv, runner, g, rdb, prefix, cfg.cacheKeys, h.p)
	if err != nil {
		h.problem("cache cold vs warm", fmt.Errorf("%w\n%s", err, srv.Logs()))
	}
	if err := forgetCache(ctx, rdb, prefix); err != nil {
		h.problem("empty the cache", err)
	}
	stages := []load.Stage{
		{Name: "warm-up", Phase: mix.Normal, Duration: cfg.warmup, Rate: cfg.rate},
		{Name: "normal", Phase: mix.Normal, Duration: cfg.normal, Rate: cfg.rate, Record: true},
		{Name: "lunchtime burst", Phase: mix.Lunch, Duration: cfg.lunch, Rate: cfg.lunchRate, Record: true},
		// Not recorded with the rest: its cache figures are the steady
		// state's (loadResults).
		{Name: steadyStage, Phase: mix.Normal, Duration: cfg.normal, Rate: cfg.rate},
	}
	results, windows, err := runner.Run(ctx, stages, g.Next, func(stage string, el, dur time.Duration, sent int) {
		h.p.Detail("%s %s of %s, %d requests", stage, el.Round(time.Second), dur, sent)
	})
	if err != nil {
		h.problem("mixed load", err)
	}
	// Let the last invocations' metrics arrive.
	time.Sleep(200 * time.Millisecond)
	warm, api, cache, queries := loadResults(results, windows, stages, srv.EMF, routes.Functions())
	if api.Requests > 0 {
		h.res.Warm, h.res.API, h.underLoad = warm, api, queries
		h.res.Routes = routeLatencies(results, h.res.Expect.Routes)
		cache.ColdWarm = cw
		h.res.Cache = cache
		h.p.Log("mixed load: %d requests, p95 %s, error rate %s, cache hit rate %s (%d cards tapped)", api.Requests,
			report.Ms(api.All.P95), report.Pct(api.ErrorRate(), 2), report.Pct(cache.HitRate(), 1), g.CardsUsed())
	}
	if api.ServerErrors > 0 {
		h.p.Log("server log:\n%s", srv.Logs())
	}
}
