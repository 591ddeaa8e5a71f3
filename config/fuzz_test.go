package config

import (
	"io/fs"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// errorPrefix is how every error of a stage file begins: the file, in
// config/, and where known the line.
var errorPrefix = regexp.MustCompile(`^config/[a-z][a-z0-9-]{0,15}\.yaml(:\d+)?: `)

// FuzzLoad loads arbitrary bytes as the stage file x.yaml, next to the
// committed stage files so that it may extend them. Whatever the bytes,
// LoadFS keeps Load's promise: it does not panic, and it either returns
// a validated stage or an error on one line that starts with the file
// (and line) at fault; and the same file loads the same way twice.
//
// The seeds are the committed stage files and base; testdata/fuzz/FuzzLoad
// holds the files of the badFiles table (badfile-*) and files whose keys
// or values hold line breaks (line-break-*), whose errors must still be
// one line.
func FuzzLoad(f *testing.F) {
	fsys := fstest.MapFS{}
	names, err := fs.Glob(stageFiles, "*.yaml")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(stageFiles, name)
		if err != nil {
			f.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
		f.Add(b)
	}
	f.Add([]byte(base))
	f.Add([]byte("extends: staging\naccount: \"444444444444\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		files := fstest.MapFS{"x.yaml": {Data: data}}
		for name, file := range fsys {
			files[name] = file
		}
		s, err := LoadFS(files, Dir, "x")
		if err != nil {
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") || !errorPrefix.MatchString(msg) {
				t.Fatalf("error %q: want one line starting with the file it names (config/<stage>.yaml[:line]: )", msg)
			}
			return
		}
		if s.Name != "x" {
			t.Fatalf("loaded stage is named %q, want x", s.Name)
		}
		again, err := LoadFS(files, Dir, "x")
		if err != nil || !reflect.DeepEqual(s, again) {
			t.Fatalf("the same file loads differently the second time: %+v, then %+v (%v)", s, again, err)
		}
	})
}
