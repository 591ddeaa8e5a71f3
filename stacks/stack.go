// Package stacks holds one file per CloudFormation stack of a stage. Each
// constructor takes its typed config section and the handles of the stacks
// it depends on, and exports as fields the handles later stacks need.
package stacks

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/hasivu/infra/config"
)

// Env is what every stack of a stage shares: the stage's name and where it
// deploys.
type Env struct {
	Stage             string
	Account           string
	Region            string
	AvailabilityZones []string
	// TerminationProtection is set on the stateful stacks only.
	TerminationProtection bool
}

// EnvOf takes the stage-wide settings out of a stage's config.
func EnvOf(s *config.Stage) Env {
	return Env{
		Stage:                 s.Name,
		Account:               s.Account,
		Region:                s.Region,
		AvailabilityZones:     s.AvailabilityZones,
		TerminationProtection: s.TerminationProtection,
	}
}

// StackName is the CloudFormation name of a stage's stack: hasivu-<stage>-<part>.
func (e Env) StackName(part string) string { return fmt.Sprintf("hasivu-%s-%s", e.Stage, part) }

// stageStack is a Stack whose availability zones come from config rather
// than from a context lookup, so synth needs no AWS account.
type stageStack struct {
	awscdk.Stack
	zones []string
}

// AvailabilityZones overrides Stack.AvailabilityZones with the configured
// zones.
func (s *stageStack) AvailabilityZones() *[]*string { return jsii.Strings(s.zones...) }

// newStack creates the stage's stack for one part. Stateful stacks get
// termination protection where the stage asks for it. Any of them may
// take values of the edge stack, which lives in another region
// (config.EdgeRegion): CDK reads those through Fn::GetStackOutput naming
// that region, which the stacks' explicit environment makes possible.
func newStack(scope constructs.Construct, env Env, part, description string, stateful bool) awscdk.Stack {
	s := &stageStack{zones: env.AvailabilityZones}
	awscdk.NewStack_Override(s, scope, jsii.String(env.StackName(part)), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String(env.Account), Region: jsii.String(env.Region)},
		Description:           jsii.String(description),
		TerminationProtection: jsii.Bool(stateful && env.TerminationProtection),
		CrossRegionReferences: jsii.Bool(true),
	})
	return s
}

// newEdgeStack creates the stage's stack for a part that CloudFront needs
// in config.EdgeRegion, whatever the stage's region: it holds no VPC, so
// it needs no zones.
func newEdgeStack(scope constructs.Construct, env Env, part, description string) awscdk.Stack {
	return awscdk.NewStack(scope, jsii.String(env.StackName(part)), &awscdk.StackProps{
		Env:                   &awscdk.Environment{Account: jsii.String(env.Account), Region: jsii.String(config.EdgeRegion)},
		Description:           jsii.String(description),
		CrossRegionReferences: jsii.Bool(true),
	})
}

// retained is how every resource the stacks keep is kept:
// RetainExceptOnCreate. Kept resources with fixed names (the database
// instance and its secret and log groups, the signing key, the Razorpay
// secret) would otherwise outlive a first deploy that rolls back, and the
// retry would fail on "already exists"; RetainExceptOnCreate deletes what
// the failed operation created and keeps it through every other
// operation, as Retain does.
const retained = awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE

// removalPolicy maps a config removal policy to CDK's.
func removalPolicy(p string) awscdk.RemovalPolicy {
	switch p {
	case "retain":
		return retained
	case "snapshot":
		return awscdk.RemovalPolicy_SNAPSHOT
	default:
		return awscdk.RemovalPolicy_DESTROY
	}
}

// companionRemovalPolicy is removalPolicy for what belongs with the data
// but has no snapshot (its credentials, its logs): kept unless the data is
// destroyed, so a retained or snapshotted database keeps its password.
func companionRemovalPolicy(p string) awscdk.RemovalPolicy {
	if p == "snapshot" {
		return retained
	}
	return removalPolicy(p)
}

// retention maps a number of days, already validated by config, to
// CloudWatch Logs' retention enum.
func retention(days int) awslogs.RetentionDays {
	r, ok := map[int]awslogs.RetentionDays{
		1: awslogs.RetentionDays_ONE_DAY, 3: awslogs.RetentionDays_THREE_DAYS, 5: awslogs.RetentionDays_FIVE_DAYS,
		7: awslogs.RetentionDays_ONE_WEEK, 14: awslogs.RetentionDays_TWO_WEEKS, 30: awslogs.RetentionDays_ONE_MONTH,
		60: awslogs.RetentionDays_TWO_MONTHS, 90: awslogs.RetentionDays_THREE_MONTHS, 120: awslogs.RetentionDays_FOUR_MONTHS,
		150: awslogs.RetentionDays_FIVE_MONTHS, 180: awslogs.RetentionDays_SIX_MONTHS, 365: awslogs.RetentionDays_ONE_YEAR,
		400: awslogs.RetentionDays_THIRTEEN_MONTHS, 545: awslogs.RetentionDays_EIGHTEEN_MONTHS, 731: awslogs.RetentionDays_TWO_YEARS,
		1096: awslogs.RetentionDays_THREE_YEARS, 1827: awslogs.RetentionDays_FIVE_YEARS, 2192: awslogs.RetentionDays_SIX_YEARS,
		2557: awslogs.RetentionDays_SEVEN_YEARS, 2922: awslogs.RetentionDays_EIGHT_YEARS, 3288: awslogs.RetentionDays_NINE_YEARS,
		3653: awslogs.RetentionDays_TEN_YEARS,
	}[days]
	if !ok {
		panic(fmt.Sprintf("stacks: log retention of %d days passed config validation but has no CloudWatch equivalent", days))
	}
	return r
}

// stringMap converts a Go map to the pointer map jsii props take.
func stringMap(m map[string]string) *map[string]*string {
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = jsii.String(v)
	}
	return &out
}

// suppress records on one resource that a cdk-nag rule is knowingly not
// met, and why; appliesTo narrows it to the named findings (for example
// one managed policy).
func suppress(resource constructs.IConstruct, rule, reason string, appliesTo ...string) {
	s := &cdknag.NagPackSuppression{Id: jsii.String(rule), Reason: jsii.String(reason)}
	if len(appliesTo) > 0 {
		findings := make([]interface{}, len(appliesTo))
		for i, a := range appliesTo {
			findings[i] = a
		}
		s.AppliesTo = &findings
	}
	cdknag.NagSuppressions_AddResourceSuppressions(resource, &[]*cdknag.NagPackSuppression{s}, jsii.Bool(false))
}

// sortedKeys returns a map's keys in order, so that templates do not
// depend on map iteration.
func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K { return slices.Sorted(maps.Keys(m)) }

// capitalized returns s with its first letter upper-cased, for a label
// that starts a sentence ("Lambda functions to RDS Proxy").
func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
