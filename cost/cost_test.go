package cost

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/routes"
)

// small is a stage file with a little of everything: Multi-AZ database,
// one cache replica, two NAT gateways, two interface endpoints over two
// zones, one provisioned function with a lunch peak, no API cache.
const small = `account: "123456789012"
region: ap-south-1
availabilityZones: [ap-south-1a, ap-south-1b]
network:
  cidr: 10.10.0.0/16
  natGateways: 2
  interfaceEndpoints: [secretsmanager, kms]
database:
  engineVersion: "17.9"
  instanceClass: db.t4g.micro
  allocatedStorageGiB: 20
  maxAllocatedStorageGiB: 50
  multiAz: true
  backupRetentionDays: 1
  deletionProtection: false
  removalPolicy: destroy
  performanceInsights: false
  monitoringIntervalSeconds: 0
cache:
  engine: valkey
  engineVersion: "8.0"
  nodeType: cache.t4g.micro
  replicas: 1
  multiAz: true
  snapshotRetentionDays: 0
  removalPolicy: destroy
functions:
  memoryMiB: 512
  peaks:
    lunch: {days: MON-FRI, from: "12:00", to: "14:00"}
  each:
    rfid-verify-card: {provisionedConcurrency: 1, maxProvisionedConcurrency: 4, peaks: {lunch: 3}}
api:
  cacheSizeGiB: 0
  corsOrigins: [https://app.example.com]
  razorpaySecretName: hasivu/x/razorpay
monitoring:
  alarmEmails: [oncall@example.com]
`

// roundPrices is a price table of round numbers, so the expected amounts
// below can be worked out by hand.
var roundPrices = Prices{
	Region:         "ap-south-1",
	DBInstance:     map[string]Price{"db.t4g.micro": {USD: 0.02}},
	DBVCPUs:        map[string]int{"db.t4g.micro": 2},
	DBStorage:      Price{USD: 0.1},
	DBProxy:        Price{USD: 0.01},
	DBInsights:     Price{USD: 0.01},
	CacheNode:      map[string]map[string]Price{"valkey": {"cache.t4g.micro": {USD: 0.01}}},
	APICache:       map[float64]Price{0.5: {USD: 0.02}},
	Provisioned:    Price{USD: 0.000004},
	NATHour:        Price{USD: 0.05},
	NATGB:          Price{USD: 0.05},
	EndpointHour:   Price{USD: 0.01},
	EndpointGB:     Price{USD: 0.01},
	Dashboard:      Price{USD: 3},
	AlarmMetric:    Price{USD: 0.1},
	CompositeAlarm: Price{USD: 0.5},
	CustomMetric:   Price{USD: 0.3},
	LogsIngested:   Price{USD: 0.5},
	LogsStored:     Price{USD: 0.03},
}

var roundUsage = Usage{Profile: "test", NATGB: 10, EndpointGB: 2, FunctionLogGB: 3, AccessLogGB: 1, FlowLogGB: 2,
	DatabaseLogGB: 1, InsightsLogGB: 5, EnhancedMonitoringKB: 2, CustomMetrics: 10}

func loadSmall(t *testing.T) *config.Stage {
	t.Helper()
	s, err := config.LoadFS(fstest.MapFS{"small.yaml": {Data: []byte(small)}}, "testdata", "small")
	if err != nil {
		t.Fatalf("the test's stage file does not load: %v", err)
	}
	return s
}

