package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hasivu/infra/lambda/apperr"
)

const user, school = "0191e2a4-7b1c-7c3d-8e4f-123456789abc", "0191e2a4-7b1c-7c3d-8e4f-123456789abd"

func newKey(t *testing.T) *SigningKey {
	t.Helper()
	p, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseSigningKey(p)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func testTokens(t *testing.T) *Tokens { return NewTokens(Issuer("test"), StaticKeys{Key: newKey(t)}) }

func TestTokenRoundTrip(t *testing.T) {
	tokens := testTokens(t)
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	tokens.Now = func() time.Time { return now }
	ctx := context.Background()
	s, exp, err := tokens.Sign(ctx, Claims{UserID: user, Role: RoleKitchenStaff, SchoolID: school})
	if err != nil || !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("Sign: %v, expiry %s", err, exp)
	}
	c, err := tokens.Verify(ctx, s)
	if err != nil || c.UserID != user || c.Role != RoleKitchenStaff || c.SchoolID != school {
		t.Fatalf("Verify = %+v, %v", c, err)
	}
	// What the token says, for the record: ES256, the kid, iss and aud.
	var head map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(strings.Split(s, ".")[0])
	_ = json.Unmarshal(b, &head)
	if head["alg"] != "ES256" || head["kid"] != tokens.Keys.(StaticKeys).Key.ID {
		t.Errorf("header = %v", head)
	}
	tokens.Now = func() time.Time { return now.Add(61 * time.Minute) }
	if _, err := tokens.Verify(ctx, s); apperr.CodeOf(err) != apperr.Unauthorized || apperr.As(err).Message != "token expired: sign in again" {
		t.Errorf("expired token: %v", err)
	}
}

// hs256 signs claims with HMAC-SHA256 and key, as the previous release
// did with its shared key, under the given header.
func hs256(header, claims string, key []byte) string {
	enc := base64.RawURLEncoding.EncodeToString
	in := enc([]byte(header)) + "." + enc([]byte(claims))
	m := hmac.New(crypto.SHA256.New, key)
	m.Write([]byte(in))
	return in + "." + enc(m.Sum(nil))
}

// TestForeignTokensRefused: a token signed by a key not in the keyset
// (the previous release's shared HS256 key, another ES256 key, even one
// claiming our kid) and tokens of another issuer or audience are refused.
func TestForeignTokensRefused(t *testing.T) {
	ctx := context.Background()
	tokens := testTokens(t)
	kid := tokens.Keys.(StaticKeys).Key.ID
	exp := time.Now().Add(time.Hour).Unix()
	claims := func(iss, aud string) string {
		b, _ := json.Marshal(map[string]any{"iss": iss, "aud": aud, "sub": user, "role": "admin", "exp": exp})
		return string(b)
	}
	good := claims(Issuer("test"), Audience)
	other := NewTokens(Issuer("test"), StaticKeys{Key: newKey(t)})
	forged, _, _ := other.Sign(ctx, Claims{UserID: user, Role: RoleAdmin})
	otherKeyOurKid := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": Issuer("test"), "aud": Audience, "sub": user, "role": "admin", "exp": exp})
	otherKeyOurKid.Header["kid"] = kid
	impostor, _ := otherKeyOurKid.SignedString(other.Keys.(StaticKeys).Key.Private)
	sign := func(iss, aud string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{"iss": iss, "aud": aud, "sub": user, "role": "admin", "exp": exp})
		tok.Header["kid"] = kid
		s, _ := tok.SignedString(tokens.Keys.(StaticKeys).Key.Private)
		return s
	}
	for name, tc := range map[string]struct{ token, want string }{
		"HS256 with the old shared key": {hs256(`{"alg":"HS256","typ":"JWT"}`, good, []byte("the-previous-release-hmac-key-0123456789")), "token signature is invalid"},
		"HS256 claiming our kid":        {hs256(`{"alg":"HS256","typ":"JWT","kid":"`+kid+`"}`, good, []byte("x")), "token signature is invalid"},
		"another key":                   {forged, "token is signed by an unknown key"},
		"another key with our kid":      {impostor, "token signature is invalid"},
		"another stage's issuer":        {sign(Issuer("prod"), Audience), "token was issued for another stage"},
		"the old issuer":                {sign("hasivu", Audience), "token was issued for another stage"},
		"another audience":              {sign(Issuer("test"), "hasivu-admin"), "token is not for this API"},
		"no audience":                   {sign(Issuer("test"), ""), "token lacks its issuer, audience or expiry"},
	} {
		_, err := tokens.Verify(ctx, tc.token)
		if apperr.CodeOf(err) != apperr.Unauthorized || !strings.HasPrefix(apperr.As(err).Message, tc.want) {
			t.Errorf("%s: %v, want Unauthorized %q", name, err, tc.want)
		}
	}
}

