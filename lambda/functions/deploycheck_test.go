package functions_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hasivu/infra/lambda/deploycheck"
	"github.com/hasivu/infra/lambda/env"
	"github.com/hasivu/infra/lambda/functions"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambda/testsupport"
)

// TestVersionHealth: a routed function answers the pre-traffic hook's
// request with its health, on the real PostgreSQL and Redis.
func TestVersionHealth(t *testing.T) {
	t.Parallel()
	check := func(f *fixture, function string) (int, deploycheck.Health) {
		t.Helper()
		resp, err := f.handlers[function](context.Background(), deploycheck.Request())
		if err != nil {
			t.Fatal(err)
		}
		var h deploycheck.Health
		if err := json.Unmarshal([]byte(resp.Body), &h); err != nil {
			t.Fatalf("%s: %v: %s", function, err, resp.Body)
		}
		return resp.StatusCode, h
	}
	f := newFixture(t)
	for _, name := range routes.Functions() {
		if status, h := check(f, name); status != 200 || !h.OK || h.Checks["database"] != "ok" {
			t.Errorf("%s: %d %+v, want healthy", name, status, h)
		}
	}
	if _, h := check(f, routes.OrdersList); h.Checks["cache"] != "ok" {
		t.Errorf("orders-list's Redis was not checked: %+v", h)
	}
	if _, h := check(f, routes.PaymentsCreateOrder); h.Checks["razorpay"] != "ok" {
		t.Errorf("payments-create-order's Razorpay keys were not checked: %+v", h)
	}
	// A schema migrate has not brought up to this build's migrations.
	f.exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`)
	if status, h := check(f, routes.RFIDVerifyCard); status != 503 || !strings.Contains(h.Checks["database"], "this build needs") {
		t.Errorf("behind on migrations: %d %+v", status, h)
	}

	down := newFixture(t, fixtureOpts{redisAddr: testsupport.ClosedAddr(t)})
	if status, h := check(down, routes.MenusDaily); status != 503 || h.Checks["cache"] == "ok" || h.Checks["database"] != "ok" {
		t.Errorf("Redis down: %d %+v", status, h)
	}
	noDB := newFixture(t, fixtureOpts{dbURL: "postgres://postgres@" + testsupport.ClosedAddr(t) + "/test?sslmode=disable"})
	if status, h := check(noDB, routes.AuthLogin); status != 503 || h.Checks["database"] == "ok" {
		t.Errorf("database down: %d %+v", status, h)
	}
	// A Razorpay secret not filled in yet does not stop a deploy.
	ext := newSecretsExtension(t, map[string]string{"arn:razorpay": `{"keyId":"","keySecret":"","webhookSecret":""}`})
	unfilled := newFixture(t, fixtureOpts{razorpaySecret: ext})
	if status, h := check(unfilled, routes.PaymentsWebhook); status != 200 || !strings.Contains(h.Checks["razorpay"], "not filled in") {
		t.Errorf("unfilled Razorpay secret: %d %+v", status, h)
	}
}

// awsStandIn answers the CodeDeploy and Lambda calls of a pre-traffic
// hook as AWS does on the wire (CodeDeploy: JSON 1.1 by X-Amz-Target;
// Lambda Invoke: REST), for one deployment of function at version. Lambda
// invocations run invoke; CodeDeploy, which cannot be reached from here,
// records the verdict.
type awsStandIn struct {
	function, version string
	invoke            func(payload []byte) (body []byte, functionError string)
	failReport        bool

	mu      sync.Mutex
	verdict string
	invoked []string
}

func (s *awsStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path == "/2015-03-31/functions/"+s.function+"/invocations" {
		s.invoked = append(s.invoked, r.URL.Query().Get("Qualifier"))
		out, fnErr := s.invoke(body)
		if fnErr != "" {
			w.Header().Set("X-Amz-Function-Error", fnErr)
		}
		_, _ = w.Write(out)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch r.Header.Get("X-Amz-Target") {
	case "CodeDeploy_20141006.ListDeploymentTargets":
		_, _ = io.WriteString(w, `{"targetIds":["`+s.function+`:live"]}`)
	case "CodeDeploy_20141006.GetDeploymentTarget":
		_, _ = io.WriteString(w, `{"deploymentTarget":{"deploymentTargetType":"LambdaTarget","lambdaTarget":{"deploymentId":"d-1",`+
			`"lambdaFunctionInfo":{"functionName":"`+s.function+`","functionAlias":"live","currentVersion":"6","targetVersion":"`+s.version+`"}}}}`)
	case "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus":
		if s.failReport {
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"DeploymentDoesNotExistException","message":"deployment d-1 has ended"}`)
			return
		}
		var in struct{ Status string }
		_ = json.Unmarshal(body, &in)
		s.verdict = in.Status
		_, _ = io.WriteString(w, `{"lifecycleEventHookExecutionId":"x-1"}`)
	default:
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"__type":"UnknownOperationException","message":"`+r.Header.Get("X-Amz-Target")+`"}`)
	}
}

// runHook sets up the deploy-check function as Lambda would for the
// function, against the stand-in, and invokes it with CodeDeploy's event.
func runHook(t *testing.T, s *awsStandIn) error {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	vars := map[string]string{routes.EnvHandler: routes.DeployCheck, routes.EnvDeployCheckFunction: s.function, routes.EnvAWSEndpointURL: srv.URL,
		routes.EnvAWSRegion: "ap-south-1", routes.EnvAWSAccessKeyID: "AKID", routes.EnvAWSSecretAccessKey: "secret", routes.EnvAWSSessionToken: "token"}
	e, err := env.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	d, err := functions.Setup(context.Background(), e, routes.NeedsOf(routes.DeployCheck), functions.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d.Metrics = io.Discard
	h, err := d.Invoke(routes.DeployCheck)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h(context.Background(), json.RawMessage(`{"DeploymentId":"d-1","LifecycleEventHookExecutionId":"x-1"}`))
	return err
}

// TestPreTrafficHook runs the hook end to end: CodeDeploy's stand-in names
// the new version, the hook invokes it (a real handler on the real
// PostgreSQL and Redis, or a version whose init failed) and reports.
func TestPreTrafficHook(t *testing.T) {
	t.Parallel()
	serve := func(f *fixture, function string) func([]byte) ([]byte, string) {
		return func(payload []byte) ([]byte, string) {
			var req events.APIGatewayProxyRequest
			if err := json.Unmarshal(payload, &req); err != nil {
				t.Errorf("the hook sent %s", payload)
			}
			resp, err := f.handlers[function](context.Background(), req)
			if err != nil {
				return []byte(`{"errorMessage":"` + err.Error() + `"}`), "Unhandled"
			}
			b, _ := json.Marshal(resp)
			return b, ""
		}
	}
	healthy := newFixture(t)
	ok := &awsStandIn{function: routes.OrdersList, version: "7", invoke: serve(healthy, routes.OrdersList)}
	if err := runHook(t, ok); err != nil || ok.verdict != "Succeeded" || len(ok.invoked) != 1 || ok.invoked[0] != "7" {
		t.Errorf("healthy version: err %v, verdict %q, invoked %v; want Succeeded after invoking version 7", err, ok.verdict, ok.invoked)
	}

	initFailed := &awsStandIn{function: routes.OrdersList, version: "8", invoke: func([]byte) ([]byte, string) {
		return []byte(`{"errorType":"Runtime.ExitError","errorMessage":"RequestId: 1 Error: Runtime exited with error: exit status 2"}`), "Unhandled"
	}}
	if err := runHook(t, initFailed); err != nil || initFailed.verdict != "Failed" {
		t.Errorf("version that failed init: err %v, verdict %q, want Failed", err, initFailed.verdict)
	}

	noDB := newFixture(t, fixtureOpts{dbURL: "postgres://postgres@" + testsupport.ClosedAddr(t) + "/test?sslmode=disable"})
	unreachable := &awsStandIn{function: routes.RFIDVerifyCard, version: "9", invoke: serve(noDB, routes.RFIDVerifyCard)}
	if err := runHook(t, unreachable); err != nil || unreachable.verdict != "Failed" {
		t.Errorf("version without its database: err %v, verdict %q, want Failed", err, unreachable.verdict)
	}

	apiDown := &awsStandIn{function: routes.OrdersList, version: "10", invoke: serve(healthy, routes.OrdersList), failReport: true}
	if err := runHook(t, apiDown); err == nil || !strings.Contains(err.Error(), "DeploymentDoesNotExistException") {
		t.Errorf("CodeDeploy refusing the verdict: err %v, want it returned so that Lambda retries", err)
	}
}

// TestVersionHealthJWTKeys: the pre-traffic check reads the JWT keys of a
// function that signs or verifies tokens. Keys not put in yet (a first
// deploy) pass, saying so, so that the deploy goes through; a malformed
// key fails it. The secrets come through a stand-in for the Parameters
// and Secrets extension.
func TestVersionHealthJWTKeys(t *testing.T) {
	t.Parallel()
	dsn := testsupport.MigratedSchema(t)
	ext := newSecretsExtension(t, map[string]string{"arn:jwt": `{"privateKey":""}`, "arn:jwt-public": `{"publicKeys":[]}`})
	check := func(function string) (int, deploycheck.Health) {
		t.Helper()
		e, err := env.Load(func(k string) string {
			return map[string]string{routes.EnvDatabaseURL: dsn, routes.EnvRedisAddr: testsupport.RedisAddr(),
				routes.EnvJWTSecretARN: "arn:jwt", routes.EnvJWTVerificationARN: "arn:jwt-public",
				routes.EnvAWSSessionToken: ext.token, routes.EnvSecretsExtensionPort: ext.port}[k]
		})
		if err != nil {
			t.Fatal(err)
		}
		d, err := functions.Setup(context.Background(), e, routes.NeedsOf(function), functions.Options{})
		if err != nil {
			t.Fatalf("%s: init with the keys not yet there: %v", function, err)
		}
		defer d.Close()
		h, err := d.HTTP(function)
		if err != nil {
			t.Fatal(err)
		}
		resp, _ := h(context.Background(), deploycheck.Request())
		var health deploycheck.Health
		if err := json.Unmarshal([]byte(resp.Body), &health); err != nil {
			t.Fatalf("%s: %v: %s", function, err, resp.Body)
		}
		return resp.StatusCode, health
	}
	for _, name := range []string{routes.AuthLogin, routes.OrdersList} {
		if status, h := check(name); status != 200 || !strings.Contains(h.Checks["jwt keys"], "not filled in") {
			t.Errorf("%s with empty keys: %d %+v, want 200 saying they are not filled in", name, status, h)
		}
	}
	key := mustKey()
	signing, _ := json.Marshal(map[string]string{"privateKey": key.PrivatePEM()})
	ext.set("arn:jwt", string(signing))
	ext.set("arn:jwt-public", `{"publicKeys":["`+strings.ReplaceAll(key.PublicPEM(), "\n", `\n`)+`"]}`)
	for _, name := range []string{routes.AuthLogin, routes.OrdersList} {
		if status, h := check(name); status != 200 || h.Checks["jwt keys"] != "ok" {
			t.Errorf("%s with keys: %d %+v", name, status, h)
		}
	}
	ext.set("arn:jwt", `{"privateKey":"not a key"}`)
	if status, h := check(routes.AuthLogin); status != 503 || !strings.Contains(h.Checks["jwt keys"], "signing key is not PEM") {
		t.Errorf("malformed signing key: %d %+v, want 503 naming it", status, h)
	}
}
