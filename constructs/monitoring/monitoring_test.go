package monitoring

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsrds"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/internal/pinnednode"
)

// source is a MetricSource in the namespace "Test", broken down by dim.
type source struct{ name, dim string }

var _ MetricSource = source{}

func (s source) Total(stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("Test"), MetricName: jsii.String(s.name),
		Statistic: jsii.String(stat), Label: jsii.String(label), Period: period})
}

func (s source) Of(value, stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("Test"), MetricName: jsii.String(s.name),
		Statistic: jsii.String(stat), Label: jsii.String(label), Period: period,
		DimensionsMap: &map[string]*string{s.dim: jsii.String(value)}})
}

func (s source) Each(stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	return awscloudwatch.NewMathExpression(&awscloudwatch.MathExpressionProps{
		Expression:   jsii.String(fmt.Sprintf(`SEARCH('{Test,%s} MetricName="%s"', '%s', %v)`, s.dim, s.name, stat, *period.ToSeconds(nil))),
		UsingMetrics: &map[string]awscloudwatch.IMetric{}, Label: jsii.String(label), Period: period,
	})
}

// nodes is a CacheGroup of the given cache cluster IDs.
type nodes []string

var _ CacheGroup = nodes{}

func (n nodes) NodeIds() []string { return n }

func (n nodes) MetricOfNode(nodeID, name, statistic string, period awscdk.Duration) awscloudwatch.Metric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("AWS/ElastiCache"), MetricName: jsii.String(name),
		DimensionsMap: &map[string]*string{"CacheClusterId": jsii.String(nodeID)}, Statistic: jsii.String(statistic), Period: period})
}

func threshold(v float64) Threshold { return Threshold{Value: v, EvaluationPeriods: 2} }

// handles are the resources a known set of props watches, in one stack.
type handles struct {
	topic    awssns.ITopic
	stage    awsapigateway.Stage
	aliases  []awslambda.IAlias
	instance awsrds.IDatabaseInstance
	proxy    awsrds.IDatabaseProxy
}

func newHandles(stack awscdk.Stack) handles {
	h := handles{topic: awssns.NewTopic(stack, jsii.String("Topic"), nil)}
	api := awsapigateway.NewRestApi(stack, jsii.String("Api"), nil)
	api.Root().AddMethod(jsii.String("GET"), awsapigateway.NewMockIntegration(nil), nil)
	h.stage = api.DeploymentStage()
	for _, name := range []string{"One", "Two"} {
		fn := awslambda.NewFunction(stack, jsii.String(name), &awslambda.FunctionProps{
			Runtime: awslambda.Runtime_NODEJS_22_X(), Handler: jsii.String("index.handler"),
			Code: awslambda.Code_FromInline(jsii.String("exports.handler = async () => ({})")),
		})
		h.aliases = append(h.aliases, awslambda.NewAlias(stack, jsii.String(name+"Live"), &awslambda.AliasProps{
			AliasName: jsii.String("live"), Version: fn.CurrentVersion(),
		}))
	}
	h.instance = awsrds.DatabaseInstance_FromDatabaseInstanceAttributes(stack, jsii.String("Db"), &awsrds.DatabaseInstanceAttributes{
		InstanceIdentifier: jsii.String("db"), InstanceEndpointAddress: jsii.String("db.example"), Port: jsii.Number(5432),
		SecurityGroups: &[]awsec2.ISecurityGroup{},
	})
	h.proxy = awsrds.DatabaseProxy_FromDatabaseProxyAttributes(stack, jsii.String("Proxy"), &awsrds.DatabaseProxyAttributes{
		DbProxyName: jsii.String("proxy"), DbProxyArn: jsii.String("arn:aws:rds:ap-south-1:111111111111:db-proxy:prx-1"),
		Endpoint: jsii.String("proxy.example"), SecurityGroups: &[]awsec2.ISecurityGroup{},
	})
	return h
}

// The targets of the known props: none is the plan's, so each one seen on
// the dashboard came through props.
const (
	latencyTarget   = 250 * time.Millisecond
	errorTarget     = 0.5
	warmTarget      = 120 * time.Millisecond
	coldStartTarget = 2 * time.Second
	hitRateTarget   = 80.0
	queryTarget     = 50 * time.Millisecond
	durationAxis    = 2500 * time.Millisecond
)

func apiProps(h handles) *ApiProps {
	return &ApiProps{Stage: h.stage, Cached: true, LatencyP95: threshold(400), ErrorRate: threshold(1), ServerErrors: threshold(5),
		LatencyP95Target: latencyTarget, ErrorRateTarget: errorTarget}
}

func functionsProps(h handles, provisioned bool) *FunctionsProps {
	return &FunctionsProps{
		Functions:       []Function{{Name: "one", Alias: h.aliases[0], Provisioned: provisioned}, {Name: "two", Alias: h.aliases[1]}},
		ColdStartMetric: source{"ColdStart", "Function"}, DurationMetric: source{"Handler", "Function"},
		ColdStart: threshold(1500), Throttles: threshold(1), Spillover: threshold(10),
		WarmTarget: warmTarget, ColdStartTarget: coldStartTarget,
	}
}

func cacheProps() *CacheProps {
	return &CacheProps{Group: nodes{"c-001", "c-002"},
		HitsMetric: source{"Hits", "Cache"}, MissesMetric: source{"Misses", "Cache"}, ErrorsMetric: source{"Errors", "Cache"},
		HitRate: threshold(60), Memory: threshold(85), Evictions: threshold(100), HitRateTarget: hitRateTarget}
}

func databaseProps(h handles) *DatabaseProps {
	return &DatabaseProps{Instance: h.instance, Proxy: h.proxy, QueryDurationMetric: source{"Query", "Query"}, RotationFunction: "rotator",
		QueryP95: threshold(80), CPU: threshold(90), FreeStorageGiB: threshold(5), RotationErrors: threshold(1), QueryP95Target: queryTarget}
}