func TestEstimateArithmetic(t *testing.T) {
	s := loadSmall(t)
	r, err := Estimate(s, roundPrices, roundUsage)
	if err != nil {
		t.Fatal(err)
	}
	// lunch is MON-FRI 12:00-14:00: 5 days × 2 h × 730/168 weeks a month
	// = 43.452381 h. rfid-verify-card keeps 1 all month and 3 at lunch:
	// (1 × 730 + 2 × 43.452381) × 0.5 GiB × 3,600 s = 1,470,428.57 GB-s.
	const lunchHours = 5 * 2 * 730 / 168.0
	const rfidGBs = (730 + 2*lunchHours) * 0.5 * 3600
	// Logs: functions 3 + access 1 + flow 2 + PostgreSQL 1 = 7 GB, each
	// kept 30 days (the defaults) = 7 × 30 / (365/12) GB-month stored.
	// Insights and enhanced monitoring are off, so their usage is unused.
	const storedGB = 7 * 30 / (365 / 12.0)
	want := map[string]float64{
		"RDS PostgreSQL db.t4g.micro":               29.2,               // Multi-AZ: 2 instances × 730 h × $0.02
		"RDS gp3 storage":                           4,                  // 20 GB × 2 (Multi-AZ) × $0.1
		"RDS Proxy":                                 14.6,               // 2 vCPU × 730 h × $0.01
		"ElastiCache Valkey cache.t4g.micro":        14.6,               // (1 primary + 1 replica) × 730 h × $0.01
		"Provisioned concurrency, rfid-verify-card": rfidGBs * 0.000004, // = $5.881714
		"NAT gateways":                              73,                 // 2 × 730 h × $0.05
		"NAT data processed":                        0.5,                // 10 GB × $0.05
		"Interface endpoints (secretsmanager, kms)": 29.2,               // 2 endpoints × 2 zones × 730 h × $0.01
		"Interface endpoint data":                   0.02,               // 2 GB × $0.01
		"CloudWatch dashboards":                     3,                  // 1 × $3
		// API 1 + 2 + 1, cold start 1, throttles over 10 functions, hit
		// rate 2, memory and evictions over 2 nodes each, database 3,
		// rotation errors 1, refunds due 1, secret failures 1, the 401
		// share 2, bad webhook signatures 1, spill-over over 1
		// provisioned function; the rollout's errors and p95 of 9
		// functions and the API's 5XX share 2: 51 metrics × $0.1.
		"CloudWatch alarms":                 5.1,
		"Composite alarms (service health)": 0.5,             // 1 × $0.5
		"Custom metrics (Hasivu/small)":     3,               // 10 × $0.3
		"CloudWatch Logs ingested":          3.5,             // 7 GB × $0.5
		"CloudWatch Logs stored":            storedGB * 0.03, // 6.90411 GB-month × $0.03
	}
	got := map[string]float64{}
	for _, l := range r.Lines {
		got[l.Item] = l.USD
		if math.Abs(l.USD-l.Amount*l.Price.USD) > 1e-9 {
			t.Errorf("%s: %v × %v ≠ %v", l.Item, l.Amount, l.Price.USD, l.USD)
		}
	}
	var total float64
	for item, usd := range want {
		total += usd
		if g, ok := got[item]; !ok {
			t.Errorf("no line %q; lines: %v", item, got)
		} else if math.Abs(g-usd) > 1e-6 {
			t.Errorf("%s = %.6f, want %.6f", item, g, usd)
		}
	}
	for item := range got {
		if _, ok := want[item]; !ok {
			t.Errorf("unexpected line %q = %.2f (API cache and Performance Insights are off)", item, got[item])
		}
	}
	if math.Abs(r.Total-total) > 1e-6 || math.Abs(total-186.308837) > 1e-6 {
		t.Errorf("total = %.6f, want %.6f (= 186.308837)", r.Total, total)
	}

	// Single-AZ halves the instance and its storage; an API cache of
	// 0.5 GB adds 730 h × $0.02 = $14.60; 31 days of Performance Insights
	// add 2 vCPU × 730 h × $0.01 = $14.60.
	s.Database.MultiAZ = false
	s.API.CacheSizeGiB = 0.5
	s.Database.PerformanceInsights, s.Database.PerformanceInsightsRetentionDays = true, 31
	r2, err := Estimate(s, roundPrices, roundUsage)
	if err != nil {
		t.Fatal(err)
	}
	if want := total - 14.6 - 2 + 14.6 + 14.6; math.Abs(r2.Total-want) > 1e-6 {
		t.Errorf("Single-AZ with an API cache and Insights: total = %.6f, want %.6f", r2.Total, want)
	}
}

