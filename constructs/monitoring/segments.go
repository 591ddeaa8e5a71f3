package monitoring

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/constructs/elasticache"
	"github.com/hasivu/infra/lambda/metrics"
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

// Custom is one of the functions' own metrics, as the lambda/metrics
// catalog declares it. dims must be one of its declared dimension sets, so
// a graph or alarm can only read what the functions emit.
func (m *Monitoring) Custom(namespace string, metric metrics.Metric, stat, label string, dims map[string]string) awscloudwatch.Metric {
	names := slices.Sorted(maps.Keys(dims))
	declared := slices.ContainsFunc(metric.Dimensions, func(set []string) bool {
		return slices.Equal(slices.Sorted(slices.Values(set)), names)
	})
	if !declared {
		panic(fmt.Sprintf("monitoring: %s is not emitted with dimensions %v (declared: %v)", metric.Name, names, metric.Dimensions))
	}
	props := &awscloudwatch.MetricProps{
		Namespace: jsii.String(namespace), MetricName: jsii.String(metric.Name),
		Statistic: jsii.String(stat), Label: jsii.String(label), Period: m.period,
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

// Search graphs a catalog metric for every value of one of its dimensions
// (every query, every cache), whatever values the functions emit.
func (m *Monitoring) Search(namespace string, metric metrics.Metric, dim, stat, label string) awscloudwatch.MathExpression {
	if !slices.ContainsFunc(metric.Dimensions, func(set []string) bool { return slices.Equal(set, []string{dim}) }) {
		panic(fmt.Sprintf("monitoring: %s is not emitted with dimension %s alone", metric.Name, dim))
	}
	secs := int(*m.period.ToSeconds(nil))
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String(fmt.Sprintf(`SEARCH('{%s,%s} MetricName="%s"', '%s', %d)`, namespace, dim, metric.Name, stat, secs)),
		UsingMetrics: &map[string]awscloudwatch.IMetric{},
		Label:        jsii.String(label),
		Period:       m.period,
	})
}

func (m *Monitoring) math(expression, label string, using map[string]awscloudwatch.IMetric) awscloudwatch.MathExpression {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression: jsii.String(expression), UsingMetrics: &using, Label: jsii.String(label), Period: m.period,
	})
}

func metricsOf(ms ...awscloudwatch.IMetric) []awscloudwatch.IMetric { return ms }

// ApiProps is what the API segment watches.
type ApiProps struct {
	Stage awsapigateway.Stage
	// Cached says the stage has a cache cluster, so its hit rate matters.
	Cached bool
	// LatencyP95 (ms), ErrorRate (percent of requests answered 5XX) and
	// ServerErrors (5XX responses per period) fire the alarms.
	LatencyP95, ErrorRate, ServerErrors Threshold
}

