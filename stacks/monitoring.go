package stacks

import (
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
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

	// CloudWatch cannot publish to a topic under the AWS-managed SNS key,
	// so the topic has its own key that CloudWatch may use.
	key := awskms.NewKey(stack, jsii.String("AlarmTopicKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the Hasivu " + env.Stage + " alarm topic"),
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
	s.Topic = awssns.NewTopic(stack, jsii.String("Alarms"), &awssns.TopicProps{
		TopicName:   jsii.String("hasivu-" + env.Stage + "-alarms"),
		DisplayName: jsii.String("Hasivu " + env.Stage + " alarms"),
		MasterKey:   key,
		EnforceSSL:  jsii.Bool(true),
	})
	for _, email := range cfg.AlarmEmails {
		s.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(email), nil))
	}
	for _, url := range cfg.AlarmWebhooks {
		s.Topic.AddSubscription(awssnssubscriptions.NewUrlSubscription(jsii.String(url), &awssnssubscriptions.UrlSubscriptionProps{
			Protocol: awssns.SubscriptionProtocol_HTTPS,
		}))
	}

	th := func(name string) monitoring.Threshold {
		a := cfg.Alarm(name)
		return monitoring.Threshold{Value: a.Threshold, EvaluationPeriods: a.EvaluationPeriods}
	}
	ns := metrics.Namespace(env.Stage)
	m := monitoring.NewMonitoring(stack, jsii.String("Monitoring"), &monitoring.MonitoringProps{
		Name:   jsii.String("hasivu-" + env.Stage),
		Topic:  s.Topic,
		Period: awscdk.Duration_Seconds(jsii.Number(cfg.PeriodSeconds)),
	})
	m.AddApi(monitoring.ApiProps{
		Stage: deps.Api.Api.Api.DeploymentStage(), Cached: deps.CacheCluster,
		LatencyP95: th("apiLatencyP95Ms"), ErrorRate: th("errorRatePercent"), ServerErrors: th("api5xxCount"),
	})
	var fns []monitoring.Function
	for _, name := range routes.Deployed() {
		fns = append(fns, monitoring.Function{
			Name: name, Alias: deps.Api.Functions[name].Alias,
			Provisioned: deps.Functions.Of(name).ProvisionedConcurrency > 0,
		})
	}
	m.AddFunctions(monitoring.FunctionsProps{
		Functions: fns, Namespace: ns, Insights: deps.Functions.Insights,
		ColdStart: th("coldStartMs"), Throttles: th("functionThrottles"), Spillover: th("spilloverInvocations"),
	})
	m.AddCache(monitoring.CacheProps{
		Group: deps.Cache.Cache, Namespace: ns,
		HitRate: th("cacheHitRatePercent"), Memory: th("cacheMemoryPercent"), Evictions: th("cacheEvictionsCount"),
	})
	m.AddDatabase(monitoring.DatabaseProps{
		Instance: deps.Data.Instance, Proxy: deps.Data.Proxy, Namespace: ns,
		QueryP95: th("databaseQueryP95Ms"), CPU: th("databaseCpuPercent"), FreeStorageGiB: th("databaseFreeStorageGiB"),
		RotationFunction: deps.Data.RotationFunctionName, RotationErrors: th("rotationErrorsCount"),
	})
	m.AddPayments(monitoring.PaymentsProps{Namespace: ns, RefundDue: th("refundDueCount"), SecretFailures: th("secretFailuresCount")})
	m.Finish(heading(env.Stage, cfg))
	s.Monitoring = m
	return s
}

// heading is the dashboard's first line: the stage and the plan's targets.
func heading(stage string, cfg config.Monitoring) string {
	targets := []string{
		"API p95 < " + num(cfg.Alarm("apiLatencyP95Ms").Threshold) + " ms",
		"errors < " + num(cfg.Alarm("errorRatePercent").Threshold) + " %",
		"DB query p95 < " + num(cfg.Alarm("databaseQueryP95Ms").Threshold) + " ms",
		"cache hit rate > " + num(cfg.Alarm("cacheHitRatePercent").Threshold) + " %",
		"cold start < " + num(cfg.Alarm("coldStartMs").Threshold) + " ms",
	}
	return "# Hasivu " + stage + "\nTargets: " + strings.Join(targets, " · ") +
		". Read top-down: alarms, then API, functions, cache, database, payments."
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
