package monitoring

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/jsii-runtime-go"
)

const (
	above     = awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD
	atOrAbove = awscloudwatch.ComparisonOperator_GREATER_THAN_OR_EQUAL_TO_THRESHOLD
	below     = awscloudwatch.ComparisonOperator_LESS_THAN_THRESHOLD
	notBreach = awscloudwatch.TreatMissingData_NOT_BREACHING
	breach    = awscloudwatch.TreatMissingData_BREACHING
	gib       = 1 << 30
	// minReadsForHitRate is the fewest cache reads in a period for the
	// hit-rate alarm to judge it.
	minReadsForHitRate = 50
	fullWidth          = 24
	halfWidth          = 12
	thirdWidth         = 8
)

func (m *Monitoring) math(expression, label string, using map[string]awscloudwatch.IMetric) awscloudwatch.MathExpression {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(expression), UsingMetrics: &using, Label: jsii.String(label), Period: m.period,
	})
}

func metricsOf(ms ...awscloudwatch.IMetric) []awscloudwatch.IMetric { return ms }

// ms is a target time as the graphs plot it, in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// spoken is a target time as the dashboard's text gives it: "300 ms",
// "1 s".
func spoken(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%d s", d/time.Second)
	}
	return fmt.Sprintf("%v ms", ms(d))
}

