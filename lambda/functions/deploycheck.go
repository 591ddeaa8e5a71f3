package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/awsapi"
	"github.com/hasivu/infra/lambda/deploycheck"
	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/migrations"
)

// healthTimeout bounds each check of a version's health, well inside the
// hook's wait for the answer.
const healthTimeout = 5 * time.Second

// health answers deploycheck.Request: whether this version can serve.
// Init has succeeded, or nothing would answer; it then reads the schema's
// migration version (the database is reachable, the schema is at least
// what this build needs, so migrate ran), pings Redis where the function
// caches, reads the Razorpay secret where it takes payments and the JWT
// keys where it signs or verifies tokens (a secret not filled in yet
// passes: payments or sign-in answer 503 until it is, whichever version
// runs, and the deploy must not wait on it).
func (d *Deps) health(ctx context.Context) events.APIGatewayProxyResponse {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	h := deploycheck.Health{OK: true, Checks: map[string]string{}}
	record := func(name string, err error) {
		h.Checks[name] = "ok"
		if err != nil {
			h.Checks[name], h.OK = err.Error(), false
		}
	}
	if d.Pool != nil {
		record("database", d.schemaCurrent(ctx))
	}
	if d.Cache != nil {
		record("cache", d.Cache.Ping(ctx))
	}
	if d.razorpay != nil {
		_, err := d.razorpay.get(ctx)
		if errors.Is(err, errUnfilled) {
			h.Checks["razorpay"] = "not filled in (payments answer 503 until it is)"
		} else {
			record("razorpay", err)
		}
	}
	if ring, ok := d.tokenKeys(); ok {
		err := ring.Check(ctx)
		if errors.Is(err, auth.ErrNoKey) {
			h.Checks["jwt keys"] = "not filled in (sign-in and signed-in routes answer 503 until they are: README, Rotating the JWT signing key)"
		} else {
			record("jwt keys", err)
		}
	}
	status := 200
	if !h.OK {
		status = 503
	}
	b, _ := json.Marshal(h)
	return events.APIGatewayProxyResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}
}

// tokenKeys returns the key ring of a function that reads its JWT keys
// from Secrets Manager.
func (d *Deps) tokenKeys() (*auth.KeyRing, bool) {
	if d.Tokens == nil {
		return nil, false
	}
	r, ok := d.Tokens.Keys.(*auth.KeyRing)
	return r, ok
}

// schemaCurrent checks that the database answers and holds every
// migration this build embeds.
func (d *Deps) schemaCurrent(ctx context.Context) error {
	have, err := migrations.SchemaVersion(ctx, d.Pool)
	if err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	all := migrations.Versions()
	if want := all[len(all)-1]; have < want {
		return fmt.Errorf("the schema is at migration %d, this build needs %d", have, want)
	}
	return nil
}

// newHook builds the pre-traffic hook from the environment.
func newHook(e *env.Env) (*deploycheck.Hook, error) {
	if e.CheckedFunction == "" {
		return nil, errors.New("DEPLOY_CHECK_FUNCTION is not set: the hook checks one function")
	}
	cfg := awsapi.Config(e.AWS, e.AWSEndpoint)
	return &deploycheck.Hook{
		CodeDeploy: awsapi.CodeDeploy{Client: codedeploy.NewFromConfig(cfg)},
		Lambda:     awsapi.Invoker{Client: lambda.NewFromConfig(cfg)},
		Function:   e.CheckedFunction,
	}, nil
}

// deployCheck is the pre-traffic hook CodeDeploy invokes (package
// deploycheck).
func deployCheck(d *Deps) func(ctx context.Context, payload json.RawMessage) (any, error) {
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		var ev deploycheck.Event
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, fmt.Errorf("read the CodeDeploy event: %w", err)
		}
		return nil, d.hook.Handle(ctx, ev)
	}
}
