package payments_test

import (
	"context"
	"errors"
	"testing"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/payments"
)

// methods is an in-memory payments.MethodsGateway and MethodsCache.
type methods struct {
	calls  int
	down   error
	cached map[string]payments.Methods
}

func (m *methods) Methods(context.Context) (*payments.Methods, error) {
	m.calls++
	if m.down != nil {
		return nil, m.down
	}
	return &payments.Methods{Card: true, UPI: true}, nil
}

type methodsCache struct{ m *methods }

func (c methodsCache) Methods(_ context.Context, keyID string, dst *payments.Methods) bool {
	got, ok := c.m.cached[keyID]
	if ok {
		*dst = got
	}
	return ok
}

func (c methodsCache) StoreMethods(_ context.Context, keyID string, got *payments.Methods) {
	c.m.cached[keyID] = *got
}

// TestMethodsOutliveAnOutage: the methods are cached per Razorpay
// account; while the cache holds them, Razorpay is not asked, so its
// outage changes nothing; without them, the outage is the caller's
// Unavailable and nothing is cached.
func TestMethodsOutliveAnOutage(t *testing.T) {
	ctx := context.Background()
	m := &methods{cached: map[string]payments.Methods{}}
	svc := &payments.MethodsService{Gateway: m, Cache: methodsCache{m}, KeyID: "rzp_live_a"}
	for range 2 {
		if got, err := svc.Get(ctx); err != nil || !got.UPI || m.calls != 1 {
			t.Fatalf("%+v, %v after %d calls", got, err, m.calls)
		}
	}
	m.down = apperr.New(apperr.Unavailable, "razorpay down")
	if got, err := svc.Get(ctx); err != nil || !got.Card || m.calls != 1 {
		t.Errorf("Razorpay down, cached: %+v, %v after %d calls", got, err, m.calls)
	}
	other := &payments.MethodsService{Gateway: m, Cache: methodsCache{m}, KeyID: "rzp_live_b"}
	if _, err := other.Get(ctx); apperr.CodeOf(err) != apperr.Unavailable || !errors.Is(err, m.down) {
		t.Errorf("Razorpay down, another account's methods not cached: %v, want unavailable", err)
	}
	if _, ok := m.cached["rzp_live_b"]; ok || m.calls != 2 {
		t.Errorf("the failure was cached (or Razorpay not asked: %d calls)", m.calls)
	}
}
