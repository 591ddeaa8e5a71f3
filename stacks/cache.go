package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awselasticache"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/constructs/elasticache"
	"github.com/hasivu/infra/lambda/routes"
)

// Pinned logical IDs of the cache's stateful resources (see
// DatabaseLogicalID).
const (
	CacheLogicalID       = "CacheReplicationGroup"
	CacheSecretLogicalID = "CacheAuthToken"
)

// CacheStack is the stage's Redis/Valkey replication group.
type CacheStack struct {
	awscdk.Stack
	// Cache's port is open to the groups of the functions that cache and
	// nothing else.
	Cache *elasticache.ReplicationGroup
}

// NewCacheStack builds the replication group in the network's data subnets
// and opens its port to the security groups of the functions that cache.
// Its AUTH token's resource policy lives in the api stack, beside the
// roles it names.
func NewCacheStack(scope constructs.Construct, env Env, cfg config.Cache, net *NetworkStack) *CacheStack {
	stack := newStack(scope, env, "cache", "Hasivu "+env.Stage+": ElastiCache "+cfg.Engine, true)
	props := &elasticache.ReplicationGroupProps{
		Vpc:                   net.Vpc,
		VpcSubnets:            net.DataSubnets,
		ReplicationGroupId:    jsii.String("hasivu-" + env.Stage),
		Engine:                jsii.String(cfg.Engine),
		EngineVersion:         jsii.String(cfg.EngineVersion),
		NodeType:              jsii.String(cfg.NodeType),
		Replicas:              jsii.Number(cfg.Replicas),
		MultiAz:               jsii.Bool(cfg.MultiAZ),
		Port:                  jsii.Number(cfg.Port),
		SnapshotRetentionDays: jsii.Number(cfg.SnapshotRetentionDays),
		MaintenanceWindow:     jsii.String(cfg.MaintenanceWindow),
		Parameters:            stringMap(map[string]string{"maxmemory-policy": cfg.MaxmemoryPolicy}),
		RemovalPolicy:         removalPolicy(cfg.RemovalPolicy),
	}
	if cfg.SnapshotRetentionDays > 0 {
		props.SnapshotWindow = jsii.String(cfg.SnapshotWindow)
	}
	cache := elasticache.NewReplicationGroup(stack, jsii.String("Cache"), props)
	for _, g := range net.GroupsWhere(func(n routes.Needs) bool { return n.Cache }) {
		cache.Connections().AllowDefaultPortFrom(g, jsii.String(capitalized(net.Label(g))+" to "+cfg.Engine))
	}
	cache.Node().DefaultChild().(awselasticache.CfnReplicationGroup).OverrideLogicalId(jsii.String(CacheLogicalID))
	token := cache.AuthSecret().Node().DefaultChild().(awssecretsmanager.CfnSecret)
	token.OverrideLogicalId(jsii.String(CacheSecretLogicalID))
	token.ApplyRemovalPolicy(companionRemovalPolicy(cfg.RemovalPolicy), nil)
	suppress(cache.AuthSecret().Node().DefaultChild(), "AwsSolutions-SMG4",
		"ElastiCache has no managed AUTH rotation: a new token needs a ROTATE then SET update of the replication group, run as a planned change.")
	if !cfg.MultiAZ {
		suppress(cache.Node().DefaultChild(), "AwsSolutions-AEC4", "Stage "+env.Stage+" runs without Multi-AZ by config (cache.multiAz: false); prod is Multi-AZ with replicas.")
	}
	return &CacheStack{Stack: stack, Cache: cache}
}