// AddApi adds the API row: latency percentiles, integration latency,
// traffic and errors, the gateway cache's hit rate; and its alarms.
func (m *Monitoring) AddApi(p ApiProps) {
	s := p.Stage
	stat := func(metric func(*awscloudwatch.MetricOptions) awscloudwatch.Metric, statistic, label string) awscloudwatch.Metric {
		return metric(&awscloudwatch.MetricOptions{Statistic: jsii.String(statistic), Label: jsii.String(label), Period: m.period})
	}
	latencyP95 := stat(s.MetricLatency, "p95", "p95")
	requests := stat(s.MetricCount, "Sum", "requests")
	errors5xx := stat(s.MetricServerError, "Sum", "5XX")
	errorRate := m.math("IF(r > 0, 100 * e / r, 0)", "5XX % of requests", map[string]awscloudwatch.IMetric{"e": errors5xx, "r": requests})

	m.Section("API", "What users see: API Gateway latency against the plan's 300 ms p95, errors against its 0.1 %.")
	widgets := []awscloudwatch.IWidget{
		m.Graph("API latency (ms)", thirdWidth, metricsOf(stat(s.MetricLatency, "Average", "avg"), latencyP95, stat(s.MetricLatency, "p99", "p99")),
			Limit("p95 target", p.LatencyP95.Value)),
		m.Graph("Integration latency (ms)", thirdWidth, metricsOf(stat(s.MetricIntegrationLatency, "Average", "avg"),
			stat(s.MetricIntegrationLatency, "p95", "p95"), stat(s.MetricIntegrationLatency, "p99", "p99"))),
		m.Graph("Requests and errors", thirdWidth, metricsOf(requests, stat(s.MetricClientError, "Sum", "4XX"), errors5xx)),
		m.Graph("Error rate (%)", halfWidth, metricsOf(errorRate), Limit("target", p.ErrorRate.Value)),
	}
	if p.Cached {
		hitRate := m.math("IF(h + m > 0, 100 * h / (h + m), 100)", "gateway cache hit %", map[string]awscloudwatch.IMetric{
			"h": stat(s.MetricCacheHitCount, "Sum", "hits"), "m": stat(s.MetricCacheMissCount, "Sum", "misses"),
		})
		widgets = append(widgets, m.Graph("API Gateway cache hit rate (%)", halfWidth, metricsOf(hitRate)))
	}
	m.Row(widgets...)

	m.Alarm(AlarmSpec{Name: "apiLatencyP95Ms", Metric: latencyP95, Threshold: p.LatencyP95, Comparison: above, Missing: notBreach, Critical: true,
		Description: fmt.Sprintf("API p95 latency above %v ms (plan target 300 ms). Check the Functions and Database rows for the slow part.", p.LatencyP95.Value)})
	m.Alarm(AlarmSpec{Name: "errorRatePercent", Metric: errorRate, Threshold: p.ErrorRate, Comparison: above, Missing: notBreach, Critical: true,
		Description: fmt.Sprintf("More than %v %% of API requests end in 5XX (plan target 0.1 %%). Function errors and throttles are in the Functions row.", p.ErrorRate.Value)})
	m.Alarm(AlarmSpec{Name: "api5xxCount", Metric: errors5xx, Threshold: p.ServerErrors, Comparison: atOrAbove, Missing: notBreach, Critical: true,
		Description: fmt.Sprintf("At least %v API responses were 5XX in one period.", p.ServerErrors.Value)})
}

// Function is one function the functions segment watches.
type Function struct {
	// Name is its handler-table name, the Function dimension of its own
	// metrics.
	Name  string
	Alias awslambda.Alias
	// Provisioned says its alias has provisioned concurrency.
	Provisioned bool
}

// FunctionsProps is what the functions segment watches.
type FunctionsProps struct {
	Functions []Function
	// Namespace is where the functions publish their own metrics.
	Namespace string
	// Insights says Lambda Insights runs, adding its init duration.
	Insights bool
	// ColdStart (average ms), Throttles (all functions, per period) and
	// Spillover (invocations past provisioned concurrency, per period).
	ColdStart, Throttles, Spillover Threshold
}