func paymentsProps() *PaymentsProps {
	return &PaymentsProps{RefundDueMetric: source{"RefundDue", "Reason"}, SecretFailuresMetric: source{"SecretFailures", "Secret"},
		RefundDue: threshold(1), SecretFailures: threshold(1)}
}

// cdn is a Distribution in the namespace "CDN", with the distribution's
// ID as its one dimension.
type cdn struct{}

var _ Distribution = cdn{}

func (cdn) Metric(name, stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("CDN"), MetricName: jsii.String(name),
		DimensionsMap: &map[string]*string{"DistributionId": jsii.String("E1")}, Statistic: jsii.String(stat), Label: jsii.String(label), Period: period})
}

// acl is a Firewall in the namespace "ACL" with two rules.
type acl struct{}

var _ Firewall = acl{}

func (acl) Metric(name, rule, stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{Namespace: jsii.String("ACL"), MetricName: jsii.String(name),
		DimensionsMap: &map[string]*string{"WebACL": jsii.String("acl"), "Rule": jsii.String(rule)},
		Statistic:     jsii.String(stat), Label: jsii.String(label), Period: period})
}

func (acl) Rules() []string { return []string{"Managed", "LoginRate"} }

func edgeProps(elsewhere bool) *EdgeProps {
	return &EdgeProps{Distribution: cdn{}, Firewall: acl{}, ErrorRate: threshold(2), Blocked: threshold(50),
		ErrorRateTarget: errorTarget, LatencyP95Target: latencyTarget, AlarmsElsewhere: elsewhere}
}

// known is a Monitoring built from known props and its synthesised stack.
type known struct {
	m    *Monitoring
	tmpl assertions.Template
}

// The known sets of props, synthesised once in TestMain: a synth costs
// seconds. full has every segment, insights only the functions (with
// Lambda Insights, none provisioned, a five-minute period and its own
// heading), payments only the payments segment; edge only the edge
// segment with its alarms, edgeElsewhere the edge segment drawn without
// them beside the payments segment.
var full, insights, payments, edge, edgeElsewhere known

// edgeAlarmsOnly is edge's segment with its alarms, drawn on another
// dashboard (DrawnOn): no dashboard of its own.
var edgeAlarmsOnly known

// periods has every segment at the default one-minute period, with the
// API p95 (one metric), cold start (Insights' MAX over the functions),
// cache hit rate (math over hits and misses) and database p95 alarms
// judging five-minute periods of their own.
var periods known

// many watches more functions (23, all provisioned, with Insights) than
// one alarm's metric math may read.
var many known

const manyFunctions = 23

func TestMain(m *testing.M) {
	pinnednode.Skip()
	code := func() int {
		defer jsii.Close()
		app := awscdk.NewApp(nil)
		stacks := map[*known]awscdk.Stack{}

		stack := awscdk.NewStack(app, jsii.String("Full"), nil)
		h := newHandles(stack)
		fns := functionsProps(h, true)
		fns.DurationAxis, fns.ErrorsMetric = durationAxis, source{"Failed", "Function"}
		fns.SignIn = &SignIn{Succeeded: source{"Logins", ""}, PasswordVerify: source{"Password", ""}, TokenIssue: source{"Token", ""}}
		full.m = NewMonitoring(stack, jsii.String("Monitoring"), &MonitoringProps{Name: jsii.String("svc"), Topic: h.topic,
			Api: apiProps(h), Functions: fns, Cache: cacheProps(), Database: databaseProps(h), Payments: paymentsProps()})
		stacks[&full] = stack

		stack = awscdk.NewStack(app, jsii.String("Insights"), nil)
		h = newHandles(stack)
		fns = functionsProps(h, false)
		fns.Insights = true
		insights.m = NewMonitoring(stack, jsii.String("Monitoring"), &MonitoringProps{Name: jsii.String("fns"), Topic: h.topic,
			Period: awscdk.Duration_Minutes(jsii.Number(5)), Heading: jsii.String("# custom"), Functions: fns})
		stacks[&insights] = stack

		stack = awscdk.NewStack(app, jsii.String("Periods"), nil)
		h = newHandles(stack)
		five := awscdk.Duration_Minutes(jsii.Number(5))
		api, fns, cache, db := apiProps(h), functionsProps(h, true), cacheProps(), databaseProps(h)
		fns.Insights = true
		api.LatencyP95.Period, fns.ColdStart.Period, cache.HitRate.Period, db.QueryP95.Period = five, five, five, five
		periods.m = NewMonitoring(stack, jsii.String("Monitoring"), &MonitoringProps{Name: jsii.String("per"), Topic: h.topic,
			Api: api, Functions: fns, Cache: cache, Database: db})
		stacks[&periods] = stack

		stack = awscdk.NewStack(app, jsii.String("Many"), nil)
		fns = functionsProps(newHandles(stack), true)
		fns.Insights, fns.Functions = true, nil
		for i := range manyFunctions {
			name := fmt.Sprintf("f%02d", i)
			fn := awslambda.NewFunction(stack, jsii.String(name), &awslambda.FunctionProps{
				Runtime: awslambda.Runtime_NODEJS_22_X(), Handler: jsii.String("index.handler"),
				Code: awslambda.Code_FromInline(jsii.String("exports.handler = async () => ({})")),
			})
			alias := awslambda.NewAlias(stack, jsii.String(name+"Live"), &awslambda.AliasProps{AliasName: jsii.String("live"), Version: fn.CurrentVersion()})
			fns.Functions = append(fns.Functions, Function{Name: name, Alias: alias, Provisioned: true})
		}
		many.m = NewMonitoring(stack, jsii.String("Monitoring"), &MonitoringProps{Name: jsii.String("many"),
			Topic: awssns.NewTopic(stack, jsii.String("ManyTopic"), nil), Functions: fns})
		stacks[&many] = stack

		stack = awscdk.NewStack(app, jsii.String("Payments"), nil)
		payments.m = NewMonitoring(stack, jsii.String("Monitoring"), &MonitoringProps{Name: jsii.String("pay"),
			Topic: awssns.NewTopic(stack, jsii.String("Topic"), nil), Payments: paymentsProps()})
		stacks[&payments] = stack

		stack = awscdk.NewStack(app, jsii.String("Edge"), nil)
		edge.m = NewMonitoring(stack, jsii.String("Monitoring"), &MonitoringProps{Name: jsii.String("cdn"),
			Topic: awssns.NewTopic(stack, jsii.String("Topic"), nil), Edge: edgeProps(false)})
		stacks[&edge] = stack

		stack = awscdk.NewStack(app, jsii.String("EdgeElsewhere"), nil)
		edgeElsewhere.m = NewMonitoring(stack, jsii.String("Monitoring"), &MonitoringProps{Name: jsii.String("far"),
			Topic: awssns.NewTopic(stack, jsii.String("Topic"), nil), Edge: edgeProps(true), Payments: paymentsProps()})
		stacks[&edgeElsewhere] = stack

		stack = awscdk.NewStack(app, jsii.String("EdgeAlarmsOnly"), nil)
		edgeAlarmsOnly.m = NewMonitoring(stack, jsii.String("Monitoring"), &MonitoringProps{Name: jsii.String("cdn"),
			Topic: awssns.NewTopic(stack, jsii.String("Topic"), nil), Edge: edgeProps(false), DrawnOn: jsii.String("stage")})
		stacks[&edgeAlarmsOnly] = stack

		app.Synth(nil)
		for k, s := range stacks {
			k.tmpl = assertions.Template_FromStack(s, nil)
		}
		return m.Run()
	}()
	os.Exit(code)
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

// alarms returns the properties of the template's alarms by short name,
// with their logical ID as "_id".
func alarms(tmpl assertions.Template, prefix string) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	for id, r := range *tmpl.FindResources(jsii.String("AWS::CloudWatch::Alarm"), nil) {
		p := (*r)["Properties"].(map[string]interface{})
		p["_id"] = id
		out[strings.TrimPrefix(p["AlarmName"].(string), prefix+"-")] = p
	}
	return out
}

