// Package secrets reads Secrets Manager secrets through the AWS Parameters
// and Secrets Lambda extension, which serves them from a local cache on
// localhost, so a function needs neither the AWS SDK's Secrets Manager
// client nor a network call per request. Functions read each secret once,
// at init.
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

// Client reads secrets from the extension.
type Client struct {
	// Endpoint is the extension's base URL.
	Endpoint string
	// Token is AWS_SESSION_TOKEN, which the extension requires in the
	// X-Aws-Parameters-Secrets-Token header.
	Token string
	// HTTP is the client to use; nil means one with a 3 s timeout.
	HTTP *http.Client
}

// Get returns the SecretString of the secret id (a name or ARN). It
// retries briefly while the extension is still starting.
func (c *Client) Get(ctx context.Context, id string) (string, error) {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 3 * time.Second}
	}
	u := strings.TrimRight(c.Endpoint, "/") + "/secretsmanager/get?secretId=" + url.QueryEscape(id)
	var lastErr error
	for attempt := range 3 {
		if attempt > 0 {
			time.Sleep(time.Duration(attempt) * 50 * time.Millisecond)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return "", err
		}
		req.Header.Set("X-Aws-Parameters-Secrets-Token", c.Token)
		resp, err := hc.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if err != nil {
			lastErr = err
			continue
		}
		if resp.StatusCode != http.StatusOK {
			lastErr = fmt.Errorf("extension answered %s: %s", resp.Status, strings.TrimSpace(string(body)))
			if resp.StatusCode >= 500 {
				continue
			}
			break
		}
		var v struct {
			SecretString *string `json:"SecretString"`
		}
		if err := json.Unmarshal(body, &v); err != nil {
			return "", fmt.Errorf("read secret %s: %w", id, err)
		}
		if v.SecretString == nil {
			return "", fmt.Errorf("secret %s has no SecretString (binary secrets are not supported)", id)
		}
		return *v.SecretString, nil
	}
	return "", fmt.Errorf("read secret %s: %w", id, lastErr)
}

// Razorpay is the JSON held by the Razorpay secret.
type Razorpay struct {
	KeyID         string `json:"keyId"`
	KeySecret     string `json:"keySecret"`
	WebhookSecret string `json:"webhookSecret"`
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
