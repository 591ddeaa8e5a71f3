package stacks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfront"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudfrontorigins"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/constructs/monitoring"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/plan"
)

// EdgeDeps are the handles and settings the edge stack takes.
type EdgeDeps struct {
	Api *ApiStack
	// StageName is the API stage CloudFront forwards to (api.stageName).
	StageName string
	// Monitoring is the stage's alarm settings: the edge's alarms take
	// their thresholds from it and notify its addresses.
	Monitoring config.Monitoring
}

// EdgeStack is the stage's CloudFront distribution in front of the REST
// API, with its web ACL, logs and alarms: everything CloudFront keeps in
// config.EdgeRegion.
type EdgeStack struct {
	awscdk.Stack
	Distribution awscloudfront.Distribution
	// Firewall is the distribution's web ACL; nil where WAF is off.
	Firewall *Firewall
	// Topic receives the edge's alarms, which must be in the region of
	// CloudFront's metrics.
	Topic      awssns.Topic
	Monitoring *monitoring.Monitoring
}

// priceClasses maps config's price classes to CloudFront's.
var priceClasses = map[string]awscloudfront.PriceClass{
	"PriceClass_100": awscloudfront.PriceClass_PRICE_CLASS_100,
	"PriceClass_200": awscloudfront.PriceClass_PRICE_CLASS_200,
	"PriceClass_All": awscloudfront.PriceClass_PRICE_CLASS_ALL,
}

