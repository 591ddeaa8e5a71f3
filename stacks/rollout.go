package stacks

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodedeploy"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/interfaces/interfacesawscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/constructs/gofunction"
	"github.com/hasivu/infra/lambda/routes"
)

// Rollout is how a deploy moves the routed functions' live aliases to
// their new versions: one CodeDeploy deployment group per alias, each with
// its pre-traffic hook and its rollback alarms.
type Rollout struct {
	Application awscodedeploy.LambdaApplication
	// Groups, Hooks and Alarms by function name; Alarms are the new
	// version's errors and p95 duration, then the API's 5XX rate.
	Groups map[string]awscodedeploy.LambdaDeploymentGroup
	Hooks  map[string]awslambda.Function
	Alarms map[string][]awscloudwatch.Alarm
}

// hookTimeout covers the new version's cold start and its health checks
// (each bounded at 5 s) with room to spare.
const hookTimeout = 60

// newRollout puts every routed function's alias under CodeDeploy: the
// alias's UpdatePolicy hands each version change to its deployment group,
// which runs the function's pre-traffic hook (deploy-check, the same
// binary) against the new version, shifts traffic as config says and
// rolls back when an alarm fires. A failed deployment fails the alias's
// update, so the stack update fails and CloudFormation rolls back every
// alias of the release together.
func newRollout(s *ApiStack, env Env, cfg config.Functions, code awslambda.Code, api5xx awscloudwatch.Alarm) *Rollout {
	stack := s.Stack
	r := &Rollout{Groups: map[string]awscodedeploy.LambdaDeploymentGroup{}, Hooks: map[string]awslambda.Function{},
		Alarms: map[string][]awscloudwatch.Alarm{}}
	r.Application = awscodedeploy.NewLambdaApplication(stack, jsii.String("Rollout"), &awscodedeploy.LambdaApplicationProps{
		ApplicationName: jsii.String("hasivu-" + env.Stage),
	})
	deploymentConfig := rolloutConfig(stack, cfg.Rollout)
	for _, name := range routes.Functions() {
		fn := s.Functions[name]
		hook := newHook(s, env, name, fn, code, cfg.LogRetentionDays)
		alarms := versionAlarms(stack, env, name, fn, cfg.Rollout)
		// The alias moves only once its alarms watch the new version (they
		// and the alias both follow the version; nothing else orders them).
		// Not on the group: it watches the API's alarm, which follows the
		// API stage, which follows the aliases.
		fn.Alias.Node().AddDependency(alarms[0], alarms[1])
		group := awscodedeploy.NewLambdaDeploymentGroup(stack, jsii.String(name+"-rollout"), &awscodedeploy.LambdaDeploymentGroupProps{
			Application:      r.Application,
			Alias:            fn.Alias,
			DeploymentConfig: deploymentConfig,
			PreHook:          hook,
			Alarms:           &[]interfacesawscloudwatch.IAlarmRef{alarms[0], alarms[1], api5xx},
			AutoRollback: &awscodedeploy.AutoRollbackConfig{
				FailedDeployment: jsii.Bool(true), StoppedDeployment: jsii.Bool(true), DeploymentInAlarm: jsii.Bool(true),
			},
		})
		// The hook learns the new version from the deployment's target,
		// and may read only its own group's deployments (CDK grants it
		// PutLifecycleEventHookExecutionStatus on the group) and invoke
		// only its function's versions.
		hook.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("codedeploy:ListDeploymentTargets", "codedeploy:GetDeploymentTarget"),
			Resources: jsii.Strings(*group.DeploymentGroupArn()),
		}))
		hook.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions:   jsii.Strings("lambda:InvokeFunction"),
			Resources: jsii.Strings(*fn.Function.FunctionArn() + ":*"),
		}))
		suppress(hook.Role().Node().FindChild(jsii.String("DefaultPolicy")).Node().DefaultChild(), "AwsSolutions-IAM5",
			"The hook invokes the new version of its one function, whose number the deploy decides: <function>:* names that function's versions and nothing else.")
		suppress(group.Role().Node().DefaultChild(), "AwsSolutions-IAM4",
			"CodeDeploy's limited Lambda role: shift this alias and invoke its hooks; AWS keeps it current.",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited")
		suppress(group.Role().Node().FindChild(jsii.String("DefaultPolicy")).Node().DefaultChild(), "AwsSolutions-IAM5",
			"CDK's grant to invoke the pre-traffic hook: <hook>:* names that one function's versions.")
		r.Groups[name], r.Hooks[name], r.Alarms[name] = group, hook, append(alarms, api5xx)
	}
	return r
}

