package razorpay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/payments"
)

var _ payments.MethodsGateway = (*Client)(nil)

// methodsResponse is Razorpay's answer to GET /v1/methods (Methods API,
// https://razorpay.com/docs/payments/payment-gateway/s2s-integration/payment-methods/methods-api):
// an object of entity "methods" with a flag per method and, for cards,
// netbanking and wallets, what is enabled. Netbanking maps bank codes to
// names and wallets names to flags; an account without any answers an
// empty array instead (Razorpay's PHP serialises an empty map so), which
// listOrMap reads as none.
type methodsResponse struct {
	Entity       string          `json:"entity"`
	Card         bool            `json:"card"`
	CardNetworks map[string]int  `json:"card_networks"`
	Netbanking   json.RawMessage `json:"netbanking"`
	Wallet       json.RawMessage `json:"wallet"`
	UPI          bool            `json:"upi"`
	EMI          bool            `json:"emi"`
}

// listOrMap decodes an object into dst, or nothing from an empty array
// or null.
func listOrMap(raw json.RawMessage, dst any) error {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) || bytes.Equal(t, []byte("[]")) {
		return nil
	}
	return json.Unmarshal(t, dst)
}

// Methods implements payments.MethodsGateway: GET /v1/methods,
// authenticated with the key id alone, as Razorpay asks (the methods are
// what its checkout shows any buyer). A network failure, a timeout, a
// 5xx or 429, or a refused key is Unavailable, the last with
// ErrCredentialsRefused; an answer that is not the methods entity is an
// internal error.
func (c *Client) Methods(ctx context.Context) (*payments.Methods, error) {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(c.BaseURL, "/")+"/v1/methods", nil)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(c.KeyID, "")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "%s", unavailable)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "%s", unavailable)
	}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, apperr.Wrap(apperr.Unavailable, fmt.Errorf("razorpay answered %s: %s", resp.Status, b), "%s", unavailable)
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, apperr.Wrap(apperr.Unavailable, fmt.Errorf("%w (%s): %s", ErrCredentialsRefused, resp.Status, b),
			"the payment provider refused our credentials, try again later")
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("razorpay refused the methods request (%s): %s", resp.Status, b)
	}
	var r methodsResponse
	if err := json.Unmarshal(b, &r); err != nil || r.Entity != "methods" {
		return nil, fmt.Errorf("razorpay answered unreadable methods (%v): %.200s", err, b)
	}
	banks := map[string]string{}
	wallets := map[string]bool{}
	if err := listOrMap(r.Netbanking, &banks); err != nil {
		return nil, fmt.Errorf("razorpay answered unreadable netbanking (%v): %.200s", err, r.Netbanking)
	}
	if err := listOrMap(r.Wallet, &wallets); err != nil {
		return nil, fmt.Errorf("razorpay answered unreadable wallets (%v): %.200s", err, r.Wallet)
	}
	m := &payments.Methods{Card: r.Card, UPI: r.UPI, EMI: r.EMI, CardNetworks: []string{}, Netbanking: []payments.Bank{}, Wallets: []string{}}
	for network, on := range r.CardNetworks {
		if on != 0 {
			m.CardNetworks = append(m.CardNetworks, network)
		}
	}
	slices.Sort(m.CardNetworks)
	for code, name := range banks {
		m.Netbanking = append(m.Netbanking, payments.Bank{Code: code, Name: name})
	}
	slices.SortFunc(m.Netbanking, func(a, b payments.Bank) int {
		return strings.Compare(a.Name+"\x00"+a.Code, b.Name+"\x00"+b.Code)
	})
	for name, on := range wallets {
		if on {
			m.Wallets = append(m.Wallets, name)
		}
	}
	slices.Sort(m.Wallets)
	return m, nil
}

// unavailable is the message of an Unavailable error from Razorpay.
const unavailable = "the payment provider is unavailable, try again shortly"
