package lambdabuild

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasivu/infra/constructs/gofunction/assetsize"
)

// writeModule makes a one-package module whose main is src.
func writeModule(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"go.mod": "module example.com/fn\n\ngo 1.26\n", "main.go": src} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const hello = "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n"

func TestBuildReportsCompileErrors(t *testing.T) {
	mod := writeModule(t, "package main\n\nfunc main() { undefinedThing() }\n")
	_, err := Build(mod, ".", t.TempDir())
	if err == nil {
		t.Fatal("a package that does not compile built")
	}
	if !strings.Contains(err.Error(), "undefined: undefinedThing") || !strings.Contains(err.Error(), "linux/arm64") {
		t.Errorf("error does not carry the compiler's message: %v", err)
	}
}

func TestBuildIsReproducible(t *testing.T) {
	mod := writeModule(t, hello)
	a, err := Build(mod, ".", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Build(mod, ".", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, rel := range []string{"layer/bootstrap", "function/README"} {
		x, _ := os.ReadFile(filepath.Join(filepath.Dir(a.LayerDir), rel))
		y, _ := os.ReadFile(filepath.Join(filepath.Dir(b.LayerDir), rel))
		if len(x) == 0 || !bytes.Equal(x, y) {
			t.Errorf("%s differs between two builds of the same source (%d and %d bytes)", rel, len(x), len(y))
		}
	}
	info, err := os.Stat(filepath.Join(a.LayerDir, "bootstrap"))
	if err != nil || info.Mode()&0o111 == 0 {
		t.Errorf("bootstrap is not executable: %v %v", info, err)
	}
	// An arm64 ELF: Lambda runs it on Graviton.
	f, err := elf.Open(filepath.Join(a.LayerDir, "bootstrap"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_AARCH64 {
		t.Errorf("bootstrap is a %v ELF, want %v", f.Machine, elf.EM_AARCH64)
	}
}

// TestBuildIsWhatDesignSays reads back from the binaries how they were
// built: linux, CGO_ENABLED=0, -trimpath, -buildvcs=false, -ldflags=-s -w
// and -tags lambda.norpc, as DESIGN.md states, for the architecture Lambda
// runs and for the one the benchmark harness emulates on. The module is a
// git repository and the machine's go env file is ignored, so a binary
// stamped with VCS data, or a flag that only the environment supplied,
// would show.
func TestBuildIsWhatDesignSays(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("needs git, to prove the build leaves out VCS stamps")
	}
	t.Setenv("GOENV", "off")
	mod := writeModule(t, hello)
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "x"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = mod
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	for goarch, machine := range map[string]elf.Machine{Arch: elf.EM_AARCH64, "amd64": elf.EM_X86_64} {
		t.Run(goarch, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "bootstrap")
			cmd := Command(context.Background(), mod, ".", goarch, out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			info, err := buildinfo.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			settings := map[string]string{}
			for _, s := range info.Settings {
				settings[s.Key] = s.Value
				if strings.HasPrefix(s.Key, "vcs") {
					t.Errorf("binary is stamped %s=%s: built without -buildvcs=false", s.Key, s.Value)
				}
			}
			for key, want := range map[string]string{
				"GOOS": "linux", "GOARCH": goarch, "CGO_ENABLED": "0", "-trimpath": "true", "-tags": "lambda.norpc",
			} {
				if settings[key] != want {
					t.Errorf("built with %s=%q, want %q", key, settings[key], want)
				}
			}
			// -ldflags=-s -w: no symbol table, no DWARF. (With -trimpath
			// the go command does not record -ldflags in the binary.)
			f, err := elf.Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Machine != machine {
				t.Errorf("a %v ELF, want %v", f.Machine, machine)
			}
			for _, s := range f.Sections {
				if s.Name == ".symtab" || strings.HasPrefix(s.Name, ".debug_") || strings.HasPrefix(s.Name, ".zdebug_") {
					t.Errorf("binary has section %s: built without -ldflags=-s -w", s.Name)
				}
			}
		})
	}
}

// TestShippedSizeBudget builds the platform's real Lambda code and checks
// what the functions ship (the layer plus the shared function package)
// stays within 6 MB zipped; the plan's target was 20 MB.
func TestShippedSizeBudget(t *testing.T) {
	b, err := Build("..", "./lambda", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	layer, err := assetsize.Zipped(b.LayerDir)
	if err != nil {
		t.Fatal(err)
	}
	function, err := assetsize.Zipped(b.FunctionDir)
	if err != nil {
		t.Fatal(err)
	}
	total := layer + function
	const budget = 6 << 20
	t.Logf("layer + function package: %d bytes zipped", total)
	if total > budget {
		t.Errorf("functions ship %d bytes zipped, over the %d budget", total, budget)
	}
}
