package stacks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/cost"
	"github.com/hasivu/infra/lambda/routes"
)

// functionsByHandler returns the template's Lambda functions that run the
// platform binary, by their Handler, but for the pre-traffic hooks.
func functionsByHandler(t *testing.T, s *synthesized) map[string]map[string]interface{} {
	t.Helper()
	out := map[string]map[string]interface{}{}
	for _, r := range resources(s.template(s.platform.Api.Stack), "AWS::Lambda::Function") {
		p := r["Properties"].(map[string]interface{})
		if p["Runtime"] == "provided.al2023" && p["Handler"] != routes.DeployCheck {
			out[p["Handler"].(string)] = p
		}
	}
	return out
}

func TestFunctions(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		fns := functionsByHandler(t, s)
		if len(fns) != len(routes.Deployed()) {
			t.Errorf("functions = %d, want one per deployed function (%d)", len(fns), len(routes.Deployed()))
		}
		for _, name := range routes.Deployed() {
			p, ok := fns[name]
			if !ok {
				t.Errorf("no function with Handler %s", name)
				continue
			}
			fc := s.cfg.Functions.Of(name)
			if p["Architectures"].([]interface{})[0] != "arm64" {
				t.Errorf("%s: architectures %v", name, p["Architectures"])
			}
			if p["MemorySize"] != float64(fc.MemoryMiB) || p["Timeout"] != float64(fc.TimeoutSeconds) {
				t.Errorf("%s: memory %v timeout %v, config says %d and %d", name, p["MemorySize"], p["Timeout"], fc.MemoryMiB, fc.TimeoutSeconds)
			}
			layers, _ := json.Marshal(p["Layers"])
			want := 2 // platform layer and the Parameters and Secrets extension
			if s.cfg.Functions.Insights {
				want = 3
				if !strings.Contains(string(layers), "LambdaInsightsExtension-Arm64") {
					t.Errorf("%s: no Lambda Insights layer: %s", name, layers)
				}
			}
			if len(p["Layers"].([]interface{})) != want || !strings.Contains(string(layers), "AWS-Parameters-and-Secrets-Lambda-Extension-Arm64") ||
				!strings.Contains(string(layers), `"Ref":"Platform`) {
				t.Errorf("%s: layers %s, want the platform layer, the secrets extension and Insights when on", name, layers)
			}
			tracing := "PassThrough"
			if s.cfg.Functions.Tracing {
				tracing = "Active"
			}
			if got := p["TracingConfig"].(map[string]interface{})["Mode"]; got != tracing {
				t.Errorf("%s: tracing %v, want %s", name, got, tracing)
			}
			if _, ok := p["VpcConfig"]; !ok {
				t.Errorf("%s: not in the VPC", name)
			}
			if rc := fc.ReservedConcurrency; rc > 0 && p["ReservedConcurrentExecutions"] != float64(rc) {
				t.Errorf("%s: reserved concurrency %v, config says %d", name, p["ReservedConcurrentExecutions"], rc)
			}
			vars := p["Environment"].(map[string]interface{})["Variables"].(map[string]interface{})
			if slices.Contains(routes.Functions(), name) && vars[routes.EnvCorsAllowedOrigins] != strings.Join(s.cfg.API.CorsOrigins, ",") {
				t.Errorf("%s: %s %v, config says %v", name, routes.EnvCorsAllowedOrigins, vars[routes.EnvCorsAllowedOrigins], s.cfg.API.CorsOrigins)
			}
			// Least privilege: only what routes declares it needs.
			needs := routes.NeedsOf(name)
			for v, want := range map[string]bool{routes.EnvDBHost: needs.DB, routes.EnvRedisAddr: needs.Cache, routes.EnvJWTSecretARN: needs.SignsTokens,
				routes.EnvJWTVerificationARN: needs.JWT,
				routes.EnvRazorpaySecretARN:  needs.Razorpay || needs.Webhook} {
				if _, got := vars[v]; got != want {
					t.Errorf("%s: has %s = %v, its handler needs it = %v", name, v, got, want)
				}
			}
		}
	})
}