// secretStore stands in for the two keyset secrets as the functions read
// them through the Parameters and Secrets extension, counting reads.
type secretStore struct {
	signing, verification string
	err                   error
	reads                 int
}

func (s *secretStore) ring(now *time.Time) *KeyRing {
	return &KeyRing{
		LoadSigning:      func(context.Context) (string, error) { s.reads++; return s.signing, s.err },
		LoadVerification: func(context.Context) (string, error) { s.reads++; return s.verification, s.err },
		Now:              func() time.Time { return *now },
	}
}

func keysets(t *testing.T, current *SigningKey, previous ...*SigningKey) (string, string) {
	t.Helper()
	sig, _ := json.Marshal(SigningSecret{PrivateKey: current.PrivatePEM()})
	v := VerificationSecret{PublicKeys: []string{current.PublicPEM()}}
	for _, p := range previous {
		v.PublicKeys = append(v.PublicKeys, p.PublicPEM())
	}
	ver, _ := json.Marshal(v)
	return string(sig), string(ver)
}

// TestKeyRotation walks a rotation: tokens of the previous key stay valid
// once the new key signs; a token of a key published since the last read
// (unknown kid) triggers one re-read, and a flood of unknown kids no more
// than one per KeysRefreshMin; keys are re-read every KeysTTL.
func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	old, next := newKey(t), newKey(t)
	store := &secretStore{}
	store.signing, store.verification = keysets(t, old)
	signer := NewTokens(Issuer("test"), store.ring(&now))
	verifier := NewTokens(Issuer("test"), store.ring(&now))
	signer.Now, verifier.Now = func() time.Time { return now }, func() time.Time { return now }

	before, _, err := signer.Sign(ctx, Claims{UserID: user, Role: RoleParent})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := verifier.Verify(ctx, before); err != nil {
		t.Fatal(err)
	}
	// The rotation publishes the next key beside the old one, then signs
	// with it. The signer takes it up within KeysTTL; the verifier, which
	// read the keys a moment ago, meets a token of the next key's kid.
	store.signing, store.verification = keysets(t, next, old)
	now = now.Add(KeysTTL + time.Second)
	after, _, err := signer.Sign(ctx, Claims{UserID: user, Role: RoleParent})
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(-KeysTTL + KeysRefreshMin) // the verifier's keys are not yet due
	reads := store.reads
	if _, err := verifier.Verify(ctx, after); err != nil {
		t.Fatalf("token of the new key: %v", err)
	}
	if store.reads != reads+1 {
		t.Errorf("an unknown kid made %d reads, want 1", store.reads-reads)
	}
	if _, err := verifier.Verify(ctx, before); err != nil {
		t.Errorf("token of the previous key after the rotation: %v", err)
	}
	// Forged kids: one re-read per KeysRefreshMin, however many.
	reads = store.reads
	forger := NewTokens(Issuer("test"), StaticKeys{Key: newKey(t)})
	forger.Now = verifier.Now
	for range 50 {
		forged, _, _ := forger.Sign(ctx, Claims{UserID: user, Role: RoleAdmin})
		if _, err := verifier.Verify(ctx, forged); apperr.CodeOf(err) != apperr.Unauthorized {
			t.Fatalf("forged token: %v", err)
		}
	}
	if store.reads-reads > 1 {
		t.Errorf("50 unknown kids made %d reads, want at most 1", store.reads-reads)
	}
	// A failed re-read (the extension down) keeps the keys last read.
	store.err = errors.New("extension down")
	now = now.Add(2 * KeysTTL)
	reads = store.reads
	if _, _, err := signer.Sign(ctx, Claims{UserID: user, Role: RoleParent}); err != nil {
		t.Errorf("signing while the secret cannot be re-read: %v", err)
	}
	if _, err := verifier.Verify(ctx, after); err != nil {
		t.Errorf("verifying while the secret cannot be re-read: %v", err)
	}
	if store.reads-reads != 2 {
		t.Errorf("%d reads past the TTL, want one by each", store.reads-reads)
	}
	store.err = nil
	// The next rotation drops the old key: its tokens are then refused.
	third := newKey(t)
	store.signing, store.verification = keysets(t, third, next)
	now = now.Add(KeysTTL + time.Second)
	if _, err := verifier.Verify(ctx, after); err != nil {
		t.Errorf("token of the previous key: %v", err)
	}
	if _, err := verifier.Verify(ctx, before); apperr.CodeOf(err) != apperr.Unauthorized {
		t.Errorf("token of a key two rotations back: %v, want Unauthorized", err)
	}
}