// AddFunctions adds the functions rows: duration per function, cold
// starts, errors and throttles, provisioned-concurrency use and spill-over;
// and their alarms.
func (m *Monitoring) AddFunctions(p FunctionsProps) {
	m.Section("Functions", "Duration per function (target: warm under 150 ms), cold starts (target: under 1 s), errors, throttles, provisioned concurrency.")
	var durations []awscloudwatch.IWidget
	var coldStarts, errs, throttles, used, spilled []awscloudwatch.IMetric
	throttleSum := map[string]awscloudwatch.IMetric{}
	spillSum := map[string]awscloudwatch.IMetric{}
	initDurations := map[string]awscloudwatch.IMetric{}
	for i, f := range p.Functions {
		opts := func(stat, label string) *awscloudwatch.MetricOptions {
			return &awscloudwatch.MetricOptions{Statistic: jsii.String(stat), Label: jsii.String(label), Period: m.period}
		}
		durations = append(durations, m.Graph(f.Name+" duration (ms)", 6, metricsOf(
			f.Alias.MetricDuration(opts("Average", "avg")), f.Alias.MetricDuration(opts("p95", "p95")), f.Alias.MetricDuration(opts("Maximum", "max")))))
		coldStarts = append(coldStarts, m.Custom(p.Namespace, metrics.ColdStartDuration, "Average", f.Name, map[string]string{metrics.DimFunction: f.Name}))
		if p.Insights {
			init := awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
				Namespace: jsii.String("LambdaInsights"), MetricName: jsii.String("init_duration"), Statistic: jsii.String("Average"),
				DimensionsMap: &map[string]*string{"function_name": f.Alias.Lambda().FunctionName()},
				Label:         jsii.String(f.Name + " (Insights)"), Period: m.period,
			})
			coldStarts = append(coldStarts, init)
			initDurations[fmt.Sprintf("i%d", i)] = init
		}
		errs = append(errs, f.Alias.MetricErrors(opts("Sum", f.Name)))
		t := f.Alias.MetricThrottles(opts("Sum", f.Name))
		throttles = append(throttles, t)
		throttleSum[fmt.Sprintf("t%d", i)] = t
		if f.Provisioned {
			used = append(used, f.Alias.Metric(jsii.String("ProvisionedConcurrencyUtilization"), opts("Maximum", f.Name)))
			s := f.Alias.Metric(jsii.String("ProvisionedConcurrencySpilloverInvocations"), opts("Sum", f.Name))
			spilled = append(spilled, s)
			spillSum[fmt.Sprintf("s%d", i)] = s
		}
	}
	m.Row(durations...)
	coldStartAll := m.Custom(p.Namespace, metrics.ColdStartDuration, "Average", "all functions", nil)
	m.Row(
		m.Graph("Handler time p95 by function (ms)", halfWidth, metricsOf(
			m.Search(p.Namespace, metrics.OperationDuration, metrics.DimFunction, "p95", "p95")), Limit("warm target", 150)),
		m.Graph("Cold start (init) duration (ms)", halfWidth, append(coldStarts, coldStartAll), Limit("target", p.ColdStart.Value)),
	)
	m.Row(m.Graph("Errors", halfWidth, errs), m.Graph("Throttles", halfWidth, throttles))
	if len(used) > 0 {
		m.Row(
			m.Graph("Provisioned concurrency utilisation (max)", halfWidth, used),
			m.Graph("Spill-over invocations (past provisioned concurrency)", halfWidth, spilled),
		)
	}

	// The functions' own metric counts from process start, so it misses
	// the extensions' init; Lambda Insights' init_duration is the whole
	// INIT phase, and the alarm reads it wherever Insights runs.
	coldStart, source := awscloudwatch.IMetric(coldStartAll), "the functions' ColdStartDuration"
	if len(initDurations) > 0 {
		coldStart = m.math("MAX(["+strings.Join(sortedIDs(initDurations), ", ")+"])", "slowest function's average init", initDurations)
		source = "Lambda Insights' init_duration of the slowest function"
	}
	m.Alarm(AlarmSpec{Name: "coldStartMs", Metric: coldStart, Threshold: p.ColdStart, Comparison: above, Missing: notBreach,
		Description: fmt.Sprintf("Average cold start (%s) above %v ms (plan target 1 s). See which function in the cold-start graph.", source, p.ColdStart.Value)})
	m.Alarm(AlarmSpec{Name: "functionThrottles", Metric: m.math(sumOf(throttleSum), "throttles", throttleSum), Threshold: p.Throttles,
		Comparison: atOrAbove, Missing: notBreach, Critical: true,
		Description: "Lambda throttled invocations: reserved concurrency or the account limit is reached."})
	if len(spillSum) > 0 {
		m.Alarm(AlarmSpec{Name: "spilloverInvocations", Metric: m.math(sumOf(spillSum), "spill-over", spillSum), Threshold: p.Spillover,
			Comparison: atOrAbove, Missing: notBreach,
			Description: "Invocations ran past provisioned concurrency (on cold environments): raise the floor or the peak schedule."})
	}
}