// checkAlarmSet compares the alarms of a known set, in the template and in
// Monitoring.Alarms, with want (name: critical), and checks that every
// alarm and the service-health composite notify the topic, and that the
// composite watches exactly the critical ones.
func checkAlarmSet(t *testing.T, k known, prefix string, want map[string]bool) {
	t.Helper()
	counts(t, k.tmpl, map[string]float64{"AWS::CloudWatch::Alarm": float64(len(want)), "AWS::CloudWatch::CompositeAlarm": 1,
		"AWS::CloudWatch::Dashboard": 1})
	got := alarms(k.tmpl, prefix)
	if names, wantNames := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)); !slices.Equal(names, wantNames) {
		t.Errorf("alarms %v, want %v", names, wantNames)
	}
	if names := slices.Sorted(maps.Keys(k.m.Alarms)); !slices.Equal(names, slices.Sorted(maps.Keys(want))) {
		t.Errorf("Monitoring.Alarms has %v", names)
	}
	var topic string
	for id := range *k.tmpl.FindResources(jsii.String("AWS::SNS::Topic"), nil) {
		topic = fmt.Sprint([]interface{}{map[string]interface{}{"Ref": id}})
	}
	var composite map[string]interface{}
	for _, r := range *k.tmpl.FindResources(jsii.String("AWS::CloudWatch::CompositeAlarm"), nil) {
		composite = (*r)["Properties"].(map[string]interface{})
	}
	rule, _ := json.Marshal(composite["AlarmRule"])
	for name, critical := range want {
		p := got[name]
		if p == nil {
			continue
		}
		if fmt.Sprint(p["AlarmActions"]) != topic || fmt.Sprint(p["OKActions"]) != topic {
			t.Errorf("%s notifies %v and %v, want the topic %s", name, p["AlarmActions"], p["OKActions"], topic)
		}
		if watched := strings.Contains(string(rule), `"`+p["_id"].(string)+`"`); watched != critical {
			t.Errorf("service health watches %s = %v, want %v", name, watched, critical)
		}
	}
	if composite["AlarmName"] != prefix+"-service-health" || fmt.Sprint(composite["AlarmActions"]) != topic || fmt.Sprint(composite["OKActions"]) != topic {
		t.Errorf("service health: %v", composite)
	}
}

// reads is an alarm's properties with, for an alarm of one metric, what
// it reads: Namespace, MetricName, Stat, Period and Dimensions (printed),
// wherever CloudFormation has them (a labelled metric is in Metrics).
func reads(p map[string]interface{}) map[string]interface{} {
	out := maps.Clone(p)
	if list, ok := p["Metrics"].([]interface{}); ok && len(list) == 1 {
		stat := list[0].(map[string]interface{})["MetricStat"].(map[string]interface{})
		metric := stat["Metric"].(map[string]interface{})
		out["Namespace"], out["MetricName"], out["Stat"], out["Period"] = metric["Namespace"], metric["MetricName"], stat["Stat"], stat["Period"]
		out["Dimensions"] = nil
		if d, ok := metric["Dimensions"]; ok {
			out["Dimensions"] = fmt.Sprint(d)
		}
	}
	return out
}

// dashboard is the dashboard's JSON with every CloudFormation token
// replaced by TOKEN.
func dashboard(t *testing.T, tmpl assertions.Template) map[string]interface{} {
	t.Helper()
	var body interface{}
	for _, r := range *tmpl.FindResources(jsii.String("AWS::CloudWatch::Dashboard"), nil) {
		body = (*r)["Properties"].(map[string]interface{})["DashboardBody"]
	}
	var b strings.Builder
	if s, ok := body.(string); ok {
		b.WriteString(s)
	} else {
		for _, part := range body.(map[string]interface{})["Fn::Join"].([]interface{})[1].([]interface{}) {
			if s, ok := part.(string); ok {
				b.WriteString(s)
			} else {
				b.WriteString("TOKEN")
			}
		}
	}
	var out map[string]interface{}
	if err := json.Unmarshal([]byte(b.String()), &out); err != nil {
		t.Fatalf("dashboard body is not JSON: %v", err)
	}
	return out
}

