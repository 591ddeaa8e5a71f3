// Package load drives HTTP load: an open-loop generator whose requests
// arrive as a Poisson process at a set rate, whatever the server's speed,
// as users' requests do. Latency counts from a request's scheduled
// arrival, so time spent waiting for a free connection when the server
// falls behind is part of it (no coordinated omission).
package load

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/hasivu/infra/bench/internal/mix"
)

// Stage is a stretch of load with one mix and one arrival rate.
type Stage struct {
	Name     string
	Phase    mix.Phase
	Duration time.Duration
	// Rate is the mean arrival rate, requests per second.
	Rate float64
	// Record says the stage's results count (a warm-up's do not).
	Record bool
}

// Window is when a stage ran.
type Window struct {
	Stage    string
	Record   bool
	From, To time.Time
}

// Result is one request.
type Result struct {
	Function string
	// Route is the route it went by, "METHOD /path".
	Route  string
	Stage  string
	Record bool
	// Status is the HTTP status, 0 when the request failed in transport
	// (Err says why).
	Status int
	Err    error
	// Expected says the status is one the request expects.
	Expected bool
	// Latency runs from the scheduled arrival to the end of the response.
	Latency time.Duration
	// Scheduled is the arrival time.
	Scheduled time.Time
	// Answer starts the body of an unexpected answer, for diagnosis.
	Answer string
}

// ServerError reports a 5xx answer or a failure to get one.
func (r Result) ServerError() bool { return r.Status == 0 || r.Status >= 500 }

// ClientFault reports an unexpected status below 500.
func (r Result) ClientFault() bool { return !r.Expected && !r.ServerError() }

// Runner sends requests to one server.
type Runner struct {
	// BaseURL is the server, e.g. http://127.0.0.1:8080.
	BaseURL string
	// MaxInFlight caps concurrent requests; arrivals beyond it wait (and
	// their waiting counts as latency).
	MaxInFlight int
	// Seed makes the arrival times repeatable.
	Seed   uint64
	client *http.Client
	once   sync.Once
}

func (r *Runner) init() {
	r.once.Do(func() {
		if r.MaxInFlight <= 0 {
			r.MaxInFlight = 64
		}
		r.client = &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
			MaxIdleConns: r.MaxInFlight, MaxIdleConnsPerHost: r.MaxInFlight, IdleConnTimeout: time.Minute,
			DisableCompression: true,
		}}
	})
}

// Do sends one request now and returns its result.
func (r *Runner) Do(ctx context.Context, req mix.Request) Result {
	r.init()
	return r.send(ctx, req, time.Now())
}

func (r *Runner) send(ctx context.Context, req mix.Request, scheduled time.Time) Result {
	res := Result{Function: req.Function, Route: req.Route, Scheduled: scheduled}
	var body io.Reader
	if req.Body != nil {
		body = bytes.NewReader(req.Body)
	}
	hreq, err := http.NewRequestWithContext(ctx, req.Method, r.BaseURL+req.Path, body)
	if err != nil {
		res.Err = err
		return res
	}
	for k, v := range req.Header {
		hreq.Header[k] = v
	}
	resp, err := r.client.Do(hreq)
	if err != nil {
		res.Err, res.Latency = err, time.Since(scheduled)
		return res
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	res.Latency = time.Since(scheduled)
	if err != nil {
		res.Err = err
		return res
	}
	res.Status = resp.StatusCode
	res.Expected = slices.Contains(req.Expect, resp.StatusCode)
	if !res.Expected {
		res.Answer = string(b[:min(len(b), 300)])
	}
	if req.Done != nil {
		req.Done(resp.StatusCode, b)
	}
	return res
}

// Progress is told how far a run is.
type Progress func(stage string, elapsed, duration time.Duration, sent int)

// Run runs the stages one after the other and returns every request's
// result and when each stage ran. next builds each request as it
// arrives, so requests chained to earlier answers see them. It returns
// early, with what it has, when ctx ends.
func (r *Runner) Run(ctx context.Context, stages []Stage, next func(mix.Phase) (mix.Request, error), progress Progress) ([]Result, []Window, error) {
	r.init()
	rng := rand.New(rand.NewPCG(r.Seed, r.Seed^0x10ad))
	sem := make(chan struct{}, r.MaxInFlight)
	var (
		mu      sync.Mutex
		results []Result
		wg      sync.WaitGroup
		windows []Window
	)
	for _, st := range stages {
		if st.Rate <= 0 || st.Duration <= 0 {
			return nil, nil, fmt.Errorf("stage %s needs a positive rate and duration", st.Name)
		}
		start := time.Now()
		end := start.Add(st.Duration)
		at := start
		sent := 0
		lastReport := start
		for {
			at = at.Add(time.Duration(rng.ExpFloat64() / st.Rate * float64(time.Second)))
			if !at.Before(end) {
				break
			}
			if d := time.Until(at); d > 0 {
				select {
				case <-ctx.Done():
					wg.Wait()
					return results, windows, ctx.Err()
				case <-time.After(d):
				}
			}
			req, err := next(st.Phase)
			if err != nil {
				wg.Wait()
				return results, windows, fmt.Errorf("stage %s: build a request: %w", st.Name, err)
			}
			sent++
			wg.Add(1)
			go func(req mix.Request, scheduled time.Time) {
				defer wg.Done()
				sem <- struct{}{}
				res := r.send(ctx, req, scheduled)
				<-sem
				res.Stage, res.Record = st.Name, st.Record
				mu.Lock()
				results = append(results, res)
				mu.Unlock()
			}(req, at)
			if progress != nil && time.Since(lastReport) > 200*time.Millisecond {
				lastReport = time.Now()
				progress(st.Name, time.Since(start), st.Duration, sent)
			}
		}
		if d := time.Until(end); d > 0 {
			time.Sleep(d)
		}
		windows = append(windows, Window{Stage: st.Name, Record: st.Record, From: start, To: end})
	}
	wg.Wait()
	return results, windows, nil
}

// Select returns the results for which keep is true.
func Select(results []Result, keep func(Result) bool) []Result {
	var out []Result
	for _, r := range results {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// Latencies returns the latencies of results that got an answer.
func Latencies(results []Result) []time.Duration {
	out := make([]time.Duration, 0, len(results))
	for _, r := range results {
		if r.Status != 0 {
			out = append(out, r.Latency)
		}
	}
	return out
}
