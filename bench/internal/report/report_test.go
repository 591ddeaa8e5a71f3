package report

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/bench/internal/stats"
)

func summary(ms ...float64) stats.Summary {
	var d []time.Duration
	for _, v := range ms {
		d = append(d, stats.FromMillis(v))
	}
	return stats.Summarize(d)
}

func sample() *Results {
	return &Results{
		Meta: Meta{Date: time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC), Duration: 9 * time.Minute, Mode: "full",
			Commit: "abc1234", Dirty: true, Command: "make bench", CPU: "AMD EPYC", Cores: 2, MemoryGB: 23.4,
			OS: "Debian 12", Versions: []KV{{"Go", "go1.26.8"}}, Settings: []KV{{"scale", "500 schools"}}},
		Expect: Expect{Stages: []string{"dev"}, Baseline: "dev", Functions: []string{"menus-daily", "migrate"},
			Routed: []string{"menus-daily"}, Queries: []string{"menus.daily", "orders.list"},
			Indexed: map[string]string{"orders.list": "orders_user_created_idx"}, ColdWarm: []string{"menus-daily"}},
		Synth: []SynthStage{{Stage: "dev", Runs: []time.Duration{12 * time.Second, 11 * time.Second, 13 * time.Second},
			CPU:    []time.Duration{20 * time.Second, 19 * time.Second, 22 * time.Second},
			Stacks: []Stack{{"hasivu-dev-network", 39}, {"hasivu-dev-api", 109}}}},
		Baseline: &Baseline{Stage: "dev", Requests: 1151, ReplayOwn: 60 * time.Millisecond,
			Go:   []Run{{8 * time.Second, 11 * time.Second}, {9 * time.Second, 10 * time.Second}, {8 * time.Second, 12 * time.Second}},
			Node: []Run{{7 * time.Second, 9 * time.Second}, {6 * time.Second, 10 * time.Second}, {7 * time.Second, 11 * time.Second}},
			Parts: []Part{{Name: "CDK CLI", How: "cdk synth --app <cloud assembly>", CPU: 1200 * time.Millisecond},
				{Name: "CloudFormation validation", How: "difference", CPU: 4 * time.Second}}},
		Bundle: &Bundle{Stage: "dev", Unique: 4_700_000, Binary: 13_000_000,
			Functions: []FunctionBundle{{"menus-daily", 300, 4_699_700}, {"migrate", 300, 4_699_700}},
			External:  []string{"AWS-Parameters-and-Secrets-Lambda-Extension-Arm64"}},
		Cold: []ColdStart{
			{Function: "menus-daily", Init: summary(6, 7, 8), FirstInvoke: summary(1, 2, 3), RoundTrip: summary(9, 10, 11), Runs: 3},
			{Function: "migrate", Init: summary(1200, 1300), FirstInvoke: summary(5, 5), Runs: 3, Failures: 1, Failure: "exit 2"},
		},
		Warm: []Latency{{Function: "menus-daily", Client: summary(1, 2, 3, 200), InFunction: summary(0.5, 1), Requests: 4}},
		DB: &Database{Queries: []Query{{Name: "menus.daily", Function: "menus-daily", With: summary(0.4, 0.5),
			Without: summary(40, 50), UnderLoad: summary(1)}},
			Dropped: []string{"orders_user_created_idx"}, Kept: []string{"orders_idempotency_idx"},
			WithoutBudget: 5 * time.Second, Timeout: 30 * time.Second},
		API: &API{All: summary(2, 3, 4), Requests: 2000, ServerErrors: 3, Duration: 20 * time.Second,
			Stages: []StageResult{{Name: "lunch", Phase: "lunch", Rate: 100, Duration: 20 * time.Second, All: summary(2, 3), Requests: 2000, ServerErrors: 3}}},
		Cache: &Cache{Kinds: []CacheKind{{"menu", 90, 10}, {"orders", 30, 20}},
			Steady: []CacheKind{{"menu", 95, 5}, {"orders", 40, 10}}, SteadyAfter: 80 * time.Second,
			ColdWarm: []ColdWarm{{Function: "menus-daily", Cold: summary(3, 4), Warm: summary(0.5, 0.6), ColdMiss: 2, WarmHits: 2}}},
	}
}

