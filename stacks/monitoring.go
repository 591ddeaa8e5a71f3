package stacks

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/constructs/monitoring"
	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/plan"
)

// MonitoringDeps are the stacks the monitoring stack watches.
type MonitoringDeps struct {
	Data  *DataStack
	Cache *CacheStack
	Api   *ApiStack
	// Functions is the stage's functions config (provisioned concurrency,
	// Insights).
	Functions config.Functions
	// CacheCluster says the API has a gateway cache cluster.
	CacheCluster bool
	// Edge is the distribution in front of the API; nil where the stage
	// has none. Its figures are drawn here, its alarms are in its stack.
	Edge *EdgeStack
}

// MonitoringStack is the stage's dashboard, alarms and alarm topic.
type MonitoringStack struct {
	awscdk.Stack
	// Topic receives every alarm and recovery.
	Topic      awssns.Topic
	Monitoring *monitoring.Monitoring
}

// NewMonitoringStack builds the dashboard and the alarm set with the
// stage's thresholds, all notifying one encrypted topic.
func NewMonitoringStack(scope constructs.Construct, env Env, cfg config.Monitoring, deps MonitoringDeps) *MonitoringStack {
	stack := newStack(scope, env, "monitoring", "Hasivu "+env.Stage+": dashboard, alarms, alarm topic", false)
	s := &MonitoringStack{Stack: stack}
	s.Topic = alarmTopic(stack, env, cfg, "hasivu-"+env.Stage+"-alarms", "")
	th := thresholds(cfg)
	ns := metrics.Namespace(env.Stage)
	var fns []monitoring.Function
	for _, name := range routes.Deployed() {
		fns = append(fns, monitoring.Function{
			Name: name, Alias: deps.Api.Functions[name].Alias,
			Provisioned: deps.Functions.Of(name).ProvisionedConcurrency > 0,
		})
	}
	m := monitoring.NewMonitoring(stack, jsii.String("Monitoring"), &monitoring.MonitoringProps{
		Name:    jsii.String(dashboardName(env.Stage)),
		Topic:   s.Topic,
		Period:  awscdk.Duration_Seconds(jsii.Number(cfg.PeriodSeconds)),
		Heading: jsii.String(heading(env.Stage, cfg, deps.Edge != nil || deps.Api.Firewall != nil)),
		Edge:    edgeSegment(cfg, deps),
		Api: &monitoring.ApiProps{
			Stage: deps.Api.Api.Api.DeploymentStage(), Cached: deps.CacheCluster,
			LatencyP95: th("apiLatencyP95Ms"), ErrorRate: th("errorRatePercent"), ServerErrors: th("api5xxCount"),
			LatencyP95Target: plan.APIP95, ErrorRateTarget: plan.ErrorRatePercent,
		},
		Functions: &monitoring.FunctionsProps{
			Functions: fns, Insights: deps.Functions.Insights,
			ColdStartMetric: emitted{ns, metrics.ColdStartDuration, metrics.DimFunction},
			DurationMetric:  emitted{ns, metrics.OperationDuration, metrics.DimFunction},
			ErrorsMetric:    emitted{ns, metrics.OperationErrors, metrics.DimFunction},
			SignIn: &monitoring.SignIn{
				Succeeded:      emitted{ns, metrics.LoginSucceeded, ""},
				PasswordVerify: emitted{ns, metrics.PasswordVerifyDuration, ""},
				TokenIssue:     emitted{ns, metrics.TokenIssueDuration, ""},
			},
			ColdStart: th("coldStartMs"), Throttles: th("functionThrottles"), Spillover: th("spilloverInvocations"),
			WarmTarget: plan.Warm, ColdStartTarget: plan.ColdStart, DurationAxis: plan.DurationAxis,
		},
		Cache: &monitoring.CacheProps{
			Group:        deps.Cache.Cache,
			HitsMetric:   emitted{ns, metrics.CacheHits, metrics.DimCache},
			MissesMetric: emitted{ns, metrics.CacheMisses, metrics.DimCache},
			ErrorsMetric: emitted{ns, metrics.CacheErrors, metrics.DimCache},
			HitRate:      th("cacheHitRatePercent"), Memory: th("cacheMemoryPercent"), Evictions: th("cacheEvictionsCount"),
			HitRateTarget: plan.CacheHitRatePercent,
		},
		Database: &monitoring.DatabaseProps{
			Instance: deps.Data.Instance, Proxy: deps.Data.Proxy,
			QueryDurationMetric: emitted{ns, metrics.QueryDuration, metrics.DimQuery},
			QueryP95:            th("databaseQueryP95Ms"), CPU: th("databaseCpuPercent"), FreeStorageGiB: th("databaseFreeStorageGiB"),
			RotationFunction: deps.Data.RotationFunctionName, RotationErrors: th("rotationErrorsCount"),
			QueryP95Target: plan.DatabaseP95,
		},
		Payments: &monitoring.PaymentsProps{
			RefundDueMetric:      emitted{ns, metrics.PaymentsRefundDue, metrics.DimReason},
			SecretFailuresMetric: emitted{ns, metrics.SecretFailures, metrics.DimSecret},
			RefundDue:            th("refundDueCount"), SecretFailures: th("secretFailuresCount"),
		},
		Security: securitySegment(ns, deps, th),
	})
	s.Monitoring = m
	return s
}

