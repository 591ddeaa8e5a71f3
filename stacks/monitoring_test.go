package stacks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/metrics"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/plan"
)

// alarmShape is what an alarm must read and how it must judge it.
type alarmShape struct {
	metrics    []string // metric names it reads
	statistic  string   // of a single-metric alarm
	comparison string
	missing    string
	critical   bool
}

var alarmShapes = map[string]alarmShape{
	"apiLatencyP95Ms":        {metrics: []string{"Latency"}, statistic: "p95", comparison: "GreaterThanThreshold", missing: "notBreaching", critical: true},
	"errorRatePercent":       {metrics: []string{"5XXError", "Count"}, comparison: "GreaterThanThreshold", missing: "notBreaching", critical: true},
	"api5xxCount":            {metrics: []string{"5XXError"}, statistic: "Sum", comparison: "GreaterThanOrEqualToThreshold", missing: "notBreaching", critical: true},
	"coldStartMs":            {metrics: []string{"ColdStartDuration"}, statistic: "Average", comparison: "GreaterThanThreshold", missing: "notBreaching"},
	"functionThrottles":      {metrics: []string{"Throttles"}, comparison: "GreaterThanOrEqualToThreshold", missing: "notBreaching", critical: true},
	"spilloverInvocations":   {metrics: []string{"ProvisionedConcurrencySpilloverInvocations"}, comparison: "GreaterThanOrEqualToThreshold", missing: "notBreaching"},
	"cacheHitRatePercent":    {metrics: []string{"CacheHits", "CacheMisses"}, comparison: "LessThanThreshold", missing: "notBreaching"},
	"cacheMemoryPercent":     {metrics: []string{"DatabaseMemoryUsagePercentage"}, comparison: "GreaterThanThreshold", missing: "breaching", critical: true},
	"cacheEvictionsCount":    {metrics: []string{"Evictions"}, comparison: "GreaterThanOrEqualToThreshold", missing: "notBreaching"},
	"databaseQueryP95Ms":     {metrics: []string{"QueryDuration"}, statistic: "p95", comparison: "GreaterThanThreshold", missing: "notBreaching", critical: true},
	"databaseCpuPercent":     {metrics: []string{"CPUUtilization"}, statistic: "Maximum", comparison: "GreaterThanThreshold", missing: "breaching", critical: true},
	"databaseFreeStorageGiB": {metrics: []string{"FreeStorageSpace"}, statistic: "Minimum", comparison: "LessThanThreshold", missing: "breaching"},
	"refundDueCount":         {metrics: []string{"PaymentsRefundDue"}, statistic: "Sum", comparison: "GreaterThanOrEqualToThreshold", missing: "notBreaching"},
	"secretFailuresCount":    {metrics: []string{"SecretFailures"}, statistic: "Sum", comparison: "GreaterThanOrEqualToThreshold", missing: "notBreaching", critical: true},
	"rotationErrorsCount":    {metrics: []string{"Errors"}, statistic: "Sum", comparison: "GreaterThanOrEqualToThreshold", missing: "notBreaching"},
	// Security (issue 18): the functions' 401 share of the API's requests,
	// and webhook deliveries with a bad signature.
	"unauthorizedRatePercent":       {metrics: []string{"Count", "Unauthorized"}, comparison: "GreaterThanThreshold", missing: "notBreaching"},
	"webhookSignatureFailuresCount": {metrics: []string{"WebhookSignatureFailures"}, statistic: "Sum", comparison: "GreaterThanOrEqualToThreshold", missing: "notBreaching"},
}

func alarmsByName(t *testing.T, s *synthesized) map[string]map[string]interface{} {
	t.Helper()
	out := map[string]map[string]interface{}{}
	for id, r := range resources(s.template(s.platform.Monitoring.Stack), "AWS::CloudWatch::Alarm") {
		p := r["Properties"].(map[string]interface{})
		p["_id"] = id
		out[strings.TrimPrefix(p["AlarmName"].(string), "hasivu-"+s.cfg.Name+"-")] = p
	}
	return out
}

