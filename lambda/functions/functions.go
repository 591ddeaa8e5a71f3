// Package functions is the handler table: every function the platform
// deploys, by the name that is also its Lambda Handler setting, with how
// to build its handler, and the init that builds what the function needs
// (declared in package routes, which the API stack reads too). main serves
// the one _HANDLER names; the local server serves every routed one.
package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/audit"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/deploycheck"
	"github.com/hasivu/infra/lambda/emf"
	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/postgres"
	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/restapi"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/secrets"
)

// Function is one entry of the handler table. What it needs at init is
// declared with its name in package routes (routes.NeedsOf), where the API
// stack reads it too.
type Function struct {
	// HTTP builds the endpoint of a routed function; one that serves
	// several routes tells them apart by restapi.Request.Route (byRoute).
	HTTP func(d *Deps) restapi.Endpoint
	// Invoke builds the handler of a function invoked directly with a
	// JSON payload (migrate).
	Invoke func(d *Deps) func(ctx context.Context, payload json.RawMessage) (any, error)
}

// Table maps each function name to its entry: exactly the functions
// routes.Names declares.
var Table = map[string]Function{
	routes.AuthLogin:           {HTTP: authLogin},
	routes.OrdersList:          {HTTP: ordersList},
	routes.OrdersCreate:        {HTTP: ordersCreate},
	routes.MenusDaily:          {HTTP: menuRoutes},
	routes.PaymentsCreateOrder: {HTTP: checkout},
	routes.PaymentsWebhook:     {HTTP: paymentsWebhook},
	routes.RFIDVerifyCard:      {HTTP: rfidVerifyCard},
	routes.Profile:             {HTTP: profile},
	routes.AnalyticsDaily:      {HTTP: analyticsDaily},
	routes.Migrate:             {Invoke: migrate},
	routes.DeployCheck:         {Invoke: deployCheck},
}

// Names returns the table's function names, sorted.
func Names() []string { return slices.Sorted(maps.Keys(Table)) }

// Deps are the clients and settings built at init for one or more
// functions. Fields a function does not need stay zero.
type Deps struct {
	Stage  string
	Pool   *pgxpool.Pool
	Cache  *redis.Cache
	Tokens *auth.Tokens
	// Standing checks, for every route that needs a signed-in user, that
	// the user's account is still active.
	Standing *auth.Standing
	// razorpay gives the Razorpay credentials, read on first use; with
	// razorpayBaseURL and httpClient it makes the Orders API client.
	razorpay        *razorpayKeys
	razorpayBaseURL string
	httpClient      *http.Client
	// hook is the pre-traffic hook of a deploy-check function.
	hook *deploycheck.Hook
	// Now returns the current time; tests move it.
	Now func() time.Time
	// Metrics receives the EMF lines of every invocation (stdout in
	// Lambda).
	Metrics io.Writer
	// CorsOrigins are the web origins whose browsers may read responses.
	CorsOrigins []string
	// Audit receives the audit lines (stdout in Lambda).
	Audit *audit.Log

	coldStart     time.Duration
	coldStartOnce sync.Once
}

// Ready records how long the execution environment took from process
// start to the end of setup; the first invocation publishes it as
// metrics.ColdStartDuration.
func (d *Deps) Ready(sinceProcessStart time.Duration) { d.coldStart = sinceProcessStart }

// Options adjust Setup for the local server and tests.
type Options struct {
	// Cache adjusts the cache: its key prefix (tests give each test its
	// own) and circuit breaker.
	Cache redis.Config
	// HTTPClient is used for Razorpay and the secrets extension.
	HTTPClient *http.Client
	// DBMaxConns and RedisPoolSize, when positive, replace the Lambda
	// functions' pool sizes: the local server serves many requests at
	// once, standing in for many execution environments.
	DBMaxConns, RedisPoolSize int
}

