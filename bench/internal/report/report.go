// Package report holds what a benchmark run measured and renders it: the
// terminal table with each figure beside the plan's target, the Markdown
// report (BENCHMARKS.md) and the latency chart.
package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hasivu/infra/bench/internal/stats"
	"github.com/hasivu/infra/plan"
)

// The plan's targets as the summary states them, from package plan.
var (
	targetBundle    = "< " + planMB(plan.BundleBytes)
	targetColdStart = "< " + planTime(plan.ColdStart)
	targetWarm      = "< " + planTime(plan.Warm)
	targetQuery     = "< " + planTime(plan.DatabaseP95) + " (p95)"
	targetAPI       = "< " + planTime(plan.APIP95)
	targetHitRate   = "> " + planPercent(plan.CacheHitRatePercent)
	targetErrorRate = "< " + planPercent(plan.ErrorRatePercent)
)

// planTime formats a duration of the plan the way the plan writes it:
// "1 s", "150 ms".
func planTime(d time.Duration) string {
	if d >= time.Second {
		return planNumber(d.Seconds()) + " s"
	}
	return planNumber(stats.Millis(d)) + " ms"
}

// planMB formats a size of the plan in MB of 2^20 bytes: "20 MB".
func planMB(n int64) string { return planNumber(float64(n)/(1<<20)) + " MB" }

// planPercent formats a percentage of the plan: "0.1 %".
func planPercent(p float64) string { return planNumber(p) + " %" }