func TestWindowDays(t *testing.T) {
	for days, want := range map[string]int{"*": 7, "MON-SAT": 6, "SUN-FRI": 6, "MON,WED,FRI": 3, "FRI-MON": 4, "MON-WED,FRI": 4, "SAT": 1} {
		if got, err := weekdays(days); err != nil || got != want {
			t.Errorf("weekdays(%q) = %d, %v; want %d", days, got, err, want)
		}
	}
	if _, err := weekdays("MON-FUN"); err == nil {
		t.Error(`weekdays("MON-FUN") = nil error`)
	}
	// A window open all week lasts the whole 730-hour month.
	if h, _ := windowHours(config.Window{Days: "*", From: "00:00", To: "12:00"}); math.Abs(2*h-730) > 1e-9 {
		t.Errorf("half of every day = %v h a month, want 365", h)
	}
}

func TestCommittedStages(t *testing.T) {
	totals := map[string]float64{}
	for _, name := range config.Stages() {
		r := estimate(t, name)
		p := r.Prices
		totals[name] = r.Total
		md := r.Markdown()
		for _, want := range []string{"| **total** |", "$315.00", "compiled " + p.Compiled, "natGB", r.Lines[0].Price.Source} {
			if !strings.Contains(md, want) {
				t.Errorf("%s: the report lacks %q", name, want)
			}
		}
		for _, l := range r.Lines {
			if l.USD <= 0 || l.Price.Source == "" || l.Price.Name == "" || l.Price.Checked == "" {
				t.Errorf("%s: line %+v needs an amount, a named price, its source and how it was checked", name, l)
			}
		}
	}
	if !(totals["prod"] > totals["staging"] && totals["staging"] > totals["dev"]) {
		t.Errorf("want prod > staging > dev, got %v", totals)
	}
}

func TestUnpricedGivesClearError(t *testing.T) {
	if _, err := PricesFor("eu-west-1"); err == nil || !strings.Contains(err.Error(), `"eu-west-1"`) || !strings.Contains(err.Error(), "ap-south-1") {
		t.Errorf("PricesFor(eu-west-1) = %v, want an error naming it and the regions with a table", err)
	}
	p, _ := PricesFor("ap-south-1")
	for _, c := range []struct {
		change func(*config.Stage)
		want   []string
	}{
		{func(s *config.Stage) { s.Database.InstanceClass = "db.m7g.large" }, []string{`"db.m7g.large"`, "db.t4g.micro", "db.r7g.large"}},
		{func(s *config.Stage) { s.Cache.NodeType = "cache.m7g.large" }, []string{`"cache.m7g.large"`, "cache.t4g.micro"}},
		{func(s *config.Stage) { s.Cache.Engine = "memcached" }, []string{`"memcached"`, "redis, valkey"}},
		{func(s *config.Stage) { s.API.CacheSizeGiB = 3 }, []string{"3 GB", "0.5, 1.6"}},
		{func(s *config.Stage) { s.Region = "eu-west-1" }, []string{"eu-west-1", "ap-south-1"}},
	} {
		s := loadSmall(t)
		c.change(s)
		_, err := Estimate(s, p, roundUsage)
		for _, want := range c.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Estimate = %v, want an error containing %s", err, want)
			}
		}
	}
}

