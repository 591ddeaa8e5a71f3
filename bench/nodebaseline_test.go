package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/internal/pinnednode"
)

// TestExtractTrace keeps the protocol lines of a JSII_DEBUG run and drops
// the kernel's own debug output, even where it looks like a request.
func TestExtractTrace(t *testing.T) {
	log := strings.Join([]string{
		`> {"api":"load","name":"constructs","version":"10.8.1","tarball":"/tmp/c.tgz"}`,
		`[@jsii/kernel] load {`,
		`  api: 'load',`,
		`> not json, a line of the kernel's inspect output`,
		`}`,
		`< {"ok":{"assembly":"constructs","types":12}}`,
		`> {"api":"create","fqn":"constructs.Construct","args":[null,"x"]}`,
		`< {"callback":{"cookie":"c","cbid":"jsii::callback::1","get":{"objref":{"$jsii.byref":"x@1"},"property":"p"}}}`,
		`> {"complete":{"cbid":"jsii::callback::1","result":1}}`,
		`< {"ok":{"$jsii.byref":"constructs.Construct@10000"}}`,
		`> {"exit":0}`,
		`Successfully synthesized to cdk.out`,
	}, "\n")
	var out bytes.Buffer
	n, err := extractTrace(strings.NewReader(log), &out)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("counted %d requests, want 2 (load, create)", n)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 7 || strings.Contains(out.String(), "not json") || strings.Contains(out.String(), "kernel]") {
		t.Errorf("extracted:\n%s", out.String())
	}
}

// TestReadTimes reads the children's CPU time as bash and dash print it.
func TestReadTimes(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want time.Duration
	}{
		{"0m0.001s 0m0.002s\n0m8.770s 0m0.790s\n", 9560 * time.Millisecond},
		{"0m0.000000s 0m0.000000s\n1m2.500000s 0m0.500000s\n", 63 * time.Second},
	} {
		f := filepath.Join(t.TempDir(), "times")
		write(t, f, tc.out)
		if got, err := readTimes(f); err != nil || got != tc.want {
			t.Errorf("readTimes(%q) = %v, %v; want %v", tc.out, got, err, tc.want)
		}
	}
	f := filepath.Join(t.TempDir(), "times")
	write(t, f, "0m0.001s 0m0.002s\n")
	if _, err := readTimes(f); err == nil {
		t.Error("read the children's time from one line")
	}
}

// tarball writes an npm-style .tgz (entries under package/) of files.
func tarball(t *testing.T, files map[string]string) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(body))
	}
	tw.Close()
	gz.Close()
	path := filepath.Join(t.TempDir(), "pkg.tgz")
	write(t, path, buf.String())
	return path
}

func TestUntar(t *testing.T) {
	dst := t.TempDir()
	src := tarball(t, map[string]string{"package/package.json": `{"name":"x"}`, "package/lib/index.js": "exports.x = 1;\n"})
	if err := untar(src, dst); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "lib", "index.js")); err != nil || string(b) != "exports.x = 1;\n" {
		t.Errorf("lib/index.js = %q, %v", b, err)
	}
	if err := untar(tarball(t, map[string]string{"package/../../escape": "x"}), t.TempDir()); err == nil {
		t.Error("unpacked an entry that leaves the package")
	}
}

func TestSameSynth(t *testing.T) {
	assembly := func(template string) string {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "hasivu-dev-api.template.json"), template)
		write(t, filepath.Join(dir, "manifest.json"), "{}")
		write(t, filepath.Join(dir, "hasivu-dev-api.metadata.json"), template+" and where it was created")
		return dir
	}
	a := assembly(`{"Resources":{}}`)
	if err := sameSynth(a, assembly(`{"Resources":{}}`)); err != nil {
		t.Errorf("equal assemblies: %v", err)
	}
	if err := sameSynth(a, assembly(`{"Resources":{"X":{}}}`)); err == nil || !strings.Contains(err.Error(), "template.json differs") {
		t.Errorf("different templates: %v", err)
	}
	b := assembly(`{"Resources":{}}`)
	write(t, filepath.Join(b, "AwsSolutions--hasivu-dev-api-NagReport.csv"), "rule,finding\n")
	if err := sameSynth(a, b); err == nil {
		t.Error("an assembly without the other's cdk-nag report passed")
	}
}

