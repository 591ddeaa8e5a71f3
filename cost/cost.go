// Package cost estimates a stage's monthly AWS bill from the same typed
// config the CDK app deploys (config.Stage): one line item per priced
// resource the stacks create and per charge the stage's traffic drives,
// with its quantity, unit price and monthly amount, and line by line
// beside the performance plan's own cost table (plan.go).
//
// Prices come from one dated table per region (prices.go); what the bill
// depends on that config does not say, such as traffic and log volumes,
// comes from a usage profile (usage.go). Both are printed under the
// estimate.
package cost

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/routes"
)

const (
	// hoursPerMonth is AWS's billing month: 8,760 hours a year / 12.
	hoursPerMonth = 730
	// weeksPerMonth is the same month in weeks (52.14 / 12), so that a
	// window open all week lasts hoursPerMonth.
	weeksPerMonth = hoursPerMonth / (7 * 24.0)
	// daysPerMonth turns log retention days into months of storage.
	daysPerMonth = 365 / 12.0
	// insightsMetrics is how many metrics Lambda Insights publishes per
	// function.
	insightsMetrics = 8
	// defaultLogRetentionDays is the retention of the log groups the stacks
	// do not create: RDSOSMetrics (RDS sets 30 days) and
	// /aws/lambda-insights (assumed the same).
	defaultLogRetentionDays = 30
	// minProxyVCPUs is the fewest vCPUs RDS Proxy bills for.
	minProxyVCPUs = 2
	// edgeAdditionalMetrics is how many metrics CloudFront's additional
	// metrics add per distribution, each billed as a custom metric.
	edgeAdditionalMetrics = 8
	// wafRules is how many rules the stacks put in a web ACL: three AWS
	// managed rule groups and the rate-based rules on login and payments
	// (TestWAFRulesMatchTemplates counts them in the templates).
	wafRules = 3 + 2
)

// Line is one item of the estimate.
type Line struct {
	Item string
	// Quantity says how Amount was reached, "2 × 730 h".
	Quantity string
	// Amount is the quantity in Price's unit.
	Amount float64
	Price  Price
	// USD is Amount × Price.USD, per month.
	USD float64
	// part is what the line belongs to, as the plan comparison groups
	// the lines it does not compare one by one: "database", "network".
	part string
}

// LogSource is one group of log groups and what it is assumed to ingest.
type LogSource struct {
	Name          string
	GBPerMonth    float64
	RetentionDays int
	// Vended logs are delivered by an AWS service (CloudFront, WAF) at
	// CloudWatch Logs' vended price.
	Vended bool
}

// Report is a stage's monthly estimate.
type Report struct {
	Stage  string
	Lines  []Line
	Total  float64
	Usage  Usage
	Prices Prices
	Logs   []LogSource
	// TimeZone is the zone the peak windows are written in.
	TimeZone string
	// Traffic is what each routed function's share of the requests
	// bills, behind the Lambda duration lines.
	Traffic []Invocation
	// Plan sets this estimate beside the plan's cost table, line by line.
	Plan []PlanLine
}

// Estimate prices what the stacks create for stage s at prices p, with
// usage u for what config does not say. Its errors name a price the table
// lacks, or a peak window it cannot read.
func Estimate(s *config.Stage, p Prices, u Usage) (Report, error) {
	if s.Region != p.Region {
		return Report{}, fmt.Errorf("stage %s deploys to %s but the price table is for %s", s.Name, s.Region, p.Region)
	}
	r := &Report{Stage: s.Name, Usage: u, Prices: p, TimeZone: s.Functions.TimeZone}
	for _, step := range []struct {
		part string
		add  func(*Report, *config.Stage) error
	}{
		{partDatabase, database}, {partCache, cache}, {partAPI, api}, {partProvisioned, functions},
		{partLambda, traffic}, {partNetwork, noError(network)}, {partEdge, noError(edge)},
		{partCloudWatch, noError(monitoring)}, {partCloudWatch, noError(logs)},
	} {
		first := len(r.Lines)
		if err := step.add(r, s); err != nil {
			return Report{}, err
		}
		for i := first; i < len(r.Lines); i++ {
			if r.Lines[i].part == "" {
				r.Lines[i].part = step.part
			}
		}
	}
	for _, l := range r.Lines {
		r.Total += l.USD
	}
	var err error
	if r.Plan, err = comparePlan(r, s); err != nil {
		return Report{}, err
	}
	return *r, nil
}