// sumOf is the math expression adding up the metrics' IDs.
func sumOf(ms map[string]awscloudwatch.IMetric) string { return strings.Join(sortedIDs(ms), " + ") }

// CacheProps is what the cache segment watches.
type CacheProps struct {
	Group *elasticache.ReplicationGroup
	// Namespace is where the functions publish their cache hits and misses.
	Namespace string
	// HitRate (percent, below), Memory (percent of the fullest node) and
	// Evictions (all nodes, per period).
	HitRate, Memory, Evictions Threshold
}

// AddCache adds the cache rows: the functions' cache-aside hit rate in
// total and per entry kind, Redis failures they fell back from, and the
// replication group's health; and their alarms.
func (m *Monitoring) AddCache(p CacheProps) {
	hits := m.Custom(p.Namespace, metrics.CacheHits, "Sum", "hits", nil)
	misses := m.Custom(p.Namespace, metrics.CacheMisses, "Sum", "misses", nil)
	reads := map[string]awscloudwatch.IMetric{"h": hits, "m": misses}
	// A period without reads counts as all hits: nothing was missed.
	hitRate := m.math("IF(h + m > 0, 100 * h / (h + m), 100)", "hit %", reads)
	// The alarm judges only periods with enough reads: in quiet hours
	// entries expire between a user's visits and the rate means nothing.
	judgedHitRate := m.math(fmt.Sprintf("IF(h + m >= %d, 100 * h / (h + m), 100)", minReadsForHitRate), "hit % (busy periods)", reads)

	m.Section("Cache", "Redis as the functions use it (target: hit rate above 70 %), then the replication group itself.")
	m.Row(
		m.Graph("Redis hit rate (%)", thirdWidth, metricsOf(hitRate), Limit("target", p.HitRate.Value)),
		m.Graph("Hits and misses by cache", thirdWidth, metricsOf(
			m.Search(p.Namespace, metrics.CacheHits, metrics.DimCache, "Sum", "hits"),
			m.Search(p.Namespace, metrics.CacheMisses, metrics.DimCache, "Sum", "misses"))),
		m.Graph("Redis failures (served from the database)", thirdWidth, metricsOf(
			m.Custom(p.Namespace, metrics.CacheErrors, "Sum", "errors", nil))),
	)
	node := func(name, stat string) []awscloudwatch.IMetric {
		var ms []awscloudwatch.IMetric
		for _, id := range p.Group.NodeIds() {
			ms = append(ms, p.Group.MetricOfNode(id, name, stat, m.period))
		}
		return ms
	}
	m.Row(
		m.Graph("Engine CPU (%)", 6, node("EngineCPUUtilization", "Maximum")),
		m.Graph("Memory used (%)", 6, node("DatabaseMemoryUsagePercentage", "Maximum"), Limit("alarm", p.Memory.Value)),
		m.Graph("Evictions", 6, node("Evictions", "Sum")),
		m.Graph("Node hit rate (%) and replication lag (s)", 6, append(node("CacheHitRate", "Average"), node("ReplicationLag", "Maximum")...)),
	)

	memory := map[string]awscloudwatch.IMetric{}
	evictions := map[string]awscloudwatch.IMetric{}
	for i, id := range p.Group.NodeIds() {
		memory[fmt.Sprintf("m%d", i)] = p.Group.MetricOfNode(id, "DatabaseMemoryUsagePercentage", "Maximum", m.period)
		evictions[fmt.Sprintf("e%d", i)] = p.Group.MetricOfNode(id, "Evictions", "Sum", m.period)
	}
	m.Alarm(AlarmSpec{Name: "cacheHitRatePercent", Metric: judgedHitRate, Threshold: p.HitRate, Comparison: below, Missing: notBreach,
		Description: fmt.Sprintf("The functions' Redis hit rate fell below %v %% (plan target 70 %%) in periods with at least %d reads: keys evicted, TTLs too short, or invalidation too broad.", p.HitRate.Value, minReadsForHitRate)})
	m.Alarm(AlarmSpec{Name: "cacheMemoryPercent", Metric: m.math("MAX(["+strings.Join(sortedIDs(memory), ", ")+"])", "fullest node", memory),
		Threshold: p.Memory, Comparison: above, Missing: breach, Critical: true,
		Description: fmt.Sprintf("A cache node is more than %v %% full; evictions follow. Missing data counts as breaching: the node stopped reporting.", p.Memory.Value)})
	m.Alarm(AlarmSpec{Name: "cacheEvictionsCount", Metric: m.math(sumOf(evictions), "evictions", evictions), Threshold: p.Evictions,
		Comparison: atOrAbove, Missing: notBreach,
		Description: fmt.Sprintf("At least %v keys evicted per period: the cache is too small for the working set.", p.Evictions.Value)})
}

