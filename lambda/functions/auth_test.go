package functions_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/restapi"
	"github.com/hasivu/infra/lambda/routes"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	r := f.call(routes.AuthLogin, request{method: "POST", body: `{"email":"Parent@Test.example","password":"` + password + `"}`})
	if r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.raw)
	}
	tokens := testTokens()
	c, err := tokens.Verify(context.Background(), r.body["token"].(string))
	if err != nil {
		t.Fatalf("issued token does not verify: %v", err)
	}
	if c.UserID != parentID || c.Role != "parent" {
		t.Errorf("claims = %+v, want the parent", c)
	}
	if u := r.body["user"].(map[string]any); u["email"] != "parent@test.example" || u["passwordHash"] != nil {
		t.Errorf("user = %v", u)
	}
	if !strings.Contains(f.metrics.String(), `"QueryDuration":[`) || !strings.Contains(f.metrics.String(), `"Query":"users.by_email"`) {
		t.Errorf("no QueryDuration metric for users.by_email in %s", f.metrics.String())
	}

	staff := f.call(routes.AuthLogin, request{method: "POST", body: `{"email":"kitchen@test.example","password":"` + password + `"}`})
	if c, _ := tokens.Verify(context.Background(), staff.body["token"].(string)); c == nil || c.SchoolID != schoolID {
		t.Errorf("staff token carries school %v, want %s", c, schoolID)
	}

	// Unknown email and wrong password get the same answer, and both pay
	// for a bcrypt comparison (the unknown one against a dummy hash).
	unknown := f.call(routes.AuthLogin, request{method: "POST", body: `{"email":"nobody@test.example","password":"x"}`})
	wrong := f.call(routes.AuthLogin, request{method: "POST", body: `{"email":"parent@test.example","password":"x"}`})
	if unknown.status != 401 || wrong.status != 401 || unknown.raw != wrong.raw {
		t.Errorf("unknown email → %d %s; wrong password → %d %s; want the same 401", unknown.status, unknown.raw, wrong.status, wrong.raw)
	}

	inactive := f.call(routes.AuthLogin, request{method: "POST", body: `{"email":"inactive@test.example","password":"` + password + `"}`})
	if inactive.status != 403 || !strings.Contains(inactive.errorMessage(), "inactive") {
		t.Errorf("inactive user: %d %s, want 403", inactive.status, inactive.raw)
	}
}

// TestLoginRehashes: on the real PostgreSQL, connected as sign-in's own
// role (routes.DBUserOf), a user whose stored hash has a cost below
// auth.BcryptCost (the fixture's cost-4 hashes) signs in and finds it
// stored at auth.BcryptCost; the password still works.
func TestLoginRehashes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, fixtureOpts{dbRole: routes.DBUserOf(routes.AuthLogin, "")})
	storedCost := func() int {
		var h string
		if err := f.db.QueryRow(context.Background(), `SELECT password_hash FROM users WHERE id = $1`, parentID).Scan(&h); err != nil {
			t.Fatal(err)
		}
		c, err := bcrypt.Cost([]byte(h))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := storedCost(); c >= auth.BcryptCost {
		t.Fatalf("fixture hash has cost %d, want one below %d", c, auth.BcryptCost)
	}
	f.login("parent@test.example")
	if c := storedCost(); c != auth.BcryptCost {
		t.Errorf("after sign-in the stored hash has cost %d, want %d", c, auth.BcryptCost)
	}
	f.login("parent@test.example")
}

func TestLoginBadInput(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		name, body string
		status     int
		mention    string
	}{
		{"empty body", ``, 400, "empty"},
		{"malformed JSON", `{"email": "a@b.c", "password": `, 400, "malformed JSON"},
		{"not an object", `["a@b.c"]`, 400, "JSON object"},
		{"trailing data", `{"email":"a@b.c","password":"x"} {}`, 400, "exactly one JSON object"},
		{"missing email", `{"password":"x"}`, 400, "email is required"},
		{"missing password", `{"email":"a@b.c"}`, 400, "password is required"},
		{"wrong type", `{"email":42,"password":"x"}`, 400, "field email must be a string"},
		{"unknown field", `{"email":"a@b.c","password":"x","admin":true}`, 400, `unknown field "admin"`},
		{"bad email", `{"email":"nope","password":"x"}`, 400, "valid address"},
		{"NUL in email", `{"email":"parent@test.example\u0000","password":"x"}`, 400, "valid address"},
		{"oversize", `{"email":"a@b.c","password":"` + strings.Repeat("x", restapi.MaxBodyBytes) + `"}`, 413, "exceeds"},
	} {
		r := f.call(routes.AuthLogin, request{method: "POST", body: tc.body})
		if r.status != tc.status || !strings.Contains(r.errorMessage(), tc.mention) {
			t.Errorf("%s: %d %s, want %d mentioning %q", tc.name, r.status, r.raw, tc.status, tc.mention)
		}
	}
}

func TestBadTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tokens := testTokens()
	tokens.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	expired, _, _ := tokens.Sign(context.Background(), auth.Claims{UserID: parentID, Role: "parent"})
	// Another key claiming ours' key ID: a forgery.
	otherKey := auth.NewTokens(auth.Issuer("test"), forgingKeys{})
	forged, _, _ := otherKey.Sign(context.Background(), auth.Claims{UserID: parentID, Role: "parent"})
	good := f.login("parent@test.example")
	parts := strings.Split(good, ".")
	// alg "none" with the same claims and no signature.
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "."
	for _, tc := range []struct {
		name, header, mention string
	}{
		{"missing", "", "missing"},
		{"not bearer", "Basic abc", "Bearer"},
		{"expired", "Bearer " + expired, "expired"},
		{"forged", "Bearer " + forged, "signature"},
		{"alg none", "Bearer " + none, "token"},
		{"tampered", "Bearer " + parts[0] + "." + parts[1] + "x." + parts[2], "token"},
		{"garbage", "Bearer not-a-token", "malformed"},
		// Signed with our key, so only a leaked key or a bug could make
		// them; they must not reach a query as malformed ids.
		{"subject not an id", "Bearer " + signedToken(t, "not-a-uuid", "parent", ""), "not a valid id"},
		{"school not an id", "Bearer " + signedToken(t, staffID, "kitchen_staff", "not-a-school"), "not a valid id"},
	} {
		for _, fn := range []string{routes.OrdersList, routes.OrdersCreate, routes.PaymentsCreateOrder, routes.RFIDVerifyCard} {
			req := request{method: "GET", headers: map[string]string{}}
			if tc.header != "" {
				req.headers["Authorization"] = tc.header
			}
			r := f.call(fn, req)
			if r.status != 401 || r.errorCode() != "unauthorized" || !strings.Contains(r.errorMessage(), tc.mention) {
				t.Errorf("%s token on %s: %d %s, want 401 mentioning %q", tc.name, fn, r.status, r.raw, tc.mention)
			}
		}
	}
	if n := f.count(`SELECT count(*) FROM orders`) + f.count(`SELECT count(*) FROM payment_orders`) + f.count(`SELECT count(*) FROM meal_verifications`); n != 0 {
		t.Errorf("rejected requests wrote %d rows", n)
	}
}

// TestSuspendedAccountLosesItsToken is finding 7: a token used to work
// until it expired (an hour) after its account was suspended. Each
// function now trusts an account's status for auth.StandingTTL at most:
// the test moves the functions' clock past it instead of waiting.
func TestSuspendedAccountLosesItsToken(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	staff := f.login("kitchen@test.example")
	now := time.Now()
	f.deps.Standing.Now = func() time.Time { return now }
	list := func(tok string) response { return f.call(routes.OrdersList, request{method: "GET", token: tok}) }
	if r := list(token); r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.raw)
	}
	f.exec(`UPDATE users SET status = 'suspended' WHERE id = $1`, parentID)
	// Within the bound the last answer may stand; past it, every route
	// that needs a signed-in user refuses the token.
	now = now.Add(auth.StandingTTL + time.Second)
	if r := list(token); r.status != 403 || r.errorMessage() != "account is suspended" {
		t.Errorf("list with a suspended account's token: %d %s, want 403", r.status, r.raw)
	}
	order := f.insertOrder(parentID, studentID, f.tomorrow, "pending", "unpaid", time.Now())
	if r := f.checkout(token, order); r.status != 403 {
		t.Errorf("checkout with a suspended account's token: %d %s", r.status, r.raw)
	}
	// Other accounts are unaffected, and a deleted account's token is
	// refused as no longer valid.
	if r := f.call(routes.RFIDVerifyCard, request{method: "POST", token: staff, body: `{"cardNumber":"CARD0001"}`}); r.status == 401 || r.status == 403 {
		t.Errorf("staff refused: %d %s", r.status, r.raw)
	}
	ghost := signedToken(t, unknownID, "parent", "")
	if r := list(ghost); r.status != 401 {
		t.Errorf("token of an account that does not exist: %d %s", r.status, r.raw)
	}
	// Reinstated, the same token works again once the bound has passed.
	f.exec(`UPDATE users SET status = 'active' WHERE id = $1`, parentID)
	now = now.Add(auth.StandingTTL + time.Second)
	if r := list(token); r.status != 200 {
		t.Errorf("reinstated: %d %s", r.status, r.raw)
	}
}

// forgingKeys signs with a key of its own under the fixture key's ID.
type forgingKeys struct{}

var forger = mustKey()

func (forgingKeys) SigningKey(context.Context) (*auth.SigningKey, error) {
	return &auth.SigningKey{ID: jwtKey.ID, Private: forger.Private}, nil
}

func (forgingKeys) VerificationKey(context.Context, string) (*auth.VerificationKey, error) {
	return nil, errors.New("forgingKeys only sign")
}
