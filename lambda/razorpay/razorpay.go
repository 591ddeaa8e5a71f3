// Package razorpay adapts Razorpay to the payments domain both ways: a
// client for the one Razorpay API call the platform makes, creating an
// order (POST /v1/orders, HTTP basic auth with the key id and secret), as
// payments.Gateway; and Webhook, which checks the signature of Razorpay's
// webhook deliveries and reads them into payments.Event.
package razorpay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/payments"
)

// Client calls Razorpay's Orders API.
type Client struct {
	BaseURL   string
	KeyID     string
	KeySecret string
	// HTTP is the client to use; nil means one with a 5 s timeout.
	HTTP *http.Client
}

var _ payments.Gateway = (*Client)(nil)

type orderRequest struct {
	Amount   int64             `json:"amount"`
	Currency string            `json:"currency"`
	Receipt  string            `json:"receipt"`
	Notes    map[string]string `json:"notes,omitempty"`
}

type orderResponse struct {
	ID       string `json:"id"`
	Entity   string `json:"entity"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Status   string `json:"status"`
}

// ErrCredentialsRefused is the cause of an Unavailable error when
// Razorpay refused the key id and secret: the secret holds wrong ones.
var ErrCredentialsRefused = errors.New("razorpay refused the key id and secret")

// CreateOrder implements payments.Gateway. A network failure, a timeout
// or a 5xx from Razorpay is Unavailable (try again), and so is a refusal
// of our credentials (ErrCredentialsRefused: fix the secret); any other
// refusal is an internal error, since our request is at fault.
func (c *Client) CreateOrder(ctx context.Context, amount int64, currency, receipt string, notes map[string]string) (*payments.GatewayOrder, error) {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	body, err := json.Marshal(orderRequest{Amount: amount, Currency: currency, Receipt: receipt, Notes: notes})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.BaseURL, "/")+"/v1/orders", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.KeyID, c.KeySecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "the payment provider is unavailable, try again shortly")
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "the payment provider is unavailable, try again shortly")
	}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, apperr.Wrap(apperr.Unavailable, fmt.Errorf("razorpay answered %s: %s", resp.Status, b),
			"the payment provider is unavailable, try again shortly")
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, apperr.Wrap(apperr.Unavailable, fmt.Errorf("%w (%s): %s", ErrCredentialsRefused, resp.Status, b),
			"the payment provider refused our credentials, try again later")
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("razorpay refused the order (%s): %s", resp.Status, b)
	}
	var o orderResponse
	if err := json.Unmarshal(b, &o); err != nil || o.ID == "" {
		return nil, fmt.Errorf("razorpay answered an unreadable order: %s", b)
	}
	return &payments.GatewayOrder{ID: o.ID, Amount: o.Amount, Currency: o.Currency, Status: o.Status}, nil
}
