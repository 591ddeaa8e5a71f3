// Package auth signs users in: it checks an email and password against the
// stored bcrypt hash and issues a JWT signed with ES256, and it verifies
// those tokens on later requests with the public keys alone. It knows
// nothing of HTTP or AWS.
package auth

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/plaintext"
)

// Roles.
const (
	RoleParent       = "parent"
	RoleStudent      = "student"
	RoleSchoolAdmin  = "school_admin"
	RoleKitchenStaff = "kitchen_staff"
	RoleAdmin        = "admin"
)

// User is what sign-in needs to know about a user.
type User struct {
	ID           string
	Email        string
	PasswordHash string
	FirstName    string
	LastName     string
	Role         string
	Status       string
	// SchoolID is the staff member's or student's school, empty otherwise.
	SchoolID string
}

// UserStore finds users and replaces their password hashes.
type UserStore interface {
	// UserByEmail returns the user with the (lower-case) email, or an
	// apperr.NotFound error; apperr.Unavailable when the store is down.
	UserByEmail(ctx context.Context, email string) (*User, error)
	// ReplacePasswordHash stores hash as the user's password hash if the
	// stored one is still old (a password changed meanwhile stays).
	// Errors: Unavailable.
	ReplacePasswordHash(ctx context.Context, userID, old, hash string) error
}

// Service signs users in.
type Service struct {
	Users  UserStore
	Tokens *Tokens
	// Timed, when set, is told how long each costly step of a sign-in
	// took (StepPasswordVerify, StepTokenIssue), for the metrics.
	Timed func(ctx context.Context, step string, d time.Duration)
}

// The steps of a sign-in that Service.Timed is told about.
const (
	// StepPasswordVerify is the bcrypt comparison.
	StepPasswordVerify = "password-verify"
	// StepTokenIssue is signing the token.
	StepTokenIssue = "token-issue"
)

func (s *Service) timed(ctx context.Context, step string, start time.Time) {
	if s.Timed != nil {
		s.Timed(ctx, step, time.Since(start))
	}
}

// LoginRequest is the sign-in form.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// LoginResult is a signed-in session.
type LoginResult struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
	User      Profile   `json:"user"`
}

// Profile is the public part of a user.
type Profile struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Role      string `json:"role"`
	SchoolID  string `json:"schoolId,omitempty"`
}

// BcryptCost is the bcrypt cost of every password hash: the one sign-in
// stores when it rehashes a weaker hash, and the one of the dummy hash an
// unknown email is checked against. Raising it lengthens every sign-in
// (cost 10 takes about 70 ms of one vCPU; each step doubles it): measure
// auth-login against the plan's warm target first (README, How prod is
// sized).
const BcryptCost = 10

// dummyHash returns a hash at BcryptCost of a random password no one
// knows. Checking against it when the email is unknown makes that answer
// take as long as a wrong password; computed from BcryptCost, it cannot
// drift from the cost of the stored hashes. It is computed once, on first
// need or by PrepareDummyHash.
var dummyHash = sync.OnceValue(func() []byte {
	pw := make([]byte, 32)
	_, _ = rand.Read(pw) // never fails (crypto/rand)
	h, err := bcrypt.GenerateFromPassword(pw, BcryptCost)
	if err != nil {
		panic(fmt.Sprintf("bcrypt at cost %d: %v", BcryptCost, err)) // only a cost out of range
	}
	return h
})

// PrepareDummyHash computes the dummy hash (tens of milliseconds of CPU)
// now rather than in the first request for an unknown email. auth-login
// runs it beside the rest of its init.
func PrepareDummyHash() { dummyHash() }

// errBadCredentials is the one answer for an unknown email and a wrong
// password, so that the response does not reveal which emails exist.
var errBadCredentials = apperr.New(apperr.Unauthorized, "email or password is incorrect")

