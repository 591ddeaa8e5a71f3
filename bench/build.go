package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/hasivu/infra/lambdabuild"
)

// rieModule is the emulator's command, a tool dependency in go.mod, which
// pins its version.
const rieModule = "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie"

// binaries are the programs a run builds.
type binaries struct {
	LocalServer, Seed, RIE string
	// Bootstrap is the Lambda binary for this machine (linux/amd64 here;
	// Lambda runs the linux/arm64 build of the same source and flags).
	Bootstrap string
}

// buildAll builds the programs into dir, from the module in root, using
// the Go build cache.
func buildAll(ctx context.Context, root, dir string, p *progress) (*binaries, error) {
	b := &binaries{
		LocalServer: filepath.Join(dir, "localserver"),
		Seed:        filepath.Join(dir, "seed"),
		RIE:         filepath.Join(dir, "aws-lambda-rie"),
		Bootstrap:   filepath.Join(dir, "lambda", "bootstrap"),
	}
	goBuild := func(out, pkg string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		cmd.Dir = root
		return cmd
	}
	steps := []struct {
		what string
		cmd  *exec.Cmd
	}{
		{"the local server", goBuild(b.LocalServer, "./lambda/cmd/localserver")},
		{"the data generator", goBuild(b.Seed, "./lambda/cmd/seed")},
		{"aws-lambda-rie", goBuild(b.RIE, rieModule)},
		// The deployed binary's source and flags, for this machine.
		{"the Lambda binary for linux/" + runtime.GOARCH, lambdabuild.Command(ctx, root, "./lambda", runtime.GOARCH, b.Bootstrap)},
	}
	for _, s := range steps {
		p.Detail("building %s", s.what)
		var stderr bytes.Buffer
		s.cmd.Stderr = &stderr
		if err := s.cmd.Run(); err != nil {
			return nil, fmt.Errorf("build %s: %v\n%s", s.what, err, strings.TrimSpace(stderr.String()))
		}
	}
	return b, nil
}