func TestSharedCode(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		tmpl := s.template(s.platform.Api.Stack)
		check(t, "one platform layer", func() {
			tmpl.ResourceCountIs(jsii.String("AWS::Lambda::LayerVersion"), jsii.Number(1))
			tmpl.HasResourceProperties(jsii.String("AWS::Lambda::LayerVersion"), map[string]interface{}{
				"CompatibleArchitectures": []interface{}{"arm64"}, "CompatibleRuntimes": []interface{}{"provided.al2023"},
			})
		})
		// Every function's own package is the same asset.
		keys := map[string]bool{}
		for _, p := range functionsByHandler(t, s) {
			keys[p["Code"].(map[string]interface{})["S3Key"].(string)] = true
		}
		if len(keys) != 1 {
			t.Errorf("functions use %d code assets, want 1 shared: %v", len(keys), keys)
		}
	})
}

func TestProvisionedConcurrency(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		tmpl := s.template(s.platform.Api.Stack)
		check(t, "live aliases", func() {
			tmpl.ResourcePropertiesCountIs(jsii.String("AWS::Lambda::Alias"), map[string]interface{}{"Name": "live"}, jsii.Number(len(routes.Deployed())))
		})
		withPC := 0
		for _, name := range routes.Deployed() {
			fc := s.cfg.Functions.Of(name)
			if fc.ProvisionedConcurrency == 0 {
				continue
			}
			withPC++
			check(t, name+" alias", func() {
				tmpl.HasResourceProperties(jsii.String("AWS::Lambda::Alias"), map[string]interface{}{
					"Name":                         "live",
					"Description":                  assertions.Match_StringLikeRegexp(jsii.String("^What " + name + " serves")),
					"ProvisionedConcurrencyConfig": map[string]interface{}{"ProvisionedConcurrentExecutions": fc.ProvisionedConcurrency},
				})
			})
		}
		check(t, "aliases with provisioned concurrency", func() {
			tmpl.ResourcePropertiesCountIs(jsii.String("AWS::Lambda::Alias"),
				map[string]interface{}{"ProvisionedConcurrencyConfig": assertions.Match_AnyValue()}, jsii.Number(withPC))
		})
		// No scheduled action ever takes an alias below its own floor
		// (aws-cdk issue 29992), nor above the ceiling.
		for id, r := range resources(tmpl, "AWS::ApplicationAutoScaling::ScalableTarget") {
			p := r["Properties"].(map[string]interface{})
			floor, ceiling := p["MinCapacity"].(float64), p["MaxCapacity"].(float64)
			if floor < 1 {
				t.Errorf("%s: floor %v", id, floor)
			}
			actions, _ := p["ScheduledActions"].([]interface{})
			for _, a := range actions {
				act := a.(map[string]interface{})
				target := act["ScalableTargetAction"].(map[string]interface{})
				if target["MinCapacity"].(float64) < floor || target["MinCapacity"].(float64) > ceiling {
					t.Errorf("%s: action %v scales to %v outside [%v, %v]", id, act["ScheduledActionName"], target["MinCapacity"], floor, ceiling)
				}
				if act["Timezone"] != s.cfg.Functions.TimeZone {
					t.Errorf("%s: action %v in time zone %v, want %s", id, act["ScheduledActionName"], act["Timezone"], s.cfg.Functions.TimeZone)
				}
			}
		}
	})
}

