package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hasivu/infra/bench/internal/report"
	"github.com/hasivu/infra/constructs/gofunction/assetsize"
)

// cdkSynth runs `cdk synth -q -c stage=<stage> -o <out>`, with extra
// arguments, through scripts/env.sh (the project's pinned Node.js and CDK
// CLI), with env added to the environment, and returns its wall time and
// the CPU time of every process it ran (the CLI, the app and what the app
// starts: the jsii kernel, the builds). The command's standard error goes
// to stderr when that is not nil.
func cdkSynth(ctx context.Context, root, stage, out string, env []string, stderr io.Writer, extra ...string) (report.Run, error) {
	script := `source scripts/env.sh && exec cdk synth -q -c stage="$1" -o "$2" "${@:3}"`
	cmd := exec.CommandContext(ctx, "bash", append([]string{"-c", script, "synth", stage, out}, extra...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	var tail bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &tail
	if stderr != nil {
		cmd.Stderr = io.MultiWriter(stderr, &lastBytes{buf: &tail, max: 64 << 10})
	}
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return report.Run{}, fmt.Errorf("cdk synth -c stage=%s %s: %v\n%s", stage, strings.Join(extra, " "), err, lastLines(tail.String(), 15))
	}
	return report.Run{Wall: wall, CPU: cpuTime(cmd)}, nil
}

// cpuTime is the user and system CPU time of a finished command and of
// the descendants it waited for.
func cpuTime(cmd *exec.Cmd) time.Duration {
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// lastBytes keeps the last max bytes written to it.
type lastBytes struct {
	buf *bytes.Buffer
	max int
}

func (l *lastBytes) Write(p []byte) (int, error) {
	l.buf.Write(p)
	if over := l.buf.Len() - l.max; over > 0 {
		l.buf.Next(over)
	}
	return len(p), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// template is the part of a CloudFormation template the harness reads.
type template struct {
	Resources map[string]struct {
		Type       string          `json:"Type"`
		Properties json.RawMessage `json:"Properties"`
	} `json:"Resources"`
}

func readTemplate(path string) (*template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t template
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &t, nil
}

// stacks counts the resources of every template in a cloud assembly.
func stacks(out string) ([]report.Stack, error) {
	paths, err := filepath.Glob(filepath.Join(out, "*.template.json"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no templates in %s", out)
	}
	var list []report.Stack
	for _, p := range paths {
		t, err := readTemplate(p)
		if err != nil {
			return nil, err
		}
		list = append(list, report.Stack{Name: strings.TrimSuffix(filepath.Base(p), ".template.json"), Resources: len(t.Resources)})
	}
	// Deployment order, as the README lists the stacks.
	order := []string{"network", "data", "cache", "api", "monitoring"}
	rank := func(name string) int {
		for i, o := range order {
			if strings.HasSuffix(name, "-"+o) {
				return i
			}
		}
		return len(order)
	}
	sort.SliceStable(list, func(i, j int) bool { return rank(list[i].Name) < rank(list[j].Name) })
	return list, nil
}

// assets maps asset hashes to their directories in a cloud assembly.
type assets map[string]string

func readAssets(out string) (assets, error) {
	paths, err := filepath.Glob(filepath.Join(out, "*.assets.json"))
	if err != nil {
		return nil, err
	}
	a := assets{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		var m struct {
			Files map[string]struct {
				Source struct {
					Path      string `json:"path"`
					Packaging string `json:"packaging"`
				} `json:"source"`
			} `json:"files"`
		}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		for hash, f := range m.Files {
			if f.Source.Packaging == "zip" {
				a[hash] = filepath.Join(out, f.Source.Path)
			}
		}
	}
	return a, nil
}

// s3Key returns the asset hash of a Code or Content property.
func s3Key(raw json.RawMessage) string {
	var c struct {
		S3Key string `json:"S3Key"`
	}
	_ = json.Unmarshal(raw, &c)
	return strings.TrimSuffix(c.S3Key, ".zip")
}

// measureBundle reads the stage's API stack in the cloud assembly out:
// each function's own code asset and the layers it attaches.
func measureBundle(out, stage string, functions []string) (*report.Bundle, error) {
	as, err := readAssets(out)
	if err != nil {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(out, "*-api.template.json"))
	if err != nil || len(paths) != 1 {
		return nil, fmt.Errorf("want one API stack template in %s, found %d (%v)", out, len(paths), err)
	}
	t, err := readTemplate(paths[0])
	if err != nil {
		return nil, err
	}
	sizes := map[string]int64{}
	size := func(hash string) (int64, error) {
		if n, ok := sizes[hash]; ok {
			return n, nil
		}
		dir, ok := as[hash]
		if !ok {
			return 0, fmt.Errorf("asset %s is not in the cloud assembly", hash)
		}
		n, err := assetsize.Zipped(dir)
		sizes[hash] = n
		return n, err
	}
	layerAsset := map[string]string{} // logical id → asset hash
	for id, r := range t.Resources {
		if r.Type == "AWS::Lambda::LayerVersion" {
			var p struct {
				Content json.RawMessage `json:"Content"`
			}
			_ = json.Unmarshal(r.Properties, &p)
			layerAsset[id] = s3Key(p.Content)
		}
	}
	b := &report.Bundle{Stage: stage}
	unique := map[string]bool{}
	external := map[string]bool{}
	for id, r := range t.Resources {
		if r.Type != "AWS::Lambda::Function" {
			continue
		}
		var p struct {
			Handler      string          `json:"Handler"`
			FunctionName any             `json:"FunctionName"`
			Code         json.RawMessage `json:"Code"`
			Layers       []any           `json:"Layers"`
		}
		if err := json.Unmarshal(r.Properties, &p); err != nil {
			return nil, err
		}
		code := s3Key(p.Code)
		pkg, err := size(code)
		if err != nil {
			return nil, err
		}
		f := report.FunctionBundle{Name: p.Handler, Package: pkg}
		var hashes = []string{code}
		for _, l := range p.Layers {
			switch v := l.(type) {
			case map[string]any: // {"Ref": "PlatformXXXX"}
				ref, _ := v["Ref"].(string)
				hash, ok := layerAsset[ref]
				if !ok {
					return nil, fmt.Errorf("function %s attaches layer %v, which the stack does not define", p.Handler, v)
				}
				n, err := size(hash)
				if err != nil {
					return nil, err
				}
				f.Layers += n
				hashes = append(hashes, hash)
			case string: // an AWS-provided layer's ARN
				name := v
				if i := strings.LastIndex(v, ":layer:"); i >= 0 {
					name = v[i+len(":layer:"):]
				}
				external[name] = true
			}
		}
		if slices.Contains(functions, p.Handler) {
			b.Functions = append(b.Functions, f)
			for _, h := range hashes {
				if !unique[h] {
					unique[h] = true
					b.Unique += sizes[h]
				}
			}
		} else {
			// CDK's own functions (custom resource providers): named by
			// their logical id without the hash suffix.
			f.Name = id
			if len(id) > 8 {
				f.Name = id[:len(id)-8]
			}
			b.Helpers = append(b.Helpers, f)
		}
	}
	slices.SortFunc(b.Functions, func(x, y report.FunctionBundle) int {
		return slices.Index(functions, x.Name) - slices.Index(functions, y.Name)
	})
	for name := range external {
		b.External = append(b.External, name)
	}
	slices.Sort(b.External)
	// The unzipped binary, for scale.
	for hash := range unique {
		if fi, err := os.Stat(filepath.Join(as[hash], "bootstrap")); err == nil {
			b.Binary = fi.Size()
		}
	}
	if len(b.Functions) == 0 {
		return nil, fmt.Errorf("no platform function in %s", paths[0])
	}
	return b, nil
}
