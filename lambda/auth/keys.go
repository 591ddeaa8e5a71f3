package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
)

// SigningKey is the private key that signs new tokens, with its key ID.
type SigningKey struct {
	ID      string
	Private *ecdsa.PrivateKey
}

// VerificationKey is a public key that verifies tokens, with its key ID.
type VerificationKey struct {
	ID     string
	Public *ecdsa.PublicKey
}

// KeyID returns the key ID of a public key: the first 16 bytes of the
// SHA-256 of its DER (SubjectPublicKeyInfo) encoding, base64url. Derived
// from the key, a key ID cannot name two keys, so a token whose signature
// fails against its kid's key is forged, never signed by a newer key.
func KeyID(pub *ecdsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(fmt.Sprintf("marshal a P-256 public key: %v", err)) // only for a key of no known curve
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// GenerateKey returns a new P-256 signing key as PKCS #8 PEM.
func GenerateKey() (string, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	return (&SigningKey{Private: k}).PrivatePEM(), nil
}

// PrivatePEM returns k as PKCS #8 PEM.
func (k *SigningKey) PrivatePEM() string {
	der, err := x509.MarshalPKCS8PrivateKey(k.Private)
	if err != nil {
		panic(fmt.Sprintf("marshal an ECDSA private key: %v", err))
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

// ParseSigningKey reads a P-256 private key from PKCS #8 PEM ("PRIVATE
// KEY") or SEC 1 PEM ("EC PRIVATE KEY").
func ParseSigningKey(s string) (*SigningKey, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil {
		return nil, errors.New("signing key is not PEM (want -----BEGIN PRIVATE KEY-----)")
	}
	var k any
	var err error
	switch b.Type {
	case "PRIVATE KEY":
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		return nil, fmt.Errorf("signing key is a PEM %q block, want PRIVATE KEY", b.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("signing key does not parse: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("signing key is not an ECDSA P-256 key (ES256)")
	}
	return &SigningKey{ID: KeyID(&ec.PublicKey), Private: ec}, nil
}

// ParseVerificationKey reads a P-256 public key from PEM ("PUBLIC KEY").
func ParseVerificationKey(s string) (*VerificationKey, error) {
	b, _ := pem.Decode([]byte(s))
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, errors.New("verification key is not PEM -----BEGIN PUBLIC KEY-----")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("verification key does not parse: %w", err)
	}
	ec, ok := k.(*ecdsa.PublicKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("verification key is not an ECDSA P-256 key (ES256)")
	}
	return &VerificationKey{ID: KeyID(ec), Public: ec}, nil
}

// PublicPEM returns the public half of k as PEM.
func (k *SigningKey) PublicPEM() string {
	der, err := x509.MarshalPKIXPublicKey(&k.Private.PublicKey)
	if err != nil {
		panic(fmt.Sprintf("marshal a P-256 public key: %v", err))
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// SigningSecret is the JSON of the signing key's secret, which only the
// signer (auth-login) reads: {"privateKey": "<PKCS #8 PEM>"}. Empty until
// the first key is put there.
type SigningSecret struct {
	PrivateKey string `json:"privateKey"`
}

// VerificationSecret is the JSON of the verification keys' secret, which
// the verifiers read: {"publicKeys": ["<PEM of the current key>", "<PEM of
// the previous key>"]}. The current key comes first; the previous one
// stays until every token it signed has expired (TokenTTL).
type VerificationSecret struct {
	PublicKeys []string `json:"publicKeys"`
}

// ErrNoKey is why a keyset that reads has no key: the secret was created
// empty and no key has been put there yet.
var ErrNoKey = errors.New("no key yet")

// ParseSigningSecret reads a SigningSecret. An empty one is ErrNoKey.
func ParseSigningSecret(s string) (*SigningKey, error) {
	var v SigningSecret
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, errors.New(`JWT signing secret must be JSON {"privateKey": "<PEM>"}`)
	}
	if v.PrivateKey == "" {
		return nil, fmt.Errorf("JWT signing secret has no privateKey: %w", ErrNoKey)
	}
	k, err := ParseSigningKey(v.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("JWT signing secret: %w", err)
	}
	return k, nil
}

// ParseVerificationSecret reads a VerificationSecret into its keys by key
// ID. An empty one is ErrNoKey.
func ParseVerificationSecret(s string) (map[string]*VerificationKey, error) {
	var v VerificationSecret
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, errors.New(`JWT verification secret must be JSON {"publicKeys": ["<PEM>", ...]}`)
	}
	if len(v.PublicKeys) == 0 {
		return nil, fmt.Errorf("JWT verification secret has no publicKeys: %w", ErrNoKey)
	}
	keys := map[string]*VerificationKey{}
	for i, p := range v.PublicKeys {
		k, err := ParseVerificationKey(p)
		if err != nil {
			return nil, fmt.Errorf("JWT verification secret, publicKeys[%d]: %w", i, err)
		}
		keys[k.ID] = k
	}
	return keys, nil
}

// StaticKeys is a KeySource of one fixed key pair: the local server, the
// benchmark and tests, given the private key (JWT_SECRET).
type StaticKeys struct{ Key *SigningKey }

var _ KeySource = StaticKeys{}

// SigningKey implements KeySource.
func (s StaticKeys) SigningKey(context.Context) (*SigningKey, error) { return s.Key, nil }

// VerificationKey implements KeySource.
func (s StaticKeys) VerificationKey(_ context.Context, kid string) (*VerificationKey, error) {
	if kid != s.Key.ID {
		return nil, errUnknownKey(kid)
	}
	return &VerificationKey{ID: s.Key.ID, Public: &s.Key.Private.PublicKey}, nil
}

// Key ring timing. A keyset is re-read every KeysTTL (a rotated key is
// taken up within it, the extension's own cache time added), after a
// failure every keysRetryAfter, and on a token of an unknown key ID at
// most once per KeysRefreshMin: a flood of forged key IDs costs one read
// per KeysRefreshMin, not one per request.
const (
	KeysTTL        = 5 * time.Minute
	KeysRefreshMin = 30 * time.Second
	keysRetryAfter = 10 * time.Second
)

// KeyRing is the KeySource of a function in AWS: the signer's key or the
// verifiers' keys, read from their secrets through Load functions when
// first needed (a function whose keyset is not filled in yet still
// starts, and answers 503), and again on a TTL and on an unknown key ID.
type KeyRing struct {
	// LoadSigning returns the signing secret's JSON (SigningSecret); nil
	// for a function that only verifies.
	LoadSigning func(ctx context.Context) (string, error)
	// LoadVerification returns the verification secret's JSON
	// (VerificationSecret); nil for a function that only signs.
	LoadVerification func(ctx context.Context) (string, error)
	// Now returns the current time; tests move it.
	Now func() time.Time

	mu         sync.Mutex
	signing    *SigningKey
	signErr    error
	signUntil  time.Time
	verify     map[string]*VerificationKey
	verifyErr  error
	verifyAt   time.Time // last read
	verifyTill time.Time
}

var _ KeySource = (*KeyRing)(nil)

// unavailable wraps a failure to get keys as Unavailable.
func unavailable(err error) error {
	return apperr.Wrap(apperr.Unavailable, err, "sign-in keys are not available: try again later")
}

// SigningKey implements KeySource.
func (r *KeyRing) SigningKey(ctx context.Context) (*SigningKey, error) {
	if r.LoadSigning == nil {
		return nil, unavailable(errors.New("this function does not sign tokens"))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.Now()
	if now.After(r.signUntil) {
		s, err := r.LoadSigning(ctx)
		var k *SigningKey
		if err == nil {
			k, err = ParseSigningSecret(s)
		}
		switch {
		case err == nil:
			r.signing, r.signErr, r.signUntil = k, nil, now.Add(KeysTTL)
		case r.signing != nil:
			// A failed re-read keeps the key that signs: its public key
			// is still published.
			r.signUntil = now.Add(keysRetryAfter)
		default:
			r.signErr, r.signUntil = err, now.Add(keysRetryAfter)
		}
	}
	if r.signErr != nil {
		return nil, unavailable(r.signErr)
	}
	return r.signing, nil
}

// VerificationKey implements KeySource. An unknown kid re-reads the keys
// (at most once per KeysRefreshMin) before it is refused: a key published
// since the last read is taken up at once.
func (r *KeyRing) VerificationKey(ctx context.Context, kid string) (*VerificationKey, error) {
	if r.LoadVerification == nil {
		return nil, unavailable(errors.New("this function does not verify tokens"))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.Now()
	if now.After(r.verifyTill) {
		r.readVerification(ctx, now)
	}
	if k, ok := r.verify[kid]; ok {
		return k, nil
	}
	if r.verifyErr == nil && !now.Before(r.verifyAt.Add(KeysRefreshMin)) {
		r.readVerification(ctx, now)
		if k, ok := r.verify[kid]; ok {
			return k, nil
		}
	}
	if r.verifyErr != nil {
		return nil, unavailable(r.verifyErr)
	}
	return nil, errUnknownKey(kid)
}

// readVerification reads the verification keys; a failed read keeps the
// keys last read (a rotation's put must not sign anyone out should a read
// fail) unless there are none.
func (r *KeyRing) readVerification(ctx context.Context, now time.Time) {
	r.verifyAt = now
	s, err := r.LoadVerification(ctx)
	var keys map[string]*VerificationKey
	if err == nil {
		keys, err = ParseVerificationSecret(s)
	}
	switch {
	case err == nil:
		r.verify, r.verifyErr, r.verifyTill = keys, nil, now.Add(KeysTTL)
	case r.verify != nil:
		r.verifyTill = now.Add(keysRetryAfter)
	default:
		r.verifyErr, r.verifyTill = err, now.Add(keysRetryAfter)
	}
}

// Check reads the keys the ring has loaders for, as a request would, and
// returns the first failure (wrapping ErrNoKey for a secret not filled
// in yet). The pre-traffic check reports it.
func (r *KeyRing) Check(ctx context.Context) error {
	if r.LoadSigning != nil {
		if _, err := r.SigningKey(ctx); err != nil {
			return err
		}
	}
	if r.LoadVerification != nil {
		r.mu.Lock()
		defer r.mu.Unlock()
		if now := r.Now(); now.After(r.verifyTill) {
			r.readVerification(ctx, now)
		}
		if r.verifyErr != nil {
			return unavailable(r.verifyErr)
		}
	}
	return nil
}