func TestStageConcurrencyShapes(t *testing.T) {
	dev, prod := stages["dev"], stages["prod"]
	check(t, "dev has no provisioned concurrency", func() {
		tmpl := dev.template(dev.platform.Api.Stack)
		tmpl.ResourcePropertiesCountIs(jsii.String("AWS::Lambda::Alias"),
			map[string]interface{}{"ProvisionedConcurrencyConfig": assertions.Match_AnyValue()}, jsii.Number(0))
		tmpl.ResourceCountIs(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), jsii.Number(0))
	})
	// prod keeps one warm environment of each of the plan's functions all
	// month and the plan's floors while parents order (prod.yaml says why).
	for name, want := range cost.PlanFloors {
		fn := prod.cfg.Functions.Of(name)
		if fn.ProvisionedConcurrency != 1 || fn.Peaks["morning-orders"] != want || fn.Peaks["evening-orders"] != want {
			t.Errorf("prod %s provisioned concurrency = %d, peaks %v; want 1, and the plan's %d in the ordering windows",
				name, fn.ProvisionedConcurrency, fn.Peaks, want)
		}
	}
	check(t, "prod lunch peak for RFID", func() {
		prod.template(prod.platform.Api.Stack).HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalableTarget"), map[string]interface{}{
			"ScheduledActions": assertions.Match_ArrayWith(&[]interface{}{assertions.Match_ObjectLike(&map[string]interface{}{
				"ScheduledActionName": "lunch-start", "Schedule": "cron(45 11 ? * MON-SAT *)", "Timezone": "Asia/Kolkata",
			})}),
		})
		prod.template(prod.platform.Api.Stack).HasResourceProperties(jsii.String("AWS::ApplicationAutoScaling::ScalingPolicy"), map[string]interface{}{
			"PolicyType": "TargetTrackingScaling",
			"TargetTrackingScalingPolicyConfiguration": assertions.Match_ObjectLike(&map[string]interface{}{
				"TargetValue":                   0.7,
				"PredefinedMetricSpecification": map[string]interface{}{"PredefinedMetricType": "LambdaProvisionedConcurrencyUtilization"},
			}),
		})
	})
}

func TestRestApi(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		a := s.cfg.API
		tmpl := s.template(s.platform.Api.Stack)
		check(t, "compression", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), map[string]interface{}{"MinimumCompressionSize": 1024})
		})
		cached := a.CacheSizeGiB > 0
		stage := props(t, tmpl, "AWS::ApiGateway::Stage")
		if stage["CacheClusterEnabled"] != cached {
			t.Errorf("cache cluster enabled = %v, config size %v", stage["CacheClusterEnabled"], a.CacheSizeGiB)
		}
		if _, ok := stage["AccessLogSetting"]; !ok {
			t.Error("no access logs")
		}
		if stage["TracingEnabled"] != s.cfg.Functions.Tracing {
			t.Errorf("stage tracing = %v", stage["TracingEnabled"])
		}
		settings := map[string]map[string]interface{}{}
		for _, m := range stage["MethodSettings"].([]interface{}) {
			ms := m.(map[string]interface{})
			path := ms["ResourcePath"].(string) // "/*" or "/~1auth~1login"
			if path != "/*" {
				path = strings.ReplaceAll(path[1:], "~1", "/")
			}
			settings[ms["HttpMethod"].(string)+" "+path] = ms
		}
		all := settings["* /*"]
		if all["CachingEnabled"] != false || all["ThrottlingRateLimit"] != float64(a.Throttle.RateLimit) || all["ThrottlingBurstLimit"] != float64(a.Throttle.BurstLimit) {
			t.Errorf("stage-wide settings = %v", all)
		}
		// Caching exactly as the route table says; never for a per-user
		// route; never without a cache cluster.
		for _, r := range routes.Table {
			ms := settings[r.Method+" "+r.Path]
			want := cached && r.CacheTTL > 0 && !r.Auth
			if got := ms != nil && ms["CachingEnabled"] == true; got != want {
				t.Errorf("%s %s: cached = %v, want %v", r.Method, r.Path, got, want)
			}
			if want && ms["CacheTtlInSeconds"] != r.CacheTTL.Seconds() {
				t.Errorf("%s %s: TTL %v, route table says %v", r.Method, r.Path, ms["CacheTtlInSeconds"], r.CacheTTL)
			}
			if th, ok := a.RouteThrottles[r.Method+" "+r.Path]; ok && (ms == nil || ms["ThrottlingRateLimit"] != float64(th.RateLimit)) {
				t.Errorf("%s %s: throttle %v, config %v", r.Method, r.Path, ms, th)
			}
		}
		// Cache keys of the cached routes, on the integration.
		for _, r := range routes.Table {
			if len(r.CacheKey) == 0 {
				continue
			}
			var keys []interface{}
			for _, k := range r.CacheKey {
				keys = append(keys, "method.request."+k)
			}
			check(t, r.Path+" cache key", func() {
				tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Method"), map[string]interface{}{
					"HttpMethod":  r.Method,
					"Integration": assertions.Match_ObjectLike(&map[string]interface{}{"CacheKeyParameters": keys, "Type": "AWS_PROXY"}),
				})
			})
		}
		// Bodies and required headers are checked before an invocation.
		for _, r := range routes.Table {
			if r.Body == nil && len(r.Headers) == 0 {
				continue
			}
			want := map[string]interface{}{"HttpMethod": r.Method, "RequestValidatorId": assertions.Match_AnyValue()}
			if r.Body != nil {
				want["RequestModels"] = map[string]interface{}{"application/json": assertions.Match_AnyValue()}
			}
			for _, h := range r.Headers {
				want["RequestParameters"] = assertions.Match_ObjectLike(&map[string]interface{}{"method.request.header." + h: true})
			}
			check(t, r.Method+" "+r.Path+" validation", func() {
				tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Method"), want)
			})
		}
		check(t, "validator", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::RequestValidator"), map[string]interface{}{
				"ValidateRequestBody": true, "ValidateRequestParameters": true,
			})
			tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Model"), map[string]interface{}{
				"Schema": assertions.Match_ObjectLike(&map[string]interface{}{"required": []interface{}{"email", "password"}}),
			})
		})
		check(t, "CORS preflight", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Method"), map[string]interface{}{
				"HttpMethod": "OPTIONS",
				"Integration": assertions.Match_ObjectLike(&map[string]interface{}{"IntegrationResponses": assertions.Match_ArrayWith(&[]interface{}{
					assertions.Match_ObjectLike(&map[string]interface{}{"ResponseParameters": assertions.Match_ObjectLike(&map[string]interface{}{
						"method.response.header.Access-Control-Allow-Origin": "'" + a.CorsOrigins[0] + "'",
					})}),
				})}),
			})
		})
	})
}

