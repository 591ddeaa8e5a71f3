package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hasivu/infra/bench/internal/report"
	"github.com/hasivu/infra/bench/internal/stats"
	"github.com/hasivu/infra/lambdabuild"
)

// replayScript is the Node baseline's app, relative to the repository.
const replayScript = "bench/jsreplay/replay.js"

// synthSettings describes the synth phase's runs for the report.
func synthSettings(cfg *config) string {
	s := fmt.Sprintf("%s each of %s", plural(cfg.synthRuns, "run"), strings.Join(cfg.stages, ", "))
	if cfg.baselineStage != "" {
		s += fmt.Sprintf("; %s against the same stacks in Node, and each part of its CPU, %s each",
			cfg.baselineStage, plural(cfg.synthRuns, "run"))
	}
	return s
}

// baseline compares the stage's synth with the same stacks synthesised in
// Node, and breaks its CPU time down: it records the jsii requests of one
// synth, makes sure the replay writes the same templates, then times, in
// rounds, the Go app's synth, the replay's, and the runs each part of the
// breakdown is measured by.
func (h *harness) baseline(ctx context.Context, stage string) {
	dir := filepath.Join(h.work, "baseline")
	fail := func(err error) { h.problem("synth against Node ("+stage+")", err) }
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fail(err)
		return
	}
	h.p.Detail("%s: recording the app's jsii requests", stage)
	goOut, trace := filepath.Join(dir, "go"), filepath.Join(dir, "requests.trace")
	requests, err := recordTrace(ctx, h.root, stage, goOut, trace)
	if err != nil {
		fail(err)
		return
	}
	h.p.Detail("%s: unpacking the Go modules' aws-cdk-lib, constructs and cdk-nag", stage)
	modules := filepath.Join(h.root, ".cdk", "nodebaseline")
	if err := prepareModules(ctx, h.root, trace, modules); err != nil {
		fail(err)
		return
	}
	replay := func(env ...string) func(out string) (report.Run, error) {
		return func(out string) (report.Run, error) {
			return cdkSynth(ctx, h.root, stage, out, append([]string{"JSII_AGENT=" + jsiiAgent()}, env...), nil,
				"--app", replayCommand(h.root, trace, modules))
		}
	}
	h.p.Detail("%s: replaying them in Node", stage)
	nodeOut, statsFile := filepath.Join(dir, "node"), filepath.Join(dir, "replay-stats.json")
	if _, err := replay("HASIVU_REPLAY_STATS=" + statsFile)(nodeOut); err != nil {
		fail(err)
		return
	}
	if err := sameSynth(goOut, nodeOut); err != nil {
		fail(fmt.Errorf("the replay did not synthesise what the Go app did, so it is no baseline: %w", err))
		return
	}
	var own struct {
		Requests int
		OwnMs    float64
	}
	if b, err := os.ReadFile(statsFile); err != nil || json.Unmarshal(b, &own) != nil || own.Requests != requests {
		fail(fmt.Errorf("the replay's statistics (%s) do not account for the %d requests recorded", statsFile, requests))
		return
	}
	kernelTimes := filepath.Join(dir, "kernel-times")
	kernelEnv, err := jsiiKernelTimed(ctx, h.root, kernelTimes)
	if err != nil {
		fail(err)
		return
	}
	measures := []struct {
		name string
		run  func(out string) (report.Run, error)
	}{
		{"go", func(out string) (report.Run, error) { return cdkSynth(ctx, h.root, stage, out, nil, nil) }},
		{"node", replay()},
		{"go, kernel timed", func(out string) (report.Run, error) {
			if err := os.Remove(kernelTimes); err != nil && !errors.Is(err, os.ErrNotExist) {
				return report.Run{}, err
			}
			run, err := cdkSynth(ctx, h.root, stage, out, kernelEnv, nil)
			if err != nil {
				return run, err
			}
			kernel, err := readTimes(kernelTimes)
			return report.Run{Wall: run.Wall, CPU: run.CPU - kernel}, err // the rest of the synth; the kernel's CPU apart
		}},
		{"node without cdk-nag", replay("HASIVU_REPLAY_WITHOUT=cdk-nag")},
		{"node without validation", replay("CDK_VALIDATION=false")},
		{"cli", func(out string) (report.Run, error) {
			return cdkSynth(ctx, h.root, stage, out, nil, nil, "--app", goOut)
		}},
		{"app build", func(string) (report.Run, error) { return h.appCheck(ctx) }},
		{"lambda build", func(string) (report.Run, error) {
			return inProcess(func() error {
				b, err := lambdabuild.Build(h.root, "./lambda", filepath.Join(h.root, ".cdk", "bundle"))
				if err == nil && !b.Reused {
					err = errors.New("the Lambda binary was built again for an unchanged tree")
				}
				return err
			})
		}},
	}
	runs := map[string][]report.Run{}
	kernel := []time.Duration{}
	for i := range h.cfg.synthRuns {
		for j := range measures {
			// Each round starts one further along, so that no measure
			// always runs after the same one.
			m := measures[(i+j)%len(measures)]
			if ctx.Err() != nil {
				return
			}
			h.p.Detail("%s: %s, round %d of %d", stage, m.name, i+1, h.cfg.synthRuns)
			out := filepath.Join(dir, "out")
			run, err := m.run(out)
			os.RemoveAll(out)
			if err != nil {
				fail(fmt.Errorf("%s: %w", m.name, err))
				return
			}
			if m.name == "go, kernel timed" {
				k, _ := readTimes(kernelTimes)
				kernel = append(kernel, k)
			}
			runs[m.name] = append(runs[m.name], run)
		}
	}
	b := &report.Baseline{Stage: stage, Go: runs["go"], Node: runs["node"], Requests: requests,
		ReplayOwn: time.Duration(own.OwnMs * float64(time.Millisecond))}
	var old oldBuilds
	if !h.cfg.quick {
		h.p.Detail("%s: timing the builds synth ran before their content keys", stage)
		old = h.oldBuilds(ctx)
	}
	b.Parts = breakdown(runs, stats.Median(kernel), old)
	h.res.Baseline = b
	h.p.Log("synth %s: Go app %.1f s CPU, same stacks in Node %.1f s: %.2f×", stage, b.GoCPU().Seconds(),
		b.NodeCPU().Seconds(), b.Ratio())
}

