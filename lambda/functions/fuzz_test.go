package functions_test

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"

	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
	"github.com/hasivu/infra/lambda/restapi"
	"github.com/hasivu/infra/lambda/routes"
)

// The fuzz targets drive each routed function through the handler the
// Lambda runtime calls (functions.Deps.HTTP) with requests built from
// fuzzed parts: body, path and query parameters, headers, bearer token.
// They run against the fixture's real PostgreSQL and Redis; Razorpay is
// razorpaytest's stand-in, the one dependency we mock, because Razorpay
// cannot be called from here. Every input is a client's request and the
// servers are up, so one property holds for all of them: no panic, no
// error returned to the runtime, never a 5xx, a JSON body, and for a 4xx
// the error shape of restapi.ErrorBody with the code that maps to the
// status.
//
// Each fuzzing process (the coordinator and every worker) builds its own
// fixture, so it has its own schema and Redis prefix: what an input writes
// (orders placed, payments applied, meals served) is seen only by later
// inputs of the same process, and no input changes the seeded rows.

// Rows the seeds' success paths need, at fixed ids so that a seed means
// the same thing in every fuzzing process.
const (
	fuzzPayableOrder  = "00000000-0000-4000-8000-000000000041" // the parent's, pending, unpaid, for tomorrow
	fuzzPaidOrder     = "00000000-0000-4000-8000-000000000042" // the parent's, paid, for today: CARD0001's meal
	fuzzHookOrder     = "00000000-0000-4000-8000-000000000043" // the parent's, pending, with fuzzRazorpayOrder
	fuzzRazorpayOrder = "order_fuzz00000001"
)

// tokenTime is the clock the fuzz fixtures verify tokens by, fixed so that
// a signed token in a seed or a saved failing input never expires.
var tokenTime = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// newFuzzFixture is newFixture for a fuzz target, with the rows the
// seeds' success paths need.
func newFuzzFixture(f *testing.F) *fixture {
	fx := newFixture(f)
	fx.deps.Metrics = io.Discard // thousands of invocations, and no test reads their EMF lines
	fx.deps.Tokens.Now = func() time.Time { return tokenTime }
	for _, o := range []struct{ id, date, status, payment string }{
		{fuzzPayableOrder, fx.tomorrow, "pending", "unpaid"},
		{fuzzPaidOrder, fx.today, "confirmed", "paid"},
		{fuzzHookOrder, fx.tomorrow, "pending", "unpaid"},
	} {
		fx.exec(`INSERT INTO orders (id, user_id, student_id, school_id, delivery_date, status, payment_status, total_paise)
			VALUES ($1, $2, $3, $4, $5, $6, $7, 7000)`, o.id, parentID, studentID, schoolID, o.date, o.status, o.payment)
	}
	fx.exec(`INSERT INTO payment_orders (order_id, user_id, razorpay_order_id, amount_paise, expires_at)
		VALUES ($1, $2, $3, 7000, now() + interval '1 day')`, fuzzHookOrder, parentID, fuzzRazorpayOrder)
	return fx
}

// reach fails f unless req succeeds, so that the seeds built like it
// start fuzzing on the function's success path rather than at a 4xx.
func (fx *fixture) reach(f *testing.F, function string, req events.APIGatewayProxyRequest) {
	f.Helper()
	resp, err := fx.handlers[function](context.Background(), req)
	if err != nil || resp.StatusCode >= 300 {
		f.Fatalf("%s: the valid seed request answers %d %s (error %v), want a success", function, resp.StatusCode, resp.Body, err)
	}
}

// serve runs a fuzzed request through the function and checks the
// property every answer to a client must have. A failure names the
// function, the request as the function received it, how long it took and,
// when the handler's error is a deadline, which one: go test then adds the
// input it saved under testdata/fuzz and the command that replays it.
func (fx *fixture) serve(t *testing.T, function string, req events.APIGatewayProxyRequest) {
	t.Helper()
	start := time.Now()
	resp, err := fx.handlers[function](context.Background(), req)
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s, after %s, for %s: %s", function, time.Since(start).Round(time.Millisecond), describe(req), fmt.Sprintf(format, args...))
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (a deadline inside the handler: the test gives the request none)", err)
		}
		fail("returned an error to the runtime instead of a response: %v", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode >= 500 {
		fail("answered %d to a client's request: %s", resp.StatusCode, resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		fail("Content-Type %q, want application/json", ct)
	}
	if !json.Valid([]byte(resp.Body)) {
		fail("body is not JSON: %q", resp.Body)
	}
	if resp.StatusCode < 400 {
		return
	}
	var e restapi.ErrorBody
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil || e.Error.Message == "" || restapi.Status(e.Error.Code) != resp.StatusCode {
		fail("%d with body %s, want {\"error\":{\"code\",\"message\"}} whose code maps to the status (%v)",
			resp.StatusCode, resp.Body, err)
	}
}

// describe renders a request the way a failure message needs it: method,
// path, parameters, headers and body, each quoted, the body cut at 500
// bytes.
func describe(r events.APIGatewayProxyRequest) string {
	body := r.Body
	if len(body) > 500 {
		body = body[:500] + "…"
	}
	return fmt.Sprintf("%s %q path %v query %v headers %q body %q (base64 %v)",
		r.HTTPMethod, r.Path, r.PathParameters, r.MultiValueQueryStringParameters, r.Headers, body, r.IsBase64Encoded)
}

// gatewayRequest returns an API Gateway request carrying body as encoding
// says (mod 3): 0 as text, 1 base64-encoded (as API Gateway passes binary
// media), 2 flagged as base64 but sent as it is (mostly not base64).
func gatewayRequest(method, body string, encoding uint8) events.APIGatewayProxyRequest {
	r := events.APIGatewayProxyRequest{HTTPMethod: method, Headers: map[string]string{}, Body: body}
	switch encoding % 3 {
	case 1:
		r.Body, r.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(body)), true
	case 2:
		r.IsBase64Encoded = true
	}
	return r
}

