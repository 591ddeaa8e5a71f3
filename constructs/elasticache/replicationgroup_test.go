package elasticache

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/internal/pinnednode"
)

// The groups built from known props, synthesised once in TestMain: a synth
// costs seconds.
var (
	minimal, full       assertions.Template
	minimalGroup, group *ReplicationGroup
)

func TestMain(m *testing.M) {
	pinnednode.Skip()
	code := func() int {
		defer jsii.Close()
		app := awscdk.NewApp(nil)

		small := awscdk.NewStack(app, jsii.String("Minimal"), nil)
		minimalGroup = NewReplicationGroup(small, jsii.String("Cache"), &ReplicationGroupProps{
			Vpc: isolatedVpc(small), ReplicationGroupId: jsii.String("cache"),
		})

		stack := awscdk.NewStack(app, jsii.String("Full"), nil)
		vpc := isolatedVpc(stack)
		given := awsec2.NewSecurityGroup(stack, jsii.String("Given"), &awsec2.SecurityGroupProps{Vpc: vpc})
		clients := awsec2.NewSecurityGroup(stack, jsii.String("Clients"), &awsec2.SecurityGroupProps{Vpc: vpc})
		group = NewReplicationGroup(stack, jsii.String("Cache"), &ReplicationGroupProps{
			Vpc: vpc, ReplicationGroupId: jsii.String("hasivu-test"),
			Engine: jsii.String("redis"), EngineVersion: jsii.String("6.2"), NodeType: jsii.String("cache.r7g.large"),
			Replicas: jsii.Number(2), Port: jsii.Number(6380),
			SnapshotRetentionDays: jsii.Number(7), SnapshotWindow: jsii.String("19:00-20:00"),
			MaintenanceWindow: jsii.String("sun:22:00-sun:23:00"),
			Parameters:        &map[string]*string{"maxmemory-policy": jsii.String("volatile-lru"), "notify-keyspace-events": jsii.String("")},
			SecurityGroups:    &[]awsec2.ISecurityGroup{given},
			RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
			SlowLogRetention:  awslogs.RetentionDays_ONE_WEEK,
		})
		group.Connections().AllowDefaultPortFrom(clients, nil)
		group.GrantConnect(awsiam.NewRole(stack, jsii.String("Reader"), &awsiam.RoleProps{
			AssumedBy: awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		}))

		app.Synth(nil)
		minimal = assertions.Template_FromStack(small, nil)
		full = assertions.Template_FromStack(stack, nil)
		return m.Run()
	}()
	os.Exit(code)
}

// isolatedVpc is a VPC with only isolated subnets, where the group's
// default subnet selection finds its subnets.
func isolatedVpc(scope awscdk.Stack) awsec2.Vpc {
	return awsec2.NewVpc(scope, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs: jsii.Number(2), NatGateways: jsii.Number(0),
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{Name: jsii.String("data"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}},
	})
}

// check turns an assertions failure (a jsii panic) into a test error.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

func counts(t *testing.T, tmpl assertions.Template, want map[string]float64) {
	t.Helper()
	for typ, n := range want {
		check(t, typ, func() { tmpl.ResourceCountIs(jsii.String(typ), jsii.Number(n)) })
	}
}

func TestMinimalGroup(t *testing.T) {
	counts(t, minimal, map[string]float64{
		"AWS::ElastiCache::ReplicationGroup": 1, "AWS::ElastiCache::SubnetGroup": 1, "AWS::ElastiCache::ParameterGroup": 1,
		"AWS::SecretsManager::Secret": 1, "AWS::Logs::LogGroup": 1, "AWS::EC2::SecurityGroup": 1,
		"AWS::EC2::SecurityGroupIngress": 0, "AWS::IAM::Policy": 0,
	})
	check(t, "defaults", func() {
		minimal.HasResourceProperties(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]interface{}{
			"ReplicationGroupId": "cache", "Engine": "valkey", "EngineVersion": "8.0", "CacheNodeType": "cache.t4g.micro",
			"NumCacheClusters": 1, "AutomaticFailoverEnabled": false, "MultiAZEnabled": false, "Port": 6379,
			"AtRestEncryptionEnabled": true, "TransitEncryptionEnabled": true, "TransitEncryptionMode": "required",
			"SnapshotRetentionLimit": 0,
			"AuthToken":              assertions.Match_AnyValue(),
			"LogDeliveryConfigurations": []interface{}{map[string]interface{}{
				"LogType": "slow-log", "LogFormat": "json", "DestinationType": "cloudwatch-logs",
			}},
		})
	})
	check(t, "kept unless its creation rolls back", func() {
		minimal.HasResource(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]interface{}{
			"DeletionPolicy": "RetainExceptOnCreate", "UpdateReplacePolicy": "Retain",
		})
	})
	check(t, "default parameters", func() {
		minimal.HasResourceProperties(jsii.String("AWS::ElastiCache::ParameterGroup"), map[string]interface{}{
			"CacheParameterGroupFamily": "valkey8",
			"Properties":                map[string]interface{}{"maxmemory-policy": "allkeys-lru", "lazyfree-lazy-eviction": "yes", "timeout": "300"},
		})
	})
	check(t, "slow log kept a month", func() {
		minimal.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]interface{}{"RetentionInDays": 30})
	})
	if got := minimalGroup.NodeIds(); !slices.Equal(got, []string{"cache-001"}) {
		t.Errorf("NodeIds() = %v", got)
	}
}