func planNumber(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// Results is everything a run measured. A nil or empty section was not
// measured; Expect lists what should have been.
type Results struct {
	Meta   Meta
	Expect Expect
	Synth  []SynthStage
	// Baseline compares a stage's synth with the same stacks in Node.
	Baseline *Baseline
	Bundle   *Bundle
	Cold     []ColdStart
	// Warm is the latency per function under the mixed load; Routes per
	// route (Latency.Function is then the route, "METHOD /path"), which
	// tells apart the routes of a function that serves several.
	Warm   []Latency
	Routes []Latency
	DB     *Database
	API    *API
	Cache  *Cache
	// Outage is the cached functions with Redis answering, hung and down.
	Outage *Outage
	// Problems are failures that left figures out, with their reasons.
	Problems []string
}

// Expect names the figures a complete run has, and the ratios whose
// direction does not depend on the machine.
type Expect struct {
	Stages []string
	// Baseline is the stage whose synth is compared with the Node
	// baseline; empty when the run does not compare.
	Baseline string
	// Functions are every deployed function (cold start); Routed those
	// behind the API (warm latency); Routes the API's routes (warm
	// latency per route).
	Functions, Routed, Routes []string
	Queries                   []string
	// Indexed maps each query that a secondary index exists for to that
	// index: without the indexes it must be slower than with them.
	Indexed map[string]string
	// ColdWarm are the functions timed with an empty and a filled cache:
	// with the cache filled each must be faster and hit it.
	ColdWarm []string
	// CacheKinds are the kinds of cached entries, each read by a route
	// of the mix (hit rate per kind).
	CacheKinds []string
}

// Meta describes the run.
type Meta struct {
	Date     time.Time
	Duration time.Duration
	Mode     string
	Commit   string
	Dirty    bool
	Command  string
	CPU      string
	Cores    int
	MemoryGB float64
	OS       string
	Versions []KV
	Settings []KV
}

// KV is one named value.
type KV struct{ Name, Value string }

// SynthStage is one stage's synth timings.
type SynthStage struct {
	Stage string
	// Runs are the wall times; CPU the CPU times of the same runs.
	Runs, CPU []time.Duration
	Stacks    []Stack
}

// Median is the median synth time.
func (s SynthStage) Median() time.Duration { return stats.Median(s.Runs) }

// MedianCPU is the median CPU time of the runs.
func (s SynthStage) MedianCPU() time.Duration { return stats.Median(s.CPU) }

// Resources is the stage's total resource count.
func (s SynthStage) Resources() int {
	n := 0
	for _, st := range s.Stacks {
		n += st.Resources
	}
	return n
}

// Stack is one synthesised stack.
type Stack struct {
	Name      string
	Resources int
}

// Bundle is the Lambda code as synthesised for one stage.
type Bundle struct {
	Stage string
	// Functions are the platform's functions with what each deploys.
	Functions []FunctionBundle
	// Unique is every distinct code asset of the platform's functions,
	// zipped: what is uploaded once.
	Unique int64
	// Binary is the unzipped size of the bootstrap binary.
	Binary int64
	// Helpers are the functions CDK adds (custom resource providers).
	Helpers []FunctionBundle
	// External are layers the functions attach that AWS provides (not
	// measured: not ours to ship).
	External []string
}

// FunctionBundle is what one function deploys, zipped.
type FunctionBundle struct {
	Name string
	// Package is the function's own code asset; Layers its layers from
	// this app.
	Package, Layers int64
}

// Total is the function's package and layers.
func (f FunctionBundle) Total() int64 { return f.Package + f.Layers }

// ColdStart is one function's cold starts under the emulator.
type ColdStart struct {
	Function string
	// Init is the emulator's INIT REPORT duration; FirstInvoke the first
	// invocation's own duration (INVOKE RTDONE); RoundTrip the first
	// invocation as the caller saw it; SelfReported the function's
	// ColdStartDuration metric.
	Init, FirstInvoke, RoundTrip, SelfReported stats.Summary
	Runs, Failures                             int
	// Failure describes one failed run.
	Failure string
}

// Latency is one function under the mixed load.
type Latency struct {
	Function string
	// Client is the latency the caller saw; InFunction the function's
	// own OperationDuration metric.
	Client, InFunction                   stats.Summary
	Requests, ServerErrors, ClientFaults int
}

// Database is the named queries on the data set.
type Database struct {
	Queries []Query
	// Dropped are the indexes dropped for the comparison; Kept the
	// secondary indexes that stayed because ON CONFLICT needs them.
	Dropped, Kept []string
	// Samples and Budget describe the runs without indexes.
	WithoutBudget time.Duration
	Timeout       time.Duration
}

// Query is one named query.
type Query struct {
	Name string
	// Function is the function that sends it.
	Function string
	// With and Without indexes, one call at a time; UnderLoad as the
	// functions measured it during the mixed load.
	With, Without, UnderLoad stats.Summary
	// TimedOut counts calls without indexes that hit the timeout.
	TimedOut int
}

// API is the mixed load through the local server.
type API struct {
	Stages                               []StageResult
	All                                  stats.Summary
	Requests, ServerErrors, ClientFaults int
	Duration                             time.Duration
	// Faults samples unexpected answers.
	Faults []string
}

// ErrorRate is the share of requests answered 5xx or not at all.
func (a *API) ErrorRate() float64 { return stats.Ratio(a.ServerErrors, a.Requests) }

// StageResult is one recorded stage of the load.
type StageResult struct {
	Name, Phase            string
	Rate                   float64
	Duration               time.Duration
	All                    stats.Summary
	Requests, ServerErrors int
}

// Cache is the cache's effect.
type Cache struct {
	// Kinds are hits and misses per cache kind during the mixed load.
	Kinds []CacheKind
	// Stages are hits and misses per recorded stage of the load, every
	// kind together (Name is the stage's).
	Stages []CacheKind
	// Steady are hits and misses per cache kind in the steady-state
	// stage, which follows the recorded load with the cache as that left
	// it: SteadyAfter of traffic came before it, from an empty cache.
	Steady      []CacheKind
	SteadyAfter time.Duration
	// ColdWarm compares the same requests with an empty cache and a
	// filled one.
	ColdWarm []ColdWarm
	Errors   int
}

// HitRate is hits/(hits+misses) over every kind.
func (c *Cache) HitRate() float64 { return hitRate(c.Kinds) }

// SteadyHitRate is hits/(hits+misses) over every kind in the steady
// state.
func (c *Cache) SteadyHitRate() float64 { return hitRate(c.Steady) }

func hitRate(kinds []CacheKind) float64 {
	var h, m int
	for _, k := range kinds {
		h += k.Hits
		m += k.Misses
	}
	return stats.Ratio(h, h+m)
}

// CacheKind is one kind of cached entry.
type CacheKind struct {
	Name         string
	Hits, Misses int
}

// HitRate is the kind's hit rate.
func (k CacheKind) HitRate() float64 { return stats.Ratio(k.Hits, k.Hits+k.Misses) }

// ColdWarm is one function's latency with an empty and a filled cache.
type ColdWarm struct {
	Function           string
	Cold, Warm         stats.Summary
	ColdHits, ColdMiss int
	WarmHits, WarmMiss int
}

// Outage is the cached functions' latency through a Redis outage.
type Outage struct {
	Conditions []OutageCondition
}

// OutageCondition is one state of Redis.
type OutageCondition struct {
	// Name is the state ("Redis hung"); How says how it was brought about.
	Name, How string
	Functions []OutageLatency
	Requests  int
	Duration  time.Duration
	// LogLines counts what the server logged meanwhile.
	LogLines int
}

// OutageLatency is one function's latency in one condition.
type OutageLatency struct {
	Function string
	Latency  stats.Summary
}

// Verdict is how a figure compares with its target.
type Verdict string

// Verdicts. Missing and Flipped fail a run: a figure it should have, or a
// ratio that does not depend on the machine (with and without indexes,
// cold and warm cache) pointing the wrong way. Missed does not: a slow
// machine is not a failure.
const (
	OK      Verdict = "ok"
	Missed  Verdict = "MISSED"
	Info    Verdict = "-"
	Missing Verdict = "MISSING"
	Flipped Verdict = "FLIPPED"
)

// Row is one line of the summary table.
type Row struct {
	Section, Figure, Result, Target string
	Verdict                         Verdict
}

func verdict(ok bool) Verdict {
	if ok {
		return OK
	}
	return Missed
}

// Ms formats a duration in milliseconds, or seconds from 1 s.
func Ms(d time.Duration) string {
	ms := stats.Millis(d)
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case ms >= 100:
		return fmt.Sprintf("%.0f ms", ms)
	case ms >= 10:
		return fmt.Sprintf("%.1f ms", ms)
	}
	return fmt.Sprintf("%.2f ms", ms)
}

