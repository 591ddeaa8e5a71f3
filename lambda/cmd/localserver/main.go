// Command localserver serves every route of routes.Table over plain HTTP
// on localhost with the same handlers the Lambda functions run, against a
// local PostgreSQL and Redis, so the platform can be tried without AWS.
// Each request is turned into the API Gateway proxy event the function
// would get, and the function's response is written back.
//
//	go run ./lambda/cmd/localserver -database-url postgres://postgres@127.0.0.1/hasivu_bench?sslmode=disable \
//	    -redis-addr 127.0.0.1:6379 -fake-razorpay
//
// Razorpay cannot be reached from a laptop without credentials, so
// -fake-razorpay starts the razorpaytest stand-in on a loopback port and
// points the payment functions at it.
//
// A Lambda execution environment serves one request at a time, so its
// database pool and Redis client hold two connections each; this one
// process serves many requests at once, standing in for many
// environments. -db-max-conns and -redis-pool-size size its pools for that
// (the benchmark harness, bench/, sets them to its concurrency);
// -cache-prefix starts every Redis key, so a run can use a cache of its
// own on a shared Redis.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/functions"
	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/restapi"
	"github.com/hasivu/infra/lambda/routes"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	dbURL := flag.String("database-url", os.Getenv(routes.EnvDatabaseURL), "PostgreSQL URL (default $"+routes.EnvDatabaseURL+")")
	redisAddr := flag.String("redis-addr", os.Getenv(routes.EnvRedisAddr), "Redis host:port (default $"+routes.EnvRedisAddr+"; empty: no cache)")
	jwtSecret := flag.String("jwt-secret", os.Getenv(routes.EnvJWTSecret), "JWT signing key, PKCS #8 PEM of a P-256 key (default $"+routes.EnvJWTSecret+", else one generated at start)")
	fakeRazorpay := flag.Bool("fake-razorpay", false, "serve Razorpay's Orders API from a local stand-in")
	var opt serverOptions
	flag.BoolVar(&opt.PrintMetrics, "metrics", false, "print each invocation's EMF metric lines on stdout")
	flag.StringVar(&opt.CachePrefix, "cache-prefix", "", "start every Redis key with this prefix")
	flag.IntVar(&opt.DBMaxConns, "db-max-conns", 0, "database pool size (0: the Lambda functions' size)")
	flag.IntVar(&opt.RedisPoolSize, "redis-pool-size", 0, "Redis connection pool size (0: the Lambda functions' size)")
	flag.Parse()
	if *dbURL == "" {
		log.Fatal("-database-url or " + routes.EnvDatabaseURL + " is required")
	}
	if *jwtSecret == "" {
		k, err := auth.GenerateKey()
		if err != nil {
			log.Fatal(err)
		}
		*jwtSecret = k
		log.Print("signing tokens with a development JWT key generated at start (tokens end with the server)")
	}
	vars := map[string]string{routes.EnvDatabaseURL: *dbURL, routes.EnvRedisAddr: *redisAddr, routes.EnvJWTSecret: *jwtSecret}
	if *fakeRazorpay {
		rp := razorpaytest.New("rzp_test_local", "local-key-secret")
		defer rp.Close()
		vars[routes.EnvRazorpayBaseURL] = rp.URL
		vars[routes.EnvRazorpayKeyID] = rp.KeyID
		vars[routes.EnvRazorpayKeySecret] = rp.KeySecret
		if os.Getenv(routes.EnvRazorpayWebhookSecret) == "" {
			vars[routes.EnvRazorpayWebhookSecret] = "local-webhook-secret"
		}
		log.Printf("Razorpay stand-in at %s (webhook secret %q)", rp.URL, vars[routes.EnvRazorpayWebhookSecret])
	}
	e, err := env.Load(func(k string) string {
		if v, ok := vars[k]; ok {
			return v
		}
		return os.Getenv(k)
	})
	if err != nil {
		log.Fatal(err)
	}
	srv, d, err := newServer(context.Background(), e, opt)
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	hs := &http.Server{Addr: *addr, Handler: srv, ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	log.Printf("serving %d routes on http://%s", len(routes.Table), *addr)
	if err := hs.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// serverOptions adjust the local server to what it is used for.
type serverOptions struct {
	// PrintMetrics writes each invocation's EMF lines to stdout.
	PrintMetrics bool
	// CachePrefix starts every Redis key.
	CachePrefix string
	// DBMaxConns and RedisPoolSize, when positive, replace the Lambda
	// functions' pool sizes.
	DBMaxConns, RedisPoolSize int
}

// newServer builds one set of clients for every routed function and a
// mux with one pattern per route. API Gateway's {name} path parameters
// are ServeMux wildcards as they stand.
func newServer(ctx context.Context, e *env.Env, opt serverOptions) (http.Handler, *functions.Deps, error) {
	needs := functions.Union(routes.Functions()...)
	needs.Cache = needs.Cache && e.Redis.Addr != ""
	d, err := functions.Setup(ctx, e, needs, functions.Options{Cache: redis.Config{Prefix: opt.CachePrefix},
		DBMaxConns: opt.DBMaxConns, RedisPoolSize: opt.RedisPoolSize})
	if err != nil {
		return nil, nil, err
	}
	if !opt.PrintMetrics {
		d.Metrics = io.Discard
	}
	mux := http.NewServeMux()
	for _, rt := range routes.Table {
		h, err := d.HTTP(rt.Function)
		if err != nil {
			d.Close()
			return nil, nil, err
		}
		mux.Handle(rt.Method+" "+rt.Path, adapt(rt, h))
	}
	return mux, d, nil
}

var paramPattern = regexp.MustCompile(`\{([^}]+)\}`)

var requestSeq atomic.Int64

// adapt turns an HTTP request into the proxy event API Gateway would send
// and writes the function's response.
func adapt(rt routes.Route, h functions.APIHandler) http.Handler {
	params := paramPattern.FindAllStringSubmatch(rt.Path, -1)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read one byte past the limit so the handler sees an oversize body
		// and answers 413 itself, as it would in Lambda.
		body, err := io.ReadAll(io.LimitReader(r.Body, restapi.MaxBodyBytes+1))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		ev := events.APIGatewayProxyRequest{
			Resource: rt.Path, Path: r.URL.Path, HTTPMethod: r.Method, Body: string(body),
			Headers: map[string]string{}, MultiValueHeaders: map[string][]string(r.Header.Clone()),
			RequestContext: events.APIGatewayProxyRequestContext{Stage: "local",
				RequestID: strconv.FormatInt(requestSeq.Add(1), 10), HTTPMethod: r.Method, ResourcePath: rt.Path},
		}
		for k, vs := range r.Header {
			ev.Headers[k] = vs[0]
		}
		if q := r.URL.Query(); len(q) > 0 {
			ev.QueryStringParameters = map[string]string{}
			ev.MultiValueQueryStringParameters = map[string][]string(q)
			for k, vs := range q {
				ev.QueryStringParameters[k] = vs[0]
			}
		}
		if len(params) > 0 {
			ev.PathParameters = map[string]string{}
			for _, p := range params {
				ev.PathParameters[p[1]] = r.PathValue(p[1])
			}
		}
		resp, err := h(r.Context(), ev)
		if err != nil {
			slog.Error("handler failed", "function", rt.Function, "error", err)
			http.Error(w, fmt.Sprintf(`{"message":"Internal server error"}`), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.WriteString(w, resp.Body)
	})
}
