package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// isolate keeps the machine's AWS configuration out of a test.
func isolate(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_PROFILE": "",
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1", "AWS_ENDPOINT_URL": "",
	} {
		t.Setenv(k, v)
	}
}

func TestCannotStart(t *testing.T) {
	isolate(t)
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"no stage", nil, "usage: preflight -stage NAME"},
		{"unknown stage", []string{"-stage", "nosuch"}, "nosuch"},
		{"bad flag", []string{"-stag", "dev"}, "flag provided but not defined"},
		{"no credentials", []string{"-stage", "dev"}, "preflight: no AWS credentials for account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(t.Context(), tt.args, &stdout, &stderr); code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.says) || stdout.Len() > 0 {
				t.Errorf("stdout %q, stderr %q; want the error saying %q", stdout.String(), stderr.String(), tt.says)
			}
		})
	}
}

// TestExitsOneWhenAChecksFails runs the command as make preflight does,
// with the default credential chain and AWS_ENDPOINT_URL aimed at a
// server that refuses every call.
func TestExitsOneWhenAChecksFails(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"__type":"AccessDeniedException","message":"denied"}`))
	}))
	defer srv.Close()
	isolate(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDPREFLIGHTTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)

	var stdout, stderr bytes.Buffer
	// prod, whose edge stack and custom domain make every check ask AWS,
	// us-east-1's bootstrap and certificate too.
	code := run(t.Context(), []string{"-stage", "prod"}, &stdout, &stderr)
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if code != 1 || len(lines) != 10 || lines[9] != "preflight: 9 of 9 checks failed" {
		t.Errorf("exit %d, stdout:\n%s\nstderr:\n%s\nwant exit 1, a FAIL line per check and the count", code, stdout.String(), stderr.String())
	}
}