// TestAlarmsMatchTemplates checks alarmMetrics against the alarms the
// monitoring, api and edge stacks synthesise (stacks' golden templates),
// counting the metrics of an alarm over metric math one by one, and
// dashboards against their dashboards and composite alarms.
func TestAlarmsMatchTemplates(t *testing.T) {
	for _, name := range config.Stages() {
		alarms, metrics, boards, composites := 0, 0, 0, 0
		for _, part := range []string{"monitoring", "api", "edge"} {
			file := filepath.Join("..", "stacks", "testdata", name, "hasivu-"+name+"-"+part+".template.json")
			data, err := os.ReadFile(file)
			if os.IsNotExist(err) {
				continue // only some stages have a golden template
			}
			if err != nil {
				t.Fatal(err)
			}
			var tmpl struct {
				Resources map[string]struct {
					Type       string
					Properties struct{ Metrics []struct{ MetricStat any } }
				}
			}
			if err := json.Unmarshal(data, &tmpl); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			for _, r := range tmpl.Resources {
				switch r.Type {
				case "AWS::CloudWatch::Dashboard":
					boards++
				case "AWS::CloudWatch::CompositeAlarm":
					composites++
				}
				if r.Type != "AWS::CloudWatch::Alarm" {
					continue
				}
				alarms++
				n := 0
				for _, m := range r.Properties.Metrics {
					if m.MetricStat != nil {
						n++
					}
				}
				metrics += max(n, 1)
			}
		}
		if alarms == 0 {
			continue
		}
		s, err := config.Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if a, m := alarmMetrics(s); a != alarms || m != metrics {
			t.Errorf("%s: alarmMetrics = %d alarms, %d metrics; its monitoring, api and edge templates have %d, %d", name, a, m, alarms, metrics)
		}
		if n, c := dashboards(s); n != boards || c != composites {
			t.Errorf("%s: dashboards = %d dashboards, %d composite alarms; its templates have %d and %d", name, n, c, boards, composites)
		}
	}
}

// TestWAFRulesMatchTemplates checks wafRules against the web ACLs the
// stacks synthesise for every committed stage with WAF on.
func TestWAFRulesMatchTemplates(t *testing.T) {
	checked := 0
	for _, name := range config.Stages() {
		files, _ := filepath.Glob(filepath.Join("..", "stacks", "testdata", name, "*.template.json"))
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var tmpl struct {
				Resources map[string]struct {
					Type       string
					Properties struct{ Rules []any }
				}
			}
			if err := json.Unmarshal(data, &tmpl); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			for id, r := range tmpl.Resources {
				if r.Type == "AWS::WAFv2::WebACL" {
					checked++
					if len(r.Properties.Rules) != wafRules {
						t.Errorf("%s %s has %d rules, the estimate prices %d", file, id, len(r.Properties.Rules), wafRules)
					}
				}
			}
		}
	}
	if checked == 0 {
		t.Error("no web ACL in any golden template: the test checks nothing")
	}
}

// TestEdgeArithmetic prices the small stage with the edge and WAF on.
func TestEdgeArithmetic(t *testing.T) {
	s := loadSmall(t)
	without, err := Estimate(s, roundPrices, roundUsage)
	if err != nil {
		t.Fatal(err)
	}
	s.Edge.Enabled, s.Edge.LogRetentionDays = true, 30
	s.WAF.Enabled, s.WAF.LogRetentionDays = true, 30
	p := roundPrices
	p.VendedLogsIngested = Price{USD: 0.25}
	p.EdgeRequests, p.EdgeDataOut = Price{USD: 1}, Price{USD: 0.1}
	p.WebACL, p.WAFRule, p.WAFRequests = Price{USD: 5}, Price{USD: 1}, Price{USD: 0.5}
	u := roundUsage
	u.RequestsMillions, u.DataOutGB, u.EdgeLogGB, u.WAFLogGB = 4, 20, 2, 2
	r, err := Estimate(s, p, u)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, l := range r.Lines {
		got[l.Item] = l.USD
	}
	for item, usd := range map[string]float64{
		"CloudFront requests (HTTPS)":       4,   // 4 million × $1
		"CloudFront data transfer out":      2,   // 20 GB × $0.1
		"CloudFront additional metrics":     2.4, // 8 metrics × $0.3
		"AWS WAF web ACL":                   5,
		"AWS WAF rules":                     5,   // 5 rules × $1
		"AWS WAF requests":                  2,   // 4 million × $0.5
		"CloudWatch dashboards":             3,   // the stage's alone, which draws the edge too
		"Composite alarms (service health)": 1,   // 2 × $0.5
		"CloudWatch Logs ingested, vended":  1,   // (2 + 2) GB × $0.25
		"CloudWatch alarms":                 5.3, // 51 metrics and the 5XX and blocked alarms: 53 × $0.1
	} {
		if math.Abs(got[item]-usd) > 1e-9 {
			t.Errorf("%s = %v, want %v", item, got[item], usd)
		}
	}
	// Storage: 4 GB more kept 30 days.
	want := without.Total + 4 + 2 + 2.4 + 5 + 5 + 2 + 0.5 + 1 + 0.2 + 4*30/(365/12.0)*0.03
	if math.Abs(r.Total-want) > 1e-6 {
		t.Errorf("total %v, want %v", r.Total, want)
	}
}

