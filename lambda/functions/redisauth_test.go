package functions

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/routes"
)

// TestRedisAuthReReadsTheToken: new Redis connections take the AUTH token
// from its secret, re-read every redisAuthTTL, so that a token rotated in
// ElastiCache reaches warm environments; a failed re-read keeps the last
// token. The secret's reads are a stand-in for the Parameters and Secrets
// extension, and ElastiCache's AUTH is not run here (the test Redis has
// none): this checks what go-redis is given for each new connection.
func TestRedisAuthReReadsTheToken(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	value, fail, reads := `{"authToken":"token-1"}`, error(nil), 0
	read := func(context.Context, string) (string, error) { reads++; return value, fail }
	a, err := newRedisAuth(ctx, "arn:redis", read, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	token := func() string {
		t.Helper()
		user, pw, err := a.credentials(ctx)
		if err != nil || user != "" {
			t.Fatalf("credentials = %q, %v", user, err)
		}
		return pw
	}
	value = `{"authToken":"token-2"}`
	if got := token(); got != "token-1" || reads != 1 {
		t.Errorf("within the TTL: token %q after %d reads, want token-1 after 1", got, reads)
	}
	now = now.Add(redisAuthTTL)
	if got := token(); got != "token-2" || reads != 2 {
		t.Errorf("after the TTL: token %q after %d reads, want token-2 after 2", got, reads)
	}
	fail = errors.New("extension down")
	now = now.Add(redisAuthTTL)
	if got := token(); got != "token-2" {
		t.Errorf("after a failed re-read: token %q, want the last one", got)
	}
	// At init, a bad secret is an error naming the variable.
	value, fail = `{"token":"x"}`, nil
	if _, err := newRedisAuth(ctx, "arn:redis", read, func() time.Time { return now }); err == nil || !strings.HasPrefix(err.Error(), routes.EnvRedisAuthSecretARN+": ") {
		t.Errorf("malformed secret: %v", err)
	}
}