func sortedIDs(ms map[string]awscloudwatch.IMetric) []string { return slices.Sorted(maps.Keys(ms)) }

// PaymentsProps is what the payments segment watches.
type PaymentsProps struct {
	// Namespace is where the functions count captured payments owed back
	// and requests failed for want of Razorpay's credentials.
	Namespace string
	// RefundDue and SecretFailures are how many of each per period fire
	// their alarms.
	RefundDue, SecretFailures Threshold
}

// AddPayments adds the payments row: captured payments that could not
// settle their order and are owed back, by reason; and the alarm that
// tells operations to refund them.
func (m *Monitoring) AddPayments(p PaymentsProps) {
	m.Section("Payments", "Captured payments owed back to the payer (a second payment of a paid order, a wrong amount or "+
		"currency, a cancelled order). Each is in the refund queue: payments captured with a refund_reason.")
	m.Row(
		m.Graph("Payments owed back, by reason", halfWidth, metricsOf(
			m.Search(p.Namespace, metrics.PaymentsRefundDue, metrics.DimReason, "Sum", "owed back"))),
		m.Graph("Requests failed for want of Razorpay's credentials", halfWidth, metricsOf(
			m.Search(p.Namespace, metrics.SecretFailures, metrics.DimSecret, "Sum", "failed"))),
	)
	m.Alarm(AlarmSpec{Name: "refundDueCount", Metric: m.Custom(p.Namespace, metrics.PaymentsRefundDue, "Sum", "owed back", nil),
		Threshold: p.RefundDue, Comparison: atOrAbove, Missing: notBreach,
		Description: fmt.Sprintf("At least %v captured payments per period could not settle their order and are owed back: refund them in Razorpay (the refund queue is payments captured with a refund_reason).", p.RefundDue.Value)})
	m.Alarm(AlarmSpec{Name: "secretFailuresCount", Metric: m.Custom(p.Namespace, metrics.SecretFailures, "Sum", "failed", nil),
		Threshold: p.SecretFailures, Comparison: atOrAbove, Missing: notBreach, Critical: true,
		Description: fmt.Sprintf("At least %v payment requests per period failed because the Razorpay secret is missing, unfilled or holds keys Razorpay refuses: checkout and webhooks answer 503 until it is fixed (README, Deploying).", p.SecretFailures.Value)})
}

// DatabaseProps is what the database segment watches.
type DatabaseProps struct {
	Instance awsrds.DatabaseInstance
	Proxy    awsrds.DatabaseProxy
	// Namespace is where the functions publish their query durations.
	Namespace string
	// RotationFunction is the function that rotates the master password;
	// its errors are failed rotations.
	RotationFunction string
	// QueryP95 (ms, all queries), CPU (percent), FreeStorageGiB (below) and
	// RotationErrors (failed rotation invocations per period).
	QueryP95, CPU, FreeStorageGiB, RotationErrors Threshold
}