// metricNames lists the metric names an alarm reads, single or math.
func metricNames(p map[string]interface{}) []string {
	if n, ok := p["MetricName"].(string); ok {
		return []string{n}
	}
	seen := map[string]bool{}
	var names []string
	for _, m := range p["Metrics"].([]interface{}) {
		if stat, ok := m.(map[string]interface{})["MetricStat"].(map[string]interface{}); ok {
			n := stat["Metric"].(map[string]interface{})["MetricName"].(string)
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	return names
}

// expectedAlarms is alarmShapes less the spill-over alarm on a stage
// without provisioned concurrency, where nothing can spill over.
func expectedAlarms(s *synthesized) map[string]alarmShape {
	out := map[string]alarmShape{}
	for name, shape := range alarmShapes {
		if name == "spilloverInvocations" && !hasProvisionedConcurrency(s.cfg) {
			continue
		}
		// Where Lambda Insights runs, the cold-start alarm reads its
		// init_duration (the whole INIT phase) for the slowest function.
		if name == "coldStartMs" && s.cfg.Functions.Insights {
			shape.metrics, shape.statistic = []string{"init_duration"}, ""
		}
		out[name] = shape
	}
	return out
}

func hasProvisionedConcurrency(cfg *config.Stage) bool {
	for _, f := range cfg.Functions.Each {
		if f.ProvisionedConcurrency > 0 {
			return true
		}
	}
	return false
}

// statistic is the statistic of a single-metric alarm, wherever CDK put it.
func statistic(p map[string]interface{}) interface{} {
	for _, k := range []string{"Statistic", "ExtendedStatistic"} {
		if v, ok := p[k]; ok {
			return v
		}
	}
	if list, ok := p["Metrics"].([]interface{}); ok && len(list) == 1 {
		return list[0].(map[string]interface{})["MetricStat"].(map[string]interface{})["Stat"]
	}
	return nil
}

func TestAlarms(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		alarms := alarmsByName(t, s)
		want := expectedAlarms(s)
		for name, shape := range want {
			p, ok := alarms[name]
			if !ok {
				t.Errorf("no alarm %s", name)
				continue
			}
			want := s.cfg.Monitoring.Alarm(name)
			threshold := want.Threshold
			if name == "databaseFreeStorageGiB" {
				threshold *= 1 << 30 // the metric is in bytes
			}
			if p["Threshold"] != threshold || p["EvaluationPeriods"] != float64(want.EvaluationPeriods) || p["DatapointsToAlarm"] != float64(want.EvaluationPeriods) {
				t.Errorf("%s: threshold %v over %v periods, config says %v over %d", name, p["Threshold"], p["EvaluationPeriods"], threshold, want.EvaluationPeriods)
			}
			if p["ComparisonOperator"] != shape.comparison || p["TreatMissingData"] != shape.missing {
				t.Errorf("%s: %v, missing data %v; want %s, %s", name, p["ComparisonOperator"], p["TreatMissingData"], shape.comparison, shape.missing)
			}
			if got := metricNames(p); !slices.Equal(got, shape.metrics) {
				t.Errorf("%s reads %v, want %v", name, got, shape.metrics)
			}
			if got := statistic(p); shape.statistic != "" && got != shape.statistic {
				t.Errorf("%s: statistic %v, want %s", name, got, shape.statistic)
			}
			if periods := alarmPeriods(p); len(periods) == 0 || slices.ContainsFunc(periods, func(p float64) bool { return p != float64(want.PeriodSeconds) }) {
				t.Errorf("%s: periods %v, config says %d s", name, periods, want.PeriodSeconds)
			}
			topic := fmt.Sprint(map[string]interface{}{"Ref": topicID(t, s)})
			for _, actions := range []string{"AlarmActions", "OKActions"} {
				if got := fmt.Sprint(p[actions]); got != "["+topic+"]" {
					t.Errorf("%s: %s = %s, want the stage's topic", name, actions, got)
				}
			}
		}
		if len(alarms) != len(want) {
			t.Errorf("%d alarms, want %d: %v", len(alarms), len(want), sortedKeys(alarms))
		}
	})
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

// TestAlarmPeriods: the plan's four alarms judge its five-minute periods
// on every stage, prod's over the plan's counts of them, while the alarms
// that page at once (5XX, throttles, money, secrets, resources) judge the
// stage's own period.
func TestAlarmPeriods(t *testing.T) {
	planned := map[string]int{"coldStartMs": plan.ColdStartPeriods, "databaseQueryP95Ms": plan.SustainedPeriods,
		"apiLatencyP95Ms": plan.SustainedPeriods, "cacheHitRatePercent": plan.SustainedPeriods}
	fast := []string{"api5xxCount", "errorRatePercent", "functionThrottles", "refundDueCount", "secretFailuresCount",
		"rotationErrorsCount", "databaseCpuPercent", "databaseFreeStorageGiB", "cacheMemoryPercent"}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		alarms := alarmsByName(t, s)
		only := func(name string, want float64) {
			periods := alarmPeriods(alarms[name])
			if len(periods) == 0 || slices.ContainsFunc(periods, func(p float64) bool { return p != want }) {
				t.Errorf("%s judges periods %v, want %v s", name, periods, want)
			}
		}
		for name, n := range planned {
			only(name, plan.AlarmPeriod.Seconds())
			if s.cfg.Name == "prod" && alarms[name]["EvaluationPeriods"] != float64(n) {
				t.Errorf("%s judges %v periods, the plan %d", name, alarms[name]["EvaluationPeriods"], n)
			}
		}
		for _, name := range fast {
			only(name, float64(s.cfg.Monitoring.PeriodSeconds))
		}
		if s.cfg.Name == "prod" && s.cfg.Monitoring.PeriodSeconds != 60 {
			t.Errorf("prod's stage period is %d s; its fast alarms should page within minutes", s.cfg.Monitoring.PeriodSeconds)
		}
	})
}