// Setup builds what the union of needs requires from the environment:
// the database pool, the Redis client, the JWT key, the Razorpay client.
// A missing setting is an error naming the variable.
func Setup(ctx context.Context, e *env.Env, needs routes.Needs, opt Options) (*Deps, error) {
	d := &Deps{Stage: e.Stage, Now: time.Now, Metrics: os.Stdout, CorsOrigins: e.CorsOrigins, Audit: &audit.Log{W: os.Stdout}}
	sec := &secrets.Client{Endpoint: e.SecretsEndpoint, Token: e.AWS.SessionToken, HTTP: opt.HTTPClient}
	if needs.DB {
		cfg, err := postgres.Config(e.DB, e.AWS)
		if err != nil {
			return nil, err
		}
		if needs.LongStatements {
			cfg.AfterConnect = postgres.LiftStatementTimeout
		}
		if opt.DBMaxConns > 0 {
			cfg.MaxConns = int32(opt.DBMaxConns)
		}
		if d.Pool, err = postgres.Open(ctx, cfg); err != nil {
			return nil, err
		}
		if err := postgres.Warm(ctx, d.Pool, time.Second); err != nil {
			slog.WarnContext(ctx, "database not reachable at init; requests will retry", "error", err)
		}
	}
	if needs.Cache {
		if e.Redis.Addr == "" {
			return nil, errors.New(routes.EnvRedisAddr + " is not set")
		}
		o := redis.Options(e.Redis.Addr, e.Redis.TLS, "")
		if e.Redis.AuthSecretARN != "" {
			a, err := newRedisAuth(ctx, e.Redis.AuthSecretARN, sec.Get, func() time.Time { return d.Now() })
			if err != nil {
				return nil, err
			}
			o.CredentialsProviderContext = a.credentials
		}
		if opt.RedisPoolSize > 0 {
			o.PoolSize = opt.RedisPoolSize
		}
		rdb := goredis.NewClient(o)
		// Open the (TLS) connection now, while init has the CPU; a failure
		// only means the first requests use the database.
		pctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		if err := rdb.Ping(pctx).Err(); err != nil {
			slog.WarnContext(ctx, "Redis not reachable at init; serving from the database", "error", err)
		}
		cancel()
		d.Cache = redis.New(rdb, opt.Cache)
	}
	if needs.JWT || needs.SignsTokens {
		keys, err := jwtKeys(e, needs, sec, func() time.Time { return d.Now() })
		if err != nil {
			return nil, err
		}
		d.Tokens = auth.NewTokens(auth.Issuer(e.Stage), keys)
		d.Tokens.Now = func() time.Time { return d.Now() }
		if needs.JWT && needs.DB {
			d.Standing = auth.NewStanding(&postgres.Users{Pool: d.Pool})
		}
	}
	if needs.Razorpay || needs.Webhook {
		rp := e.Razorpay
		fixed := (!needs.Razorpay || (rp.KeyID != "" && rp.KeySecret != "")) && (!needs.Webhook || rp.WebhookSecret != "")
		if !fixed && e.RazorpaySecretARN == "" {
			return nil, fmt.Errorf("%s is not set (nor %s, %s, %s)", routes.EnvRazorpaySecretARN,
				routes.EnvRazorpayKeyID, routes.EnvRazorpayKeySecret, routes.EnvRazorpayWebhookSecret)
		}
		// Read on first use, not here: a missing or unfilled secret must
		// fail payment requests, not the init every deploy waits on.
		d.razorpay = &razorpayKeys{secretARN: e.RazorpaySecretARN, api: needs.Razorpay, webhook: needs.Webhook,
			read: sec.Get, now: func() time.Time { return d.Now() }}
		if fixed {
			d.razorpay.fixed = &rp
		}
		d.razorpayBaseURL, d.httpClient = e.RazorpayBaseURL, opt.HTTPClient
	}
	if needs.DeployCheck {
		var err error
		if d.hook, err = newHook(e); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// jwtKeys returns the keys of a function that signs or verifies tokens:
// locally the one key JWT_SECRET gives, which does both; in AWS the
// secrets', read when first needed (a keyset not filled in yet fails
// requests with 503, not the init) and again on a TTL and on an unknown
// key ID (auth.KeyRing).
func jwtKeys(e *env.Env, needs routes.Needs, sec *secrets.Client, now func() time.Time) (auth.KeySource, error) {
	if e.JWTSecret != "" {
		k, err := auth.ParseSigningKey(e.JWTSecret)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", routes.EnvJWTSecret, err)
		}
		return auth.StaticKeys{Key: k}, nil
	}
	r := &auth.KeyRing{Now: now}
	read := func(name, arn string) (func(ctx context.Context) (string, error), error) {
		if arn == "" {
			return nil, fmt.Errorf("%s is not set (nor %s)", name, routes.EnvJWTSecret)
		}
		return func(ctx context.Context) (string, error) { return sec.Get(ctx, arn) }, nil
	}
	var err error
	if needs.SignsTokens {
		if r.LoadSigning, err = read(routes.EnvJWTSecretARN, e.JWTSecretARN); err != nil {
			return nil, err
		}
	}
	if needs.JWT {
		if r.LoadVerification, err = read(routes.EnvJWTVerificationARN, e.JWTVerificationARN); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Close releases the clients.
func (d *Deps) Close() {
	if d.Pool != nil {
		d.Pool.Close()
	}
}

// Union returns the needs of all the named functions together.
func Union(names ...string) routes.Needs {
	var n routes.Needs
	for _, name := range names {
		f := routes.NeedsOf(name)
		n.DB = n.DB || f.DB
		n.Cache = n.Cache || f.Cache
		n.JWT = n.JWT || f.JWT
		n.SignsTokens = n.SignsTokens || f.SignsTokens
		n.Passwords = n.Passwords || f.Passwords
		n.Razorpay = n.Razorpay || f.Razorpay
		n.Webhook = n.Webhook || f.Webhook
		n.DeployCheck = n.DeployCheck || f.DeployCheck
	}
	return n
}

// APIHandler is the Lambda handler of a routed function.
type APIHandler func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// routeOf returns the route of the function's that req came by: the one
// API Gateway names (Resource and method); failing that (a request built
// by hand), the one with the request's method and path parameters; and
// for a function of one route, that route. ok is false when none fits.
func routeOf(served []routes.Route, req *events.APIGatewayProxyRequest) (routes.Route, bool) {
	if len(served) == 1 {
		return served[0], true
	}
	for _, r := range served {
		if r.Method == req.HTTPMethod && r.Path == req.Resource {
			return r, true
		}
	}
	for _, r := range served {
		if r.Method == req.HTTPMethod && samePathParameters(r.Path, req.PathParameters) {
			return r, true
		}
	}
	return routes.Route{}, false
}

// samePathParameters reports whether params has exactly the parameters
// of path.
func samePathParameters(path string, params map[string]string) bool {
	n := 0
	for _, part := range strings.Split(path, "/") {
		if name, ok := strings.CutPrefix(part, "{"); ok {
			if _, ok := params[strings.TrimSuffix(name, "}")]; !ok {
				return false
			}
			n++
		}
	}
	return n == len(params)
}

// byRoute is the endpoint of a function that serves several routes: each
// request goes to the endpoint of its route, by Route.
func byRoute(endpoints map[string]restapi.Endpoint) restapi.Endpoint {
	return func(ctx context.Context, r *restapi.Request) (*restapi.Response, error) {
		e, ok := endpoints[r.Route]
		if !ok {
			return nil, fmt.Errorf("no endpoint for route %q", r.Route)
		}
		return e(ctx, r)
	}
}

// HTTP returns the API Gateway handler of the named routed function (which
// answers the pre-traffic hook's deploycheck.Request with its health):
// authentication when its route needs it, the endpoint, JSON encoding of
// the answer or the coded error, CORS headers as the route says (any
// origin for a public route, whose answers caches share between callers;
// the configured origins otherwise), and the invocation's metrics flushed
// as EMF lines when it ends. Client faults are 4xx responses and server
// faults 5xx responses, both with a nil error, so that API Gateway passes
// our JSON through instead of a bare 502. A 5xx answer counts as
// metrics.OperationErrors.
func (d *Deps) HTTP(name string) (APIHandler, error) {
	f, ok := Table[name]
	if !ok || f.HTTP == nil {
		return nil, fmt.Errorf("%q is not a routed function", name)
	}
	served := routes.Of(name)
	if len(served) == 0 {
		return nil, fmt.Errorf("function %q has no route in routes.Table", name)
	}
	if slices.ContainsFunc(served, func(r routes.Route) bool { return r.Auth }) && (d.Tokens == nil || d.Standing == nil) {
		return nil, fmt.Errorf("function %q needs a JWT key and the database", name)
	}
	endpoint := f.HTTP(d)
	return func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		if req.Resource == deploycheck.Resource {
			return d.health(ctx), nil
		}
		start := time.Now()
		rec := emf.NewRecorder(d.Stage, name)
		ctx = emf.NewContext(ctx, rec)
		defer d.finish(ctx, rec, start)
		route, ok := routeOf(served, &req)
		if !ok {
			// Only a request built by hand, not API Gateway's, can miss.
			resp := restapi.Error(ctx, apperr.New(apperr.NotFound, "%s serves no route %s %s", name, req.HTTPMethod, req.Resource))
			restapi.AllowOrigin(&resp, &req, d.CorsOrigins)
			restapi.Secure(&resp, false)
			return resp, nil
		}
		resp := d.serve(ctx, endpoint, route, req)
		if resp.StatusCode >= 500 {
			rec.Add(metrics.OperationErrors, 1)
		}
		if route.Public {
			restapi.AllowAnyOrigin(&resp)
		} else {
			restapi.AllowOrigin(&resp, &req, d.CorsOrigins)
		}
		restapi.Secure(&resp, route.Public)
		if resp.StatusCode == 401 {
			rec.Add(metrics.Unauthorized, 1)
		}
		return resp, nil
	}, nil
}

// serve authenticates the caller where the route needs one (a valid token
// of an account still active) and runs the endpoint; every outcome,
// failures included, is a response.
func (d *Deps) serve(ctx context.Context, endpoint restapi.Endpoint, route routes.Route, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	r := &restapi.Request{APIGatewayProxyRequest: req, Route: route.Key()}
	if route.Auth {
		claims, err := restapi.Authenticate(ctx, &req, d.Tokens)
		if err != nil {
			d.auditTokenRejected(ctx, route, &req, err)
			return restapi.Error(ctx, err)
		}
		if err := d.Standing.Check(ctx, claims.UserID); err != nil {
			return restapi.Error(ctx, err)
		}
		r.Claims = claims
	}
	resp, err := endpoint(ctx, r)
	if err != nil {
		return restapi.Error(ctx, err)
	}
	return restapi.Encode(resp)
}

// Invoke returns the handler of the named directly invoked function.
// Its failures are returned as errors, which fail the invocation (and,
// for migrate, the deploy that triggered it) and counted as
// metrics.OperationErrors.
func (d *Deps) Invoke(name string) (func(ctx context.Context, payload json.RawMessage) (any, error), error) {
	f, ok := Table[name]
	if !ok || f.Invoke == nil {
		return nil, fmt.Errorf("%q is not an invoked function", name)
	}
	h := f.Invoke(d)
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		start := time.Now()
		rec := emf.NewRecorder(d.Stage, name)
		ctx = emf.NewContext(ctx, rec)
		defer d.finish(ctx, rec, start)
		out, err := h(ctx, payload)
		if err != nil {
			rec.Add(metrics.OperationErrors, 1)
		}
		return out, err
	}, nil
}

func (d *Deps) finish(ctx context.Context, rec *emf.Recorder, start time.Time) {
	rec.Since(metrics.OperationDuration, start)
	d.coldStartOnce.Do(func() {
		if d.coldStart > 0 {
			rec.Duration(metrics.ColdStartDuration, d.coldStart)
		}
	})
	if err := rec.Flush(d.Metrics); err != nil {
		slog.ErrorContext(ctx, "flush metrics", "error", err)
	}
}

// claims returns the caller; routes with Auth always have one.
func claims(r *restapi.Request) (*auth.Claims, error) {
	if r.Claims == nil {
		return nil, apperr.New(apperr.Unauthorized, "sign in first")
	}
	return r.Claims, nil
}