func TestUsageSet(t *testing.T) {
	prod, err := config.Load("prod")
	if err != nil {
		t.Fatal(err)
	}
	u, err := ProfileFor(prod, "")
	if err != nil || u.Profile != "large" {
		t.Fatalf("ProfileFor(prod) = %+v, %v", u, err)
	}
	if err := u.Set("natGB=200"); err != nil || u.NATGB != 200 {
		t.Errorf("Set(natGB=200) = %v, NATGB %v", err, u.NATGB)
	}
	for kv, want := range map[string]string{"nope=1": "natGB, endpointGB", "natGB=lots": "natGB must be a number", "natGB=-1": "at least 0"} {
		if err := u.Set(kv); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Set(%q) = %v, want an error containing %q", kv, err, want)
		}
	}
	if _, err := ProfileFor(prod, "huge"); err == nil || !strings.Contains(err.Error(), "large, medium, small") {
		t.Errorf(`ProfileFor(prod, "huge") = %v, want the profiles named`, err)
	}
}

// TestProfilesAreTheConfigs checks that every usageProfile the config
// accepts has usage values, and no others exist.
func TestProfilesAreTheConfigs(t *testing.T) {
	if got := slices.Sorted(maps.Keys(Profiles)); !slices.Equal(got, slices.Sorted(slices.Values(config.UsageProfiles))) {
		t.Errorf("Profiles has %v, config.UsageProfiles %v", got, config.UsageProfiles)
	}
}

// estimate is a committed stage's estimate at its region's prices and its
// own usage profile, as `make cost` gives it.
func estimate(t *testing.T, stage string) Report {
	t.Helper()
	s, err := config.Load(stage)
	if err != nil {
		t.Fatal(err)
	}
	p, err := PricesFor(s.Region)
	if err != nil {
		t.Fatal(err)
	}
	u, err := ProfileFor(s, "")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Estimate(s, p, u)
	if err != nil {
		t.Fatalf("%s: %v", stage, err)
	}
	return r
}

// trafficPrices is roundPrices with round prices for what traffic bills.
func trafficPrices() Prices {
	p := roundPrices
	p.LambdaRequests, p.LambdaDuration, p.ProvisionedDuration = Price{USD: 0.2}, Price{USD: 0.00001}, Price{USD: 0.000005}
	p.APIRequests, p.DataOut = Price{USD: 3}, Price{USD: 0.1}
	return p
}

// trafficUsage is roundUsage with 2 million requests a month.
func trafficUsage() Usage {
	u := roundUsage
	u.RequestsMillions, u.InvokeMs, u.LoginCPUMs, u.DataOutGB = 2, 10, 80, 10
	return u
}