func topicID(t *testing.T, s *synthesized) string {
	t.Helper()
	for id := range resources(s.template(s.platform.Monitoring.Stack), "AWS::SNS::Topic") {
		return id
	}
	t.Fatal("no topic")
	return ""
}

func TestServiceHealthAndTopic(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		tmpl := s.template(s.platform.Monitoring.Stack)
		composite := props(t, tmpl, "AWS::CloudWatch::CompositeAlarm")
		rule, _ := json.Marshal(composite["AlarmRule"])
		alarms := alarmsByName(t, s)
		for name, shape := range expectedAlarms(s) {
			if in := strings.Contains(string(rule), alarms[name]["_id"].(string)); in != shape.critical {
				t.Errorf("service health watches %s = %v, want %v", name, in, shape.critical)
			}
		}
		if fmt.Sprint(composite["AlarmActions"]) != fmt.Sprint([]interface{}{map[string]interface{}{"Ref": topicID(t, s)}}) {
			t.Errorf("service health actions = %v", composite["AlarmActions"])
		}
		check(t, "encrypted topic", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::SNS::Topic"), map[string]interface{}{
				"KmsMasterKeyId": map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_StringLikeRegexp(jsii.String("^AlarmTopicKey")), "Arn"}},
			})
			tmpl.HasResourceProperties(jsii.String("AWS::KMS::Key"), map[string]interface{}{"EnableKeyRotation": true})
		})
		for _, email := range s.cfg.Monitoring.AlarmEmails {
			check(t, "subscription "+email, func() {
				tmpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]interface{}{"Protocol": "email", "Endpoint": email})
			})
		}
	})
}