// ApiStage is an API Gateway stage's metrics, as an awsapigateway.Stage
// has them.
type ApiStage interface {
	MetricLatency(*awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricIntegrationLatency(*awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricCount(*awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricClientError(*awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricServerError(*awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricCacheHitCount(*awscloudwatch.MetricOptions) awscloudwatch.Metric
	MetricCacheMissCount(*awscloudwatch.MetricOptions) awscloudwatch.Metric
}

// ApiProps is what the API segment watches.
type ApiProps struct {
	// Stage is the API's deployment stage. Required.
	Stage ApiStage
	// Cached says the stage has a cache cluster, so its hit rate matters.
	Cached bool
	// LatencyP95 (ms), ErrorRate (percent of requests answered 5XX) and
	// ServerErrors (5XX responses per period) fire the alarms. Required.
	LatencyP95, ErrorRate, ServerErrors Threshold
	// LatencyP95Target and ErrorRateTarget (percent) are the service's
	// targets, which the dashboard and the alarms name. Required.
	LatencyP95Target time.Duration
	ErrorRateTarget  float64
}

func (p *ApiProps) validate(ps *problems) {
	ps.required("Api.Stage", p.Stage != nil)
	ps.threshold("Api.LatencyP95", p.LatencyP95, nonNegative)
	ps.threshold("Api.ErrorRate", p.ErrorRate, percent)
	ps.threshold("Api.ServerErrors", p.ServerErrors, nonNegative)
	ps.target("Api.LatencyP95Target", p.LatencyP95Target)
	ps.percentTarget("Api.ErrorRateTarget", p.ErrorRateTarget)
}

// addApi adds the API row: latency percentiles, integration latency,
// traffic and errors, the gateway cache's hit rate; and its alarms.
func (m *Monitoring) addApi(p ApiProps) {
	s := p.Stage
	stat := func(metric func(*awscloudwatch.MetricOptions) awscloudwatch.Metric, statistic, label string) awscloudwatch.Metric {
		return metric(&awscloudwatch.MetricOptions{Statistic: jsii.String(statistic), Label: jsii.String(label), Period: m.period})
	}
	latencyP95 := stat(s.MetricLatency, "p95", "p95")
	requests := stat(s.MetricCount, "Sum", "requests")
	errors5xx := stat(s.MetricServerError, "Sum", "5XX")
	errorRate := m.math("IF(r > 0, 100 * e / r, 0)", "5XX % of requests", map[string]awscloudwatch.IMetric{"e": errors5xx, "r": requests})

	m.section("API", fmt.Sprintf("What users see: API Gateway latency against the plan's %s p95, errors against its %v %%.",
		spoken(p.LatencyP95Target), p.ErrorRateTarget))
	widgets := []awscloudwatch.IWidget{
		m.graph("API latency (ms)", thirdWidth, metricsOf(stat(s.MetricLatency, "Average", "avg"), latencyP95, stat(s.MetricLatency, "p99", "p99")),
			limit("p95 target", p.LatencyP95.Value)),
		m.graph("Integration latency (ms)", thirdWidth, metricsOf(stat(s.MetricIntegrationLatency, "Average", "avg"),
			stat(s.MetricIntegrationLatency, "p95", "p95"), stat(s.MetricIntegrationLatency, "p99", "p99"))),
		m.graph("Requests and errors", thirdWidth, metricsOf(requests, stat(s.MetricClientError, "Sum", "4XX"), errors5xx)),
		m.graph("Error rate (%)", halfWidth, metricsOf(errorRate), limit("target", p.ErrorRate.Value)),
	}
	if p.Cached {
		hitRate := m.math("IF(h + m > 0, 100 * h / (h + m), 100)", "gateway cache hit %", map[string]awscloudwatch.IMetric{
			"h": stat(s.MetricCacheHitCount, "Sum", "hits"), "m": stat(s.MetricCacheMissCount, "Sum", "misses"),
		})
		widgets = append(widgets, m.graph("API Gateway cache hit rate (%)", halfWidth, metricsOf(hitRate)))
	}
	m.row(widgets...)

	m.alarm(alarmSpec{Name: "apiLatencyP95Ms", Metric: latencyP95, Threshold: p.LatencyP95, Comparison: above, Missing: notBreach, Critical: true,
		Description: fmt.Sprintf("API p95 latency above %v ms (plan target %s). Check the Functions and Database rows for the slow part.", p.LatencyP95.Value, spoken(p.LatencyP95Target))})
	m.alarm(alarmSpec{Name: "errorRatePercent", Metric: errorRate, Threshold: p.ErrorRate, Comparison: above, Missing: notBreach, Critical: true,
		Description: fmt.Sprintf("More than %v %% of API requests end in 5XX (plan target %v %%). Function errors and throttles are in the Functions row.", p.ErrorRate.Value, p.ErrorRateTarget)})
	m.alarm(alarmSpec{Name: "api5xxCount", Metric: errors5xx, Threshold: p.ServerErrors, Comparison: atOrAbove, Missing: notBreach, Critical: true,
		Description: fmt.Sprintf("At least %v API responses were 5XX in one period.", p.ServerErrors.Value)})
}

// Function is one function the functions segment watches.
type Function struct {
	// Name is the function's name on the dashboard and the value of its
	// own metrics' dimension (FunctionsProps' metric sources).
	Name  string
	Alias awslambda.IAlias
	// Provisioned says its alias has provisioned concurrency.
	Provisioned bool
}

// FunctionsProps is what the functions segment watches.
type FunctionsProps struct {
	// Functions are graphed in this order. Required.
	Functions []Function
	// ColdStartMetric is the functions' own init duration, in ms, by
	// function name. Required.
	ColdStartMetric MetricSource
	// DurationMetric is the time the functions' handlers take, in ms, by
	// function name. Required.
	DurationMetric MetricSource
	// Insights says Lambda Insights runs, adding its init duration.
	Insights bool
	// ColdStart (average ms), Throttles (all functions, per period) and
	// Spillover (invocations past provisioned concurrency, per period)
	// fire the alarms. Required.
	ColdStart, Throttles, Spillover Threshold
	// WarmTarget (p95 of a warm invocation) and ColdStartTarget are the
	// service's targets, which the dashboard and the alarms name.
	// Required.
	WarmTarget, ColdStartTarget time.Duration
	// DurationAxis is the top of the duration graphs' left axis (from 0),
	// so that graphs side by side compare at a glance. Default: each
	// graph fits its data.
	DurationAxis time.Duration
	// ErrorsMetric counts the invocations that failed on the service's
	// side, by function name. Default: not drawn.
	ErrorsMetric MetricSource
	// SignIn is sign-in's own figures. Default: not drawn.
	SignIn *SignIn
}

// SignIn is what a sign-in function publishes: the sign-ins that
// succeeded, and the time its costly steps take, checking the password
// and issuing the token (ms). Each is one figure for the whole service
// (Total). All required.
type SignIn struct {
	Succeeded, PasswordVerify, TokenIssue MetricSource
}

func (p *FunctionsProps) validate(ps *problems) {
	if len(p.Functions) == 0 {
		ps.add("Functions.Functions must list at least one function")
	}
	seen := map[string]bool{}
	for i, f := range p.Functions {
		field := fmt.Sprintf("Functions.Functions[%d]", i)
		switch {
		case f.Name == "":
			ps.add("%s.Name is required", field)
		case seen[f.Name]:
			ps.add("%s.Name %q is listed twice", field, f.Name)
		}
		seen[f.Name] = true
		ps.required(field+".Alias", f.Alias != nil)
	}
	ps.required("Functions.ColdStartMetric", p.ColdStartMetric != nil)
	ps.required("Functions.DurationMetric", p.DurationMetric != nil)
	ps.threshold("Functions.ColdStart", p.ColdStart, nonNegative)
	ps.threshold("Functions.Throttles", p.Throttles, nonNegative)
	ps.threshold("Functions.Spillover", p.Spillover, nonNegative)
	ps.target("Functions.WarmTarget", p.WarmTarget)
	ps.target("Functions.ColdStartTarget", p.ColdStartTarget)
	if p.DurationAxis < 0 {
		ps.add("Functions.DurationAxis must not be negative, got %v", p.DurationAxis)
	}
	if s := p.SignIn; s != nil {
		ps.required("Functions.SignIn.Succeeded", s.Succeeded != nil)
		ps.required("Functions.SignIn.PasswordVerify", s.PasswordVerify != nil)
		ps.required("Functions.SignIn.TokenIssue", s.TokenIssue != nil)
	}
}

// addFunctions adds the functions rows: duration per function, cold
// starts, errors and throttles, provisioned-concurrency use and spill-over;
// and their alarms.
func (m *Monitoring) addFunctions(p FunctionsProps) {
	m.section("Functions", fmt.Sprintf("Duration per function (target: warm under %s), cold starts (target: under %s), errors, throttles, provisioned concurrency.",
		spoken(p.WarmTarget), spoken(p.ColdStartTarget)))
	var durations []awscloudwatch.IWidget
	var coldStarts, errs, throttles, used, spilled []awscloudwatch.IMetric
	var throttleSum, spillSum, initDurations []part
	for i, f := range p.Functions {
		opts := func(stat, label string) *awscloudwatch.MetricOptions {
			return &awscloudwatch.MetricOptions{Statistic: jsii.String(stat), Label: jsii.String(label), Period: m.period}
		}
		durations = append(durations, m.graphUpTo(ms(p.DurationAxis), f.Name+" duration (ms)", 6, metricsOf(
			f.Alias.MetricDuration(opts("Average", "avg")), f.Alias.MetricDuration(opts("p95", "p95")), f.Alias.MetricDuration(opts("Maximum", "max")))))
		coldStarts = append(coldStarts, p.ColdStartMetric.Of(f.Name, "Average", f.Name, m.period))
		if p.Insights {
			init := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String("LambdaInsights"), MetricName: jsii.String("init_duration"), Statistic: jsii.String("Average"),
				DimensionsMap: &map[string]*string{"function_name": f.Alias.Version().Lambda().FunctionName()},
				Label:         jsii.String(f.Name + " (Insights)"), Period: m.period,
			})
			coldStarts = append(coldStarts, init)
			initDurations = append(initDurations, part{fmt.Sprintf("i%d", i), f.Name, init})
		}
		errs = append(errs, f.Alias.MetricErrors(opts("Sum", f.Name)))
		t := f.Alias.MetricThrottles(opts("Sum", f.Name))
		throttles = append(throttles, t)
		throttleSum = append(throttleSum, part{fmt.Sprintf("t%d", i), f.Name, t})
		if f.Provisioned {
			used = append(used, f.Alias.Metric(jsii.String("ProvisionedConcurrencyUtilization"), opts("Maximum", f.Name)))
			s := f.Alias.Metric(jsii.String("ProvisionedConcurrencySpilloverInvocations"), opts("Sum", f.Name))
			spilled = append(spilled, s)
			spillSum = append(spillSum, part{fmt.Sprintf("s%d", i), f.Name, s})
		}
	}
	m.row(durations...)
	coldStartAll := p.ColdStartMetric.Total("Average", "avg", m.period)
	m.row(
		m.graphUpTo(ms(p.DurationAxis), "Handler time p95 by function (ms)", thirdWidth, metricsOf(
			p.DurationMetric.Each("p95", "p95", m.period)), limit("warm target", ms(p.WarmTarget))),
		m.graph("Cold start (init) duration by function, avg (ms)", thirdWidth, coldStarts, limit("target", p.ColdStart.Value)),
		m.graph("Cold start (init) duration, all functions (ms)", thirdWidth, metricsOf(coldStartAll,
			p.ColdStartMetric.Total("p95", "p95", m.period), p.ColdStartMetric.Total("Maximum", "max", m.period)),
			limit("target", p.ColdStart.Value)),
	)
	if p.ErrorsMetric != nil {
		m.row(m.graph("Errors (Lambda)", thirdWidth, errs),
			m.graph("Failed operations by function (5XX answers, failed invocations)", thirdWidth, metricsOf(p.ErrorsMetric.Each("Sum", "failed", m.period))),
			m.graph("Throttles", thirdWidth, throttles))
	} else {
		m.row(m.graph("Errors", halfWidth, errs), m.graph("Throttles", halfWidth, throttles))
	}
	if s := p.SignIn; s != nil {
		m.row(
			m.graph("Successful sign-ins", halfWidth, metricsOf(s.Succeeded.Total("Sum", "sign-ins", m.period))),
			m.graphUpTo(ms(p.DurationAxis), "Sign-in: password check and token signing (ms)", halfWidth, metricsOf(
				s.PasswordVerify.Total("Average", "password avg", m.period), s.PasswordVerify.Total("p95", "password p95", m.period),
				s.TokenIssue.Total("Average", "token avg", m.period), s.TokenIssue.Total("p95", "token p95", m.period))),
		)
	}
	if len(used) > 0 {
		m.row(
			m.graph("Provisioned concurrency utilisation (max)", halfWidth, used),
			m.graph("Spill-over invocations (past provisioned concurrency)", halfWidth, spilled),
		)
	}

	// The functions' own metric counts from process start, so it misses
	// the extensions' init; Lambda Insights' init_duration is the whole
	// INIT phase, and the alarm reads it wherever Insights runs.
	coldStart := alarmSpec{Name: "coldStartMs", Threshold: p.ColdStart, Comparison: above, Missing: notBreach}
	describe := func(source string) string {
		return fmt.Sprintf("Average cold start (%s) above %v ms (plan target %s). See which function in the cold-start graph.", source, p.ColdStart.Value, spoken(p.ColdStartTarget))
	}
	if len(initDurations) > 0 {
		coldStart.Description = describe("Lambda Insights' init_duration of the slowest function")
		m.alarmsOver(coldStart, "slowest function's average init", initDurations, func(ids []string) string { return "MAX([" + strings.Join(ids, ", ") + "])" })
	} else {
		coldStart.Metric, coldStart.Description = coldStartAll, describe("the functions' ColdStartDuration")
		m.alarm(coldStart)
	}
	plus := func(ids []string) string { return strings.Join(ids, " + ") }
	m.alarmsOver(alarmSpec{Name: "functionThrottles", Threshold: p.Throttles, Comparison: atOrAbove, Missing: notBreach, Critical: true,
		Description: "Lambda throttled invocations: reserved concurrency or the account limit is reached."}, "throttles", throttleSum, plus)
	if len(spillSum) > 0 {
		m.alarmsOver(alarmSpec{Name: "spilloverInvocations", Threshold: p.Spillover, Comparison: atOrAbove, Missing: notBreach,
			Description: "Invocations ran past provisioned concurrency (on cold environments): raise the floor or the peak schedule."}, "spill-over", spillSum, plus)
	}
}

// MaxAlarmMetrics is the most metrics CloudWatch lets one alarm's metric
// math read.
const MaxAlarmMetrics = 10

// part is one function's metric in an alarm over every function: its ID
// in the expression, the function's name, the metric.
type part struct {
	id, name string
	metric   awscloudwatch.IMetric
}

// alarmsOver creates spec over parts' metrics, combined by the
// expression combine makes of their IDs. While they fit in one alarm
// (MaxAlarmMetrics) that is one alarm named spec.Name; past it, one alarm
// per group of MaxAlarmMetrics in parts' order, named spec.Name,
// spec.Name-2, spec.Name-3..., each judging its group alone against the
// threshold and naming its functions in its description. A maximum is the
// same either way, and so is a sum against a threshold of 1; a sum
// against a larger one fires only when one group reaches it.
func (m *Monitoring) alarmsOver(spec alarmSpec, label string, parts []part, combine func(ids []string) string) {
	groups := (len(parts) + MaxAlarmMetrics - 1) / MaxAlarmMetrics
	for g := range groups {
		group := parts[g*MaxAlarmMetrics : min(len(parts), (g+1)*MaxAlarmMetrics)]
		using := map[string]awscloudwatch.IMetric{}
		var ids, names []string
		for _, p := range group {
			using[p.id] = p.metric
			ids, names = append(ids, p.id), append(names, p.name)
		}
		s := spec
		s.Metric = m.math(combine(ids), label, using)
		if groups > 1 {
			if g > 0 {
				s.Name = fmt.Sprintf("%s-%d", spec.Name, g+1)
			}
			s.Description += fmt.Sprintf(" Group %d of %d: %s.", g+1, groups, strings.Join(names, ", "))
		}
		m.alarm(s)
	}
}

// sumOf is the math expression adding up the metrics' IDs.
func sumOf(ms map[string]awscloudwatch.IMetric) string { return strings.Join(sortedIDs(ms), " + ") }

// CacheGroup is a cache whose nodes publish ElastiCache's metrics, as an
// elasticache.ReplicationGroup does.
type CacheGroup interface {
	// NodeIds are the cache cluster IDs of the group's nodes.
	NodeIds() []string
	// MetricOfNode is one of ElastiCache's metrics for one node.
	MetricOfNode(nodeID, name, statistic string, period awscdk.Duration) awscloudwatch.Metric
}

// CacheProps is what the cache segment watches.
type CacheProps struct {
	// Group is the cache's nodes. Required.
	Group CacheGroup
	// HitsMetric, MissesMetric and ErrorsMetric count the application's
	// cache reads answered by the cache, those it had to answer itself
	// and the cache calls that failed, by entry kind. Required.
	HitsMetric, MissesMetric, ErrorsMetric MetricSource
	// HitRate (percent, below), Memory (percent of the fullest node) and
	// Evictions (all nodes, per period) fire the alarms. Required.
	HitRate, Memory, Evictions Threshold
	// HitRateTarget is the service's target hit rate (percent), which the
	// dashboard and the alarm name. Required.
	HitRateTarget float64
}

func (p *CacheProps) validate(ps *problems) {
	switch {
	case p.Group == nil:
		ps.add("Cache.Group is required")
	case len(p.Group.NodeIds()) == 0:
		ps.add("Cache.Group must have at least one node")
	}
	ps.required("Cache.HitsMetric", p.HitsMetric != nil)
	ps.required("Cache.MissesMetric", p.MissesMetric != nil)
	ps.required("Cache.ErrorsMetric", p.ErrorsMetric != nil)
	ps.threshold("Cache.HitRate", p.HitRate, percent)
	ps.threshold("Cache.Memory", p.Memory, percent)
	ps.threshold("Cache.Evictions", p.Evictions, nonNegative)
	ps.percentTarget("Cache.HitRateTarget", p.HitRateTarget)
}

// addCache adds the cache rows: the application's cache-aside hit rate in
// total and per entry kind, cache failures it fell back from, and the
// replication group's health; and their alarms.
func (m *Monitoring) addCache(p CacheProps) {
	hits := p.HitsMetric.Total("Sum", "hits", m.period)
	misses := p.MissesMetric.Total("Sum", "misses", m.period)
	reads := map[string]awscloudwatch.IMetric{"h": hits, "m": misses}
	// A period without reads counts as all hits: nothing was missed.
	hitRate := m.math("IF(h + m > 0, 100 * h / (h + m), 100)", "hit %", reads)
	// The alarm judges only periods with enough reads: in quiet hours
	// entries expire between a user's visits and the rate means nothing.
	judgedHitRate := m.math(fmt.Sprintf("IF(h + m >= %d, 100 * h / (h + m), 100)", minReadsForHitRate), "hit % (busy periods)", reads)

	m.section("Cache", fmt.Sprintf("Redis as the functions use it (target: hit rate above %v %%), then the replication group itself.", p.HitRateTarget))
	m.row(
		m.graph("Redis hit rate (%)", thirdWidth, metricsOf(hitRate), limit("target", p.HitRate.Value)),
		m.graph("Hits and misses by cache", thirdWidth, metricsOf(
			p.HitsMetric.Each("Sum", "hits", m.period),
			p.MissesMetric.Each("Sum", "misses", m.period))),
		m.graph("Redis failures (served from the database)", thirdWidth, metricsOf(
			p.ErrorsMetric.Total("Sum", "errors", m.period))),
	)
	node := func(name, stat string) []awscloudwatch.IMetric {
		var ms []awscloudwatch.IMetric
		for _, id := range p.Group.NodeIds() {
			ms = append(ms, p.Group.MetricOfNode(id, name, stat, m.period))
		}
		return ms
	}
	m.row(
		m.graph("Engine CPU (%)", 6, node("EngineCPUUtilization", "Maximum")),
		m.graph("Memory used (%)", 6, node("DatabaseMemoryUsagePercentage", "Maximum"), limit("alarm", p.Memory.Value)),
		m.graph("Evictions", 6, node("Evictions", "Sum")),
		m.graph("Node hit rate (%) and replication lag (s)", 6, append(node("CacheHitRate", "Average"), node("ReplicationLag", "Maximum")...)),
	)

	memory := map[string]awscloudwatch.IMetric{}
	evictions := map[string]awscloudwatch.IMetric{}
	for i, id := range p.Group.NodeIds() {
		memory[fmt.Sprintf("m%d", i)] = p.Group.MetricOfNode(id, "DatabaseMemoryUsagePercentage", "Maximum", m.period)
		evictions[fmt.Sprintf("e%d", i)] = p.Group.MetricOfNode(id, "Evictions", "Sum", m.period)
	}
	m.alarm(alarmSpec{Name: "cacheHitRatePercent", Metric: judgedHitRate, Threshold: p.HitRate, Comparison: below, Missing: notBreach,
		Description: fmt.Sprintf("The functions' Redis hit rate fell below %v %% (plan target %v %%) in periods with at least %d reads: keys evicted, TTLs too short, or invalidation too broad.", p.HitRate.Value, p.HitRateTarget, minReadsForHitRate)})
	m.alarm(alarmSpec{Name: "cacheMemoryPercent", Metric: m.math("MAX(["+strings.Join(sortedIDs(memory), ", ")+"])", "fullest node", memory),
		Threshold: p.Memory, Comparison: above, Missing: breach, Critical: true,
		Description: fmt.Sprintf("A cache node is more than %v %% full; evictions follow. Missing data counts as breaching: the node stopped reporting.", p.Memory.Value)})
	m.alarm(alarmSpec{Name: "cacheEvictionsCount", Metric: m.math(sumOf(evictions), "evictions", evictions), Threshold: p.Evictions,
		Comparison: atOrAbove, Missing: notBreach,
		Description: fmt.Sprintf("At least %v keys evicted per period: the cache is too small for the working set.", p.Evictions.Value)})
}

func sortedIDs(ms map[string]awscloudwatch.IMetric) []string { return slices.Sorted(maps.Keys(ms)) }

// PaymentsProps is what the payments segment watches.
type PaymentsProps struct {
	// RefundDueMetric counts captured payments owed back, by reason.
	// Required.
	RefundDueMetric MetricSource
	// SecretFailuresMetric counts requests failed for want of the payment
	// provider's credentials, by secret. Required.
	SecretFailuresMetric MetricSource
	// RefundDue and SecretFailures are how many of each per period fire
	// their alarms. Required.
	RefundDue, SecretFailures Threshold
}

func (p *PaymentsProps) validate(ps *problems) {
	ps.required("Payments.RefundDueMetric", p.RefundDueMetric != nil)
	ps.required("Payments.SecretFailuresMetric", p.SecretFailuresMetric != nil)
	ps.threshold("Payments.RefundDue", p.RefundDue, nonNegative)
	ps.threshold("Payments.SecretFailures", p.SecretFailures, nonNegative)
}

// addPayments adds the payments row: captured payments that could not
// settle their order and are owed back, by reason; and the alarm that
// tells operations to refund them.
func (m *Monitoring) addPayments(p PaymentsProps) {
	m.section("Payments", "Captured payments owed back to the payer (a second payment of a paid order, a wrong amount or "+
		"currency, a cancelled order). Each is in the refund queue: payments captured with a refund_reason.")
	m.row(
		m.graph("Payments owed back, by reason", halfWidth, metricsOf(
			p.RefundDueMetric.Each("Sum", "owed back", m.period))),
		m.graph("Requests failed for want of Razorpay's credentials", halfWidth, metricsOf(
			p.SecretFailuresMetric.Each("Sum", "failed", m.period))),
	)
	m.alarm(alarmSpec{Name: "refundDueCount", Metric: p.RefundDueMetric.Total("Sum", "owed back", m.period),
		Threshold: p.RefundDue, Comparison: atOrAbove, Missing: notBreach,
		Description: fmt.Sprintf("At least %v captured payments per period could not settle their order and are owed back: refund them in Razorpay (the refund queue is payments captured with a refund_reason).", p.RefundDue.Value)})
	m.alarm(alarmSpec{Name: "secretFailuresCount", Metric: p.SecretFailuresMetric.Total("Sum", "failed", m.period),
		Threshold: p.SecretFailures, Comparison: atOrAbove, Missing: notBreach, Critical: true,
		Description: fmt.Sprintf("At least %v payment requests per period failed because the Razorpay secret is missing, unfilled or holds keys Razorpay refuses: checkout and webhooks answer 503 until it is fixed (README, Deploying).", p.SecretFailures.Value)})
}

// DatabaseProps is what the database segment watches.
type DatabaseProps struct {
	// Instance is the database instance. Required.
	Instance awsrds.IDatabaseInstance
	// Proxy is the RDS Proxy in front of it. Required.
	Proxy awsrds.IDatabaseProxy
	// QueryDurationMetric is the application's query round trips, in ms,
	// by query name. Required.
	QueryDurationMetric MetricSource
	// RotationFunction is the name of the function that rotates the
	// master password; its errors are failed rotations. Required.
	RotationFunction string
	// QueryP95 (ms, all queries), CPU (percent), FreeStorageGiB (below) and
	// RotationErrors (failed rotation invocations per period) fire the
	// alarms. Required.
	QueryP95, CPU, FreeStorageGiB, RotationErrors Threshold
	// QueryP95Target is the service's target for a query's p95, which the
	// dashboard and the alarm name, and at which the database logs slow
	// statements (log_min_duration_statement). Required.
	QueryP95Target time.Duration
}

func (p *DatabaseProps) validate(ps *problems) {
	ps.required("Database.Instance", p.Instance != nil)
	ps.required("Database.Proxy", p.Proxy != nil)
	ps.required("Database.QueryDurationMetric", p.QueryDurationMetric != nil)
	ps.required("Database.RotationFunction", p.RotationFunction != "")
	ps.threshold("Database.QueryP95", p.QueryP95, nonNegative)
	ps.threshold("Database.CPU", p.CPU, percent)
	ps.threshold("Database.FreeStorageGiB", p.FreeStorageGiB, nonNegative)
	ps.threshold("Database.RotationErrors", p.RotationErrors, nonNegative)
	ps.target("Database.QueryP95Target", p.QueryP95Target)
}

// addDatabase adds the database rows: query durations per query as the
// application measures them, the proxy, and the instance; and their
// alarms.
func (m *Monitoring) addDatabase(p DatabaseProps) {
	q := p.QueryDurationMetric
	queryP95 := q.Total("p95", "p95, all queries", m.period)
	m.section("Database", fmt.Sprintf("Query round trips as the functions measure them (target: p95 under %s), RDS Proxy, then the instance.", spoken(p.QueryP95Target)))
	m.row(
		m.graph("Query duration p95 by query (ms)", thirdWidth, metricsOf(
			q.Each("p95", "p95", m.period)), limit("target", p.QueryP95.Value)),
		m.graph("Query duration avg and max by query (ms)", thirdWidth, metricsOf(
			q.Each("Average", "avg", m.period),
			q.Each("Maximum", "max", m.period))),
		m.graph("Query duration, all queries (ms)", thirdWidth, metricsOf(
			q.Total("Average", "avg", m.period), queryP95,
			q.Total("Maximum", "max", m.period)), limit("p95 target", p.QueryP95.Value)),
	)
	proxy := func(name, stat, label string) awscloudwatch.IMetric {
		return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
			Namespace: jsii.String("AWS/RDS"), MetricName: jsii.String(name), Statistic: jsii.String(stat), Label: jsii.String(label),
			DimensionsMap: &map[string]*string{"ProxyName": p.Proxy.DbProxyName()}, Period: m.period,
		})
	}
	opts := func(stat, label string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Statistic: jsii.String(stat), Label: jsii.String(label), Period: m.period}
	}
	cpu := p.Instance.MetricCPUUtilization(opts("Maximum", "CPU %"))
	free := p.Instance.MetricFreeStorageSpace(opts("Minimum", "free bytes"))
	m.row(
		m.graph("Proxy connections", 6, metricsOf(proxy("ClientConnections", "Maximum", "client"), proxy("DatabaseConnections", "Maximum", "to database"))),
		m.graph("Proxy query response latency (µs)", 6, metricsOf(proxy("QueryDatabaseResponseLatency", "Average", "avg"), proxy("QueryDatabaseResponseLatency", "p95", "p95"))),
		m.graph("Instance CPU (%)", 6, metricsOf(cpu), limit("alarm", p.CPU.Value)),
		m.graph("Instance connections", 6, metricsOf(p.Instance.MetricDatabaseConnections(opts("Maximum", "connections")))),
	)
	m.row(
		m.graph("Free storage (GiB)", 6, metricsOf(m.math(fmt.Sprintf("f / %d", gib), "free GiB", map[string]awscloudwatch.IMetric{"f": free})),
			limit("alarm", p.FreeStorageGiB.Value)),
		m.graph("Read and write latency (s)", 6, metricsOf(p.Instance.Metric(jsii.String("ReadLatency"), opts("Average", "read")),
			p.Instance.Metric(jsii.String("WriteLatency"), opts("Average", "write")))),
		m.graph("Freeable memory (bytes)", 6, metricsOf(p.Instance.MetricFreeableMemory(opts("Minimum", "freeable")))),
		m.graph("Read and write IOPS", 6, metricsOf(p.Instance.Metric(jsii.String("ReadIOPS"), opts("Average", "read")),
			p.Instance.Metric(jsii.String("WriteIOPS"), opts("Average", "write")))),
	)

	m.alarm(alarmSpec{Name: "databaseQueryP95Ms", Metric: queryP95, Threshold: p.QueryP95, Comparison: above, Missing: notBreach, Critical: true,
		Description: fmt.Sprintf("Database query p95 above %v ms (plan target %s). The per-query graph names the query; pg_stat_statements and the slow-query log (log_min_duration_statement = %v) explain it.", p.QueryP95.Value, spoken(p.QueryP95Target), ms(p.QueryP95Target))})
	m.alarm(alarmSpec{Name: "databaseCpuPercent", Metric: cpu, Threshold: p.CPU, Comparison: above, Missing: breach, Critical: true,
		Description: fmt.Sprintf("Database CPU above %v %%. Missing data counts as breaching: the instance stopped reporting.", p.CPU.Value)})
	m.alarm(alarmSpec{Name: "databaseFreeStorageGiB", Metric: free, Threshold: Threshold{Value: p.FreeStorageGiB.Value * gib, EvaluationPeriods: p.FreeStorageGiB.EvaluationPeriods},
		Comparison: below, Missing: breach,
		Description: fmt.Sprintf("Less than %v GiB of database storage free; storage autoscaling may be at its ceiling.", p.FreeStorageGiB.Value)})
	// Secrets Manager reports a failed rotation only as a CloudTrail event;
	// the rotation function's own errors are a metric, and a failed
	// rotation is one.
	rotationErrors := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("AWS/Lambda"), MetricName: jsii.String("Errors"), Statistic: jsii.String("Sum"),
		Label: jsii.String("rotation errors"), Period: m.period,
		DimensionsMap: &map[string]*string{"FunctionName": jsii.String(p.RotationFunction)},
	})
	m.alarm(alarmSpec{Name: "rotationErrorsCount", Metric: rotationErrors, Threshold: p.RotationErrors, Comparison: atOrAbove, Missing: notBreach,
		Description: fmt.Sprintf("The master password's rotation function (%s) failed: the secret may hold a pending version the database does not know. Read the function's log; RDS Proxy keeps using the current one.", p.RotationFunction)})
}
