package functions

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/emf"
	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/payments"
	"github.com/hasivu/infra/lambda/postgres"
	"github.com/hasivu/infra/lambda/razorpay"
	"github.com/hasivu/infra/lambda/secrets"
)

// Razorpay's credentials are read when a request first needs them, not at
// init: the secret is created empty by the api stack and filled in by the
// platform team, and a deploy must not wait on that. A good answer is kept
// for razorpayKeysTTL (the extension's own cache time, so a changed secret
// is taken up within it); a failure is kept for razorpayRetryAfter, so a
// missing secret costs one read per ten seconds rather than one per
// request.
const (
	razorpayKeysTTL    = 5 * time.Minute
	razorpayRetryAfter = 10 * time.Second
	// razorpayRefreshMin spaces the re-reads a webhook delivery whose
	// signature matches no secret we hold causes (a secret rotated since
	// the last read): one per 30 s, however many forged deliveries.
	razorpayRefreshMin = 30 * time.Second
	// razorpaySecret is the metrics.SecretFailures dimension value.
	razorpaySecret = "razorpay"
)

// errUnfilled is why credentials are missing from a secret that exists and
// reads: the api stack created it empty and nobody has filled it in.
var errUnfilled = errors.New("not filled in")

// razorpayKeys gives the Razorpay credentials a function needs: fixed ones
// from the environment (the local server, tests), or its secret's.
type razorpayKeys struct {
	fixed     *env.Razorpay
	secretARN string
	// api and webhook say which credentials the function needs: the API
	// key pair, the webhook secret.
	api, webhook bool
	read         func(ctx context.Context, id string) (string, error)
	now          func() time.Time

	mu     sync.Mutex
	value  env.Razorpay
	err    error
	until  time.Time
	readAt time.Time
}

// get returns the credentials, reading the secret when the last answer
// has expired.
func (k *razorpayKeys) get(ctx context.Context) (env.Razorpay, error) {
	if k.fixed != nil {
		return *k.fixed, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if now.Before(k.until) {
		return k.value, k.err
	}
	k.reload(ctx, now)
	return k.value, k.err
}

// reload reads the secret now; k.mu is held.
func (k *razorpayKeys) reload(ctx context.Context, now time.Time) {
	k.value, k.err = k.load(ctx)
	k.readAt = now
	k.until = now.Add(razorpayKeysTTL)
	if k.err != nil {
		k.until = now.Add(razorpayRetryAfter)
	}
}

// refresh re-reads the secret before its TTL, at most once per
// razorpayRefreshMin, and says whether it did and got a good answer:
// a webhook delivery whose signature matched no secret held may be signed
// with one put in since the last read.
func (k *razorpayKeys) refresh(ctx context.Context) bool {
	if k.fixed != nil {
		return false
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if now.Before(k.readAt.Add(razorpayRefreshMin)) {
		return false
	}
	k.reload(ctx, now)
	return k.err == nil
}

func (k *razorpayKeys) load(ctx context.Context) (env.Razorpay, error) {
	s, err := k.read(ctx, k.secretARN)
	if err != nil {
		return env.Razorpay{}, err
	}
	p, err := secrets.ParseRazorpay(s)
	if err != nil {
		return env.Razorpay{}, fmt.Errorf("secret %s: %w", k.secretARN, err)
	}
	var missing []string
	for _, f := range []struct {
		need  bool
		name  string
		value string
	}{{k.api, "keyId", p.KeyID}, {k.api, "keySecret", p.KeySecret}, {k.webhook, "webhookSecret", p.WebhookSecret}} {
		if f.need && f.value == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return env.Razorpay{}, fmt.Errorf("secret %s has no %v yet: fill it in (README, Deploying): %w", k.secretARN, missing, errUnfilled)
	}
	return env.Razorpay{KeyID: p.KeyID, KeySecret: p.KeySecret, WebhookSecret: p.WebhookSecret,
		PreviousWebhookSecret: p.PreviousWebhookSecret}, nil
}

// noRazorpay is the answer while Razorpay's credentials cannot be had.
const noRazorpay = "payments are unavailable: the payment provider's credentials are not set up, try again later"

// payments returns the payment service with the current credentials, and
// the webhook reader with the current webhook secret. A failure to get
// them is Unavailable and counted as metrics.SecretFailures, which an
// alarm watches.
func (d *Deps) payments(ctx context.Context) (*payments.Service, *razorpay.Webhook, error) {
	rp, err := d.razorpay.get(ctx)
	if err != nil {
		secretFailed(ctx)
		return nil, nil, apperr.Wrap(apperr.Unavailable, err, "%s", noRazorpay)
	}
	svc := &payments.Service{Store: &postgres.Payments{Pool: d.Pool}, Now: d.Now, KeyID: rp.KeyID,
		Gateway: &razorpay.Client{BaseURL: d.razorpayBaseURL, KeyID: rp.KeyID, KeySecret: rp.KeySecret, HTTP: d.httpClient}}
	return svc, &razorpay.Webhook{Secret: []byte(rp.WebhookSecret), Previous: []byte(rp.PreviousWebhookSecret)}, nil
}

// secretFailed counts a request that failed for want of Razorpay's
// credentials, or because Razorpay refused them.
func secretFailed(ctx context.Context) {
	emf.FromContext(ctx).Add(metrics.SecretFailures, 1, metrics.DimSecret, razorpaySecret)
}

// countRefusedKeys counts err as a secret failure when Razorpay refused
// our credentials: the secret holds the wrong ones.
func countRefusedKeys(ctx context.Context, err error) {
	if errors.Is(err, razorpay.ErrCredentialsRefused) {
		secretFailed(ctx)
	}
}