// NewEdgeStack builds the distribution in front of the API in
// config.EdgeRegion: a cache behaviour per route the gateway caches
// (edgeBehaviors), every other request uncached with all its headers,
// Authorization included; HTTPS only, HTTP/2 and HTTP/3, Brotli and gzip;
// the stage's web ACL; access logs; and the alarms on it all.
func NewEdgeStack(scope constructs.Construct, env Env, cfg config.Edge, wcfg config.WAF, deps EdgeDeps) *EdgeStack {
	stack := newEdgeStack(scope, env, "edge", "Hasivu "+env.Stage+": CloudFront in front of the REST API, its web ACL, logs and alarms")
	s := &EdgeStack{Stack: stack}
	if wcfg.Enabled {
		s.Firewall = newFirewall(stack, env, wcfg, scopeCloudFront, deps.StageName)
	}

	// The API requires the current origin key (originkey.go), read here
	// from its replica in this region. CloudFront sets the header on
	// every origin request, over any value a viewer sends.
	originKey := awscdk.SecretValue_SecretsManager(jsii.String(originKeySecretName(env.Stage, cfg.OriginKeyGeneration)), nil)
	origin := awscloudfrontorigins.NewRestApiOrigin(deps.Api.Api.Api, &awscloudfrontorigins.RestApiOriginProps{
		CustomHeaders: &map[string]*string{OriginKeyHeader: originKey.UnsafeUnwrap()},
		ReadTimeout:   awscdk.Duration_Seconds(jsii.Number(30)),
	})
	// HTTPS only rather than a redirect: an API client that sends a
	// request, with its token or its body, over plain HTTP has already
	// leaked it; a refusal makes the mistake loud.
	headers := securityHeadersPolicy(stack, env)
	uncached := &awscloudfront.BehaviorOptions{
		Origin:                origin,
		ResponseHeadersPolicy: headers,
		ViewerProtocolPolicy:  awscloudfront.ViewerProtocolPolicy_HTTPS_ONLY,
		AllowedMethods:        awscloudfront.AllowedMethods_ALLOW_ALL(),
		CachePolicy:           awscloudfront.CachePolicy_CACHING_DISABLED(),
		// Every viewer header but Host (API Gateway answers only its own
		// name): with caching disabled this forwards Authorization too.
		OriginRequestPolicy: awscloudfront.OriginRequestPolicy_ALL_VIEWER_EXCEPT_HOST_HEADER(),
		Compress:            jsii.Bool(true),
	}
	props := &awscloudfront.DistributionProps{
		Comment:                  jsii.String("Hasivu " + env.Stage + " API"),
		DefaultBehavior:          uncached,
		HttpVersion:              awscloudfront.HttpVersion_HTTP2_AND_3,
		EnableIpv6:               jsii.Bool(true),
		PriceClass:               priceClasses[cfg.PriceClass],
		PublishAdditionalMetrics: jsii.Bool(true),
	}
	if s.Firewall != nil {
		props.WebAclId = s.Firewall.Acl.AttrArn()
	}
	if cfg.DomainName != "" {
		props.DomainNames = jsii.Strings(cfg.DomainName)
		props.Certificate = awscertificatemanager.Certificate_FromCertificateArn(stack, jsii.String("Certificate"), jsii.String(cfg.CertificateArn))
		// TLS 1.3 and 1.2: CloudFront's newest policy that still serves
		// TLS 1.2 clients (TLSv1.3_2025 refuses them), with fewer TLS 1.2
		// ciphers than TLSv1.2_2021.
		props.MinimumProtocolVersion = awscloudfront.SecurityPolicyProtocol_TLS_V1_2_2025
		props.SslSupportMethod = awscloudfront.SSLMethod_SNI
	}
	s.Distribution = awscloudfront.NewDistribution(stack, jsii.String("Distribution"), props)
	for _, b := range edgeBehaviors(routes.Table) {
		opts := awscloudfront.AddBehaviorOptions{
			ViewerProtocolPolicy: uncached.ViewerProtocolPolicy, AllowedMethods: uncached.AllowedMethods, CachePolicy: uncached.CachePolicy,
			OriginRequestPolicy: uncached.OriginRequestPolicy, Compress: uncached.Compress,
			ResponseHeadersPolicy: headers,
		}
		if r := b.Cached; r != nil {
			opts.CachePolicy = edgeCachePolicy(stack, env, *r)
			opts.AllowedMethods = awscloudfront.AllowedMethods_ALLOW_GET_HEAD_OPTIONS()
			opts.CachedMethods = awscloudfront.CachedMethods_CACHE_GET_HEAD()
			// The preflight's headers, outside the cache key: a cached
			// answer never depends on its caller's origin, and an OPTIONS
			// request, which is not cached, reaches the gateway's CORS.
			opts.OriginRequestPolicy = awscloudfront.OriginRequestPolicy_CORS_S3_ORIGIN()
		}
		s.Distribution.AddBehavior(jsii.String(b.Pattern), origin, &opts)
	}
	cfn := s.Distribution.Node().DefaultChild()
	suppress(cfn, "AwsSolutions-CFR1", "Parents order from wherever they are; the web ACL's IP reputation list and rate limits handle abuse.")
	suppress(cfn, "AwsSolutions-CFR3", "Access logs go through CloudWatch Logs' delivery (standard logging v2, AccessLogs in this stack), which the rule does not read; it checks only the legacy S3 logging.")
	if cfg.DomainName == "" {
		suppress(cfn, "AwsSolutions-CFR4", "No domain in this stage's config: the distribution's *.cloudfront.net certificate, whose minimum CloudFront fixes at TLSv1 whatever the template says. Name a domain and certificate (edge.domainName, edge.certificateArn) for TLS 1.2.")
	}
	if s.Firewall == nil {
		suppress(cfn, "AwsSolutions-CFR2", "This stage's config turns WAF off (waf.enabled: false).")
	}
	edgeAccessLogs(stack, env, cfg, s.Distribution)

	s.Topic = alarmTopic(stack, env, deps.Monitoring, "hasivu-"+env.Stage+"-edge-alarms", " in "+config.EdgeRegion)
	s.Monitoring = monitoring.NewMonitoring(stack, jsii.String("Monitoring"), &monitoring.MonitoringProps{
		Name:   jsii.String("hasivu-" + env.Stage + "-edge"),
		Topic:  s.Topic,
		Period: awscdk.Duration_Seconds(jsii.Number(deps.Monitoring.PeriodSeconds)),
		// The stage's dashboard (the monitoring stack's) draws the edge
		// already; a second one here would cost $3 a month to repeat it.
		DrawnOn: jsii.String(dashboardName(env.Stage)),
		Edge:    s.edgeProps(deps.Monitoring, false),
	})

	url := "https://" + *s.Distribution.DistributionDomainName() + "/"
	if cfg.DomainName != "" {
		url = "https://" + cfg.DomainName + "/"
	}
	awscdk.NewCfnOutput(stack, jsii.String("EdgeUrl"), &awscdk.CfnOutputProps{Value: jsii.String(url), Description: jsii.String("Base URL of the API through CloudFront")})
	awscdk.NewCfnOutput(stack, jsii.String("EdgeDomainName"), &awscdk.CfnOutputProps{
		Value: s.Distribution.DistributionDomainName(), Description: jsii.String("Where edge.domainName's DNS record (CNAME or alias) points"),
	})
	return s
}

