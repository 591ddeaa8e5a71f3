package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/bench/internal/emf"
	"github.com/hasivu/infra/bench/internal/load"
	"github.com/hasivu/infra/bench/internal/mix"
	"github.com/hasivu/infra/bench/internal/report"
	"github.com/hasivu/infra/bench/internal/stats"
	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/routes"
)

// forgetCache deletes the run's cache entries (every key under its
// prefix). A scan is fine here: the prefix is the harness's own, and this
// is not a request path.
func forgetCache(ctx context.Context, rdb *goredis.Client, prefix string) error {
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 500 {
			if err := rdb.Del(ctx, keys...).Err(); err != nil {
				return err
			}
			keys = keys[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(keys) > 0 {
		return rdb.Del(ctx, keys...).Err()
	}
	return nil
}

// cacheRequests returns n distinct cacheable requests of each cached
// function: menu views of popular schools and first pages of active
// parents' order lists.
func cacheRequests(g *mix.Generator, n int) ([]mix.Request, error) {
	var menus, lists []mix.Request
	seen := map[string]bool{}
	for tries := 0; len(seen) < n && tries < 50*n; tries++ {
		r := g.Menu()
		if !seen[r.Path] {
			seen[r.Path] = true
			menus = append(menus, r)
		}
	}
	ids := g.ParentUserIDs()
	for _, id := range ids[:min(n, len(ids))] {
		r, err := g.OrdersListFor(id, 1)
		if err != nil {
			return nil, err
		}
		lists = append(lists, r)
	}
	// Interleave the functions, as traffic would.
	var out []mix.Request
	for i := range max(len(menus), len(lists)) {
		if i < len(menus) {
			out = append(out, menus[i])
		}
		if i < len(lists) {
			out = append(out, lists[i])
		}
	}
	return out, nil
}

// pass sends the requests one at a time and returns the latencies per
// function and the functions' EMF documents of the pass.
func pass(ctx context.Context, srv *server, r *load.Runner, reqs []mix.Request) (map[string][]time.Duration, *emf.Collector, error) {
	lat := map[string][]time.Duration{}
	from := srv.settled()
	for _, req := range reqs {
		res := r.Do(ctx, req)
		if res.Err != nil || !res.Expected {
			return nil, nil, fmt.Errorf("%s %s: status %d %v %s", req.Method, req.Path, res.Status, res.Err, res.Answer)
		}
		lat[req.Function] = append(lat[req.Function], res.Latency)
	}
	return lat, srv.EMF.Slice(from, srv.settled()), nil
}

// coldWarmFunctions are the functions the cache comparison times, each
// reading one kind of cached page: with the cache filled each must be
// faster and hit it (report.Expect.ColdWarm).
var coldWarmFunctions = []string{routes.MenusDaily, routes.OrdersList}

// cacheColdWarm sends the same requests with the run's cache emptied and
// then filled. A first pass warms PostgreSQL's buffers for the same
// queries, so that the cold pass measures a cache miss, not a cold
// database.
func cacheColdWarm(ctx context.Context, srv *server, r *load.Runner, g *mix.Generator, rdb *goredis.Client, prefix string,
	n int, p *progress) ([]report.ColdWarm, error) {
	reqs, err := cacheRequests(g, n)
	if err != nil {
		return nil, err
	}
	p.Detail("priming the database with %d requests", len(reqs))
	if _, _, err := pass(ctx, srv, r, reqs); err != nil {
		return nil, err
	}
	if err := forgetCache(ctx, rdb, prefix); err != nil {
		return nil, fmt.Errorf("empty the cache: %w", err)
	}
	p.Detail("cold cache: %d requests", len(reqs))
	cold, coldDocs, err := pass(ctx, srv, r, reqs)
	if err != nil {
		return nil, err
	}
	p.Detail("warm cache: %d requests", len(reqs))
	warm, warmDocs, err := pass(ctx, srv, r, reqs)
	if err != nil {
		return nil, err
	}
	// The cache metrics carry the cache's kind, not the function: each
	// function reads one kind.
	kinds := map[string]string{routes.MenusDaily: redis.DailyMenu.Name, routes.OrdersList: redis.OrderList.Name}
	count := func(docs *emf.Collector, m metrics.Metric, fn string) int {
		return int(docs.Sum(emf.Filter{Metric: m.Name, Dims: map[string]string{metrics.DimCache: kinds[fn]}}))
	}
	var out []report.ColdWarm
	for _, fn := range coldWarmFunctions {
		out = append(out, report.ColdWarm{Function: fn, Cold: stats.Summarize(cold[fn]), Warm: stats.Summarize(warm[fn]),
			ColdHits: count(coldDocs, metrics.CacheHits, fn), ColdMiss: count(coldDocs, metrics.CacheMisses, fn),
			WarmHits: count(warmDocs, metrics.CacheHits, fn), WarmMiss: count(warmDocs, metrics.CacheMisses, fn)})
	}
	return out, nil
}

// routeLatencies is the recorded load's latency per route, in the order
// of routes.
func routeLatencies(results []load.Result, routes []string) []report.Latency {
	rec := load.Select(results, func(r load.Result) bool { return r.Record })
	var out []report.Latency
	for _, route := range routes {
		rs := load.Select(rec, func(r load.Result) bool { return r.Route == route })
		l := report.Latency{Function: route, Client: stats.Summarize(load.Latencies(rs)), Requests: len(rs)}
		for _, r := range rs {
			if r.ServerError() {
				l.ServerErrors++
			} else if r.ClientFault() {
				l.ClientFaults++
			}
		}
		out = append(out, l)
	}
	return out
}

// loadResults turns the mixed load's results and the functions' metrics
// into the report's warm latency, API, cache and per-query figures.
func loadResults(results []load.Result, windows []load.Window, stages []load.Stage, col *emf.Collector,
	routed []string) ([]report.Latency, *report.API, *report.Cache, map[string]stats.Summary) {
	rec := load.Select(results, func(r load.Result) bool { return r.Record })
	var from time.Time
	api := &report.API{}
	for _, w := range windows {
		if !w.Record {
			continue
		}
		if from.IsZero() {
			from = w.From
		}
		api.Duration += w.To.Sub(w.From)
		i := slices.IndexFunc(stages, func(s load.Stage) bool { return s.Name == w.Stage })
		st := load.Select(rec, func(r load.Result) bool { return r.Stage == w.Stage })
		sr := report.StageResult{Name: w.Stage, Phase: string(stages[i].Phase), Rate: stages[i].Rate,
			Duration: stages[i].Duration, All: stats.Summarize(load.Latencies(st)), Requests: len(st)}
		for _, r := range st {
			if r.ServerError() {
				sr.ServerErrors++
			}
		}
		api.Stages = append(api.Stages, sr)
	}
	api.All = stats.Summarize(load.Latencies(rec))
	api.Requests = len(rec)
	faults := map[string]int{}
	for _, r := range rec {
		switch {
		case r.ServerError():
			api.ServerErrors++
		case r.ClientFault():
			api.ClientFaults++
		default:
			continue
		}
		what := fmt.Sprintf("%s %d %s", r.Function, r.Status, strings.Join(strings.Fields(r.Answer), " "))
		if r.Err != nil {
			what = fmt.Sprintf("%s: %v", r.Function, r.Err)
		}
		faults[what[:min(len(what), 200)]]++
	}
	for what, n := range faults {
		api.Faults = append(api.Faults, fmt.Sprintf("%d× %s", n, what))
	}
	slices.Sort(api.Faults)
	if len(api.Faults) > 12 {
		api.Faults = api.Faults[:12]
	}

	// The steady-state stage's documents count only in its own figures.
	win := emf.Filter{From: from}
	steady := slices.IndexFunc(windows, func(w load.Window) bool { return w.Stage == steadyStage })
	if steady >= 0 {
		win.To = windows[steady].From
	}
	var warm []report.Latency
	for _, fn := range routed {
		rs := load.Select(rec, func(r load.Result) bool { return r.Function == fn })
		l := report.Latency{Function: fn, Client: stats.Summarize(load.Latencies(rs)), Requests: len(rs)}
		f := win
		f.Metric, f.Dims = metrics.OperationDuration.Name, map[string]string{metrics.DimFunction: fn}
		l.InFunction = stats.Summarize(col.Durations(f))
		for _, r := range rs {
			if r.ServerError() {
				l.ServerErrors++
			} else if r.ClientFault() {
				l.ClientFaults++
			}
		}
		warm = append(warm, l)
	}

	cr := &report.Cache{Kinds: cacheKinds(col, win)}
	if steady >= 0 {
		w := emf.Filter{From: windows[steady].From, To: windows[steady].To}
		cr.Steady = cacheKinds(col, w)
		for _, st := range stages {
			if st.Name == steadyStage {
				break
			}
			cr.SteadyAfter += st.Duration
		}
	}
	e := win
	e.Metric = metrics.CacheErrors.Name
	cr.Errors = int(col.Sum(e))
	for i, w := range windows {
		if !w.Record {
			continue
		}
		// A stage's documents run until the next stage starts (requests in
		// flight at its end finish after it).
		h := emf.Filter{Metric: metrics.CacheHits.Name, From: w.From}
		if i+1 < len(windows) {
			h.To = windows[i+1].From
		}
		m := h
		m.Metric = metrics.CacheMisses.Name
		cr.Stages = append(cr.Stages, report.CacheKind{Name: w.Stage, Hits: int(col.Sum(h)), Misses: int(col.Sum(m))})
	}

	queries := map[string]stats.Summary{}
	q := win
	q.Metric = metrics.QueryDuration.Name
	for _, name := range col.DimValues(q, metrics.DimQuery) {
		qq := q
		qq.Dims = map[string]string{metrics.DimQuery: name}
		queries[name] = stats.Summarize(col.Durations(qq))
	}
	return warm, api, cr, queries
}

// steadyStage is the name of the load's last stage, whose cache figures
// are the steady state's.
const steadyStage = "steady state"

// cacheKinds sums the functions' cache hits and misses per kind in the
// window win.
func cacheKinds(col *emf.Collector, win emf.Filter) []report.CacheKind {
	f := win
	f.Metric = metrics.CacheHits.Name
	kinds := col.DimValues(f, metrics.DimCache)
	f.Metric = metrics.CacheMisses.Name
	for _, k := range col.DimValues(f, metrics.DimCache) {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	slices.Sort(kinds)
	var out []report.CacheKind
	for _, k := range kinds {
		dims := map[string]string{metrics.DimCache: k}
		h, m := win, win
		h.Metric, h.Dims = metrics.CacheHits.Name, dims
		m.Metric, m.Dims = metrics.CacheMisses.Name, dims
		out = append(out, report.CacheKind{Name: k, Hits: int(col.Sum(h)), Misses: int(col.Sum(m))})
	}
	return out
}