// authorizedPost is a POST of body, encoded as gatewayRequest says, with
// token in the Authorization header as setAuthorization says.
func authorizedPost(how uint8, token, body string, encoding uint8) events.APIGatewayProxyRequest {
	r := gatewayRequest("POST", body, encoding)
	setAuthorization(&r, how, token)
	return r
}

// setQuery fills the query-string parameters from a raw query string the
// way API Gateway does: the last value of a repeated name in
// QueryStringParameters, all of them in MultiValueQueryStringParameters.
func setQuery(r *events.APIGatewayProxyRequest, raw string) {
	q, _ := url.ParseQuery(raw) // what parsed before an error is what a client could send
	if len(q) == 0 {
		return
	}
	r.QueryStringParameters = map[string]string{}
	r.MultiValueQueryStringParameters = q
	for k, vs := range q {
		r.QueryStringParameters[k] = vs[len(vs)-1]
	}
}

// setAuthorization sets the Authorization header of a fuzz input. how
// picks its form (mod 7): 0 none; 1 token is the whole header; 2 "Bearer
// <token>"; and token as the claims JSON of a JWT that is 3 signed with
// our key (ES256, its kid), 4 unsigned (alg none), 5 signed with another
// key under our kid, 6 HS256 with our public key as the HMAC key (the
// algorithm-confusion forgery).
func setAuthorization(r *events.APIGatewayProxyRequest, how uint8, token string) {
	var h string
	switch how % 7 {
	case 0:
		return
	case 1:
		h = token
	case 2:
		h = "Bearer " + token
	case 3:
		h = "Bearer " + es256(token, jwtKey)
	case 4:
		h = "Bearer " + jws(`{"alg":"none","typ":"JWT"}`, token, "", 0)
	case 5:
		h = "Bearer " + es256(token, forger)
	case 6:
		h = "Bearer " + jws(`{"alg":"HS256","typ":"JWT","kid":"`+jwtKey.ID+`"}`, token, jwtKey.PublicPEM(), crypto.SHA256)
	}
	r.Headers["Authorization"] = h
}

// jws returns a compact JWS of the claims (any bytes) under header, its
// signature the HMAC with key, or empty when key is.
func jws(header, claims, key string, alg crypto.Hash) string {
	enc := base64.RawURLEncoding
	s := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(claims)) + "."
	if key == "" {
		return s
	}
	m := hmac.New(alg.New, []byte(key))
	m.Write([]byte(s[:len(s)-1]))
	return s + enc.EncodeToString(m.Sum(nil))
}

// es256 returns a compact JWS of the claims (any bytes) signed with key's
// private key under the fixture key's kid.
func es256(claims string, key *auth.SigningKey) string {
	enc := base64.RawURLEncoding
	s := enc.EncodeToString([]byte(`{"alg":"ES256","typ":"JWT","kid":"`+jwtKey.ID+`"}`)) + "." + enc.EncodeToString([]byte(claims))
	sig, err := jwt.SigningMethodES256.Sign(s, key.Private)
	if err != nil {
		panic(err)
	}
	return s + "." + enc.EncodeToString(sig)
}

// claims returns token claims like the ones auth-login issues, valid for
// an hour from tokenTime.
func claims(sub, role, school string) string {
	c := map[string]any{"iss": auth.Issuer("test"), "aud": auth.Audience, "sub": sub, "role": role, "iat": tokenTime.Unix(), "exp": tokenTime.Add(time.Hour).Unix()}
	if school != "" {
		c["school"] = school
	}
	b, _ := json.Marshal(c)
	return string(b)
}

