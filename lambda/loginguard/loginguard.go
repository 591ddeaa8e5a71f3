// Package loginguard slows down password guessing: it counts failed
// sign-ins per account (the normalised email) and per client IP address
// within a window, and past a threshold locks the account or the address
// for a time that doubles with every further failure, up to a ceiling. A
// locked sign-in is refused before the password is checked, whether the
// password is right or not, and whether the account exists or not (the
// count is kept per email, known or unknown, so the answer tells nothing
// about which emails have accounts). A successful sign-in clears the
// account's count. The counts live in a Store (Redis in Lambda, package
// redis); when the store fails the guard fails open: sign-in works
// unguarded, which the store logs.
package loginguard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Store keeps counters and locks that expire. Keys are opaque to it.
type Store interface {
	// Fail adds one to the counter key, (re)starting its expiry at
	// window, and returns the new count. Concurrent calls are counted
	// exactly.
	Fail(ctx context.Context, key string, window time.Duration) (int64, error)
	// Lock locks key until the time until, which it keeps with the lock
	// and drops with it then.
	Lock(ctx context.Context, key string, until time.Time) error
	// Locked returns the latest time until which one of the locks keys
	// holds, zero when none does.
	Locked(ctx context.Context, keys ...string) (time.Time, error)
	// Clear removes the counter key.
	Clear(ctx context.Context, key string) error
}

// Limit is when one kind of counter locks.
type Limit struct {
	// After is the number of failures within Window that locks.
	After int64
	// Window is how long a counter lives after its last failure.
	Window time.Duration
	// First is the first lock; each further failure doubles it, up to
	// Max.
	First, Max time.Duration
}

// Defaults. An account is locked after 5 failures (30 s, then 1, 2, 4,
// 8 minutes, at most 15), which costs a person who mistypes nothing and
// a guesser almost everything. An address is locked only after 50
// failures across any emails: a school's staff share one address behind
// its NAT, and a guesser spreading tries over many emails from one
// address is what this counter catches.
var (
	AccountLimit = Limit{After: 5, Window: 15 * time.Minute, First: 30 * time.Second, Max: 15 * time.Minute}
	AddressLimit = Limit{After: 50, Window: 15 * time.Minute, First: 30 * time.Second, Max: 15 * time.Minute}
)

// LockFor returns how long the n-th failure within the window locks:
// nothing below After, First at After, doubling with each failure past
// it, never more than Max.
func (l Limit) LockFor(n int64) time.Duration {
	if n < l.After {
		return 0
	}
	d := l.First
	for i := l.After; i < n && d < l.Max; i++ {
		d *= 2
	}
	return min(d, l.Max)
}

// Guard applies the limits to sign-ins.
type Guard struct {
	Store   Store
	Account Limit
	Address Limit
	// Now returns the current time; tests move it.
	Now func() time.Time
}

// New returns a guard with the default limits over store.
func New(store Store, now func() time.Time) *Guard {
	return &Guard{Store: store, Account: AccountLimit, Address: AddressLimit, Now: now}
}

// Attempt is one sign-in: the email as typed and the client's address
// (empty when unknown, which is then not counted).
type Attempt struct {
	Email string
	IP    string
}

// NormalEmail is the email as accounts are found by it: trimmed and
// lower-cased.
func NormalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// EmailHash is a short SHA-256 of the normalised email: the counter's
// key, and how audit lines name an account that may not exist without
// writing its email down.
func EmailHash(email string) string {
	h := sha256.Sum256([]byte(NormalEmail(email)))
	return hex.EncodeToString(h[:12])
}

func (a Attempt) keys() (account, address string) {
	account = "acct:" + EmailHash(a.Email)
	if a.IP != "" {
		address = "ip:" + a.IP
	}
	return account, address
}

// RetryAfter returns how long the attempt must wait, zero when it may
// check the password. A store failure returns zero: the guard fails open.
func (g *Guard) RetryAfter(ctx context.Context, a Attempt) time.Duration {
	account, address := a.keys()
	keys := []string{"lock:" + account}
	if address != "" {
		keys = append(keys, "lock:"+address)
	}
	until, err := g.Store.Locked(ctx, keys...)
	if err != nil {
		return 0
	}
	return max(until.Sub(g.Now()), 0)
}

// Failed counts a failed sign-in (a wrong password or an unknown email)
// against the account and the address, and locks each that reached its
// limit. It returns how long the attempt's next try must wait (zero when
// neither is locked, or the store failed).
func (g *Guard) Failed(ctx context.Context, a Attempt) time.Duration {
	account, address := a.keys()
	wait := g.fail(ctx, account, g.Account)
	if address != "" {
		wait = max(wait, g.fail(ctx, address, g.Address))
	}
	return wait
}

func (g *Guard) fail(ctx context.Context, key string, l Limit) time.Duration {
	n, err := g.Store.Fail(ctx, "fail:"+key, l.Window)
	if err != nil {
		return 0
	}
	d := l.LockFor(n)
	if d > 0 && g.Store.Lock(ctx, "lock:"+key, g.Now().Add(d)) != nil {
		return 0
	}
	return d
}

// Succeeded clears the account's count after a successful sign-in. The
// address keeps its count: one success does not vouch for the other
// emails tried from it.
func (g *Guard) Succeeded(ctx context.Context, a Attempt) {
	account, _ := a.keys()
	_ = g.Store.Clear(ctx, "fail:"+account)
}
