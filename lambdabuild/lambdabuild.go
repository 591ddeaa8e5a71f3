// Package lambdabuild is the one build of the platform's Lambda code: the
// target and flags of the binary, declared here and nowhere else, and the
// layout the app deploys (the platform layer's bootstrap and the package
// every function shares). It links nothing but the standard library, so
// the CDK app and the benchmark harness build the same way without the
// harness linking the CDK bindings. A build is skipped while its content
// key is unchanged (Cached), which the CDK app's own build uses too
// (lambdabuild/cmd/cdkapp).
package lambdabuild

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
	return goBuild(ctx, moduleDir, pkg, out, env(goarch), flags)
}

// goBuild is `go build flags... -o out pkg` in moduleDir, with env added
// to the caller's environment.
func goBuild(ctx context.Context, moduleDir, pkg, out string, env, flags []string) *exec.Cmd {
	args := append(append([]string{"build"}, flags...), "-o", out, pkg)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = moduleDir
	cmd.Env = append(os.Environ(), env...)
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
	// Reused reports that the binary was not built again: the previous
	// build into the same directory had the same content key (Key).
	Reused bool
}

// functionReadme is the whole of each function's own package. Its bytes
// are the function asset's hash: changing it gives every function a new
// version.
const functionReadme = `This function's code is the platform layer's /opt/bootstrap.
Its Handler setting names its entry in the handler table (lambda/functions).
`

// stampName is the file beside the layer and function directories that
// records the content key of the binary in the layer: outside both, since
// their bytes are the assets' hashes.
const stampName = "bootstrap.key"

// Build compiles the Go package pkg of the module in moduleDir for
// linux/Arch into outDir/layer/bootstrap and writes outDir/function. When
// the previous Build into outDir had the same content key (Key: the
// sources, embedded files, go.mod, go.sum, flags, environment and Go
// version) and left its binary in place, the binary is kept and the
// compiler does not run. A compile error is returned with the compiler's
// output.
func Build(moduleDir, pkg, outDir string) (*Bundle, error) {
	b := &Bundle{LayerDir: filepath.Join(outDir, "layer"), FunctionDir: filepath.Join(outDir, "function")}
	for _, dir := range []string{b.LayerDir, b.FunctionDir} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("bundle %s: %w", pkg, err)
		}
	}
	build := Cached{ModuleDir: moduleDir, Package: pkg, Out: filepath.Join(b.LayerDir, "bootstrap"),
		Stamp: filepath.Join(outDir, stampName), Env: env(Arch), Flags: flags}
	reused, err := build.Build(context.Background())
	if err != nil {
		return nil, fmt.Errorf("build %s for linux/%s: %w", pkg, Arch, err)
	}
	b.Reused = reused
	readme := filepath.Join(b.FunctionDir, "README")
	if old, err := os.ReadFile(readme); err != nil || string(old) != functionReadme {
		if err := os.WriteFile(readme, []byte(functionReadme), 0o644); err != nil {
			return nil, fmt.Errorf("bundle %s: %w", pkg, err)
		}
	}
	return b, nil
}