func find(rows []Row, section, figurePrefix string) *Row {
	for i := range rows {
		if rows[i].Section == section && strings.HasPrefix(rows[i].Figure, figurePrefix) {
			return &rows[i]
		}
	}
	return nil
}

func TestRowsVerdicts(t *testing.T) {
	r := sample()
	rows := r.Rows()
	cases := []struct {
		section, figure string
		want            Verdict
		result          string
	}{
		{"synth", "dev, median of 3", Info, "12.0 s (CPU 20.0 s); 148 resources in 2 stacks"},
		// Medians 11 s and 10 s.
		{"synth", "dev CPU, Go app ÷ same stacks in Node", OK, "1.10× (Go 11.0 s, Node 10.0 s; medians of 3 and 3)"},
		{"bundle", "all 2 functions", OK, "4.48 MB"},
		{"cold start", "menus-daily", OK, "init p50 7.00 ms, p95 8.00 ms; 1st invoke p50 2.00 ms (n=3)"},
		// Over the target and a failed run.
		{"cold start", "migrate", Missed, "1 failed"},
		// p95 of four samples is the largest: 200 ms, over 150 ms.
		{"warm", "menus-daily", Missed, "p95 200 ms"},
		{"database", "menus.daily", OK, "p95 0.50 ms (without indexes: p95 50.0 ms)"},
		{"database", "orders.list", Missing, "not measured"},
		{"api", "p95 under load", OK, "4.00 ms"},
		{"api", "error rate", Missed, "0.15 % (3 of 2000)"},
		// 120 hits of 150.
		{"cache", "hit rate", OK, "80.0 % (menu 90 %, orders 60 %)"},
		{"cache", "menus-daily, cold vs warm", OK, "p50 3.00 ms -> 0.50 ms"},
	}
	for _, c := range cases {
		row := find(rows, c.section, c.figure)
		if row == nil {
			t.Errorf("no row %s / %s", c.section, c.figure)
			continue
		}
		if row.Verdict != c.want || !strings.Contains(row.Result, c.result) {
			t.Errorf("%s / %s = %q %s, want %q in the result and %s", c.section, row.Figure, row.Result, row.Verdict, c.result, c.want)
		}
	}
	if r.Complete() {
		t.Error("a run without orders.list is complete")
	}
	if !r.Consistent() {
		t.Error("the sample's ratios point the right way, yet a row is FLIPPED")
	}
}

// TestDirectionChecks feeds the checks results whose machine-independent
// ratios point the wrong way, one at a time, and expects each to be
// reported FLIPPED and the run to fail; the sample, whose ratios point the
// right way, passes.
func TestDirectionChecks(t *testing.T) {
	withOrdersList := func(r *Results, q Query) {
		q.Name, q.Function = "orders.list", "orders-list"
		r.DB.Queries = append(r.DB.Queries, q)
	}
	for _, tc := range []struct {
		name, section, figure, says string
		breakIt                     func(r *Results)
	}{
		{"an indexed query as fast without its index", "database", "orders.list", "not slower without orders_user_created_idx",
			func(r *Results) { withOrdersList(r, Query{With: summary(2, 3), Without: summary(2, 3)}) }},
		{"an indexed query faster without its index", "database", "orders.list", "not slower without",
			func(r *Results) { withOrdersList(r, Query{With: summary(2, 3), Without: summary(1, 1)}) }},
		{"an indexed query whose index was kept", "database", "orders.list", "was not among those dropped",
			func(r *Results) {
				withOrdersList(r, Query{With: summary(2, 3), Without: summary(900, 1000)})
				r.DB.Dropped = []string{"users_created_at_idx"}
			}},
		{"a function slower with the cache filled", "cache", "menus-daily, cold vs warm", "not faster with the cache filled",
			func(r *Results) { r.Cache.ColdWarm[0].Warm = summary(5, 6) }},
		{"a function that did not hit the filled cache", "cache", "menus-daily, cold vs warm", "0 cache hits filled",
			func(r *Results) { r.Cache.ColdWarm[0].WarmHits = 0 }},
	} {
		r := sample()
		tc.breakIt(r)
		row := find(r.Rows(), tc.section, tc.figure)
		if row == nil || row.Verdict != Flipped || !strings.Contains(row.Result, tc.says) {
			t.Errorf("%s: row %+v, want FLIPPED saying %q", tc.name, row, tc.says)
		}
		if r.Consistent() {
			t.Errorf("%s: the run counts as consistent", tc.name)
		}
	}
	// A query no index exists for may come out either way without the
	// indexes: only the declared ones are checked.
	r := sample()
	r.DB.Queries[0].Without = summary(0.1, 0.2)
	if !r.Consistent() {
		t.Error("a query no index exists for, faster without the indexes, was reported")
	}
}

