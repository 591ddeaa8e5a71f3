// Package gofunction declares each function over the platform's Lambda
// code, built once (package lambdabuild): a provided.al2023 arm64 function
// running the shared layer's bootstrap, published as a version behind a
// `live` alias that carries provisioned concurrency and its auto scaling.
package gofunction

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// AliasName is the alias every function is invoked through.
const AliasName = "live"

// Peak raises the provisioned-concurrency floor between two scheduled
// times.
type Peak struct {
	// Name identifies the peak in construct IDs ("lunch").
	Name string
	// Start and End are when the floor goes up and back down.
	Start, End awsapplicationautoscaling.Schedule
	// MinCapacity is the floor during the peak.
	MinCapacity float64
}

// GoFunctionProps configures a GoFunction.
type GoFunctionProps struct {
	// Handler is the function's entry in the handler table, passed to the
	// binary as _HANDLER. Required.
	Handler *string
	// Code is the function's own package (lambdabuild.Bundle's
	// FunctionDir). Required.
	Code awslambda.Code
	// Layers are attached in order; one must hold bootstrap. Required.
	Layers *[]awslambda.ILayerVersion
	// Description of the function. Default: none.
	Description *string
	// MemoryMiB is the function's memory. Default: 1024.
	MemoryMiB *float64
	// Timeout of one invocation. Default: 10 seconds.
	Timeout awscdk.Duration
	// Environment variables of the function. Default: none.
	Environment *map[string]*string
	// Vpc, VpcSubnets and SecurityGroups place the function in a VPC.
	// Default: no VPC.
	Vpc            awsec2.IVpc
	VpcSubnets     *awsec2.SubnetSelection
	SecurityGroups *[]awsec2.ISecurityGroup
	// Tracing turns on active X-Ray tracing. Default: false.
	Tracing *bool
	// Insights attaches this Lambda Insights version. Default: none.
	Insights awslambda.LambdaInsightsVersion
	// ParamsAndSecrets attaches the Parameters and Secrets extension.
	// Default: none.
	ParamsAndSecrets awslambda.ParamsAndSecretsLayerVersion
	// LogRetention is how long the function's log group keeps logs.
	// Default: one month.
	LogRetention awslogs.RetentionDays
	// ReservedConcurrency caps the function's concurrency. Default: none.
	ReservedConcurrency *float64
	// ProvisionedConcurrency is the live alias's floor of initialised
	// environments. Default: 0 (none, and no auto scaling).
	ProvisionedConcurrency *float64
	// MaxProvisionedConcurrency is the ceiling of auto scaling; above
	// ProvisionedConcurrency it turns on target tracking. Default:
	// ProvisionedConcurrency.
	MaxProvisionedConcurrency *float64
	// UtilizationTarget is the utilisation (0 to 1) target tracking keeps.
	// Default: 0.7.
	UtilizationTarget *float64
	// Peaks raise the floor on a schedule. Default: none.
	Peaks []Peak
	// TimeZone of the Peaks' schedules. Default: UTC.
	TimeZone awscdk.TimeZone
}

// GoFunction is a function, its log group, its execution role and its
// live alias.
type GoFunction struct {
	constructs.Construct
	// Function is the unqualified function; invoke Alias instead. Its
	// Role() is ExecutionRole's.
	Function awslambda.Function
	// Alias is `live`, pointing at the version this deploy published.
	Alias    awslambda.Alias
	LogGroup awslogs.LogGroup
	// Scaling is the alias's scalable target, nil without provisioned
	// concurrency.
	Scaling awslambda.IScalableFunctionAttribute
}

