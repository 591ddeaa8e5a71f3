// Package testsupport gives tests their own PostgreSQL schema and Redis key
// prefix on the real servers on loopback, so that tests run in parallel
// and never see each other's data.
//
// HASIVU_TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable) and
// HASIVU_TEST_REDIS_ADDR (default 127.0.0.1:6379) say where the servers
// are. A server that cannot be reached fails the test with what to start:
// these tests are never skipped.
package testsupport

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/lambda/migrations"
)

// DatabaseURL returns the test database's URL.
func DatabaseURL() string {
	if v := os.Getenv("HASIVU_TEST_DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// RedisAddr returns the test Redis server's address.
func RedisAddr() string {
	if v := os.Getenv("HASIVU_TEST_REDIS_ADDR"); v != "" {
		return v
	}
	return "127.0.0.1:6379"
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Schema creates an empty schema for t, drops it when t ends, and returns
// a database URL whose search_path is that schema.
func Schema(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, DatabaseURL())
	if err != nil {
		t.Fatalf("cannot reach the test PostgreSQL at %s: %v\n"+
			"start PostgreSQL on 127.0.0.1:5432 (e.g. `service postgresql start`) or set HASIVU_TEST_DATABASE_URL", DatabaseURL(), err)
	}
	defer conn.Close(ctx)
	name := randomName("t_")
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, DatabaseURL())
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	u, err := url.Parse(DatabaseURL())
	if err != nil {
		t.Fatalf("parse HASIVU_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// AsRole returns dsn with role as its user and no password: the URL a
// function that connects as role would use. The test server must let
// the role in without a password, as the servers scripts/services.sh
// starts or finds on loopback do (trust).
func AsRole(t testing.TB, dsn, role string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatalf("parse database URL: %v", err)
	}
	u.User = url.User(role)
	return u.String()
}

// Pool returns a pool on dsn, closed when t ends.
func Pool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// MigratedSchema returns the URL of a fresh schema with every migration
// applied.
func MigratedSchema(t testing.TB) string {
	t.Helper()
	dsn := Schema(t)
	pool := Pool(t, dsn)
	if _, err := migrations.Apply(context.Background(), pool); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return dsn
}

// Redis checks that the test Redis answers and returns its address and a
// key prefix unique to t. Keys under the prefix are deleted when t ends.
func Redis(t testing.TB) (addr, prefix string) {
	t.Helper()
	addr = RedisAddr()
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		t.Fatalf("cannot reach the test Redis at %s: %v\n"+
			"start Redis on 127.0.0.1:6379 (e.g. `service redis-server start`) or set HASIVU_TEST_REDIS_ADDR", addr, err)
	}
	prefix = randomName("test:") + ":"
	t.Cleanup(func() {
		defer rdb.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// A scan is fine here: this is test cleanup, not a request path.
		iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return addr, prefix
}

// ClosedAddr returns a loopback address nothing listens on, to stand for
// a server that is down.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// Proxy is a TCP proxy on loopback in front of a server, to stand for the
// server's outages without touching it: forwarding, down (connections
// refused: accepted and closed at once) or hung (connections accepted,
// requests read and never answered, as a SIGSTOPped server does). The
// server keeps its data through an outage, as Redis does when its node
// comes back.
type Proxy struct {
	// Addr is the proxy's address.
	Addr     string
	target   string
	l        net.Listener
	mu       sync.Mutex
	mode     ProxyMode
	conns    map[net.Conn]bool
	accepted int
	hungIn   int64
}

// ProxyMode is what the proxy does with connections.
type ProxyMode int

// The proxy's modes.
const (
	Forward ProxyMode = iota
	Down
	Hung
)

// NewProxy starts a proxy to target, forwarding; it stops when t ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	p := &Proxy{Addr: l.Addr().String(), target: target, l: l, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() {
		_ = l.Close()
		p.SetMode(Down)
	})
	return p
}

// SetMode switches the proxy's mode and drops the connections it holds,
// so that clients meet the new mode on their next connection.
func (p *Proxy) SetMode(m ProxyMode) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.mode = m
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

// Accepted returns how many connections the proxy has accepted, and how
// many bytes clients sent it while it was hung.
func (p *Proxy) Accepted() (conns int, hungBytes int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted, p.hungIn
}

func (p *Proxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.accepted++
		mode := p.mode
		if mode != Down {
			p.conns[c] = true
		}
		p.mu.Unlock()
		switch mode {
		case Down:
			_ = c.Close()
		case Hung:
			go p.swallow(c)
		case Forward:
			go p.forward(c)
		}
	}
}

func (p *Proxy) swallow(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		p.mu.Lock()
		p.hungIn += int64(n)
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (p *Proxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.mu.Lock()
	p.conns[s] = true
	p.mu.Unlock()
	go func() {
		_, _ = io.Copy(s, c)
		_ = s.Close()
	}()
	_, _ = io.Copy(c, s)
	_ = c.Close()
}