// addTokenSeeds adds, for a route that needs a signed-in user, the tokens
// worth starting from with a request that is valid otherwise: add calls
// f.Add with the Authorization form, the token and that request.
func addTokenSeeds(good string, add func(how uint8, token string)) {
	now := tokenTime.Unix()
	for _, c := range []string{
		good,
		claims("not-a-uuid", "parent", ""),
		claims(strings.ToUpper(parentID), "parent", ""),
		claims(parentID+"\x00", "parent", ""),
		claims("", "parent", ""),
		claims(parentID, "", ""),
		claims(unknownID, "admin", ""),
		claims(staffID, "kitchen_staff", "not-a-school"),
		claims(staffID, "kitchen_staff", "\x00"),
		`{"iss":"hasivu-test","aud":"hasivu-api","sub":"` + parentID + `","role":"parent"}`, // no exp
		fmt.Sprintf(`{"iss":"hasivu-test","aud":"hasivu-api","sub":%q,"role":"parent","exp":%d}`, parentID, now-60),             // expired
		fmt.Sprintf(`{"iss":"hasivu-test","aud":"hasivu-api","sub":%q,"role":"parent","exp":"%d"}`, parentID, now+3600),         // exp a string
		fmt.Sprintf(`{"iss":"hasivu-test","aud":"hasivu-api","sub":%q,"role":"parent","exp":1e300}`, parentID),                  // exp huge
		fmt.Sprintf(`{"iss":"other","aud":"hasivu-api","sub":%q,"role":"parent","exp":%d}`, parentID, now+3600),                 // wrong issuer
		fmt.Sprintf(`{"iss":"hasivu","aud":"hasivu-api","sub":%q,"role":"parent","exp":%d}`, parentID, now+3600),                // the previous release's issuer
		fmt.Sprintf(`{"iss":"hasivu-test","aud":"other","sub":%q,"role":"parent","exp":%d}`, parentID, now+3600),                // wrong audience
		fmt.Sprintf(`{"iss":"hasivu-test","sub":%q,"role":"parent","exp":%d}`, parentID, now+3600),                              // no audience
		fmt.Sprintf(`{"iss":"hasivu-test","aud":"hasivu-api","sub":42,"role":"parent","exp":%d}`, now+3600),                     // sub a number
		fmt.Sprintf(`{"iss":"hasivu-test","aud":"hasivu-api","sub":"x","sub":%q,"role":"parent","exp":%d}`, parentID, now+3600), // duplicate key
		fmt.Sprintf(`{"iss":"hasivu-test","aud":"hasivu-api","sub":%q,"role":"parent","exp":%d,"nbf":%d}`, parentID, now+3600, now+600),
		`[]`, `null`, ``, `{`, "\xff\xfe",
	} {
		add(3, c)
	}
	for how := uint8(4); how <= 6; how++ {
		add(how, good) // alg none, another key, HS256 with our public key
	}
	add(0, "")
	for _, h := range []string{"", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "bearer  " + es256(good, jwtKey)} {
		add(1, h)
	}
	good3 := es256(good, jwtKey)
	for _, tok := range []string{"not-a-token", "a.b.c", "..", ".....", good3 + "x", good3[:len(good3)-2], strings.Repeat("A", 10_000),
		strings.ReplaceAll(good3, ".", "\x00")} {
		add(2, tok)
	}
}

// noise returns n characters that do not compress, as a long id whose
// index entry PostgreSQL cannot shrink below its size limit.
func noise(n int) string {
	var b strings.Builder
	for h := sha256.Sum256(nil); b.Len() < n; h = sha256.Sum256(h[:]) {
		b.WriteString(base64.RawURLEncoding.EncodeToString(h[:]))
	}
	return b.String()[:n]
}

// badJSON are bodies every JSON endpoint must refuse with a 4xx.
var badJSON = []string{
	``, ` `, `null`, `[]`, `"x"`, `42`, `{`, `}`, `{}{}`, `{} x`, `{"a":1}`,
	strings.Repeat("[", 20_000), strings.Repeat(`{"a":`, 5_000),
	"{\"\xff\":1}", "\x00", "{\x00}", `{"` + strings.Repeat("a", 70_000) + `":1}`,
}

// FuzzAuthLogin sends auth-login fuzzed bodies, as text and as base64.
func FuzzAuthLogin(f *testing.F) {
	fx := newFuzzFixture(f)
	good := `{"email":"parent@test.example","password":"` + password + `"}`
	fx.reach(f, routes.AuthLogin, gatewayRequest("POST", good, 0))
	for _, body := range append([]string{
		good,
		`{"email":"PARENT@test.example ","password":"` + password + `"}`,
		`{"email":"parent@test.example","password":"wrong"}`,
		`{"email":"inactive@test.example","password":"` + password + `"}`,
		`{"email":"nobody@test.example","password":"x"}`,
		`{"email":"parent@test.example\u0000","password":"x"}`,
		`{"email":"\u0000@x","password":"x"}`,
		"{\"email\":\"\xff\xfe@test.example\",\"password\":\"x\"}",
		`{"email":"parent@test.example","password":"x\u0000"}`,
		`{"email":"a@b.c","email":"parent@test.example","password":"` + password + `"}`,
		`{"Email":"parent@test.example","PASSWORD":"` + password + `"}`,
		`{"email":"a@b.c","password":"` + strings.Repeat("x", 73) + `"}`,
		`{"email":"` + strings.Repeat("a", 250) + `@b.c","password":"x"}`,
		`{"email":1e999,"password":"x"}`,
		`{"email":["a@b.c"],"password":"x"}`,
		`{"email":"a@b.c","password":"x","admin":true}`,
		`{"email":"a@b.c","password":"x"} {}`,
	}, badJSON...) {
		f.Add(body, uint8(0))
	}
	f.Add(good, uint8(1))
	f.Add("not base64!", uint8(2))
	f.Fuzz(func(t *testing.T, body string, encoding uint8) {
		fx.serve(t, routes.AuthLogin, gatewayRequest("POST", body, encoding))
	})
}

