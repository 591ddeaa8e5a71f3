package secrets

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// extension stands in for the AWS Parameters and Secrets Lambda
// extension's HTTP interface.
func extension(t *testing.T, secrets map[string]string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/secretsmanager/get" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("X-Aws-Parameters-Secrets-Token") != "session-token" {
			http.Error(w, "missing token", http.StatusForbidden)
			return
		}
		v, ok := secrets[r.URL.Query().Get("secretId")]
		if !ok {
			http.Error(w, "ResourceNotFoundException", http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"ARN":"x","Name":"n","SecretString":` + v + `,"VersionId":"v"}`))
	}))
	t.Cleanup(s.Close)
	return s
}

func TestGet(t *testing.T) {
	arn := "arn:aws:secretsmanager:ap-south-1:123:secret:jwt/key-AbC"
	s := extension(t, map[string]string{arn: `"the-key"`})
	c := &Client{Endpoint: s.URL, Token: "session-token"}
	got, err := c.Get(context.Background(), arn)
	if err != nil || got != "the-key" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if _, err := c.Get(context.Background(), "arn:missing"); err == nil || !strings.Contains(err.Error(), "arn:missing") {
		t.Errorf("missing secret: %v", err)
	}
	bad := &Client{Endpoint: s.URL, Token: "wrong"}
	if _, err := bad.Get(context.Background(), arn); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("wrong token: %v", err)
	}
}

func TestParseRedisAuth(t *testing.T) {
	for in, want := range map[string]string{
		"plain-token":                            "plain-token",
		`{"password":"p1"}`:                      "p1",
		`{"authToken":"t1"}`:                     "t1",
		`{"username":"default","password":"p2"}`: "p2",
	} {
		if got, err := ParseRedisAuth(in); err != nil || got != want {
			t.Errorf("ParseRedisAuth(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", `{"user":"x"}`, `{"password":`} {
		if _, err := ParseRedisAuth(in); err == nil {
			t.Errorf("ParseRedisAuth(%q) accepted", in)
		}
	}
}

func TestParseRazorpay(t *testing.T) {
	r, err := ParseRazorpay(`{"keyId":"rzp_live_x","keySecret":"s","webhookSecret":"w"}`)
	if err != nil || r.KeyID != "rzp_live_x" || r.KeySecret != "s" || r.WebhookSecret != "w" {
		t.Errorf("ParseRazorpay = %+v, %v", r, err)
	}
	if _, err := ParseRazorpay("rzp_live_x:s"); err == nil {
		t.Error("accepted a non-JSON Razorpay secret")
	}
}

// startingExtension answers as the extension does while it starts: 400
// "not ready to serve traffic, please wait" for its first notReady calls,
// then the secret. It counts the calls.
func startingExtension(t *testing.T, notReady int) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		switch {
		case notReady < 0 || int(n) <= notReady:
			http.Error(w, "not ready to serve traffic, please wait", http.StatusBadRequest)
		case r.URL.Query().Get("secretId") == "missing":
			http.Error(w, "ResourceNotFoundException: Secrets Manager can't find the specified secret.", http.StatusBadRequest)
		default:
			_, _ = w.Write([]byte(`{"SecretString":"the-key"}`))
		}
	}))
	t.Cleanup(s.Close)
	return s, &calls
}

func TestGetWaitsForTheExtension(t *testing.T) {
	s, calls := startingExtension(t, 4)
	c := &Client{Endpoint: s.URL, Token: "t"}
	if got, err := c.Get(context.Background(), "jwt"); err != nil || got != "the-key" || calls.Load() != 5 {
		t.Fatalf("Get = %q, %v after %d calls; want the key on the 5th", got, err, calls.Load())
	}

	// A 400 that is not "not ready" is final at once.
	s, calls = startingExtension(t, 0)
	c = &Client{Endpoint: s.URL, Token: "t"}
	if _, err := c.Get(context.Background(), "missing"); err == nil || !strings.Contains(err.Error(), "missing") || calls.Load() != 1 {
		t.Errorf("missing secret: %v after %d calls, want one call and an error naming it", err, calls.Load())
	}

	// An extension that never gets ready: the wait is bounded and the
	// error names the secret and the cause.
	s, calls = startingExtension(t, -1)
	c = &Client{Endpoint: s.URL, Token: "t", ReadyWait: 100 * time.Millisecond}
	_, err := c.Get(context.Background(), "arn:razorpay")
	if err == nil || !strings.Contains(err.Error(), "arn:razorpay") || !strings.Contains(err.Error(), "not ready") {
		t.Errorf("never ready: %v", err)
	}
	if n := calls.Load(); n > 20 {
		t.Errorf("%d calls within a 100 ms wait", n)
	}

	// Nothing listening yet counts as starting too.
	c = &Client{Endpoint: "http://" + closedAddr(t), Token: "t", ReadyWait: 50 * time.Millisecond}
	if _, err := c.Get(context.Background(), "jwt"); err == nil || !strings.Contains(err.Error(), "not ready after") {
		t.Errorf("no extension: %v", err)
	}
}

func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