// texts are the dashboard's widget titles and Markdown, in order, and the
// graphs' annotations as "title: label=value".
func texts(t *testing.T, tmpl assertions.Template) (texts, limits []string) {
	t.Helper()
	for _, w := range dashboard(t, tmpl)["widgets"].([]interface{}) {
		p := w.(map[string]interface{})["properties"].(map[string]interface{})
		for _, k := range []string{"markdown", "title"} {
			if s, ok := p[k].(string); ok {
				texts = append(texts, s)
			}
		}
		if a, ok := p["annotations"].(map[string]interface{}); ok {
			for _, h := range a["horizontal"].([]interface{}) {
				h := h.(map[string]interface{})
				limits = append(limits, fmt.Sprintf("%s: %s=%v", p["title"], h["label"], h["value"]))
			}
		}
	}
	return texts, limits
}

func TestFull(t *testing.T) {
	checkAlarmSet(t, full, "svc", map[string]bool{
		"apiLatencyP95Ms": true, "errorRatePercent": true, "api5xxCount": true,
		"coldStartMs": false, "functionThrottles": true, "spilloverInvocations": false,
		"cacheHitRatePercent": false, "cacheMemoryPercent": true, "cacheEvictionsCount": false,
		"databaseQueryP95Ms": true, "databaseCpuPercent": true, "databaseFreeStorageGiB": false, "rotationErrorsCount": false,
		"refundDueCount": false, "secretFailuresCount": true,
	})
	a := alarms(full.tmpl, "svc")
	for name, want := range map[string]map[string]interface{}{
		"apiLatencyP95Ms": {"MetricName": "Latency", "Stat": "p95", "Period": 60.0, "Threshold": 400.0,
			"ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching"},
		// The functions' own cold start, for all of them: no Insights.
		"coldStartMs": {"Namespace": "Test", "MetricName": "ColdStart", "Stat": "Average", "Period": 60.0, "Dimensions": nil,
			"Threshold": 1500.0, "ComparisonOperator": "GreaterThanThreshold"},
		"databaseQueryP95Ms":     {"Namespace": "Test", "MetricName": "Query", "Stat": "p95", "Threshold": 80.0},
		"databaseCpuPercent":     {"MetricName": "CPUUtilization", "Stat": "Maximum", "TreatMissingData": "breaching"},
		"databaseFreeStorageGiB": {"MetricName": "FreeStorageSpace", "Stat": "Minimum", "Threshold": 5.0 * (1 << 30), "ComparisonOperator": "LessThanThreshold"},
		"refundDueCount":         {"Namespace": "Test", "MetricName": "RefundDue", "Stat": "Sum", "ComparisonOperator": "GreaterThanOrEqualToThreshold"},
		"secretFailuresCount":    {"Namespace": "Test", "MetricName": "SecretFailures", "Stat": "Sum"},
		"rotationErrorsCount":    {"Namespace": "AWS/Lambda", "MetricName": "Errors", "Stat": "Sum", "Dimensions": "[map[Name:FunctionName Value:rotator]]"},
		"cacheHitRatePercent":    {"ComparisonOperator": "LessThanThreshold", "Threshold": 60.0},
	} {
		got := reads(a[name])
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v", name, k, got[k], v)
			}
		}
		if a[name]["EvaluationPeriods"] != 2.0 || a[name]["DatapointsToAlarm"] != 2.0 {
			t.Errorf("%s judges %v of %v periods, want 2 of 2", name, a[name]["DatapointsToAlarm"], a[name]["EvaluationPeriods"])
		}
	}
	// The memory alarm reads the fullest of the group's two nodes.
	mem, _ := json.Marshal(a["cacheMemoryPercent"]["Metrics"])
	if !strings.Contains(string(mem), `"Expression":"MAX([m0, m1])"`) || !strings.Contains(string(mem), `"c-002"`) {
		t.Errorf("cache memory alarm reads %s", mem)
	}

	// The targets, from props, in the alarms' descriptions and on the
	// dashboard.
	for name, want := range map[string]string{
		"apiLatencyP95Ms":     "API p95 latency above 400 ms (plan target 250 ms).",
		"errorRatePercent":    "More than 1 % of API requests end in 5XX (plan target 0.5 %).",
		"coldStartMs":         "Average cold start (the functions' ColdStartDuration) above 1500 ms (plan target 2 s).",
		"cacheHitRatePercent": "The functions' Redis hit rate fell below 60 % (plan target 80 %) in periods with at least 50 reads",
		"databaseQueryP95Ms":  "Database query p95 above 80 ms (plan target 50 ms). The per-query graph names the query; pg_stat_statements and the slow-query log (log_min_duration_statement = 50) explain it.",
	} {
		if d, _ := a[name]["AlarmDescription"].(string); !strings.HasPrefix(d, want) {
			t.Errorf("%s description %q, want it to start %q", name, d, want)
		}
	}
	all, limits := texts(t, full.tmpl)
	text := strings.Join(all, "\n")
	for _, want := range []string{
		"# svc", "Alarms (service health first)",
		"## API\nWhat users see: API Gateway latency against the plan's 250 ms p95, errors against its 0.5 %.",
		"## Functions\nDuration per function (target: warm under 120 ms), cold starts (target: under 2 s),",
		"## Cache\nRedis as the functions use it (target: hit rate above 80 %)",
		"## Database\nQuery round trips as the functions measure them (target: p95 under 50 ms)",
		"## Payments\n",
		"API Gateway cache hit rate (%)", "one duration (ms)", "two duration (ms)", "Provisioned concurrency utilisation (max)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("dashboard has no %q", want)
		}
	}
	if i, j := strings.Index(text, "## Database"), strings.Index(text, "## Payments"); i > j {
		t.Errorf("the payments segment comes before the database")
	}
	for _, want := range []string{
		"API latency (ms): p95 target=400", "Error rate (%): target=1", "Handler time p95 by function (ms): warm target=120",
		"Cold start (init) duration by function, avg (ms): target=1500", "Cold start (init) duration, all functions (ms): target=1500", "Redis hit rate (%): target=60", "Memory used (%): alarm=85",
		"Query duration p95 by query (ms): target=80", "Free storage (GiB): alarm=5",
	} {
		if !slices.Contains(limits, want) {
			t.Errorf("no limit %q among %v", want, limits)
		}
	}
}

