package stacks

import (
	"maps"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambdabuild"
)

// Platform is one stage's set of stacks, in dependency order.
type Platform struct {
	Network *NetworkStack
	Data    *DataStack
	Cache   *CacheStack
	Api     *ApiStack
	// Edge is nil where the stage has no distribution.
	Edge       *EdgeStack
	Monitoring *MonitoringStack
}

// NewPlatform builds every stack of the stage described by cfg under scope,
// with the Lambda code in bundle, and tags all their resources with the
// stage's tags.
func NewPlatform(scope constructs.Construct, cfg *config.Stage, bundle *lambdabuild.Bundle) *Platform {
	env := EnvOf(cfg)
	for _, k := range slices.Sorted(maps.Keys(cfg.Tags)) {
		awscdk.Tags_Of(scope).Add(jsii.String(k), jsii.String(cfg.Tags[k]), nil)
	}
	p := &Platform{}
	p.Network = NewNetworkStack(scope, env, cfg.Network)
	p.Data = NewDataStack(scope, env, cfg.Database, p.Network)
	p.Cache = NewCacheStack(scope, env, cfg.Cache, p.Network)
	p.Api = NewApiStack(scope, env, cfg.Functions, cfg.API, cfg.Edge, cfg.WAF, ApiDeps{Network: p.Network, Data: p.Data, Cache: p.Cache, Bundle: bundle})
	if cfg.Edge.Enabled {
		p.Edge = NewEdgeStack(scope, env, cfg.Edge, cfg.WAF, EdgeDeps{Api: p.Api, StageName: cfg.API.StageName, Monitoring: cfg.Monitoring})
	}
	p.Monitoring = NewMonitoringStack(scope, env, cfg.Monitoring, MonitoringDeps{
		Data: p.Data, Cache: p.Cache, Api: p.Api, Functions: cfg.Functions, CacheCluster: cfg.API.CacheSizeGiB > 0, Edge: p.Edge,
	})
	return p
}

// Stacks lists the platform's stacks in dependency order.
func (p *Platform) Stacks() []awscdk.Stack {
	out := []awscdk.Stack{p.Network.Stack, p.Data.Stack, p.Cache.Stack, p.Api.Stack}
	if p.Edge != nil {
		out = append(out, p.Edge.Stack)
	}
	return append(out, p.Monitoring.Stack)
}