// dashboardBody is the dashboard JSON with every CloudFormation token
// replaced by TOKEN.
func dashboardBody(t *testing.T, s *synthesized) map[string]interface{} {
	t.Helper()
	body := props(t, s.template(s.platform.Monitoring.Stack), "AWS::CloudWatch::Dashboard")["DashboardBody"]
	var b strings.Builder
	if str, ok := body.(string); ok {
		b.WriteString(str)
	} else {
		for _, part := range body.(map[string]interface{})["Fn::Join"].([]interface{})[1].([]interface{}) {
			if str, ok := part.(string); ok {
				b.WriteString(str)
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

func TestDashboard(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		var titles []string
		for _, w := range dashboardBody(t, s)["widgets"].([]interface{}) {
			p := w.(map[string]interface{})["properties"].(map[string]interface{})
			if title, ok := p["title"].(string); ok {
				titles = append(titles, title)
			}
			if md, ok := p["markdown"].(string); ok {
				titles = append(titles, md)
			}
		}
		all := strings.Join(titles, "\n")
		want := []string{"Alarms", "API latency (ms)", "Integration latency (ms)", "Error rate (%)", "Cold start (init) duration by function, avg (ms)",
			"Errors", "Throttles", "Redis hit rate (%)", "Query duration p95 by query (ms)", "Instance CPU (%)", "Free storage (GiB)",
			"Proxy connections", "Proxy query response latency (µs)", "Memory used (%)", "Evictions", "Node hit rate (%) and replication lag (s)"}
		for _, name := range []string{routes.OrdersList, routes.RFIDVerifyCard, routes.AuthLogin} {
			want = append(want, name+" duration (ms)")
		}
		if s.cfg.API.CacheSizeGiB > 0 {
			want = append(want, "API Gateway cache hit rate (%)")
		}
		if hasProvisionedConcurrency(s.cfg) {
			want = append(want, "Provisioned concurrency utilisation (max)", "Spill-over invocations (past provisioned concurrency)")
		}
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Errorf("dashboard has no %q widget", w)
			}
		}
		// Top-down: API before functions before cache before database.
		order := []string{"## API", "## Functions", "## Cache", "## Database"}
		last := -1
		for _, o := range order {
			i := strings.Index(all, o)
			if i < last {
				t.Errorf("section %s is out of order", o)
			}
			last = i
		}
	})
}

// TestDashboardPlanWidgets: the plan's widgets on every stage. Cold
// starts of all functions as avg, p95 and max (the functions' own
// metric); every duration graph on the plan's 0-3000 ms axis; failed
// operations by function and sign-in's figures drawn from the metrics
// the functions emit.
func TestDashboardPlanWidgets(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		ns := metrics.Namespace(s.cfg.Name)
		widgets := map[string]map[string]interface{}{}
		for _, w := range dashboardBody(t, s)["widgets"].([]interface{}) {
			p := w.(map[string]interface{})["properties"].(map[string]interface{})
			if title, ok := p["title"].(string); ok {
				widgets[title] = p
			}
		}
		drawn := func(title string) string {
			p, ok := widgets[title]
			if !ok {
				t.Errorf("no widget %q", title)
				return ""
			}
			b, _ := json.Marshal(p["metrics"])
			return string(b)
		}
		cold := drawn("Cold start (init) duration, all functions (ms)")
		for _, stat := range []string{`"label":"avg"`, `"stat":"p95"`, `"stat":"Maximum"`} {
			if !strings.Contains(cold, `["`+ns+`","`+metrics.ColdStartDuration.Name+`",{`) || !strings.Contains(cold, stat) {
				t.Errorf("cold-start graph draws %s, want %s of %s", cold, stat, metrics.ColdStartDuration.Name)
			}
		}
		axis := fmt.Sprintf("map[left:map[max:%v min:0 showUnits:false]]", plan.DurationAxis.Milliseconds())
		durations := []string{"Handler time p95 by function (ms)", "Sign-in: password check and token signing (ms)"}
		for _, name := range routes.Deployed() {
			durations = append(durations, name+" duration (ms)")
		}
		for _, title := range durations {
			if got := fmt.Sprint(widgets[title]["yAxis"]); got != axis {
				t.Errorf("%s: axis %s, want the plan's %s", title, got, axis)
			}
		}
		for title, metric := range map[string]string{
			"Failed operations by function (5XX answers, failed invocations)": metrics.OperationErrors.Name,
			"Successful sign-ins":                            metrics.LoginSucceeded.Name,
			"Sign-in: password check and token signing (ms)": metrics.PasswordVerifyDuration.Name,
		} {
			if got := drawn(title); !strings.Contains(got, metric) {
				t.Errorf("%s draws %s, without %s", title, got, metric)
			}
		}
		if got := drawn("Sign-in: password check and token signing (ms)"); !strings.Contains(got, metrics.TokenIssueDuration.Name) {
			t.Errorf("sign-in graph draws %s, without %s", got, metrics.TokenIssueDuration.Name)
		}
	})
}