// fakeLib is a package the replay test loads instead of aws-cdk-lib: each
// call it gets is logged to $FAKE_LOG, so that the test sees what the
// replay made of the requests.
const fakeLib = `const fs = require('fs');
const log = (...a) => fs.appendFileSync(process.env.FAKE_LOG, JSON.stringify(a) + '\n');
let tokens = 100;
const Shade = { DARK: 'dark-value', LIGHT: 'light-value' };
class Stack {
  constructor(name, props) { this.name = name; log('Stack', name, props); }
  get zones() { return ['native-zone']; }
  describe() { const d = this.name + ' in ' + this.zones.join(','); log('describe', d); return d; }
  newToken() { return '${Token[TOKEN.' + (tokens++) + ']}'; }
  child(id) { return new Child(this, id); }
}
class Child {
  constructor(parent, id) { this.id = id; }
  use(s) { log('use', this.id, s); return typeof s === 'string' ? s.length : 0; }
}
class Statics { static make(stack) { log('make', stack.name); return new Child(null, 'made'); } }
Statics.DEFAULT = 'default-value';
class Fails { constructor() { throw new Error('boom'); } }
class Inner { constructor(d) { log('Inner', d.toISOString()); } }
module.exports = { Stack, Child, Statics, Shade, Fails, sub: { Inner } };
`

// replayTrace is a recorded session with fakelib and skipme, covering each
// request and wire value the replay translates.
var replayTrace = strings.Join([]string{
	`> {"api":"load","name":"fakelib","version":"1.0.0","tarball":"/tmp/f.tgz"}`,
	`< {"ok":{"assembly":"fakelib","types":5}}`,
	`> {"api":"load","name":"skipme","version":"1.0.0","tarball":"/tmp/s.tgz"}`,
	`< {"ok":{"assembly":"skipme","types":1}}`,
	`> {"api":"create","fqn":"fakelib.Stack","args":["main",{"$jsii.struct":{"fqn":"fakelib.StackProps","data":{"region":"x","unset":null,` +
		`"nested":{"$jsii.struct":{"fqn":"fakelib.Nested","data":{"a":1}}},"tags":{"$jsii.map":{"k":"v","gone":null}},` +
		`"shade":{"$jsii.enum":"fakelib.Shade/DARK"}}}}],"overrides":[{"property":"zones","cookie":"Zones"}]}`,
	`< {"ok":{"$jsii.byref":"fakelib.Stack@10000"}}`,
	`> {"api":"invoke","method":"describe","args":[],"objref":{"$jsii.byref":"fakelib.Stack@10000"}}`,
	`< {"callback":{"cookie":"Zones","cbid":"jsii::callback::1","get":{"objref":{"$jsii.byref":"fakelib.Stack@10000"},"property":"zones"}}}`,
	`> {"complete":{"cbid":"jsii::callback::1","result":["go-zone-a","go-zone-b"]}}`,
	`< {"ok":{"result":"main in go-zone-a,go-zone-b"}}`,
	`> {"api":"invoke","method":"newToken","args":[],"objref":{"$jsii.byref":"fakelib.Stack@10000"}}`,
	`< {"ok":{"result":"${Token[TOKEN.7]}"}}`,
	`> {"api":"invoke","method":"child","args":["c1"],"objref":{"$jsii.byref":"fakelib.Stack@10000"}}`,
	`< {"ok":{"result":{"$jsii.byref":"fakelib.Child@10001"}}}`,
	`> {"api":"invoke","method":"use","args":["prefix-${Token[TOKEN.7]}-suffix"],"objref":{"$jsii.byref":"fakelib.Child@10001"}}`,
	`< {"ok":{"result":31}}`,
	`> {"api":"sget","fqn":"fakelib.Statics","property":"DEFAULT"}`,
	`< {"ok":{"value":"default-value"}}`,
	`> {"api":"sinvoke","fqn":"fakelib.Statics","method":"make","args":[{"$jsii.byref":"fakelib.Stack@10000"}]}`,
	`< {"ok":{"result":{"$jsii.byref":"fakelib.Child@10002"}}}`,
	`> {"api":"set","property":"id","value":"renamed","objref":{"$jsii.byref":"fakelib.Child@10002"}}`,
	`< {"ok":{}}`,
	`> {"api":"invoke","method":"use","args":["again"],"objref":{"$jsii.byref":"fakelib.Child@10002"}}`,
	`< {"ok":{"result":5}}`,
	`> {"api":"create","fqn":"fakelib.Fails","args":[]}`,
	`< {"error":"boom","name":"Error"}`,
	`> {"api":"create","fqn":"skipme.Checker","args":[]}`,
	`< {"ok":{"$jsii.byref":"skipme.Checker@10003"}}`,
	`> {"api":"invoke","method":"use","args":[{"$jsii.byref":"skipme.Checker@10003"}],"objref":{"$jsii.byref":"fakelib.Child@10001"}}`,
	`< {"ok":{"result":0}}`,
	`> {"api":"create","fqn":"fakelib.sub.Inner","args":[{"$jsii.date":"2026-01-01T00:00:00.000Z"}]}`,
	`< {"ok":{"$jsii.byref":"fakelib.sub.Inner@10004"}}`,
	`> {"exit":0}`,
}, "\n") + "\n"

