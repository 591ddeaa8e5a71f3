package razorpay_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/payments"
	"github.com/hasivu/infra/lambda/razorpay"
	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
)

// TestMethods reads the Methods API's answer (the stand-in's, which has
// Razorpay's documented shape) into the methods the checkout shows, and
// authenticates with the key id alone, as Razorpay asks.
func TestMethods(t *testing.T) {
	rp := razorpaytest.New("rzp_test_key", "secret")
	defer rp.Close()
	c := &razorpay.Client{BaseURL: rp.URL, KeyID: "rzp_test_key", KeySecret: "secret"}
	m, err := c.Methods(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &payments.Methods{Card: true, UPI: true, EMI: true,
		CardNetworks: []string{"DICL", "MAES", "MC", "RUPAY", "VISA"},
		Netbanking: []payments.Bank{{Code: "UTIB", Name: "Axis Bank"}, {Code: "HDFC", Name: "HDFC Bank"},
			{Code: "ICIC", Name: "ICICI Bank"}, {Code: "SBIN", Name: "State Bank of India"}},
		Wallets: []string{"airtelmoney", "amazonpay", "mobikwik"}}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("methods\n%+v, want\n%+v", m, want)
	}
	bad := &razorpay.Client{BaseURL: rp.URL, KeyID: "rzp_test_other"}
	if _, err := bad.Methods(context.Background()); apperr.CodeOf(err) != apperr.Unavailable || !errors.Is(err, razorpay.ErrCredentialsRefused) {
		t.Errorf("another key: %v, want unavailable, credentials refused", err)
	}
}

// TestMethodsAnswers: what Razorpay may answer besides the methods.
func TestMethodsAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		body   string
		code   apperr.Code
		check  func(*payments.Methods) bool
	}{
		{"nothing enabled: empty arrays for maps", 200,
			`{"entity":"methods","card":false,"card_networks":{},"netbanking":[],"wallet":[],"upi":true,"emi":false}`, "",
			func(m *payments.Methods) bool {
				return m.UPI && m.Netbanking != nil && len(m.Netbanking) == 0 && m.Wallets != nil && len(m.Wallets) == 0
			}},
		{"null maps", 200, `{"entity":"methods","netbanking":null,"wallet":null}`, "", func(m *payments.Methods) bool { return !m.Card }},
		{"down", 503, `{"error":{"code":"SERVER_ERROR"}}`, apperr.Unavailable, nil},
		{"rate limited", 429, `{}`, apperr.Unavailable, nil},
		{"another entity", 200, `{"entity":"order"}`, apperr.Internal, nil},
		{"not JSON", 200, `<html>`, apperr.Internal, nil},
		{"netbanking of another shape", 200, `{"entity":"methods","netbanking":["HDFC"]}`, apperr.Internal, nil},
		{"refused request", 400, `{"error":{"code":"BAD_REQUEST_ERROR"}}`, apperr.Internal, nil},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if id, secret, _ := r.BasicAuth(); id != "rzp_test_key" || secret != "" || r.URL.Path != "/v1/methods" {
				t.Errorf("%s: asked %s as %q:%q", tc.name, r.URL.Path, id, secret)
			}
			w.WriteHeader(tc.status)
			_, _ = w.Write([]byte(tc.body))
		}))
		m, err := (&razorpay.Client{BaseURL: srv.URL + "/", KeyID: "rzp_test_key", KeySecret: "not sent"}).Methods(context.Background())
		srv.Close()
		if apperr.CodeOf(err) != tc.code || (tc.check != nil && (m == nil || !tc.check(m))) {
			t.Errorf("%s: %+v, %v; want %q", tc.name, m, err, tc.code)
		}
		if err != nil && strings.Contains(err.Error(), "not sent") {
			t.Errorf("%s: the key secret leaked into %v", tc.name, err)
		}
	}
}
