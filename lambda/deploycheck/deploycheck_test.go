package deploycheck_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hasivu/infra/lambda/deploycheck"
)

// codeDeploy is an in-memory CodeDeploy: one deployment's target, and the
// verdicts reported.
type codeDeploy struct {
	function, version string
	targetErr         error
	reportErr         error
	reported          []bool
}

func (c *codeDeploy) Target(context.Context, string) (string, string, error) {
	return c.function, c.version, c.targetErr
}

func (c *codeDeploy) Report(_ context.Context, _, _ string, ok bool) error {
	c.reported = append(c.reported, ok)
	return c.reportErr
}

// version answers invocations as a function version would.
type version func(payload []byte) ([]byte, error)

func (v version) Invoke(_ context.Context, _, _ string, payload []byte) ([]byte, error) {
	return v(payload)
}

func answer(status int, h deploycheck.Health) version {
	return func(payload []byte) ([]byte, error) {
		var req events.APIGatewayProxyRequest
		if err := json.Unmarshal(payload, &req); err != nil || req.Resource != deploycheck.Resource {
			return nil, errors.New("not the deploy-check request")
		}
		body, _ := json.Marshal(h)
		return json.Marshal(events.APIGatewayProxyResponse{StatusCode: status, Body: string(body)})
	}
}

func TestHook(t *testing.T) {
	healthy := answer(200, deploycheck.Health{OK: true, Checks: map[string]string{"database": "ok"}})
	for _, tc := range []struct {
		name     string
		cd       codeDeploy
		version  version
		reported []bool
		err      string
	}{
		{"healthy version", codeDeploy{function: "fn", version: "7"}, healthy, []bool{true}, ""},
		{"unhealthy version", codeDeploy{function: "fn", version: "7"},
			answer(503, deploycheck.Health{Checks: map[string]string{"database": "connection refused"}}), []bool{false}, ""},
		{"init failed", codeDeploy{function: "fn", version: "7"},
			func([]byte) ([]byte, error) { return nil, errors.New(`Unhandled: {"errorType":"Runtime.ExitError"}`) }, []bool{false}, ""},
		{"not an API answer", codeDeploy{function: "fn", version: "7"},
			func([]byte) ([]byte, error) { return []byte(`"hello"`), nil }, []bool{false}, ""},
		{"another function's deployment", codeDeploy{function: "other", version: "7"}, healthy, []bool{false}, ""},
		{"target unknown", codeDeploy{targetErr: errors.New("AccessDenied")}, healthy, []bool{false}, ""},
		{"verdict not reported", codeDeploy{function: "fn", version: "7", reportErr: errors.New("ThrottlingException")}, healthy,
			[]bool{true}, "ThrottlingException"},
	} {
		cd := tc.cd
		h := &deploycheck.Hook{CodeDeploy: &cd, Lambda: tc.version, Function: "fn"}
		err := h.Handle(context.Background(), deploycheck.Event{DeploymentID: "d-1", HookExecutionID: "x-1"})
		if (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.err)
		}
		if len(cd.reported) != len(tc.reported) || (len(cd.reported) == 1 && cd.reported[0] != tc.reported[0]) {
			t.Errorf("%s: reported %v, want %v", tc.name, cd.reported, tc.reported)
		}
	}
	h := &deploycheck.Hook{CodeDeploy: &codeDeploy{}, Lambda: healthy, Function: "fn"}
	if err := h.Handle(context.Background(), deploycheck.Event{}); err == nil {
		t.Error("an event without a deployment was handled")
	}
}