// FuzzOrdersList fuzzes orders-list's bearer token and query string.
func FuzzOrdersList(f *testing.F) {
	fx := newFuzzFixture(f)
	good := claims(parentID, "parent", "")
	req := func(how uint8, token, query string) events.APIGatewayProxyRequest {
		r := gatewayRequest("GET", "", 0)
		setAuthorization(&r, how, token)
		setQuery(&r, query)
		return r
	}
	fx.reach(f, routes.OrdersList, req(3, good, "page=1&limit=2&fields=id,status"))
	addTokenSeeds(good, func(how uint8, token string) { f.Add(how, token, "") })
	for _, q := range []string{
		"page=2&limit=1", "fields=id,items,student", "fields=", "fields=,,id,,", "fields=id,password", "fields=%00",
		"page=0", "page=-1", "page=abc", "page=1.5", "page=+1", "page=10000&limit=100", "page=10001",
		"page=99999999999999999999", "page=9223372036854775807&limit=100", "limit=0", "limit=-5", "limit=1e3",
		"limit=100000000000", "page=1&page=2&limit=1&limit=2", "page=%00", "limit=%FF", "page=%zz", "&&&=&",
	} {
		f.Add(uint8(3), good, q)
	}
	f.Fuzz(func(t *testing.T, how uint8, token, query string) {
		fx.serve(t, routes.OrdersList, req(how, token, query))
	})
}

// FuzzOrdersCreate fuzzes orders-create's bearer token, body and
// Idempotency-Key.
func FuzzOrdersCreate(f *testing.F) {
	fx := newFuzzFixture(f)
	good := claims(parentID, "parent", "")
	order := func(student, school, date, items string) string {
		return fmt.Sprintf(`{"studentId":%s,"schoolId":%s,"deliveryDate":%s,"items":%s}`, student, school, date, items)
	}
	q := func(s string) string { return `"` + s + `"` }
	item := func(id, qty string) string { return `[{"menuItemId":` + id + `,"quantity":` + qty + `}]` }
	body := order(q(studentID), q(schoolID), q(fx.tomorrow), item(q(lunchID), "2"))
	req := func(how uint8, token, body string, encoding uint8, key string) events.APIGatewayProxyRequest {
		r := gatewayRequest("POST", body, encoding)
		setAuthorization(&r, how, token)
		if key != "" {
			r.Headers["Idempotency-Key"] = key
		}
		return r
	}
	fx.reach(f, routes.OrdersCreate, req(3, good, body, 0, "seed"))
	addTokenSeeds(good, func(how uint8, token string) { f.Add(how, token, body, uint8(0), "k1") })
	for _, key := range []string{"", "seed", "k2", "\x00", "k\x00", "\xff\xfe", "line\nbreak", " ", strings.Repeat("k", 100), strings.Repeat("k", 101), "😀"} {
		f.Add(uint8(3), good, body, uint8(0), key)
	}
	f.Add(uint8(3), good, body, uint8(1), "k-base64")
	f.Add(uint8(3), good, "not base64!", uint8(2), "k")
	for _, b := range append([]string{
		order(q(strings.ToUpper(studentID)), q(strings.ToUpper(schoolID)), q(fx.tomorrow), item(q(strings.ToUpper(snackID)), "1")),
		order(q(studentID), q(schoolID), q(fx.today), `[{"menuItemId":"`+lunchID+`","quantity":1},{"menuItemId":"`+snackID+`","quantity":10}]`),
		order(q(otherStudent), q(schoolID), q(fx.tomorrow), item(q(lunchID), "1")),
		order(q(studentID), q(otherSchoolID), q(fx.tomorrow), item(q(lunchID), "1")),
		order(q(unknownID), q(schoolID), q(fx.tomorrow), item(q(lunchID), "1")),
		order(q(studentID), q(unknownID), q(fx.tomorrow), item(q(lunchID), "1")),
		order(q(studentID), q(schoolID), q(fx.tomorrow), item(q(soldOutID), "1")),
		order(q(studentID), q(schoolID), q(fx.tomorrow), item(q(offMenuID), "1")),
		order(q(studentID), q(schoolID), q(fx.tomorrow), item(q(unknownID), "1")),
		order(q(studentID), q(schoolID), q("2001-01-01"), item(q(lunchID), "1")),
		order(q(studentID), q(schoolID), q("9999-12-31"), item(q(lunchID), "1")),
		order(q(studentID), q(schoolID), q("0000-01-01"), item(q(lunchID), "1")),
		order(q(studentID), q(schoolID), q("2026-02-30"), item(q(lunchID), "1")),
		order(q(studentID), q(schoolID), q(fx.tomorrow+"T00:00:00Z"), item(q(lunchID), "1")),
		order(q(studentID), q(schoolID), q(fx.tomorrow+"\\u0000"), item(q(lunchID), "1")),
		order(q("\\u0000"), q(schoolID), q(fx.tomorrow), item(q(lunchID), "1")),
		order(q(studentID+"\\u0000"), q(schoolID), q(fx.tomorrow), item(q(lunchID), "1")),
		order(q("{"+studentID+"}"), q(schoolID), q(fx.tomorrow), item(q(lunchID), "1")),
		order(q(strings.ReplaceAll(studentID, "-", "")), q(schoolID), q(fx.tomorrow), item(q(lunchID), "1")),
		order(q(studentID), q(schoolID), q(fx.tomorrow), item(q(lunchID), "0")),
		order(q(studentID), q(schoolID), q(fx.tomorrow), item(q(lunchID), "-1")),
		order(q(studentID), q(schoolID), q(fx.tomorrow), item(q(lunchID), "1.5")),
		order(q(studentID), q(schoolID), q(fx.tomorrow), item(q(lunchID), "1e2")),
		order(q(studentID), q(schoolID), q(fx.tomorrow), item(q(lunchID), "9223372036854775807")),
		order(q(studentID), q(schoolID), q(fx.tomorrow), item(q(lunchID), "9223372036854775808")),
		order(q(studentID), q(schoolID), q(fx.tomorrow), item(q(lunchID), `"1"`)),
		order(q(studentID), q(schoolID), q(fx.tomorrow), item("null", "1")),
		order(q(studentID), q(schoolID), q(fx.tomorrow), `[{"menuItemId":"`+lunchID+`","quantity":1},{"menuItemId":"`+strings.ToUpper(lunchID)+`","quantity":1}]`),
		order(q(studentID), q(schoolID), q(fx.tomorrow), "["+strings.Repeat(`{"menuItemId":"`+lunchID+`","quantity":1},`, 20)+`{}]`),
		order(q(studentID), q(schoolID), q(fx.tomorrow), `[]`),
		order(q(studentID), q(schoolID), q(fx.tomorrow), `null`),
		order(q(studentID), q(schoolID), q(fx.tomorrow), `[null]`),
		order(q(studentID), q(schoolID), q(fx.tomorrow), `{}`),
		order("null", "null", "null", "null"),
		`{"studentId":"x","studentId":"` + studentID + `","schoolId":"` + schoolID + `","deliveryDate":"` + fx.tomorrow + `","items":` + item(q(lunchID), "1") + `}`,
		strings.TrimSuffix(body, "}") + `,"totalPaise":1}`,
	}, badJSON...) {
		f.Add(uint8(3), good, b, uint8(0), "k")
	}
	f.Fuzz(func(t *testing.T, how uint8, token, body string, encoding uint8, key string) {
		fx.serve(t, routes.OrdersCreate, req(how, token, body, encoding, key))
	})
}

