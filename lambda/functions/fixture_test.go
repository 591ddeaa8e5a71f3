package functions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/jackc/pgx/v5/pgxpool"
	goredis "github.com/redis/go-redis/v9"
	"golang.org/x/crypto/bcrypt"

	"github.com/hasivu/infra/lambda/audit"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/functions"
	"github.com/hasivu/infra/lambda/razorpay/razorpaytest"
	"github.com/hasivu/infra/lambda/redis"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/testsupport"
)

const (
	password      = "correct horse battery staple"
	webhookSecret = "test-webhook-secret"

	schoolID      = "00000000-0000-4000-8000-000000000001"
	otherSchoolID = "00000000-0000-4000-8000-000000000002"
	parentID      = "00000000-0000-4000-8000-000000000011"
	otherParentID = "00000000-0000-4000-8000-000000000012"
	inactiveID    = "00000000-0000-4000-8000-000000000013"
	staffID       = "00000000-0000-4000-8000-000000000014"
	otherStaffID  = "00000000-0000-4000-8000-000000000015"
	adminID       = "00000000-0000-4000-8000-000000000016"
	studentID     = "00000000-0000-4000-8000-000000000021"
	otherStudent  = "00000000-0000-4000-8000-000000000022"
	lunchID       = "00000000-0000-4000-8000-000000000031"
	snackID       = "00000000-0000-4000-8000-000000000032"
	soldOutID     = "00000000-0000-4000-8000-000000000033"
	offMenuID     = "00000000-0000-4000-8000-000000000034"
	unknownID     = "00000000-0000-4000-8000-0000000000ff"
	cardNumber    = "CARD0001"
	expiredCard   = "CARD0002"
	otherCard     = "CARD0003"
)

// jwtKey is the tests' JWT signing key (JWT_SECRET, as locally: it both
// signs and verifies); jwtSecret is its PEM.
var (
	jwtKey    = mustKey()
	jwtSecret = jwtKey.PrivatePEM()
)

func mustKey() *auth.SigningKey {
	p, err := auth.GenerateKey()
	if err != nil {
		panic(err)
	}
	k, err := auth.ParseSigningKey(p)
	if err != nil {
		panic(err)
	}
	return k
}

// testTokens signs and verifies as the fixture's functions do (stage
// "test").
func testTokens() *auth.Tokens {
	return auth.NewTokens(auth.Issuer("test"), auth.StaticKeys{Key: jwtKey})
}

var (
	hashOnce sync.Once
	hash     string
)

// passwordHash is the fixture users' bcrypt hash, at the minimum cost so
// tests stay quick.
func passwordHash(t testing.TB) string {
	hashOnce.Do(func() {
		b, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		hash = string(b)
	})
	return hash
}

// syncBuffer collects EMF lines from concurrent invocations.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// fixture is one test's private world: a migrated schema with a small
// known data set, a Redis key prefix, a Razorpay stand-in and the handlers
// of every routed function built from an environment like the Lambda one.
type fixture struct {
	t        testing.TB
	dsn      string
	db       *pgxpool.Pool // for arranging and asserting, not used by handlers
	deps     *functions.Deps
	razorpay *razorpaytest.Server
	metrics  *syncBuffer
	handlers map[string]functions.APIHandler
	redis    *goredis.Client // the test Redis, for assertions
	prefix   string
	// proxy stands between the handlers and Redis when the test asked
	// for it (fixtureOpts.redisProxy), to cut Redis off and bring it back.
	proxy *testsupport.Proxy
	// app is the handlers' PostgreSQL application_name, which finds
	// their sessions in pg_stat_activity.
	app      string
	today    string
	tomorrow string
}

type fixtureOpts struct {
	redisAddr  string       // overrides the test Redis (a closed port: Redis down)
	redisProxy bool         // puts a testsupport.Proxy between the handlers and Redis
	dbURL      string       // overrides the schema's URL for handlers (a closed port: database down)
	cache      redis.Config // the cache's breaker and version TTL (the prefix is the fixture's)
	dbConns    int          // the handlers' pool size, to let many requests reach PostgreSQL at once
	// dbRole, when set, is the database role the handlers connect as
	// (routes.DBApp, routes.DBReader), as functions do in AWS; unset,
	// they connect as the test server's superuser.
	dbRole string
	// razorpaySecret, when set, is a stand-in Parameters and Secrets
	// extension holding the Razorpay secret (arn:razorpay), which the
	// functions then read instead of being given the credentials.
	razorpaySecret *secretsExtension
}

