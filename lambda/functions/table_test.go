package functions_test

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/functions"
	"github.com/hasivu/infra/lambda/migrations"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/testsupport"
)

// TestTableServesEveryRoute keeps the handler table in step with the
// functions routes declares, which the API stack deploys: every declared
// function has a handler of the right kind, and every handler is declared.
func TestTableServesEveryRoute(t *testing.T) {
	for _, name := range routes.Names() {
		f, ok := functions.Table[name]
		switch {
		case !ok:
			t.Errorf("routes declares %q, which is not in the handler table", name)
		case (f.HTTP == nil) == (f.Invoke == nil):
			t.Errorf("function %q must have exactly one of HTTP and Invoke", name)
		case slices.Contains(routes.Functions(), name) && f.HTTP == nil:
			t.Errorf("function %q serves a route but has no HTTP handler", name)
		case !slices.Contains(routes.Functions(), name) && f.HTTP != nil:
			t.Errorf("function %q has an HTTP handler but no route", name)
		}
	}
	for name := range functions.Table {
		if !slices.Contains(routes.Names(), name) {
			t.Errorf("handler table has %q, which routes does not declare", name)
		}
	}
	for _, r := range routes.Table {
		if r.Auth && !routes.NeedsOf(r.Function).JWT {
			t.Errorf("route %s %s needs a signed-in user but %q does not load the JWT key", r.Method, r.Path, r.Function)
		}
	}
}

// TestEveryRouteIsServed sends each route's request, as API Gateway names
// it (method and resource), with a valid token, to its function's
// handler: a function that serves several routes must have an endpoint
// for each. Without a body and with placeholder path parameters the
// answers are the endpoints' own, never a 5xx and never "no such route".
func TestEveryRouteIsServed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := signedToken(t, adminID, "school_admin", schoolID)
	for _, rt := range routes.Table {
		ev := events.APIGatewayProxyRequest{HTTPMethod: rt.Method, Resource: rt.Path, Path: rt.Path,
			Headers: map[string]string{"Authorization": "Bearer " + token}}
		for _, part := range strings.Split(rt.Path, "/") {
			if name, ok := strings.CutPrefix(part, "{"); ok {
				if ev.PathParameters == nil {
					ev.PathParameters = map[string]string{}
				}
				ev.PathParameters[strings.TrimSuffix(name, "}")] = "x"
			}
		}
		resp, err := f.handlers[rt.Function](context.Background(), ev)
		if err != nil || resp.StatusCode >= 500 || resp.StatusCode == 404 {
			t.Errorf("%s (function %s): %d %s (%v)", rt.Key(), rt.Function, resp.StatusCode, resp.Body, err)
		}
	}
	// A request for a route the function does not serve (only one built
	// by hand can be) is the client's 404.
	resp, _ := f.handlers[routes.Profile](context.Background(), events.APIGatewayProxyRequest{HTTPMethod: "DELETE", Resource: "/me"})
	if resp.StatusCode != 404 || !strings.Contains(resp.Body, "serves no route DELETE /me") {
		t.Errorf("DELETE /me: %d %s, want 404", resp.StatusCode, resp.Body)
	}
}

// TestInitBuildsOnlyWhatIsNeeded checks the init contract: a function
// that does not cache opens no Redis client, one that takes no payments
// reads no Razorpay secret.
func TestInitBuildsOnlyWhatIsNeeded(t *testing.T) {
	for _, name := range []string{routes.Migrate} {
		if routes.NeedsOf(name).Cache {
			t.Errorf("%s needs no cache but would build a Redis client", name)
		}
	}
	// REDIS_ADDR points at nothing and no Razorpay settings exist: a
	// function that needed either would fail or build them.
	vars := map[string]string{routes.EnvDatabaseURL: testsupport.DatabaseURL(), routes.EnvRedisAddr: testsupport.ClosedAddr(t), routes.EnvJWTSecret: jwtSecret}
	e, err := env.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	d, err := functions.Setup(context.Background(), e, routes.NeedsOf(routes.Migrate), functions.Options{})
	if err != nil {
		t.Fatalf("migrate setup: %v", err)
	}
	defer d.Close()
	if d.Cache != nil {
		t.Error("migrate built a cache")
	}
	if _, err := functions.Setup(context.Background(), e, routes.NeedsOf(routes.PaymentsCreateOrder), functions.Options{}); err == nil ||
		err.Error() != "RAZORPAY_SECRET_ARN is not set (nor RAZORPAY_KEY_ID, RAZORPAY_KEY_SECRET, RAZORPAY_WEBHOOK_SECRET)" {
		t.Errorf("payments-create-order without Razorpay settings: err = %v, want one naming RAZORPAY_SECRET_ARN", err)
	}
	delete(vars, routes.EnvJWTSecret)
	e, _ = env.Load(func(k string) string { return vars[k] })
	if _, err := functions.Setup(context.Background(), e, routes.NeedsOf(routes.OrdersList), functions.Options{}); err == nil ||
		err.Error() != "JWT_VERIFICATION_KEYS_ARN is not set (nor JWT_SECRET)" {
		t.Errorf("orders-list without JWT keys: err = %v, want one naming JWT_VERIFICATION_KEYS_ARN", err)
	}
	if _, err := functions.Setup(context.Background(), e, routes.NeedsOf(routes.AuthLogin), functions.Options{}); err == nil ||
		err.Error() != "JWT_SECRET_ARN is not set (nor JWT_SECRET)" {
		t.Errorf("auth-login without its JWT key: err = %v, want one naming JWT_SECRET_ARN", err)
	}
}