// breakdown divides the Go app's synth CPU into parts from the medians of
// the measures' runs; kernel is the jsii kernel's median CPU, and old what
// the builds cost before their content keys.
func breakdown(runs map[string][]report.Run, kernel time.Duration, old oldBuilds) []report.Part {
	med := func(name string) time.Duration { return stats.Median(report.CPUs(runs[name])) }
	cli, app, lambda := med("cli"), med("app build"), med("lambda build")
	node := med("node")
	nativeApp := node - cli
	nag, validation := node-med("node without cdk-nag"), node-med("node without validation")
	goRest := med("go, kernel timed") // the Go app's synth without the kernel's CPU
	return []report.Part{
		{Name: "CDK CLI (Node): start, read the cloud assembly", CPU: cli,
			How: "`cdk synth --app <the cloud assembly>`: the CLI without an app"},
		{Name: "Go app's build: `go run` of cdk.json's command and the app's content key", CPU: app,
			How: "`go run -exec true ./lambdabuild/cmd/cdkapp` and the key check it makes; before the key, cdk.json ran " +
				"`go build`, whose check of the unchanged tree took " + partSeconds(old.app)},
		{Name: "Lambda build: the content key", CPU: lambda,
			How: "the app's `lambdabuild.Build` on its unchanged bundle; before the key it ran `go build`, whose check " +
				"and relink took " + partSeconds(old.lambda)},
		{Name: "Go app process: Go runtime, jsii-runtime-go", CPU: goRest - cli - app - lambda,
			How: "difference: the Go app's synth with the jsii kernel's CPU taken out, less the three parts above"},
		{Name: "jsii kernel (Node) beyond what the same work costs natively", CPU: kernel - nativeApp,
			How: "difference: the kernel process's CPU (`JSII_RUNTIME` running it under `times`) less the Node baseline's app"},
		{Name: "aws-cdk-lib: construct tree, synthesis, assets (Node)", CPU: nativeApp - nag - validation,
			How: "difference: the Node baseline's app (its synth less the CLI) less the two parts below"},
		{Name: "cdk-nag AwsSolutions checks (Node)", CPU: nag,
			How: "difference: the Node baseline with and without cdk-nag (its load, aspect and suppressions)"},
		{Name: "CloudFormation validation (Node, the rules run in WebAssembly)", CPU: validation,
			How: "difference: the Node baseline with and without it (`CDK_VALIDATION=false`, for this measure only)"},
	}
}

