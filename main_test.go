package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasivu/infra/internal/pinnednode"
)

// TestMain runs the app with the project's pinned Node.js, which a plain
// `go test` would not otherwise find.
func TestMain(m *testing.M) {
	pinnednode.Skip()
	os.Exit(m.Run())
}

// TestBadStageIsOneLine runs the app the way the CDK CLI does, with an
// unknown stage: it must exit non-zero with one line naming the problem,
// never a Go panic trace.
func TestBadStageIsOneLine(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "app")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for context, want := range map[string]string{
		`{"stage":"nope"}`:     "config/nope.yaml: no such stage file (stage files: dev.yaml, prod.yaml, staging.yaml)",
		`{"stage":"../prod"}`:  `stage name "../prod" must be lower-case letters`,
		`{"stage":""}`:         "no stage given: run with -c stage=NAME (stages: [dev prod staging])",
		`{"stage":"Staging!"}`: `stage name "Staging!"`,
	} {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "CDK_CONTEXT_JSON="+context, "CDK_OUTDIR="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if exit, ok := err.(*exec.ExitError); !ok || exit.ExitCode() != 1 {
			t.Errorf("%s: exit %v, want 1", context, err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != 1 || !strings.Contains(lines[0], want) || strings.Contains(string(out), "goroutine") {
			t.Errorf("%s: output\n%s\nwant one line containing %q", context, out, want)
		}
	}
}
