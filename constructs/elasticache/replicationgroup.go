// Package elasticache is a small L2 over ElastiCache's L1 resources: a
// Redis or Valkey replication group with its subnet group, parameter group,
// security group, AUTH secret and slow log, modelled on open-constructs'
// ServerlessCache (Connections, GrantConnect, endpoints, metrics).
package elasticache

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticache"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// ReplicationGroupProps configures a ReplicationGroup.
type ReplicationGroupProps struct {
	// Vpc is the VPC the nodes live in. Required.
	Vpc awsec2.IVpc
	// VpcSubnets are the subnets of the nodes. Default: the VPC's isolated
	// subnets.
	VpcSubnets *awsec2.SubnetSelection
	// ReplicationGroupId names the group; node IDs are "<id>-001", "-002"…
	// A named group cannot be replaced by accident. Required.
	ReplicationGroupId *string
	// Engine is "redis" or "valkey". Default: "valkey".
	Engine *string
	// EngineVersion is "major.minor". Default: "8.0".
	EngineVersion *string
	// NodeType is the ElastiCache node type. Default: "cache.t4g.micro".
	NodeType *string
	// Replicas is the number of read replicas, 0 to 5; automatic failover
	// is on when there is at least one. Default: 0.
	Replicas *float64
	// MultiAz places replicas in other zones than the primary and fails
	// over across zones. Needs a replica. Default: true when Replicas > 0.
	MultiAz *bool
	// Port is the port the nodes listen on. Default: 6379.
	Port *float64
	// SnapshotRetentionDays keeps daily snapshots this long; 0 turns them
	// off. Default: 0.
	SnapshotRetentionDays *float64
	// SnapshotWindow is the daily snapshot window in UTC. Default: chosen
	// by ElastiCache.
	SnapshotWindow *string
	// MaintenanceWindow is the weekly maintenance window in UTC. Default:
	// chosen by ElastiCache.
	MaintenanceWindow *string
	// Parameters are set in the group's parameter group over
	// DefaultParameters. Default: none.
	Parameters *map[string]*string
	// SecurityGroups are the nodes' groups. Default: a new group that
	// admits nothing until Connections() opens it.
	SecurityGroups *[]awsec2.ISecurityGroup
	// RemovalPolicy is applied to the replication group. Default:
	// RETAIN_ON_UPDATE_OR_DELETE (kept, unless the operation that created
	// it rolls back).
	RemovalPolicy awscdk.RemovalPolicy
	// SlowLogRetention is how long the slow log is kept. Default: one month.
	SlowLogRetention awslogs.RetentionDays
}

// DefaultParameters are the parameter-group settings every group gets:
// evict least-recently-used keys of any kind when memory is full (the
// cache holds only re-computable entries), evict in a background thread so
// eviction never stalls a request, and close clients idle for five minutes
// (frozen Lambda containers leave connections behind).
func DefaultParameters() map[string]string {
	return map[string]string{
		"maxmemory-policy":       "allkeys-lru",
		"lazyfree-lazy-eviction": "yes",
		"timeout":                "300",
	}
}

// ReplicationGroup is a Redis or Valkey replication group with TLS, AUTH
// and encryption at rest always on.
type ReplicationGroup struct {
	constructs.Construct
	resource    awselasticache.CfnReplicationGroup
	connections awsec2.Connections
	authSecret  awssecretsmanager.Secret
	id          string
	nodes       int
	port        float64
}

var groupID = regexp.MustCompile(`^[a-z](-?[a-z0-9])*$`)

