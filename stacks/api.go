package stacks

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapplicationautoscaling"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/triggers"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/constructs/cachedapi"
	"github.com/hasivu/infra/constructs/gofunction"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/lambdabuild"
)

// JWTSecretLogicalID pins the previous release's HMAC key: its versions
// read it, so it stays, with its readers, until no rollback can return to
// them (then delete it in a later release).
const JWTSecretLogicalID = "JwtSigningKey"

// JWTSigningKeysLogicalID and JWTVerificationKeysLogicalID pin the ES256
// keys' secrets: the private signing key, which auth-login alone reads,
// and the public keys that verify tokens, which the verifiers read.
// Replacing either would sign every user out.
const (
	JWTSigningKeysLogicalID      = "JwtSigningKeys"
	JWTVerificationKeysLogicalID = "JwtVerificationKeys"
)

// ApiDeps are the handles the API stack takes from the stacks before it.
type ApiDeps struct {
	Network *NetworkStack
	Data    *DataStack
	Cache   *CacheStack
	// Bundle is the Lambda code, built once for every function.
	Bundle *lambdabuild.Bundle
}

// ApiStack is the stage's functions and the REST API in front of them.
type ApiStack struct {
	awscdk.Stack
	// Functions by handler-table name.
	Functions map[string]*gofunction.GoFunction
	// Layer holds the one binary every function runs.
	Layer awslambda.LayerVersion
	Api   *cachedapi.CachedApi
	// JwtSecret is the previous release's HMAC key, kept for rollbacks.
	JwtSecret awssecretsmanager.Secret
	// JwtSigningKeys holds the private key that signs tokens
	// (auth.SigningSecret); JwtVerificationKeys the public keys that
	// verify them (auth.VerificationSecret). Both are created empty and
	// filled by the procedure in the README (Rotating the JWT key).
	JwtSigningKeys, JwtVerificationKeys awssecretsmanager.Secret
	// RazorpaySecret holds Razorpay's keyId, keySecret and webhookSecret:
	// the one config names, or the one this stack creates empty.
	RazorpaySecret awssecretsmanager.ISecret
	// Rollout moves the routed aliases to a deploy's new versions.
	Rollout *Rollout
	// Firewall is the web ACL on the API's stage, where WAF is on and the
	// edge off; nil otherwise (with the edge, it is on the distribution).
	Firewall *Firewall
}

// ApiSecurityPolicy is the REST API's TLS security policy: API Gateway's
// enhanced policy for regional endpoints that accepts TLS 1.3, and TLS 1.2
// with forward-secret ciphers and post-quantum key exchange, and nothing
// older.
const ApiSecurityPolicy = "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09"

// RazorpaySecretLogicalID pins the Razorpay secret the stack creates: the
// platform team fills it in by hand, and a replacement would lose that.
const RazorpaySecretLogicalID = "RazorpayKeys"

// razorpaySecret returns the secret config names, or creates
// hasivu/<stage>/razorpay with the three keys empty (the functions answer
// 503 until the platform team fills them in; README, Deploying). It is
// encrypted with the account's default key, which every function granted
// read may decrypt.
func razorpaySecret(stack awscdk.Stack, stage, name string) awssecretsmanager.ISecret {
	if name != "" {
		return awssecretsmanager.Secret_FromSecretNameV2(stack, jsii.String("Razorpay"), jsii.String(name))
	}
	empty := awscdk.SecretValue_UnsafePlainText(jsii.String(""))
	secret := awssecretsmanager.NewSecret(stack, jsii.String("Razorpay"), &awssecretsmanager.SecretProps{
		SecretName:        jsii.String("hasivu/" + stage + "/razorpay"),
		Description:       jsii.String("Razorpay keyId, keySecret and webhookSecret of Hasivu " + stage + ": filled in by the platform team"),
		SecretObjectValue: &map[string]awscdk.SecretValue{"keyId": empty, "keySecret": empty, "webhookSecret": empty},
		RemovalPolicy:     retained,
	})
	cfn := secret.Node().DefaultChild().(awssecretsmanager.CfnSecret)
	cfn.OverrideLogicalId(jsii.String(RazorpaySecretLogicalID))
	suppress(cfn, "AwsSolutions-SMG4", "Razorpay's keys are issued by Razorpay's dashboard; they are replaced there and pasted here, not rotated by a function.")
	return secret
}