func partSeconds(d time.Duration) string {
	if d <= 0 {
		return "(not measured)"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// oldBuilds is what the app's and the Lambda binary's builds cost on an
// unchanged tree before their content keys: go build's own check, and
// for the Lambda binary the relink it made.
type oldBuilds struct{ app, lambda time.Duration }

// oldBuilds times the builds synth ran before the content keys, each
// twice into a scratch file, the second time with nothing to do.
func (h *harness) oldBuilds(ctx context.Context) oldBuilds {
	dir := filepath.Join(h.work, "baseline", "old")
	var o oldBuilds
	for _, b := range []struct {
		dst *time.Duration
		cmd func() *exec.Cmd
	}{
		{&o.app, func() *exec.Cmd {
			cmd := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(dir, "app"), ".")
			cmd.Dir = h.root
			return cmd
		}},
		{&o.lambda, func() *exec.Cmd {
			return lambdabuild.Command(ctx, h.root, "./lambda", lambdabuild.Arch, filepath.Join(dir, "bootstrap"))
		}},
	} {
		for i := range 2 {
			cmd := b.cmd()
			if err := cmd.Run(); err != nil {
				break
			}
			if i == 1 {
				*b.dst = cpuTime(cmd)
			}
		}
	}
	return o
}

// appCheck times what cdk.json's command does before the app runs: go
// run of lambdabuild/cmd/cdkapp (with -exec true, which stops short of
// running it) and the content key check cdkapp makes.
func (h *harness) appCheck(ctx context.Context) (report.Run, error) {
	cmd := exec.CommandContext(ctx, "go", "run", "-exec", "true", "./lambdabuild/cmd/cdkapp")
	cmd.Dir = h.root
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return report.Run{}, fmt.Errorf("go run ./lambdabuild/cmd/cdkapp: %v\n%s", err, out)
	}
	goRun := report.Run{Wall: time.Since(start), CPU: cpuTime(cmd)}
	check, err := inProcess(func() error {
		app := filepath.Join(h.root, ".cdk", "app")
		reused, err := lambdabuild.Cached{ModuleDir: h.root, Package: ".", Out: app, Stamp: app + ".key"}.Build(ctx)
		if err == nil && !reused {
			err = errors.New("the app was built again for an unchanged tree")
		}
		return err
	})
	return report.Run{Wall: goRun.Wall + check.Wall, CPU: goRun.CPU + check.CPU}, err
}

// inProcess times f, which runs in this process and the commands it
// waits for.
func inProcess(f func() error) (report.Run, error) {
	var self0, kids0, self1, kids1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self0)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids0)
	start := time.Now()
	err := f()
	wall := time.Since(start)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &self1)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids1)
	cpu := func(r syscall.Rusage) time.Duration {
		return time.Duration(r.Utime.Nano() + r.Stime.Nano())
	}
	return report.Run{Wall: wall, CPU: cpu(self1) - cpu(self0) + cpu(kids1) - cpu(kids0)}, err
}

