package postgres

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

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

// TestProxyConnectionsVerifyTheServer: outside local development (no
// DATABASE_URL) the pool verifies the server's certificate chain and name
// and has no plaintext or unverified fallback.
func TestProxyConnectionsVerifyTheServer(t *testing.T) {
	cfg, err := Config(env.DB{Host: "proxy.example.internal", Port: 5432, Name: "hasivu", User: "app", IAMAuth: true},
		env.AWS{Region: "ap-south-1", AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	tc := cfg.ConnConfig.TLSConfig
	if tc == nil {
		t.Fatal("no TLS: the connection to the proxy would be plaintext")
	}
	if tc.InsecureSkipVerify || tc.ServerName != "proxy.example.internal" {
		t.Fatalf("TLS skips verification (%v) or checks the name %q: the server's certificate must be verified against proxy.example.internal",
			tc.InsecureSkipVerify, tc.ServerName)
	}
	for _, fb := range cfg.ConnConfig.Fallbacks {
		if fb.TLSConfig == nil || fb.TLSConfig.InsecureSkipVerify {
			t.Errorf("fallback to %s:%d without a verified TLS connection", fb.Host, fb.Port)
		}
	}
}

// TestImpersonatorGetsNoToken puts a server that speaks PostgreSQL's TLS
// negotiation with a certificate no public root signed (what someone in the
// network path could present) where the proxy should be: the connection
// must fail during the handshake, before the IAM token is sent.
func TestImpersonatorGetsNoToken(t *testing.T) {
	cert := selfSigned(t, "127.0.0.1")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		ssl := make([]byte, 8) // SSLRequest: length 8, code 80877103
		if _, err := io.ReadFull(c, ssl); err != nil {
			got <- nil
			return
		}
		c.Write([]byte{'S'})
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		if err := tc.Handshake(); err != nil {
			got <- nil // the client refused the certificate
			return
		}
		startup, _ := io.ReadAll(tc)
		got <- startup
	}()
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	p, _ := strconv.Atoi(port)
	cfg, err := Config(env.DB{Host: host, Port: p, Name: "hasivu", User: "app", IAMAuth: true},
		env.AWS{Region: "ap-south-1", AccessKeyID: "AKIAEXAMPLE", SecretAccessKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pgx.ConnectConfig(context.Background(), cfg.ConnConfig)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("connecting to an impersonator: %v, want the certificate refused as signed by an unknown authority", err)
	}
	if startup := <-got; len(startup) > 0 {
		t.Errorf("the impersonator received %d bytes after the handshake (the startup message and token)", len(startup))
	}
}

// selfSigned returns a certificate for host that no root signed.
func selfSigned(t *testing.T, host string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host},
		IPAddresses: []net.IP{net.ParseIP(host)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
