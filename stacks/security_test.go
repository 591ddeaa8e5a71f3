package stacks

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/constructs/gofunction"
	"github.com/hasivu/infra/lambda/routes"
)

// platformFunctions returns the api stack's functions that run the
// platform binary, hooks included, by logical ID.
func platformFunctions(s *synthesized) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	for id, r := range resources(s.template(s.platform.Api.Stack), "AWS::Lambda::Function") {
		if p := r["Properties"].(map[string]interface{}); p["Runtime"] == "provided.al2023" {
			out[id] = p
		}
	}
	return out
}

// statements returns every statement of the identity policies attached to
// the role with logical ID role in the template's resources.
func statements(res map[string]map[string]interface{}, role string) []map[string]interface{} {
	var out []map[string]interface{}
	for _, r := range res {
		p, _ := r["Properties"].(map[string]interface{})
		if r["Type"] != "AWS::IAM::Policy" || !refersTo(p["Roles"], role) {
			continue
		}
		for _, st := range p["PolicyDocument"].(map[string]interface{})["Statement"].([]interface{}) {
			out = append(out, st.(map[string]interface{}))
		}
	}
	return out
}

// roleOf returns the logical ID of a function's execution role.
func roleOf(fn map[string]interface{}) string {
	return fn["Role"].(map[string]interface{})["Fn::GetAtt"].([]interface{})[0].(string)
}

// TestFunctionsWriteOnlyTheirOwnLogs: no function's role carries AWS's
// basic or VPC execution policy (each allows logs everywhere); each may
// create streams and put events in its own log group and in no other
// (Lambda Insights' own group through AWS's Insights policy, where the
// stage has Insights), and a function in the VPC may manage its network
// interfaces, without which Lambda refuses to create it.
func TestFunctionsWriteOnlyTheirOwnLogs(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		res := allResources(s)[*s.platform.Api.StackName()]
		fns := platformFunctions(s)
		if len(fns) != len(routes.Deployed())+len(routes.Functions()) {
			t.Fatalf("%d functions, want every deployed function and a hook per routed one", len(fns))
		}
		for id, fn := range fns {
			role := roleOf(fn)
			managed, _ := json.Marshal(res[role]["Properties"].(map[string]interface{})["ManagedPolicyArns"])
			for _, p := range []string{"AWSLambdaBasicExecutionRole", "AWSLambdaVPCAccessExecutionRole"} {
				if strings.Contains(string(managed), p) {
					t.Errorf("%s's role has AWS's %s: it may write to every log group", id, p)
				}
			}
			if _, inVpc := fn["VpcConfig"]; inVpc {
				// minimizePolicies merges the statements on "*".
				var onAny []string
				for _, st := range statements(res, role) {
					if st["Resource"] == "*" {
						b, _ := json.Marshal(st["Action"])
						onAny = append(onAny, string(b))
					}
				}
				for _, a := range gofunction.VPCAccessActions {
					if !strings.Contains(strings.Join(onAny, " "), `"`+a+`"`) {
						t.Errorf("%s is in the VPC; its role may not %s on every resource (it may %v there)", id, a, onAny)
					}
				}
			}
			logGroup := fn["LoggingConfig"].(map[string]interface{})["LogGroup"].(map[string]interface{})["Ref"].(string)
			writes := false
			for _, st := range statements(res, role) {
				b, _ := json.Marshal(st["Action"])
				if !strings.Contains(string(b), "logs:") {
					continue
				}
				writes = true
				if r, _ := json.Marshal(st["Resource"]); string(r) != `{"Fn::GetAtt":["`+logGroup+`","Arn"]}` {
					t.Errorf("%s may %s on %s, not only its own log group %s", id, b, r, logGroup)
				}
			}
			if !writes {
				t.Errorf("%s may not write to its own log group %s", id, logGroup)
			}
		}
	})
}