// jwtKeysSecret creates one of the JWT keys' secrets, empty: a function
// answers 503 until a key is put there (README, Rotating the JWT key).
func jwtKeysSecret(stack awscdk.Stack, stage, logicalID, name, description, empty string) awssecretsmanager.Secret {
	secret := awssecretsmanager.NewSecret(stack, jsii.String(logicalID), &awssecretsmanager.SecretProps{
		SecretName:        jsii.String("hasivu/" + stage + "/" + name),
		Description:       jsii.String(description),
		SecretStringValue: awscdk.SecretValue_UnsafePlainText(jsii.String(empty)),
		RemovalPolicy:     retained,
	})
	cfn := secret.Node().DefaultChild().(awssecretsmanager.CfnSecret)
	cfn.OverrideLogicalId(jsii.String(logicalID))
	suppress(cfn, "AwsSolutions-SMG4", "The key pair is rolled over by the procedure in the README (Rotating the JWT key): publish the new public key, then sign with it; verifiers accept the previous key meanwhile.")
	return secret
}

// NewApiStack declares every function of routes.Deployed() over the shared
// platform layer, grants each what routes.NeedsOf says it needs, puts the
// routed ones behind the cached REST API and runs migrate on every deploy
// before the new versions go live. Where the edge is on, the API answers
// only the distribution (originkey.go); where WAF is on and the edge off,
// a regional web ACL filters the stage.
func NewApiStack(scope constructs.Construct, env Env, fcfg config.Functions, acfg config.API, ecfg config.Edge, wcfg config.WAF, deps ApiDeps) *ApiStack {
	stack := newStack(scope, env, "api", "Hasivu "+env.Stage+": Lambda functions, platform layer, REST API", false)
	s := &ApiStack{Stack: stack, Functions: map[string]*gofunction.GoFunction{}}

	// Every function attaches the same layers, from here: the platform
	// layer with the binary, then the AWS-managed extensions.
	s.Layer = awslambda.NewLayerVersion(stack, jsii.String("Platform"), &awslambda.LayerVersionProps{
		Code:                    awslambda.Code_FromAsset(jsii.String(deps.Bundle.LayerDir), nil),
		CompatibleArchitectures: &[]awslambda.Architecture{awslambda.Architecture_ARM_64()},
		CompatibleRuntimes:      &[]awslambda.Runtime{awslambda.Runtime_PROVIDED_AL2023()},
		Description:             jsii.String("Hasivu platform binary, run as /opt/bootstrap by every function"),
		RemovalPolicy:           retained,
	})
	code := awslambda.Code_FromAsset(jsii.String(deps.Bundle.FunctionDir), nil)
	secretsExtension := awslambda.ParamsAndSecretsLayerVersion_FromVersion(awslambda.ParamsAndSecretsVersions_V1_0_103, &awslambda.ParamsAndSecretsOptions{
		CacheEnabled:      jsii.Bool(true),
		SecretsManagerTtl: awscdk.Duration_Minutes(jsii.Number(5)),
		LogLevel:          awslambda.ParamsAndSecretsLogLevel_WARN,
	})
	var insights awslambda.LambdaInsightsVersion
	if fcfg.Insights {
		insights = awslambda.LambdaInsightsVersion_VERSION_1_0_498_0()
	}

	s.JwtSecret = awssecretsmanager.NewSecret(stack, jsii.String("JwtSigningKey"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String("hasivu/" + env.Stage + "/jwt-signing-key"),
		Description: jsii.String("HMAC key that signs Hasivu " + env.Stage + " sessions"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength: jsii.Number(64), ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: retained,
	})
	s.JwtSecret.Node().DefaultChild().(awssecretsmanager.CfnSecret).OverrideLogicalId(jsii.String(JWTSecretLogicalID))
	suppress(s.JwtSecret.Node().DefaultChild(), "AwsSolutions-SMG4",
		"The previous release's HMAC key, kept only for rollbacks to it; nothing of this release reads it.")
	s.JwtSigningKeys = jwtKeysSecret(stack, env.Stage, JWTSigningKeysLogicalID, "jwt-signing-keys",
		"ES256 private key that signs Hasivu "+env.Stage+" sessions (auth-login alone reads it)", `{"privateKey":""}`)
	s.JwtVerificationKeys = jwtKeysSecret(stack, env.Stage, JWTVerificationKeysLogicalID, "jwt-verification-keys",
		"ES256 public keys (current, previous) that verify Hasivu "+env.Stage+" sessions", `{"publicKeys":[]}`)
	s.RazorpaySecret = razorpaySecret(stack, env.Stage, acfg.RazorpaySecretName)
	razorpay := s.RazorpaySecret

	// Every secret the functions read lets only its readers read it
	// (secretpolicy.go).
	reads := &secretReads{}
	zone := awscdk.TimeZone_Of(jsii.String(fcfg.TimeZone))
	for _, name := range routes.Deployed() {
		needs := routes.NeedsOf(name)
		fc := fcfg.Of(name)
		environment := map[string]string{routes.EnvStage: env.Stage}
		if slices.Contains(routes.Functions(), name) {
			environment[routes.EnvCorsAllowedOrigins] = strings.Join(acfg.CorsOrigins, ",")
		}
		dbUser := routes.DBUserOf(name, deps.Data.Username)
		if needs.DB {
			environment[routes.EnvDBHost] = *deps.Data.Proxy.Endpoint()
			environment[routes.EnvDBPort] = strconv.Itoa(deps.Data.Port)
			environment[routes.EnvDBName] = deps.Data.DatabaseName
			environment[routes.EnvDBUser] = dbUser
			environment[routes.EnvDBIAMAuth] = "true"
		}
		if needs.Cache {
			environment[routes.EnvRedisAddr] = *deps.Cache.Cache.PrimaryEndpoint() + ":" + strconv.Itoa(int(deps.Cache.Cache.Port()))
			environment[routes.EnvRedisTLS] = "true"
			environment[routes.EnvRedisAuthSecretARN] = *deps.Cache.Cache.AuthSecret().SecretArn()
		}
		if needs.SignsTokens {
			environment[routes.EnvJWTSecretARN] = *s.JwtSigningKeys.SecretArn()
		}
		if needs.JWT {
			environment[routes.EnvJWTVerificationARN] = *s.JwtVerificationKeys.SecretArn()
		}
		if needs.Razorpay || needs.Webhook {
			environment[routes.EnvRazorpaySecretARN] = *razorpay.SecretArn()
			environment[routes.EnvRazorpayBaseURL] = acfg.RazorpayBaseURL
		}

		var peaks []gofunction.Peak
		for _, peak := range sortedKeys(fc.Peaks) {
			w := fcfg.Peaks[peak]
			peaks = append(peaks, gofunction.Peak{
				Name: peak, Start: weeklyAt(w.Days, w.From), End: weeklyAt(w.Days, w.To), MinCapacity: float64(fc.Peaks[peak]),
			})
		}
		props := &gofunction.GoFunctionProps{
			Handler:                   jsii.String(name),
			Code:                      code,
			Layers:                    &[]awslambda.ILayerVersion{s.Layer},
			ParamsAndSecrets:          secretsExtension,
			Insights:                  insights,
			Description:               jsii.String("Hasivu " + env.Stage + " " + name),
			MemoryMiB:                 jsii.Number(fc.MemoryMiB),
			Timeout:                   awscdk.Duration_Seconds(jsii.Number(fc.TimeoutSeconds)),
			Environment:               stringMap(environment),
			Vpc:                       deps.Network.Vpc,
			VpcSubnets:                deps.Network.FunctionSubnets,
			SecurityGroups:            &[]awsec2.ISecurityGroup{deps.Network.GroupOf(name)},
			Tracing:                   jsii.Bool(fcfg.Tracing),
			LogRetention:              retention(fcfg.LogRetentionDays),
			ProvisionedConcurrency:    jsii.Number(fc.ProvisionedConcurrency),
			MaxProvisionedConcurrency: jsii.Number(fc.MaxProvisionedConcurrency),
			UtilizationTarget:         jsii.Number(float64(fcfg.UtilizationTarget) / 100),
			Peaks:                     peaks,
			TimeZone:                  zone,
		}
		if fc.ReservedConcurrency > 0 {
			props.ReservedConcurrency = jsii.Number(fc.ReservedConcurrency)
		}
		fn := gofunction.NewGoFunction(stack, jsii.String(name), props)
		s.Functions[name] = fn
		suppressFunctionRole(fn)

		// Grants follow the functions' declared needs, so each function
		// can read only the secrets its handler uses and connect to the
		// database as its own user alone.
		if needs.DB {
			deps.Data.GrantConnect(fn.Function, dbUser)
		}
		if needs.Cache {
			deps.Cache.Cache.GrantConnect(fn.Function)
			reads.add(deps.Cache.Cache.AuthSecret(), fn.Function.Role().RoleArn())
		}
		if needs.JWT || needs.SignsTokens {
			// The previous release's versions read it until every alias
			// has moved, and again after a rollback.
			reads.grant(s.JwtSecret, fn.Function)
		}
		if needs.SignsTokens {
			reads.grant(s.JwtSigningKeys, fn.Function)
		}
		if needs.JWT {
			// Public keys: no resource policy keeps them from anyone with
			// IAM's leave (the rotation reads them); only IAM writes them.
			s.JwtVerificationKeys.GrantRead(fn.Function, nil)
		}
		if needs.Razorpay || needs.Webhook {
			reads.grant(razorpay, fn.Function)
		}
	}
	// CloudFormation passes the AUTH token to the replication group.
	reads.add(deps.Cache.Cache.AuthSecret(), cfnExecutionRole(stack, env.Region))
	var aliases []constructs.IDependable
	for _, name := range routes.Deployed() {
		aliases = append(aliases, s.Functions[name].Alias)
	}
	reads.lock(stack, aliases...)

	// The schema is migrated on every deploy whose code changed, before
	// any function's new version goes live; a failed migration fails the
	// deploy.
	migrate := s.Functions[routes.Migrate]
	var live []constructs.Construct
	for _, name := range routes.Functions() {
		live = append(live, s.Functions[name].Alias)
	}
	triggers.NewTrigger(stack, jsii.String("MigrateOnDeploy"), &triggers.TriggerProps{
		Handler:                migrate.Function,
		ExecuteOnHandlerChange: jsii.Bool(true),
		ExecuteBefore:          &live,
		Timeout:                awscdk.Duration_Seconds(jsii.Number(fcfg.Of(routes.Migrate).TimeoutSeconds)),
		InvocationType:         triggers.InvocationType_REQUEST_RESPONSE,
	})

	var apiRoutes []cachedapi.Route
	for _, r := range routes.Table {
		route := cachedapi.Route{
			Method: r.Method, Path: r.Path, Handler: s.Functions[r.Function].Alias, Public: r.Public,
			CacheKey: r.CacheKey, Query: r.Query, Headers: r.Headers, Body: jsonSchema(r.Body),
		}
		if r.CacheTTL > 0 && !r.Auth {
			route.CacheTTL = awscdk.Duration_Seconds(jsii.Number(r.CacheTTL.Seconds()))
		}
		if t, ok := acfg.RouteThrottles[r.Method+" "+r.Path]; ok {
			route.Throttle = &cachedapi.Throttle{RateLimit: float64(t.RateLimit), BurstLimit: float64(t.BurstLimit)}
		}
		apiRoutes = append(apiRoutes, route)
	}
	api := &cachedapi.CachedApiProps{
		Name:               jsii.String("hasivu-" + env.Stage),
		StageName:          jsii.String(acfg.StageName),
		Throttle:           &cachedapi.Throttle{RateLimit: float64(acfg.Throttle.RateLimit), BurstLimit: float64(acfg.Throttle.BurstLimit)},
		Routes:             apiRoutes,
		CorsOrigins:        acfg.CorsOrigins,
		CorsHeaders:        []string{"Content-Type", "Authorization", "Idempotency-Key"},
		AccessLogRetention: retention(acfg.AccessLogRetentionDays),
		Tracing:            jsii.Bool(fcfg.Tracing),
		RequireApiKey:      jsii.Bool(ecfg.Enabled),
		ErrorHeaders:       gatewayErrorHeaders(),
	}
	if acfg.CacheSizeGiB > 0 {
		api.CacheSizeGiB = jsii.String(strconv.FormatFloat(acfg.CacheSizeGiB, 'f', -1, 64))
	}
	s.Api = cachedapi.NewCachedApi(stack, jsii.String("Rest"), api)
	// The regional endpoint takes TLS 1.3 and 1.2 with forward secrecy
	// only (CloudFront reaches its origins over TLS 1.2), in the strict
	// endpoint access mode the enhanced policies come with: a request
	// whose SNI names another host is refused. CDK's RestApi has no prop
	// for either.
	rest := s.Api.Api.Node().DefaultChild().(awsapigateway.CfnRestApi)
	rest.SetSecurityPolicy(jsii.String(ApiSecurityPolicy))
	rest.SetEndpointAccessMode(jsii.String("STRICT"))
	for _, r := range routes.Table {
		method := s.Api.Methods[r.Method+" "+r.Path].Node().DefaultChild()
		reason := "Public by design: " + publicRoutes[r.Function]
		if r.Auth {
			reason = "The function verifies the caller's JWT (lambda/auth) on every request; a gateway authorizer would add a second invocation to the plan's 150 ms budget."
		}
		suppress(method, "AwsSolutions-APIG4", reason)
		suppress(method, "AwsSolutions-COG4", reason)
	}
	suppress(s.Api.Api.Node().FindChild(jsii.String("CloudWatchRole")).Node().DefaultChild(), "AwsSolutions-IAM4",
		"API Gateway's account-wide logging role needs exactly AWS's AmazonAPIGatewayPushToCloudWatchLogs.",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
	if ecfg.Enabled {
		addOriginKeys(s, env, ecfg)
	}
	stage := s.Api.Api.DeploymentStage()
	switch {
	case wcfg.Enabled && !ecfg.Enabled:
		s.Firewall = newFirewall(stack, env, wcfg, scopeRegional, acfg.StageName)
		awswafv2.NewCfnWebACLAssociation(stack, jsii.String("WebAclAssociation"), &awswafv2.CfnWebACLAssociationProps{
			ResourceArn: stage.StageArn(), WebAclArn: s.Firewall.Acl.AttrArn(),
		})
	case wcfg.Enabled:
		suppress(stage.Node().DefaultChild(), "AwsSolutions-APIG3",
			"The web ACL is on the CloudFront distribution (edge stack), and the stage answers only requests carrying the distribution's origin key.")
	default:
		suppress(stage.Node().DefaultChild(), "AwsSolutions-APIG3",
			"This stage's config turns WAF off (waf.enabled: false); stage and per-route throttling bound abuse.")
	}
	s.Rollout = newRollout(s, env, fcfg, code, api5xxAlarm(stack, env, s.Api.Api.DeploymentStage(), fcfg.Rollout))
	awscdk.NewCfnOutput(stack, jsii.String("ApiUrl"), &awscdk.CfnOutputProps{Value: s.Api.Api.Url(), Description: jsii.String("Base URL of the REST API stage")})
	return s
}

// api5xxAlarm rolls a deployment back when the API answers more than
// config's share of its requests with a 5XX for two minutes running.
// Unlike the functions' alarms it watches both versions: it is the
// users' view.
func api5xxAlarm(stack awscdk.Stack, env Env, s awsapigateway.Stage, r config.Rollout) awscloudwatch.Alarm {
	opts := func(label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Statistic: jsii.String("Sum"), Label: jsii.String(label), Period: awscdk.Duration_Minutes(jsii.Number(1))}
	}
	rate := awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String("IF(n > 0, 100 * e / n, 0)"),
		UsingMetrics: &map[string]awscloudwatch.IMetric{"e": s.MetricServerError(opts("5XX")), "n": s.MetricCount(opts("requests"))},
		Label:        jsii.String("5XX %"), Period: awscdk.Duration_Minutes(jsii.Number(1)),
	})
	return awscloudwatch.NewAlarm(stack, jsii.String("RolloutApi5xx"), &awscloudwatch.AlarmProps{
		AlarmName:          jsii.String("hasivu-" + env.Stage + "-rollout-api-5xx"),
		AlarmDescription:   jsii.String(fmt.Sprintf("More than %v %% of API requests answered 5XX for two minutes: a deployment in progress rolls back.", r.Api5xxPercent)),
		Metric:             rate,
		Threshold:          jsii.Number(r.Api5xxPercent),
		EvaluationPeriods:  jsii.Number(2),
		ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
		TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
	})
}

