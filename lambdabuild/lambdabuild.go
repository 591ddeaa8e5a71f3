// Package lambdabuild is the one build of the platform's Lambda code: the
// target and flags of the binary, declared here and nowhere else, and the
// layout the app deploys (the platform layer's bootstrap and the package
// every function shares). It links nothing but the standard library, so
// the CDK app and the benchmark harness build the same way without the
// harness linking the CDK bindings.
package lambdabuild

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Arch is the architecture Lambda runs the binary on (Graviton).
const Arch = "arm64"

// flags are the go build flags of the Lambda binary: paths and VCS stamps
// stripped so that the same source gives the same bytes on any machine
// with the same Go version, symbols dropped for size, and the
// lambda.norpc tag because provided.al2023 speaks the Runtime API.
var flags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-tags=lambda.norpc"}

// env is the target environment of a build for linux/goarch, added to the
// caller's environment (which keeps its Go build cache). Without cgo the
// binary runs on any Linux, and GOFLAGS is emptied so that the caller's
// cannot change what is built.
func env(goarch string) []string {
	return []string{"GOOS=linux", "GOARCH=" + goarch, "CGO_ENABLED=0", "GOFLAGS="}
}

// Command is the go build of the Lambda binary from the package pkg of the
// module in moduleDir for linux/goarch, written to out. The app builds for
// Arch; the benchmark harness builds the same source with the same flags
// for the machine it runs the emulator on. The caller sets the command's
// output streams.
func Command(ctx context.Context, moduleDir, pkg, goarch, out string) *exec.Cmd {
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), env(goarch)...)
	return cmd
}

// Bundle is the Lambda code of every function, built once: the binary for
// the platform layer and the tiny package each function carries itself.
type Bundle struct {
	// LayerDir holds the binary as bootstrap at its root, which Lambda
	// runs as /opt/bootstrap when a function's own package has none.
	LayerDir string
	// FunctionDir is every function's own package: one small file, so all
	// functions share a single asset and the code ships only in the layer.
	FunctionDir string
}

// functionReadme is the whole of each function's own package. Its bytes
// are the function asset's hash: changing it gives every function a new
// version.
const functionReadme = `This function's code is the platform layer's /opt/bootstrap.
Its Handler setting names its entry in the handler table (lambda/functions).
`

// Build compiles the Go package pkg of the module in moduleDir for
// linux/Arch into outDir/layer/bootstrap and writes outDir/function. A
// compile error is returned with the compiler's output.
func Build(moduleDir, pkg, outDir string) (*Bundle, error) {
	b := &Bundle{LayerDir: filepath.Join(outDir, "layer"), FunctionDir: filepath.Join(outDir, "function")}
	for _, dir := range []string{b.LayerDir, b.FunctionDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("bundle %s: %w", pkg, err)
		}
	}
	out, err := filepath.Abs(filepath.Join(b.LayerDir, "bootstrap"))
	if err != nil {
		return nil, err
	}
	cmd := Command(context.Background(), moduleDir, pkg, Arch, out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build %s for linux/%s: %v\n%s", pkg, Arch, err, strings.TrimSpace(stderr.String()))
	}
	if err := os.WriteFile(filepath.Join(b.FunctionDir, "README"), []byte(functionReadme), 0o644); err != nil {
		return nil, fmt.Errorf("bundle %s: %w", pkg, err)
	}
	return b, nil
}
