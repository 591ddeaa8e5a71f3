package functions_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/payments"
	"github.com/hasivu/infra/lambda/routes"
)

// methods reads GET /payments/methods with token.
func (f *fixture) methods(token string) response {
	f.t.Helper()
	return f.call(routes.PaymentsCreateOrder, request{method: "GET", token: token})
}

func TestPaymentsMethods(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	r := f.methods(token)
	if r.status != 200 {
		t.Fatalf("methods: %d %s", r.status, r.raw)
	}
	var got payments.Methods
	if err := json.Unmarshal([]byte(r.raw), &got); err != nil {
		t.Fatal(err)
	}
	// What the stand-in's Methods API answered, as the checkout needs it:
	// enabled networks and wallets only, banks by name.
	want := `{"card":true,"cardNetworks":["DICL","MAES","MC","RUPAY","VISA"],"upi":true,"netbanking":[` +
		`{"code":"UTIB","name":"Axis Bank"},{"code":"HDFC","name":"HDFC Bank"},{"code":"ICIC","name":"ICICI Bank"},` +
		`{"code":"SBIN","name":"State Bank of India"}],"wallets":["airtelmoney","amazonpay","mobikwik"],"emi":true}`
	if r.raw != want {
		t.Errorf("methods\n%s, want\n%s", r.raw, want)
	}
	if n := f.razorpay.MethodsCalls.Load(); n != 1 {
		t.Errorf("Razorpay asked %d times, want 1", n)
	}
	// Cached for the plan's 1800 s under the Razorpay account.
	if ttl := f.redisTTL("payment-methods:" + f.razorpay.KeyID); ttl <= 1790*time.Second || ttl > 1800*time.Second {
		t.Errorf("methods cache TTL = %s, want 1800 s", ttl)
	}
	other := f.login("other@test.example")
	if r := f.methods(other); r.status != 200 || r.raw != want || f.razorpay.MethodsCalls.Load() != 1 {
		t.Errorf("second read: %d %s after %d Razorpay calls, want the cached answer", r.status, r.raw, f.razorpay.MethodsCalls.Load())
	}
	if !strings.Contains(f.metrics.String(), `"Cache":"payment-methods"`) || !strings.Contains(f.metrics.String(), `"CacheHits":[1]`) {
		t.Error("no payment-methods cache hit recorded")
	}

	// Razorpay goes down: the cached answer is still served.
	f.razorpay.FailWith.Store(503)
	if r := f.methods(token); r.status != 200 || r.raw != want {
		t.Errorf("Razorpay down, answer cached: %d %s, want the cached methods", r.status, r.raw)
	}
	// Without a cached answer, a clear 503, and nothing cached.
	f.redis.Del(t.Context(), f.prefix+"payment-methods:"+f.razorpay.KeyID)
	r = f.methods(token)
	if r.status != 503 || r.errorCode() != "unavailable" || !strings.Contains(r.errorMessage(), "payment provider is unavailable") {
		t.Errorf("Razorpay down, nothing cached: %d %s, want 503", r.status, r.raw)
	}
	// Razorpay back: answered and cached again.
	f.razorpay.FailWith.Store(0)
	if r := f.methods(token); r.status != 200 || r.raw != want {
		t.Errorf("Razorpay back: %d %s", r.status, r.raw)
	}
	// Razorpay refusing our key is a 503 too, counted as a secret failure.
	f.redis.Del(t.Context(), f.prefix+"payment-methods:"+f.razorpay.KeyID)
	f.razorpay.FailWith.Store(401)
	if r := f.methods(token); r.status != 503 || !strings.Contains(r.errorMessage(), "refused our credentials") {
		t.Errorf("key refused: %d %s", r.status, r.raw)
	}
	if m := f.metrics.String(); !strings.Contains(m, `"SecretFailures":[1]`) {
		t.Error("a refused key was not counted as a secret failure")
	}
	f.razorpay.FailWith.Store(0)

	if r := f.methods(""); r.status != 401 {
		t.Errorf("no token: %d %s", r.status, r.raw)
	}
	if r := f.methods(signedToken(t, inactiveID, "parent", "")); r.status != 403 {
		t.Errorf("inactive account: %d %s", r.status, r.raw)
	}
}

// TestPaymentsMethodsWithoutCredentials: until the Razorpay secret is
// filled in, the methods answer 503 like every payment request, counted
// as a secret failure.
func TestPaymentsMethodsWithoutCredentials(t *testing.T) {
	t.Parallel()
	ext := newSecretsExtension(t, map[string]string{"arn:razorpay": `{"keyId":"","keySecret":"","webhookSecret":""}`})
	f := newFixture(t, fixtureOpts{razorpaySecret: ext})
	if r := f.methods(f.login("parent@test.example")); r.status != 503 || !strings.Contains(r.errorMessage(), "credentials are not set up") {
		t.Errorf("unfilled secret: %d %s, want 503", r.status, r.raw)
	}
	if m := f.metrics.String(); !strings.Contains(m, `"SecretFailures":[1]`) {
		t.Errorf("no SecretFailures metric: %s", m)
	}
	if n := f.razorpay.MethodsCalls.Load(); n != 0 {
		t.Errorf("Razorpay asked %d times without credentials", n)
	}
}