// alarmPeriods are the periods an alarm judges: its own, or those of
// every metric and expression in its Metrics.
func alarmPeriods(p map[string]interface{}) []float64 {
	var out []float64
	if v, ok := p["Period"].(float64); ok {
		out = append(out, v)
	}
	list, _ := p["Metrics"].([]interface{})
	for _, m := range list {
		m := m.(map[string]interface{})
		if v, ok := m["Period"].(float64); ok {
			out = append(out, v)
		}
		if stat, ok := m["MetricStat"].(map[string]interface{}); ok {
			out = append(out, stat["Period"].(float64))
		}
	}
	return out
}

// TestAlarmPeriods: an alarm with a period of its own judges it, in every
// metric its expression reads; the others judge the graphs' period, which
// stays the Monitoring's.
func TestAlarmPeriods(t *testing.T) {
	a := alarms(periods.tmpl, "per")
	for name, want := range map[string]float64{
		"apiLatencyP95Ms": 300, "coldStartMs": 300, "cacheHitRatePercent": 300, "databaseQueryP95Ms": 300,
		"errorRatePercent": 60, "api5xxCount": 60, "functionThrottles": 60, "spilloverInvocations": 60,
		"cacheMemoryPercent": 60, "databaseCpuPercent": 60, "rotationErrorsCount": 60,
	} {
		got := alarmPeriods(a[name])
		if len(got) == 0 {
			t.Errorf("%s: no period found in %v", name, a[name])
		}
		for _, p := range got {
			if p != want {
				t.Errorf("%s judges periods %v, want all %v", name, got, want)
				break
			}
		}
	}
	for _, w := range dashboard(t, periods.tmpl)["widgets"].([]interface{}) {
		p := w.(map[string]interface{})["properties"].(map[string]interface{})
		if v, ok := p["period"]; ok && v != 60.0 {
			t.Errorf("widget %q plots period %v, want the Monitoring's 60", p["title"], v)
		}
	}
}

// widgetsByTitle are the dashboard's graphs' properties by title.
func widgetsByTitle(t *testing.T, tmpl assertions.Template) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	for _, w := range dashboard(t, tmpl)["widgets"].([]interface{}) {
		p := w.(map[string]interface{})["properties"].(map[string]interface{})
		if title, ok := p["title"].(string); ok {
			out[title] = p
		}
	}
	return out
}

// TestFunctionGraphs: cold starts for all functions as avg, p95 and max
// beside the per-function averages; duration graphs on the fixed axis;
// failed operations by function; sign-in's figures.
func TestFunctionGraphs(t *testing.T) {
	w := widgetsByTitle(t, full.tmpl)
	cold, _ := json.Marshal(w["Cold start (init) duration, all functions (ms)"]["metrics"])
	for _, want := range []string{`"Test","ColdStart",{"label":"avg"`, `"label":"p95","period":60,"stat":"p95"`, `"label":"max","period":60,"stat":"Maximum"`} {
		if !strings.Contains(string(cold), want) {
			t.Errorf("all-functions cold-start graph %s, without %s", cold, want)
		}
	}
	for _, title := range []string{"one duration (ms)", "two duration (ms)", "Handler time p95 by function (ms)", "Sign-in: password check and token signing (ms)"} {
		if axis := fmt.Sprint(w[title]["yAxis"]); axis != "map[left:map[max:2500 min:0 showUnits:false]]" {
			t.Errorf("%s: axis %s, want 0 to 2500", title, axis)
		}
	}
	if axis := fmt.Sprint(w["Cold start (init) duration by function, avg (ms)"]["yAxis"]); strings.Contains(axis, "max") {
		t.Errorf("cold starts on a fixed axis %s: one past it would be cut off", axis)
	}
	for title, want := range map[string][]string{
		"Failed operations by function (5XX answers, failed invocations)": {`SEARCH('{Test,Function} MetricName=\"Failed\"', 'Sum', 60)`},
		"Successful sign-ins": {`"Test","Logins",{"label":"sign-ins","period":60,"stat":"Sum"}`},
		"Sign-in: password check and token signing (ms)": {`"Test","Password",{"label":"password avg"`, `"label":"password p95","period":60,"stat":"p95"`,
			`"Test","Token",{"label":"token avg"`, `"label":"token p95","period":60,"stat":"p95"`},
	} {
		got, _ := json.Marshal(w[title]["metrics"])
		for _, s := range want {
			if !strings.Contains(string(got), s) {
				t.Errorf("%s draws %s, without %s", title, got, s)
			}
		}
	}
	// Without them in props (insights), none of it is drawn, and the
	// duration graphs fit their data.
	w = widgetsByTitle(t, insights.tmpl)
	for _, title := range []string{"Successful sign-ins", "Failed operations by function (5XX answers, failed invocations)"} {
		if _, ok := w[title]; ok {
			t.Errorf("insights draws %q, which its props leave out", title)
		}
	}
	if axis := fmt.Sprint(w["one duration (ms)"]["yAxis"]); strings.Contains(axis, "max") {
		t.Errorf("duration axis %s without DurationAxis", axis)
	}
}

