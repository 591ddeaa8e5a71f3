package traffic

import "testing"

// TestPhasesArePercentages: each phase's weights are shares of 100, as the
// cost estimate reads them.
func TestPhasesArePercentages(t *testing.T) {
	for phase, w := range Weights {
		var sum float64
		for route, share := range w {
			if share <= 0 {
				t.Errorf("%s: %s has share %v", phase, route, share)
			}
			sum += share
		}
		if sum != 100 {
			t.Errorf("%s sums to %v, want 100", phase, sum)
		}
	}
}
