package stacks

import (
	"maps"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/plan"
)

// Logical IDs of the stateful resources, pinned so that a refactor that
// moves them in the construct tree cannot make CloudFormation replace the
// database or its credentials.
const (
	DatabaseLogicalID       = "PostgresInstance"
	DatabaseSecretLogicalID = "PostgresMasterSecret"
)

// DataStack is the stage's PostgreSQL: the instance, its credentials and
// the RDS Proxy the functions connect through.
type DataStack struct {
	awscdk.Stack
	Instance awsrds.DatabaseInstance
	// Secret holds the master credentials; Secrets Manager rotates it and
	// RDS Proxy reads it for migrate's connections. Functions do not:
	// they connect with IAM tokens.
	Secret awssecretsmanager.ISecret
	// Proxy is where functions connect (TLS and IAM authentication
	// required); its security group admits only the function groups
	// whose functions use the database.
	Proxy awsrds.DatabaseProxy
	// RotationFunctionName is the function Secrets Manager rotates the
	// master password with; its errors are rotation failures.
	RotationFunctionName string
	// DatabaseName is what a function's connection names; Username is
	// the master user, which only migrate connects as.
	DatabaseName string
	Username     string
	Port         int
}

// GrantConnect lets grantee connect to the proxy as the database user
// user, and as no other, with an IAM authentication token
// (rds-db:connect).
func (d *DataStack) GrantConnect(grantee awsiam.IGrantable, user string) awsiam.Grant {
	return d.Proxy.GrantConnect(grantee, jsii.String(user))
}

// TunedParameters are the parameter-group settings the performance plan
// asks for; config's database.parameters are applied over them.
func TunedParameters() map[string]string {
	p := map[string]string{
		// Per-statement latency and I/O statistics, to find what breaks
		// the plan's query target.
		"shared_preload_libraries": "pg_stat_statements",
		"pg_stat_statements.max":   "10000",
		"track_io_timing":          "1",
		// Log every statement slower than the plan's database p95 target.
		"log_min_duration_statement":  strconv.FormatInt(plan.DatabaseP95.Milliseconds(), 10),
		"log_lock_waits":              "1",
		"log_autovacuum_min_duration": "1000",
		// Refuse unencrypted connections.
		"rds.force_ssl": "1",
		// A Lambda frozen mid-transaction must not hold locks for long;
		// no API request may outlive API Gateway's 29 s limit either.
		"idle_in_transaction_session_timeout": "60000",
		"statement_timeout":                   "30000",
		// gp3 random reads cost about what sequential ones do; the
		// default of 4 steers the planner away from the plan's indexes.
		"random_page_cost": "1.1",
	}
	// Statements logged for their duration or their error show their SQL
	// but not the values bound to it.
	for _, name := range config.RedactedLogParameters {
		p[name] = "0"
	}
	return p
}