// TestMigrateLiftsStatementTimeout: the stage's parameter group stops any
// statement after 30 s; migrate's sessions must not be, the others must.
func TestMigrateLiftsStatementTimeout(t *testing.T) {
	t.Parallel()
	u, err := url.Parse(testsupport.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("statement_timeout", "30000") // as stacks.TunedParameters sets it
	u.RawQuery = q.Encode()
	e, _ := env.Load(func(k string) string {
		return map[string]string{routes.EnvDatabaseURL: u.String(), routes.EnvJWTSecret: jwtSecret, routes.EnvRedisAddr: testsupport.RedisAddr()}[k]
	})
	for name, want := range map[string]string{routes.Migrate: "0", routes.AuthLogin: "30s"} {
		d, err := functions.Setup(context.Background(), e, routes.NeedsOf(name), functions.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		if err := d.Pool.QueryRow(context.Background(), "SHOW statement_timeout").Scan(&got); err != nil {
			t.Fatal(err)
		}
		d.Close()
		if got != want {
			t.Errorf("%s: statement_timeout = %s, want %s", name, got, want)
		}
	}
}

func TestMigrateFunction(t *testing.T) {
	t.Parallel()
	dsn := testsupport.Schema(t)
	e, _ := env.Load(func(k string) string { return map[string]string{routes.EnvDatabaseURL: dsn}[k] })
	d, err := functions.Setup(context.Background(), e, routes.NeedsOf(routes.Migrate), functions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Metrics = &syncBuffer{}
	h, err := d.Invoke(routes.Migrate)
	if err != nil {
		t.Fatal(err)
	}
	all := migrations.Versions()
	first, _ := json.Marshal(migrations.Result{Applied: all, Version: all[len(all)-1]})
	again, _ := json.Marshal(migrations.Result{Applied: []int64{}, Version: all[len(all)-1]})
	for i, want := range []string{string(first), string(again)} {
		// A CDK Trigger sends an arbitrary payload.
		out, err := h(context.Background(), json.RawMessage(`{"RequestType":"Create"}`))
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		b, _ := json.Marshal(out)
		if string(b) != want {
			t.Errorf("run %d = %s, want %s", i+1, b, want)
		}
	}
	// A migration failure is an error, which fails the deploy.
	bad, _ := env.Load(func(k string) string {
		return map[string]string{routes.EnvDatabaseURL: "postgres://postgres@" + testsupport.ClosedAddr(t) + "/test?sslmode=disable&connect_timeout=1"}[k]
	})
	d2, err := functions.Setup(context.Background(), bad, routes.NeedsOf(routes.Migrate), functions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	d2.Metrics = &syncBuffer{}
	h2, _ := d2.Invoke(routes.Migrate)
	if _, err := h2(context.Background(), nil); err == nil {
		t.Error("migrate against an unreachable database succeeded")
	}
}

// TestSecretsThroughExtension sets up functions the way the API stack
// does in AWS: only secret ARNs, read through a stand-in for the
// Parameters and Secrets extension (which exists only in Lambda).
func TestSecretsThroughExtension(t *testing.T) {
	signing, _ := json.Marshal(auth.SigningSecret{PrivateKey: jwtSecret})
	verification, _ := json.Marshal(auth.VerificationSecret{PublicKeys: []string{jwtKey.PublicPEM()}})
	ext := newSecretsExtension(t, map[string]string{
		"arn:jwt":        string(signing),
		"arn:jwt-public": string(verification),
		"arn:rzp":        `{"keyId":"rzp_live_1","keySecret":"ks","webhookSecret":"ws"}`,
		"arn:redis":      `{"authToken":"redis-token"}`,
	})
	vars := map[string]string{routes.EnvDatabaseURL: testsupport.DatabaseURL(), routes.EnvRedisAddr: testsupport.RedisAddr(),
		routes.EnvJWTSecretARN: "arn:jwt", routes.EnvJWTVerificationARN: "arn:jwt-public", routes.EnvRazorpaySecretARN: "arn:rzp",
		routes.EnvRedisAuthSecretARN: "arn:redis", routes.EnvAWSSessionToken: ext.token, routes.EnvSecretsExtensionPort: ext.port}
	e, err := env.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	d, err := functions.Setup(context.Background(), e, functions.Union(routes.Deployed()...), functions.Options{})
	if err != nil {
		t.Fatalf("setup from secrets: %v", err)
	}
	defer d.Close()
	ctx := context.Background()
	token, _, err := d.Tokens.Sign(ctx, auth.Claims{UserID: parentID, Role: "parent"})
	if err != nil {
		t.Fatal(err)
	}
	mine := auth.NewTokens(auth.Issuer(e.Stage), auth.StaticKeys{Key: jwtKey})
	if _, err := mine.Verify(ctx, token); err != nil {
		t.Errorf("the JWT key from the secret is not the secret's: %v", err)
	}
	if _, err := d.Tokens.Verify(ctx, token); err != nil {
		t.Errorf("the verification keys from the secret do not verify: %v", err)
	}
	// Secrets the extension does not have, or not filled in yet (a first
	// deploy): init succeeds, and signing fails Unavailable (503).
	for _, arn := range []string{"arn:missing", "arn:empty"} {
		ext.set("arn:empty", `{"privateKey":""}`)
		vars[routes.EnvJWTSecretARN] = arn
		e, _ = env.Load(func(k string) string { return vars[k] })
		d, err := functions.Setup(ctx, e, routes.NeedsOf(routes.AuthLogin), functions.Options{})
		if err != nil {
			t.Fatalf("%s: init failed: %v", arn, err)
		}
		if _, _, err := d.Tokens.Sign(ctx, auth.Claims{UserID: parentID, Role: "parent"}); apperr.CodeOf(err) != apperr.Unavailable {
			t.Errorf("%s: Sign = %v, want Unavailable", arn, err)
		}
		d.Close()
	}
}
