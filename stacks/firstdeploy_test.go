package stacks

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/routes"
)

// The tests in this file read the templates as CloudFormation will on a
// first deploy into a fresh account, and on its retry after a failure.

// allResources returns every resource of every stack of a stage, by stack
// and logical ID.
func allResources(s *synthesized) map[string]map[string]map[string]interface{} {
	out := map[string]map[string]map[string]interface{}{}
	for _, st := range s.platform.Stacks() {
		var tmpl struct {
			Resources map[string]map[string]interface{}
		}
		b, _ := json.Marshal(s.template(st).ToJSON())
		if err := json.Unmarshal(b, &tmpl); err != nil {
			panic(err)
		}
		out[*st.StackName()] = tmpl.Resources
	}
	return out
}

// TestNothingOutlivesAFailedCreate: a resource kept with Retain survives
// the rollback of the deploy that created it, and one with a fixed name
// (the database, its secret and log groups, the signing key) then blocks
// the retry with "already exists". Every kept resource must be
// RetainExceptOnCreate instead.
func TestNothingOutlivesAFailedCreate(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		kept := 0
		for stack, res := range allResources(s) {
			for id, r := range res {
				switch r["DeletionPolicy"] {
				case "Retain":
					t.Errorf("%s %s (%s) is Retain: a rolled-back first create would leave it behind", stack, id, r["Type"])
				case "RetainExceptOnCreate":
					kept++
				}
			}
		}
		if kept == 0 {
			t.Error("no resource is kept at all")
		}
	})
}

// TestSecurityGroupsStateTheirEgress: EC2 gives a security group an
// allow-all egress rule unless the group's own SecurityGroupEgress lists
// rules; separate AWS::EC2::SecurityGroupEgress resources do not remove
// it. So every group states its egress inline.
func TestSecurityGroupsStateTheirEgress(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		for stack, res := range allResources(s) {
			for id, r := range res {
				if r["Type"] != "AWS::EC2::SecurityGroup" {
					continue
				}
				if _, ok := r["Properties"].(map[string]interface{})["SecurityGroupEgress"]; !ok {
					t.Errorf("%s %s has no inline egress: EC2 keeps its default allow-all rule", stack, id)
				}
			}
		}
	})
}

// TestRotationApplication: the rotation function reaches Secrets Manager
// at its default hostname (the interface endpoint's private DNS), and its
// SAM application's parameters use only references CloudFormation is
// documented to resolve there. Its errors are alarmed on.
func TestRotationApplication(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		app := props(t, s.template(s.platform.Data.Stack), "AWS::Serverless::Application")
		params := app["Parameters"].(map[string]interface{})
		// CDK always passes an endpoint: without a VPC endpoint given, the
		// service's default hostname.
		if ep := fmtJSON(params["endpoint"]); ep != `{"Fn::Join":["",["https://secretsmanager.`+s.cfg.Region+`.",{"Ref":"AWS::URLSuffix"}]]}` {
			t.Errorf("rotation endpoint = %s, want the default hostname (the interface endpoint's private DNS answers it)", ep)
		}
		b, _ := json.Marshal(params)
		if strings.Contains(string(b), "Fn::GetStackOutput") {
			t.Errorf("rotation parameters use Fn::GetStackOutput: %s", b)
		}
		if !strings.Contains(string(params["vpcSubnetIds"].(map[string]interface{})["Fn::Join"].([]interface{})[1].([]interface{})[0].(map[string]interface{})["Fn::ImportValue"].(string)), "Subnet") {
			t.Errorf("rotation subnets are not imported: %s", b)
		}
		if params["functionName"] != s.platform.Data.RotationFunctionName {
			t.Errorf("rotation function %v, the alarm watches %s", params["functionName"], s.platform.Data.RotationFunctionName)
		}
		alarm := alarmsByName(t, s)["rotationErrorsCount"]
		if m := fmtJSON(alarm["Metrics"]); !strings.Contains(m, `{"Name":"FunctionName","Value":"`+s.platform.Data.RotationFunctionName+`"}`) {
			t.Errorf("rotation alarm reads %s", m)
		}
	})
}