// FuzzMenusDaily fuzzes menus-daily's path parameters and query string.
func FuzzMenusDaily(f *testing.F) {
	fx := newFuzzFixture(f)
	req := func(school, date, query string) events.APIGatewayProxyRequest {
		r := gatewayRequest("GET", "", 0)
		r.PathParameters = map[string]string{"schoolId": school, "date": date}
		setQuery(&r, query)
		return r
	}
	fx.reach(f, routes.MenusDaily, req(schoolID, fx.today, ""))
	for _, p := range [][2]string{
		{schoolID, fx.today}, {schoolID, fx.tomorrow}, {strings.ToUpper(schoolID), fx.today}, {otherSchoolID, fx.today},
		{unknownID, fx.today}, {schoolID, "2001-01-01"}, {schoolID, "0000-01-01"}, {schoolID, "9999-12-31"},
		{schoolID, "2026-02-30"}, {schoolID, "2026-2-3"}, {schoolID, "20260203"}, {schoolID, fx.today + "T00:00:00Z"},
		{schoolID, fx.today + "\x00"}, {schoolID, "\xff"}, {schoolID + "\x00", fx.today}, {"\x00", fx.today},
		{"not-an-id", fx.today}, {"", ""}, {strings.ReplaceAll(schoolID, "-", ""), fx.today},
		{"zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", fx.today}, {strings.Repeat("a", 10_000), fx.today},
	} {
		f.Add(p[0], p[1], "")
	}
	f.Add(schoolID, fx.today, "date=2001-01-01&schoolId=x")
	f.Fuzz(func(t *testing.T, school, date, query string) {
		fx.serve(t, routes.MenusDaily, req(school, date, query))
	})
}

// FuzzPaymentsCreateOrder fuzzes payments-create-order's bearer token
// and body.
func FuzzPaymentsCreateOrder(f *testing.F) {
	fx := newFuzzFixture(f)
	good := claims(parentID, "parent", "")
	body := `{"orderId":"` + fuzzPayableOrder + `"}`
	req := authorizedPost
	fx.reach(f, routes.PaymentsCreateOrder, req(3, good, body, 0))
	addTokenSeeds(good, func(how uint8, token string) { f.Add(how, token, body, uint8(0)) })
	f.Add(uint8(3), good, body, uint8(1))
	f.Add(uint8(3), good, body, uint8(2))
	for _, b := range append([]string{
		`{"orderId":"` + strings.ToUpper(fuzzPayableOrder) + `"}`,
		`{"orderId":"` + fuzzPaidOrder + `"}`,
		`{"orderId":"` + fuzzHookOrder + `"}`,
		`{"orderId":"` + unknownID + `"}`,
		`{"orderId":"` + fuzzPayableOrder + `\u0000"}`,
		`{"orderId":"\u0000"}`,
		`{"orderId":""}`, `{"orderId":null}`, `{"orderId":7}`, `{"orderId":["` + fuzzPayableOrder + `"]}`,
		`{"orderId":"x","orderId":"` + fuzzPayableOrder + `"}`,
		`{"orderId":"` + fuzzPayableOrder + `","amountPaise":1}`,
	}, badJSON...) {
		f.Add(uint8(3), good, b, uint8(0))
	}
	f.Fuzz(func(t *testing.T, how uint8, token, body string, encoding uint8) {
		fx.serve(t, routes.PaymentsCreateOrder, req(how, token, body, encoding))
	})
}

