package freshness_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hasivu/infra/lambda/freshness"
)

// cache is an in-memory freshness.Cache of strings: entries kept with
// the version they were read at, served at or above the scope's version.
type cache struct {
	versions map[string]int64
	entries  map[string]entry
	// down makes every Get a miss at Unknown, as a failing Redis.
	down bool
}

type entry struct {
	v freshness.Version
	s string
}

func (c *cache) Get(_ context.Context, scope, key string, dst *string) (freshness.Version, bool) {
	if c.down {
		return freshness.Unknown, false
	}
	v := freshness.Version(c.versions[scope])
	if e, ok := c.entries[scope+"/"+key]; ok && e.v >= v {
		*dst = e.s
		return v, true
	}
	return v, false
}

func (c *cache) Put(_ context.Context, scope, key string, v freshness.Version, s *string) {
	if v != freshness.Unknown {
		c.entries[scope+"/"+key] = entry{v, *s}
	}
}

func (c *cache) Changed(_ context.Context, scope string, v int64) {
	c.versions[scope] = max(c.versions[scope], v)
}

// TestRead: a miss reads the store and caches what it read at the
// version learnt before; a hit does not read; a change retires the
// entry; a failing cache reads every time and caches nothing; a failed
// read caches nothing.
func TestRead(t *testing.T) {
	ctx := context.Background()
	c := &cache{versions: map[string]int64{}, entries: map[string]entry{}}
	value, reads := "a", 0
	var fail error
	read := func() (string, error) {
		s, err := freshness.Read(ctx, c, "u", "k", func(context.Context) (*string, error) {
			reads++
			if fail != nil {
				return nil, fail
			}
			v := value
			return &v, nil
		})
		if err != nil {
			return "", err
		}
		return *s, nil
	}
	for i, step := range []struct {
		do    func()
		want  string
		reads int
	}{
		{func() {}, "a", 1},
		{func() {}, "a", 1},
		{func() { value = "b" }, "a", 1}, // not announced: the cache still serves a
		{func() { c.Changed(ctx, "u", 1) }, "b", 2},
		{func() {}, "b", 2},
		{func() { c.down, value = true, "c" }, "c", 3},
		{func() {}, "c", 4},
		{func() { c.down = false }, "b", 4}, // what was cached at version 1 is still right for it
	} {
		step.do()
		got, err := read()
		if err != nil || got != step.want || reads != step.reads {
			t.Errorf("step %d: %q (%v) after %d reads, want %q after %d", i, got, err, reads, step.want, step.reads)
		}
	}
	fail = errors.New("store down")
	c.Changed(ctx, "u", 2)
	if _, err := read(); !errors.Is(err, fail) {
		t.Errorf("failed read: %v, want the store's error", err)
	}
	fail = nil
	if got, _ := read(); got != "c" {
		t.Errorf("after a failed read: %q, want a fresh read (the failure cached nothing)", got)
	}
}
