package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/testsupport"
)

// TestServesRouteTable runs the local server's mux over a migrated schema
// and calls a public route (with path parameters) and an authenticated
// one, end to end over HTTP.
func TestServesRouteTable(t *testing.T) {
	dsn := testsupport.MigratedSchema(t)
	addr, _ := testsupport.Redis(t)
	pool := testsupport.Pool(t, dsn)
	const school = "00000000-0000-4000-8000-000000000001"
	const parent = "00000000-0000-4000-8000-000000000002"
	if _, err := pool.Exec(context.Background(), `
		INSERT INTO schools (id, code, name, city) VALUES ($1, 'S1', 'Local School', 'Pune')`, school); err != nil {
		t.Fatal(err)
	}
	addUser(t, pool, parent)
	e, err := env.Load(func(k string) string {
		return map[string]string{routes.EnvDatabaseURL: dsn, routes.EnvRedisAddr: addr, routes.EnvJWTSecret: devKey.PrivatePEM(),
			routes.EnvRazorpayKeyID: "k", routes.EnvRazorpayKeySecret: "s", routes.EnvRazorpayWebhookSecret: "w"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	h, d, err := newServer(context.Background(), e, serverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()

	get := func(path string, header http.Header) (int, map[string]any) {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var body map[string]any
		_ = json.Unmarshal(b, &body)
		return resp.StatusCode, body
	}
	// The path parameters reach the handler: a known school without a menu
	// is a 404 that names the school and the date.
	status, body := get("/schools/"+school+"/menus/2030-01-02", nil)
	msg, _ := body["error"].(map[string]any)["message"].(string)
	if status != 404 || !strings.Contains(msg, school) || !strings.Contains(msg, "2030-01-02") {
		t.Errorf("menu: %d %v", status, body)
	}
	// Authenticated routes check the bearer token.
	if status, _ := get("/orders", nil); status != 401 {
		t.Errorf("orders without a token: %d", status)
	}
	// Headers and query parameters reach the handler.
	tokens := auth.NewTokens(auth.Issuer(e.Stage), auth.StaticKeys{Key: devKey})
	token, _, _ := tokens.Sign(context.Background(), auth.Claims{UserID: parent, Role: "parent"})
	bearer := http.Header{"Authorization": {"Bearer " + token}}
	if status, body := get("/orders?page=0", bearer); status != 400 || body["error"].(map[string]any)["field"] != "page" {
		t.Errorf("orders?page=0: %d %v, want 400 about page", status, body)
	}
	if status, body := get("/orders?limit=5", bearer); status != 200 || body["limit"] != 5.0 {
		t.Errorf("orders?limit=5: %d %v", status, body)
	}
	// Unknown paths are not served.
	if status, _ := get("/admin", nil); status != 404 {
		t.Errorf("/admin: %d", status)
	}
}

// TestServerOptions: the pools take the sizes given, and cached entries
// land under the given key prefix.
func TestServerOptions(t *testing.T) {
	dsn := testsupport.MigratedSchema(t)
	addr, prefix := testsupport.Redis(t)
	e, err := env.Load(func(k string) string {
		return map[string]string{routes.EnvDatabaseURL: dsn, routes.EnvRedisAddr: addr, routes.EnvJWTSecret: devKey.PrivatePEM(),
			routes.EnvRazorpayKeyID: "k", routes.EnvRazorpayKeySecret: "s", routes.EnvRazorpayWebhookSecret: "w"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	h, d, err := newServer(context.Background(), e, serverOptions{CachePrefix: prefix, DBMaxConns: 7, RedisPoolSize: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if n := d.Pool.Config().MaxConns; n != 7 {
		t.Errorf("database pool of %d connections, want 7", n)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	tokens := auth.NewTokens(auth.Issuer(e.Stage), auth.StaticKeys{Key: devKey})
	const user = "00000000-0000-4000-8000-000000000009"
	addUser(t, testsupport.Pool(t, dsn), user)
	token, _, _ := tokens.Sign(context.Background(), auth.Claims{UserID: user, Role: "parent"})
	req, _ := http.NewRequest("GET", srv.URL+"/orders", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /orders: %d", resp.StatusCode)
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	keys, err := rdb.Keys(context.Background(), prefix+"*").Result()
	if err != nil || len(keys) == 0 {
		t.Errorf("no cache entry under %q after listing orders (%v)", prefix, err)
	}
}

// addUser stores an active parent with id: the functions check that a
// token's account is still active.
func addUser(t *testing.T, pool *pgxpool.Pool, id string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `
		INSERT INTO users (id, email, password_hash, first_name, last_name, role)
		VALUES ($1, $2, 'x', 'Local', 'Parent', 'parent')`, id, id+"@local.example"); err != nil {
		t.Fatal(err)
	}
}

// devKey is the tests' JWT signing key.
var devKey = func() *auth.SigningKey {
	p, err := auth.GenerateKey()
	if err != nil {
		panic(err)
	}
	k, err := auth.ParseSigningKey(p)
	if err != nil {
		panic(err)
	}
	return k
}()