// Login checks the credentials and returns a signed token. Errors:
// Invalid (missing or malformed fields), Unauthorized (unknown email or
// wrong password, indistinguishable), Forbidden (inactive account, told
// only to someone who knows the password), Unavailable.
func (s *Service) Login(ctx context.Context, req LoginRequest) (*LoginResult, error) {
	email := strings.ToLower(strings.TrimSpace(req.Email))
	switch {
	case email == "":
		return nil, apperr.Field("email", "email is required")
	case len(email) > 254 || !strings.Contains(email, "@") || !plaintext.Valid(email):
		return nil, apperr.Field("email", "email is not a valid address")
	case req.Password == "":
		return nil, apperr.Field("password", "password is required")
	case len(req.Password) > 72:
		return nil, apperr.Field("password", "password is longer than 72 bytes")
	}
	u, err := s.Users.UserByEmail(ctx, email)
	if apperr.CodeOf(err) == apperr.NotFound {
		start := time.Now()
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(req.Password))
		s.timed(ctx, StepPasswordVerify, start)
		return nil, errBadCredentials
	}
	if err != nil {
		return nil, err
	}
	start := time.Now()
	wrong := bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(req.Password)) != nil
	s.timed(ctx, StepPasswordVerify, start)
	if wrong {
		return nil, errBadCredentials
	}
	if u.Status != "active" {
		return nil, apperr.New(apperr.Forbidden, "account is %s", u.Status)
	}
	s.rehash(ctx, u, req.Password)
	start = time.Now()
	token, exp, err := s.Tokens.Sign(ctx, Claims{UserID: u.ID, Role: u.Role, SchoolID: u.SchoolID})
	s.timed(ctx, StepTokenIssue, start)
	if err != nil {
		return nil, err
	}
	return &LoginResult{Token: token, ExpiresAt: exp, User: Profile{ID: u.ID, Email: u.Email,
		FirstName: u.FirstName, LastName: u.LastName, Role: u.Role, SchoolID: u.SchoolID}}, nil
}

// rehash stores the password hashed at BcryptCost when the user's stored
// hash is weaker (made at a lower cost, before the cost rose), now that
// sign-in knows the password. A failure only leaves the old hash for the
// next sign-in: it does not fail this one.
func (s *Service) rehash(ctx context.Context, u *User, password string) {
	if cost, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil || cost >= BcryptCost {
		return
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err == nil {
		err = s.Users.ReplacePasswordHash(ctx, u.ID, u.PasswordHash, string(h))
	}
	if err != nil {
		slog.WarnContext(ctx, "could not rehash a password at the current bcrypt cost", "user", u.ID, "error", err)
	}
}

// StandingTTL is how long a function trusts what it last read of an
// account's status. A token outlives its account's suspension by at most
// this long (not the token's hour), at the price of one primary-key read
// per signed-in user per execution environment per StandingTTL.
const StandingTTL = time.Minute

// maxStandings bounds the remembered answers of one process; past it the
// memory starts afresh (each entry then costs one read again).
const maxStandings = 10_000

// StatusStore reads account statuses.
type StatusStore interface {
	// UserStatus returns the user's status (active, inactive, suspended).
	// Errors: NotFound (no such user), Unavailable.
	UserStatus(ctx context.Context, userID string) (string, error)
}

// Standing checks that the account behind a verified token may still use
// it: only an active account may. Answers are remembered for StandingTTL.
// When the database cannot be reached the last answer stands, and without
// one the token's signature does: an outage must not sign everyone out,
// and a suspension is then enforced when the database is back.
type Standing struct {
	Users StatusStore
	// Now returns the current time; tests move it.
	Now func() time.Time

	mu   sync.Mutex
	seen map[string]standing
}

type standing struct {
	err   error
	until time.Time
}

// NewStanding returns a Standing over users.
func NewStanding(users StatusStore) *Standing {
	return &Standing{Users: users, Now: time.Now, seen: map[string]standing{}}
}

// Check returns nil if userID's account is active. Errors: Forbidden
// (inactive or suspended), Unauthorized (the account no longer exists).
func (s *Standing) Check(ctx context.Context, userID string) error {
	now := s.Now()
	s.mu.Lock()
	last, known := s.seen[userID]
	s.mu.Unlock()
	if known && now.Before(last.until) {
		return last.err
	}
	status, err := s.Users.UserStatus(ctx, userID)
	var verdict error
	switch {
	case apperr.CodeOf(err) == apperr.NotFound:
		verdict = apperr.New(apperr.Unauthorized, "the account no longer exists")
	case err != nil:
		if known {
			return last.err
		}
		return nil
	case status != "active":
		verdict = apperr.New(apperr.Forbidden, "account is %s", status)
	}
	s.mu.Lock()
	if len(s.seen) >= maxStandings {
		clear(s.seen)
	}
	s.seen[userID] = standing{err: verdict, until: now.Add(StandingTTL)}
	s.mu.Unlock()
	return verdict
}
