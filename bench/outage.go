package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/bench/internal/load"
	"github.com/hasivu/infra/bench/internal/report"
	"github.com/hasivu/infra/bench/internal/stats"
	"github.com/hasivu/infra/lambda/routes"
)

// privateRedis is a redis-server the outage phase starts for itself, so
// that it can stop and kill it without touching the Redis the tests and
// the rest of the run use.
type privateRedis struct {
	Addr   string
	cmd    *exec.Cmd
	done   chan error
	killed sync.Once
}

// startPrivateRedis starts redis-server on a free loopback port, keeping
// nothing on disk, and waits until it answers.
func startPrivateRedis(ctx context.Context, dir string) (*privateRedis, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redis-server is not installed (apt-get install redis-server): the outage phase stops and kills a Redis of its own")
	}
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	r := &privateRedis{Addr: addr, cmd: cmd, done: make(chan error, 1)}
	go func() { r.done <- cmd.Wait() }()
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(20 * time.Second)
	for rdb.Ping(ctx).Err() != nil {
		select {
		case err := <-r.done:
			return nil, fmt.Errorf("redis-server exited: %v", err)
		case <-ctx.Done():
			r.Kill()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			r.Kill()
			return nil, fmt.Errorf("redis-server did not answer on %s", addr)
		}
	}
	return r, nil
}

// Signal sends sig to the server (SIGSTOP hangs it, SIGCONT resumes it).
func (r *privateRedis) Signal(sig syscall.Signal) error { return r.cmd.Process.Signal(sig) }

// Kill stops the server for good and waits for it; later calls do
// nothing.
func (r *privateRedis) Kill() {
	r.killed.Do(func() {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
		_ = r.cmd.Process.Kill()
		<-r.done
	})
}

// outage measures what a Redis outage costs the cached functions: the
// same menu views and order lists, one at a time, through a local server
// whose Redis answers (the cache filled), is hung (SIGSTOP: connections
// accepted, nothing answered) and is down (killed: connections refused).
// It also counts the server's log lines in each condition.
func (h *harness) outage(ctx context.Context) {
	cfg := h.cfg
	rs, err := startPrivateRedis(ctx, h.work)
	if err != nil {
		h.problem("cache outage", err)
		return
	}
	defer rs.Kill()
	u, _ := dbURL(cfg.postgres, h.scratch)
	h.p.Detail("starting the local server against a Redis of the phase's own")
	srv, err := startServer(ctx, serverConfig{Bin: h.bins.LocalServer, DatabaseURL: u, RedisAddr: rs.Addr,
		CachePrefix: "outage:", DBConns: cfg.dbConns, RedisPool: cfg.redisPool, JWTSecret: jwtSecret, WebhookSecret: webhookSecret})
	if err != nil {
		h.problem("cache outage", err)
		return
	}
	defer srv.Stop()
	runner := &load.Runner{BaseURL: srv.URL, MaxInFlight: 1, Seed: cfg.scale.Seed}
	g, err := h.generator(cfg.scale.Seed+7, h.loadCards, h.loadUnpaid)
	if err != nil {
		h.problem("cache outage", err)
		return
	}
	reqs, err := cacheRequests(g, cfg.cacheKeys)
	if err != nil {
		h.problem("cache outage", err)
		return
	}
	out := &report.Outage{}
	measure := func(name, how string) error {
		h.p.Detail("cache outage: %s, %d requests", name, len(reqs))
		logs := srv.logs.Lines()
		start := time.Now()
		lat, _, err := pass(ctx, srv, runner, reqs)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		c := report.OutageCondition{Name: name, How: how, Requests: len(reqs), Duration: time.Since(start),
			LogLines: srv.logs.Lines() - logs}
		for _, fn := range []string{routes.MenusDaily, routes.OrdersList} {
			c.Functions = append(c.Functions, report.OutageLatency{Function: fn, Latency: stats.Summarize(lat[fn])})
		}
		out.Conditions = append(out.Conditions, c)
		return nil
	}
	h.p.Detail("cache outage: filling the cache")
	if _, _, err := pass(ctx, srv, runner, reqs); err != nil {
		h.problem("cache outage", err)
		return
	}
	steps := []struct {
		name, how string
		before    func() error
	}{
		{"Redis answering", "cache filled", func() error { return nil }},
		{"Redis hung", "redis-server stopped with SIGSTOP", func() error { return rs.Signal(syscall.SIGSTOP) }},
		{"Redis down", "redis-server killed", func() error { rs.Kill(); return nil }},
	}
	for _, st := range steps {
		if err := st.before(); err != nil {
			h.problem("cache outage", err)
			return
		}
		if err := measure(st.name, st.how); err != nil {
			h.problem("cache outage", fmt.Errorf("%w\n%s", err, srv.Logs()))
			return
		}
	}
	h.res.Outage = out
	for _, c := range out.Conditions {
		for _, f := range c.Functions {
			h.p.Log("cache outage %-16s %-12s p50 %s p95 %s", c.Name, f.Function, report.Ms(f.Latency.P50), report.Ms(f.Latency.P95))
		}
		h.p.Log("cache outage %-16s %d log lines for %d requests", c.Name, c.LogLines, c.Requests)
	}
}