// What the lines belong to (Line.part).
const (
	partDatabase    = "database"
	partCache       = "cache"
	partAPI         = "API Gateway"
	partProvisioned = "provisioned concurrency"
	partLambda      = "Lambda execution"
	partDataOut     = "data transfer"
	partNetwork     = "network"
	partEdge        = "CloudFront and WAF"
	partCloudWatch  = "CloudWatch"
)

// noError adapts a step that cannot fail to the steps' signature.
func noError(step func(*Report, *config.Stage)) func(*Report, *config.Stage) error {
	return func(r *Report, s *config.Stage) error { step(r, s); return nil }
}

func (r *Report) add(item, quantity string, amount float64, price Price) {
	r.Lines = append(r.Lines, Line{Item: item, Quantity: quantity, Amount: amount, Price: price, USD: amount * price.USD})
}

// sum is the total of the lines of one part.
func (r *Report) sum(part string) float64 {
	var usd float64
	for _, l := range r.Lines {
		if l.part == part {
			usd += l.USD
		}
	}
	return usd
}

// database prices the instance (a Multi-AZ standby bills as a second
// instance, storage too), RDS Proxy and paid Performance Insights
// retention. The proxy and Insights bill the primary's vCPUs.
func database(r *Report, s *config.Stage) error {
	d := s.Database
	price, vcpus, err := r.Prices.instance(d.InstanceClass)
	if err != nil {
		return err
	}
	instances, which := 1, "Single-AZ"
	if d.MultiAZ {
		instances, which = 2, "Multi-AZ: primary + standby"
	}
	r.add("RDS PostgreSQL "+d.InstanceClass, fmt.Sprintf("%d × %d h (%s)", instances, hoursPerMonth, which),
		float64(instances*hoursPerMonth), price)
	r.add("RDS gp3 storage", fmt.Sprintf("%d GB × %d", d.AllocatedStorageGiB, instances),
		float64(d.AllocatedStorageGiB*instances), r.Prices.DBStorage)
	proxy := max(vcpus, minProxyVCPUs)
	r.add("RDS Proxy", fmt.Sprintf("%d vCPU × %d h", proxy, hoursPerMonth), float64(proxy*hoursPerMonth), r.Prices.DBProxy)
	if d.PerformanceInsights && d.PerformanceInsightsRetentionDays > 7 {
		r.add(fmt.Sprintf("Performance Insights, %d days kept (at most, as Database Insights Advanced)", d.PerformanceInsightsRetentionDays),
			fmt.Sprintf("%d vCPU × %d h", vcpus, hoursPerMonth), float64(vcpus*hoursPerMonth), r.Prices.DBInsights)
	}
	return nil
}

// cache prices the replication group: a primary and its replicas.
func cache(r *Report, s *config.Stage) error {
	c := s.Cache
	price, err := r.Prices.node(c.Engine, c.NodeType)
	if err != nil {
		return err
	}
	nodes := 1 + c.Replicas
	r.add(price.Name, fmt.Sprintf("%s × %d h (1 primary + %s)", plural(nodes, "node"), hoursPerMonth, plural(c.Replicas, "replica")),
		float64(nodes*hoursPerMonth), price)
	return nil
}

// api prices the stage's cache cluster; size 0 means none.
func api(r *Report, s *config.Stage) error {
	size := s.API.CacheSizeGiB
	if size == 0 {
		return nil
	}
	price, err := r.Prices.apiCache(size)
	if err != nil {
		return err
	}
	r.add(price.Name, fmt.Sprintf("%d h", hoursPerMonth), hoursPerMonth, price)
	return nil
}

