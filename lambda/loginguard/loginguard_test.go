package loginguard_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/loginguard"
)

func TestLockDoublesUpToTheCeiling(t *testing.T) {
	l := loginguard.Limit{After: 5, Window: time.Minute, First: 30 * time.Second, Max: 15 * time.Minute}
	for n, want := range map[int64]time.Duration{
		1: 0, 4: 0, 5: 30 * time.Second, 6: time.Minute, 7: 2 * time.Minute, 9: 8 * time.Minute, 10: 15 * time.Minute, 1000: 15 * time.Minute,
	} {
		if got := l.LockFor(n); got != want {
			t.Errorf("failure %d locks %v, want %v", n, got, want)
		}
	}
}

func TestEmailHashIgnoresCaseAndSpace(t *testing.T) {
	if a, b := loginguard.EmailHash(" Parent@Test.example "), loginguard.EmailHash("parent@test.example"); a != b || len(a) != 24 {
		t.Errorf("hashes %q and %q", a, b)
	}
}

// broken is a store that always fails, like Redis down.
type broken struct{}

var errDown = errors.New("down")

func (broken) Fail(context.Context, string, time.Duration) (int64, error) { return 0, errDown }
func (broken) Lock(context.Context, string, time.Time) error              { return errDown }
func (broken) Locked(context.Context, ...string) (time.Time, error)       { return time.Time{}, errDown }
func (broken) Clear(context.Context, string) error                        { return errDown }

// TestFailsOpen: a store that fails never locks anyone out.
func TestFailsOpen(t *testing.T) {
	g := loginguard.New(broken{}, time.Now)
	a := loginguard.Attempt{Email: "x@y.z", IP: "192.0.2.1"}
	for range 20 {
		if d := g.Failed(context.Background(), a); d != 0 {
			t.Fatalf("failed store locked for %v", d)
		}
	}
	if d := g.RetryAfter(context.Background(), a); d != 0 {
		t.Errorf("failed store: retry after %v", d)
	}
}