// TestTrafficArithmetic prices the small stage's traffic by hand: every
// function at 512 MB, rfid-verify-card alone on provisioned concurrency,
// no edge.
func TestTrafficArithmetic(t *testing.T) {
	s := loadSmall(t)
	quiet, err := Estimate(s, trafficPrices(), roundUsage)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Estimate(s, trafficPrices(), trafficUsage())
	if err != nil {
		t.Fatal(err)
	}
	// 2 million requests by RequestShares: auth-login 3 % = 60,000 sign-ins
	// of 80 ms × 1,769/512 = 276.4 ms, billed 277 ms: 60,000 × 0.277 s ×
	// 0.5 GB = 8,310 GB-s. The others 10 ms × 0.5 GB each: menus-daily
	// (menus 30 % and items 5 %) 700,000 → 3,500 GB-s, orders-list 400,000
	// → 2,000, rfid-verify-card 200,000 → 1,000 (provisioned), profile
	// (9 %) 180,000 → 900, payments-create-order (orders 5 % and methods
	// 4 %) 180,000 → 900, orders-create 160,000 → 800, payments-webhook
	// 80,000 → 400, analytics-daily 40,000 → 200.
	want := map[string]float64{
		"Lambda requests": 0.4, // 2 million × $0.2
		"Lambda duration on provisioned concurrency": 1000 * 0.000005, // rfid-verify-card's 1,000 GB-s
		"Lambda duration on demand":                  17010 * 0.00001, // 8,310 + 3,500 + 2,000 + 900 + 900 + 800 + 400 + 200 GB-s
		"API Gateway requests (REST API)":            6,               // 2 million × $3
		"Data transfer out to the internet":          1,               // 10 GB × $0.1
	}
	got := map[string]float64{}
	for _, l := range r.Lines {
		got[l.Item] = l.USD
	}
	for item, usd := range want {
		if math.Abs(got[item]-usd) > 1e-9 {
			t.Errorf("%s = %v, want %v", item, got[item], usd)
		}
	}
	if d := r.Total - quiet.Total; math.Abs(d-(0.4+0.005+0.1701+6+1)) > 1e-9 {
		t.Errorf("traffic adds %v to the total, want 7.5751", d)
	}
	for _, i := range r.Traffic {
		if i.Function == routes.AuthLogin && (i.BilledMs != 277 || math.Abs(i.GBSeconds-8310) > 1e-6 || i.Provisioned) {
			t.Errorf("sign-in = %+v, want 277 ms, 8,310 GB-s, on demand", i)
		}
	}
	// At a full vCPU's memory and above, a sign-in takes its CPU time.
	s.Functions.Each[routes.AuthLogin] = config.Function{MemoryMiB: 2048}
	r, _ = Estimate(s, trafficPrices(), trafficUsage())
	for _, i := range r.Traffic {
		if i.Function == routes.AuthLogin && i.BilledMs != 80 {
			t.Errorf("sign-in at 2,048 MB bills %v ms, want 80", i.BilledMs)
		}
	}
	// With the edge on, CloudFront carries the answers: no regional line.
	s.Edge.Enabled = true
	r, _ = Estimate(s, trafficPrices(), trafficUsage())
	for _, l := range r.Lines {
		if l.Item == itemDataOut {
			t.Errorf("edge on, yet %s = %v", l.Item, l.USD)
		}
	}
}