// NewReplicationGroup creates the group and everything it needs.
func NewReplicationGroup(scope constructs.Construct, id *string, props *ReplicationGroupProps) *ReplicationGroup {
	p := withDefaults(*props)
	if err := validate(&p); err != nil {
		panic(fmt.Sprintf("elasticache.NewReplicationGroup %s: %v", *id, err))
	}
	this := constructs.NewConstruct(scope, id)
	g := &ReplicationGroup{Construct: this, id: *p.ReplicationGroupId, nodes: int(*p.Replicas) + 1, port: *p.Port}

	if p.SecurityGroups == nil {
		p.SecurityGroups = &[]awsec2.ISecurityGroup{awsec2.NewSecurityGroup(this, jsii.String("SecurityGroup"), &awsec2.SecurityGroupProps{
			Vpc:              p.Vpc,
			Description:      jsii.String(fmt.Sprintf("ElastiCache %s", g.id)),
			AllowAllOutbound: jsii.Bool(false),
		})}
	}
	g.connections = awsec2.NewConnections(&awsec2.ConnectionsProps{
		SecurityGroups: p.SecurityGroups,
		DefaultPort:    awsec2.Port_Tcp(p.Port),
	})
	var groupIDs []*string
	for _, sg := range *p.SecurityGroups {
		groupIDs = append(groupIDs, sg.SecurityGroupId())
	}

	var subnetIDs []interface{}
	for _, sid := range *p.Vpc.SelectSubnets(p.VpcSubnets).SubnetIds {
		subnetIDs = append(subnetIDs, sid)
	}
	subnets := awselasticache.NewCfnSubnetGroup(this, jsii.String("Subnets"), &awselasticache.CfnSubnetGroupProps{
		Description: jsii.String(fmt.Sprintf("Subnets of %s", g.id)),
		SubnetIds:   &subnetIDs,
	})

	params := DefaultParameters()
	if p.Parameters != nil {
		for k, v := range *p.Parameters {
			params[k] = *v
		}
	}
	parameters := awselasticache.NewCfnParameterGroup(this, jsii.String("Parameters"), &awselasticache.CfnParameterGroupProps{
		CacheParameterGroupFamily: jsii.String(family(*p.Engine, *p.EngineVersion)),
		Description:               jsii.String(fmt.Sprintf("Parameters of %s", g.id)),
		Properties:                params,
	})

	g.authSecret = awssecretsmanager.NewSecret(this, jsii.String("AuthToken"), &awssecretsmanager.SecretProps{
		Description: jsii.String(fmt.Sprintf("AUTH token of %s", g.id)),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(64),
			ExcludePunctuation: jsii.Bool(true),
			IncludeSpace:       jsii.Bool(false),
		},
	})

	slowLog := awslogs.NewLogGroup(this, jsii.String("SlowLog"), &awslogs.LogGroupProps{
		Retention:     p.SlowLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	})

	failover := *p.Replicas > 0
	g.resource = awselasticache.NewCfnReplicationGroup(this, jsii.String("Resource"), &awselasticache.CfnReplicationGroupProps{
		ReplicationGroupId:          p.ReplicationGroupId,
		ReplicationGroupDescription: jsii.String(fmt.Sprintf("%s %s, %d node(s)", *p.Engine, *p.EngineVersion, g.nodes)),
		Engine:                      p.Engine,
		EngineVersion:               p.EngineVersion,
		CacheNodeType:               p.NodeType,
		NumCacheClusters:            jsii.Number(g.nodes),
		AutomaticFailoverEnabled:    jsii.Bool(failover),
		MultiAzEnabled:              p.MultiAz,
		Port:                        p.Port,
		CacheSubnetGroupName:        subnets.Ref(),
		CacheParameterGroupName:     parameters.Ref(),
		SecurityGroupIds:            &groupIDs,
		AtRestEncryptionEnabled:     jsii.Bool(true),
		TransitEncryptionEnabled:    jsii.Bool(true),
		TransitEncryptionMode:       jsii.String("required"),
		AuthToken:                   g.authSecret.SecretValue().UnsafeUnwrap(),
		AutoMinorVersionUpgrade:     jsii.Bool(true),
		SnapshotRetentionLimit:      p.SnapshotRetentionDays,
		SnapshotWindow:              p.SnapshotWindow,
		PreferredMaintenanceWindow:  p.MaintenanceWindow,
		LogDeliveryConfigurations: &[]interface{}{&awselasticache.CfnReplicationGroup_LogDeliveryConfigurationRequestProperty{
			LogType:         jsii.String("slow-log"),
			LogFormat:       jsii.String("json"),
			DestinationType: jsii.String("cloudwatch-logs"),
			DestinationDetails: &awselasticache.CfnReplicationGroup_DestinationDetailsProperty{
				CloudWatchLogsDetails: &awselasticache.CfnReplicationGroup_CloudWatchLogsDestinationDetailsProperty{
					LogGroup: slowLog.LogGroupName(),
				},
			},
		}},
	})
	g.resource.ApplyRemovalPolicy(p.RemovalPolicy, nil)
	return g
}

