package stacks

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/jsii-runtime-go"
)

func TestReplicationGroup(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		c := s.cfg.Cache
		tmpl := s.template(s.platform.Cache.Stack)
		snapshots := interface{}(assertions.Match_Absent())
		if c.SnapshotRetentionDays > 0 {
			snapshots = c.SnapshotWindow
		}
		check(t, "replication group", func() {
			tmpl.HasResource(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]interface{}{
				"DeletionPolicy": deletionPolicies[c.RemovalPolicy],
				"Properties": assertions.Match_ObjectLike(&map[string]interface{}{
					"ReplicationGroupId":       "hasivu-" + s.cfg.Name,
					"Engine":                   c.Engine,
					"EngineVersion":            c.EngineVersion,
					"CacheNodeType":            c.NodeType,
					"NumCacheClusters":         c.Replicas + 1,
					"AutomaticFailoverEnabled": c.Replicas > 0,
					"MultiAZEnabled":           c.MultiAZ,
					"Port":                     c.Port,
					"AtRestEncryptionEnabled":  true,
					"TransitEncryptionEnabled": true,
					"TransitEncryptionMode":    "required",
					"AuthToken":                assertions.Match_ObjectLike(&map[string]interface{}{"Fn::Join": assertions.Match_AnyValue()}),
					"SnapshotRetentionLimit":   c.SnapshotRetentionDays,
					"SnapshotWindow":           snapshots,
					"LogDeliveryConfigurations": []interface{}{assertions.Match_ObjectLike(&map[string]interface{}{
						"LogType": "slow-log", "DestinationType": "cloudwatch-logs",
					})},
				}),
			})
		})
		check(t, "parameter group", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::ElastiCache::ParameterGroup"), map[string]interface{}{
				"CacheParameterGroupFamily": c.Engine + "8",
				"Properties": map[string]interface{}{
					"maxmemory-policy": c.MaxmemoryPolicy, "lazyfree-lazy-eviction": "yes", "timeout": "300",
				},
			})
		})
		for id, typ := range map[string]string{CacheLogicalID: "AWS::ElastiCache::ReplicationGroup", CacheSecretLogicalID: "AWS::SecretsManager::Secret"} {
			if _, ok := resources(tmpl, typ)[id]; !ok {
				t.Errorf("no %s with the pinned logical ID %s", typ, id)
			}
		}
		// The cache admits, on its port, the group of the functions that
		// cache, the payment functions' where one caches (not migrate's) and
		// the previous release's, and nothing else.
		ingress := resources(tmpl, "AWS::EC2::SecurityGroupIngress")
		n := s.platform.Network
		groups := []awsec2.SecurityGroup{n.Functions, n.Previous}
		if paymentsCache {
			groups = append(groups, n.Payments)
		}
		if len(ingress) != len(groups) {
			t.Fatalf("cache ingress rules = %d, want %d (from the functions that cache and the previous release's)", len(ingress), len(groups))
		}
		for _, g := range groups {
			check(t, "ingress from "+n.Label(g), func() {
				tmpl.HasResourceProperties(jsii.String("AWS::EC2::SecurityGroupIngress"), map[string]interface{}{
					"FromPort": c.Port, "ToPort": c.Port, "IpProtocol": "tcp",
					"SourceSecurityGroupId": map[string]interface{}{"Fn::GetStackOutput": assertions.Match_ObjectLike(&map[string]interface{}{
						"StackName":  *n.StackName(),
						"OutputName": assertions.Match_StringLikeRegexp(jsii.String("FnGetAtt" + logicalID(g) + "GroupId")),
					})},
				})
			})
		}
	})
}

// TestCacheShapes: prod fails over to a replica in another zone, dev is
// one node.
func TestCacheShapes(t *testing.T) {
	prod, dev := stages["prod"], stages["dev"]
	check(t, "prod cache", func() {
		prod.template(prod.platform.Cache.Stack).HasResourceProperties(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]interface{}{
			"CacheNodeType": "cache.t4g.small", "NumCacheClusters": 2, "AutomaticFailoverEnabled": true, "MultiAZEnabled": true,
		})
	})
	check(t, "dev cache", func() {
		dev.template(dev.platform.Cache.Stack).HasResourceProperties(jsii.String("AWS::ElastiCache::ReplicationGroup"), map[string]interface{}{
			"NumCacheClusters": 1, "AutomaticFailoverEnabled": false, "MultiAZEnabled": false,
		})
	})
}