func newFixture(t testing.TB, opts ...fixtureOpts) *fixture {
	t.Helper()
	var o fixtureOpts
	if len(opts) > 0 {
		o = opts[0]
	}
	dsn := testsupport.MigratedSchema(t)
	redisAddr, prefix := testsupport.Redis(t)
	var proxy *testsupport.Proxy
	if o.redisProxy {
		proxy = testsupport.NewProxy(t, redisAddr)
		redisAddr = proxy.Addr
	}
	if o.redisAddr != "" {
		redisAddr = o.redisAddr
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	app := "hasivu-" + q.Get("search_path")
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	handlerDSN := u.String()
	if o.dbURL != "" {
		handlerDSN = o.dbURL
	}
	if o.dbRole != "" {
		handlerDSN = testsupport.AsRole(t, handlerDSN, o.dbRole)
	}
	// The stand-in answers for Razorpay's Orders API, which tests cannot
	// call: no internet here and no Razorpay account.
	rp := razorpaytest.New("rzp_test_key", "rzp_test_secret")
	t.Cleanup(rp.Close)
	vars := map[string]string{
		routes.EnvStage: "test", routes.EnvDatabaseURL: handlerDSN, routes.EnvRedisAddr: redisAddr, routes.EnvJWTSecret: jwtSecret,
		routes.EnvRazorpayBaseURL: rp.URL, routes.EnvRazorpayKeyID: rp.KeyID, routes.EnvRazorpayKeySecret: rp.KeySecret,
		routes.EnvRazorpayWebhookSecret: webhookSecret, routes.EnvCorsAllowedOrigins: "https://app.example.com, http://localhost:3000",
	}
	if ext := o.razorpaySecret; ext != nil {
		for _, k := range []string{routes.EnvRazorpayKeyID, routes.EnvRazorpayKeySecret, routes.EnvRazorpayWebhookSecret} {
			delete(vars, k)
		}
		vars[routes.EnvRazorpaySecretARN], vars[routes.EnvAWSSessionToken] = "arn:razorpay", ext.token
		vars[routes.EnvSecretsExtensionPort] = ext.port
	}
	e, err := env.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, dsn: dsn, db: testsupport.Pool(t, dsn), razorpay: rp, metrics: &syncBuffer{},
		handlers: map[string]functions.APIHandler{}, prefix: prefix, proxy: proxy, app: app,
		redis: goredis.NewClient(&goredis.Options{Addr: testsupport.RedisAddr()})}
	t.Cleanup(func() { f.redis.Close() })
	o.cache.Prefix = prefix
	d, err := functions.Setup(context.Background(), e, functions.Union(routes.Deployed()...),
		functions.Options{Cache: o.cache, DBMaxConns: o.dbConns})
	if err != nil {
		t.Fatalf("setup: %v", err)
	}
	t.Cleanup(d.Close)
	d.Metrics = f.metrics
	d.Audit = &audit.Log{W: &syncBuffer{}} // tests that read the lines set their own
	f.deps = d
	for _, name := range routes.Functions() {
		if f.handlers[name], err = d.HTTP(name); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now().In(time.FixedZone("IST", 5*3600+1800))
	f.today = now.Format(time.DateOnly)
	f.tomorrow = now.AddDate(0, 0, 1).Format(time.DateOnly)
	f.seed()
	return f
}

// redisTTL returns the TTL of a cache key (without the test's prefix).
func (f *fixture) redisTTL(key string) time.Duration {
	f.t.Helper()
	d, err := f.redis.PTTL(context.Background(), f.prefix+key).Result()
	if err != nil {
		f.t.Fatalf("TTL %s: %v", key, err)
	}
	return d
}

func (f *fixture) exec(sql string, args ...any) {
	f.t.Helper()
	if _, err := f.db.Exec(context.Background(), sql, args...); err != nil {
		f.t.Fatalf("%s: %v", strings.TrimSpace(sql), err)
	}
}

func (f *fixture) count(sql string, args ...any) int {
	f.t.Helper()
	var n int
	if err := f.db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		f.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func (f *fixture) seed() {
	h := passwordHash(f.t)
	f.exec(`INSERT INTO schools (id, code, name, city) VALUES ($1, 'S1', 'Test School', 'Pune'), ($2, 'S2', 'Other School', 'Pune')`,
		schoolID, otherSchoolID)
	f.exec(`INSERT INTO users (id, email, password_hash, first_name, last_name, role, status, school_id) VALUES
		($1, 'parent@test.example', $6, 'Pat', 'Parent', 'parent', 'active', NULL),
		($2, 'other@test.example', $6, 'Olly', 'Other', 'parent', 'active', NULL),
		($3, 'inactive@test.example', $6, 'Ina', 'Active', 'parent', 'inactive', NULL),
		($4, 'kitchen@test.example', $6, 'Kay', 'Cook', 'kitchen_staff', 'active', $7),
		($5, 'kitchen2@test.example', $6, 'Kim', 'Cook', 'kitchen_staff', 'active', $8),
		($9, 'admin@test.example', $6, 'Ada', 'Head', 'school_admin', 'active', $7)`,
		parentID, otherParentID, inactiveID, staffID, otherStaffID, h, schoolID, otherSchoolID, adminID)
	f.exec(`INSERT INTO students (id, school_id, parent_id, first_name, last_name, grade, section) VALUES
		($1, $3, $4, 'Sam', 'Parent', '4', 'B'), ($2, $3, $5, 'Oz', 'Other', '5', 'A')`,
		studentID, otherStudent, schoolID, parentID, otherParentID)
	f.exec(`INSERT INTO menu_items (id, school_id, name, category, price_paise, is_available) VALUES
		($1, $5, 'Veg Thali', 'lunch', 5000, true), ($2, $5, 'Samosa', 'snack', 2000, true),
		($3, $5, 'Mango Lassi', 'beverage', 3000, false), ($4, $5, 'Poha', 'breakfast', 2500, true)`,
		lunchID, snackID, soldOutID, offMenuID, schoolID)
	for _, day := range []string{f.today, f.tomorrow} {
		f.exec(`WITH m AS (INSERT INTO daily_menus (school_id, menu_date) VALUES ($1, $2) RETURNING id)
			INSERT INTO daily_menu_items (daily_menu_id, menu_item_id, sort_order)
			SELECT m.id, x.id, x.n FROM m, unnest($3::uuid[]) WITH ORDINALITY AS x(id, n)`,
			schoolID, day, []string{lunchID, snackID, soldOutID})
	}
	f.exec(`INSERT INTO rfid_cards (card_number, student_id, school_id, expires_at) VALUES
		($1, $4, $6, now() + interval '1 year'), ($2, $5, $6, now() - interval '1 day'), ($3, $5, $6, NULL)`,
		cardNumber, expiredCard, otherCard, studentID, otherStudent, schoolID)
}

// insertOrder stores an order directly (not through the handler) and
// returns its id.
func (f *fixture) insertOrder(user, student, date, status, payment string, created time.Time) string {
	f.t.Helper()
	var id string
	if err := f.db.QueryRow(context.Background(), `
		WITH o AS (INSERT INTO orders (user_id, student_id, school_id, delivery_date, status, payment_status, total_paise, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, 7000, $7) RETURNING id)
		, i AS (INSERT INTO order_items (order_id, menu_item_id, quantity, unit_price_paise)
			SELECT o.id, x.id, 1, x.p FROM o, (VALUES ($8::uuid, 5000), ($9::uuid, 2000)) AS x(id, p))
		SELECT id::text FROM o`, user, student, schoolID, date, status, payment, created, lunchID, snackID).Scan(&id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

// request builds an API Gateway proxy request.
type request struct {
	method  string
	path    string
	body    string
	token   string
	headers map[string]string
	query   map[string]string
	params  map[string]string
}

type response struct {
	status  int
	headers map[string]string
	raw     string
	body    map[string]any
}

// errorCode returns the error code of an error response.
func (r response) errorCode() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func (r response) errorMessage() string {
	e, _ := r.body["error"].(map[string]any)
	s, _ := e["message"].(string)
	return s
}

func (f *fixture) call(function string, req request) response {
	f.t.Helper()
	h, ok := f.handlers[function]
	if !ok {
		f.t.Fatalf("no handler %s", function)
	}
	ev := events.APIGatewayProxyRequest{HTTPMethod: req.method, Path: req.path, Body: req.body,
		Headers: map[string]string{}, QueryStringParameters: req.query, PathParameters: req.params}
	for k, v := range req.headers {
		ev.Headers[k] = v
	}
	if req.token != "" {
		ev.Headers["Authorization"] = "Bearer " + req.token
	}
	resp, err := h(context.Background(), ev)
	if err != nil {
		f.t.Fatalf("%s returned an error instead of a response: %v", function, err)
	}
	if ct := resp.Headers["Content-Type"]; ct != "application/json" {
		f.t.Errorf("%s: Content-Type %q, want application/json", function, ct)
	}
	out := response{status: resp.StatusCode, headers: resp.Headers, raw: resp.Body}
	if strings.HasPrefix(resp.Body, "{") {
		if err := json.Unmarshal([]byte(resp.Body), &out.body); err != nil {
			f.t.Fatalf("%s: body is not JSON: %v: %s", function, err, resp.Body)
		}
	}
	return out
}

// login signs in through auth-login and returns the token.
func (f *fixture) login(email string) string {
	f.t.Helper()
	r := f.call(routes.AuthLogin, request{method: "POST", body: `{"email":"` + email + `","password":"` + password + `"}`})
	if r.status != 200 {
		f.t.Fatalf("login %s: %d %s", email, r.status, r.raw)
	}
	return r.body["token"].(string)
}

func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// signedToken signs a token directly, for tests whose database is down.
func signedToken(t *testing.T, user, role, school string) string {
	t.Helper()
	s, _, err := testTokens().Sign(context.Background(), auth.Claims{UserID: user, Role: role, SchoolID: school})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// webhook delivers a Razorpay webhook body, signed with the fixture's
// secret.
func (f *fixture) webhook(body []byte) response {
	f.t.Helper()
	return f.call(routes.PaymentsWebhook, request{method: "POST", body: string(body),
		headers: map[string]string{"Content-Type": "application/json", "X-Razorpay-Signature": razorpaytest.Sign(body, webhookSecret)}})
}

// checkout opens (or reopens) a payment order for an order.
func (f *fixture) checkout(token, orderID string) response {
	f.t.Helper()
	return f.call(routes.PaymentsCreateOrder, request{method: "POST", token: token, body: `{"orderId":"` + orderID + `"}`})
}

// waitFor polls cond until it holds, failing the test after a deadline
// generous enough for a loaded machine.
func (f *fixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not a wait for an event
	}
}

// lockWaiters counts the handlers' PostgreSQL sessions waiting on a lock.
func (f *fixture) lockWaiters() int {
	return f.count(`SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, f.app)
}

// secretsExtension stands in for the AWS Parameters and Secrets Lambda
// extension (which exists only inside Lambda), serving secrets that a test
// may change.
type secretsExtension struct {
	port, token string
	mu          sync.Mutex
	secrets     map[string]string
	reads       int
}

func newSecretsExtension(t testing.TB, secrets map[string]string) *secretsExtension {
	x := &secretsExtension{token: "session-token", secrets: secrets}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		x.mu.Lock()
		defer x.mu.Unlock()
		x.reads++
		v, ok := x.secrets[r.URL.Query().Get("secretId")]
		if r.Header.Get("X-Aws-Parameters-Secrets-Token") != x.token || !ok {
			http.Error(w, "ResourceNotFoundException", http.StatusBadRequest)
			return
		}
		b, _ := json.Marshal(map[string]string{"SecretString": v})
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	_, x.port, _ = net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	return x
}

// readCount returns how many reads the extension answered.
func (x *secretsExtension) readCount() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.reads
}

func (x *secretsExtension) set(id, value string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.secrets[id] = value
}