func withDefaults(p ReplicationGroupProps) ReplicationGroupProps {
	if p.VpcSubnets == nil {
		p.VpcSubnets = &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED}
	}
	if p.Engine == nil {
		p.Engine = jsii.String("valkey")
	}
	if p.EngineVersion == nil {
		p.EngineVersion = jsii.String("8.0")
	}
	if p.NodeType == nil {
		p.NodeType = jsii.String("cache.t4g.micro")
	}
	if p.Replicas == nil {
		p.Replicas = jsii.Number(0)
	}
	if p.MultiAz == nil {
		p.MultiAz = jsii.Bool(*p.Replicas > 0)
	}
	if p.Port == nil {
		p.Port = jsii.Number(6379)
	}
	if p.SnapshotRetentionDays == nil {
		p.SnapshotRetentionDays = jsii.Number(0)
	}
	if p.RemovalPolicy == "" {
		p.RemovalPolicy = awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE
	}
	if p.SlowLogRetention == "" {
		p.SlowLogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	return p
}

var engineVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)

// validate reports every invalid prop at once.
func validate(p *ReplicationGroupProps) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if p.Vpc == nil {
		add("Vpc is required")
	}
	if p.ReplicationGroupId == nil || len(*p.ReplicationGroupId) > 40 || !groupID.MatchString(*p.ReplicationGroupId) {
		add("ReplicationGroupId must be 1 to 40 lower-case letters, digits and single dashes, starting with a letter, got %q", deref(p.ReplicationGroupId))
	}
	if !slices.Contains([]string{"redis", "valkey"}, *p.Engine) {
		add("Engine must be redis or valkey, got %q", *p.Engine)
	}
	// The parameter group's family is derived from the major version.
	if !engineVersion.MatchString(*p.EngineVersion) {
		add("EngineVersion must be major.minor, got %q", *p.EngineVersion)
	}
	if *p.Replicas < 0 || *p.Replicas > 5 || *p.Replicas != math.Trunc(*p.Replicas) {
		add("Replicas must be a whole number between 0 and 5, got %v", *p.Replicas)
	}
	if *p.MultiAz && *p.Replicas == 0 {
		add("MultiAz needs at least one replica, got Replicas 0")
	}
	if *p.SnapshotRetentionDays < 0 || *p.SnapshotRetentionDays > 35 {
		add("SnapshotRetentionDays must be between 0 and 35, got %v", *p.SnapshotRetentionDays)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// family is the parameter group family of an engine version: valkey8,
// redis7, redis6.x.
func family(engine, version string) string {
	major, _, _ := strings.Cut(version, ".")
	if engine == "redis" && major == "6" {
		return "redis6.x"
	}
	return engine + major
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Connections is the group's security group handle; open it with
// Connections().AllowDefaultPortFrom(peer).
func (g *ReplicationGroup) Connections() awsec2.Connections { return g.connections }

// PrimaryEndpoint is the address that writes go to.
func (g *ReplicationGroup) PrimaryEndpoint() *string { return g.resource.AttrPrimaryEndPointAddress() }

// ReaderEndpoint is the address that balances reads over the replicas.
func (g *ReplicationGroup) ReaderEndpoint() *string { return g.resource.AttrReaderEndPointAddress() }

// Port is the port the nodes listen on.
func (g *ReplicationGroup) Port() float64 { return g.port }

// AuthSecret holds the AUTH token clients must present.
func (g *ReplicationGroup) AuthSecret() awssecretsmanager.ISecret { return g.authSecret }

// ReplicationGroupId is the group's name.
func (g *ReplicationGroup) ReplicationGroupId() string { return g.id }

// NodeIds are the cache cluster IDs of the group's nodes, the dimension
// ElastiCache publishes node metrics under.
func (g *ReplicationGroup) NodeIds() []string {
	ids := make([]string, g.nodes)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%03d", g.id, i+1)
	}
	return ids
}

// GrantConnect lets grantee read the AUTH token. Network access is
// separate: open Connections() to the grantee.
func (g *ReplicationGroup) GrantConnect(grantee awsiam.IGrantable) awsiam.Grant {
	return g.authSecret.GrantRead(grantee, nil)
}

// MetricOfNode is one of ElastiCache's metrics for one node of the group
// (see NodeIds), such as EngineCPUUtilization,
// DatabaseMemoryUsagePercentage, Evictions, CacheHitRate, ReplicationLag.
func (g *ReplicationGroup) MetricOfNode(nodeID, name, statistic string, period awscdk.Duration) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace:     jsii.String("AWS/ElastiCache"),
		MetricName:    jsii.String(name),
		DimensionsMap: &map[string]*string{"CacheClusterId": jsii.String(nodeID)},
		Statistic:     jsii.String(statistic),
		Period:        period,
		Label:         jsii.String(nodeID),
	})
}