// functions prices provisioned concurrency on the live aliases: the floor
// all month, and during each peak window the peak's value instead. Target
// tracking above that is load-driven and left out.
func functions(r *Report, s *config.Stage) error {
	f := s.Functions
	for _, name := range routes.Deployed() {
		fn := f.Of(name)
		if fn.ProvisionedConcurrency == 0 {
			continue
		}
		floor, peaks, err := provisionedHours(f, fn)
		if err != nil {
			return err
		}
		terms := []string{fmt.Sprintf("%d × %d h", fn.ProvisionedConcurrency, hoursPerMonth)}
		for _, peak := range sortedKeys(fn.Peaks) {
			h, _ := windowHours(f.Peaks[peak]) // provisionedHours has read every window
			terms = append(terms, fmt.Sprintf("%d × %s h %s", fn.Peaks[peak]-fn.ProvisionedConcurrency, num(h), peak))
		}
		gib := float64(fn.MemoryMiB) / 1024
		gbs := (floor + peaks) * gib * 3600
		r.add("Provisioned concurrency, "+name,
			fmt.Sprintf("(%s) × %s GiB × 3,600 s = %s GB-s", strings.Join(terms, " + "), num(gib), num(math.Round(gbs))),
			gbs, r.Prices.Provisioned)
	}
	return nil
}

// provisionedHours is how many environment-hours a month a function's
// provisioned concurrency keeps: its floor all month, and what its peaks
// add over the floor in their windows.
func provisionedHours(f config.Functions, fn config.Function) (floor, peaks float64, err error) {
	floor = float64(fn.ProvisionedConcurrency * hoursPerMonth)
	for _, peak := range sortedKeys(fn.Peaks) {
		h, err := windowHours(f.Peaks[peak])
		if err != nil {
			return 0, 0, fmt.Errorf("functions.peaks.%s: %w", peak, err)
		}
		peaks += float64(fn.Peaks[peak]-fn.ProvisionedConcurrency) * h
	}
	return floor, peaks, nil
}

// windowHours is how many hours a weekly window is open in a month.
func windowHours(w config.Window) (float64, error) {
	days, err := weekdays(w.Days)
	if err != nil {
		return 0, err
	}
	from, err1 := time.Parse("15:04", w.From)
	to, err2 := time.Parse("15:04", w.To)
	if err1 != nil || err2 != nil || !to.After(from) {
		return 0, fmt.Errorf("window %s-%s must be hh:mm to a later hh:mm", w.From, w.To)
	}
	return float64(days) * to.Sub(from).Hours() * weeksPerMonth, nil
}

// weekdays counts the days of a cron day-of-week field: "*", "MON-SAT",
// "SUN-FRI", "MON,WED,FRI". A range may wrap past Saturday.
func weekdays(field string) (int, error) {
	if field == "*" {
		return 7, nil
	}
	names := []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
	var on [7]bool
	for _, part := range strings.Split(strings.ToUpper(field), ",") {
		first, last, isRange := strings.Cut(part, "-")
		if !isRange {
			last = first
		}
		a, b := slices.Index(names, first), slices.Index(names, last)
		if a < 0 || b < 0 {
			return 0, fmt.Errorf("days %q must be cron days such as MON-SAT or *", field)
		}
		for d := a; ; d = (d + 1) % 7 {
			on[d] = true
			if d == b {
				break
			}
		}
	}
	n := 0
	for _, o := range on {
		if o {
			n++
		}
	}
	return n, nil
}

// network prices the NAT gateways and the interface endpoints, one
// endpoint network interface per zone.
func network(r *Report, s *config.Stage) {
	n := s.Network
	if n.NATGateways > 0 {
		r.add("NAT gateways", fmt.Sprintf("%d × %d h", n.NATGateways, hoursPerMonth), float64(n.NATGateways*hoursPerMonth), r.Prices.NATHour)
		r.add("NAT data processed", num(r.Usage.NATGB)+" GB (natGB)", r.Usage.NATGB, r.Prices.NATGB)
	}
	if eps := len(n.InterfaceEndpoints); eps > 0 {
		zones := len(s.AvailabilityZones)
		r.add("Interface endpoints ("+strings.Join(n.InterfaceEndpoints, ", ")+")",
			fmt.Sprintf("%d × %d zones × %d h", eps, zones, hoursPerMonth), float64(eps*zones*hoursPerMonth), r.Prices.EndpointHour)
		r.add("Interface endpoint data", num(r.Usage.EndpointGB)+" GB (endpointGB)", r.Usage.EndpointGB, r.Prices.EndpointGB)
	}
}