// edgeProps is the edge segment of a dashboard: the distribution, its web
// ACL, the thresholds from config and the plan's targets.
func (s *EdgeStack) edgeProps(cfg config.Monitoring, alarmsElsewhere bool) *monitoring.EdgeProps {
	th := thresholds(cfg)
	p := &monitoring.EdgeProps{
		Distribution:     cloudFrontMetrics{s.Distribution.DistributionId()},
		ErrorRate:        th("edge5xxRatePercent"),
		ErrorRateTarget:  plan.ErrorRatePercent,
		LatencyP95Target: plan.APIP95,
		AlarmsElsewhere:  alarmsElsewhere,
	}
	if s.Firewall != nil {
		p.Firewall, p.Blocked = firewallMetrics{s.Firewall}, th("wafBlockedRequests")
	}
	return p
}

// edgeCachePolicy is the cache policy of a route the edge caches: its key
// holds exactly the route's gateway cache key (the path, and the query
// strings and headers it names) and the normalised Accept-Encoding, for
// the route's TTL. A min TTL of 0 lets an answer the origin marks
// no-store (an error) go uncached.
func edgeCachePolicy(stack awscdk.Stack, env Env, r routes.Route) awscloudfront.CachePolicy {
	query, headers := edgeCacheKey(r)
	qs, hs := awscloudfront.CacheQueryStringBehavior_None(), awscloudfront.CacheHeaderBehavior_None()
	if len(query) > 0 {
		qs = awscloudfront.CacheQueryStringBehavior_AllowList(*jsii.Strings(query...)...)
	}
	if len(headers) > 0 {
		hs = awscloudfront.CacheHeaderBehavior_AllowList(*jsii.Strings(headers...)...)
	}
	ttl := awscdk.Duration_Seconds(jsii.Number(r.CacheTTL.Seconds()))
	name := routeName(r)
	return awscloudfront.NewCachePolicy(stack, jsii.String("Cache"+name), &awscloudfront.CachePolicyProps{
		CachePolicyName:            jsii.String("hasivu-" + env.Stage + "-" + name),
		Comment:                    jsii.String(fmt.Sprintf("%s %s: key %s", r.Method, r.Path, strings.Join(r.CacheKey, ", "))),
		DefaultTtl:                 ttl,
		MaxTtl:                     ttl,
		MinTtl:                     awscdk.Duration_Seconds(jsii.Number(0)),
		QueryStringBehavior:        qs,
		HeaderBehavior:             hs,
		CookieBehavior:             awscloudfront.CacheCookieBehavior_None(),
		EnableAcceptEncodingGzip:   jsii.Bool(true),
		EnableAcceptEncodingBrotli: jsii.Bool(true),
	})
}

