// Package postgres adapts PostgreSQL to the domain packages: a connection
// pool sized for Lambda (through RDS Proxy in AWS) and the stores that
// implement the domain packages' storage interfaces. Every query has a
// name; its round-trip time is recorded as metrics.QueryDuration.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	rdsauth "github.com/aws/aws-sdk-go-v2/feature/rds/auth"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/emf"
	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/routes"
)

// Pool sizing for Lambda: an execution environment serves one request at
// a time, so one connection does the work and a second covers the rare
// overlap (a transaction plus a read); RDS Proxy multiplexes them onto
// the database's connections.
const (
	maxConns       = 2
	connectTimeout = 3 * time.Second
	// maxConnLifetime stays under the 15 minutes an IAM token is valid for
	// opening a connection, so reconnects never use a stale token (each new
	// connection builds a fresh one anyway).
	maxConnLifetime   = 10 * time.Minute
	maxConnIdleTime   = 5 * time.Minute
	healthCheckPeriod = 30 * time.Second
)

// Config builds the pool configuration from the environment: DATABASE_URL
// when set (local development), otherwise DB_HOST/DB_PORT/DB_NAME/DB_USER
// with an IAM token as password (DB_IAM_AUTH) over TLS that verifies the
// server: sslmode=verify-full checks the certificate's chain against the
// system's roots and its name against DB_HOST. RDS Proxy's certificates
// come from ACM and chain to Amazon's public roots, which the Lambda
// runtime's CA bundle holds, so no RDS CA bundle ships with the code. In
// pgx, sslmode=require encrypts without verifying anything: whoever
// answers on the proxy's address would receive the IAM token.
func Config(e env.DB, a env.AWS) (*pgxpool.Config, error) {
	if err := e.Check(); err != nil {
		return nil, err
	}
	dsn := e.URL
	if dsn == "" {
		dsn = fmt.Sprintf("host=%s port=%d dbname=%s user=%s sslmode=verify-full", e.Host, e.Port, e.Name, e.User)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database settings: %w", err)
	}
	cfg.MaxConns = maxConns
	cfg.MinConns = 0
	cfg.MaxConnLifetime = maxConnLifetime
	cfg.MaxConnIdleTime = maxConnIdleTime
	cfg.HealthCheckPeriod = healthCheckPeriod
	cfg.ConnConfig.ConnectTimeout = connectTimeout
	// RDS Proxy pins a client to one database connection for the rest of
	// the session as soon as the session creates a named prepared
	// statement, which pgx's default mode (cache_statement) does for every
	// query; a pinned connection cannot be multiplexed, which defeats the
	// proxy. cache_describe sends every query as an unnamed statement
	// (Parse/Bind/Execute in one round trip) and caches only the parameter
	// and result types client-side, so nothing pins and we keep binary
	// encoding. The cached descriptions are per connection and our queries
	// never SELECT *, so a migration adding a column cannot invalidate them.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	if e.URL == "" && e.IAMAuth {
		if a.Region == "" || a.AccessKeyID == "" || a.SecretAccessKey == "" {
			return nil, fmt.Errorf("%s=true needs %s, %s and %s", routes.EnvDBIAMAuth,
				routes.EnvAWSRegion, routes.EnvAWSAccessKeyID, routes.EnvAWSSecretAccessKey)
		}
		endpoint := net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
		// Lambda's execution-role credentials in the environment stay valid
		// for the life of the execution environment, so a static provider
		// suffices and we avoid aws-sdk-go-v2/config and its weight.
		creds := aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{
				AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretAccessKey,
				SessionToken: a.SessionToken, Source: "LambdaEnvironment",
			}, nil
		})
		user := e.User
		cfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
			token, err := rdsauth.BuildAuthToken(ctx, endpoint, a.Region, user, creds)
			if err != nil {
				return fmt.Errorf("build RDS IAM auth token: %w", err)
			}
			cc.Password = token
			return nil
		}
	}
	return cfg, nil
}

// LiftStatementTimeout is an AfterConnect hook that turns off the
// database's statement_timeout (30 s in the stage's parameter group, so no
// API query outlives API Gateway) for one session: a migration may build
// an index for minutes. The SET pins the session to its connection behind
// RDS Proxy, as the migration's advisory lock does anyway.
func LiftStatementTimeout(ctx context.Context, c *pgx.Conn) error {
	if _, err := c.Exec(ctx, "SET statement_timeout = 0"); err != nil {
		return fmt.Errorf("lift statement_timeout: %w", err)
	}
	return nil
}

// Open returns a pool for cfg. It does not connect; Warm does.
func Open(ctx context.Context, cfg *pgxpool.Config) (*pgxpool.Pool, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create database pool: %w", err)
	}
	return pool, nil
}

// Warm opens one connection during init, when Lambda gives the function
// full CPU and provisioned concurrency hides the cost from users. A
// failure is returned for logging only: the first request retries.
func Warm(ctx context.Context, pool *pgxpool.Pool, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return pool.Ping(ctx)
}

// Querier is what stores need from a pool or a transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

var (
	_ Querier = (*pgxpool.Pool)(nil)
	_ Querier = (pgx.Tx)(nil)
)

// observe records the duration of the named query since start.
func observe(ctx context.Context, name string, start time.Time) {
	emf.FromContext(ctx).Since(metrics.QueryDuration, start, metrics.DimQuery, name)
}

// lockNotAvailable is SQLSTATE 55P03: a lock_timeout ran out.
const lockNotAvailable = "55P03"

// classify turns a failure to reach the database, or a lock waited for
// too long, into an Unavailable error (HTTP 503) and wraps anything else
// with what was being done.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	if apperr.As(err) != nil {
		return err
	}
	if unreachable(err) {
		return apperr.Wrap(apperr.Unavailable, err, "the database is unavailable, try again shortly")
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == lockNotAvailable {
		return apperr.Wrap(apperr.Unavailable, err, "another request is changing the same record, try again shortly")
	}
	return fmt.Errorf("%s: %w", what, err)
}

// unreachable reports whether err means the database could not be reached
// or went away, as opposed to rejecting a statement.
func unreachable(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		// Class 08 connection exceptions, 57P0x operator intervention
		// (admin shutdown, crash shutdown, cannot connect now).
		return pgErr.Code[:2] == "08" || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, context.DeadlineExceeded):
		return true
	case pgconn.SafeToRetry(err):
		return true
	}
	return false
}