// FuzzPaymentsWebhook fuzzes the webhook's body and X-Razorpay-Signature.
// Most seeds sign the body correctly, so that fuzzing gets past the
// signature to the parsing and applying of the payment.
func FuzzPaymentsWebhook(f *testing.F) {
	fx := newFuzzFixture(f)
	// sign picks the signature header (mod 4): 0 none, 1 signature as it
	// is, 2 the right one for the body, 3 the right one in upper case.
	req := func(body string, encoding, sign uint8, signature string) events.APIGatewayProxyRequest {
		r := gatewayRequest("POST", body, encoding)
		raw, err := restapi.Body(&r)
		if err != nil {
			raw = []byte(body)
		}
		switch sign % 4 {
		case 1:
			r.Headers["X-Razorpay-Signature"] = signature
		case 2:
			r.Headers["X-Razorpay-Signature"] = razorpaytest.Sign(raw, webhookSecret)
		case 3:
			r.Headers["X-Razorpay-Signature"] = strings.ToUpper(razorpaytest.Sign(raw, webhookSecret))
		}
		return r
	}
	captured := string(razorpaytest.CapturedEvent("pay_fuzz_seed", fuzzRazorpayOrder, 7000))
	fx.reach(f, routes.PaymentsWebhook, req(captured, 0, 2, ""))
	event := func(id, order, amount, currency, method, created string) string {
		return `{"event":"payment.captured","payload":{"payment":{"entity":{"id":` + id + `,"order_id":` + order +
			`,"amount":` + amount + `,"currency":` + currency + `,"status":"captured","method":` + method + `,"created_at":` + created + `}}}}`
	}
	o := `"` + fuzzRazorpayOrder + `"`
	for _, b := range append([]string{
		captured,
		string(razorpaytest.CapturedEvent("pay_fuzz_1", fuzzRazorpayOrder, 7000)),
		string(razorpaytest.CapturedEvent("pay_fuzz_2", fuzzRazorpayOrder, 100)),
		string(razorpaytest.CapturedEvent("pay_fuzz_3", "order_unknown", 7000)),
		strings.Replace(captured, "payment.captured", "order.paid", 1),
		string(razorpaytest.PaymentEvent("payment.failed", razorpaytest.Payment{ID: "pay_fuzz_4", OrderID: fuzzRazorpayOrder, Amount: 7000})),
		string(razorpaytest.PaymentEvent("payment.captured", razorpaytest.Payment{ID: "pay_fuzz_5", OrderID: fuzzRazorpayOrder, Amount: 7000, Currency: "USD"})),
		string(razorpaytest.PaymentEvent("payment.captured", razorpaytest.Payment{ID: "pay_fuzz_6", OrderID: fuzzRazorpayOrder, Amount: 7000, Status: "failed"})),
		string(razorpaytest.RefundEvent("rfnd_fuzz_1", razorpaytest.Payment{ID: "pay_fuzz_seed", OrderID: fuzzRazorpayOrder, Amount: 7000}, 7000)),
		`{"event":"refund.processed","payload":{"refund":{"entity":{"id":"rfnd_x","payment_id":"pay_x","amount":1,"currency":"INR"}}}}`,
		`{"event":"refund.processed","payload":{"refund":{"entity":{"id":"rfnd_x","payment_id":"pay_x","amount":0,"currency":"INR"}},"payment":{"entity":{"order_id":"` + fuzzRazorpayOrder + `"}}}}`,
		`{"event":"refund.created","payload":{}}`,
		`{"event":"payment.captured","payload":{}}`,
		`{"event":"payment.captured","payload":{"payment":null}}`,
		event(`"pay_a"`, o, "7000", `"INR"`, `"upi"`, "1700000000"),
		event(`"pay_b\u0000"`, o, "7000", `"INR"`, `"upi"`, "1700000000"),
		event(`"pay_c"`, `"order_fuzz\u0000"`, "7000", `"INR"`, `"upi"`, "1700000000"),
		event(`"pay_d"`, o, "7000", `"IN\u0000"`, `"upi"`, "1700000000"),
		event(`"pay_e"`, o, "7000", `"INR"`, `"\u0000"`, "1700000000"),
		event(`"pay_f"`, o, "7000", `"INR"`, `"upi"`, "9223372036854775807"),
		event(`"pay_g"`, o, "7000", `"INR"`, `"upi"`, "253402300800"),
		event(`"pay_g2"`, o, "7000", `"INR"`, `"upi"`, "10000000000000"),
		event(`"pay_h"`, o, "7000", `"INR"`, `"upi"`, "-1"),
		event(`"pay_i"`, o, "9223372036854775807", `"INR"`, `"upi"`, "1700000000"),
		event(`"pay_j"`, o, "9223372036854775808", `"INR"`, `"upi"`, "1700000000"),
		event(`"pay_k"`, o, "-1", `"INR"`, `"upi"`, "1700000000"),
		event(`"pay_l"`, o, "70.5", `"INR"`, `"upi"`, "1700000000"),
		event(`"pay_m"`, o, "null", `"INR"`, `"upi"`, "1700000000"),
		event(`""`, o, "7000", `"INR"`, `"upi"`, "1700000000"),
		event(`"pay_n"`, `""`, "7000", `"INR"`, `"upi"`, "1700000000"),
		event(`"pay_o"`, o, "7000", `""`, `""`, "0"),
		event(`"pay_p"`, o, "7000", `"`+strings.Repeat("X", 1000)+`"`, `"upi"`, "1700000000"),
		event(`7`, o, "7000", `"INR"`, `"upi"`, "1700000000"),
		event(`"pay_`+noise(4000)+`"`, o, "7000", `"INR"`, `"upi"`, "1700000000"),
		event(`"pay_q"`, `"order_`+noise(4000)+`"`, "7000", `"INR"`, `"upi"`, "1700000000"),
		"{\"event\":\"payment.captured\",\"payload\":{\"payment\":{\"entity\":{\"id\":\"pay_\xff\",\"order_id\":" + o + ",\"amount\":1}}}}",
	}, badJSON...) {
		f.Add(b, uint8(0), uint8(2), "")
	}
	f.Add(captured, uint8(1), uint8(2), "")
	f.Add(captured, uint8(2), uint8(2), "")
	f.Add(captured, uint8(0), uint8(3), "")
	f.Add(captured, uint8(0), uint8(0), "")
	for _, sig := range []string{"", "zz", "00", razorpaytest.Sign([]byte(captured), "not-the-secret"), razorpaytest.Sign([]byte(captured), webhookSecret) + "00", "\x00"} {
		f.Add(captured, uint8(0), uint8(1), sig)
	}
	f.Fuzz(func(t *testing.T, body string, encoding, sign uint8, signature string) {
		fx.serve(t, routes.PaymentsWebhook, req(body, encoding, sign, signature))
	})
}