// TestFunctionsConnectAsTheirOwnUser: each function's DB_USER is the one
// routes.DBUserOf names (the master user for migrate alone), and its role
// may connect to the proxy as that user and as no other.
func TestFunctionsConnectAsTheirOwnUser(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		res := allResources(s)[*s.platform.Api.StackName()]
		for name, fn := range functionsByHandler(t, s) {
			want := routes.DBUserOf(name, s.cfg.Database.Username)
			vars := fn["Environment"].(map[string]interface{})["Variables"].(map[string]interface{})
			if got, _ := vars[routes.EnvDBUser].(string); got != want {
				t.Errorf("%s: %s %q, want %q", name, routes.EnvDBUser, got, want)
			}
			if (want == s.cfg.Database.Username) != (name == routes.Migrate) {
				t.Errorf("%s connects as %q: only %s may connect as the master user", name, want, routes.Migrate)
			}
			var users []string
			for _, st := range statements(res, roleOf(fn)) {
				if st["Action"] == "rds-db:connect" {
					for _, r := range asList(st["Resource"]) {
						b, _ := json.Marshal(r)
						if !strings.Contains(string(b), "DBProxyArn") {
							t.Errorf("%s may connect to %s, not the proxy", name, b)
						}
						users = append(users, userOf(string(b)))
					}
				}
			}
			if wantUsers := []string{want}; want == "" && len(users) > 0 || want != "" && !slices.Equal(users, wantUsers) {
				t.Errorf("%s may connect as %v, want %q alone", name, users, want)
			}
		}
	})
}