// AddDatabase adds the database rows: query durations per query as the
// functions measure them, the proxy, and the instance; and their alarms.
func (m *Monitoring) AddDatabase(p DatabaseProps) {
	queryP95 := m.Custom(p.Namespace, metrics.QueryDuration, "p95", "p95, all queries", nil)
	m.Section("Database", "Query round trips as the functions measure them (target: p95 under 100 ms), RDS Proxy, then the instance.")
	m.Row(
		m.Graph("Query duration p95 by query (ms)", thirdWidth, metricsOf(
			m.Search(p.Namespace, metrics.QueryDuration, metrics.DimQuery, "p95", "p95")), Limit("target", p.QueryP95.Value)),
		m.Graph("Query duration avg and max by query (ms)", thirdWidth, metricsOf(
			m.Search(p.Namespace, metrics.QueryDuration, metrics.DimQuery, "Average", "avg"),
			m.Search(p.Namespace, metrics.QueryDuration, metrics.DimQuery, "Maximum", "max"))),
		m.Graph("Query duration, all queries (ms)", thirdWidth, metricsOf(
			m.Custom(p.Namespace, metrics.QueryDuration, "Average", "avg", nil), queryP95,
			m.Custom(p.Namespace, metrics.QueryDuration, "Maximum", "max", nil)), Limit("p95 target", p.QueryP95.Value)),
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
	m.Row(
		m.Graph("Proxy connections", 6, metricsOf(proxy("ClientConnections", "Maximum", "client"), proxy("DatabaseConnections", "Maximum", "to database"))),
		m.Graph("Proxy query response latency (µs)", 6, metricsOf(proxy("QueryDatabaseResponseLatency", "Average", "avg"), proxy("QueryDatabaseResponseLatency", "p95", "p95"))),
		m.Graph("Instance CPU (%)", 6, metricsOf(cpu), Limit("alarm", p.CPU.Value)),
		m.Graph("Instance connections", 6, metricsOf(p.Instance.MetricDatabaseConnections(opts("Maximum", "connections")))),
	)
	m.Row(
		m.Graph("Free storage (GiB)", 6, metricsOf(m.math(fmt.Sprintf("f / %d", gib), "free GiB", map[string]awscloudwatch.IMetric{"f": free})),
			Limit("alarm", p.FreeStorageGiB.Value)),
		m.Graph("Read and write latency (s)", 6, metricsOf(p.Instance.Metric(jsii.String("ReadLatency"), opts("Average", "read")),
			p.Instance.Metric(jsii.String("WriteLatency"), opts("Average", "write")))),
		m.Graph("Freeable memory (bytes)", 6, metricsOf(p.Instance.MetricFreeableMemory(opts("Minimum", "freeable")))),
		m.Graph("Read and write IOPS", 6, metricsOf(p.Instance.Metric(jsii.String("ReadIOPS"), opts("Average", "read")),
			p.Instance.Metric(jsii.String("WriteIOPS"), opts("Average", "write")))),
	)

	m.Alarm(AlarmSpec{Name: "databaseQueryP95Ms", Metric: queryP95, Threshold: p.QueryP95, Comparison: above, Missing: notBreach, Critical: true,
		Description: fmt.Sprintf("Database query p95 above %v ms (plan target 100 ms). The per-query graph names the query; pg_stat_statements and the slow-query log (log_min_duration_statement = 100) explain it.", p.QueryP95.Value)})
	m.Alarm(AlarmSpec{Name: "databaseCpuPercent", Metric: cpu, Threshold: p.CPU, Comparison: above, Missing: breach, Critical: true,
		Description: fmt.Sprintf("Database CPU above %v %%. Missing data counts as breaching: the instance stopped reporting.", p.CPU.Value)})
	m.Alarm(AlarmSpec{Name: "databaseFreeStorageGiB", Metric: free, Threshold: Threshold{Value: p.FreeStorageGiB.Value * gib, EvaluationPeriods: p.FreeStorageGiB.EvaluationPeriods},
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
	m.Alarm(AlarmSpec{Name: "rotationErrorsCount", Metric: rotationErrors, Threshold: p.RotationErrors, Comparison: atOrAbove, Missing: notBreach,
		Description: fmt.Sprintf("The master password's rotation function (%s) failed: the secret may hold a pending version the database does not know. Read the function's log; RDS Proxy keeps using the current one.", p.RotationFunction)})
}