// FuzzRFIDVerifyCard fuzzes rfid-verify-card's bearer token, which
// decides the caller's role and school, and body.
func FuzzRFIDVerifyCard(f *testing.F) {
	fx := newFuzzFixture(f)
	good := claims(staffID, "kitchen_staff", schoolID)
	body := `{"cardNumber":"` + cardNumber + `","readerId":"gate-1"}`
	req := authorizedPost
	fx.reach(f, routes.RFIDVerifyCard, req(3, good, body, 0))
	addTokenSeeds(good, func(how uint8, token string) { f.Add(how, token, body, uint8(0)) })
	for _, c := range []string{
		claims(parentID, "parent", ""), claims(otherStaffID, "kitchen_staff", otherSchoolID), claims(staffID, "kitchen_staff", ""),
		claims(staffID, "school_admin", schoolID), claims(unknownID, "admin", ""), claims(staffID, "kitchen_staff", strings.ToUpper(schoolID)),
	} {
		f.Add(uint8(3), c, body, uint8(0))
	}
	f.Add(uint8(3), good, body, uint8(1))
	f.Add(uint8(3), good, body, uint8(2))
	for _, b := range append([]string{
		`{"cardNumber":"card0001"}`, `{"cardNumber":" CARD0001 "}`, `{"cardNumber":"` + expiredCard + `"}`,
		`{"cardNumber":"` + otherCard + `"}`, `{"cardNumber":"NOPE42"}`, `{"cardNumber":"` + strings.Repeat("A", 33) + `"}`,
		`{"cardNumber":"CARD0001\u0000"}`, `{"cardNumber":"\u0000"}`, `{"cardNumber":"ＣＡＲＤ０００１"}`,
		`{"cardNumber":"' OR 1=1 --"}`, `{"cardNumber":""}`, `{"cardNumber":null}`, `{"cardNumber":12345}`,
		`{"cardNumber":"CARD0001","readerId":"gate\u0000"}`, "{\"cardNumber\":\"CARD0001\",\"readerId\":\"\xff\"}",
		`{"cardNumber":"CARD0001","readerId":"` + strings.Repeat("r", 65) + `"}`,
		`{"cardNumber":"CARD0001","readerId":"` + strings.Repeat("é", 32) + `"}`,
		`{"cardNumber":"x","cardNumber":"CARD0001"}`,
	}, badJSON...) {
		f.Add(uint8(3), good, b, uint8(0))
	}
	f.Fuzz(func(t *testing.T, how uint8, token, body string, encoding uint8) {
		fx.serve(t, routes.RFIDVerifyCard, req(how, token, body, encoding))
	})
}

// FuzzProfileGet fuzzes GET /me (the profile function): its bearer token,
// which decides whose profile is read.
func FuzzProfileGet(f *testing.F) {
	fx := newFuzzFixture(f)
	good := claims(parentID, "parent", "")
	req := func(how uint8, token string) events.APIGatewayProxyRequest {
		r := gatewayRequest("GET", "", 0)
		r.Resource = "/me"
		setAuthorization(&r, how, token)
		return r
	}
	fx.reach(f, routes.Profile, req(3, good))
	addTokenSeeds(good, func(how uint8, token string) { f.Add(how, token) })
	for _, c := range []string{claims(staffID, "kitchen_staff", schoolID), claims(inactiveID, "parent", ""), claims(adminID, "admin", "")} {
		f.Add(uint8(3), c)
	}
	f.Fuzz(func(t *testing.T, how uint8, token string) {
		fx.serve(t, routes.Profile, req(how, token))
	})
}