// replayFixture writes fakelib and skipme into a modules directory, and
// the trace.
func replayFixture(t *testing.T, trace string) (modules, tracePath string) {
	modules = t.TempDir()
	write(t, filepath.Join(modules, "node_modules", "fakelib", "index.js"), fakeLib)
	write(t, filepath.Join(modules, "node_modules", "skipme", "index.js"),
		"const fs = require('fs');\nclass Checker { constructor() { fs.appendFileSync(process.env.FAKE_LOG, '[\"Checker\"]\\n'); } }\n"+
			"module.exports = { Checker };\n")
	tracePath = filepath.Join(t.TempDir(), "requests.trace")
	write(t, tracePath, trace)
	return modules, tracePath
}

// runReplay runs bench/jsreplay/replay.js on a trace and returns the
// fake packages' log and the replay's output.
func runReplay(t *testing.T, trace string, env ...string) (string, string, error) {
	t.Helper()
	if err := pinnednode.Use(); err != nil {
		t.Skip(err)
	}
	modules, tracePath := replayFixture(t, trace)
	logFile := filepath.Join(t.TempDir(), "calls.log")
	cmd := exec.Command("node", "jsreplay/replay.js", tracePath, modules)
	cmd.Env = append(append(os.Environ(), "FAKE_LOG="+logFile), env...)
	out, err := cmd.CombinedOutput()
	calls, _ := os.ReadFile(logFile)
	return string(calls), string(out), err
}

// TestReplayTranslatesRequests replays a recorded session against fake
// packages and checks the native calls it made: struct and map arguments
// without their nulls, the enum's value, the Go override's answer, a
// token mapped to the one the native call made, static members, setters,
// a recorded failure failing again, a date.
func TestReplayTranslatesRequests(t *testing.T) {
	calls, out, err := runReplay(t, replayTrace)
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	want := strings.Join([]string{
		`["Stack","main",{"region":"x","nested":{"a":1},"tags":{"k":"v"},"shade":"dark-value"}]`,
		`["describe","main in go-zone-a,go-zone-b"]`,
		`["use","c1","prefix-${Token[TOKEN.100]}-suffix"]`,
		`["make","main"]`,
		`["use","renamed","again"]`,
		`["Checker"]`,
		`["use","c1",{}]`,
		`["Inner","2026-01-01T00:00:00.000Z"]`,
	}, "\n") + "\n"
	if calls != want {
		t.Errorf("native calls\n%s\nwant\n%s", calls, want)
	}
}

// TestReplayLeavesOutAPackage replays without skipme: its load, its
// object and the call that takes it are left out, the rest is replayed.
func TestReplayLeavesOutAPackage(t *testing.T) {
	calls, out, err := runReplay(t, replayTrace, "HASIVU_REPLAY_WITHOUT=skipme")
	if err != nil {
		t.Fatalf("replay: %v\n%s", err, out)
	}
	if strings.Contains(calls, "Checker") || strings.Contains(calls, `["use","c1",{}]`) || !strings.Contains(calls, `["Inner"`) {
		t.Errorf("native calls without skipme:\n%s", calls)
	}
}

// TestReplayStopsWhereItDiverges checks that the replay fails, rather
// than build another tree, when a call fails where the app's succeeded
// and when a callback called into the kernel.
func TestReplayStopsWhereItDiverges(t *testing.T) {
	for name, tc := range map[string]struct{ trace, says string }{
		"a failure": {strings.Replace(replayTrace, `< {"error":"boom","name":"Error"}`, `< {"ok":{"$jsii.byref":"fakelib.Fails@10009"}}`, 1),
			"failed where the app's succeeded"},
		"a success": {strings.Replace(replayTrace, `< {"ok":{"result":5}}`, `< {"error":"no","name":"Error"}`, 1),
			"succeeded where the app's failed"},
		"a callback into the kernel": {strings.Replace(replayTrace,
			`> {"complete":{"cbid":"jsii::callback::1","result":["go-zone-a","go-zone-b"]}}`,
			`> {"api":"sget","fqn":"fakelib.Statics","property":"DEFAULT"}`+"\n"+`< {"ok":{"value":"default-value"}}`+"\n"+
				`> {"complete":{"cbid":"jsii::callback::1","result":["go-zone-a","go-zone-b"]}}`, 1),
			"made inside a callback"},
	} {
		_, out, err := runReplay(t, tc.trace)
		if err == nil || !strings.Contains(out, tc.says) {
			t.Errorf("%s: replay exited with %v, output:\n%s\nwant a failure saying %q", name, err, out, tc.says)
		}
	}
}