// TestRazorpaySecretIsCreated: no stage assumes a Razorpay secret exists.
// The api stack creates hasivu/<stage>/razorpay with the three keys empty,
// under the account's default key, and points the payment functions at
// it; a stage that names an existing secret creates none.
func TestRazorpaySecretIsCreated(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		res := resources(s.template(s.platform.Api.Stack), "AWS::SecretsManager::Secret")
		r, ok := res[RazorpaySecretLogicalID]
		if !ok {
			t.Fatalf("no Razorpay secret %s", RazorpaySecretLogicalID)
		}
		p := r["Properties"].(map[string]interface{})
		var keys map[string]string
		if err := json.Unmarshal([]byte(p["SecretString"].(string)), &keys); err != nil || len(keys) != 3 ||
			keys["keyId"] != "" || keys["keySecret"] != "" || keys["webhookSecret"] != "" {
			t.Errorf("Razorpay secret holds %v (%v), want the three keys, empty", p["SecretString"], err)
		}
		if p["Name"] != "hasivu/"+s.cfg.Name+"/razorpay" || p["KmsKeyId"] != nil || r["DeletionPolicy"] != "RetainExceptOnCreate" {
			t.Errorf("Razorpay secret = %v %v", p, r["DeletionPolicy"])
		}
		for name, fn := range functionsByHandler(t, s) {
			arn, ok := fn["Environment"].(map[string]interface{})["Variables"].(map[string]interface{})[routes.EnvRazorpaySecretARN]
			if ok && fmtJSON(arn) != `{"Ref":"`+RazorpaySecretLogicalID+`"}` {
				t.Errorf("%s reads Razorpay's keys from %s", name, fmtJSON(arn))
			}
		}
	})
	// A stage naming an existing secret (as the platform team may) gets no
	// secret of its own.
	own := synth(stageExtending(t, "dev", "own", "api:\n  razorpaySecretName: payments/razorpay-live\n"))
	if res := resources(own.template(own.platform.Api.Stack), "AWS::SecretsManager::Secret"); res[RazorpaySecretLogicalID] != nil {
		t.Error("a stage naming its Razorpay secret still creates one")
	}
}

func fmtJSON(v interface{}) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// contextVariable finds API Gateway's $context variables.
var contextVariable = regexp.MustCompile(`\$context(\.[A-Za-z]+)+`)

// substitute does what API Gateway does to a gateway response template or
// an access log format: replaces each variable by its value, unescaped.
// messageString is documented as the quoted message; responseType is one
// of API Gateway's identifiers; every other variable may hold anything,
// quotes included (validationErrorString does:
// `[object has missing required properties (["email"])]`).
func substitute(template string) string {
	return contextVariable.ReplaceAllStringFunc(template, func(v string) string {
		switch v {
		case "$context.error.messageString":
			return `"Invalid request body"`
		case "$context.error.responseType":
			return "BAD_REQUEST_BODY"
		case "$context.requestId", "$context.identity.sourceIp", "$context.httpMethod", "$context.resourcePath",
			"$context.path", "$context.status", "$context.responseLength", "$context.responseLatency",
			"$context.integration.latency", "$context.integration.status", "$context.xrayTraceId",
			"$context.requestTimeEpoch", "$context.error.message":
			return "value" // identifiers, numbers, paths and API Gateway's own fixed messages
		}
		return `[object has missing required properties (["email"])]`
	})
}

// TestGatewayAnswersAreJSON: API Gateway's own answers (validation,
// throttling, 4XX/5XX) and its access log lines must stay JSON whatever
// the variables hold: gateway response templates substitute without VTL
// or escaping.
func TestGatewayAnswersAreJSON(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		tmpl := s.template(s.platform.Api.Stack)
		n := 0
		for id, r := range resources(tmpl, "AWS::ApiGateway::GatewayResponse") {
			p := r["Properties"].(map[string]interface{})
			for ct, body := range p["ResponseTemplates"].(map[string]interface{}) {
				n++
				if out := substitute(body.(string)); !json.Valid([]byte(out)) {
					t.Errorf("%s %s answers unparsable JSON: %s", id, ct, out)
				}
			}
		}
		if n < 5 {
			t.Errorf("only %d gateway response templates", n)
		}
		format := props(t, tmpl, "AWS::ApiGateway::Stage")["AccessLogSetting"].(map[string]interface{})["Format"].(string)
		if out := substitute(format); !json.Valid([]byte(out)) {
			t.Errorf("access log lines are not JSON: %s", out)
		}
	})
}

// TestConcurrencyFitsTheAccount: the stacks reserve and provision only
// what config checked against the account's quota.
func TestConcurrencyFitsTheAccount(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		_, total := s.cfg.Functions.ConcurrencyDemand(fnNames(s))
		reserved, provisioned := 0, 0
		for _, fn := range functionsByHandler(t, s) {
			if r, ok := fn["ReservedConcurrentExecutions"].(float64); ok {
				reserved += int(r)
			}
		}
		for _, r := range resources(s.template(s.platform.Api.Stack), "AWS::ApplicationAutoScaling::ScalableTarget") {
			provisioned += int(r["Properties"].(map[string]interface{})["MaxCapacity"].(float64))
		}
		if reserved+provisioned > total || total > s.cfg.LambdaConcurrencyLimit-config.MinUnreservedConcurrency {
			t.Errorf("templates reserve %d and provision up to %d; config counted %d against a limit of %d",
				reserved, provisioned, total, s.cfg.LambdaConcurrencyLimit)
		}
	})
}

func fnNames(s *synthesized) []string {
	var names []string
	for name := range s.platform.Api.Functions {
		names = append(names, name)
	}
	return names
}