// TestManyFunctions: past ten functions, the alarms over every function
// split into alarms of at most ten metrics each (CloudWatch's limit for
// metric math), which together read every function once.
func TestManyFunctions(t *testing.T) {
	a := alarms(many.tmpl, "many")
	for _, name := range []string{"coldStartMs", "functionThrottles", "spilloverInvocations"} {
		read := map[string]int{}
		for g, want := range []int{10, 10, 3} {
			id := name
			if g > 0 {
				id = fmt.Sprintf("%s-%d", name, g+1)
			}
			p, ok := a[id]
			if !ok {
				t.Errorf("no alarm %s among %v", id, slices.Sorted(maps.Keys(a)))
				continue
			}
			n := 0
			for _, m := range p["Metrics"].([]interface{}) {
				stat, ok := m.(map[string]interface{})["MetricStat"].(map[string]interface{})
				if !ok {
					continue
				}
				n++
				b, _ := json.Marshal(stat["Metric"])
				read[string(b)]++
			}
			if n != want {
				t.Errorf("%s reads %d metrics, want %d (at most %d)", id, n, want, MaxAlarmMetrics)
			}
			if d, _ := p["AlarmDescription"].(string); !strings.Contains(d, fmt.Sprintf("Group %d of 3: f%02d, ", g+1, g*10)) {
				t.Errorf("%s description %q does not name its group", id, d)
			}
		}
		if len(read) != manyFunctions {
			t.Errorf("%s alarms read %d distinct metrics, want one per function (%d)", name, len(read), manyFunctions)
		}
		for m, n := range read {
			if n != 1 {
				t.Errorf("%s alarms read %s %d times", name, m, n)
			}
		}
	}
	if _, ok := a["functionThrottles-4"]; ok {
		t.Error("a fourth throttles alarm for 23 functions")
	}
	// Every group of throttles is critical.
	var rule []byte
	for _, r := range *many.tmpl.FindResources(jsii.String("AWS::CloudWatch::CompositeAlarm"), nil) {
		rule, _ = json.Marshal((*r)["Properties"].(map[string]interface{})["AlarmRule"])
	}
	for _, id := range []string{"functionThrottles", "functionThrottles-2", "functionThrottles-3"} {
		if p := a[id]; p == nil || !strings.Contains(string(rule), `"`+p["_id"].(string)+`"`) {
			t.Errorf("service health does not watch %s", id)
		}
	}
}

func TestInsights(t *testing.T) {
	checkAlarmSet(t, insights, "fns", map[string]bool{"coldStartMs": false, "functionThrottles": true})
	a := alarms(insights.tmpl, "fns")
	// With Insights, the alarm reads the slowest function's whole INIT
	// phase, over the five-minute period.
	cold, _ := json.Marshal(a["coldStartMs"]["Metrics"])
	for _, want := range []string{`"Expression":"MAX([i0, i1])"`, `"MetricName":"init_duration"`, `"Namespace":"LambdaInsights"`,
		`"Name":"function_name"`, `"Period":300`} {
		if !strings.Contains(string(cold), want) {
			t.Errorf("cold-start alarm reads %s, without %s", cold, want)
		}
	}
	if d, _ := a["coldStartMs"]["AlarmDescription"].(string); !strings.Contains(d, "Lambda Insights' init_duration of the slowest function") {
		t.Errorf("cold-start description %q", d)
	}
	all, _ := texts(t, insights.tmpl)
	if all[0] != "# custom" {
		t.Errorf("dashboard starts %q, want the heading", all[0])
	}
	if text := strings.Join(all, "\n"); strings.Contains(text, "Provisioned concurrency") || strings.Contains(text, "## API") {
		t.Errorf("dashboard draws what the props left out:\n%s", text)
	}
}

func TestPaymentsAlone(t *testing.T) {
	checkAlarmSet(t, payments, "pay", map[string]bool{"refundDueCount": false, "secretFailuresCount": true})
	check(t, "dashboard name", func() {
		payments.tmpl.HasResourceProperties(jsii.String("AWS::CloudWatch::Dashboard"), map[string]interface{}{"DashboardName": "pay"})
	})
	all, _ := texts(t, payments.tmpl)
	if all[0] != "# pay" {
		t.Errorf("dashboard starts %q, want the default heading", all[0])
	}
	// The payments graphs search each metric by its dimension.
	body, _ := json.Marshal(dashboard(t, payments.tmpl))
	if !strings.Contains(string(body), `SEARCH('{Test,Reason} MetricName=\"RefundDue\"', 'Sum', 60)`) {
		t.Errorf("no search of refunds by reason in %s", body)
	}
}

func TestEdge(t *testing.T) {
	checkAlarmSet(t, edge, "cdn", map[string]bool{"edge5xxRatePercent": true, "wafBlockedRequests": false})
	a := alarms(edge.tmpl, "cdn")
	for name, want := range map[string]map[string]interface{}{
		"edge5xxRatePercent": {"Namespace": "CDN", "MetricName": "5xxErrorRate", "Stat": "Average", "Threshold": 2.0,
			"ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching"},
		"wafBlockedRequests": {"Namespace": "ACL", "MetricName": "BlockedRequests", "Stat": "Sum", "Threshold": 50.0,
			"Dimensions": "[map[Name:Rule Value:ALL] map[Name:WebACL Value:acl]]", "ComparisonOperator": "GreaterThanOrEqualToThreshold"},
	} {
		got := reads(a[name])
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v", name, k, got[k], v)
			}
		}
	}
	all, limits := texts(t, edge.tmpl)
	text := strings.Join(all, "\n")
	for _, want := range []string{"## Edge\n", "Edge requests", "Edge 5XX rate (%)", "Edge cache hit rate (%)", "Origin latency (ms)",
		"Web ACL: allowed and blocked requests", "Blocked requests by rule"} {
		if !strings.Contains(text, want) {
			t.Errorf("dashboard has no %q", want)
		}
	}
	for _, want := range []string{"Edge 5XX rate (%): alarm=2", "Edge 5XX rate (%): target=0.5", "Origin latency (ms): p95 target=250",
		"Web ACL: allowed and blocked requests: alarm=50"} {
		if !slices.Contains(limits, want) {
			t.Errorf("no limit %q among %v", want, limits)
		}
	}
	// One line per rule, by the rule's metric name.
	body, _ := json.Marshal(dashboard(t, edge.tmpl))
	for _, rule := range []string{`"Rule","Managed"`, `"Rule","LoginRate"`, `"OriginLatency"`, `"CacheHitRate"`} {
		if !strings.Contains(string(body), rule) {
			t.Errorf("dashboard does not draw %s: %s", rule, body)
		}
	}
}