// publicRoutes says why each route without a signed-in user needs none.
var publicRoutes = map[string]string{
	routes.AuthLogin:       "it is where a user signs in.",
	routes.MenusDaily:      "a school's daily menus and menu items are public, and only a public answer may be served from the gateway cache.",
	routes.PaymentsWebhook: "Razorpay calls it; the function verifies Razorpay's HMAC signature and rejects a bad one with 401.",
}

// suppressFunctionRole records why a function's role is what CDK makes it.
func suppressFunctionRole(fn *gofunction.GoFunction) {
	role := fn.Function.Role().Node().DefaultChild()
	suppress(role, "AwsSolutions-IAM4",
		"AWS's Lambda Insights policy, which writes to Lambda Insights' own log group alone; AWS keeps it current. The function's logs go to its own log group alone (gofunction.ExecutionRole).",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/CloudWatchLambdaInsightsExecutionRolePolicy")
	suppress(fn.Function.Role().Node().FindChild(jsii.String("DefaultPolicy")).Node().DefaultChild(), "AwsSolutions-IAM5",
		"Only actions without resource-level permissions are on *: X-Ray's PutTraceSegments and PutTelemetryRecords, and the network interface actions Lambda takes for a function in the VPC (gofunction.VPCAccessActions).", "Resource::*")
}

// jsonSchema turns a route's body shape into the JSON schema API Gateway
// validates against.
func jsonSchema(b *routes.Body) *awsapigateway.JsonSchema {
	if b == nil {
		return nil
	}
	fields := map[string]*awsapigateway.JsonSchema{}
	for _, name := range sortedKeys(b.Fields) {
		f := b.Fields[name]
		schema := &awsapigateway.JsonSchema{Type: awsapigateway.JsonSchemaType(strings.ToUpper(f.Type))}
		if f.Items != nil {
			schema.Items = jsonSchema(f.Items)
			schema.MinItems = jsii.Number(1)
		}
		fields[name] = schema
	}
	schema := &awsapigateway.JsonSchema{
		Schema:     awsapigateway.JsonSchemaVersion_DRAFT4,
		Type:       awsapigateway.JsonSchemaType_OBJECT,
		Properties: &fields,
	}
	// Draft 4 wants at least one name in required, or no required at all
	// (a body whose fields are all optional, as a partial update's).
	if len(b.Required) > 0 {
		schema.Required = jsii.Strings(b.Required...)
	}
	return schema
}

// weeklyAt is a cron schedule at hh:mm on the given cron days.
func weeklyAt(days, clock string) awsapplicationautoscaling.Schedule {
	t, err := time.Parse("15:04", clock)
	if err != nil {
		panic(fmt.Sprintf("stacks: %q passed config validation but is not hh:mm", clock))
	}
	return awsapplicationautoscaling.Schedule_Cron(&awsapplicationautoscaling.CronOptions{
		Minute: jsii.String(strconv.Itoa(t.Minute())), Hour: jsii.String(strconv.Itoa(t.Hour())),
		WeekDay: jsii.String(strings.ToUpper(days)),
	})
}

// gatewayErrorHeaders are the headers of API Gateway's own answers (its
// gateway responses): the security headers every answer carries and
// Cache-Control: no-store, which the functions set on their errors too.
func gatewayErrorHeaders() map[string]string {
	h := maps.Clone(routes.SecurityHeaders)
	h["Cache-Control"] = routes.NoStore
	return h
}