// secretPolicy returns the resource policy (in any stack) of the secret
// whose Ref or cross-stack output names logicalID.
func secretPolicy(t *testing.T, s *synthesized, logicalID string) map[string]interface{} {
	t.Helper()
	var found []map[string]interface{}
	for _, res := range allResources(s) {
		for _, r := range res {
			p, _ := r["Properties"].(map[string]interface{})
			if b, _ := json.Marshal(p["SecretId"]); r["Type"] == "AWS::SecretsManager::ResourcePolicy" &&
				(strings.Contains(string(b), `"`+logicalID+`"`) || strings.Contains(string(b), "PublishOutputRef"+logicalID)) {
				found = append(found, p["ResourcePolicy"].(map[string]interface{}))
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("secret %s has %d resource policies, want 1", logicalID, len(found))
	}
	return found[0]
}

// readersOf returns the principals a secret's policy lets read its value,
// as JSON, and the role sessions it lets read it; failing the test unless
// the policy denies the value to everyone else.
func readersOf(t *testing.T, policy map[string]interface{}) (readers []string, sessions []interface{}) {
	t.Helper()
	for _, st := range policy["Statement"].([]interface{}) {
		st := st.(map[string]interface{})
		if st["Sid"] != "OnlyItsReadersGetTheValue" {
			continue
		}
		if st["Effect"] != "Deny" || st["Action"] != "secretsmanager:GetSecretValue" || st["Resource"] != "*" ||
			st["Principal"].(map[string]interface{})["AWS"] != "*" {
			t.Fatalf("readers statement %v: want GetSecretValue denied to every principal", st)
		}
		cond := st["Condition"].(map[string]interface{})
		for _, r := range asList(cond["ArnNotEquals"].(map[string]interface{})["aws:PrincipalArn"]) {
			b, _ := json.Marshal(r)
			readers = append(readers, string(b))
		}
		if like, ok := cond["StringNotLike"].(map[string]interface{}); ok {
			sessions = asList(like["aws:userid"])
		}
		return readers, sessions
	}
	t.Fatal("no statement keeps the value from everyone else")
	return nil, nil
}

// TestSecretsOnlyTheirReaders: every secret the stacks create or read
// denies its value to every principal but the roles that read it: the
// functions granted it, the RDS Proxy and the rotation function for the
// master password, CloudFormation's execution role for the values it
// passes on (the password, the AUTH token, the origin keys, in both
// regions).
func TestSecretsOnlyTheirReaders(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		cfnExec := func(region string) string {
			b, _ := json.Marshal(s.platform.Api.Resolve(cfnExecutionRole(s.platform.Api.Stack, region)))
			return string(b)
		}
		role := func(name string) string {
			for _, fn := range functionsByHandler(t, s) {
				if fn["Handler"] == name {
					return `{"Fn::GetAtt":["` + roleOf(fn) + `","Arn"]}`
				}
			}
			t.Fatalf("no function %s", name)
			return ""
		}
		readersNeeding := func(need func(routes.Needs) bool) []string {
			var out []string
			for _, name := range routes.Deployed() {
				if need(routes.NeedsOf(name)) {
					out = append(out, role(name))
				}
			}
			return out
		}
		same := func(what string, got, want []string) {
			t.Helper()
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: readers\n%v\nwant\n%v", what, got, want)
			}
		}
		got, _ := readersOf(t, secretPolicy(t, s, JWTSecretLogicalID))
		same("previous release's JWT key", got, readersNeeding(func(n routes.Needs) bool { return n.JWT || n.SignsTokens }))
		got, _ = readersOf(t, secretPolicy(t, s, JWTSigningKeysLogicalID))
		same("JWT signing key", got, readersNeeding(func(n routes.Needs) bool { return n.SignsTokens }))
		got, _ = readersOf(t, secretPolicy(t, s, RazorpaySecretLogicalID))
		same("Razorpay keys", got, readersNeeding(func(n routes.Needs) bool { return n.Razorpay || n.Webhook }))
		got, _ = readersOf(t, secretPolicy(t, s, CacheSecretLogicalID))
		same("cache AUTH token", got, append(readersNeeding(func(n routes.Needs) bool { return n.Cache }), cfnExec(s.cfg.Region)))

		got, sessions := readersOf(t, secretPolicy(t, s, DatabaseSecretLogicalID))
		proxyRole := `{"Fn::GetAtt":["` + logicalID(s.platform.Data.Proxy.Node().FindChild(jsii.String("IAMRole"))) + `","Arn"]}`
		same("master password", got, []string{proxyRole, cfnExec(s.cfg.Region)})
		if want := "*:" + s.platform.Data.RotationFunctionName; len(sessions) != 1 || sessions[0] != want {
			t.Errorf("master password: sessions %v, want the rotation function's (%s)", sessions, want)
		}

		if s.cfg.Edge.Enabled {
			for _, gen := range originKeyGenerations(s.cfg.Edge) {
				key := s.platform.Api.Node().FindChild(jsii.String("OriginKey" + jsiiItoa(gen))).(awssecretsmanager.Secret)
				got, _ := readersOf(t, secretPolicy(t, s, logicalID(key)))
				same("origin key", got, []string{cfnExec(s.cfg.Region), cfnExec(config.EdgeRegion)})
			}
		}
	})
}