// edge prices CloudFront's requests and data transfer out to viewers and
// its additional metrics where the edge is on, and the web ACL, its rules
// and the requests it inspects where WAF is on (on the distribution or
// on the stage, the same).
func edge(r *Report, s *config.Stage) {
	u := r.Usage
	if s.Edge.Enabled {
		r.add("CloudFront requests (HTTPS)", num(u.RequestsMillions)+" million (requestsMillions)", u.RequestsMillions, r.Prices.EdgeRequests)
		r.add(itemEdgeDataOut, num(u.DataOutGB)+" GB (dataOutGB)", u.DataOutGB, r.Prices.EdgeDataOut)
		r.Lines[len(r.Lines)-1].part = partDataOut
		r.add("CloudFront additional metrics", fmt.Sprintf("1 distribution × %d metrics", edgeAdditionalMetrics),
			edgeAdditionalMetrics, r.Prices.CustomMetric)
	}
	if s.WAF.Enabled {
		r.add("AWS WAF web ACL", "1", 1, r.Prices.WebACL)
		r.add("AWS WAF rules", fmt.Sprintf("%d (3 managed rule groups, 2 rate-based rules)", wafRules), wafRules, r.Prices.WAFRule)
		r.add("AWS WAF requests", num(u.RequestsMillions)+" million (requestsMillions)", u.RequestsMillions, r.Prices.WAFRequests)
	}
}

// dashboards counts the stage's dashboards and service-health composite
// alarms: one dashboard, the stage's, which draws the edge too; a
// composite alarm in the stage's region and, where the edge is on, one in
// us-east-1 beside the edge's alarms.
func dashboards(s *config.Stage) (boards, composites int) {
	if s.Edge.Enabled {
		return 1, 2
	}
	return 1, 1
}

// monitoring prices the dashboards, the alarms, the composite alarms and
// the metrics the functions publish.
func monitoring(r *Report, s *config.Stage) {
	n, c := dashboards(s)
	r.add("CloudWatch dashboards", strconv.Itoa(n), float64(n), r.Prices.Dashboard)
	alarms, metrics := alarmMetrics(s)
	r.add("CloudWatch alarms", fmt.Sprintf("%d alarm metrics in %d alarms", metrics, alarms), float64(metrics), r.Prices.AlarmMetric)
	r.add("Composite alarms (service health)", strconv.Itoa(c), float64(c), r.Prices.CompositeAlarm)
	if s.Functions.Insights {
		fns := len(routes.Deployed())
		r.add("Lambda Insights metrics", fmt.Sprintf("%d functions × %d metrics", fns, insightsMetrics),
			float64(fns*insightsMetrics), r.Prices.CustomMetric)
	}
	r.add("Custom metrics (Hasivu/"+s.Name+")", num(r.Usage.CustomMetrics)+" metrics (customMetrics)", r.Usage.CustomMetrics, r.Prices.CustomMetric)
}

// alarmMetrics counts the alarms the monitoring stack creates for a stage,
// segment by segment as constructs/monitoring builds them, and the api
// stack's rollout alarms, and the metrics they are billed for. An alarm on
// metric math is billed for each metric in the expression.
func alarmMetrics(s *config.Stage) (alarms, metrics int) {
	fns := len(routes.Deployed())
	provisioned := 0
	for _, name := range routes.Deployed() {
		if s.Functions.Of(name).ProvisionedConcurrency > 0 {
			provisioned++
		}
	}
	nodes := 1 + s.Cache.Replicas
	perAlarm := []int{
		1, 2, 1, // API: latency p95; 5XX share of requests (5XX, requests); 5XX count
		2, nodes, nodes, // cache: hit rate (hits, misses); fullest node's memory; evictions on every node
		1, 1, 1, 1, // database: query p95; CPU; free storage; rotation errors
		1, 1, // payments: captured payments owed back; requests without Razorpay's keys
		2, 1, // security: 401 share of requests (401s, requests); webhook deliveries with a bad signature
	}
	if s.Functions.Insights {
		perAlarm = append(perAlarm, perGroup(fns)...) // cold start: MAX over every function's Insights init_duration
	} else {
		perAlarm = append(perAlarm, 1) // cold start: the functions' own ColdStartDuration
	}
	perAlarm = append(perAlarm, perGroup(fns)...)         // throttles summed over every function
	perAlarm = append(perAlarm, perGroup(provisioned)...) // spill-over summed over the provisioned aliases
	for range routes.Functions() {
		perAlarm = append(perAlarm, 1, 1) // rollout: the new version's errors and p95 duration
	}
	perAlarm = append(perAlarm, 2) // rollout: the API's 5XX share (5XX, requests)
	if s.Edge.Enabled {
		perAlarm = append(perAlarm, 1) // edge: the distribution's 5XX rate
	}
	if s.WAF.Enabled {
		perAlarm = append(perAlarm, 1) // the web ACL's blocked requests, on the distribution or the stage
	}
	for _, n := range perAlarm {
		metrics += n
	}
	return len(perAlarm), metrics
}