// recordTrace synthesises the stage with the jsii runtime's protocol log
// on (JSII_DEBUG=1) into out, and writes the requests and responses of
// the log to trace. It returns how many requests the app made.
func recordTrace(ctx context.Context, root, stage, out, trace string) (int, error) {
	logPath := trace + ".log"
	log, err := os.Create(logPath)
	if err != nil {
		return 0, err
	}
	_, err = cdkSynth(ctx, root, stage, out, []string{"JSII_DEBUG=1"}, log)
	if cerr := log.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	in, err := os.Open(logPath)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	w, err := os.Create(trace)
	if err != nil {
		return 0, err
	}
	n, err := extractTrace(in, w)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err == nil && n == 0 {
		err = fmt.Errorf("the synth's output (%s) holds no jsii request: did the runtime ignore JSII_DEBUG?", logPath)
	}
	return n, err
}

// extractTrace copies, from the output of a run with JSII_DEBUG=1, the
// lines of the jsii protocol: "> {...}" requests and "< {...}" responses,
// each a JSON object on one line (the kernel's own debug lines are not).
// It returns the number of requests, the closing exit message aside.
func extractTrace(r io.Reader, w io.Writer) (int, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	bw := bufio.NewWriter(w)
	n := 0
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("> {")) && !bytes.HasPrefix(line, []byte("< {")) || !json.Valid(line[2:]) {
			continue
		}
		if line[0] == '>' && !bytes.HasPrefix(line, []byte(`> {"exit"`)) && !bytes.HasPrefix(line, []byte(`> {"complete"`)) {
			n++
		}
		bw.Write(line)
		bw.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return n, bw.Flush()
}

// loaded is a package a trace loads.
type loaded struct{ Name, Version string }

// traceLoads lists the packages the trace loads, in order.
func traceLoads(trace string) ([]loaded, error) {
	f, err := os.Open(trace)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []loaded
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if !bytes.HasPrefix(sc.Bytes(), []byte(`> {"api":"load"`)) {
			continue
		}
		var l loaded
		if err := json.Unmarshal(sc.Bytes()[2:], &l); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, sc.Err()
}

