package payments

import (
	"context"
	"fmt"
)

// Methods are the payment methods Razorpay offers the platform's account,
// which the checkout shows a parent before payment.
type Methods struct {
	// Card says cards are accepted; CardNetworks lists the networks
	// enabled (VISA, MC, RUPAY, ...), sorted.
	Card         bool     `json:"card"`
	CardNetworks []string `json:"cardNetworks"`
	UPI          bool     `json:"upi"`
	// Netbanking lists the banks enabled, sorted by name.
	Netbanking []Bank `json:"netbanking"`
	// Wallets lists the wallets enabled, sorted.
	Wallets []string `json:"wallets"`
	EMI     bool     `json:"emi"`
}

// Bank is one bank of netbanking.
type Bank struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// MethodsGateway is Razorpay's Methods API.
type MethodsGateway interface {
	// Methods returns the methods enabled for the account. Errors:
	// Unavailable when Razorpay cannot be reached, fails or refuses our
	// key.
	Methods(ctx context.Context) (*Methods, error)
}

// MethodsCache caches the methods by Razorpay account (key id).
type MethodsCache interface {
	// Methods loads the cached methods of the account into dst; false on
	// a miss or a failure.
	Methods(ctx context.Context, keyID string, dst *Methods) bool
	// StoreMethods caches m for the account.
	StoreMethods(ctx context.Context, keyID string, m *Methods)
}

// MethodsService serves the payment methods, cache-aside. They are
// Razorpay's configuration of the account, which nothing in the platform
// changes: a cached answer lives out the cache's TTL, and while the cache
// holds one a Razorpay outage goes unnoticed; without one, the outage is
// the caller's Unavailable.
type MethodsService struct {
	Gateway MethodsGateway
	Cache   MethodsCache
	// KeyID is the account's Razorpay key id, which keys the cache: other
	// keys may belong to another account with other methods.
	KeyID string
}

// Get returns the account's payment methods. Errors: Unavailable.
func (s *MethodsService) Get(ctx context.Context) (*Methods, error) {
	var m Methods
	if s.Cache.Methods(ctx, s.KeyID, &m) {
		return &m, nil
	}
	got, err := s.Gateway.Methods(ctx)
	if err != nil {
		return nil, fmt.Errorf("payment methods: %w", err)
	}
	s.Cache.StoreMethods(ctx, s.KeyID, got)
	return got, nil
}
