package lambdabuild

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// writeFiles writes files (path relative to dir → content) into dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// depModule makes a module whose main package imports a package of the
// same module and embeds a file, with a go.sum: an input of every kind the
// content key covers.
func depModule(t *testing.T) string {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod": "module example.com/fn\n\ngo 1.26\n",
		"go.sum": "example.com/other v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
		"main.go": "package main\n\nimport (\n\t_ \"embed\"\n\t\"fmt\"\n\n\t\"example.com/fn/dep\"\n)\n\n" +
			"//go:embed schema.sql\nvar schema string\n\nfunc main() { fmt.Println(dep.Name, schema) }\n",
		"schema.sql": "CREATE TABLE t (id int);\n",
		"dep/dep.go": "package dep\n\nconst Name = \"dep\"\n",
	})
	return dir
}

// TestKeyFollowsEveryInput changes each input of a build in turn, the way
// a developer would between two synths, and checks that the content key
// changes with it and comes back when the change is undone; an unchanged
// tree keeps its key.
func TestKeyFollowsEveryInput(t *testing.T) {
	mod := depModule(t)
	ctx := context.Background()
	key := func(flags []string) string {
		t.Helper()
		k, err := Key(ctx, mod, ".", env(Arch), flags)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key(flags)
	if again := key(flags); again != base {
		t.Fatalf("an unchanged tree changed key: %s then %s", base, again)
	}
	// Each change returns what undoes it.
	edit := func(name, body string) func() func() {
		return func() func() {
			old, err := os.ReadFile(filepath.Join(mod, name))
			if err != nil {
				t.Fatal(err)
			}
			writeFiles(t, mod, map[string]string{name: body})
			return func() { writeFiles(t, mod, map[string]string{name: string(old)}) }
		}
	}
	for _, tc := range []struct {
		name   string
		change func() func()
	}{
		{"a dependency's source", edit("dep/dep.go", "package dep\n\nconst Name = \"dep, changed\"\n")},
		{"an embedded file", edit("schema.sql", "CREATE TABLE t (id bigint);\n")},
		{"go.sum", edit("go.sum", "")},
		{"go.mod", edit("go.mod", "module example.com/fn\n\ngo 1.26.0\n")},
		{"a new file in a dependency", func() func() {
			writeFiles(t, mod, map[string]string{"dep/more.go": "package dep\n\nconst More = 1\n"})
			return func() { os.Remove(filepath.Join(mod, "dep/more.go")) }
		}},
	} {
		undo := tc.change()
		if key(flags) == base {
			t.Errorf("changing %s kept the key", tc.name)
		}
		undo()
		if key(flags) != base {
			t.Errorf("undoing the change to %s did not restore the key", tc.name)
		}
	}
	if key(append(slices.Clone(flags), "-gcflags=-N")) == base || key(flags[1:]) == base {
		t.Error("changing the flags kept the key")
	}
	if k, err := Key(ctx, mod, ".", env("amd64"), flags); err != nil || k == base {
		t.Errorf("building for another architecture kept the key (%v)", err)
	}
	in, err := gather(ctx, mod, ".", env(Arch), flags)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := in.key(); err != nil || k != base {
		t.Fatalf("the gathered inputs give key %s (%v), Key gave %s", k, err, base)
	}
	in.goEnv["GOVERSION"] += ".1"
	if k, _ := in.key(); k == base {
		t.Error("another Go version kept the key")
	}
}

// TestLambdaKeyCoversTheMigrations checks that the real Lambda build's key
// reads the SQL migrations the binary embeds, and the route table's
// sources: the inputs a change to the platform most often touches.
func TestLambdaKeyCoversTheMigrations(t *testing.T) {
	in, err := gather(context.Background(), "..", "./lambda", env(Arch), flags)
	if err != nil {
		t.Fatal(err)
	}
	hashed := map[string]bool{}
	for _, p := range in.packages {
		if !p.Standard && (p.Module == nil || p.Module.Main) {
			for _, f := range p.files() {
				hashed[filepath.ToSlash(filepath.Join(p.Dir, f))] = true
			}
		}
	}
	var sql, routes int
	for f := range hashed {
		switch {
		case strings.Contains(f, "/lambda/migrations/sql/") && strings.HasSuffix(f, ".sql"):
			sql++
		case strings.Contains(f, "/lambda/routes/") && strings.HasSuffix(f, ".go"):
			routes++
		}
	}
	if sql == 0 || routes == 0 {
		t.Errorf("the key reads %d migration files and %d route table files, want some of each", sql, routes)
	}
}

// TestUnchangedTreeSkipsTheBuild builds twice into the same directory: the
// second build reuses the binary without running the compiler (the file
// is not even rewritten); a change to the source, or a binary replaced
// behind the build's back, builds again.
func TestUnchangedTreeSkipsTheBuild(t *testing.T) {
	mod := depModule(t)
	out := t.TempDir()
	first, err := Build(mod, ".", out)
	if err != nil {
		t.Fatal(err)
	}
	bootstrap := filepath.Join(first.LayerDir, "bootstrap")
	before, err := os.Stat(bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	if first.Reused {
		t.Fatal("the first build into an empty directory reused a binary")
	}
	second, err := Build(mod, ".", out)
	if err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Reused || !after.ModTime().Equal(before.ModTime()) || !os.SameFile(before, after) {
		t.Fatalf("an unchanged tree was built again (reused %v, modified %v → %v)", second.Reused, before.ModTime(), after.ModTime())
	}
	// The stamp lies beside the assets, not in them.
	for _, dir := range []string{second.LayerDir, second.FunctionDir} {
		entries, err := os.ReadDir(dir)
		if err != nil || len(entries) != 1 {
			t.Errorf("%s holds %d files (%v), want only the asset's own", dir, len(entries), err)
		}
	}

	writeFiles(t, mod, map[string]string{"dep/dep.go": "package dep\n\nconst Name = \"a longer name than before\"\n"})
	third, err := Build(mod, ".", out)
	if err != nil {
		t.Fatal(err)
	}
	changed, err := os.ReadFile(bootstrap)
	if err != nil {
		t.Fatal(err)
	}
	if third.Reused || !bytes.Contains(changed, []byte("a longer name than before")) {
		t.Errorf("a changed dependency did not rebuild the binary (reused %v)", third.Reused)
	}

	if err := os.WriteFile(bootstrap, []byte("not a binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	fourth, err := Build(mod, ".", out)
	if err != nil {
		t.Fatal(err)
	}
	if fourth.Reused {
		t.Error("a binary replaced since the last build was reused")
	}
	if f, err := elf.Open(bootstrap); err != nil {
		t.Errorf("the rebuilt bootstrap is not an ELF binary: %v", err)
	} else {
		f.Close()
	}
}

// TestFailedBuildLeavesNoStamp checks that a build that fails does not
// leave the previous stamp behind, so that fixing the source and going
// back to it rebuilds rather than trusting a binary of unknown origin.
func TestFailedBuildLeavesNoStamp(t *testing.T) {
	mod := depModule(t)
	out := t.TempDir()
	if _, err := Build(mod, ".", out); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, mod, map[string]string{"dep/dep.go": "package dep\n\nconst Name = undefinedThing\n"})
	if _, err := Build(mod, ".", out); err == nil {
		t.Fatal("a package that does not compile built")
	}
	if _, err := os.Stat(filepath.Join(out, stampName)); !os.IsNotExist(err) {
		t.Errorf("a failed build left the stamp: %v", err)
	}
}
