package ist

import (
	"testing"
	"time"
)

// TestToday: India's day starts at 18:30 UTC the evening before, so the
// same instant is a different date in UTC and in India around midnight.
func TestToday(t *testing.T) {
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 3, 1, 18, 29, 59, 0, time.UTC), "2026-03-01"},
		{time.Date(2026, 3, 1, 18, 30, 0, 0, time.UTC), "2026-03-02"},
		{time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), "2026-03-02"},
		{time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC), "2027-01-01"},
		// The zone of the argument does not matter, only the instant.
		{time.Date(2026, 3, 2, 0, 10, 0, 0, Zone), "2026-03-02"},
		{time.Date(2026, 3, 1, 23, 0, 0, 0, time.FixedZone("PST", -8*3600)), "2026-03-02"},
	} {
		got := Today(tc.at)
		want, _ := time.Parse(time.DateOnly, tc.want)
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Today(%s) = %s, want %s UTC", tc.at, got, tc.want)
		}
	}
}
