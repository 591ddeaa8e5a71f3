// Package pinnednode gives tests that run jsii (the CDK app, a synth) the
// Node.js the project pins in package.json, as scripts/env.sh does for
// make. The system's Node may be older than jsii supports, and jsii then
// prints an end-of-life banner into the app's output or refuses to start,
// so a plain `go test ./...` must not depend on it.
package pinnednode

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Use puts the module's node_modules/.bin (the pinned Node.js and CDK CLI)
// first on PATH, for this process and the ones it starts, and turns on
// jsii's package cache. It fails, saying how to install them, when they
// are missing.
func Use() error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	bin := filepath.Join(root, "node_modules", ".bin")
	if _, err := os.Stat(filepath.Join(bin, "node")); err != nil {
		return fmt.Errorf("the project's pinned Node.js is not installed (%s): run `make test`, or `npm ci` once, then go test again", filepath.Join(bin, "node"))
	}
	os.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	os.Setenv("JSII_RUNTIME_PACKAGE_CACHE", "enabled")
	return nil
}

// Skip is for a TestMain: it uses the pinned Node, or, when it is missing,
// says why the package's tests are skipped and exits with success, since
// nothing in the code under test failed.
func Skip() {
	if err := Use(); err != nil {
		fmt.Println("skipping every test of this package:", err)
		os.Exit(0)
	}
}

// moduleRoot is the nearest directory above the working directory (a test
// runs in its package's) that holds go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
