package report

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hasivu/infra/bench/internal/stats"
	"github.com/hasivu/infra/plan"
)

// Table writes the summary table for a terminal.
func (r *Results) Table(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SECTION\tFIGURE\tRESULT\tPLAN'S TARGET\tVERDICT")
	last := ""
	for _, row := range r.Rows() {
		section := row.Section
		if section == last {
			section = ""
		}
		last = row.Section
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", section, row.Figure, row.Result, row.Target, row.Verdict)
	}
	return tw.Flush()
}

// mdEscape keeps a cell's text from breaking the table.
func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

type md struct{ bytes.Buffer }

func (b *md) p(format string, args ...any) { fmt.Fprintf(&b.Buffer, format+"\n", args...) }

func (b *md) table(header []string, rows [][]string) {
	b.p("| %s |", strings.Join(header, " | "))
	seps := make([]string, len(header))
	for i := range seps {
		seps[i] = "---"
	}
	b.p("|%s|", strings.Join(seps, "|"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = mdEscape(c)
		}
		b.p("| %s |", strings.Join(cells, " | "))
	}
	b.p("")
}

func n(s stats.Summary, f func(stats.Summary) time.Duration) string {
	if s.N == 0 {
		return "–"
	}
	return Ms(f(s))
}

func p50(s stats.Summary) time.Duration  { return s.P50 }
func p95(s stats.Summary) time.Duration  { return s.P95 }
func p99(s stats.Summary) time.Duration  { return s.P99 }
func pmax(s stats.Summary) time.Duration { return s.Max }

