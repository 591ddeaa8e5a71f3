package stacks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/lambda/routes"
)

// deletionPolicies and replacePolicies are what each config removal
// policy becomes: a retained resource is RetainExceptOnCreate, so that a
// first create that rolls back leaves nothing behind.
var (
	deletionPolicies = map[string]string{"retain": "RetainExceptOnCreate", "snapshot": "Snapshot", "destroy": "Delete"}
	replacePolicies  = map[string]string{"retain": "Retain", "snapshot": "Snapshot", "destroy": "Delete"}
)

func TestDatabaseInstance(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		d := s.cfg.Database
		tmpl := s.template(s.platform.Data.Stack)
		want := map[string]interface{}{
			"Engine":                          "postgres",
			"EngineVersion":                   d.EngineVersion,
			"DBInstanceClass":                 d.InstanceClass,
			"DBInstanceIdentifier":            "hasivu-" + s.cfg.Name,
			"AllocatedStorage":                fmt.Sprint(d.AllocatedStorageGiB),
			"MaxAllocatedStorage":             d.MaxAllocatedStorageGiB,
			"StorageType":                     "gp3",
			"StorageEncrypted":                true,
			"MultiAZ":                         d.MultiAZ,
			"BackupRetentionPeriod":           d.BackupRetentionDays,
			"PreferredBackupWindow":           d.BackupWindow,
			"PreferredMaintenanceWindow":      d.MaintenanceWindow,
			"DeletionProtection":              d.DeletionProtection,
			"EnableIAMDatabaseAuthentication": true,
			"PubliclyAccessible":              false,
			"EnablePerformanceInsights":       d.PerformanceInsights,
			"EnableCloudwatchLogsExports":     d.LogExports,
			"Port":                            fmt.Sprint(d.Port),
		}
		if d.PerformanceInsights {
			want["PerformanceInsightsRetentionPeriod"] = d.PerformanceInsightsRetentionDays
		}
		if d.MonitoringIntervalSeconds > 0 {
			want["MonitoringInterval"] = d.MonitoringIntervalSeconds
		} else {
			want["MonitoringInterval"] = assertions.Match_Absent()
		}
		check(t, "instance", func() { tmpl.HasResourceProperties(jsii.String("AWS::RDS::DBInstance"), want) })
		check(t, "removal policy", func() {
			tmpl.HasResource(jsii.String("AWS::RDS::DBInstance"), map[string]interface{}{
				"DeletionPolicy": deletionPolicies[d.RemovalPolicy], "UpdateReplacePolicy": replacePolicies[d.RemovalPolicy],
			})
			// The subnet group goes with the instance: deleting it under a
			// kept instance would fail the stack's deletion.
			subnets := interface{}(assertions.Match_Absent()) // deleted with the stack
			if d.RemovalPolicy == "retain" {
				subnets = "RetainExceptOnCreate"
			}
			tmpl.HasResource(jsii.String("AWS::RDS::DBSubnetGroup"), map[string]interface{}{"DeletionPolicy": subnets})
		})
		// The credentials outlive the stack whenever the data does.
		secretPolicy := map[string]string{"retain": "RetainExceptOnCreate", "snapshot": "RetainExceptOnCreate", "destroy": "Delete"}[d.RemovalPolicy]
		check(t, "secret removal policy", func() {
			tmpl.HasResource(jsii.String("AWS::SecretsManager::Secret"), map[string]interface{}{"DeletionPolicy": secretPolicy})
		})
		// Pinned: a refactor that renames the construct must not replace
		// the database or its credentials.
		for id, typ := range map[string]string{DatabaseLogicalID: "AWS::RDS::DBInstance", DatabaseSecretLogicalID: "AWS::SecretsManager::Secret"} {
			if _, ok := resources(tmpl, typ)[id]; !ok {
				t.Errorf("no %s with the pinned logical ID %s", typ, id)
			}
		}
		if got := *s.platform.Data.TerminationProtection(); got != s.cfg.TerminationProtection {
			t.Errorf("data stack termination protection = %v, config says %v", got, s.cfg.TerminationProtection)
		}
	})
}

// TestStageShapes pins what makes prod highly available and dev cheap, so
// a config edit that loses either is caught.
func TestStageShapes(t *testing.T) {
	prod, dev := stages["prod"], stages["dev"]
	check(t, "prod database", func() {
		prod.template(prod.platform.Data.Stack).HasResource(jsii.String("AWS::RDS::DBInstance"), map[string]interface{}{
			"DeletionPolicy": "RetainExceptOnCreate",
			"Properties":     map[string]interface{}{"MultiAZ": true, "DeletionProtection": true, "EnablePerformanceInsights": true},
		})
	})
	check(t, "dev database", func() {
		dev.template(dev.platform.Data.Stack).HasResource(jsii.String("AWS::RDS::DBInstance"), map[string]interface{}{
			"DeletionPolicy": "Delete",
			"Properties":     map[string]interface{}{"MultiAZ": false, "DeletionProtection": false, "DBInstanceClass": "db.t4g.micro"},
		})
	})
	for _, st := range []*synthesized{prod, dev} {
		want := st.cfg.Name == "prod"
		for _, stack := range []interface{ TerminationProtection() *bool }{st.platform.Data, st.platform.Cache} {
			if got := *stack.TerminationProtection(); got != want {
				t.Errorf("%s stateful stack termination protection = %v, want %v", st.cfg.Name, got, want)
			}
		}
		if got := *st.platform.Network.TerminationProtection(); got {
			t.Errorf("%s network stack should not be termination-protected", st.cfg.Name)
		}
	}
}