func TestFullGroup(t *testing.T) {
	// The given security group and the clients' group; none of its own.
	counts(t, full, map[string]float64{
		"AWS::ElastiCache::ReplicationGroup": 1, "AWS::ElastiCache::SubnetGroup": 1, "AWS::ElastiCache::ParameterGroup": 1,
		"AWS::SecretsManager::Secret": 1, "AWS::Logs::LogGroup": 1, "AWS::EC2::SecurityGroup": 2,
		"AWS::EC2::SecurityGroupIngress": 1, "AWS::IAM::Policy": 1,
	})
	check(t, "replicas with failover across zones", func() {
		full.HasResourceProperties(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]interface{}{
			"ReplicationGroupId": "hasivu-test", "Engine": "redis", "EngineVersion": "6.2", "CacheNodeType": "cache.r7g.large",
			"NumCacheClusters": 3, "AutomaticFailoverEnabled": true, "MultiAZEnabled": true, "Port": 6380,
			"SnapshotRetentionLimit": 7, "SnapshotWindow": "19:00-20:00", "PreferredMaintenanceWindow": "sun:22:00-sun:23:00",
			"SecurityGroupIds": []interface{}{map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^Given")), "GroupId"}}},
		})
		full.HasResource(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]interface{}{"DeletionPolicy": "Delete"})
	})
	check(t, "parameters over the defaults", func() {
		full.HasResourceProperties(jsii.String("AWS::ElastiCache::ParameterGroup"), map[string]interface{}{
			"CacheParameterGroupFamily": "redis6.x",
			"Properties": map[string]interface{}{"maxmemory-policy": "volatile-lru", "notify-keyspace-events": "",
				"lazyfree-lazy-eviction": "yes", "timeout": "300"},
		})
	})
	check(t, "slow log kept a week", func() {
		full.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]interface{}{"RetentionInDays": 7})
	})
	check(t, "Connections opens the group's port to the clients", func() {
		full.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]interface{}{
			"IpProtocol": "tcp", "FromPort": 6380, "ToPort": 6380,
			"GroupId":               map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^Given")), "GroupId"}},
			"SourceSecurityGroupId": map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^Clients")), "GroupId"}},
		})
	})
	check(t, "GrantConnect lets the grantee read the AUTH token", func() {
		full.HasResourceProperties(jsii.String("AWS::IAM::Policy"), map[string]interface{}{
			"PolicyDocument": map[string]interface{}{"Statement": []interface{}{map[string]interface{}{
				"Action":   []interface{}{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"},
				"Effect":   "Allow",
				"Resource": map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^CacheAuthToken"))},
			}}},
		})
	})
	if got := group.NodeIds(); !slices.Equal(got, []string{"hasivu-test-001", "hasivu-test-002", "hasivu-test-003"}) {
		t.Errorf("NodeIds() = %v", got)
	}
	if group.Port() != 6380 || group.ReplicationGroupId() != "hasivu-test" {
		t.Errorf("Port() = %v, ReplicationGroupId() = %s", group.Port(), group.ReplicationGroupId())
	}
	metric := group.MetricOfNode("hasivu-test-002", "Evictions", "Sum", awscdk.Duration_Minutes(jsii.Number(5)))
	if got := fmt.Sprint(*metric.Namespace(), " ", *metric.MetricName(), " ", *metric.Statistic(), " ", *metric.Period().ToSeconds(nil), " ", (*metric.Dimensions())["CacheClusterId"]); got != "AWS/ElastiCache Evictions Sum 300 hasivu-test-002" {
		t.Errorf("MetricOfNode = %s", got)
	}
}