// TestQuickRunNeedsEveryFigure takes figures out of a complete run, one at
// a time, and expects the run to be incomplete with the figure's row
// MISSING: a quick run in CI fails rather than report less.
func TestQuickRunNeedsEveryFigure(t *testing.T) {
	complete := func() *Results {
		r := sample()
		r.DB.Queries = append(r.DB.Queries, Query{Name: "orders.list", With: summary(1, 2), Without: summary(100, 200)})
		r.Outage = &Outage{Conditions: []OutageCondition{{Name: "Redis hung", Functions: []OutageLatency{{"menus-daily", summary(1)}}}}}
		return r
	}
	if r := complete(); !r.Complete() || !r.Consistent() {
		t.Fatalf("the complete sample fails: %+v", r.Rows())
	}
	for _, tc := range []struct {
		name, section, figure string
		drop                  func(r *Results)
	}{
		{"the synth CPU times", "synth", "dev, median of 3", func(r *Results) { r.Synth[0].CPU = nil }},
		{"the Node baseline", "synth", "dev CPU, Go app ÷ same stacks in Node", func(r *Results) { r.Baseline = nil }},
		{"a baseline of another stage", "synth", "dev CPU, Go app ÷ same stacks in Node", func(r *Results) { r.Baseline.Stage = "prod" }},
		{"where the synth CPU goes", "synth", "dev, where the CPU goes", func(r *Results) { r.Baseline.Parts = nil }},
		{"one function's cold and warm cache", "cache", "orders-list, cold vs warm cache", func(r *Results) {
			r.Expect.ColdWarm = append(r.Expect.ColdWarm, "orders-list")
		}},
		{"a query without indexes", "database", "orders.list", func(r *Results) { r.DB.Queries[1].Without = stats.Summary{} }},
	} {
		r := complete()
		tc.drop(r)
		row := find(r.Rows(), tc.section, tc.figure)
		if row == nil || row.Verdict != Missing {
			t.Errorf("without %s: row %+v, want MISSING", tc.name, row)
		}
		if r.Complete() {
			t.Errorf("without %s the run is complete", tc.name)
		}
	}
}

// TestSynthRatioVerdict checks the verdict against the target on both
// sides of it.
func TestSynthRatioVerdict(t *testing.T) {
	for cpu, want := range map[time.Duration]Verdict{
		12 * time.Second: OK,     // 1.2× exactly
		13 * time.Second: Missed, // 1.3×
	} {
		r := sample()
		r.Baseline.Go = []Run{{CPU: cpu}}
		r.Baseline.Node = []Run{{CPU: 10 * time.Second}}
		if row := find(r.Rows(), "synth", "dev CPU"); row == nil || row.Verdict != want {
			t.Errorf("Go %s against Node 10 s: row %+v, want %s", cpu, row, want)
		}
	}
}