// alarmTopic is an encrypted SNS topic that CloudWatch alarms may
// publish to, subscribed by the stage's alarm addresses and webhooks:
// each region with alarms has one, as an alarm notifies only a topic of
// its own region. where tells it from the stage's own topic, " in
// us-east-1"; empty for that one.
func alarmTopic(stack awscdk.Stack, env Env, cfg config.Monitoring, name, where string) awssns.Topic {
	// CloudWatch cannot publish to a topic under the AWS-managed SNS key,
	// so the topic has its own key that CloudWatch may use.
	key := awskms.NewKey(stack, jsii.String("AlarmTopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the Hasivu " + env.Stage + " alarm topic" + where),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
	})
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchAlarmsPublish"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": env.Account}},
	}), nil)
	topic := awssns.NewTopic(stack, jsii.String("Alarms"), &awssns.TopicProps{
		TopicName:   jsii.String(name),
		DisplayName: jsii.String("Hasivu " + env.Stage + " alarms" + where),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	for _, email := range cfg.AlarmEmails {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}
	for _, url := range cfg.AlarmWebhooks {
		topic.AddSubscription(awssnssubscriptions.NewUrlSubscription(jsii.String(url), &awssnssubscriptions.UrlSubscriptionProps{
			Protocol: awssns.SubscriptionProtocol_HTTPS,
		}))
	}
	return topic
}

// thresholds reads an alarm's setting from config as the monitoring
// construct takes it, with the alarm's own period (config.DefaultAlarms
// says which alarms judge longer periods than the stage's and why).
func thresholds(cfg config.Monitoring) func(name string) monitoring.Threshold {
	return func(name string) monitoring.Threshold {
		a := cfg.Alarm(name)
		return monitoring.Threshold{Value: a.Threshold, EvaluationPeriods: a.EvaluationPeriods,
			Period: awscdk.Duration_Seconds(jsii.Number(a.PeriodSeconds))}
	}
}

// edgeSegment is what the dashboard draws of the stage's front door: the
// distribution and its web ACL, whose alarms live in their own region
// (EdgeStack), or the web ACL on the API stage, alarmed here; nil where
// the stage has neither.
func edgeSegment(cfg config.Monitoring, deps MonitoringDeps) *monitoring.EdgeProps {
	switch {
	case deps.Edge != nil:
		return deps.Edge.edgeProps(cfg, true)
	case deps.Api.Firewall != nil:
		return &monitoring.EdgeProps{Firewall: firewallMetrics{deps.Api.Firewall}, Blocked: thresholds(cfg)("wafBlockedRequests")}
	}
	return nil
}

// heading is the dashboard's first line: the stage and the plan's
// targets, and the order of its rows.
func heading(stage string, cfg config.Monitoring, edge bool) string {
	targets := []string{
		"API p95 < " + num(cfg.Alarm("apiLatencyP95Ms").Threshold) + " ms",
		"errors < " + num(cfg.Alarm("errorRatePercent").Threshold) + " %",
		"DB query p95 < " + num(cfg.Alarm("databaseQueryP95Ms").Threshold) + " ms",
		"cache hit rate > " + num(cfg.Alarm("cacheHitRatePercent").Threshold) + " %",
		"cold start < " + num(cfg.Alarm("coldStartMs").Threshold) + " ms",
	}
	rows := "alarms, then API, functions, cache, database, payments"
	if edge {
		rows = "alarms, then edge, API, functions, cache, database, payments"
	}
	return "# Hasivu " + stage + "\nTargets: " + strings.Join(targets, " · ") + ". Read top-down: " + rows + "."
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// emitted is a metric of the lambda/metrics catalog as the dashboard reads
// it: in the stage's namespace, for the whole stage or broken down by one
// of its dimensions. It refuses a dimension set the catalog does not
// declare, so a graph or an alarm can only read what the functions emit.
type emitted struct {
	namespace string
	metric    metrics.Metric
	// by is the dimension Of and Each break the metric down by.
	by string
}

var _ monitoring.MetricSource = emitted{}

// Total is the metric published without dimensions.
func (e emitted) Total(stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	return e.read(nil, stat, label, period)
}

// Of is the metric for one value of e.by.
func (e emitted) Of(value, stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	return e.read(map[string]string{e.by: value}, stat, label, period)
}

// Each searches the metric for every value of e.by, whatever values the
// functions emit.
func (e emitted) Each(stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	e.mustDeclare([]string{e.by})
	secs := int(*period.ToSeconds(nil))
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String(fmt.Sprintf(`SEARCH('{%s,%s} MetricName="%s"', '%s', %d)`, e.namespace, e.by, e.metric.Name, stat, secs)),
		UsingMetrics: &map[string]awscloudwatch.IMetric{},
		Label:        jsii.String(label),
		Period:       period,
	})
}

