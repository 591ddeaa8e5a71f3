// Package rie measures cold starts under the AWS Lambda Runtime Interface
// Emulator (github.com/aws/aws-lambda-runtime-interface-emulator, command
// aws-lambda-rie): it starts a fresh emulator process per measurement,
// invokes the function once, stops it and reads the emulator's log.
//
// The init duration comes from the emulator's "INIT REPORT(durationMs: …)"
// line, which spans from starting the runtime process to its first
// request for work. The "Init Duration" of the REPORT line is not used:
// this emulator build prints a wrong value there.
package rie

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hasivu/infra/bench/internal/stats"
)

// Log is what one emulator run's log says.
type Log struct {
	// Init is the INIT REPORT duration; HasInit says the line was there.
	Init    time.Duration
	HasInit bool
	// InitStatus is the status of INIT RTDONE or INIT REPORT ("success"
	// when the runtime became ready), empty when neither says.
	InitStatus string
	// Invokes are the INVOKE RTDONE lines in order.
	Invokes []Invoke
}

// Invoke is one invocation as the emulator reports it.
type Invoke struct {
	Status   string
	Duration time.Duration
}

var (
	// INIT REPORT(durationMs: 6.486000) and, in the managed-instances
	// flavour, INIT REPORT(initType: on-demand, durationMs: 6.49, status: success, ...).
	initReport = regexp.MustCompile(`INIT REPORT\(([^)]*)\)`)
	durationMs = regexp.MustCompile(`durationMs: ([0-9]+(?:\.[0-9]+)?)`)
	statusOf   = regexp.MustCompile(`status: ([A-Za-z_.]+)`)
	initDone   = regexp.MustCompile(`INIT RTDONE\(status: ([A-Za-z_.]+)`)
	// INVOKE RTDONE(status: success, produced bytes: 0, duration: 0.809000ms)
	invokeDone = regexp.MustCompile(`INVOKE RTDONE\(status: ([A-Za-z_.]+)[^)]*duration: ([0-9]+(?:\.[0-9]+)?)ms\)`)
)

// ParseLog reads an emulator log.
func ParseLog(r io.Reader) (Log, error) {
	var l Log
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := initDone.FindStringSubmatch(line); m != nil {
			l.InitStatus = m[1]
		}
		if m := initReport.FindStringSubmatch(line); m != nil && !l.HasInit {
			if d := durationMs.FindStringSubmatch(m[1]); d != nil {
				v, err := strconv.ParseFloat(d[1], 64)
				if err != nil {
					return l, fmt.Errorf("INIT REPORT duration %q: %w", d[1], err)
				}
				l.Init, l.HasInit = stats.FromMillis(v), true
			}
			if s := statusOf.FindStringSubmatch(m[1]); s != nil {
				l.InitStatus = s[1]
			}
		}
		if m := invokeDone.FindStringSubmatch(line); m != nil {
			v, err := strconv.ParseFloat(m[2], 64)
			if err != nil {
				return l, fmt.Errorf("INVOKE RTDONE duration %q: %w", m[2], err)
			}
			l.Invokes = append(l.Invokes, Invoke{Status: m[1], Duration: stats.FromMillis(v)})
		}
	}
	return l, sc.Err()
}

// Emulator runs one function's bootstrap under aws-lambda-rie.
type Emulator struct {
	// RIE and Bootstrap are the paths of the emulator and of the
	// function's binary (built for this machine's architecture).
	RIE, Bootstrap string
	// Args are the bootstrap's arguments.
	Args []string
	// Env is the whole environment of the emulator, which passes it to
	// the runtime (_HANDLER selects the function).
	Env []string
	// Dir is the working directory.
	Dir string
}

// Result is one cold start.
type Result struct {
	Log Log
	// Response is the body the first invocation returned.
	Response []byte
	// RoundTrip is the first invocation as the caller saw it: the
	// runtime's start and init, the invocation, the emulator's overhead.
	RoundTrip time.Duration
	// Output is the emulator's and the runtime's whole output (the
	// function's EMF lines among it).
	Output []byte
}

// lockedBuffer collects the output of the emulator and the runtime it
// starts, which write concurrently.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) contains(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Contains(b.buf.Bytes(), []byte(s))
}

func (b *lockedBuffer) bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return bytes.Clone(b.buf.Bytes())
}

// freeAddr returns a loopback address nothing listens on right now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// ColdStart starts a fresh emulator, invokes the function once with
// payload, stops the emulator and returns what happened. The emulator
// starts the runtime on the first invocation, so that invocation carries
// the cold start.
func (e Emulator) ColdStart(ctx context.Context, payload []byte) (*Result, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	apiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	out := &lockedBuffer{}
	cmd := exec.Command(e.RIE, append([]string{"--runtime-interface-emulator-address", addr,
		"--runtime-api-address", apiAddr, e.Bootstrap}, e.Args...)...)
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = e.Env, e.Dir, out, out
	// Its own process group, so that stopping it stops the runtime too;
	// and killed with the harness, whatever ends it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start aws-lambda-rie: %w", err)
	}
	// exited is closed when the emulator has ended; waitErr says how.
	exited := make(chan struct{})
	var waitErr error
	go func() {
		waitErr = cmd.Wait()
		close(exited)
	}()
	stop := func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(2 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	}
	defer stop()

	if err := waitListening(ctx, addr, exited, func() error { return waitErr }, 10*time.Second); err != nil {
		return nil, fmt.Errorf("%w\n%s", err, out.bytes())
	}
	url := "http://" + addr + "/2015-03-31/functions/function/invocations"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoke: %w\n%s", err, out.bytes())
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	rt := time.Since(start)
	if err != nil {
		return nil, fmt.Errorf("read the invocation's response: %w", err)
	}
	// The emulator logs INVOKE RTDONE just after answering.
	for deadline := time.Now().Add(2 * time.Second); !out.contains("INVOKE RTDONE") && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	res := &Result{Response: body, RoundTrip: rt, Output: out.bytes()}
	if res.Log, err = ParseLog(bytes.NewReader(res.Output)); err != nil {
		return nil, err
	}
	return res, nil
}

// waitListening waits until addr accepts connections, the process ends or
// the timeout passes.
func waitListening(ctx context.Context, addr string, exited <-chan struct{}, why func() error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("aws-lambda-rie exited before listening: %v", why())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(3 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("aws-lambda-rie did not listen on " + addr + " within " + timeout.String())
		}
	}
}

// StatusCode returns the statusCode of an API Gateway proxy response
// body, or 0 when the body is not one (a directly invoked function, or an
// emulator error).
func StatusCode(body []byte) int {
	i := bytes.Index(body, []byte(`"statusCode":`))
	if i < 0 {
		return 0
	}
	rest := strings.TrimLeft(string(body[i+len(`"statusCode":`):]), " ")
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end < 0 {
		end = len(rest)
	}
	n, _ := strconv.Atoi(rest[:end])
	return n
}