func TestMissingSectionsAreReported(t *testing.T) {
	r := &Results{Expect: Expect{Stages: []string{"dev", "prod"}, Functions: []string{"auth-login"},
		Routed: []string{"auth-login"}, Queries: []string{"users.by_email"}}}
	var missing []string
	for _, row := range r.Rows() {
		if row.Verdict == Missing {
			missing = append(missing, row.Section+"/"+row.Figure)
		}
	}
	want := []string{"synth/dev", "synth/prod", "bundle/all functions, zipped", "cold start/auth-login", "warm/auth-login",
		"database/users.by_email", "api/p95 under load", "api/error rate", "cache/hit rate, mixed load", "cache/hit rate, steady state", "cache/cold vs warm cache",
		"cache outage/latency with Redis hung and down"}
	if strings.Join(missing, ";") != strings.Join(want, ";") {
		t.Errorf("missing rows\n got %v\nwant %v", missing, want)
	}
}

func TestTable(t *testing.T) {
	var buf bytes.Buffer
	if err := sample().Table(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !strings.HasPrefix(lines[0], "SECTION") || !strings.Contains(lines[0], "PLAN'S TARGET") {
		t.Errorf("header %q", lines[0])
	}
	// Columns line up: every row's verdict starts where the header's does.
	col := strings.Index(lines[0], "VERDICT")
	for _, l := range lines[1:] {
		if len(l) < col || strings.TrimSpace(l[col:]) == "" {
			t.Errorf("row without a verdict column: %q", l)
		}
	}
	if !strings.Contains(out, "MISSING") || !strings.Contains(out, "< 20 MB (plan: 25 MB today)") {
		t.Errorf("table lacks a MISSING row or the bundle target:\n%s", out)
	}
}

// TestCommittedReportStatesThePlan finds every target the summary states,
// measured or missing, and every sentence of the report that quotes the
// plan in the committed BENCHMARKS.md. The figures come from package plan:
// a change there, or in how the report words them, leaves the committed
// report stale until it is regenerated.
func TestCommittedReportStatesThePlan(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join("..", "..", "..", "BENCHMARKS.md"))
	if err != nil {
		t.Fatal(err)
	}
	has := func(s string) bool { return bytes.Contains(committed, []byte(s)) }
	r := sample()
	for _, row := range r.Rows() {
		if row.Target != "-" && !has("| "+row.Target+" |") {
			t.Errorf("%s / %s: target %q is not in BENCHMARKS.md", row.Section, row.Figure, row.Target)
		}
	}
	// A figure not measured states its target without the statistic.
	for _, row := range (&Results{Expect: r.Expect}).Rows() {
		if row.Target != "-" && !has("| "+row.Target) {
			t.Errorf("%s / %s, not measured: target %q is not in BENCHMARKS.md", row.Section, row.Figure, row.Target)
		}
	}
	quotes := 0
	for _, line := range strings.Split(string(r.Markdown("")), "\n") {
		if first, _, _ := strings.Cut(line, ". "); strings.HasPrefix(first, "The plan ") {
			quotes++
			if !has(first) {
				t.Errorf("%q is not in BENCHMARKS.md", first)
			}
		}
	}
	if quotes != 2 {
		t.Errorf("the report quotes the plan in %d sentences, want 2 (bundle, indexes)", quotes)
	}
}