// Markdown renders the report; chart is the chart's path relative to the
// report, empty when there is none.
func (r *Results) Markdown(chart string) []byte {
	var b md
	m := r.Meta
	b.p("# Benchmarks")
	b.p("")
	commit := m.Commit
	if m.Dirty {
		commit += " with uncommitted changes"
	}
	b.p("Measured by the benchmark harness (`bench/`, run with `%s`) on %s, from commit %s, in %s mode; the run took %s. "+
		"This file is generated: run the command again instead of editing it.",
		m.Command, m.Date.UTC().Format("2006-01-02 15:04 MST"), commit, m.Mode, m.Duration.Round(time.Second))
	b.p("")
	b.p("One machine measures everything, against PostgreSQL and Redis on loopback: read the figures as " +
		"relative to each other and to the plan's targets, not as what AWS will show (see the notes at the end).")
	b.p("")
	if len(r.Problems) > 0 {
		b.p("**Figures missing from this run:**")
		b.p("")
		for _, p := range r.Problems {
			b.p("- %s", p)
		}
		b.p("")
	}

	b.p("## Summary")
	b.p("")
	var rows [][]string
	for _, row := range r.Rows() {
		rows = append(rows, []string{row.Section, row.Figure, row.Result, row.Target, string(row.Verdict)})
	}
	b.table([]string{"section", "figure", "result", "plan's target", "verdict"}, rows)

	b.p("## Machine and settings")
	b.p("")
	rows = [][]string{
		{"CPU", fmt.Sprintf("%s, %d cores", m.CPU, m.Cores)},
		{"memory", fmt.Sprintf("%.1f GB", m.MemoryGB)},
		{"system", m.OS},
	}
	for _, kv := range m.Versions {
		rows = append(rows, []string{kv.Name, kv.Value})
	}
	for _, kv := range m.Settings {
		rows = append(rows, []string{kv.Name, kv.Value})
	}
	b.table([]string{"", ""}, rows)

	r.synthMarkdown(&b)

	if bu := r.Bundle; bu != nil {
		b.p("## Bundle")
		b.p("")
		b.p("Zipped as CDK zips assets for upload (deflate, best compression), from the `%s` stage's cloud assembly. "+
			"Every function deploys the platform layer (the one `bootstrap` binary, %s unzipped) and its own package; "+
			"both are the same asset for every function, so the code is uploaded and stored once.", bu.Stage, MB(bu.Binary))
		b.p("")
		rows = nil
		var sum int64
		for _, f := range bu.Functions {
			rows = append(rows, []string{f.Name, MB(f.Package), MB(f.Layers), MB(f.Total())})
			sum += f.Total()
		}
		rows = append(rows, []string{"**all functions, shipped once**", "", "", "**" + MB(bu.Unique) + "**"})
		rows = append(rows, []string{"if each function carried its own copy", "", "", MB(sum)})
		b.table([]string{"function", "own package", "layers", "deployed"}, rows)
		b.p("The plan measured %s of bundles and aimed for %s. Sizes here count 1 MB as 2^20 bytes, as Lambda's size limits do.",
			planMB(plan.BundleTodayBytes), planMB(plan.BundleBytes))
		if len(bu.External) > 0 {
			b.p("Layers AWS provides are not counted: %s.", strings.Join(bu.External, ", "))
		}
		if len(bu.Helpers) > 0 {
			var hs []string
			for _, h := range bu.Helpers {
				hs = append(hs, fmt.Sprintf("%s %s", h.Name, MB(h.Total())))
			}
			b.p("CDK adds its own functions, not counted above: %s.", strings.Join(hs, "; "))
		}
		b.p("")
	}

	if len(r.Cold) > 0 {
		b.p("## Cold start")
		b.p("")
		b.p("Each run starts a fresh `aws-lambda-rie` process with the function's `_HANDLER` and sends it one realistic " +
			"request; the emulator starts the runtime on that first invocation. *init* is the emulator's " +
			"`INIT REPORT(durationMs)` (runtime process start to its first request for work: Go start-up, environment, " +
			"database connection, Redis ping); *1st invoke* is that invocation's own duration (`INVOKE RTDONE`); " +
			"*round trip* is the whole first request as the caller saw it; *self-reported* is the function's " +
			"`ColdStartDuration` metric (process start to the end of set-up).")
		b.p("")
		rows = nil
		for _, c := range r.Cold {
			fail := fmt.Sprint(c.Failures)
			if c.Failure != "" {
				fail += ": " + c.Failure
			}
			rows = append(rows, []string{c.Function, fmt.Sprint(c.Init.N), n(c.Init, p50), n(c.Init, p95), n(c.Init, pmax),
				n(c.FirstInvoke, p50), n(c.FirstInvoke, p95), n(c.RoundTrip, p50), n(c.SelfReported, p50), fail})
		}
		b.table([]string{"function", "runs", "init p50", "init p95", "init max", "1st invoke p50", "1st invoke p95",
			"round trip p50", "self-reported p50", "failures"}, rows)
	}

	if len(r.Warm) > 0 {
		b.p("## Warm latency per function")
		b.p("")
		b.p("Under the mixed load (see End-to-end API) through the local server, warm-up excluded. *client* is what the " +
			"caller saw, from the request's scheduled arrival to the end of the answer; *in function* is the function's own " +
			"`OperationDuration` metric, the figure CloudWatch shows as its duration.")
		b.p("")
		if chart != "" {
			b.p("![Latency percentiles per function](%s)", chart)
			b.p("")
		}
		rows = nil
		for _, l := range r.Warm {
			rows = append(rows, []string{l.Function, fmt.Sprint(l.Requests), n(l.Client, p50), n(l.Client, p95), n(l.Client, p99),
				n(l.InFunction, p50), n(l.InFunction, p95), n(l.InFunction, p99), fmt.Sprint(l.ServerErrors), fmt.Sprint(l.ClientFaults)})
		}
		b.table([]string{"function", "requests", "client p50", "client p95", "client p99", "in function p50",
			"in function p95", "in function p99", "5xx", "unexpected 4xx"}, rows)
	}

	if len(r.Routes) > 0 {
		b.p("## Warm latency per route")
		b.p("")
		b.p("The same load by route: a function that serves several routes (see the route table in the README) " +
			"shows each of them here.")
		b.p("")
		rows = nil
		for _, l := range r.Routes {
			rows = append(rows, []string{"`" + l.Function + "`", fmt.Sprint(l.Requests), n(l.Client, p50), n(l.Client, p95),
				n(l.Client, p99), fmt.Sprint(l.ServerErrors), fmt.Sprint(l.ClientFaults)})
		}
		b.table([]string{"route", "requests", "client p50", "client p95", "client p99", "5xx", "unexpected 4xx"}, rows)
	}

	if d := r.DB; d != nil {
		b.p("## Database")
		b.p("")
		b.p("Each named query (the `Query` dimension of the functions' `QueryDuration` metric) through the stores the " +
			"functions use, one call at a time, with parameters drawn from the data set, timed by the stores' own " +
			"metric. *with indexes* is the schema as migrated; *without* drops the secondary indexes listed below, in a " +
			"scratch copy of the database made for the run (the seeded database is never altered). *under load* is the " +
			"same metric during the mixed load.")
		b.p("")
		rows = nil
		for _, q := range d.Queries {
			speed := "–"
			if q.With.N > 0 && q.Without.N > 0 && q.With.P95 > 0 {
				ratio := float64(q.Without.P95) / float64(q.With.P95)
				speed = fmt.Sprintf("%.0f×", ratio)
				if ratio < 10 {
					speed = fmt.Sprintf("%.1f×", ratio)
				}
			}
			without := fmt.Sprintf("%s / %s (n=%d)", n(q.Without, p50), n(q.Without, p95), q.Without.N)
			if q.TimedOut > 0 {
				without += fmt.Sprintf(", %d over %s", q.TimedOut, Ms(d.Timeout))
			}
			rows = append(rows, []string{q.Name, q.Function,
				fmt.Sprintf("%s / %s / %s (n=%d)", n(q.With, p50), n(q.With, p95), n(q.With, p99), q.With.N),
				without, n(q.UnderLoad, p95), speed})
		}
		b.table([]string{"query", "function", "with indexes p50 / p95 / p99", "without p50 / p95", "under load p95",
			"p95 ratio"}, rows)
		claim := fmt.Sprintf("The plan claimed its indexes take user queries from %s to %s.", Ms(plan.UserQueryFrom), Ms(plan.UserQueryTo))
		if i := slices.IndexFunc(d.Queries, func(q Query) bool { return q.Name == "orders.list" }); i >= 0 &&
			d.Queries[i].With.N > 0 && d.Queries[i].Without.N > 0 {
			q := d.Queries[i]
			claim += fmt.Sprintf(" Here a user's order history (`orders.list`, p95) takes %s without them and %s with them.",
				Ms(q.Without.P95), Ms(q.With.P95))
		}
		b.p("%s Dropped for the comparison: %s.", claim, strings.Join(d.Dropped, ", "))
		if len(d.Kept) > 0 {
			b.p("Kept, because `ON CONFLICT` in the writes needs them: %s. Primary keys and unique constraints stay too.",
				strings.Join(d.Kept, ", "))
		}
		b.p("Without indexes each query runs until %s of calls have passed (at least 3 calls); each call is cut off at %s, "+
			"as the stage's `statement_timeout` (30 s) would cut it.", Ms(d.WithoutBudget), Ms(d.Timeout))
		b.p("")
	}

	if a := r.API; a != nil {
		b.p("## End-to-end API")
		b.p("")
		b.p("Open-loop load (Poisson arrivals at the set rate, whatever the server's speed) through the local server, "+
			"which turns each HTTP request into the API Gateway event and runs the functions' handlers. Latency counts from "+
			"the scheduled arrival, so queueing is included. Error rate: answers 5xx or none, of all requests. "+
			"%d requests in %s recorded; %d unexpected 4xx answers (harness or data faults, not counted as errors).",
			a.Requests, a.Duration.Round(time.Second), a.ClientFaults)
		b.p("")
		rows = nil
		for _, s := range a.Stages {
			rows = append(rows, []string{s.Name, s.Phase, fmt.Sprintf("%.0f/s", s.Rate), s.Duration.String(), fmt.Sprint(s.Requests),
				n(s.All, p50), n(s.All, p95), n(s.All, p99), n(s.All, pmax), Pct(stats.Ratio(s.ServerErrors, s.Requests), 2)})
		}
		rows = append(rows, []string{"**all recorded**", "", "", a.Duration.Round(time.Second).String(), fmt.Sprint(a.Requests),
			n(a.All, p50), n(a.All, p95), n(a.All, p99), n(a.All, pmax), Pct(a.ErrorRate(), 2)})
		b.table([]string{"stage", "mix", "rate", "duration", "requests", "p50", "p95", "p99", "max", "error rate"}, rows)
		if len(a.Faults) > 0 {
			b.p("Unexpected answers (samples):")
			b.p("")
			for _, f := range a.Faults {
				b.p("- `%s`", strings.ReplaceAll(f, "`", "'"))
			}
			b.p("")
		}
	}

	if c := r.Cache; c != nil {
		b.p("## Cache")
		b.p("")
		b.p("Hit rate from the functions' own `CacheHits` and `CacheMisses` metrics during the recorded part of the mixed "+
			"load (Redis failures: %d).", c.Errors)
		b.p("")
		rows = nil
		var h, mi int
		for _, k := range c.Kinds {
			rows = append(rows, []string{k.Name, fmt.Sprint(k.Hits), fmt.Sprint(k.Misses), Pct(k.HitRate(), 1)})
			h += k.Hits
			mi += k.Misses
		}
		rows = append(rows, []string{"**all**", fmt.Sprint(h), fmt.Sprint(mi), Pct(c.HitRate(), 1)})
		for _, st := range c.Stages {
			rows = append(rows, []string{"all, " + st.Name + " stage", fmt.Sprint(st.Hits), fmt.Sprint(st.Misses), Pct(st.HitRate(), 1)})
		}
		b.table([]string{"cache", "hits", "misses", "hit rate"}, rows)
		b.p("The cache starts empty at the warm-up; entries live %s (order lists) to %s (menus), longer than the run, so "+
			"a day's steady state hits more often than a few minutes after a cold start. Versioned kinds (orders, "+
			"profile, analytics) also miss after every write that changes them: a school's analytics after each order, "+
			"payment or meal of the school.", "5 min", "2 h")
		b.p("")
		if len(c.Steady) > 0 {
			b.p("Steady state: a further stage of the normal mix after the recorded load, with the cache as the %s of "+
				"traffic before it left it (not counted above, nor in the API's figures). Each kind's misses there are "+
				"first requests for entries never asked for (the parents and schools of the long tail), entries "+
				"invalidated by a write, and entries expired.", c.SteadyAfter.Round(time.Second))
			b.p("")
			rows = nil
			var h, mi int
			for _, k := range c.Steady {
				rows = append(rows, []string{k.Name, fmt.Sprint(k.Hits), fmt.Sprint(k.Misses), Pct(k.HitRate(), 1)})
				h += k.Hits
				mi += k.Misses
			}
			rows = append(rows, []string{"**all**", fmt.Sprint(h), fmt.Sprint(mi), Pct(c.SteadyHitRate(), 1)})
			b.table([]string{"cache, steady state", "hits", "misses", "hit rate"}, rows)
		}
		if len(c.ColdWarm) > 0 {
			b.p("Cold versus warm: the same requests, one at a time, first with the run's cache keys deleted (every " +
				"request misses and reads the database), then again (every request hits). A first pass beforehand " +
				"warms PostgreSQL's buffers so that the difference is the cache's alone.")
			b.p("")
			rows = nil
			for _, cw := range c.ColdWarm {
				rows = append(rows, []string{cw.Function, fmt.Sprint(cw.Cold.N), n(cw.Cold, p50), n(cw.Cold, p95),
					n(cw.Warm, p50), n(cw.Warm, p95), fmt.Sprintf("%d / %d", cw.ColdHits, cw.ColdMiss),
					fmt.Sprintf("%d / %d", cw.WarmHits, cw.WarmMiss)})
			}
			b.table([]string{"function", "requests", "cold p50", "cold p95", "warm p50", "warm p95", "cold hits / misses",
				"warm hits / misses"}, rows)
		}
	}

	if o := r.Outage; o != nil && len(o.Conditions) > 0 {
		b.p("## Cache outage")
		b.p("")
		b.p("The cached functions through a Redis outage: the same menu views and order lists, one at a time, through a " +
			"local server whose Redis (a `redis-server` the phase starts for itself) answers with the cache filled, is hung " +
			"(stopped with SIGSTOP: connections are accepted and nothing is answered, as with a frozen node) and is down " +
			"(killed: connections are refused). The functions' circuit breaker skips Redis after three consecutive " +
			"failures and probes it once every five seconds; failures are logged at most once per ten seconds per process.")
		b.p("")
		rows := [][]string{}
		for _, c := range o.Conditions {
			for _, f := range c.Functions {
				rows = append(rows, []string{c.Name, c.How, f.Function, fmt.Sprint(f.Latency.N), n(f.Latency, p50),
					n(f.Latency, p95), n(f.Latency, pmax), fmt.Sprintf("%d in %s", c.LogLines, c.Duration.Round(time.Millisecond))})
			}
		}
		b.table([]string{"Redis", "how", "function", "requests", "p50", "p95", "max", "server log lines"}, rows)
	}

	b.p("## What these numbers are not")
	b.p("")
	for _, note := range notes {
		b.p("- %s", note)
	}
	return b.Bytes()
}

// notes say what the local measurement leaves out.
var notes = []string{
	"The functions run on linux/arm64 in Lambda; the emulator here runs a linux/amd64 build of the same code with the same flags (`CGO_ENABLED=0 -trimpath -buildvcs=false -ldflags=\"-s -w\" -tags lambda.norpc`). Cold starts in Lambda add the sandbox, downloading the layer and the Parameters and Secrets extension's start, none of which exist here.",
	"Database and Redis are on loopback without TLS, IAM authentication or RDS Proxy; in AWS every query and cache call pays a network round trip within the VPC (typically 0.3–1 ms) and the proxy's.",
	"The local server stands in for API Gateway: API Gateway's own latency, its response cache and compression are not measured. One process serves every function with shared pools (sized by the harness), where Lambda runs one request per execution environment.",
	"PostgreSQL, Redis, the server and the load generator share one machine's cores; a busy neighbour moves the figures. The percentiles come from one run.",
}