// MB formats bytes in MB of 2^20 bytes (as Lambda's size limits count).
func MB(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.2f MB", float64(n)/(1<<20))
}

// Pct formats a ratio as a percentage; NaN (nothing counted) is "n/a".
func Pct(r float64, decimals int) string {
	if math.IsNaN(r) {
		return "n/a"
	}
	return fmt.Sprintf("%.*f %%", decimals, r*100)
}

// Rows returns the summary: every expected figure beside its target, with
// the ones not measured marked MISSING.
func (r *Results) Rows() []Row {
	var rows []Row
	add := func(section, figure, result, target string, v Verdict) {
		rows = append(rows, Row{section, figure, result, target, v})
	}
	missing := func(section, figure, target string) { add(section, figure, "not measured", target, Missing) }

	r.synthRows(add)

	// Bundle.
	if b := r.Bundle; b == nil || len(b.Functions) == 0 {
		target := fmt.Sprintf("%s (plan: %s today)", targetBundle, planMB(plan.BundleTodayBytes))
		missing("bundle", "all functions, zipped", target)
	} else {
		target := fmt.Sprintf("%s (plan: %s today)", targetBundle, planMB(plan.BundleTodayBytes))
		add("bundle", fmt.Sprintf("all %d functions, zipped (code shipped once)", len(b.Functions)), MB(b.Unique),
			target, verdict(b.Unique < plan.BundleBytes))
		var largest FunctionBundle
		for _, f := range b.Functions {
			if f.Total() > largest.Total() {
				largest = f
			}
		}
		add("bundle", "largest function (layer + own package)", fmt.Sprintf("%s (%s)", MB(largest.Total()), largest.Name),
			targetBundle, verdict(largest.Total() < plan.BundleBytes))
	}

	// Cold start.
	for _, fn := range r.Expect.Functions {
		i := slices.IndexFunc(r.Cold, func(c ColdStart) bool { return c.Function == fn })
		if i < 0 || r.Cold[i].Init.N == 0 {
			missing("cold start", fn, targetColdStart)
			continue
		}
		c := r.Cold[i]
		res := fmt.Sprintf("init p50 %s, p95 %s; 1st invoke p50 %s (n=%d)", Ms(c.Init.P50), Ms(c.Init.P95),
			Ms(c.FirstInvoke.P50), c.Init.N)
		if c.Failures > 0 {
			res += fmt.Sprintf(", %d failed", c.Failures)
		}
		add("cold start", fn, res, targetColdStart+" (p95 init)", verdict(c.Init.P95 < plan.ColdStart && c.Failures == 0))
	}

	// Warm latency.
	for _, fn := range r.Expect.Routed {
		i := slices.IndexFunc(r.Warm, func(l Latency) bool { return l.Function == fn })
		if i < 0 || r.Warm[i].Client.N == 0 {
			missing("warm", fn, targetWarm)
			continue
		}
		l := r.Warm[i]
		add("warm", fn, fmt.Sprintf("p50 %s, p95 %s, p99 %s (n=%d)", Ms(l.Client.P50), Ms(l.Client.P95), Ms(l.Client.P99), l.Client.N),
			targetWarm+" (p95)", verdict(l.Client.P95 < plan.Warm))
	}

	for _, route := range r.Expect.Routes {
		i := slices.IndexFunc(r.Routes, func(l Latency) bool { return l.Function == route })
		if i < 0 || r.Routes[i].Client.N == 0 {
			missing("warm route", route, targetWarm)
			continue
		}
		l := r.Routes[i]
		add("warm route", route, fmt.Sprintf("p50 %s, p95 %s (n=%d)", Ms(l.Client.P50), Ms(l.Client.P95), l.Client.N),
			targetWarm+" (p95)", verdict(l.Client.P95 < plan.Warm))
	}

	// Database.
	for _, name := range r.Expect.Queries {
		var q *Query
		if r.DB != nil {
			if i := slices.IndexFunc(r.DB.Queries, func(q Query) bool { return q.Name == name }); i >= 0 {
				q = &r.DB.Queries[i]
			}
		}
		if q == nil || q.With.N == 0 {
			missing("database", name, targetQuery)
			continue
		}
		if q.Without.N == 0 {
			add("database", name, fmt.Sprintf("p95 %s; without indexes not measured", Ms(q.With.P95)), targetQuery, Missing)
			continue
		}
		without := "p95 " + Ms(q.Without.P95)
		if q.TimedOut > 0 {
			without = fmt.Sprintf("%d of %d calls over the %s timeout", q.TimedOut, q.Without.N, Ms(r.DB.Timeout))
		}
		result, v := fmt.Sprintf("p95 %s (without indexes: %s)", Ms(q.With.P95), without), verdict(q.With.P95 < plan.DatabaseP95)
		if flip := r.indexFlip(*q); flip != "" {
			result, v = result+"; "+flip, Flipped
		}
		add("database", name, result, targetQuery, v)
	}

	// API.
	if a := r.API; a == nil || a.Requests == 0 {
		missing("api", "p95 under load", targetAPI)
		missing("api", "error rate", targetErrorRate)
	} else {
		add("api", "p95 under load, all routes", fmt.Sprintf("%s (p50 %s, p99 %s; %d requests, %.0f/s)", Ms(a.All.P95),
			Ms(a.All.P50), Ms(a.All.P99), a.Requests, float64(a.Requests)/a.Duration.Seconds()), targetAPI, verdict(a.All.P95 < plan.APIP95))
		add("api", "error rate (5xx or no answer)", fmt.Sprintf("%s (%d of %d)", Pct(a.ErrorRate(), 2), a.ServerErrors, a.Requests),
			targetErrorRate, verdict(a.ErrorRate() < plan.ErrorRatePercent/100))
	}

	// Cache.
	if c := r.Cache; c == nil || len(c.Kinds) == 0 {
		missing("cache", "hit rate, mixed load", targetHitRate)
	} else {
		var parts []string
		for _, k := range c.Kinds {
			parts = append(parts, fmt.Sprintf("%s %s", k.Name, Pct(k.HitRate(), 0)))
		}
		hr := c.HitRate()
		add("cache", "hit rate, mixed load", fmt.Sprintf("%s (%s)", Pct(hr, 1), strings.Join(parts, ", ")), targetHitRate,
			verdict(!math.IsNaN(hr) && hr > plan.CacheHitRatePercent/100))
	}
	if c := r.Cache; c == nil || len(c.Steady) == 0 {
		missing("cache", "hit rate, steady state", targetHitRate)
	} else {
		var parts []string
		for _, k := range c.Steady {
			parts = append(parts, fmt.Sprintf("%s %s", k.Name, Pct(k.HitRate(), 0)))
		}
		hr := c.SteadyHitRate()
		add("cache", fmt.Sprintf("hit rate, steady state (after %s of traffic)", c.SteadyAfter.Round(time.Second)),
			fmt.Sprintf("%s (%s)", Pct(hr, 1), strings.Join(parts, ", ")), targetHitRate,
			verdict(!math.IsNaN(hr) && hr > plan.CacheHitRatePercent/100))
	}
	for _, kind := range r.Expect.CacheKinds {
		i := -1
		if r.Cache != nil {
			i = slices.IndexFunc(r.Cache.Kinds, func(k CacheKind) bool { return k.Name == kind })
		}
		if i < 0 || r.Cache.Kinds[i].Hits+r.Cache.Kinds[i].Misses == 0 {
			missing("cache", "hit rate, "+kind, "-")
			continue
		}
		k := r.Cache.Kinds[i]
		add("cache", "hit rate, "+kind, fmt.Sprintf("%s (%d hits, %d misses)", Pct(k.HitRate(), 1), k.Hits, k.Misses), "-", Info)
	}
	if c := r.Cache; c == nil || len(c.ColdWarm) == 0 {
		missing("cache", "cold vs warm cache", "-")
	} else {
		for _, fn := range r.Expect.ColdWarm {
			if !slices.ContainsFunc(c.ColdWarm, func(cw ColdWarm) bool { return cw.Function == fn && cw.Cold.N > 0 && cw.Warm.N > 0 }) {
				missing("cache", fn+", cold vs warm cache", "-")
			}
		}
		for _, cw := range c.ColdWarm {
			result := fmt.Sprintf("p50 %s -> %s, p95 %s -> %s", Ms(cw.Cold.P50), Ms(cw.Warm.P50), Ms(cw.Cold.P95), Ms(cw.Warm.P95))
			v := Info
			if slices.Contains(r.Expect.ColdWarm, cw.Function) {
				v = OK
				if flip := coldWarmFlip(cw); flip != "" {
					result, v = result+"; "+flip, Flipped
				}
			}
			add("cache", cw.Function+", cold vs warm cache", result, "-", v)
		}
	}
	if o := r.Outage; o == nil || len(o.Conditions) == 0 {
		missing("cache outage", "latency with Redis hung and down", "-")
	} else {
		for _, c := range o.Conditions {
			for _, f := range c.Functions {
				add("cache outage", c.Name+", "+f.Function, fmt.Sprintf("p50 %s, p95 %s (n=%d)", Ms(f.Latency.P50),
					Ms(f.Latency.P95), f.Latency.N), "-", Info)
			}
		}
	}
	return rows
}

