// Package ist declares India Standard Time, the schools' time zone, once.
// It decides what "today" is for ordering, for meal collection and for the
// seeded data, which must agree; it imports nothing but the standard
// library, so domain packages and commands alike may use it.
package ist

import "time"

// Zone is India Standard Time, UTC+5:30. India has no daylight saving, so
// a fixed zone is exact and needs no time zone database in the Lambda
// image.
var Zone = time.FixedZone("IST", 5*3600+1800)

// Today returns the date in India at t as midnight UTC, the form a date
// takes when parsed with time.DateOnly or read from a PostgreSQL date, so
// that it compares directly with those.
func Today(t time.Time) time.Time {
	t = t.In(Zone)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
