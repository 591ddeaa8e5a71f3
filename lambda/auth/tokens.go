package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/ids"
)

// Claims is what a token says about its bearer.
type Claims struct {
	UserID    string
	Role      string
	SchoolID  string
	ExpiresAt time.Time
}

// Audience is every token's aud: the Hasivu API. Tokens of other
// audiences (another system signing with a key we share by mistake) are
// refused.
const Audience = "hasivu-api"

// tokenTTL is how long a token is valid. A key stays verifiable (as the
// previous key) for at least this long after it stopped signing.
const tokenTTL = time.Hour

// TokenTTL returns how long a token is valid.
func TokenTTL() time.Duration { return tokenTTL }

// Issuer returns the iss of the tokens of stage: a token of one stage is
// refused by every other, even were their keys mixed up.
func Issuer(stage string) string { return "hasivu-" + stage }

// KeySource gives Tokens its keys.
type KeySource interface {
	// SigningKey returns the key that signs new tokens. Errors:
	// Unavailable (no key yet, or its secret cannot be read).
	SigningKey(ctx context.Context) (*SigningKey, error)
	// VerificationKey returns the public key whose key ID is kid.
	// Errors: Unauthorized (no such key), Unavailable.
	VerificationKey(ctx context.Context, kid string) (*VerificationKey, error)
}

// Tokens signs and verifies ES256 JWTs carrying a key ID (kid), an issuer
// and an audience.
type Tokens struct {
	// Issuer is the stage's issuer (Issuer).
	Issuer string
	Keys   KeySource
	// Now returns the current time; tests move it.
	Now func() time.Time
}

// NewTokens returns Tokens of issuer over keys.
func NewTokens(issuer string, keys KeySource) *Tokens {
	return &Tokens{Issuer: issuer, Keys: keys, Now: time.Now}
}

type jwtClaims struct {
	Role     string `json:"role"`
	SchoolID string `json:"school,omitempty"`
	jwt.RegisteredClaims
}

// Sign returns a token for c valid for an hour, and its expiry. Errors:
// Unavailable (no signing key).
func (t *Tokens) Sign(ctx context.Context, c Claims) (string, time.Time, error) {
	key, err := t.Keys.SigningKey(ctx)
	if err != nil {
		return "", time.Time{}, err
	}
	now := t.Now()
	exp := now.Add(tokenTTL).Truncate(time.Second)
	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwtClaims{
		Role: c.Role, SchoolID: c.SchoolID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: t.Issuer, Subject: c.UserID, Audience: jwt.ClaimStrings{Audience},
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(exp),
		},
	})
	tok.Header["kid"] = key.ID
	s, err := tok.SignedString(key.Private)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("sign token: %w", err)
	}
	return s, exp, nil
}

// Verify checks a token's algorithm (ES256 only), key ID, signature,
// issuer, audience and expiry and returns its claims. A failure of the
// token is apperr.Unauthorized with a message that names the problem
// (expired, unknown key, bad signature, wrong issuer or audience,
// malformed); one of the keys' source is its own error (Unavailable).
func (t *Tokens) Verify(ctx context.Context, token string) (*Claims, error) {
	var c jwtClaims
	var keyErr error
	_, err := jwt.ParseWithClaims(token, &c, func(tok *jwt.Token) (any, error) {
		kid, _ := tok.Header["kid"].(string)
		if kid == "" {
			keyErr = apperr.New(apperr.Unauthorized, "token has no key ID")
			return nil, keyErr
		}
		k, err := t.Keys.VerificationKey(ctx, kid)
		if err != nil {
			keyErr = err
			return nil, err
		}
		return k.Public, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodES256.Alg()}),
		jwt.WithIssuer(t.Issuer), jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(t.Now))
	switch {
	case err == nil:
	case keyErr != nil:
		return nil, keyErr
	case errors.Is(err, jwt.ErrTokenExpired):
		return nil, apperr.New(apperr.Unauthorized, "token expired: sign in again")
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return nil, apperr.New(apperr.Unauthorized, "token signature is invalid")
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return nil, apperr.New(apperr.Unauthorized, "token was issued for another stage")
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return nil, apperr.New(apperr.Unauthorized, "token is not for this API")
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return nil, apperr.New(apperr.Unauthorized, "token lacks its issuer, audience or expiry")
	case errors.Is(err, jwt.ErrTokenMalformed):
		return nil, apperr.New(apperr.Unauthorized, "token is malformed")
	default:
		return nil, apperr.Wrap(apperr.Unauthorized, err, "token is not valid")
	}
	if c.Subject == "" || c.Role == "" {
		return nil, apperr.New(apperr.Unauthorized, "token lacks subject or role")
	}
	// Only our key signs tokens, and it puts user and school ids in them;
	// anything else would reach queries as a malformed id.
	if !ids.Valid(c.Subject) || (c.SchoolID != "" && !ids.Valid(c.SchoolID)) {
		return nil, apperr.New(apperr.Unauthorized, "token subject or school is not a valid id")
	}
	return &Claims{UserID: c.Subject, Role: c.Role, SchoolID: c.SchoolID, ExpiresAt: c.ExpiresAt.Time}, nil
}

// errUnknownKey is the answer for a kid that no verification key has.
func errUnknownKey(kid string) error {
	return apperr.New(apperr.Unauthorized, "token is signed by an unknown key %q", strings.ToValidUTF8(truncate(kid, 64), "?"))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
