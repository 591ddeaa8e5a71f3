package stacks

import (
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/lambda/routes"
)

// apiResources returns the api stack's resources of a type by logical ID.
func apiResources(s *synthesized, typ string) map[string]map[string]interface{} {
	return resources(s.template(s.platform.Api.Stack), typ)
}

func ref(v interface{}) string {
	m, _ := v.(map[string]interface{})
	r, _ := m["Ref"].(string)
	return r
}

// TestEveryRoutedAliasRollsOutThroughCodeDeploy: a version change of a
// routed alias is a CodeDeploy deployment with the function's own
// pre-traffic hook, alarms on the new version and automatic rollback;
// migrate's alias, invoked once per deploy, moves at once.
func TestEveryRoutedAliasRollsOutThroughCodeDeploy(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		aliases := apiResources(s, "AWS::Lambda::Alias")
		groups := apiResources(s, "AWS::CodeDeploy::DeploymentGroup")
		functions := apiResources(s, "AWS::Lambda::Function")
		alarms := apiResources(s, "AWS::CloudWatch::Alarm")
		for _, name := range routes.Deployed() {
			fn := s.platform.Api.Functions[name]
			aliasID := *s.platform.Api.Stack.GetLogicalId(fn.Alias.Node().DefaultChild().(awscdk.CfnElement))
			policy, _ := aliases[aliasID]["UpdatePolicy"].(map[string]interface{})
			update, _ := policy["CodeDeployLambdaAliasUpdate"].(map[string]interface{})
			if name == routes.Migrate {
				if update != nil {
					t.Errorf("migrate's alias goes through CodeDeploy: %v", policy)
				}
				continue
			}
			if update == nil {
				t.Errorf("%s: alias %s has no CodeDeploy update policy", name, aliasID)
				continue
			}
			hook := functions[ref(update["BeforeAllowTrafficHook"])]["Properties"].(map[string]interface{})
			env := hook["Environment"].(map[string]interface{})["Variables"].(map[string]interface{})
			if hook["Handler"] != routes.DeployCheck || fmtJSON(env[routes.EnvDeployCheckFunction]) != fmtJSON(map[string]string{"Ref": *s.platform.Api.Stack.GetLogicalId(fn.Function.Node().DefaultChild().(awscdk.CfnElement))}) {
				t.Errorf("%s: pre-traffic hook %v checks %v", name, hook["Handler"], env[routes.EnvDeployCheckFunction])
			}
			if _, inVPC := hook["VpcConfig"]; inVPC {
				t.Errorf("%s: the hook runs in the VPC, where AWS's APIs need NAT", name)
			}
			group := groups[ref(update["DeploymentGroupName"])]["Properties"].(map[string]interface{})
			rollback := fmtJSON(group["AutoRollbackConfiguration"])
			for _, event := range []string{"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"} {
				if !strings.Contains(rollback, event) || !strings.Contains(rollback, `"Enabled":true`) {
					t.Errorf("%s: rollback %s lacks %s", name, rollback, event)
				}
			}
			watched := group["AlarmConfiguration"].(map[string]interface{})["Alarms"].([]interface{})
			var metrics []string
			for _, a := range watched {
				p := alarms[ref(a.(map[string]interface{})["Name"])]["Properties"].(map[string]interface{})
				dims := fmtJSON(p["Dimensions"])
				metrics = append(metrics, fmtJSON(p["MetricName"]))
				if p["MetricName"] != nil && !strings.Contains(dims, `"Name":"ExecutedVersion"`) {
					t.Errorf("%s: alarm %v watches more than the new version: %s", name, p["AlarmName"], dims)
				}
				if id := ref(a.(map[string]interface{})["Name"]); p["MetricName"] != nil && !strings.Contains(fmtJSON(aliases[aliasID]["DependsOn"]), `"`+id+`"`) {
					t.Errorf("%s: the alias may move before alarm %s watches the new version: depends on %v", name, id, aliases[aliasID]["DependsOn"])
				}
			}
			if got := strings.Join(metrics, " "); got != `"Errors" "Duration" null` {
				t.Errorf("%s: deployment watches %s, want the new version's errors and duration and the API's 5XX rate", name, got)
			}
		}
		if len(groups) != len(routes.Functions()) {
			t.Errorf("%d deployment groups for %d routed functions", len(groups), len(routes.Functions()))
		}
	})
}

