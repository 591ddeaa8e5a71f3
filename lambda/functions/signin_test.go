package functions_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	goredis "github.com/redis/go-redis/v9"

	"github.com/hasivu/infra/lambda/audit"
	"github.com/hasivu/infra/lambda/loginguard"
	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/testsupport"
)

// signInFrom sends POST /auth/login from a client address, as API
// Gateway names it (requestContext.identity.sourceIp).
func (f *fixture) signInFrom(ip, email, pw string) response {
	f.t.Helper()
	ev := events.APIGatewayProxyRequest{HTTPMethod: "POST", Body: `{"email":"` + email + `","password":"` + pw + `"}`,
		RequestContext: events.APIGatewayProxyRequestContext{RequestID: "req-signin", Identity: events.APIGatewayRequestIdentity{SourceIP: ip}}}
	resp, err := f.handlers[routes.AuthLogin](context.Background(), ev)
	if err != nil {
		f.t.Fatal(err)
	}
	return response{status: resp.StatusCode, headers: resp.Headers, raw: resp.Body}
}

// steadyRedis gives auth-login a Redis client with go-redis's default
// timeouts instead of the functions' 50 ms ones, and a breaker that does
// not trip: on a loaded machine a slow reply would otherwise fail the
// guard open (TestSignInFailsOpenWithoutRedis covers that), and these
// tests are about counting and locking.
func (f *fixture) steadyRedis() {
	f.t.Helper()
	rdb := goredis.NewClient(&goredis.Options{Addr: testsupport.RedisAddr()})
	f.t.Cleanup(func() { rdb.Close() })
	f.deps.Cache = redis.New(rdb, redis.Config{Prefix: f.prefix, TripAfter: 1 << 30})
	h, err := f.deps.HTTP(routes.AuthLogin)
	if err != nil {
		f.t.Fatal(err)
	}
	f.handlers[routes.AuthLogin] = h
}

// expireLock ends the account's lock now, as if its time had passed:
// PEXPIREAT in the past makes Redis drop the key, with no waiting.
func (f *fixture) expireLock(email string) {
	f.t.Helper()
	if err := f.redis.PExpireAt(context.Background(), f.prefix+"login:lock:acct:"+loginguard.EmailHash(email), time.UnixMilli(1)).Err(); err != nil {
		f.t.Fatal(err)
	}
}

// TestSignInLocksAfterRepeatedFailures: the fifth wrong password in a
// row locks the account for 30 s; during the lock even the right password
// is refused with 429 and Retry-After, without being checked; an email
// with no account is answered exactly the same way; when the lock ends
// the right password signs in and clears the count, and failures after a
// lock double it.
func TestSignInLocksAfterRepeatedFailures(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.steadyRedis()
	// The clock stands still, so Retry-After is exact; the lock ends when
	// the test moves it (or when Redis drops the key, which it does at
	// the same time in production).
	now := time.Now()
	f.deps.Now = func() time.Time { return now }
	const ip = "198.51.100.7"
	for _, email := range []string{"parent@test.example", "nobody@test.example"} {
		for i := 1; i <= 5; i++ {
			if r := f.signInFrom(ip, email, "wrong"); r.status != 401 {
				t.Fatalf("%s failure %d: %d %s", email, i, r.status, r.raw)
			}
		}
	}
	known := f.signInFrom(ip, "parent@test.example", password)
	unknown := f.signInFrom(ip, "nobody@test.example", password)
	if known.status != 429 || known.headers["Retry-After"] != "30" || !strings.Contains(known.raw, `"code":"throttled"`) {
		t.Fatalf("right password during the lock: %d %v %s, want 429 Retry-After 30", known.status, known.headers, known.raw)
	}
	if known.raw != unknown.raw || fmt.Sprint(known.headers) != fmt.Sprint(unknown.headers) {
		t.Errorf("a locked account and an unknown email answer differently:\n%v %s\n%v %s", known.headers, known.raw, unknown.headers, unknown.raw)
	}
	// Case and spaces do not make another account.
	if r := f.signInFrom(ip, " PARENT@test.example", password); r.status != 429 {
		t.Errorf("the same email in capitals: %d, want 429", r.status)
	}

	now = now.Add(30 * time.Second)
	if r := f.signInFrom(ip, "parent@test.example", "wrong"); r.status != 401 {
		t.Fatalf("sixth failure after the lock: %d %s", r.status, r.raw)
	}
	if r := f.signInFrom(ip, "parent@test.example", password); r.status != 429 || r.headers["Retry-After"] != "60" {
		t.Errorf("after the sixth failure: %d Retry-After %q, want 429 for 60 s (doubled)", r.status, r.headers["Retry-After"])
	}
	f.expireLock("parent@test.example")
	if r := f.signInFrom(ip, "parent@test.example", password); r.status != 200 {
		t.Fatalf("right password after the lock: %d %s", r.status, r.raw)
	}
	// The success cleared the count: four more failures lock nothing.
	for range 4 {
		f.signInFrom(ip, "parent@test.example", "wrong")
	}
	if r := f.signInFrom(ip, "parent@test.example", password); r.status != 200 {
		t.Errorf("four failures after a success: %d %s, want a sign-in", r.status, r.raw)
	}
}

