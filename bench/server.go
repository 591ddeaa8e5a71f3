package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hasivu/infra/bench/internal/emf"
	"github.com/hasivu/infra/lambda/routes"
)

// server is the local server (lambda/cmd/localserver) running as a child
// process, printing every invocation's EMF lines, which the harness
// collects.
type server struct {
	URL  string
	EMF  *emf.Collector
	cmd  *exec.Cmd
	done chan error
	logs *tail
	read chan struct{}
}

// serverConfig is how the harness starts the local server.
type serverConfig struct {
	Bin, DatabaseURL, RedisAddr, CachePrefix string
	DBConns, RedisPool                       int
	JWTSecret, WebhookSecret                 string
}

// tail keeps the last lines written to it, and counts them all.
type tail struct {
	mu    sync.Mutex
	lines []string
	part  string
	total int
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.part + string(p)
	lines := strings.Split(s, "\n")
	t.part = lines[len(lines)-1]
	t.lines = append(t.lines, lines[:len(lines)-1]...)
	t.total += len(lines) - 1
	if len(t.lines) > 200 {
		t.lines = t.lines[len(t.lines)-200:]
	}
	return len(p), nil
}

// Lines returns how many whole lines were written.
func (t *tail) Lines() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.total
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines[max(0, len(t.lines)-20):], "\n")
}

// startServer starts the local server and waits until it listens.
func startServer(ctx context.Context, c serverConfig) (*server, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.Bin, "-addr", addr, "-database-url", c.DatabaseURL, "-redis-addr", c.RedisAddr,
		"-jwt-secret", c.JWTSecret, "-fake-razorpay", "-metrics", "-cache-prefix", c.CachePrefix,
		"-db-max-conns", fmt.Sprint(c.DBConns), "-redis-pool-size", fmt.Sprint(c.RedisPool))
	cmd.Env = append(os.Environ(), routes.EnvRazorpayWebhookSecret+"="+c.WebhookSecret, routes.EnvStage+"=bench")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	s := &server{URL: "http://" + addr, EMF: &emf.Collector{}, cmd: cmd, done: make(chan error, 1), logs: &tail{},
		read: make(chan struct{})}
	cmd.Stderr = s.logs
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the local server: %w", err)
	}
	go func() {
		defer close(s.read)
		_, _ = s.EMF.ReadFrom(stdout)
	}()
	go func() {
		<-s.read
		s.done <- cmd.Wait()
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return s, nil
		}
		select {
		case err := <-s.done:
			return nil, fmt.Errorf("the local server exited (%v):\n%s", err, s.logs)
		case <-ctx.Done():
			s.Stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Stop()
			return nil, fmt.Errorf("the local server did not listen on %s:\n%s", addr, s.logs)
		}
	}
}

// Stop shuts the server down and waits until its output is read.
func (s *server) Stop() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// settled waits until the server's output has been quiet for a moment,
// so that every invocation answered so far has had its EMF lines read,
// and returns how many documents there are.
func (s *server) settled() int {
	n := s.EMF.Len()
	for range 50 {
		time.Sleep(20 * time.Millisecond)
		m := s.EMF.Len()
		if m == n {
			return m
		}
		n = m
	}
	return n
}

// Logs returns the server's last log lines.
func (s *server) Logs() string { return s.logs.String() }

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