func TestParameterGroup(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		tmpl := s.template(s.platform.Data.Stack)
		check(t, "parameter group", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::RDS::DBParameterGroup"), map[string]interface{}{
				"Family": "postgres17",
				"Parameters": assertions.Match_ObjectLike(&map[string]interface{}{
					"shared_preload_libraries":          "pg_stat_statements",
					"log_min_duration_statement":        "100",
					"rds.force_ssl":                     "1",
					"track_io_timing":                   "1",
					"random_page_cost":                  "1.1",
					"log_parameter_max_length":          "0",
					"log_parameter_max_length_on_error": "0",
				}),
			})
		})
	})
}

func TestProxy(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		p := s.cfg.Database.Proxy
		tmpl := s.template(s.platform.Data.Stack)
		check(t, "proxy", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::RDS::DBProxy"), map[string]interface{}{
				"EngineFamily":      "POSTGRESQL",
				"RequireTLS":        true,
				"IdleClientTimeout": p.IdleClientTimeoutSeconds,
				// The functions' roles end to end with IAM; the master user
				// (migrate) through its rotated secret.
				"DefaultAuthScheme": "IAM_AUTH",
				"Auth":              []interface{}{assertions.Match_ObjectLike(&map[string]interface{}{"AuthScheme": "SECRETS", "IAMAuth": "REQUIRED"})},
			})
			tmpl.HasResourceProperties(jsii.String("AWS::RDS::DBProxyTargetGroup"), map[string]interface{}{
				"ConnectionPoolConfigurationInfo": map[string]interface{}{
					"MaxConnectionsPercent":     p.MaxConnectionsPercent,
					"MaxIdleConnectionsPercent": p.MaxIdleConnectionsPercent,
					"ConnectionBorrowTimeout":   p.BorrowTimeoutSeconds,
				},
			})
		})
		// The proxy admits each function group on the database port (the
		// previous release's too), and nothing else: no CIDR source
		// anywhere in the data tier.
		n := s.platform.Network
		for _, g := range []awsec2.SecurityGroup{n.Functions, n.Payments, n.Migrate, n.Previous} {
			check(t, "proxy ingress from "+n.Label(g), func() {
				tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]interface{}{
					"FromPort": s.cfg.Database.Port, "ToPort": s.cfg.Database.Port, "Description": capitalized(n.Label(g)) + " to RDS Proxy",
					"SourceSecurityGroupId": map[string]interface{}{"Fn::GetStackOutput": assertions.Match_ObjectLike(&map[string]interface{}{
						"StackName":  *n.StackName(),
						"OutputName": assertions.Match_StringLikeRegexp(jsii.String("FnGetAtt" + logicalID(g) + "GroupId")),
					})},
				})
			})
		}
		for id, r := range resources(tmpl, "AWS::EC2::SecurityGroupIngress") {
			if _, ok := r["Properties"].(map[string]interface{})["CidrIp"]; ok {
				t.Errorf("%s admits a CIDR range", id)
			}
		}
	})
}

func TestCredentialRotation(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		tmpl := s.template(s.platform.Data.Stack)
		check(t, "rotation", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::SecretsManager::RotationSchedule"), map[string]interface{}{
				"SecretId":      map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^PostgresSecretAttachment"))},
				"RotationRules": map[string]interface{}{"ScheduleExpression": fmt.Sprintf("rate(%d days)", s.cfg.Database.RotationDays)},
			})
			tmpl.ResourceCountIs(jsii.String("AWS::Serverless::Application"), jsii.Number(1))
		})
	})
}

// TestProxyLogsInAsTheRoles: with end-to-end IAM authentication the proxy
// logs in to the instance as the functions' roles with its own IAM role,
// which may connect as those roles and as nothing else (not as the master
// user, whose password it reads instead).
func TestProxyLogsInAsTheRoles(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		tmpl := s.template(s.platform.Data.Stack)
		role := logicalID(s.platform.Data.Proxy.Node().FindChild(jsii.String("IAMRole")))
		var users []string
		for _, p := range resources(tmpl, "AWS::IAM::Policy") {
			props := p["Properties"].(map[string]interface{})
			if !refersTo(props["Roles"], role) {
				continue
			}
			for _, st := range props["PolicyDocument"].(map[string]interface{})["Statement"].([]interface{}) {
				st := st.(map[string]interface{})
				if st["Action"] != "rds-db:connect" {
					continue
				}
				for _, r := range asList(st["Resource"]) {
					b, _ := json.Marshal(r)
					if !strings.Contains(string(b), `"PostgresInstance","DbiResourceId"`) {
						t.Errorf("the proxy may connect to %s, not the instance", b)
					}
					users = append(users, userOf(string(b)))
				}
			}
		}
		slices.Sort(users)
		if want := slices.Sorted(slices.Values(routes.DBRoles())); !slices.Equal(users, want) {
			t.Errorf("the proxy's role may connect as %v, want %v", users, want)
		}
	})
}

// userOf returns the database user an rds-db:connect resource (rendered
// as JSON) ends with.
func userOf(resource string) string {
	i := strings.LastIndex(resource, "/")
	return strings.TrimRight(resource[i+1:], `"]}`)
}

// asList returns a policy element that may be one value or a list as a
// list.
func asList(v interface{}) []interface{} {
	if l, ok := v.([]interface{}); ok {
		return l
	}
	return []interface{}{v}
}