var search = regexp.MustCompile(`SEARCH\('\{([^,}]+),([^}]*)\} MetricName="([^"]+)"`)

// customMetric is a metric name with the sorted names of its dimensions.
type customMetric struct{ name, dims string }

// TestDashboardReadsOnlyEmittedMetrics proves that every custom metric a
// widget or alarm reads is declared in lambda/metrics, the catalog the
// functions' emitter writes from, with the same dimension set; and that
// every declared metric is on the dashboard.
func TestDashboardReadsOnlyEmittedMetrics(t *testing.T) {
	emitted := map[customMetric]bool{}
	for _, m := range metrics.Catalog {
		for _, set := range m.Dimensions {
			emitted[customMetric{m.Name, strings.Join(slices.Sorted(slices.Values(set)), ",")}] = true
		}
	}
	forEachStage(t, func(t *testing.T, s *synthesized) {
		ns := metrics.Namespace(s.cfg.Name)
		read := map[customMetric]bool{}
		// Dashboard graphs: [namespace, name, dim, value, ..., {options}] or
		// [{expression}].
		for _, w := range dashboardBody(t, s)["widgets"].([]interface{}) {
			p := w.(map[string]interface{})["properties"].(map[string]interface{})
			ms, _ := p["metrics"].([]interface{})
			for _, m := range ms {
				row := m.([]interface{})
				if opts, ok := row[0].(map[string]interface{}); ok {
					if expr, ok := opts["expression"].(string); ok {
						for _, match := range search.FindAllStringSubmatch(expr, -1) {
							if match[1] == ns {
								read[customMetric{match[3], match[2]}] = true
							}
						}
					}
					continue
				}
				if row[0] != ns {
					continue
				}
				var dims []string
				for i := 2; i+1 < len(row); i += 2 {
					if name, ok := row[i].(string); ok {
						dims = append(dims, name)
					}
				}
				slices.Sort(dims)
				read[customMetric{row[1].(string), strings.Join(dims, ",")}] = true
			}
		}
		// Alarms: top-level metric or MetricStat entries.
		for _, p := range alarmsByName(t, s) {
			var specs []map[string]interface{}
			if _, ok := p["MetricName"]; ok {
				specs = append(specs, p)
			}
			if list, ok := p["Metrics"].([]interface{}); ok {
				for _, m := range list {
					if stat, ok := m.(map[string]interface{})["MetricStat"].(map[string]interface{}); ok {
						specs = append(specs, stat["Metric"].(map[string]interface{}))
					}
				}
			}
			for _, spec := range specs {
				if spec["Namespace"] != ns {
					continue
				}
				var dims []string
				if ds, ok := spec["Dimensions"].([]interface{}); ok {
					for _, d := range ds {
						dims = append(dims, d.(map[string]interface{})["Name"].(string))
					}
				}
				slices.Sort(dims)
				read[customMetric{spec["MetricName"].(string), strings.Join(dims, ",")}] = true
			}
		}
		for m := range read {
			if !emitted[m] {
				t.Errorf("reads %s with dimensions [%s], which the functions do not emit", m.name, m.dims)
			}
		}
		for _, m := range metrics.Catalog {
			if !slices.ContainsFunc(sortedKeysOf(read), func(r customMetric) bool { return r.name == m.Name }) {
				t.Errorf("the functions emit %s but no widget or alarm reads it", m.Name)
			}
		}
		if len(read) == 0 {
			t.Fatal("found no custom metric at all; the parser is wrong")
		}
	})
}

func sortedKeysOf(m map[customMetric]bool) []customMetric {
	out := make([]customMetric, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestStageAlarmOverrides: dev's looser thresholds reach its alarms.
func TestStageAlarmOverrides(t *testing.T) {
	dev := stages["dev"]
	got := alarmsByName(t, dev)["databaseCpuPercent"]["Threshold"]
	if want := dev.cfg.Monitoring.Alarm("databaseCpuPercent").Threshold; got != want || want == config.DefaultAlarms["databaseCpuPercent"].Threshold {
		t.Errorf("dev CPU alarm threshold %v, want dev's override %v (not the default)", got, want)
	}
}
