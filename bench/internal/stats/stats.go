// Package stats summarises samples: percentiles by the nearest-rank
// method, which never invents a value that was not measured.
package stats

import (
	"math"
	"slices"
	"time"
)

// Summary describes a set of durations. The zero Summary (N == 0) means
// nothing was measured.
type Summary struct {
	N                  int
	Min, Max, Mean     time.Duration
	P50, P90, P95, P99 time.Duration
}

// Summarize returns the summary of samples (which it does not modify).
func Summarize(samples []time.Duration) Summary {
	if len(samples) == 0 {
		return Summary{}
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	var sum time.Duration
	for _, v := range s {
		sum += v
	}
	return Summary{
		N: len(s), Min: s[0], Max: s[len(s)-1], Mean: sum / time.Duration(len(s)),
		P50: rank(s, 50), P90: rank(s, 90), P95: rank(s, 95), P99: rank(s, 99),
	}
}

// Percentile returns the p-th percentile (0 < p <= 100) of samples by
// nearest rank: the smallest sample with at least p % of the samples at
// or below it. It returns 0 for no samples.
func Percentile(samples []time.Duration, p float64) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return rank(s, p)
}

// rank is Percentile on sorted samples.
func rank(sorted []time.Duration, p float64) time.Duration {
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// Median is the 50th percentile.
func Median(samples []time.Duration) time.Duration { return Percentile(samples, 50) }

// Millis converts a duration to fractional milliseconds.
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// FromMillis converts fractional milliseconds to a duration.
func FromMillis(ms float64) time.Duration {
	return time.Duration(math.Round(ms * float64(time.Millisecond)))
}

// Ratio returns part/whole, or NaN when whole is zero (nothing counted is
// not a rate of zero).
func Ratio(part, whole int) float64 {
	if whole == 0 {
		return math.NaN()
	}
	return float64(part) / float64(whole)
}