// alarmMetricsLimit is the most metrics one alarm's metric math may
// read: CloudWatch's limit, after which constructs/monitoring
// (MaxAlarmMetrics) splits an alarm over every function into groups.
const alarmMetricsLimit = 10

// perGroup is the metrics of each alarm an alarm over n functions' metrics
// becomes: none for none, else groups of at most alarmMetricsLimit.
func perGroup(n int) []int {
	var out []int
	for ; n > 0; n -= alarmMetricsLimit {
		out = append(out, min(n, alarmMetricsLimit))
	}
	return out
}

// logs prices CloudWatch Logs: what each source ingests a month, and what
// its retention keeps stored once a full retention period has passed.
func logs(r *Report, s *config.Stage) {
	u := r.Usage
	r.Logs = []LogSource{
		{"function logs (" + num(float64(len(routes.Deployed()))) + " log groups)", u.FunctionLogGB, s.Functions.LogRetentionDays, false},
		{"API access logs", u.AccessLogGB, s.API.AccessLogRetentionDays, false},
		{"VPC flow logs (" + s.Network.FlowLogs.TrafficType + ")", u.FlowLogGB, s.Network.FlowLogs.RetentionDays, false},
	}
	if d := s.Database; len(d.LogExports) > 0 {
		r.Logs = append(r.Logs, LogSource{"PostgreSQL logs (" + strings.Join(d.LogExports, ", ") + ")", u.DatabaseLogGB, d.LogRetentionDays, false})
	}
	if s.Functions.Insights {
		r.Logs = append(r.Logs, LogSource{"Lambda Insights (/aws/lambda-insights)", u.InsightsLogGB, defaultLogRetentionDays, false})
	}
	if sec := s.Database.MonitoringIntervalSeconds; sec > 0 {
		samples := float64(hoursPerMonth * 3600 / sec)
		gb := samples * u.EnhancedMonitoringKB / (1024 * 1024)
		r.Logs = append(r.Logs, LogSource{Name: fmt.Sprintf("enhanced monitoring (RDSOSMetrics, every %d s)", sec), GBPerMonth: gb, RetentionDays: defaultLogRetentionDays})
	}
	if s.Edge.Enabled {
		r.Logs = append(r.Logs, LogSource{"CloudFront access logs (standard logging v2)", u.EdgeLogGB, s.Edge.LogRetentionDays, true})
	}
	if s.WAF.Enabled {
		r.Logs = append(r.Logs, LogSource{"web ACL logs (blocked and counted requests)", u.WAFLogGB, s.WAF.LogRetentionDays, true})
	}
	var in, vended, stored float64
	sources, vendedSources := 0, 0
	for _, l := range r.Logs {
		if l.Vended {
			vended += l.GBPerMonth
			vendedSources++
		} else {
			in += l.GBPerMonth
			sources++
		}
		stored += l.GBPerMonth * float64(l.RetentionDays) / daysPerMonth
	}
	r.add("CloudWatch Logs ingested", fmt.Sprintf("%s GB from %d sources", num(in), sources), in, r.Prices.LogsIngested)
	if vendedSources > 0 {
		r.add("CloudWatch Logs ingested, vended", fmt.Sprintf("%s GB from %d sources", num(vended), vendedSources), vended, r.Prices.VendedLogsIngested)
	}
	r.add("CloudWatch Logs stored", num(stored)+" GB-month at full retention", stored, r.Prices.LogsStored)
}
