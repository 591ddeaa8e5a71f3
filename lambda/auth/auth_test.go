package auth

import (
	"context"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hasivu/infra/lambda/apperr"
)

// TestDummyHashCostsTheSame: an unknown email is checked against
// dummyHash, which must be a well-formed hash of the cost stored ones
// have (BcryptCost), or the unknown-email answer would come measurably
// faster.
func TestDummyHashCostsTheSame(t *testing.T) {
	cost, err := bcrypt.Cost(dummyHash())
	if err != nil || cost != BcryptCost {
		t.Fatalf("dummy hash cost %d (%v), want %d", cost, err, BcryptCost)
	}
	if err := bcrypt.CompareHashAndPassword(dummyHash(), []byte("guess")); err != bcrypt.ErrMismatchedHashAndPassword {
		t.Fatalf("comparing against the dummy hash: %v, want a plain mismatch", err)
	}
}

type users map[string]*User

func (u users) UserByEmail(_ context.Context, email string) (*User, error) {
	if v, ok := u[email]; ok {
		c := *v
		return &c, nil
	}
	return nil, apperr.New(apperr.NotFound, "no user")
}

func (u users) ReplacePasswordHash(_ context.Context, id, old, hash string) error {
	for _, v := range u {
		if v.ID == id && v.PasswordHash == old {
			v.PasswordHash = hash
		}
	}
	return nil
}

// TestLoginRehashesWeakerHashes: a hash below BcryptCost is replaced, on a
// successful sign-in, by one at BcryptCost of the same password; a wrong
// password changes nothing. (lambda/functions' TestLoginRehashes does the
// same on PostgreSQL, as sign-in's database role.)
func TestLoginRehashesWeakerHashes(t *testing.T) {
	weak, _ := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	u := &User{ID: "u1", Email: "a@b.c", PasswordHash: string(weak), Role: RoleParent, Status: "active"}
	s := &Service{Users: users{u.Email: u}, Tokens: testTokens(t)}
	if _, err := s.Login(context.Background(), LoginRequest{Email: u.Email, Password: "wrong"}); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("wrong password: %v", err)
	}
	if u.PasswordHash != string(weak) {
		t.Fatal("a wrong password replaced the hash")
	}
	if _, err := s.Login(context.Background(), LoginRequest{Email: u.Email, Password: "secret"}); err != nil {
		t.Fatal(err)
	}
	if cost, _ := bcrypt.Cost([]byte(u.PasswordHash)); cost != BcryptCost || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("secret")) != nil {
		t.Fatalf("after sign-in the hash has cost %d (want %d) or does not match the password", cost, BcryptCost)
	}
	current := u.PasswordHash
	if _, err := s.Login(context.Background(), LoginRequest{Email: u.Email, Password: "secret"}); err != nil || u.PasswordHash != current {
		t.Errorf("a hash at the current cost was replaced (%v)", err)
	}
}

// TestUnknownEmailRunsBcrypt checks that the unknown-email path does a
// full-cost bcrypt comparison (tens of milliseconds) rather than
// returning at once. This asserts that work happens, not how fast it is.
func TestUnknownEmailRunsBcrypt(t *testing.T) {
	s := &Service{Users: users{}, Tokens: testTokens(t)}
	start := time.Now()
	_, err := s.Login(context.Background(), LoginRequest{Email: "x@y.z", Password: "p"})
	if apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d < 5*time.Millisecond {
		t.Errorf("unknown email answered in %s: no bcrypt comparison ran", d)
	}
}

// statuses is an in-memory StatusStore; err, when set, is every answer.
type statuses struct {
	status map[string]string
	err    error
	reads  int
}

func (s *statuses) UserStatus(_ context.Context, id string) (string, error) {
	s.reads++
	if s.err != nil {
		return "", s.err
	}
	st, ok := s.status[id]
	if !ok {
		return "", apperr.New(apperr.NotFound, "no user")
	}
	return st, nil
}

func TestStanding(t *testing.T) {
	store := &statuses{status: map[string]string{"u1": "active", "u2": "suspended"}}
	s := NewStanding(store)
	now := time.Unix(1_000_000, 0)
	s.Now = func() time.Time { return now }
	ctx := context.Background()
	check := func(id string) apperr.Code { return apperr.CodeOf(s.Check(ctx, id)) }

	if check("u1") != "" || check("u2") != apperr.Forbidden || check("gone") != apperr.Unauthorized {
		t.Fatal("first answers wrong")
	}
	if check("u1"); store.reads != 3 {
		t.Errorf("%d reads: a second check within StandingTTL read the store again", store.reads)
	}
	// Suspended now: seen once StandingTTL has passed.
	store.status["u1"] = "suspended"
	if check("u1") != "" {
		t.Error("the remembered answer did not stand within StandingTTL")
	}
	now = now.Add(StandingTTL)
	if check("u1") != apperr.Forbidden {
		t.Error("suspension not seen after StandingTTL")
	}
	// The database down: the last answer stands, and without one the
	// token's signature does.
	store.err = apperr.New(apperr.Unavailable, "down")
	now = now.Add(StandingTTL)
	if check("u1") != apperr.Forbidden || check("u2") != apperr.Forbidden || check("never-seen") != "" {
		t.Error("with the database down: want the last answers, and a pass for an account never checked")
	}
}