// Complete reports whether every expected figure was measured.
func (r *Results) Complete() bool { return !r.has(Missing) }

// Consistent reports whether every ratio that does not depend on the
// machine points the way it must (no FLIPPED row).
func (r *Results) Consistent() bool { return !r.has(Flipped) }

func (r *Results) has(v Verdict) bool {
	return slices.ContainsFunc(r.Rows(), func(row Row) bool { return row.Verdict == v })
}

// indexFlip says what is wrong when a query an index exists for is not
// slower without the indexes, or its index was not among those dropped;
// it is empty when nothing is, or the query relies on no index.
func (r *Results) indexFlip(q Query) string {
	index, ok := r.Expect.Indexed[q.Name]
	if !ok {
		return ""
	}
	if !slices.Contains(r.DB.Dropped, index) {
		return fmt.Sprintf("FLIPPED: its index %s was not among those dropped", index)
	}
	if q.Without.P95 <= q.With.P95 {
		return fmt.Sprintf("FLIPPED: not slower without %s", index)
	}
	return ""
}

// coldWarmFlip says what is wrong when a function is not faster (p50) and
// hitting the cache more with the cache filled than with it empty.
func coldWarmFlip(cw ColdWarm) string {
	switch {
	case cw.WarmHits <= cw.ColdHits:
		return fmt.Sprintf("FLIPPED: %d cache hits filled, %d empty", cw.WarmHits, cw.ColdHits)
	case cw.Warm.P50 >= cw.Cold.P50:
		return "FLIPPED: not faster with the cache filled"
	}
	return ""
}