// TestSignInLocksAnAddressTryingManyEmails: one address failing across
// fifty emails, each tried once, is locked for every email, the right
// password of a real account included; another address is not.
func TestSignInLocksAnAddressTryingManyEmails(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.steadyRedis()
	now := time.Now()
	f.deps.Now = func() time.Time { return now }
	const guesser = "203.0.113.9"
	for i := range 50 {
		if r := f.signInFrom(guesser, fmt.Sprintf("guess%d@test.example", i), "wrong"); r.status != 401 {
			t.Fatalf("failure %d: %d %s", i, r.status, r.raw)
		}
	}
	if r := f.signInFrom(guesser, "parent@test.example", password); r.status != 429 || r.headers["Retry-After"] != "30" {
		t.Errorf("the guessing address: %d Retry-After %q, want 429 for 30 s", r.status, r.headers["Retry-After"])
	}
	if r := f.signInFrom("203.0.113.10", "parent@test.example", password); r.status != 200 {
		t.Errorf("another address: %d %s", r.status, r.raw)
	}
}

// TestSignInFailsOpenWithoutRedis: with Redis down, failures cannot be
// counted, and sign-in goes on unguarded rather than refusing everyone:
// the right password still signs in, and failures never lock.
func TestSignInFailsOpenWithoutRedis(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpts{redisAddr: testsupport.ClosedAddr(t)})
	for i := range 8 {
		if r := f.signInFrom("198.51.100.8", "parent@test.example", "wrong"); r.status != 401 {
			t.Fatalf("failure %d with Redis down: %d %s, want 401", i, r.status, r.raw)
		}
	}
	if r := f.signInFrom("198.51.100.8", "parent@test.example", password); r.status != 200 {
		t.Errorf("right password with Redis down: %d %s", r.status, r.raw)
	}
}

// TestAuditLinesKeepSecretsOut runs sign-ins (right and wrong passwords),
// a forged token and an unsigned webhook, with a known password and token,
// and reads every line the functions wrote (audit, application log,
// metrics): the audit lines are there with their ids, and neither the
// password, the token, the webhook's signature nor an email appears in
// any line. It also sees Redis down logged once, not per sign-in. Not
// parallel: it captures the process's default logger.
func TestAuditLinesKeepSecretsOut(t *testing.T) {
	var logs syncBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	f := newFixture(t)
	f.steadyRedis() // only the fixture below has Redis down
	var lines syncBuffer
	f.deps.Audit = &audit.Log{W: &lines}
	const wrong = "Tr0ub4dor&3-not-it"
	f.signInFrom("198.51.100.9", "parent@test.example", wrong)
	ok := f.signInFrom("198.51.100.9", "parent@test.example", password)
	token := ok.raw[strings.Index(ok.raw, `"token":"`)+9:]
	token = token[:strings.Index(token, `"`)]
	forged := token[:len(token)-4] + "AAAA"
	if r := f.call(routes.OrdersList, request{method: "GET", token: forged}); r.status != 401 {
		t.Fatalf("forged token: %d", r.status)
	}
	const signature = "deadbeefcafe0123456789"
	if r := f.call(routes.PaymentsWebhook, request{method: "POST", body: `{"event":"payment.captured"}`,
		headers: map[string]string{"X-Razorpay-Signature": signature}}); r.status != 401 {
		t.Fatalf("unsigned webhook: %d", r.status)
	}

	captured := razorpaytest.CapturedEvent("pay_audit_1", "order_audit_1", 7000)
	if r := f.webhook(captured); r.status != 200 {
		t.Fatalf("signed webhook: %d %s", r.status, r.raw)
	}

	// The warnings' clock stands still, so that "once" cannot become
	// twice on a machine that stalls for the rate limit's ten seconds.
	still := time.Now()
	down := newFixture(t, fixtureOpts{redisAddr: testsupport.ClosedAddr(t), cache: redis.Config{Now: func() time.Time { return still }}})
	down.deps.Audit = &audit.Log{W: &lines}
	for range 5 {
		down.signInFrom("198.51.100.9", "parent@test.example", wrong)
	}

	all := lines.String() + logs.String() + f.metrics.String() + down.metrics.String()
	for name, secret := range map[string]string{"password": password, "wrong password": wrong, "token": token,
		"forged token": forged, "signature": signature, "email": "parent@test.example", "jwt key": jwtSecret, "webhook secret": webhookSecret} {
		if i := strings.Index(all, secret); i >= 0 {
			t.Errorf("the %s appears in the logs: %s", name, all[max(0, i-300):min(len(all), i+100)])
		}
	}
	hash := loginguard.EmailHash("parent@test.example")
	for _, want := range []string{
		`"audit":true`,
		`"event":"login","outcome":"failure","emailHash":"` + hash + `","sourceIp":"198.51.100.9","requestId":"req-signin"`,
		`"event":"login","outcome":"success","userId":"` + parentID + `","emailHash":"` + hash + `"`,
		`"event":"token_rejected","outcome":"refused","function":"orders-list","reason":"token`,
		`"event":"webhook_signature_rejected","outcome":"refused","function":"payments-webhook"`,
		`"event":"payment_outcome","outcome":"unknown_order","function":"payments-webhook","orderId":"order_audit_1","paymentId":"pay_audit_1"`,
	} {
		if !strings.Contains(lines.String(), want) {
			t.Errorf("no audit line with %s in\n%s", want, lines.String())
		}
	}
	// The refusals are counted for the alarms: 401 answers (the wrong
	// password, the forged token, the unsigned webhook) and the webhook's
	// bad signature.
	for _, m := range []string{`"Unauthorized":[1]`, `"WebhookSignatureFailures":[1]`} {
		if !strings.Contains(f.metrics.String(), m) {
			t.Errorf("no EMF line with %s in\n%s", m, f.metrics.String())
		}
	}
	if n := strings.Count(logs.String(), "sign-in throttling off"); n != 1 {
		t.Errorf("Redis down logged %d times over five sign-ins, want once:\n%s", n, logs.String())
	}
	if n := strings.Count(lines.String(), "\n"); bytes.Count([]byte(lines.String()), []byte(`"audit":true`)) != n {
		t.Errorf("an audit line without the marker:\n%s", lines.String())
	}
}
