package gofunction

import (
	"bytes"
	"os"
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
	mod := writeModule(t, "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hi\") }\n")
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
	elf, _ := os.ReadFile(filepath.Join(a.LayerDir, "bootstrap"))
	if len(elf) < 20 || string(elf[1:4]) != "ELF" || elf[18] != 0xb7 {
		t.Errorf("bootstrap is not a linux/arm64 ELF")
	}
}

// TestShippedSizeBudget builds the platform's real Lambda code and checks
// what the functions ship (the layer plus the shared function package)
// stays within 6 MB zipped; the plan's target was 20 MB.
func TestShippedSizeBudget(t *testing.T) {
	b, err := Build("../..", "./lambda", t.TempDir())
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