// TestEdgeAlarmsElsewhere: a dashboard in another region than the edge's
// metrics draws them and creates no alarm on them, which CloudWatch
// could not evaluate there.
func TestEdgeAlarmsElsewhere(t *testing.T) {
	checkAlarmSet(t, edgeElsewhere, "far", map[string]bool{"refundDueCount": false, "secretFailuresCount": true})
	all, _ := texts(t, edgeElsewhere.tmpl)
	text := strings.Join(all, "\n")
	for _, want := range []string{"Its alarms are in the metrics' own region", "Edge 5XX rate (%)", "Blocked requests by rule"} {
		if !strings.Contains(text, want) {
			t.Errorf("dashboard has no %q", want)
		}
	}
	if i, j := strings.Index(text, "## Edge"), strings.Index(text, "## Payments"); i > j {
		t.Errorf("the edge segment does not come first")
	}
}

// TestDrawnOn: a Monitoring whose metrics another dashboard draws creates
// the same alarms and no dashboard, and its service-health alarm sends
// on-call to the dashboard that draws them.
func TestDrawnOn(t *testing.T) {
	counts(t, edgeAlarmsOnly.tmpl, map[string]float64{"AWS::CloudWatch::Dashboard": 0, "AWS::CloudWatch::CompositeAlarm": 1})
	if edgeAlarmsOnly.m.Dashboard != nil {
		t.Error("Dashboard is set")
	}
	if got, want := slices.Sorted(maps.Keys(alarms(edgeAlarmsOnly.tmpl, "cdn"))), slices.Sorted(maps.Keys(alarms(edge.tmpl, "cdn"))); !slices.Equal(got, want) {
		t.Errorf("alarms %v, want those with a dashboard: %v", got, want)
	}
	for _, r := range *edgeAlarmsOnly.tmpl.FindResources(jsii.String("AWS::CloudWatch::CompositeAlarm"), nil) {
		if d, _ := (*r)["Properties"].(map[string]interface{})["AlarmDescription"].(string); !strings.HasSuffix(d, "Open the dashboard stage.") {
			t.Errorf("service health says %q, want it to name the dashboard stage", d)
		}
	}
}

