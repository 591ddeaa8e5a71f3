package stats

import (
	"math"
	"testing"
	"time"
)

func ms(v ...float64) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = FromMillis(x)
	}
	return out
}

func TestPercentileNearestRank(t *testing.T) {
	// 1..100 ms: the p-th percentile is p ms exactly.
	var s []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for _, p := range []float64{1, 50, 95, 99, 100} {
		if got, want := Percentile(s, p), time.Duration(p)*time.Millisecond; got != want {
			t.Errorf("p%v = %v, want %v", p, got, want)
		}
	}
	if s[0] != 100*time.Millisecond {
		t.Error("Percentile sorted its input in place")
	}
}

func TestPercentileSmallSamples(t *testing.T) {
	cases := []struct {
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{nil, 95, 0},
		{ms(7), 50, FromMillis(7)},
		{ms(7), 99, FromMillis(7)},
		// Two samples: the median is the lower one, p95 the higher.
		{ms(10, 20), 50, FromMillis(10)},
		{ms(10, 20), 95, FromMillis(20)},
		// 20 samples: p95 is the 19th, not the maximum.
		{ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 1000), 95, FromMillis(19)},
		{ms(3, 1, 2), 50, FromMillis(2)},
	}
	for _, c := range cases {
		if got := Percentile(c.samples, c.p); got != c.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", c.samples, c.p, got, c.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	if s := Summarize(nil); s.N != 0 || s.P95 != 0 {
		t.Errorf("empty summary = %+v", s)
	}
	s := Summarize(ms(4, 1, 3, 2))
	want := Summary{N: 4, Min: FromMillis(1), Max: FromMillis(4), Mean: FromMillis(2.5),
		P50: FromMillis(2), P90: FromMillis(4), P95: FromMillis(4), P99: FromMillis(4)}
	if s != want {
		t.Errorf("Summarize = %+v, want %+v", s, want)
	}
}

func TestConversionsAndRatio(t *testing.T) {
	if got := Millis(1500 * time.Microsecond); got != 1.5 {
		t.Errorf("Millis = %v", got)
	}
	if got := FromMillis(0.809); got != 809*time.Microsecond {
		t.Errorf("FromMillis = %v", got)
	}
	if got := Ratio(7, 10); got != 0.7 {
		t.Errorf("Ratio = %v", got)
	}
	if !math.IsNaN(Ratio(0, 0)) {
		t.Error("Ratio over nothing should be NaN")
	}
}
