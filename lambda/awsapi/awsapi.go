// Package awsapi adapts the AWS APIs the pre-traffic hook calls, CodeDeploy
// and Lambda's Invoke, to package deploycheck, with aws-sdk-go-v2's
// clients and the function's own execution-role credentials.
package awsapi

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/hasivu/infra/lambda/deploycheck"
	"github.com/hasivu/infra/lambda/env"
)

// Config is the SDK configuration of a function: its region and the
// execution role's credentials Lambda puts in the environment (they stay
// valid for the execution environment's life, so no credential chain is
// needed). endpoint, when set, replaces AWS's endpoints (tests).
func Config(a env.AWS, endpoint string) aws.Config {
	cfg := aws.Config{
		Region: a.Region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: a.AccessKeyID, SecretAccessKey: a.SecretAccessKey,
				SessionToken: a.SessionToken, Source: "LambdaEnvironment"}, nil
		}),
	}
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg
}

// CodeDeploy adapts CodeDeploy's API to deploycheck.CodeDeploy.
type CodeDeploy struct{ Client *codedeploy.Client }

var _ deploycheck.CodeDeploy = CodeDeploy{}

// Target implements deploycheck.CodeDeploy: a Lambda deployment has one
// target, the alias, whose target version is what the deployment moves
// it to.
func (c CodeDeploy) Target(ctx context.Context, deploymentID string) (string, string, error) {
	list, err := c.Client.ListDeploymentTargets(ctx, &codedeploy.ListDeploymentTargetsInput{DeploymentId: aws.String(deploymentID)})
	if err != nil {
		return "", "", err
	}
	if len(list.TargetIds) != 1 {
		return "", "", fmt.Errorf("deployment %s has %d targets, want the one alias", deploymentID, len(list.TargetIds))
	}
	out, err := c.Client.GetDeploymentTarget(ctx, &codedeploy.GetDeploymentTargetInput{
		DeploymentId: aws.String(deploymentID), TargetId: aws.String(list.TargetIds[0]),
	})
	if err != nil {
		return "", "", err
	}
	t := out.DeploymentTarget
	if t == nil || t.LambdaTarget == nil || t.LambdaTarget.LambdaFunctionInfo == nil {
		return "", "", fmt.Errorf("deployment %s's target is not a Lambda function", deploymentID)
	}
	info := t.LambdaTarget.LambdaFunctionInfo
	return aws.ToString(info.FunctionName), aws.ToString(info.TargetVersion), nil
}

// Report implements deploycheck.CodeDeploy.
func (c CodeDeploy) Report(ctx context.Context, deploymentID, hookExecutionID string, succeeded bool) error {
	status := cdtypes.LifecycleEventStatusFailed
	if succeeded {
		status = cdtypes.LifecycleEventStatusSucceeded
	}
	_, err := c.Client.PutLifecycleEventHookExecutionStatus(ctx, &codedeploy.PutLifecycleEventHookExecutionStatusInput{
		DeploymentId: aws.String(deploymentID), LifecycleEventHookExecutionId: aws.String(hookExecutionID), Status: status,
	})
	return err
}

// Invoker adapts Lambda's Invoke to deploycheck.Invoker.
type Invoker struct{ Client *lambda.Client }

var _ deploycheck.Invoker = Invoker{}

// Invoke implements deploycheck.Invoker: a RequestResponse invocation of
// function:version.
func (i Invoker) Invoke(ctx context.Context, function, version string, payload []byte) ([]byte, error) {
	out, err := i.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(function), Qualifier: aws.String(version), Payload: payload,
	})
	if err != nil {
		return nil, err
	}
	if out.FunctionError != nil {
		// Unhandled: the runtime exited (init failed) or the handler
		// crashed; the payload says which.
		return nil, errors.New(aws.ToString(out.FunctionError) + ": " + strings.TrimSpace(string(out.Payload)))
	}
	return out.Payload, nil
}