func TestValidation(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Invalid"), nil)
	h := newHandles(stack)
	valid := func() MonitoringProps {
		return MonitoringProps{Name: jsii.String("svc"), Topic: h.topic, Api: apiProps(h), Functions: functionsProps(h, true),
			Cache: cacheProps(), Database: databaseProps(h), Payments: paymentsProps()}
	}
	for i, c := range []struct {
		name   string
		change func(*MonitoringProps)
		want   []string
	}{
		{"no Name", func(p *MonitoringProps) { p.Name = nil }, []string{"Name is required"}},
		{"Name", func(p *MonitoringProps) { p.Name = jsii.String("svc prod") },
			[]string{`Name must be 1 to 200 letters, digits, dashes and underscores, got "svc prod"`}},
		{"DrawnOn", func(p *MonitoringProps) { p.DrawnOn = jsii.String("") },
			[]string{`DrawnOn must be a dashboard name (1 to 200 letters, digits, dashes and underscores), got ""`}},
		{"no Topic", func(p *MonitoringProps) { p.Topic = nil }, []string{"Topic is required"}},
		{"Period", func(p *MonitoringProps) { p.Period = awscdk.Duration_Seconds(jsii.Number(45)) },
			[]string{"Period must be 10, 20 or 30 seconds or a multiple of 60 seconds, got 45 s"}},
		{"Period under a minute", func(p *MonitoringProps) { p.Period = awscdk.Duration_Seconds(jsii.Number(5)) },
			[]string{"Period must be 10, 20 or 30 seconds or a multiple of 60 seconds, got 5 s"}},
		{"alarm Period", func(p *MonitoringProps) { p.Api.LatencyP95.Period = awscdk.Duration_Seconds(jsii.Number(90)) },
			[]string{"Api.LatencyP95.Period must be 10, 20 or 30 seconds or a multiple of 60 seconds, got 90 s"}},
		{"no segment", func(p *MonitoringProps) {
			p.Edge, p.Api, p.Functions, p.Cache, p.Database, p.Payments = nil, nil, nil, nil, nil, nil
		},
			[]string{"at least one of Edge, Api, Functions, Cache, Database and Payments is required"}},

		{"Api.Stage", func(p *MonitoringProps) { p.Api.Stage = nil }, []string{"Api.Stage is required"}},
		{"Api thresholds", func(p *MonitoringProps) {
			p.Api.LatencyP95, p.Api.ErrorRate, p.Api.ServerErrors = Threshold{}, Threshold{Value: 150, EvaluationPeriods: 1}, Threshold{Value: -1}
		}, []string{"Api.LatencyP95 is required", "Api.ErrorRate.Value must be a percentage between 0 and 100, got 150",
			"Api.ServerErrors.EvaluationPeriods must be at least 1, got 0", "Api.ServerErrors.Value must not be negative, got -1"}},
		{"Api targets", func(p *MonitoringProps) { p.Api.LatencyP95Target, p.Api.ErrorRateTarget = 0, 101 },
			[]string{"Api.LatencyP95Target must be positive, got 0s", "Api.ErrorRateTarget must be a percentage above 0 and at most 100, got 101"}},

		{"no Functions.Functions", func(p *MonitoringProps) { p.Functions.Functions = nil },
			[]string{"Functions.Functions must list at least one function"}},
		{"Functions.Functions", func(p *MonitoringProps) {
			p.Functions.Functions = []Function{{Name: "one", Alias: h.aliases[0]}, {Name: ""}, {Name: "one", Alias: h.aliases[1]}}
		}, []string{"Functions.Functions[1].Name is required", "Functions.Functions[1].Alias is required",
			`Functions.Functions[2].Name "one" is listed twice`}},
		{"Functions metrics", func(p *MonitoringProps) { p.Functions.ColdStartMetric, p.Functions.DurationMetric = nil, nil },
			[]string{"Functions.ColdStartMetric is required", "Functions.DurationMetric is required"}},
		{"Functions thresholds", func(p *MonitoringProps) {
			p.Functions.ColdStart, p.Functions.Throttles, p.Functions.Spillover = Threshold{}, Threshold{Value: -2, EvaluationPeriods: 1}, Threshold{Value: 1}
		}, []string{"Functions.ColdStart is required", "Functions.Throttles.Value must not be negative, got -2",
			"Functions.Spillover.EvaluationPeriods must be at least 1, got 0"}},
		{"Functions targets", func(p *MonitoringProps) { p.Functions.WarmTarget, p.Functions.ColdStartTarget = -time.Millisecond, 0 },
			[]string{"Functions.WarmTarget must be positive, got -1ms", "Functions.ColdStartTarget must be positive, got 0s"}},

		{"no Cache.Group", func(p *MonitoringProps) { p.Cache.Group = nil }, []string{"Cache.Group is required"}},
		{"Cache.Group without nodes", func(p *MonitoringProps) { p.Cache.Group = nodes{} }, []string{"Cache.Group must have at least one node"}},
		{"Cache metrics", func(p *MonitoringProps) {
			p.Cache.HitsMetric, p.Cache.MissesMetric, p.Cache.ErrorsMetric = nil, nil, nil
		},
			[]string{"Cache.HitsMetric is required", "Cache.MissesMetric is required", "Cache.ErrorsMetric is required"}},
		{"Cache thresholds", func(p *MonitoringProps) {
			p.Cache.HitRate, p.Cache.Memory, p.Cache.Evictions = Threshold{Value: -1, EvaluationPeriods: 1}, Threshold{}, Threshold{Value: -1, EvaluationPeriods: 1}
		}, []string{"Cache.HitRate.Value must be a percentage between 0 and 100, got -1", "Cache.Memory is required",
			"Cache.Evictions.Value must not be negative, got -1"}},
		{"Cache.HitRateTarget", func(p *MonitoringProps) { p.Cache.HitRateTarget = 0 },
			[]string{"Cache.HitRateTarget must be a percentage above 0 and at most 100, got 0"}},

		{"Database handles", func(p *MonitoringProps) {
			p.Database.Instance, p.Database.Proxy, p.Database.QueryDurationMetric, p.Database.RotationFunction = nil, nil, nil, ""
		}, []string{"Database.Instance is required", "Database.Proxy is required", "Database.QueryDurationMetric is required",
			"Database.RotationFunction is required"}},
		{"Database thresholds", func(p *MonitoringProps) {
			d := p.Database
			d.QueryP95, d.CPU, d.FreeStorageGiB, d.RotationErrors = Threshold{}, Threshold{Value: 101, EvaluationPeriods: 3}, Threshold{Value: -5, EvaluationPeriods: 1}, Threshold{Value: 1, EvaluationPeriods: -1}
		}, []string{"Database.QueryP95 is required", "Database.CPU.Value must be a percentage between 0 and 100, got 101",
			"Database.FreeStorageGiB.Value must not be negative, got -5", "Database.RotationErrors.EvaluationPeriods must be at least 1, got -1"}},
		{"Database.QueryP95Target", func(p *MonitoringProps) { p.Database.QueryP95Target = 0 },
			[]string{"Database.QueryP95Target must be positive, got 0s"}},

		{"Edge without a source", func(p *MonitoringProps) { p.Edge = &EdgeProps{} }, []string{"Edge needs a Distribution or a Firewall"}},
		{"Edge thresholds and targets", func(p *MonitoringProps) {
			p.Edge = edgeProps(false)
			p.Edge.ErrorRate, p.Edge.Blocked, p.Edge.ErrorRateTarget, p.Edge.LatencyP95Target = Threshold{Value: 120, EvaluationPeriods: 1}, Threshold{}, 0, 0
		}, []string{"Edge.ErrorRate.Value must be a percentage between 0 and 100, got 120", "Edge.ErrorRateTarget must be a percentage above 0 and at most 100, got 0",
			"Edge.LatencyP95Target must be positive, got 0s", "Edge.Blocked is required"}},
		{"Edge firewall alone needs no distribution targets", func(p *MonitoringProps) {
			p.Edge = &EdgeProps{Firewall: acl{}, Blocked: Threshold{Value: -1, EvaluationPeriods: 1}}
		}, []string{"Edge.Blocked.Value must not be negative, got -1"}},

		{"Payments", func(p *MonitoringProps) {
			p.Payments.RefundDueMetric, p.Payments.SecretFailuresMetric, p.Payments.RefundDue, p.Payments.SecretFailures = nil, nil, Threshold{}, Threshold{Value: -1, EvaluationPeriods: 1}
		}, []string{"Payments.RefundDueMetric is required", "Payments.SecretFailuresMetric is required", "Payments.RefundDue is required",
			"Payments.SecretFailures.Value must not be negative, got -1"}},

		{"Security", func(p *MonitoringProps) {
			p.Security = &SecurityProps{UnauthorizedRate: Threshold{Value: 101, EvaluationPeriods: 1}}
		}, []string{"Security.Stage is required", "Security.UnauthorizedMetric is required", "Security.WebhookSignatureMetric is required",
			"Security.UnauthorizedRate.Value must be a percentage between 0 and 100, got 101", "Security.WebhookSignature is required"}},

		{"several at once", func(p *MonitoringProps) {
			p.Topic = nil
			p.Api.Stage = nil
			p.Functions.DurationMetric = nil
			p.Cache.HitRateTarget = 0
			p.Database.RotationFunction = ""
			p.Payments.RefundDue = Threshold{}
		}, []string{"Topic is required", "Api.Stage is required", "Functions.DurationMetric is required",
			"Cache.HitRateTarget must be a percentage above 0 and at most 100, got 0", "Database.RotationFunction is required",
			"Payments.RefundDue is required"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := valid()
			c.change(&p)
			id := fmt.Sprintf("Case%d", i)
			want := "monitoring.NewMonitoring " + id + ": " + strings.Join(c.want, "; ")
			if got := panicOf(func() { NewMonitoring(stack, jsii.String(id), &p) }); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	// The props the cases break are valid.
	p := valid()
	if got := panicOf(func() { NewMonitoring(stack, jsii.String("Valid"), &p) }); got != "" {
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
