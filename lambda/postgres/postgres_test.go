package postgres

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/testsupport"
)

func TestConfigForRDSProxy(t *testing.T) {
	db := env.DB{Host: "proxy.example.internal", Port: 5432, Name: "hasivu", User: "app", IAMAuth: true}
	aws := env.AWS{Region: "ap-south-1", AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "secret", SessionToken: "session"}
	cfg, err := Config(db, aws)
	if err != nil {
		t.Fatal(err)
	}
	cc := cfg.ConnConfig
	if cc.Host != "proxy.example.internal" || cc.Database != "hasivu" || cc.User != "app" || cc.TLSConfig == nil {
		t.Errorf("connection config: host %s db %s user %s TLS %v", cc.Host, cc.Database, cc.User, cc.TLSConfig != nil)
	}
	if cc.DefaultQueryExecMode != pgx.QueryExecModeCacheDescribe {
		t.Errorf("exec mode %v: named prepared statements would pin RDS Proxy sessions", cc.DefaultQueryExecMode)
	}
	if cfg.MaxConns != 2 {
		t.Errorf("MaxConns %d", cfg.MaxConns)
	}
	// Each new connection gets a freshly signed IAM token as password.
	c := cc.Copy()
	if err := cfg.BeforeConnect(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"proxy.example.internal:5432?", "Action=connect", "DBUser=app",
		"X-Amz-Credential=AKIAEXAMPLE", "X-Amz-Security-Token=session", "ap-south-1%2Frds-db"} {
		if !strings.Contains(c.Password, part) {
			t.Errorf("token %q lacks %q", c.Password, part)
		}
	}
	if _, err := Config(db, env.AWS{}); err == nil || !strings.Contains(err.Error(), "AWS_REGION") {
		t.Errorf("IAM auth without credentials: %v", err)
	}
	if _, err := Config(env.DB{Host: "h", Name: "n"}, aws); err == nil || !strings.Contains(err.Error(), "DB_USER") {
		t.Errorf("missing DB_USER: %v", err)
	}
}

func TestClassify(t *testing.T) {
	if code := apperr.CodeOf(classify(&pgconn.PgError{Code: "23505"}, "insert")); code != apperr.Internal {
		t.Errorf("unique violation classified %s", code)
	}
	if code := apperr.CodeOf(classify(&pgconn.PgError{Code: "57P01"}, "query")); code != apperr.Unavailable {
		t.Errorf("admin shutdown classified %s", code)
	}
	if code := apperr.CodeOf(classify(context.DeadlineExceeded, "query")); code != apperr.Unavailable {
		t.Errorf("timeout classified %s", code)
	}
	// A real refused connection.
	_, err := pgx.Connect(context.Background(), "postgres://postgres@"+testsupport.ClosedAddr(t)+"/x?sslmode=disable")
	if code := apperr.CodeOf(classify(err, "connect")); code != apperr.Unavailable {
		t.Errorf("refused connection (%v) classified %s", err, code)
	}
	coded := apperr.New(apperr.NotFound, "x")
	if got := classify(coded, "q"); !errors.Is(got, coded) {
		t.Error("classify rewrapped a coded error")
	}
}