// rolloutConfig is the deployment configuration config asks for.
func rolloutConfig(stack awscdk.Stack, r config.Rollout) awscodedeploy.ILambdaDeploymentConfig {
	every := awscdk.Duration_Minutes(jsii.Number(r.Minutes))
	var routing awscodedeploy.TrafficRouting
	switch r.Strategy {
	case "canary":
		routing = awscodedeploy.TrafficRouting_TimeBasedCanary(&awscodedeploy.TimeBasedCanaryTrafficRoutingProps{
			Interval: every, Percentage: jsii.Number(r.Percent)})
	case "linear":
		routing = awscodedeploy.TrafficRouting_TimeBasedLinear(&awscodedeploy.TimeBasedLinearTrafficRoutingProps{
			Interval: every, Percentage: jsii.Number(r.Percent)})
	default:
		return awscodedeploy.LambdaDeploymentConfig_ALL_AT_ONCE()
	}
	return awscodedeploy.NewLambdaDeploymentConfig(stack, jsii.String("RolloutConfig"), &awscodedeploy.LambdaDeploymentConfigProps{
		TrafficRouting: routing,
	})
}

// newHook is the function's pre-traffic hook: the platform binary as
// deploy-check, outside the VPC (it calls only AWS's APIs), checking the
// one function.
func newHook(s *ApiStack, env Env, name string, fn *gofunction.GoFunction, code awslambda.Code, logDays int) awslambda.Function {
	logs := awslogs.NewLogGroup(s.Stack, jsii.String(name+"-deploy-check-logs"), &awslogs.LogGroupProps{
		Retention: retention(logDays), RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	return awslambda.NewFunction(s.Stack, jsii.String(name+"-deploy-check"), &awslambda.FunctionProps{
		Role:         gofunction.ExecutionRole(s.Stack, jsii.String(name+"-deploy-check-role"), logs, false),
		Runtime:      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture: awslambda.Architecture_ARM_64(),
		Handler:      jsii.String(routes.DeployCheck),
		Code:         code,
		Layers:       &[]awslambda.ILayerVersion{s.Layer},
		Description:  jsii.String("Hasivu " + env.Stage + ": CodeDeploy's pre-traffic check of " + name + "'s new versions"),
		MemorySize:   jsii.Number(256),
		Timeout:      awscdk.Duration_Seconds(jsii.Number(hookTimeout)),
		LogGroup:     logs,
		Environment: &map[string]*string{
			routes.EnvStage: jsii.String(env.Stage), routes.EnvDeployCheckFunction: fn.Function.FunctionName(),
		},
	})
}

// versionAlarms watch the version a deploy published, through the alias
// (Lambda's ExecutedVersion dimension): its errors and its p95 duration.
// Alarms on the alias alone would mix in the old version during a canary,
// and an old version's alarm would block the deploy that fixes it.
func versionAlarms(stack awscdk.Stack, env Env, name string, fn *gofunction.GoFunction, r config.Rollout) []awscloudwatch.Alarm {
	dims := &map[string]*string{
		"FunctionName":    fn.Function.FunctionName(),
		"Resource":        jsii.String(*fn.Function.FunctionName() + ":" + gofunction.AliasName),
		"ExecutedVersion": fn.Function.CurrentVersion().Version(),
	}
	metric := func(metricName, stat string) awscloudwatch.Metric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/Lambda"), MetricName: jsii.String(metricName), Statistic: jsii.String(stat),
			DimensionsMap: dims, Period: awscdk.Duration_Minutes(jsii.Number(1)),
		})
	}
	alarm := func(id, description string, m awscloudwatch.Metric, threshold float64) awscloudwatch.Alarm {
		return awscloudwatch.NewAlarm(stack, jsii.String(name+"-"+id), &awscloudwatch.AlarmProps{
			AlarmName:          jsii.String(fmt.Sprintf("hasivu-%s-%s-new-version-%s", env.Stage, name, id)),
			AlarmDescription:   jsii.String(description),
			Metric:             m,
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
	}
	return []awscloudwatch.Alarm{
		alarm("errors", "The version of "+name+" a deploy is moving traffic to failed an invocation (a crash or timeout, not a 4xx): CodeDeploy rolls it back.",
			metric("Errors", "Sum"), 1),
		alarm("p95", fmt.Sprintf("The version of %s a deploy is moving traffic to took at least %d ms at p95 over a minute: CodeDeploy rolls it back.", name, r.DurationP95Ms),
			metric("Duration", "p95"), float64(r.DurationP95Ms)),
	}
}
