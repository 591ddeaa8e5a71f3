package auth

import (
	"context"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hasivu/infra/lambda/apperr"
)

// TestDummyHashCostsTheSame: an unknown email is checked against
// dummyHash, which must be a well-formed hash of the same cost as stored
// ones, or the unknown-email answer would come measurably faster.
func TestDummyHashCostsTheSame(t *testing.T) {
	cost, err := bcrypt.Cost([]byte(dummyHash))
	if err != nil || cost != bcrypt.DefaultCost {
		t.Fatalf("dummy hash cost %d (%v), want %d", cost, err, bcrypt.DefaultCost)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(dummyHash), []byte("guess")); err != bcrypt.ErrMismatchedHashAndPassword {
		t.Fatalf("comparing against the dummy hash: %v, want a plain mismatch", err)
	}
}

type users map[string]*User

func (u users) UserByEmail(_ context.Context, email string) (*User, error) {
	if v, ok := u[email]; ok {
		return v, nil
	}
	return nil, apperr.New(apperr.NotFound, "no user")
}

// TestUnknownEmailRunsBcrypt checks that the unknown-email path does a
// full-cost bcrypt comparison (tens of milliseconds) rather than
// returning at once. This asserts that work happens, not how fast it is.
func TestUnknownEmailRunsBcrypt(t *testing.T) {
	tokens, _ := NewTokens([]byte("0123456789abcdef0123456789abcdef"))
	s := &Service{Users: users{}, Tokens: tokens}
	start := time.Now()
	_, err := s.Login(context.Background(), LoginRequest{Email: "x@y.z", Password: "p"})
	if apperr.CodeOf(err) != apperr.Unauthorized {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d < 5*time.Millisecond {
		t.Errorf("unknown email answered in %s: no bcrypt comparison ran", d)
	}
}

func TestShortKeyRefused(t *testing.T) {
	if _, err := NewTokens([]byte("short")); err == nil {
		t.Error("accepted a 5-byte signing key")
	}
}

func TestTokenRoundTrip(t *testing.T) {
	tokens, _ := NewTokens([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	tokens.Now = func() time.Time { return now }
	const user, school = "0191e2a4-7b1c-7c3d-8e4f-123456789abc", "0191e2a4-7b1c-7c3d-8e4f-123456789abd"
	s, exp, err := tokens.Sign(Claims{UserID: user, Role: RoleKitchenStaff, SchoolID: school})
	if err != nil || !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("Sign: %v, expiry %s", err, exp)
	}
	c, err := tokens.Verify(s)
	if err != nil || c.UserID != user || c.Role != RoleKitchenStaff || c.SchoolID != school {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
	tokens.Now = func() time.Time { return now.Add(61 * time.Minute) }
	if _, err := tokens.Verify(s); apperr.CodeOf(err) != apperr.Unauthorized || apperr.As(err).Message != "token expired: sign in again" {
		t.Errorf("expired token: %v", err)
	}
}