// TestPlanComparison sets the small stage beside the plan by hand.
func TestPlanComparison(t *testing.T) {
	s := loadSmall(t)
	r, err := Estimate(s, trafficPrices(), trafficUsage())
	if err != nil {
		t.Fatal(err)
	}
	// A 512 MB environment all month: 730 h × 0.5 GB × 3,600 s × $0.000004
	// = $5.256; the plan's seven: $36.792. rfid-verify-card keeps 1 all
	// month and 2 more at lunch (2 × 43.45 h): $5.256 + $0.6257.
	// The plan's shape at the same traffic: every function at 512 MB,
	// auth-login (8,310 GB-s), orders-list (2,000) and payments-create-order
	// (900) on provisioned concurrency: 11,210 GB-s × $0.000005; the rest
	// on demand: 3,500 + 1,000 + 900 + 800 + 400 + 200 = 6,800 GB-s ×
	// $0.00001.
	planLambda := 0.4 + 11210*0.000005 + 6800*0.00001
	want := []PlanLine{
		{Item: "Provisioned concurrency", Plan: 35, Quoted: true, Ours: (730 + 2*5*2*730/168.0) * 0.5 * 3600 * 0.000004,
			Why: "the plan's 7 environments at 512 MB all month (auth-login 2, orders-list 2, payments-create-order 3) cost $36.79 at these prices; here 1 floor at 512 MB all month $5.26, peak windows over them $0.63, every function at 512 MB"},
		{Item: "ElastiCache", Plan: 50, Quoted: true, Ours: 14.6},
		{Item: "Lambda execution at the usage profile's traffic", Plan: planLambda, Ours: 0.4 + 0.005 + 0.1701},
		{Item: "Data transfer out", Plan: 1, Ours: 1},
		{Item: "Total", Plan: 315, Quoted: true, Ours: r.Total},
	}
	if len(r.Plan) != len(want) {
		t.Fatalf("plan lines %+v, want %d", r.Plan, len(want))
	}
	for i, w := range want {
		g := r.Plan[i]
		if g.Item != w.Item || g.Quoted != w.Quoted || math.Abs(g.Plan-w.Plan) > 1e-9 || math.Abs(g.Ours-w.Ours) > 1e-9 || (w.Why != "" && g.Why != w.Why) {
			t.Errorf("plan line %d = %+v\nwant %+v", i, g, w)
		}
	}
	// Every line belongs to a part, and the parts add up to the total.
	var sum float64
	for _, part := range []string{partDatabase, partCache, partAPI, partProvisioned, partLambda, partDataOut, partNetwork, partEdge, partCloudWatch} {
		sum += r.sum(part)
	}
	if math.Abs(sum-r.Total) > 1e-9 {
		t.Errorf("the parts add up to %v, the total is %v", sum, r.Total)
	}

	// Above 512 MB and with the edge on: auth-login provisioned at
	// 1,536 MB (3 × $5.256 = $15.768, $10.512 of it memory), and the
	// answers through CloudFront at its price.
	s.Functions.Each[routes.AuthLogin] = config.Function{MemoryMiB: 1536, ProvisionedConcurrency: 1}
	s.Edge.Enabled, s.Edge.LogRetentionDays = true, 30
	p := trafficPrices()
	p.EdgeDataOut = Price{USD: 0.2}
	r, err = Estimate(s, p, trafficUsage())
	if err != nil {
		t.Fatal(err)
	}
	if pc := r.Plan[0]; !strings.Contains(pc.Why, "here 2 floors at 512 MB all month $10.51") || !strings.Contains(pc.Why, "memory other than 512 MB +$10.51 (auth-login 1,536 MB)") {
		t.Errorf("provisioned concurrency: %s", pc.Why)
	}
	if d := r.Plan[3]; d.Plan != 1 || math.Abs(d.Ours-2) > 1e-9 || !strings.Contains(d.Why, "through CloudFront") {
		t.Errorf("data transfer with the edge = %+v, want the plan's $1 beside CloudFront's 10 GB × $0.2", d)
	}
	md := r.Summary()
	for _, want := range []string{"| Provisioned concurrency | $35.00 |", "| Data transfer out | $1.00 † | $2.00 | +$1.00 (+100 %) |", "| **total** | **$315.00** |"} {
		if !strings.Contains(md, want) {
			t.Errorf("the summary lacks %q:\n%s", want, md)
		}
	}
}

// TestRequestSharesCoverRoutes: every routed function has a share of the
// requests, and the shares make up all of them.
func TestRequestSharesCoverRoutes(t *testing.T) {
	var total float64
	for name, share := range RequestShares {
		if !slices.Contains(routes.Functions(), name) || share <= 0 {
			t.Errorf("RequestShares[%q] = %v: not a routed function, or no share", name, share)
		}
		total += share
	}
	for _, name := range routes.Functions() {
		if _, ok := RequestShares[name]; !ok {
			t.Errorf("%s serves routes but has no share of the requests", name)
		}
	}
	if total != 100 {
		t.Errorf("the shares add up to %v %%, want 100", total)
	}
}

// TestPerGroup: an alarm over more functions than one alarm's metric math
// may read is counted as the monitoring construct splits it.
func TestPerGroup(t *testing.T) {
	for n, want := range map[int][]int{0: nil, 1: {1}, 10: {10}, 11: {10, 1}, 23: {10, 10, 3}} {
		if got := perGroup(n); !slices.Equal(got, want) {
			t.Errorf("perGroup(%d) = %v, want %v", n, got, want)
		}
	}
}