// validProps are props that pass validation, for each case to break.
func validProps(vpc awsec2.IVpc) ReplicationGroupProps {
	return ReplicationGroupProps{Vpc: vpc, ReplicationGroupId: jsii.String("cache"), Replicas: jsii.Number(1)}
}

func TestValidation(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Invalid"), nil)
	vpc := isolatedVpc(stack)
	for i, c := range []struct {
		name   string
		change func(*ReplicationGroupProps)
		want   []string
	}{
		{"no Vpc", func(p *ReplicationGroupProps) { p.Vpc = nil }, []string{"Vpc is required"}},
		{"no ReplicationGroupId", func(p *ReplicationGroupProps) { p.ReplicationGroupId = nil },
			[]string{`ReplicationGroupId must be 1 to 40 lower-case letters, digits and single dashes, starting with a letter, got ""`}},
		{"ReplicationGroupId with capitals", func(p *ReplicationGroupProps) { p.ReplicationGroupId = jsii.String("Hasivu_Prod") },
			[]string{`ReplicationGroupId must be 1 to 40 lower-case letters, digits and single dashes, starting with a letter, got "Hasivu_Prod"`}},
		{"ReplicationGroupId with a double dash", func(p *ReplicationGroupProps) { p.ReplicationGroupId = jsii.String("a--b") },
			[]string{`ReplicationGroupId must be 1 to 40 lower-case letters, digits and single dashes, starting with a letter, got "a--b"`}},
		{"ReplicationGroupId too long", func(p *ReplicationGroupProps) { p.ReplicationGroupId = jsii.String(strings.Repeat("a", 41)) },
			[]string{`ReplicationGroupId must be 1 to 40 lower-case letters, digits and single dashes, starting with a letter, got "` + strings.Repeat("a", 41) + `"`}},
		{"Engine", func(p *ReplicationGroupProps) { p.Engine = jsii.String("memcached") }, []string{`Engine must be redis or valkey, got "memcached"`}},
		{"EngineVersion", func(p *ReplicationGroupProps) { p.EngineVersion = jsii.String("8") }, []string{`EngineVersion must be major.minor, got "8"`}},
		{"too many Replicas", func(p *ReplicationGroupProps) { p.Replicas = jsii.Number(6) }, []string{"Replicas must be a whole number between 0 and 5, got 6"}},
		{"negative Replicas", func(p *ReplicationGroupProps) { p.Replicas, p.MultiAz = jsii.Number(-1), jsii.Bool(false) },
			[]string{"Replicas must be a whole number between 0 and 5, got -1"}},
		{"half a replica", func(p *ReplicationGroupProps) { p.Replicas = jsii.Number(1.5) }, []string{"Replicas must be a whole number between 0 and 5, got 1.5"}},
		{"MultiAz without a replica", func(p *ReplicationGroupProps) { p.Replicas, p.MultiAz = jsii.Number(0), jsii.Bool(true) },
			[]string{"MultiAz needs at least one replica, got Replicas 0"}},
		{"SnapshotRetentionDays", func(p *ReplicationGroupProps) { p.SnapshotRetentionDays = jsii.Number(36) },
			[]string{"SnapshotRetentionDays must be between 0 and 35, got 36"}},
		{"several at once", func(p *ReplicationGroupProps) {
			p.Vpc, p.Engine, p.Replicas, p.MultiAz, p.SnapshotRetentionDays = nil, jsii.String("memcached"), jsii.Number(0), jsii.Bool(true), jsii.Number(-1)
		}, []string{"Vpc is required", `Engine must be redis or valkey, got "memcached"`, "MultiAz needs at least one replica, got Replicas 0",
			"SnapshotRetentionDays must be between 0 and 35, got -1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := validProps(vpc)
			c.change(&p)
			id := fmt.Sprintf("Case%d", i)
			want := "elasticache.NewReplicationGroup " + id + ": " + strings.Join(c.want, "; ")
			if got := panicOf(func() { NewReplicationGroup(stack, jsii.String(id), &p) }); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	// The props the cases break are valid.
	p := validProps(vpc)
	if got := panicOf(func() { NewReplicationGroup(stack, jsii.String("Valid"), &p) }); got != "" {
		t.Errorf("valid props refused: %s", got)
	}
}

// panicOf is what f panics with, or "" when it returns.
func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