// securityHeadersPolicy is the response headers policy of every
// behaviour: X-Content-Type-Options: nosniff and Strict-Transport-Security
// (routes.HSTSMaxAge, subdomains included) on every answer the edge gives,
// over whatever the origin sent. The API's answers carry them already
// (the functions' and the gateway responses'); the policy adds them to
// what only CloudFront answers: its own errors, the web ACL's blocks and
// the API's CORS preflights. Cache-Control is left to the origin: public
// cached answers carry none, the others no-store.
func securityHeadersPolicy(stack awscdk.Stack, env Env) awscloudfront.ResponseHeadersPolicy {
	return awscloudfront.NewResponseHeadersPolicy(stack, jsii.String("SecurityHeaders"), &awscloudfront.ResponseHeadersPolicyProps{
		ResponseHeadersPolicyName: jsii.String("hasivu-" + env.Stage + "-security-headers"),
		Comment:                   jsii.String("nosniff and HSTS on every answer"),
		SecurityHeadersBehavior: &awscloudfront.ResponseSecurityHeadersBehavior{
			ContentTypeOptions: &awscloudfront.ResponseHeadersContentTypeOptions{Override: jsii.Bool(true)},
			StrictTransportSecurity: &awscloudfront.ResponseHeadersStrictTransportSecurity{
				AccessControlMaxAge: awscdk.Duration_Seconds(jsii.Number(routes.HSTSMaxAge.Seconds())),
				IncludeSubdomains:   jsii.Bool(true),
				Override:            jsii.Bool(true),
			},
		},
	})
}

// routeName is a route as a name: "GET /schools/{schoolId}" →
// "GetSchoolsSchoolId".
func routeName(r routes.Route) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(r.Method[:1]) + strings.ToLower(r.Method[1:]))
	for _, part := range regexp.MustCompile(`[A-Za-z0-9]+`).FindAllString(r.Path, -1) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// edgeAccessLogs delivers the distribution's access logs (standard
// logging v2) as JSON to a log group kept edge.logRetentionDays.
// CloudFront takes log deliveries only in us-east-1, where this stack is.
func edgeAccessLogs(stack awscdk.Stack, env Env, cfg config.Edge, d awscloudfront.Distribution) {
	logs := awslogs.NewLogGroup(stack, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/cloudfront/hasivu-" + env.Stage),
		Retention:     retention(cfg.LogRetentionDays),
		RemovalPolicy: retained,
	})
	source := awslogs.NewCfnDeliverySource(stack, jsii.String("AccessLogSource"), &awslogs.CfnDeliverySourceProps{
		Name: jsii.String("hasivu-" + env.Stage + "-cloudfront"), LogType: jsii.String("ACCESS_LOGS"), ResourceArn: d.DistributionArn(),
	})
	destination := awslogs.NewCfnDeliveryDestination(stack, jsii.String("AccessLogDestination"), &awslogs.CfnDeliveryDestinationProps{
		Name: jsii.String("hasivu-" + env.Stage + "-cloudfront-logs"), DestinationResourceArn: logGroupArn(stack, logs), OutputFormat: jsii.String("json"),
	})
	// Ref of the source is its name, so the delivery waits for it.
	awslogs.NewCfnDelivery(stack, jsii.String("AccessLogDelivery"), &awslogs.CfnDeliveryProps{
		DeliverySourceName: source.Ref(), DeliveryDestinationArn: destination.AttrArn(),
	})
}

// cloudFrontMetrics are a distribution's figures as CloudFront publishes
// them: in us-east-1, with the dimensions DistributionId and Region
// "Global" (CDK's Distribution.metric… leave the second out, aws-cdk
// issue 19245, and read nothing).
type cloudFrontMetrics struct{ distributionID *string }

var _ monitoring.Distribution = cloudFrontMetrics{}

// Metric is one of CloudFront's distribution metrics.
func (c cloudFrontMetrics) Metric(name, stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("AWS/CloudFront"), MetricName: jsii.String(name),
		DimensionsMap: &map[string]*string{"DistributionId": c.distributionID, "Region": jsii.String("Global")},
		Statistic:     jsii.String(stat), Label: jsii.String(label), Period: period, Region: jsii.String(config.EdgeRegion),
	})
}