// NewGoFunction declares the function. Peaks and target tracking never
// take the floor below ProvisionedConcurrency: a deploy while scaled under
// the alias's own setting fails (aws-cdk issue 29992).
func NewGoFunction(scope constructs.Construct, id *string, props *GoFunctionProps) *GoFunction {
	p := *props
	withDefaults(&p)
	if err := validate(&p); err != nil {
		panic(fmt.Sprintf("gofunction.NewGoFunction %s: %v", *id, err))
	}
	this := constructs.NewConstruct(scope, id)
	g := &GoFunction{Construct: this}

	g.LogGroup = awslogs.NewLogGroup(this, jsii.String("Logs"), &awslogs.LogGroupProps{
		Retention:     p.LogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	role := ExecutionRole(this, jsii.String("Role"), g.LogGroup, p.Vpc != nil)
	tracing := awslambda.Tracing_DISABLED
	if *p.Tracing {
		tracing = awslambda.Tracing_ACTIVE
	}
	g.Function = awslambda.NewFunction(this, jsii.String("Function"), &awslambda.FunctionProps{
		Runtime:                      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:                 awslambda.Architecture_ARM_64(),
		Handler:                      p.Handler,
		Role:                         role,
		Code:                         p.Code,
		Layers:                       p.Layers,
		Description:                  p.Description,
		MemorySize:                   p.MemoryMiB,
		Timeout:                      p.Timeout,
		Environment:                  p.Environment,
		Vpc:                          p.Vpc,
		VpcSubnets:                   p.VpcSubnets,
		SecurityGroups:               p.SecurityGroups,
		Tracing:                      tracing,
		InsightsVersion:              p.Insights,
		ParamsAndSecrets:             p.ParamsAndSecrets,
		LogGroup:                     g.LogGroup,
		ReservedConcurrentExecutions: p.ReservedConcurrency,
	})

	alias := &awslambda.AliasProps{
		AliasName:   jsii.String(AliasName),
		Version:     g.Function.CurrentVersion(),
		Description: jsii.String("What " + *p.Handler + " serves; the API integrates with it"),
	}
	if *p.ProvisionedConcurrency > 0 {
		alias.ProvisionedConcurrentExecutions = p.ProvisionedConcurrency
	}
	g.Alias = awslambda.NewAlias(this, jsii.String("Live"), alias)

	if *p.ProvisionedConcurrency > 0 && (*p.MaxProvisionedConcurrency > *p.ProvisionedConcurrency || len(p.Peaks) > 0) {
		g.Scaling = g.Alias.AddAutoScaling(&awslambda.AutoScalingOptions{
			MinCapacity: p.ProvisionedConcurrency,
			MaxCapacity: p.MaxProvisionedConcurrency,
		})
		if *p.MaxProvisionedConcurrency > *p.ProvisionedConcurrency {
			g.Scaling.ScaleOnUtilization(&awslambda.UtilizationScalingOptions{UtilizationTarget: p.UtilizationTarget})
		}
		for _, peak := range p.Peaks {
			g.Scaling.ScaleOnSchedule(jsii.String(peak.Name+"-start"), &awsapplicationautoscaling.ScalingSchedule{
				Schedule: peak.Start, TimeZone: p.TimeZone,
				MinCapacity: jsii.Number(peak.MinCapacity), MaxCapacity: p.MaxProvisionedConcurrency,
			})
			g.Scaling.ScaleOnSchedule(jsii.String(peak.Name+"-end"), &awsapplicationautoscaling.ScalingSchedule{
				Schedule: peak.End, TimeZone: p.TimeZone,
				MinCapacity: p.ProvisionedConcurrency, MaxCapacity: p.MaxProvisionedConcurrency,
			})
		}
	}
	return g
}

// ExecutionRole returns a role for a Lambda function whose logs go to
// logs: it may create streams and put events in that log group alone and,
// for a function in a VPC (inVpc), manage the function's network
// interfaces (VPCAccessActions). It stands in for AWS's basic and VPC
// execution policies, each of which would let the function create and
// write to every log group of the account. What a function adds to its
// role (X-Ray's tracing, Lambda Insights' policy, grants) goes on top.
func ExecutionRole(scope constructs.Construct, id *string, logs awslogs.ILogGroup, inVpc bool) awsiam.Role {
	role := awsiam.NewRole(scope, id, &awsiam.RoleProps{
		AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
	})
	if inVpc {
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Actions: jsii.Strings(VPCAccessActions...), Resources: jsii.Strings("*"),
		}))
	}
	logs.GrantWrite(role)
	return role
}

// VPCAccessActions are what Lambda does with a VPC function's role to
// manage its network interfaces: AWS's AWSLambdaVPCAccessExecutionRole
// without its logs actions on every log group (AWS Managed Policy
// reference, policy version v3). The Describe actions have no
// resource-level permissions, and Lambda names no interface before it
// creates it, so the statement is on every resource, as in AWS's policy.
var VPCAccessActions = []string{
	"ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets",
	"ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
}

func withDefaults(p *GoFunctionProps) {
	if p.MemoryMiB == nil {
		p.MemoryMiB = jsii.Number(1024)
	}
	if p.Timeout == nil {
		p.Timeout = awscdk.Duration_Seconds(jsii.Number(10))
	}
	if p.Tracing == nil {
		p.Tracing = jsii.Bool(false)
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if p.ProvisionedConcurrency == nil {
		p.ProvisionedConcurrency = jsii.Number(0)
	}
	if p.MaxProvisionedConcurrency == nil || *p.MaxProvisionedConcurrency < *p.ProvisionedConcurrency {
		p.MaxProvisionedConcurrency = p.ProvisionedConcurrency
	}
	if p.UtilizationTarget == nil {
		p.UtilizationTarget = jsii.Number(0.7)
	}
	if p.TimeZone == nil {
		p.TimeZone = awscdk.TimeZone_ETC_UTC()
	}
}

func validate(p *GoFunctionProps) error {
	var problems []string
	if p.Handler == nil || *p.Handler == "" {
		problems = append(problems, "Handler is required")
	}
	if p.Code == nil {
		problems = append(problems, "Code is required")
	}
	if p.Layers == nil || len(*p.Layers) == 0 {
		problems = append(problems, "Layers must include the layer holding bootstrap")
	}
	if u := *p.UtilizationTarget; u <= 0 || u >= 1 {
		problems = append(problems, fmt.Sprintf("UtilizationTarget must be between 0 and 1, got %v", u))
	}
	for _, peak := range p.Peaks {
		if peak.MinCapacity < *p.ProvisionedConcurrency || peak.MinCapacity > *p.MaxProvisionedConcurrency {
			problems = append(problems, fmt.Sprintf("peak %s's MinCapacity must be between ProvisionedConcurrency (%v) and MaxProvisionedConcurrency (%v), got %v",
				peak.Name, *p.ProvisionedConcurrency, *p.MaxProvisionedConcurrency, peak.MinCapacity))
		}
		if *p.ProvisionedConcurrency < 1 {
			problems = append(problems, fmt.Sprintf("peak %s needs ProvisionedConcurrency of at least 1", peak.Name))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}
