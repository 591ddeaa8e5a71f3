package load

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hasivu/infra/bench/internal/mix"
)

func TestRunOpenLoop(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(503)
		case "/missing":
			w.WriteHeader(404)
		default:
			time.Sleep(2 * time.Millisecond)
			_, _ = w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer srv.Close()
	var done atomic.Int64
	next := func(p mix.Phase) (mix.Request, error) {
		n := served.Load()
		path := "/ok"
		switch {
		case n%10 == 3:
			path = "/fail"
		case n%10 == 7:
			path = "/missing"
		}
		return mix.Request{Function: string(p), Method: "GET", Path: path, Expect: []int{200},
			Done: func(int, []byte) { done.Add(1) }}, nil
	}
	r := &Runner{BaseURL: srv.URL, MaxInFlight: 8, Seed: 1}
	stages := []Stage{
		{Name: "warm-up", Phase: mix.Normal, Duration: 200 * time.Millisecond, Rate: 200},
		{Name: "measure", Phase: mix.Lunch, Duration: 400 * time.Millisecond, Rate: 300, Record: true},
	}
	results, windows, err := r.Run(context.Background(), stages, next, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(windows) != 2 || windows[1].Stage != "measure" || !windows[1].Record || !windows[1].From.Before(windows[1].To) {
		t.Errorf("windows = %+v", windows)
	}
	recorded := Select(results, func(r Result) bool { return r.Record })
	// Poisson arrivals: 120 expected, well within ±40 %.
	if n := len(recorded); math.Abs(float64(n)-120) > 48 {
		t.Errorf("%d recorded requests at 300/s for 0.4 s", n)
	}
	if int64(len(results)) != done.Load() {
		t.Errorf("%d results, %d Done callbacks", len(results), done.Load())
	}
	var serverErrors, faults, ok int
	for _, res := range recorded {
		if res.Function != string(mix.Lunch) || res.Stage != "measure" {
			t.Fatalf("result %+v", res)
		}
		switch {
		case res.ServerError():
			serverErrors++
		case res.ClientFault():
			faults++
		case res.Expected:
			ok++
			if res.Latency < 2*time.Millisecond {
				t.Errorf("latency %v below the server's 2 ms", res.Latency)
			}
		}
	}
	if serverErrors == 0 || faults == 0 || ok == 0 {
		t.Errorf("server errors %d, client faults %d, ok %d", serverErrors, faults, ok)
	}
	if len(Latencies(recorded)) != len(recorded) {
		t.Error("answered requests without a latency")
	}
}

// TestLatencyCountsQueueing: with one request in flight at a time and a
// slow server, later arrivals wait, and their latency includes the wait.
func TestLatencyCountsQueueing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond)
	}))
	defer srv.Close()
	r := &Runner{BaseURL: srv.URL, MaxInFlight: 1, Seed: 2}
	next := func(mix.Phase) (mix.Request, error) {
		return mix.Request{Function: "f", Method: "GET", Path: "/", Expect: []int{200}}, nil
	}
	results, _, err := r.Run(context.Background(), []Stage{{Name: "s", Phase: mix.Normal, Duration: 300 * time.Millisecond, Rate: 200, Record: true}}, next, nil)
	if err != nil {
		t.Fatal(err)
	}
	var worst time.Duration
	for _, res := range results {
		worst = max(worst, res.Latency)
	}
	// About 60 arrivals for a server that completes 15 in the stage.
	if worst < 200*time.Millisecond {
		t.Errorf("worst latency %v: queueing behind a saturated server is not counted", worst)
	}
}

func TestTransportFailureIsServerError(t *testing.T) {
	r := &Runner{BaseURL: "http://127.0.0.1:1", MaxInFlight: 1}
	res := r.Do(context.Background(), mix.Request{Function: "f", Method: "GET", Path: "/", Expect: []int{200}})
	if res.Err == nil || !res.ServerError() || res.ClientFault() {
		t.Errorf("result %+v", res)
	}
}
