package gofunction

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

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

// BuildFlags are the go build flags of the Lambda binary: no cgo, paths and
// VCS stamps stripped so that the same source gives the same bytes on any
// machine with the same Go version, symbols dropped for size, and the
// lambda.norpc tag because provided.al2023 speaks the Runtime API.
var BuildFlags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-tags=lambda.norpc"}

// BuildEnv is the target environment of the Lambda binary, added to the
// caller's environment (which keeps its Go build cache).
var BuildEnv = []string{"GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS="}

// functionReadme is the whole of each function's own package.
const functionReadme = `This function's code is the platform layer's /opt/bootstrap.
Its Handler setting names its entry in the handler table (lambda/functions).
`

// Build compiles the Go package pkg of the module in moduleDir for
// linux/arm64 into outDir/layer/bootstrap and writes outDir/function. A
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
	args := append([]string{"build"}, BuildFlags...)
	cmd := exec.Command("go", append(args, "-o", out, pkg)...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), BuildEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("build %s for linux/arm64: %v\n%s", pkg, err, strings.TrimSpace(stderr.String()))
	}
	if err := os.WriteFile(filepath.Join(b.FunctionDir, "README"), []byte(functionReadme), 0o644); err != nil {
		return nil, fmt.Errorf("bundle %s: %w", pkg, err)
	}
	return b, nil
}
