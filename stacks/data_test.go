package stacks

import (
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
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
		// The proxy admits the function tier on the database port, and
		// nothing else: no CIDR source anywhere in the data tier.
		check(t, "proxy ingress from functions", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]interface{}{
				"FromPort": s.cfg.Database.Port, "ToPort": s.cfg.Database.Port, "Description": "Lambda functions to RDS Proxy",
				"SourceSecurityGroupId": map[string]interface{}{"Fn::GetStackOutput": assertions.Match_ObjectLike(&map[string]interface{}{
					"StackName": *s.platform.Network.StackName(),
				})},
			})
		})
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
