// Package secrets reads Secrets Manager secrets through the AWS Parameters
// and Secrets Lambda extension, which serves them from a local cache on
// localhost, so a function needs neither the AWS SDK's Secrets Manager
// client nor a network call per request. Functions read the Redis AUTH
// token at init, the others on first use, and each again every few
// minutes, so that a rotated secret reaches warm environments.
package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultEndpoint is where the extension listens unless
// PARAMETERS_SECRETS_EXTENSION_HTTP_PORT says otherwise.
const DefaultEndpoint = "http://localhost:2773"

// DefaultReadyWait is how long Get waits, in all, for an extension that
// is still starting. The extension starts beside the runtime and answers
// 400 "not ready to serve traffic" (or refuses connections) until it has
// registered; that takes milliseconds, so two seconds leave a wide margin
// and still fail an init well inside Lambda's 10 s init limit.
const DefaultReadyWait = 2 * time.Second

// Client reads secrets from the extension.
type Client struct {
	// Endpoint is the extension's base URL.
	Endpoint string
	// Token is AWS_SESSION_TOKEN, which the extension requires in the
	// X-Aws-Parameters-Secrets-Token header.
	Token string
	// HTTP is the client to use; nil means one with a 3 s timeout.
	HTTP *http.Client
	// ReadyWait bounds the retries while the extension is starting.
	// Default DefaultReadyWait.
	ReadyWait time.Duration
}

// Get returns the SecretString of the secret id (a name or ARN). While
// the extension is still starting (no connection, a 5xx, or its 400 "not
// ready") it retries with growing pauses for at most ReadyWait; any other
// answer is final. Every error names the secret.
func (c *Client) Get(ctx context.Context, id string) (string, error) {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 3 * time.Second}
	}
	wait := c.ReadyWait
	if wait <= 0 {
		wait = DefaultReadyWait
	}
	deadline := time.Now().Add(wait)
	u := strings.TrimRight(c.Endpoint, "/") + "/secretsmanager/get?secretId=" + url.QueryEscape(id)
	pause := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		v, retry, err := c.get(ctx, hc, u)
		if err == nil {
			return v, nil
		}
		if !retry {
			return "", fmt.Errorf("read secret %s: %w", id, err)
		}
		if time.Now().Add(pause).After(deadline) {
			return "", fmt.Errorf("read secret %s: the Parameters and Secrets extension was not ready after %s (%d attempts): %w",
				id, wait, attempt, err)
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("read secret %s: %w (last: %v)", id, ctx.Err(), err)
		case <-time.After(pause):
		}
		pause = min(2*pause, 200*time.Millisecond)
	}
}

// get asks the extension once and says whether a failure is the
// extension still starting.
func (c *Client) get(ctx context.Context, hc *http.Client, u string) (string, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", false, err
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", c.Token)
	resp, err := hc.Do(req)
	if err != nil {
		return "", ctx.Err() == nil, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	if err != nil {
		return "", true, err
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(body))
		notReady := resp.StatusCode == http.StatusBadRequest && strings.Contains(strings.ToLower(msg), "not ready")
		return "", resp.StatusCode >= 500 || notReady, fmt.Errorf("extension answered %s: %s", resp.Status, msg)
	}
	var v struct {
		SecretString *string `json:"SecretString"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return "", false, fmt.Errorf("extension answered unreadable JSON: %w", err)
	}
	if v.SecretString == nil {
		return "", false, errors.New("no SecretString (binary secrets are not supported)")
	}
	return *v.SecretString, false, nil
}

// Razorpay is the JSON held by the Razorpay secret.
type Razorpay struct {
	KeyID         string `json:"keyId"`
	KeySecret     string `json:"keySecret"`
	WebhookSecret string `json:"webhookSecret"`
	// PreviousWebhookSecret, optional, is accepted beside WebhookSecret
	// while Razorpay's dashboard is switched to a new one (README,
	// Rotating the Razorpay webhook secret).
	PreviousWebhookSecret string `json:"previousWebhookSecret,omitempty"`
}

// ParseRazorpay decodes the Razorpay secret's JSON.
func ParseRazorpay(s string) (Razorpay, error) {
	var r Razorpay
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		return Razorpay{}, errors.New(`Razorpay secret must be JSON {"keyId":..., "keySecret":..., "webhookSecret":...}`)
	}
	return r, nil
}

// ParseRedisAuth returns the Redis AUTH token from its secret, which is
// either the token itself or JSON with a "password" or "authToken" field
// (the shapes ElastiCache set-ups commonly use).
func ParseRedisAuth(s string) (string, error) {
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "{") {
		if t == "" {
			return "", errors.New("Redis AUTH secret is empty")
		}
		return t, nil
	}
	var v struct {
		Password  string `json:"password"`
		AuthToken string `json:"authToken"`
	}
	if err := json.Unmarshal([]byte(t), &v); err != nil {
		return "", fmt.Errorf("Redis AUTH secret looks like JSON but does not parse: %w", err)
	}
	switch {
	case v.Password != "":
		return v.Password, nil
	case v.AuthToken != "":
		return v.AuthToken, nil
	}
	return "", errors.New(`Redis AUTH secret JSON has neither "password" nor "authToken"`)
}
