package secrets

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
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