// TestOnlySignInHoldsTheSigningKey: of the functions, only the one that
// signs tokens (auth-login) may read the private signing key and has its
// ARN; every function that verifies tokens may read the public
// verification keys and has theirs, and no other. A verifier compromised
// can then check tokens but not mint one.
func TestOnlySignInHoldsTheSigningKey(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		res := allResources(s)[*s.platform.Api.StackName()]
		signers := 0
		for name, fn := range functionsByHandler(t, s) {
			needs := routes.NeedsOf(name)
			reads := map[string]bool{}
			for _, st := range statements(res, roleOf(fn)) {
				if !slices.Contains(asList(st["Action"]), any("secretsmanager:GetSecretValue")) {
					continue
				}
				for _, r := range asList(st["Resource"]) {
					b, _ := json.Marshal(r)
					for _, id := range []string{JWTSigningKeysLogicalID, JWTVerificationKeysLogicalID} {
						if string(b) == `{"Ref":"`+id+`"}` {
							reads[id] = true
						}
					}
				}
			}
			vars := fn["Environment"].(map[string]interface{})["Variables"].(map[string]interface{})
			_, signARN := vars[routes.EnvJWTSecretARN]
			_, verifyARN := vars[routes.EnvJWTVerificationARN]
			if reads[JWTSigningKeysLogicalID] != needs.SignsTokens || signARN != needs.SignsTokens {
				t.Errorf("%s reads the signing key: %v, has its ARN: %v; want %v (only what signs tokens)", name, reads[JWTSigningKeysLogicalID], signARN, needs.SignsTokens)
			}
			if reads[JWTVerificationKeysLogicalID] != needs.JWT || verifyARN != needs.JWT {
				t.Errorf("%s reads the verification keys: %v, has their ARN: %v; want %v", name, reads[JWTVerificationKeysLogicalID], verifyARN, needs.JWT)
			}
			if needs.SignsTokens {
				signers++
			}
		}
		if signers != 1 {
			t.Errorf("%d functions sign tokens, want 1 (auth-login)", signers)
		}
		for _, id := range []string{JWTSigningKeysLogicalID, JWTVerificationKeysLogicalID} {
			r := resources(s.template(s.platform.Api.Stack), "AWS::SecretsManager::Secret")[id]
			if r == nil || r["DeletionPolicy"] != "RetainExceptOnCreate" {
				t.Errorf("secret %s: %v, want one kept RetainExceptOnCreate", id, r)
			}
		}
	})
}

// jsiiItoa formats a small number as construct IDs spell it.
func jsiiItoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestExecutionRoleIsTheBootstrapOne: the execution role the secrets
// admit is the one the stacks are deployed with (the synthesizer's), in
// each stack's own region.
func TestExecutionRoleIsTheBootstrapOne(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		for _, stack := range s.platform.Stacks() {
			want := *stack.Synthesizer().(interface{ CloudFormationExecutionRoleArn() *string }).CloudFormationExecutionRoleArn()
			got := s.platform.Api.Resolve(cfnExecutionRole(stack, *stack.Region())).(map[string]interface{})["Fn::Sub"]
			if got != want {
				t.Errorf("%s: %v, the synthesizer deploys with %s", *stack.StackName(), got, want)
			}
		}
	})
}

// TestTransportSecurity: the regional API accepts TLS 1.3 and 1.2 only,
// through an enhanced security policy in strict endpoint access mode. (The
// edge's custom domain: TestDistribution.)
func TestTransportSecurity(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		rest := props(t, s.template(s.platform.Api.Stack), "AWS::ApiGateway::RestApi")
		if rest["SecurityPolicy"] != ApiSecurityPolicy || rest["EndpointAccessMode"] != "STRICT" ||
			!strings.HasPrefix(ApiSecurityPolicy, "SecurityPolicy_TLS13_") {
			t.Errorf("REST API: security policy %v, endpoint access mode %v; want %s, STRICT", rest["SecurityPolicy"], rest["EndpointAccessMode"], ApiSecurityPolicy)
		}
	})
}

// TestSecretPoliciesWaitForTheAliases: the versions of the release before
// read the secrets with the roles they were published with, and serve
// until their aliases move, so the policies that name this release's roles
// take effect only once every alias has moved.
func TestSecretPoliciesWaitForTheAliases(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		policies := 0
		for id, r := range allResources(s)[*s.platform.Api.StackName()] {
			b, _ := json.Marshal(r["Properties"])
			if r["Type"] != "AWS::SecretsManager::ResourcePolicy" || !strings.Contains(string(b), "Fn::GetAtt") {
				continue // the origin keys' name no function's role
			}
			policies++
			deps, _ := r["DependsOn"].([]interface{})
			for _, name := range routes.Deployed() {
				alias := logicalID(s.platform.Api.Functions[name].Alias)
				if !slices.Contains(deps, interface{}(alias)) {
					t.Errorf("%s takes effect before %s moves", id, alias)
				}
			}
		}
		if policies == 0 {
			t.Error("no secret policy names a function's role")
		}
	})
}
