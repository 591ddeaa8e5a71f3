// Package plan declares the performance plan's targets, once. Config takes
// its alarm thresholds' defaults from it, the monitoring stack passes it
// to the dashboard's limits and the alarms' descriptions, and the
// benchmark report judges its figures against it. It imports nothing, so
// every side of the program may use it.
package plan

import "time"

// The plan's targets.
const (
	// ColdStart is the longest a function's init may take.
	ColdStart = time.Second
	// Warm is the longest a warm invocation may take at p95.
	Warm = 150 * time.Millisecond
	// DatabaseP95 is the p95 of a database query.
	DatabaseP95 = 100 * time.Millisecond
	// APIP95 is the p95 of an API request as API Gateway measures it.
	APIP95 = 300 * time.Millisecond
	// CacheHitRatePercent is the lowest cache hit rate, in percent.
	CacheHitRatePercent = 70.0
	// ErrorRatePercent is the highest share of API requests that may end
	// in a 5XX, in percent.
	ErrorRatePercent = 0.1
	// BundleBytes is the most the deployed code may weigh, zipped.
	BundleBytes = 20 << 20
	// DurationAxis is the top of the plan's duration graphs, which it
	// draws from 0 to 3000 ms so they compare at a glance.
	DurationAxis = 3 * time.Second
)

// How the plan's alarms judge its targets: each over periods of
// AlarmPeriod, the cold start over ColdStartPeriods of them, the database
// p95, the API p95 and the cache hit rate over SustainedPeriods, so a
// single slow minute does not page anyone.
const (
	AlarmPeriod      = 5 * time.Minute
	ColdStartPeriods = 2
	SustainedPeriods = 3
)

// The plan's figures for the system as it was, which the benchmark report
// sets its own beside.
const (
	// BundleTodayBytes is the zipped code the plan started from.
	BundleTodayBytes = 25 << 20
	// UserQueryFrom and UserQueryTo are the plan's user-query latency
	// before and after its database work.
	UserQueryFrom = 300 * time.Millisecond
	UserQueryTo   = 50 * time.Millisecond
)
