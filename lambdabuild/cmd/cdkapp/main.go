// Command cdkapp is the app command of cdk.json: it builds the CDK app (the
// module's main package) into .cdk/app and runs it there, with the CLI's
// arguments and environment. The build is skipped while the app's content
// key (lambdabuild.Key: its own sources and embedded files, the module
// versions it links, go.mod, go.sum, the Go version and the environment) is
// the one recorded by the build that wrote .cdk/app, because go build's own
// check of an unchanged tree hashes every source file of the CDK bindings
// on every synth. Run it from the module's root, as the CLI does.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/hasivu/infra/lambdabuild"
)

// app is where the app is built, with the stamp of its content key beside.
const app = ".cdk/app"

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "cdkapp:", err)
		os.Exit(1)
	}
}

func run() error {
	if err := os.MkdirAll(filepath.Dir(app), 0o755); err != nil {
		return err
	}
	build := lambdabuild.Cached{ModuleDir: ".", Package: ".", Out: app, Stamp: app + ".key"}
	if _, err := build.Build(context.Background()); err != nil {
		return err
	}
	path, err := filepath.Abs(app)
	if err != nil {
		return err
	}
	// In its place, so that the CLI's signals and the exit status are
	// the app's own.
	return syscall.Exec(path, append([]string{path}, os.Args[1:]...), os.Environ())
}