// NewDataStack builds RDS PostgreSQL with the tuned parameter group, its
// rotated master secret and RDS Proxy, in the network's data subnets.
func NewDataStack(scope constructs.Construct, env Env, cfg config.Database, net *NetworkStack) *DataStack {
	stack := newStack(scope, env, "data", "Hasivu "+env.Stage+": RDS PostgreSQL, RDS Proxy, credentials", true)
	s := &DataStack{Stack: stack, DatabaseName: cfg.Name, Username: cfg.Username, Port: cfg.Port}
	identifier := "hasivu-" + env.Stage

	major, _, _ := strings.Cut(cfg.EngineVersion, ".")
	engine := awsrds.DatabaseInstanceEngine_Postgres(&awsrds.PostgresInstanceEngineProps{
		Version: awsrds.PostgresEngineVersion_Of(jsii.String(cfg.EngineVersion), jsii.String(major), nil),
	})
	params := TunedParameters()
	maps.Copy(params, cfg.Parameters)
	parameterGroup := awsrds.NewParameterGroup(stack, jsii.String("Parameters"), &awsrds.ParameterGroupProps{
		Engine:      engine,
		Description: jsii.String("Hasivu " + env.Stage + " PostgreSQL " + major + ", tuned for the performance plan"),
		Parameters:  stringMap(params),
	})

	dbGroup := awsec2.NewSecurityGroup(stack, jsii.String("DatabaseSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: net.Vpc, Description: jsii.String("Hasivu " + env.Stage + " PostgreSQL: RDS Proxy and rotation only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	proxyGroup := awsec2.NewSecurityGroup(stack, jsii.String("ProxySecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc: net.Vpc, Description: jsii.String("Hasivu " + env.Stage + " RDS Proxy: Lambda functions only"),
		AllowAllOutbound: jsii.Bool(false),
	})
	// The proxy's one egress rule (to the database) is a separate resource,
	// because it names the database's port.
	denyDefaultEgress(proxyGroup)

	// Exported logs go to log groups made here with their retention, so no
	// log-retention custom resource is needed.
	var logGroups []constructs.IDependable
	for _, name := range cfg.LogExports {
		logGroups = append(logGroups, awslogs.NewLogGroup(stack, jsii.String("Logs-"+name), &awslogs.LogGroupProps{
			LogGroupName:  jsii.String("/aws/rds/instance/" + identifier + "/" + name),
			Retention:     retention(cfg.LogRetentionDays),
			RemovalPolicy: companionRemovalPolicy(cfg.RemovalPolicy),
		}))
	}

	props := &awsrds.DatabaseInstanceProps{
		Engine:                     engine,
		InstanceIdentifier:         jsii.String(identifier),
		InstanceType:               awsec2.NewInstanceType(jsii.String(strings.TrimPrefix(cfg.InstanceClass, "db."))),
		Vpc:                        net.Vpc,
		VpcSubnets:                 net.DataSubnets,
		SecurityGroups:             &[]awsec2.ISecurityGroup{dbGroup},
		Port:                       jsii.Number(cfg.Port),
		DatabaseName:               jsii.String(cfg.Name),
		Credentials:                awsrds.Credentials_FromGeneratedSecret(jsii.String(cfg.Username), &awsrds.CredentialsBaseOptions{SecretName: jsii.String("hasivu/" + env.Stage + "/database/master")}),
		ParameterGroup:             parameterGroup,
		AllocatedStorage:           jsii.Number(cfg.AllocatedStorageGiB),
		MaxAllocatedStorage:        jsii.Number(cfg.MaxAllocatedStorageGiB),
		StorageType:                awsrds.StorageType_GP3,
		StorageEncrypted:           jsii.Bool(true),
		MultiAz:                    jsii.Bool(cfg.MultiAZ),
		BackupRetention:            awscdk.Duration_Days(jsii.Number(cfg.BackupRetentionDays)),
		PreferredBackupWindow:      jsii.String(cfg.BackupWindow),
		PreferredMaintenanceWindow: jsii.String(cfg.MaintenanceWindow),
		DeletionProtection:         jsii.Bool(cfg.DeletionProtection),
		RemovalPolicy:              removalPolicy(cfg.RemovalPolicy),
		IamAuthentication:          jsii.Bool(true),
		CaCertificate:              awsrds.CaCertificate_RDS_CA_RSA2048_G1(),
		AutoMinorVersionUpgrade:    jsii.Bool(true),
		CopyTagsToSnapshot:         jsii.Bool(true),
		PubliclyAccessible:         jsii.Bool(false),
		CloudwatchLogsExports:      jsii.Strings(cfg.LogExports...),
		EnablePerformanceInsights:  jsii.Bool(cfg.PerformanceInsights),
	}
	if cfg.PerformanceInsights {
		props.PerformanceInsightRetention = insightsRetention(cfg.PerformanceInsightsRetentionDays)
	}
	if cfg.MonitoringIntervalSeconds > 0 {
		props.MonitoringInterval = awscdk.Duration_Seconds(jsii.Number(cfg.MonitoringIntervalSeconds))
	}
	s.Instance = awsrds.NewDatabaseInstance(stack, jsii.String("Postgres"), props)
	s.Instance.Node().AddDependency(logGroups...)
	s.Secret = s.Instance.Secret()
	s.Instance.Node().DefaultChild().(awsrds.CfnDBInstance).OverrideLogicalId(jsii.String(DatabaseLogicalID))
	// Secret is the attachment; the generated secret is the instance's child.
	master := s.Instance.Node().FindChild(jsii.String("Secret")).Node().DefaultChild().(awssecretsmanager.CfnSecret)
	master.OverrideLogicalId(jsii.String(DatabaseSecretLogicalID))
	master.ApplyRemovalPolicy(companionRemovalPolicy(cfg.RemovalPolicy), nil)
	// CDK gives the subnet group the instance's policy only for Retain and
	// Snapshot, not RetainExceptOnCreate (aws-cdk#37780): a kept instance
	// must keep its subnet group, or deleting the stack fails on it.
	if cfg.RemovalPolicy == "retain" {
		s.Instance.Node().FindChild(jsii.String("SubnetGroup")).Node().DefaultChild().(awsrds.CfnDBSubnetGroup).ApplyRemovalPolicy(retained, nil)
	}

	// The rotation function runs beside the functions, where it reaches
	// Secrets Manager at its default hostname, which the interface
	// endpoint's private DNS resolves inside the VPC (or through NAT).
	// CDK's endpoint option would pass https://<vpce-id>.secretsmanager.
	// <region>.<suffix>, which is none of the endpoint's DNS names, and CDK
	// documents it as unneeded with private DNS on.
	rotation := s.Instance.AddRotationSingleUser(&awsrds.RotationSingleUserOptions{
		AutomaticallyAfter: awscdk.Duration_Days(jsii.Number(cfg.RotationDays)),
		VpcSubnets:         net.FunctionSubnets,
	})
	// The rotation application is a SAM-transformed nested stack. The
	// transform passes its Parameters through, but whether CloudFormation
	// resolves the newer Fn::GetStackOutput (the app's default, weak,
	// cross-stack reference) inside them is documented nowhere; the subnet
	// list is therefore a strong reference (Fn::ImportValue), which is.
	var subnetIDs []*string
	for _, subnet := range *net.Vpc.SelectSubnets(net.FunctionSubnets).Subnets {
		subnetIDs = append(subnetIDs, awscdk.Stack_ConsumeReference(subnet.SubnetId(), awscdk.ReferenceStrength_STRONG))
	}
	rotation.Node().DefaultChild().(awssam.CfnApplication).AddPropertyOverride(jsii.String("Parameters.vpcSubnetIds"),
		awscdk.Fn_Join(jsii.String(","), &subnetIDs))
	// CDK names the rotation function after the construct's unique ID.
	s.RotationFunctionName = *awscdk.Names_UniqueId(rotation)

	instance := s.Instance.Node().DefaultChild()
	suppress(instance, "AwsSolutions-RDS11", "Port "+strconv.Itoa(cfg.Port)+" is reachable only from RDS Proxy and the rotation function's security groups in isolated subnets; clients reach the database only through the proxy.")
	if !cfg.MultiAZ {
		suppress(instance, "AwsSolutions-RDS3", "Stage "+env.Stage+" runs a single-AZ instance by config (database.multiAz: false); prod is Multi-AZ.")
	}
	if role := s.Instance.Node().TryFindChild(jsii.String("MonitoringRole")); role != nil {
		suppress(role.Node().DefaultChild(), "AwsSolutions-IAM4", "Enhanced monitoring's role needs exactly what AWS's managed AmazonRDSEnhancedMonitoringRole grants; AWS keeps it current.",
			"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole")
	}
	if !cfg.DeletionProtection {
		suppress(instance, "AwsSolutions-RDS10", "Stage "+env.Stage+" is disposable by config (database.deletionProtection: false); prod is protected.")
	}

	// The proxy logs in to the database with IAM as the functions' roles
	// (end-to-end IAM authentication, DefaultAuthScheme IAM_AUTH): those
	// roles have no password, so there are no credentials to store or
	// rotate. The master user keeps its password (Secrets Manager rotates
	// it, the rotation function logs in with it) and its secret stays
	// registered: the default scheme is for the users the proxy has no
	// secret for, so migrate, which connects as the master user with an
	// IAM token, reaches the database with the secret's password.
	s.Proxy = s.Instance.AddProxy(jsii.String("Proxy"), &awsrds.DatabaseProxyOptions{
		DbProxyName:               jsii.String(identifier),
		Vpc:                       net.Vpc,
		VpcSubnets:                net.DataSubnets,
		SecurityGroups:            &[]awsec2.ISecurityGroup{proxyGroup},
		Secrets:                   &[]awssecretsmanager.ISecret{s.Secret},
		DefaultAuthScheme:         awsrds.DefaultAuthScheme_IAM_AUTH,
		IamAuth:                   jsii.Bool(true),
		RequireTLS:                jsii.Bool(true),
		MaxConnectionsPercent:     jsii.Number(cfg.Proxy.MaxConnectionsPercent),
		MaxIdleConnectionsPercent: jsii.Number(cfg.Proxy.MaxIdleConnectionsPercent),
		BorrowTimeout:             awscdk.Duration_Seconds(jsii.Number(cfg.Proxy.BorrowTimeoutSeconds)),
		IdleClientTimeout:         awscdk.Duration_Seconds(jsii.Number(cfg.Proxy.IdleClientTimeoutSeconds)),
	})
	proxyRole := s.Proxy.Node().FindChild(jsii.String("IAMRole")).(awsiam.IRole)
	for _, user := range routes.DBRoles() {
		s.Instance.GrantConnect(proxyRole, jsii.String(user))
	}
	for _, g := range net.GroupsWhere(func(n routes.Needs) bool { return n.DB }) {
		s.Proxy.Connections().AllowFrom(g, awsec2.Port_Tcp(jsii.Number(cfg.Port)),
			jsii.String(capitalized(net.Label(g))+" to RDS Proxy"))
	}

	// Only the proxy, the rotation function and CloudFormation (which
	// passes the password to the instance) read the master password.
	// The rotation function runs in a nested stack whose role's name is
	// generated there, so it is known by its role session, which Lambda
	// names after the function.
	s.Instance.Node().FindChild(jsii.String("Secret")).(awssecretsmanager.ISecret).AddToResourcePolicy(readersOnly([]*string{proxyRole.RoleArn(), cfnExecutionRole(stack, env.Region)},
		"*:"+s.RotationFunctionName))
	return s
}

// insightsRetention maps validated Performance Insights retention days to
// CDK's enum: 7 is the free tier, 731 two years, else whole months of 31 days.
func insightsRetention(days int) awsrds.PerformanceInsightRetention {
	switch days {
	case 7:
		return awsrds.PerformanceInsightRetention_DEFAULT
	case 731:
		return awsrds.PerformanceInsightRetention_LONG_TERM
	default:
		return awsrds.PerformanceInsightRetention("MONTHS_" + strconv.Itoa(days/31))
	}
}