func TestApiIntegratesWithAliases(t *testing.T) {
	s := stages["prod"]
	tmpl := s.template(s.platform.Api.Stack)
	for id, r := range resources(tmpl, "AWS::ApiGateway::Method") {
		p := r["Properties"].(map[string]interface{})
		if p["HttpMethod"] == "OPTIONS" {
			continue
		}
		uri, _ := json.Marshal(p["Integration"].(map[string]interface{})["Uri"])
		if !strings.Contains(string(uri), "Live") {
			t.Errorf("%s integrates with %s, not a live alias", id, uri)
		}
	}
}

func TestMigrationsRunOnDeploy(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		tmpl := s.template(s.platform.Api.Stack)
		check(t, "trigger", func() {
			tmpl.HasResourceProperties(jsii.String("Custom::Trigger"), map[string]interface{}{
				"HandlerArn":             map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^migrateFunctionCurrentVersion"))},
				"InvocationType":         "RequestResponse",
				"ExecuteOnHandlerChange": true,
			})
		})
		// Every live alias waits for the migration.
		for id, r := range resources(tmpl, "AWS::Lambda::Alias") {
			deps, _ := json.Marshal(r["DependsOn"])
			if !strings.Contains(id, routes.Migrate) && !strings.Contains(string(deps), "MigrateOnDeploy") {
				t.Errorf("alias %s does not wait for the migration (DependsOn %s)", id, deps)
			}
		}
	})
}

// TestAssetsAreReproducible builds the Lambda code again into another
// folder and synthesises prod again: every asset hash must be the same, or
// `cdk diff` would show a change nobody made.
func TestAssetsAreReproducible(t *testing.T) {
	again, err := buildLambda(t)
	if err != nil {
		t.Fatal(err)
	}
	first, second := stages["prod"], synthWith(stages["prod"].cfg, again)
	for _, stack := range first.platform.Stacks() {
		a, b := assetHashes(t, first, *stack.StackName()), assetHashes(t, second, *stack.StackName())
		if !slices.Equal(a, b) {
			t.Errorf("%s: asset hashes differ between builds:\n%v\n%v", *stack.StackName(), a, b)
		}
	}
}

func assetHashes(t *testing.T, s *synthesized, stack string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(*s.assembly.Directory(), stack+".assets.json"))
	if err != nil {
		t.Fatal(err)
	}
	var manifest struct {
		Files map[string]interface{} `json:"files"`
	}
	if err := json.Unmarshal(data, &manifest); err != nil {
		t.Fatal(err)
	}
	return sortedKeys(manifest.Files)
}
