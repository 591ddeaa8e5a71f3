package lambdabuild

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Cached is a go build of one package into one file that is skipped while
// its content key (Key) is the one recorded by the build that wrote the
// file. The synth of an unchanged tree then neither relinks the Lambda
// binary nor the CDK app (lambdabuild/cmd/cdkapp).
type Cached struct {
	// ModuleDir is the module's directory; Package the package built.
	ModuleDir, Package string
	// Out is the binary.
	Out string
	// Stamp records the content key of the build that wrote Out, and
	// Out's size and modification time then, so that a replaced or
	// deleted Out is rebuilt. It must lie outside any directory deployed
	// as an asset: its bytes would change the asset's hash.
	Stamp string
	// Env is added to the caller's environment; Flags go to go build.
	Env, Flags []string
}

// Build runs the build unless Out is the output of a build with the same
// content key, and reports whether it reused Out. When the key cannot be
// computed (a go.mod the go command refuses, say) it builds, and the
// build's own error is the one reported.
func (c Cached) Build(ctx context.Context) (reused bool, err error) {
	key, keyErr := Key(ctx, c.ModuleDir, c.Package, c.Env, c.Flags)
	if keyErr == nil && c.current(key) {
		return true, nil
	}
	// No stamp while Out is being replaced: an interrupted build must
	// not leave a stamp that names a stale binary.
	if err := os.Remove(c.Stamp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	out, err := filepath.Abs(c.Out)
	if err != nil {
		return false, err
	}
	// go build refuses to overwrite a file it did not write, such as a
	// binary replaced since the stamped build.
	if err := os.Remove(out); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	cmd := goBuild(ctx, c.ModuleDir, c.Package, out, c.Env, c.Flags)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return false, fmt.Errorf("go build %s: %v\n%s", c.Package, err, strings.TrimSpace(stderr.String()))
	}
	if keyErr != nil {
		return false, nil
	}
	return false, c.record(key)
}

// current reports whether the stamp records key and Out is still the file
// the stamped build wrote.
func (c Cached) current(key string) bool {
	b, err := os.ReadFile(c.Stamp)
	if err != nil {
		return false
	}
	want, err := c.stampFor(key)
	return err == nil && string(b) == want
}

// stampFor is the stamp of Out as it is now, built with key.
func (c Cached) stampFor(key string) (string, error) {
	fi, err := os.Stat(c.Out)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s\n%d %d\n", key, fi.Size(), fi.ModTime().UnixNano()), nil
}

// record writes the stamp, through a temporary file so that a reader
// never sees half of it.
func (c Cached) record(key string) error {
	s, err := c.stampFor(key)
	if err != nil {
		return err
	}
	tmp := c.Stamp + ".tmp"
	if err := os.WriteFile(tmp, []byte(s), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, c.Stamp)
}
