package stacks

import (
	"fmt"
	"strconv"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
)

// OriginKeyHeader is the header that carries the origin key: the one API
// Gateway reads API keys from. CloudFront sets it on every request it
// sends the API, replacing any value a viewer sent.
const OriginKeyHeader = "x-api-key"

// originKeyLength is the length of a generated origin key: API Gateway
// takes keys of 20 to 128 letters and digits.
const originKeyLength = 40

// originKeySecretName is where the origin key of one generation lives.
// The api stack creates it in the stage's region, replicated to
// config.EdgeRegion, where the edge stack reads the replica by the same
// name; neither template holds the key, only this name.
func originKeySecretName(stage string, generation int) string {
	return fmt.Sprintf("hasivu/%s/origin-key-%d", stage, generation)
}

// originKeyGenerations are the generations the API accepts: the current
// one, which CloudFront sends, and the one before, so that edge locations
// still sending it while a rotation reaches them are not refused.
func originKeyGenerations(cfg config.Edge) []int {
	if cfg.OriginKeyGeneration > 1 {
		return []int{cfg.OriginKeyGeneration - 1, cfg.OriginKeyGeneration}
	}
	return []int{cfg.OriginKeyGeneration}
}

// addOriginKeys makes the API answer only the stage's distribution:
// every method requires an API key (cachedapi's RequireApiKey), and the
// only keys are the origin keys, generated into Secrets Manager and
// attached through a usage plan without throttle or quota (the stage's
// and routes' throttles still apply). API Gateway checks the key before
// its cache, so cached answers are guarded too.
func addOriginKeys(s *ApiStack, env Env, cfg config.Edge) {
	stack := s.Stack
	rest := s.Api.Api
	plan := awsapigateway.NewUsagePlan(stack, jsii.String("OriginKeys"), &awsapigateway.UsagePlanProps{
		Name:        jsii.String("hasivu-" + env.Stage + "-cloudfront"),
		Description: jsii.String("The keys CloudFront sends: the API answers no one else"),
		ApiStages:   &[]*awsapigateway.UsagePlanPerApiStage{{Api: rest, Stage: rest.DeploymentStage()}},
	})
	var replicas *[]*awssecretsmanager.ReplicaRegion
	readers := []*string{cfnExecutionRole(stack, env.Region)}
	if env.Region != config.EdgeRegion {
		replicas = &[]*awssecretsmanager.ReplicaRegion{{Region: jsii.String(config.EdgeRegion)}}
		readers = append(readers, cfnExecutionRole(stack, config.EdgeRegion))
	}
	for _, gen := range originKeyGenerations(cfg) {
		id := "OriginKey" + strconv.Itoa(gen)
		secret := awssecretsmanager.NewSecret(stack, jsii.String(id), &awssecretsmanager.SecretProps{
			SecretName:  jsii.String(originKeySecretName(env.Stage, gen)),
			Description: jsii.String(fmt.Sprintf("Hasivu %s origin key, generation %d: CloudFront sends it as %s, the API requires it", env.Stage, gen, OriginKeyHeader)),
			GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
				PasswordLength: jsii.Number(originKeyLength), ExcludePunctuation: jsii.Bool(true), IncludeSpace: jsii.Bool(false),
			},
			ReplicaRegions: replicas,
			// A retired generation has no use; its name is never reused.
			RemovalPolicy: removalPolicy("destroy"),
		})
		// No function reads the key: CloudFormation does, here for the API
		// key and in the edge stack's region for CloudFront, from the
		// replica, which carries this policy too.
		secret.AddToResourcePolicy(readersOnly(readers))
		suppress(secret.Node().DefaultChild(), "AwsSolutions-SMG4",
			"Rotated by raising edge.originKeyGeneration (README, Edge): the API and CloudFront must change together, in that order, which a rotation function cannot do.")
		key := awsapigateway.NewApiKey(stack, jsii.String(id+"ApiKey"), &awsapigateway.ApiKeyProps{
			ApiKeyName:  jsii.String(fmt.Sprintf("hasivu-%s-cloudfront-%d", env.Stage, gen)),
			Description: jsii.String(fmt.Sprintf("CloudFront's origin key, generation %d, from %s", gen, originKeySecretName(env.Stage, gen))),
			// A dynamic reference: CloudFormation reads the key when it
			// deploys; the template holds only the secret's ARN.
			Value:   secret.SecretValue().UnsafeUnwrap(),
			Enabled: jsii.Bool(true),
		})
		plan.AddApiKey(key, nil)
	}
}