// TestRolloutFollowsTheStage: dev moves at once, staging in linear steps,
// prod by a canary, as their config says.
func TestRolloutFollowsTheStage(t *testing.T) {
	want := map[string]string{
		"dev":     "CodeDeployDefault.LambdaAllAtOnce",
		"staging": `{"TimeBasedLinear":{"LinearInterval":1,"LinearPercentage":25},"Type":"TimeBasedLinear"}`,
		"prod":    `{"TimeBasedCanary":{"CanaryInterval":5,"CanaryPercentage":10},"Type":"TimeBasedCanary"}`,
	}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		configs := apiResources(s, "AWS::CodeDeploy::DeploymentConfig")
		for id, g := range apiResources(s, "AWS::CodeDeploy::DeploymentGroup") {
			name := g["Properties"].(map[string]interface{})["DeploymentConfigName"]
			got := fmtJSON(name)
			if c, ok := configs[ref(name)]; ok {
				got = fmtJSON(c["Properties"].(map[string]interface{})["TrafficRoutingConfig"])
			}
			if got != fmtJSON(want[s.cfg.Name]) && got != want[s.cfg.Name] {
				t.Errorf("%s: %s deploys with %s, want %s", s.cfg.Name, id, got, want[s.cfg.Name])
			}
		}
	})
}

// TestHooksAreLeastPrivilege: a hook may read and answer only its own
// deployment group's deployments, invoke only its function's versions and
// write only to its own log group.
func TestHooksAreLeastPrivilege(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		st := s.platform.Api.Stack
		for name, hook := range s.platform.Api.Rollout.Hooks {
			fnID := *st.GetLogicalId(s.platform.Api.Functions[name].Function.Node().DefaultChild().(awscdk.CfnElement))
			groupID := *st.GetLogicalId(s.platform.Api.Rollout.Groups[name].Node().DefaultChild().(awscdk.CfnElement))
			logsID := *st.GetLogicalId(st.Node().FindChild(jsii.String(name + "-deploy-check-logs")).Node().DefaultChild().(awscdk.CfnElement))
			policy := apiResources(s, "AWS::IAM::Policy")[*st.GetLogicalId(hook.Role().Node().FindChild(jsii.String("DefaultPolicy")).Node().DefaultChild().(awscdk.CfnElement))]
			for _, stmt := range policy["Properties"].(map[string]interface{})["PolicyDocument"].(map[string]interface{})["Statement"].([]interface{}) {
				st := stmt.(map[string]interface{})
				res := fmtJSON(st["Resource"])
				switch actions := fmtJSON(st["Action"]); {
				case strings.Contains(actions, "codedeploy:"):
					if !strings.Contains(res, `{"Ref":"`+groupID+`"}`) || strings.Contains(res, `"*"`) {
						t.Errorf("%s's hook: %s on %s, want its deployment group only", name, actions, res)
					}
				case actions == `"lambda:InvokeFunction"`:
					if res != `{"Fn::Join":["",[{"Fn::GetAtt":["`+fnID+`","Arn"]},":*"]]}` {
						t.Errorf("%s's hook invokes %s, want %s's versions only", name, res, name)
					}
				case strings.Contains(actions, "logs:"):
					if res != `{"Fn::GetAtt":["`+logsID+`","Arn"]}` {
						t.Errorf("%s's hook: %s on %s, want its own log group only", name, actions, res)
					}
				default:
					t.Errorf("%s's hook may also %s on %s", name, actions, res)
				}
			}
		}
	})
}

// TestMigrationsRunBeforeAnyAliasMoves: the migrate trigger runs before
// every alias update, so each CodeDeploy deployment starts on the
// migrated schema (the pre-traffic check verifies it).
func TestMigrationsRunBeforeAnyAliasMoves(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		for id, a := range apiResources(s, "AWS::Lambda::Alias") {
			if !strings.Contains(fmtJSON(a["DependsOn"]), "MigrateOnDeploy") && a["UpdatePolicy"] != nil {
				t.Errorf("alias %s may move before the migration ran: depends on %v", id, a["DependsOn"])
			}
		}
	})
}