func (e emitted) read(dims map[string]string, stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	e.mustDeclare(slices.Collect(maps.Keys(dims)))
	props := &awscloudwatch.MetricProps{
		Namespace: jsii.String(e.namespace), MetricName: jsii.String(e.metric.Name),
		Statistic: jsii.String(stat), Label: jsii.String(label), Period: period,
	}
	if len(dims) > 0 {
		d := map[string]*string{}
		for k, v := range dims {
			d[k] = jsii.String(v)
		}
		props.DimensionsMap = &d
	}
	return awscloudwatch.NewMetric(props)
}

// mustDeclare panics unless the catalog declares the metric with exactly
// the dimension names dims, in any order.
func (e emitted) mustDeclare(dims []string) {
	slices.Sort(dims)
	if !slices.ContainsFunc(e.metric.Dimensions, func(set []string) bool {
		return slices.Equal(slices.Sorted(slices.Values(set)), dims)
	}) {
		panic(fmt.Sprintf("stacks: %s is not emitted with dimensions %v (declared: %v)", e.metric.Name, dims, e.metric.Dimensions))
	}
}

// securitySegment is the monitoring row of refused credentials: the
// functions' 401 answers against the API's requests, and webhook
// deliveries with a bad signature (issue 18).
func securitySegment(ns string, deps MonitoringDeps, th func(string) monitoring.Threshold) *monitoring.SecurityProps {
	return &monitoring.SecurityProps{
		Stage:                  deps.Api.Api.Api.DeploymentStage(),
		UnauthorizedMetric:     emitted{ns, metrics.Unauthorized, ""},
		WebhookSignatureMetric: emitted{ns, metrics.WebhookSignatureFailures, ""},
		UnauthorizedRate:       th("unauthorizedRatePercent"),
		WebhookSignature:       th("webhookSignatureFailuresCount"),
	}
}

// dashboardName names a stage's dashboard, which draws every stack's
// figures, the edge's too; its alarms carry the same prefix.
func dashboardName(stage string) string { return "hasivu-" + stage }