func TestMarkdown(t *testing.T) {
	out := string(sample().Markdown("bench/latency.png"))
	for _, want := range []string{
		"# Benchmarks", "commit abc1234 with uncommitted changes", "AMD EPYC, 2 cores", "| Go | go1.26.8 |",
		"| scale | 500 schools |", "![Latency percentiles per function](bench/latency.png)",
		"| menus-daily | 3 | 7.00 ms | 8.00 ms |", "**all functions, shipped once**", "orders_user_created_idx",
		"| menu | 90 | 10 | 90.0 % |", "## What these numbers are not", "linux/amd64 build",
		"| dev | 12.0 s | 12.0, 11.0, 13.0 s | 20.0 s (20.0, 19.0, 22.0 s) |", "### Against the same stacks in Node (dev)",
		"| **Go ÷ Node, CPU** |  |  | **1.10×** | target ≤ 1.2× |", "### Where a dev synth's CPU goes",
		"| CDK CLI | 1.2 s | cdk synth --app <cloud assembly> |", "| **Go app's synth, all parts** | **5.2 s** |",
		"Round by round, each Go run over the Node run made beside it: 1.22×, 1.00×, 1.09×.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}
	// Every table row has as many cells as its header.
	var cols int
	for _, l := range strings.Split(out, "\n") {
		switch {
		case !strings.HasPrefix(l, "|"):
			cols = 0
		case cols == 0:
			cols = strings.Count(l, " | ")
		case !strings.HasPrefix(l, "|---") && strings.Count(strings.ReplaceAll(l, `\|`, ""), " | ") != cols:
			t.Errorf("row with another number of cells than its header: %q", l)
		}
	}
}

func TestChart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "latency.png")
	if err := sample().Chart(path); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 300 {
		t.Errorf("chart is %v", b)
	}
	if err := (&Results{}).Chart(path); err == nil {
		t.Error("charted nothing")
	}
}

func TestFormats(t *testing.T) {
	for d, want := range map[time.Duration]string{
		809 * time.Microsecond: "0.81 ms", 12300 * time.Microsecond: "12.3 ms", 312 * time.Millisecond: "312 ms",
		2500 * time.Millisecond: "2.50 s", 31 * time.Second: "31.0 s",
	} {
		if got := Ms(d); got != want {
			t.Errorf("Ms(%v) = %q, want %q", d, got, want)
		}
	}
	if got := MB(4_613_734); got != "4.40 MB" {
		t.Errorf("MB = %q", got)
	}
	if got := MB(138); got != "138 B" {
		t.Errorf("MB(138) = %q", got)
	}
}

// TestRoutesAndCacheKindsAreExpected: every route of the API has its warm
// latency and every cache kind its hit rate, or the figure is missing.
func TestRoutesAndCacheKindsAreExpected(t *testing.T) {
	r := sample()
	r.Expect.Routes = []string{"GET /schools/{schoolId}/menus/{date}", "GET /me"}
	r.Expect.CacheKinds = []string{"menu", "orders", "profile"}
	r.Routes = []Latency{{Function: "GET /schools/{schoolId}/menus/{date}", Client: summary(1, 2, 3), Requests: 3}}
	rows := r.Rows()
	if row := find(rows, "warm route", "GET /schools/{schoolId}/menus/{date}"); row == nil || row.Verdict != OK {
		t.Errorf("measured route: %+v", row)
	}
	if row := find(rows, "warm route", "GET /me"); row == nil || row.Verdict != Missing {
		t.Errorf("route not measured: %+v", row)
	}
	if row := find(rows, "cache", "hit rate, menu"); row == nil || row.Verdict != Info || !strings.HasPrefix(row.Result, "90.0 %") {
		t.Errorf("cache kind measured: %+v", row)
	}
	if row := find(rows, "cache", "hit rate, profile"); row == nil || row.Verdict != Missing {
		t.Errorf("cache kind not measured: %+v", row)
	}
	if r.Complete() {
		t.Error("a run missing a route and a cache kind is complete")
	}
	if md := string(r.Markdown("")); !strings.Contains(md, "## Warm latency per route") || !strings.Contains(md, "`GET /schools/{schoolId}/menus/{date}`") {
		t.Error("the report has no per-route latency")
	}
}

