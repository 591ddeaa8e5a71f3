// Package deploycheck is CodeDeploy's pre-traffic check of a new function
// version. Before CodeDeploy moves any of a `live` alias's traffic to the
// version a deploy published, it runs the function's hook (the
// deploy-check function, one per deployment group), which asks CodeDeploy
// which function and version the deployment targets, invokes that version
// with a synthetic request (Request) and reports the verdict back. The
// version answers the request with a health report: its init succeeded
// (or it could not answer at all), it reads the database at the schema
// version it needs, it reaches Redis where it uses it, and its secrets
// resolve. A failure stops the deployment before a user sees the version;
// the stack update then fails and CloudFormation rolls every alias back.
//
// The package knows the protocol only; the AWS APIs are behind CodeDeploy
// and Invoker (package awsapi adapts them).
package deploycheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
)

// Resource is the API Gateway resource path of the synthetic request. No
// route has it, so API Gateway never sends it: only a direct invocation,
// which IAM allows the hook alone, can.
const Resource = "/__deploy-check"

// Request is the synthetic request a version answers with its health.
func Request() events.APIGatewayProxyRequest {
	return events.APIGatewayProxyRequest{Resource: Resource, Path: Resource, HTTPMethod: "GET"}
}

// Health is a version's answer to Request: every check by name ("ok", or
// what failed) and the verdict.
type Health struct {
	OK     bool              `json:"ok"`
	Checks map[string]string `json:"checks"`
}

// Event is what CodeDeploy invokes a lifecycle hook with.
type Event struct {
	DeploymentID    string `json:"DeploymentId"`
	HookExecutionID string `json:"LifecycleEventHookExecutionId"`
}

// CodeDeploy is the part of CodeDeploy's API a hook uses.
type CodeDeploy interface {
	// Target returns the function and the version the deployment moves
	// its alias to.
	Target(ctx context.Context, deploymentID string) (function, version string, err error)
	// Report tells CodeDeploy the hook's verdict.
	Report(ctx context.Context, deploymentID, hookExecutionID string, succeeded bool) error
}

// Invoker invokes one version of a function synchronously.
type Invoker interface {
	// Invoke returns the version's answer to payload. A function error
	// (the runtime failed to start, the handler crashed) is an error
	// carrying Lambda's error type and message.
	Invoke(ctx context.Context, function, version string, payload []byte) ([]byte, error)
}

// Hook checks the versions of one function.
type Hook struct {
	CodeDeploy CodeDeploy
	Lambda     Invoker
	// Function is the function this hook may check (and, by its
	// permissions, invoke); a deployment of any other fails.
	Function string
}

// Handle checks the version the deployment targets and reports the
// verdict. It returns an error only when the verdict could not be
// reported, so that Lambda retries the hook; CodeDeploy fails a
// deployment whose hook never reports, after an hour.
func (h *Hook) Handle(ctx context.Context, ev Event) error {
	if ev.DeploymentID == "" || ev.HookExecutionID == "" {
		return errors.New("not a CodeDeploy lifecycle event: DeploymentId and LifecycleEventHookExecutionId are required")
	}
	problem := h.check(ctx, ev.DeploymentID)
	if problem != nil {
		slog.ErrorContext(ctx, "new version refused", "deployment", ev.DeploymentID, "problem", problem)
	} else {
		slog.InfoContext(ctx, "new version can serve", "deployment", ev.DeploymentID)
	}
	if err := h.CodeDeploy.Report(ctx, ev.DeploymentID, ev.HookExecutionID, problem == nil); err != nil {
		return fmt.Errorf("report the check of deployment %s (passed: %v): %w", ev.DeploymentID, problem == nil, err)
	}
	return nil
}

// check returns why the deployment's new version cannot serve, or nil.
func (h *Hook) check(ctx context.Context, deploymentID string) error {
	function, version, err := h.CodeDeploy.Target(ctx, deploymentID)
	if err != nil {
		return fmt.Errorf("find the deployment's target: %w", err)
	}
	if function != h.Function {
		return fmt.Errorf("the deployment targets function %s; this hook checks %s", function, h.Function)
	}
	payload, _ := json.Marshal(Request())
	out, err := h.Lambda.Invoke(ctx, function, version, payload)
	if err != nil {
		return fmt.Errorf("invoke %s version %s: %w", function, version, err)
	}
	var resp events.APIGatewayProxyResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return fmt.Errorf("%s version %s answered %q, not an API response", function, version, out)
	}
	var health Health
	if err := json.Unmarshal([]byte(resp.Body), &health); err != nil || resp.StatusCode != 200 || !health.OK {
		return fmt.Errorf("%s version %s is not healthy: status %d, %s", function, version, resp.StatusCode, resp.Body)
	}
	return nil
}
