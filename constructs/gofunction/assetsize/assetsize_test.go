package assetsize

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestZippedSize: the size is that of a real zip archive of the
// directory, which unzips to the same files.
func TestZippedSize(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.txt"), strings.Repeat("hasivu ", 1000))
	write(t, filepath.Join(dir, "sub", "b.txt"), "b")
	n, err := Zipped(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Zip(dir, &buf); err != nil {
		t.Fatal(err)
	}
	if int64(buf.Len()) != n || n > 1000 {
		t.Errorf("zipped size %d, archive %d bytes, for 7 kB of repetitive text", n, buf.Len())
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(r)
		r.Close()
		got[f.Name] = string(b)
	}
	if len(got) != 2 || got["sub/b.txt"] != "b" || len(got["a.txt"]) != 7000 {
		t.Errorf("archive holds %d files: %v", len(got), got["sub/b.txt"])
	}
	if _, err := Zipped(filepath.Join(dir, "missing")); err == nil {
		t.Error("zipped a missing directory")
	}
}