// TestSpliceSynth replaces the synth part of a full run's report with a
// synth-only run's and checks that everything else is left as it was.
func TestSpliceSynth(t *testing.T) {
	full := sample()
	full.Meta.Settings = append(full.Meta.Settings, KV{"synth", "3 runs each of dev"})
	old := full.Markdown("bench/latency.png")
	fresh := &Results{Meta: Meta{Date: time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC), Commit: "def5678",
		Command: "scripts/bench.sh -only synth -splice", Settings: []KV{{"synth", "5 runs each of dev"}}},
		Expect: Expect{Stages: []string{"dev"}, Baseline: "dev"},
		Synth: []SynthStage{{Stage: "dev", Runs: []time.Duration{7 * time.Second}, CPU: []time.Duration{9 * time.Second},
			Stacks: []Stack{{"hasivu-dev-network", 40}}}},
		Baseline: &Baseline{Stage: "dev", Go: []Run{{CPU: 9 * time.Second}}, Node: []Run{{CPU: 8 * time.Second}},
			Parts: []Part{{Name: "CDK CLI", How: "alone", CPU: time.Second}}}}
	got, err := SpliceSynth(old, fresh)
	if err != nil {
		t.Fatal(err)
	}
	out := string(got)
	for _, want := range []string{
		"| synth | dev, median of 1 | 7.0 s (CPU 9.0 s); 40 resources in 1 stacks | - | - |",
		"| synth | dev CPU, Go app ÷ same stacks in Node | 1.12× (Go 9.0 s, Node 8.0 s; medians of 1 and 1) | ≤ 1.2× | ok |",
		"| synth | 5 runs each of dev |",
		"measured by `scripts/bench.sh -only synth -splice` on 2026-12-02 09:30 UTC, from commit def5678",
		"| CDK CLI | 1.0 s | alone |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("spliced report lacks %q", want)
		}
	}
	for _, gone := range []string{"median of 3", "3 runs each of dev", "| CDK CLI | 1.2 s |"} {
		if strings.Contains(out, gone) {
			t.Errorf("spliced report still has %q", gone)
		}
	}
	// Everything outside the synth part is the full run's.
	strip := func(s string) string {
		var keep []string
		in := false
		for _, l := range strings.Split(s, "\n") {
			switch {
			case l == "## Synth":
				in = true
			case strings.HasPrefix(l, "## "):
				in = false
			}
			if !in && !strings.HasPrefix(l, "| synth |") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if strip(out) != strip(string(old)) {
		t.Error("splicing changed the report outside its synth part")
	}
	if _, err := SpliceSynth([]byte("# Benchmarks\n\nnothing here\n"), fresh); err == nil {
		t.Error("spliced into a report without synth figures")
	}
}

// TestSpliceCache replaces the cache part of a full run's report with a
// load-only run's and checks that everything else is left as it was.
func TestSpliceCache(t *testing.T) {
	old := sample().Markdown("bench/latency.png")
	fresh := sample()
	fresh.Meta = Meta{Date: time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC), Commit: "def5678",
		Command: "scripts/bench.sh -quick -only load -splice", Settings: []KV{{"data set", "40 schools"}, {"mixed load", "12s"}}}
	fresh.Cache.Steady = []CacheKind{{"menu", 97, 3}, {"orders", 45, 5}}
	got, err := SpliceCache(old, fresh)
	if err != nil {
		t.Fatal(err)
	}
	out := string(got)
	for _, want := range []string{
		"| cache | hit rate, steady state (after 1m20s of traffic) | 94.7 % (menu 97 %, orders 90 %) | > 70 % | ok |",
		"| orders | 45 | 5 | 90.0 % |",
		"measured by `scripts/bench.sh -quick -only load -splice` on 2026-12-02 09:30 UTC, from commit def5678, apart from " +
			"the rest of this file: data set 40 schools; mixed load 12s.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("spliced report lacks %q", want)
		}
	}
	strip := func(s string) string {
		var keep []string
		in := false
		for _, l := range strings.Split(s, "\n") {
			switch {
			case l == "## Cache":
				in = true
			case strings.HasPrefix(l, "## "):
				in = false
			}
			if !in && !strings.HasPrefix(l, "| cache |") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if strip(out) != strip(string(old)) {
		t.Error("splicing changed the report outside its cache part")
	}
}