// TestKeysNotYetThere: before the first key is put in the secrets (a first
// deploy), signing and verifying are Unavailable (503), not a failed init,
// and Check says ErrNoKey; a malformed secret says what is wrong.
func TestKeysNotYetThere(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	store := &secretStore{signing: `{"privateKey":""}`, verification: `{"publicKeys":[]}`}
	ring := store.ring(&now)
	tokens := NewTokens(Issuer("test"), ring)
	if _, _, err := tokens.Sign(ctx, Claims{UserID: user, Role: RoleParent}); apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("Sign without a key: %v, want Unavailable", err)
	}
	other := NewTokens(Issuer("test"), StaticKeys{Key: newKey(t)})
	tok, _, _ := other.Sign(ctx, Claims{UserID: user, Role: RoleParent})
	if _, err := tokens.Verify(ctx, tok); apperr.CodeOf(err) != apperr.Unavailable {
		t.Errorf("Verify without keys: %v, want Unavailable", err)
	}
	if err := ring.Check(ctx); !errors.Is(err, ErrNoKey) {
		t.Errorf("Check = %v, want ErrNoKey", err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	wrongCurve, _ := json.Marshal(SigningSecret{PrivateKey: (&SigningKey{Private: p384}).PrivatePEM()})
	for secret, want := range map[string]string{
		`not json`:                 `must be JSON {"privateKey": "<PEM>"}`,
		`{"privateKey":"hunter2"}`: "signing key is not PEM",
		string(wrongCurve):         "not an ECDSA P-256 key",
	} {
		if _, err := ParseSigningSecret(secret); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("signing secret %.20q: %v, want %q", secret, err, want)
		}
	}
	if _, err := ParseVerificationSecret(`{"publicKeys":["nope"]}`); err == nil || !strings.Contains(err.Error(), "publicKeys[0]: verification key is not PEM") {
		t.Errorf("bad verification secret: %v", err)
	}
}

// BenchmarkSign and BenchmarkVerify measure an ES256 token's signing (in
// sign-in) and verification (in every signed-in request):
// go test ./lambda/auth -run '^$' -bench . -benchtime 2000x
func BenchmarkSign(b *testing.B) {
	tokens := NewTokens(Issuer("bench"), StaticKeys{Key: benchKey(b)})
	for b.Loop() {
		if _, _, err := tokens.Sign(context.Background(), Claims{UserID: user, Role: RoleParent}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	tokens := NewTokens(Issuer("bench"), StaticKeys{Key: benchKey(b)})
	s, _, _ := tokens.Sign(context.Background(), Claims{UserID: user, Role: RoleParent})
	for b.Loop() {
		if _, err := tokens.Verify(context.Background(), s); err != nil {
			b.Fatal(err)
		}
	}
}

func benchKey(b *testing.B) *SigningKey {
	p, _ := GenerateKey()
	k, err := ParseSigningKey(p)
	if err != nil {
		b.Fatal(err)
	}
	return k
}