// prepareModules puts into dir/node_modules each package the trace loads,
// at the version it loads, from the tarball the Go module that binds it
// embeds (jsii/<name>-<version>.tgz): the very code the Go app runs.
// A package already there at that version is kept.
func prepareModules(ctx context.Context, root, trace, dir string) error {
	loads, err := traceLoads(trace)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-deps", "-f", "{{with .Module}}{{.Dir}}{{end}}", ".")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("go list: %w", err)
	}
	tarballs := map[string]string{}
	for _, modDir := range strings.Fields(string(out)) {
		paths, _ := filepath.Glob(filepath.Join(modDir, "jsii", "*.tgz"))
		for _, p := range paths {
			tarballs[filepath.Base(p)] = p
		}
	}
	for _, l := range loads {
		// npm's name for a tarball: no scope's @, its / a dash.
		name := strings.ReplaceAll(strings.TrimPrefix(l.Name, "@"), "/", "-") + "-" + l.Version + ".tgz"
		src, ok := tarballs[name]
		if !ok {
			return fmt.Errorf("no Go module of the app embeds %s (looked for jsii/%s)", l.Name, name)
		}
		dst := filepath.Join(dir, "node_modules", filepath.FromSlash(l.Name))
		stamp := filepath.Join(dst, ".hasivu-unpacked")
		if b, err := os.ReadFile(stamp); err == nil && string(b) == src {
			continue
		}
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		if err := untar(src, dst); err != nil {
			return fmt.Errorf("unpack %s: %w", src, err)
		}
		if err := os.WriteFile(stamp, []byte(src), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// untar unpacks an npm tarball into dst, without its leading package/
// directory.
func untar(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		_, rel, ok := strings.Cut(filepath.ToSlash(h.Name), "/")
		if !ok || rel == "" {
			continue
		}
		if !filepath.IsLocal(rel) {
			return fmt.Errorf("%s leaves the package", h.Name)
		}
		path := filepath.Join(dst, filepath.FromSlash(rel))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			mode := os.FileMode(0o644)
			if h.Mode&0o111 != 0 {
				mode = 0o755
			}
			w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, tr)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}

// sameSynth checks that two cloud assemblies hold the same templates,
// construct tree, manifest, cdk-nag reports and validation report, byte
// for byte. (The stacks' metadata files differ: they record where in the
// app each construct was created.)
func sameSynth(a, b string) error {
	list := func(dir string) ([]string, error) {
		var names []string
		for _, pattern := range []string{"*.template.json", "*NagReport.csv", "validation-report.json", "tree.json", "manifest.json"} {
			m, err := filepath.Glob(filepath.Join(dir, pattern))
			if err != nil {
				return nil, err
			}
			for _, p := range m {
				names = append(names, filepath.Base(p))
			}
		}
		slices.Sort(names)
		return names, nil
	}
	na, err := list(a)
	if err != nil {
		return err
	}
	nb, err := list(b)
	if err != nil {
		return err
	}
	if !slices.Equal(na, nb) {
		return fmt.Errorf("the assemblies hold different files: %v and %v", na, nb)
	}
	if !slices.ContainsFunc(na, func(n string) bool { return strings.HasSuffix(n, ".template.json") }) {
		return fmt.Errorf("no templates in %s", a)
	}
	for _, n := range na {
		x, err := os.ReadFile(filepath.Join(a, n))
		if err != nil {
			return err
		}
		y, err := os.ReadFile(filepath.Join(b, n))
		if err != nil {
			return err
		}
		if !bytes.Equal(x, y) {
			return fmt.Errorf("%s differs", n)
		}
	}
	return nil
}

// replayCommand is the --app command of the Node baseline.
func replayCommand(root, trace, modules string) string {
	return "node " + shellQuote(filepath.Join(root, replayScript)) + " " + shellQuote(trace) + " " + shellQuote(modules)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// jsiiAgent is what jsii-runtime-go tells the kernel it is, which
// aws-cdk-lib records in each stack's CDKMetadata: the replay claims the
// same, so that its templates can equal the Go app's. The harness is
// built by the toolchain that builds the app.
func jsiiAgent() string { return runtime.Version() + "/" + runtime.GOOS + "/" + runtime.GOARCH }

// jsiiKernelTimed returns the environment that makes the Go app run the
// jsii kernel (jsii-runtime-go's own copy of it) under the shell's times
// builtin, which writes the kernel's CPU time to file when it exits.
func jsiiKernelTimed(ctx context.Context, root, file string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/jsii-runtime-go")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list jsii-runtime-go: %w", err)
	}
	entry := filepath.Join(strings.TrimSpace(string(out)), "internal", "embedded", "resources", "bin", "jsii-runtime.js")
	if _, err := os.Stat(entry); err != nil {
		return nil, fmt.Errorf("jsii-runtime-go's kernel is not where this harness expects it: %w", err)
	}
	return []string{"JSII_RUNTIME=node " + shellQuote(entry) + "; times > " + shellQuote(file)}, nil
}

// readTimes reads the children's CPU time from the output of the shell's
// times builtin: two lines of "<user> <system>", the shell's own and its
// children's, each time as 0m1.234s.
func readTimes(file string) (time.Duration, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		return 0, fmt.Errorf("%s: want two lines of times' output, got %q", file, b)
	}
	var total time.Duration
	for _, f := range strings.Fields(lines[1]) {
		mins, sec, ok := strings.Cut(strings.TrimSuffix(f, "s"), "m")
		m, err1 := strconv.Atoi(mins)
		s, err2 := strconv.ParseFloat(sec, 64)
		if !ok || err1 != nil || err2 != nil {
			return 0, fmt.Errorf("%s: %q is not a time as times prints it", file, f)
		}
		total += time.Duration(m)*time.Minute + time.Duration(s*float64(time.Second))
	}
	return total, nil
}
