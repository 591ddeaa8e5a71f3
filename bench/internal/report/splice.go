package report

import (
	"errors"
	"fmt"
	"strings"
)

// SpliceSynth returns the report old with its synth figures replaced by
// those of fresh, a run of the synth phase alone: the summary's synth
// rows, the synth setting and the Synth section, which then says which
// command measured it. The rest of old, from its full run, stays as it
// was, so that the synth part can be measured again without the hour a
// full run and its data set take.
func SpliceSynth(old []byte, fresh *Results) ([]byte, error) {
	lines := strings.Split(string(old), "\n")
	next := strings.Split(string(fresh.Markdown("")), "\n")

	// Summary rows and the setting: one contiguous block each.
	for _, block := range []struct {
		name  string
		match func(string) bool
	}{
		{"summary rows", func(l string) bool { return strings.HasPrefix(l, "| synth |") && strings.Count(l, " | ") == 4 }},
		{"synth setting", func(l string) bool { return strings.HasPrefix(l, "| synth |") && strings.Count(l, " | ") == 1 }},
	} {
		var err error
		if lines, err = replaceBlock(lines, next, block.match); err != nil {
			return nil, fmt.Errorf("%s: %w", block.name, err)
		}
	}

	m := fresh.Meta
	commit := m.Commit
	if m.Dirty {
		commit += " with uncommitted changes"
	}
	provenance := fmt.Sprintf("The figures of this section, and the summary's synth rows, were measured by `%s` on %s, "+
		"from commit %s, apart from the rest of this file.", m.Command, m.Date.UTC().Format("2006-01-02 15:04 MST"), commit)
	return spliceSection(lines, next, "## Synth", provenance)
}

// SpliceCache returns the report old with its cache figures replaced by
// those of fresh, a run of the load phase alone: the summary's cache rows
// and the Cache section, which then says which command, data set and
// load measured them. The rest of old stays as it was.
func SpliceCache(old []byte, fresh *Results) ([]byte, error) {
	lines := strings.Split(string(old), "\n")
	next := strings.Split(string(fresh.Markdown("")), "\n")
	var err error
	lines, err = replaceBlock(lines, next, func(l string) bool { return strings.HasPrefix(l, "| cache |") && strings.Count(l, " | ") == 4 })
	if err != nil {
		return nil, fmt.Errorf("cache summary rows: %w", err)
	}
	m := fresh.Meta
	commit := m.Commit
	if m.Dirty {
		commit += " with uncommitted changes"
	}
	setting := func(name string) string {
		for _, kv := range m.Settings {
			if kv.Name == name {
				return kv.Value
			}
		}
		return "?"
	}
	provenance := fmt.Sprintf("The figures of this section, and the summary's cache rows, were measured by `%s` on %s, "+
		"from commit %s, apart from the rest of this file: data set %s; mixed load %s.", m.Command,
		m.Date.UTC().Format("2006-01-02 15:04 MST"), commit, setting("data set"), setting("mixed load"))
	return spliceSection(lines, next, "## Cache", provenance)
}

// spliceSection replaces the section of lines under heading, up to the
// next section's, with next's, headed by provenance.
func spliceSection(lines, next []string, heading, provenance string) ([]byte, error) {
	section := func(ls []string) (int, int) {
		start := -1
		for i, l := range ls {
			if l == heading {
				start = i
			} else if start >= 0 && strings.HasPrefix(l, "## ") {
				return start, i
			}
		}
		return start, len(ls)
	}
	from, to := section(lines)
	ns, ne := section(next)
	if from < 0 || ns < 0 {
		return nil, fmt.Errorf("no %s section", strings.TrimPrefix(heading, "## "))
	}
	fresh := append([]string{next[ns], "", provenance, ""}, next[ns+2:ne]...)
	out := append(append(append([]string{}, lines[:from]...), fresh...), lines[to:]...)
	return []byte(strings.Join(out, "\n")), nil
}

// replaceBlock replaces the contiguous lines of old that match with those
// of next.
func replaceBlock(old, next []string, match func(string) bool) ([]string, error) {
	find := func(ls []string) (int, int) {
		start := -1
		for i, l := range ls {
			switch {
			case match(l) && start < 0:
				start = i
			case !match(l) && start >= 0:
				return start, i
			}
		}
		if start < 0 {
			return -1, -1
		}
		return start, len(ls)
	}
	from, to := find(old)
	ns, ne := find(next)
	if from < 0 || ns < 0 {
		return nil, errors.New("not in both reports")
	}
	return append(append(append([]string{}, old[:from]...), next[ns:ne]...), old[to:]...), nil
}
