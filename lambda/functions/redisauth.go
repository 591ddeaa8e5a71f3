package functions

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/secrets"
)

// redisAuthTTL is how long a Redis AUTH token read from its secret is
// used for new connections before the secret is read again: a token
// rotated in ElastiCache (ROTATE, then SET: README, Rotating the Redis
// AUTH token) reaches new connections within it; open connections keep
// the token they authenticated with.
const redisAuthTTL = 5 * time.Minute

// redisAuth gives go-redis the AUTH token of each new connection, from the
// secret, re-read every redisAuthTTL. A failed re-read keeps the last
// token (tried again after redisAuthTTL): ElastiCache accepts it until
// the rotation's SET, which the procedure leaves for well after the TTL.
type redisAuth struct {
	secretARN string
	read      func(ctx context.Context, id string) (string, error)
	now       func() time.Time

	mu    sync.Mutex
	token string
	until time.Time
}

// newRedisAuth reads the token once, at init: a function that caches must
// not start without it.
func newRedisAuth(ctx context.Context, secretARN string, read func(ctx context.Context, id string) (string, error), now func() time.Time) (*redisAuth, error) {
	a := &redisAuth{secretARN: secretARN, read: read, now: now}
	token, err := a.load(ctx)
	if err != nil {
		return nil, err
	}
	a.token, a.until = token, now().Add(redisAuthTTL)
	return a, nil
}

func (a *redisAuth) load(ctx context.Context) (string, error) {
	s, err := a.read(ctx, a.secretARN)
	if err != nil {
		return "", fmt.Errorf("%s: %w", routes.EnvRedisAuthSecretARN, err)
	}
	t, err := secrets.ParseRedisAuth(s)
	if err != nil {
		return "", fmt.Errorf("%s: %w", routes.EnvRedisAuthSecretARN, err)
	}
	return t, nil
}

// credentials is go-redis' CredentialsProviderContext: the default user
// and the current token.
func (a *redisAuth) credentials(ctx context.Context) (string, string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if !now.Before(a.until) {
		a.until = now.Add(redisAuthTTL)
		if t, err := a.load(ctx); err != nil {
			slog.WarnContext(ctx, "Redis AUTH token not re-read; new connections keep the last one", "error", err)
		} else {
			a.token = t
		}
	}
	return "", a.token, nil
}
