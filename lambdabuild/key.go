package lambdabuild

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// goEnvKeys are the go env settings a build's output depends on beyond
// its sources: the toolchain, the target, the flags the environment adds,
// the C toolchain's settings (with cgo), and where workspaces and the
// module cache are.
var goEnvKeys = []string{
	"GOVERSION", "GOROOT", "GOOS", "GOARCH", "GOARM", "GOARM64", "GOAMD64", "GO386", "GORISCV64", "GOEXPERIMENT",
	"GOFIPS140", "GOFLAGS", "CGO_ENABLED", "CC", "CXX", "CGO_CFLAGS", "CGO_CPPFLAGS", "CGO_CXXFLAGS", "CGO_LDFLAGS",
	"GOWORK", "GOMODCACHE",
}

// listFields are the fields of `go list -json` the key reads.
var listFields = []string{"ImportPath", "Dir", "Standard", "Module", "GoFiles", "CgoFiles", "CFiles", "CXXFiles",
	"MFiles", "HFiles", "FFiles", "SFiles", "SwigFiles", "SwigCXXFiles", "SysoFiles", "EmbedFiles"}

// listed is one package as `go list -json` reports it.
type listed struct {
	ImportPath string
	Dir        string
	Standard   bool
	Module     *struct {
		Path, Version string
		Main          bool
		Replace       *struct{ Path, Version string }
	}
	GoFiles, CgoFiles, CFiles, CXXFiles, MFiles, HFiles, FFiles, SFiles []string
	SwigFiles, SwigCXXFiles, SysoFiles, EmbedFiles                      []string
}

// files returns every file of the package the compiler or linker reads,
// relative to its directory.
func (p *listed) files() []string {
	var all []string
	for _, fs := range [][]string{p.GoFiles, p.CgoFiles, p.CFiles, p.CXXFiles, p.MFiles, p.HFiles, p.FFiles, p.SFiles,
		p.SwigFiles, p.SwigCXXFiles, p.SysoFiles, p.EmbedFiles} {
		all = append(all, fs...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// keyInputs is what a content key is computed from.
type keyInputs struct {
	// goEnv holds the values of goEnvKeys for the build's environment.
	goEnv map[string]string
	// flags are the go build flags; pkg the package built.
	flags []string
	pkg   string
	// moduleDir is the module's absolute directory.
	moduleDir string
	// packages are the package and every package it links, in go list's
	// order.
	packages []listed
}

// Key returns the content key of `go build flags... pkg` run in moduleDir
// with env added to the caller's environment: a hash of every input that
// can change the binary. Those are the Go version and the build's go env
// settings (goEnvKeys), the flags, go.mod, go.sum and the go.work in use;
// for each package linked from this module, a local replacement or a
// vendor directory, the bytes of every file the build reads, embedded
// files included; for a package of a module in the module cache, the
// module's path and version (the cache is read-only and go.sum pins its
// content); for the standard library, the Go version and GOROOT.
// Reading imports, not hashing the dependencies' sources, is what makes
// the key cheaper than go build's own check, which hashes every source
// file of every dependency.
func Key(ctx context.Context, moduleDir, pkg string, env, flags []string) (string, error) {
	in, err := gather(ctx, moduleDir, pkg, env, flags)
	if err != nil {
		return "", err
	}
	return in.key()
}

// gather asks the go command for a key's inputs.
func gather(ctx context.Context, moduleDir, pkg string, env, flags []string) (*keyInputs, error) {
	abs, err := filepath.Abs(moduleDir)
	if err != nil {
		return nil, err
	}
	environ := append(os.Environ(), env...)
	goCmd := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir, cmd.Env = abs, environ
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return nil, fmt.Errorf("go %s: %v\n%s", args[0], err, strings.TrimSpace(stderr.String()))
		}
		return out, nil
	}
	out, err := goCmd(append([]string{"env", "-json"}, goEnvKeys...)...)
	if err != nil {
		return nil, err
	}
	in := &keyInputs{flags: flags, pkg: pkg, moduleDir: abs}
	if err := json.Unmarshal(out, &in.goEnv); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	args := append([]string{"list", "-deps", "-json=" + strings.Join(listFields, ",")}, flags...)
	if out, err = goCmd(append(args, pkg)...); err != nil {
		return nil, err
	}
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list: %w", err)
		}
		in.packages = append(in.packages, p)
	}
	if len(in.packages) == 0 {
		return nil, fmt.Errorf("go list %s: no packages", pkg)
	}
	return in, nil
}

// key hashes the inputs, reading the files they name.
func (in *keyInputs) key() (string, error) {
	h := sha256.New()
	line := func(format string, args ...any) { fmt.Fprintf(h, format+"\n", args...) }
	file := func(label, path string) error {
		f, err := os.Open(path)
		if errors.Is(err, fs.ErrNotExist) {
			line("%s %s absent", label, path)
			return nil
		} else if err != nil {
			return err
		}
		defer f.Close()
		fh := sha256.New()
		if _, err := io.Copy(fh, f); err != nil {
			return err
		}
		line("%s %s %x", label, path, fh.Sum(nil))
		return nil
	}
	line("lambdabuild content key 1")
	for _, k := range goEnvKeys {
		line("env %s=%s", k, strconv.Quote(in.goEnv[k]))
	}
	for _, f := range in.flags {
		line("flag %s", strconv.Quote(f))
	}
	line("package %s in %s", strconv.Quote(in.pkg), strconv.Quote(in.moduleDir))
	for _, name := range []string{"go.mod", "go.sum"} {
		if err := file("module-file", filepath.Join(in.moduleDir, name)); err != nil {
			return "", err
		}
	}
	if w := in.goEnv["GOWORK"]; w != "" && w != "off" {
		if err := file("workspace", w); err != nil {
			return "", err
		}
	}
	modCache := in.goEnv["GOMODCACHE"] + string(filepath.Separator)
	for i := range in.packages {
		p := &in.packages[i]
		switch {
		case p.Standard:
			line("std %s", p.ImportPath)
		case p.Module != nil && !p.Module.Main && in.goEnv["GOMODCACHE"] != "" && strings.HasPrefix(p.Dir, modCache):
			mod := p.Module.Path + "@" + p.Module.Version
			if r := p.Module.Replace; r != nil {
				mod += " => " + r.Path + "@" + r.Version
			}
			line("dep %s from %s", p.ImportPath, mod)
		default:
			line("local %s in %s", p.ImportPath, strconv.Quote(p.Dir))
			for _, f := range p.files() {
				if err := file("file", filepath.Join(p.Dir, f)); err != nil {
					return "", err
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