// FuzzProfileUpdate fuzzes PATCH /me (the profile function): its bearer
// token and body.
func FuzzProfileUpdate(f *testing.F) {
	fx := newFuzzFixture(f)
	good := claims(parentID, "parent", "")
	body := `{"firstName":"Pat","lastName":"Parent","phone":"+919876543210"}`
	req := func(how uint8, token, body string, encoding uint8) events.APIGatewayProxyRequest {
		r := gatewayRequest("PATCH", body, encoding)
		r.Resource = "/me"
		setAuthorization(&r, how, token)
		return r
	}
	fx.reach(f, routes.Profile, req(3, good, body, 0))
	addTokenSeeds(good, func(how uint8, token string) { f.Add(how, token, body, uint8(0)) })
	f.Add(uint8(3), good, body, uint8(1))
	f.Add(uint8(3), good, body, uint8(2))
	for _, b := range append([]string{
		`{"firstName":"Patricia"}`, `{"lastName":" Rao "}`, `{"phone":""}`, `{"phone":null}`, `{"firstName":null}`,
		`{"firstName":""}`, `{"firstName":"` + strings.Repeat("é", 50) + `"}`, `{"firstName":"` + strings.Repeat("é", 51) + `"}`,
		`{"firstName":"Pat\u0000"}`, "{\"firstName\":\"\xff\"}", `{"firstName":"\u202e"}`, `{"lastName":"` + noise(70_000) + `"}`,
		`{"phone":"+1234567890123456"}`, `{"phone":"0000000000"}`, `{"phone":"+91 98765"}`, `{"phone":12345678901}`,
		`{"firstName":"a","firstName":"b"}`, `{"role":"admin"}`, `{"email":"x@y.z"}`, `{"firstName":["Pat"]}`,
	}, badJSON...) {
		f.Add(uint8(3), good, b, uint8(0))
	}
	f.Fuzz(func(t *testing.T, how uint8, token, body string, encoding uint8) {
		fx.serve(t, routes.Profile, req(how, token, body, encoding))
	})
}

// FuzzMenusItems fuzzes GET /schools/{schoolId}/menu-items (the
// menus-daily function): its path parameter and query string.
func FuzzMenusItems(f *testing.F) {
	fx := newFuzzFixture(f)
	req := func(school, query string) events.APIGatewayProxyRequest {
		r := gatewayRequest("GET", "", 0)
		r.Resource = "/schools/{schoolId}/menu-items"
		r.PathParameters = map[string]string{"schoolId": school}
		setQuery(&r, query)
		return r
	}
	fx.reach(f, routes.MenusDaily, req(schoolID, ""))
	for _, s := range []string{schoolID, strings.ToUpper(schoolID), otherSchoolID, unknownID, "not-an-id", "", "\x00", schoolID + "\x00",
		"\xff", strings.ReplaceAll(schoolID, "-", ""), "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", strings.Repeat("a", 10_000)} {
		f.Add(s, "")
	}
	f.Add(schoolID, "schoolId=x&fields=id")
	f.Fuzz(func(t *testing.T, school, query string) {
		fx.serve(t, routes.MenusDaily, req(school, query))
	})
}

// FuzzPaymentsMethods fuzzes GET /payments/methods (the
// payments-create-order function): its bearer token.
func FuzzPaymentsMethods(f *testing.F) {
	fx := newFuzzFixture(f)
	good := claims(parentID, "parent", "")
	req := func(how uint8, token string) events.APIGatewayProxyRequest {
		r := gatewayRequest("GET", "", 0)
		r.Resource = "/payments/methods"
		setAuthorization(&r, how, token)
		return r
	}
	fx.reach(f, routes.PaymentsCreateOrder, req(3, good))
	addTokenSeeds(good, func(how uint8, token string) { f.Add(how, token) })
	f.Fuzz(func(t *testing.T, how uint8, token string) {
		fx.serve(t, routes.PaymentsCreateOrder, req(how, token))
	})
}

// FuzzAnalyticsDaily fuzzes analytics-daily's bearer token, which
// decides the caller's role and school, path parameter and query string.
func FuzzAnalyticsDaily(f *testing.F) {
	fx := newFuzzFixture(f)
	good := claims(adminID, "school_admin", schoolID)
	span := "from=" + fx.today + "&to=" + fx.tomorrow
	req := func(how uint8, token, school, query string) events.APIGatewayProxyRequest {
		r := gatewayRequest("GET", "", 0)
		r.Resource = "/schools/{schoolId}/analytics"
		setAuthorization(&r, how, token)
		r.PathParameters = map[string]string{"schoolId": school}
		setQuery(&r, query)
		return r
	}
	fx.reach(f, routes.AnalyticsDaily, req(3, good, schoolID, span))
	addTokenSeeds(good, func(how uint8, token string) { f.Add(how, token, schoolID, span) })
	for _, c := range []string{
		claims(staffID, "kitchen_staff", schoolID), claims(otherStaffID, "kitchen_staff", otherSchoolID), claims(parentID, "parent", ""),
		claims(adminID, "admin", ""), claims(adminID, "school_admin", strings.ToUpper(schoolID)), claims(adminID, "school_admin", ""),
	} {
		f.Add(uint8(3), c, schoolID, span)
	}
	for _, s := range []string{strings.ToUpper(schoolID), otherSchoolID, unknownID, "not-an-id", "", "\x00", schoolID + "\x00"} {
		f.Add(uint8(3), good, s, span)
	}
	for _, q := range []string{
		"", "from=" + fx.today, "to=" + fx.today, "from=" + fx.tomorrow + "&to=" + fx.today, "from=0000-01-01&to=0000-01-31",
		"from=9999-12-01&to=9999-12-31", "from=0001-01-01&to=9999-12-31", "from=1999-12-31&to=2000-01-31", "from=2026-02-30&to=2026-03-01",
		"from=2026-03-01T00:00:00Z&to=2026-03-02", "from=%00&to=%00", "from=" + fx.today + "&from=2001-01-01&to=" + fx.today,
		"from=-0001-01-01&to=0001-01-01", "from=+2026-03-01&to=2026-03-01",
	} {
		f.Add(uint8(3), good, schoolID, q)
	}
	f.Fuzz(func(t *testing.T, how uint8, token, school, query string) {
		fx.serve(t, routes.AnalyticsDaily, req(how, token, school, query))
	})
}
