package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// lambdaBuildFlags are the Lambda binary's build flags: gofunction's
// BuildFlags (a test keeps them equal). They are repeated here so that
// the harness does not link the CDK app's packages.
var lambdaBuildFlags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-tags=lambda.norpc"}

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
	steps := []struct {
		what, out, pkg string
		env            []string
		flags          []string
	}{
		{"the local server", b.LocalServer, "./lambda/cmd/localserver", nil, nil},
		{"the data generator", b.Seed, "./lambda/cmd/seed", nil, nil},
		{"aws-lambda-rie", b.RIE, rieModule, nil, nil},
		{"the Lambda binary for linux/" + runtime.GOARCH, b.Bootstrap, "./lambda",
			[]string{"GOOS=linux", "GOARCH=" + runtime.GOARCH, "CGO_ENABLED=0", "GOFLAGS="}, lambdaBuildFlags},
	}
	for _, s := range steps {
		p.Detail("building %s", s.what)
		args := append(append([]string{"build"}, s.flags...), "-o", s.out, s.pkg)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), s.env...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("build %s: %v\n%s", s.what, err, strings.TrimSpace(stderr.String()))
		}
	}
	return b, nil
}
