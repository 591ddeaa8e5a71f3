package cost

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	mix "github.com/hasivu/infra/bench/traffic"
	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/routes"
	"github.com/hasivu/infra/plan"
)

// Usage is what the bill depends on that a stage's config does not say:
// the API's traffic, what the functions take per request, traffic through
// the network and the volume of logs and metrics, per month. The estimate
// states every value under its table.
type Usage struct {
	// Profile names the profile the values started from.
	Profile string

	NATGB                float64
	EndpointGB           float64
	FunctionLogGB        float64
	AccessLogGB          float64
	FlowLogGB            float64
	DatabaseLogGB        float64
	InsightsLogGB        float64
	EnhancedMonitoringKB float64
	CustomMetrics        float64
	RequestsMillions     float64
	DataOutGB            float64
	InvokeMs             float64
	LoginCPUMs           float64
	EdgeLogGB            float64
	WAFLogGB             float64
}

// assumption documents one Usage field under the name -set takes.
type assumption struct {
	key, unit, doc string
	field          func(*Usage) *float64
}

// assumptions lists the Usage fields in the order the report states them.
var assumptions = []assumption{
	{"natGB", "GB/month", "through the NAT gateways: Razorpay and AWS APIs without an interface endpoint",
		func(u *Usage) *float64 { return &u.NATGB }},
	{"endpointGB", "GB/month", "through the interface endpoints (Secrets Manager, read once per environment through the extension's cache)",
		func(u *Usage) *float64 { return &u.EndpointGB }},
	{"functionLogGB", "GB/month", "of function logs, all functions, Embedded Metric Format lines included",
		func(u *Usage) *float64 { return &u.FunctionLogGB }},
	{"accessLogGB", "GB/month", "of API Gateway access logs",
		func(u *Usage) *float64 { return &u.AccessLogGB }},
	{"flowLogGB", "GB/month", "of VPC flow logs, at the stage's traffic type",
		func(u *Usage) *float64 { return &u.FlowLogGB }},
	{"databaseLogGB", "GB/month", fmt.Sprintf("of exported PostgreSQL logs (statements slower than %d ms, lock waits, autovacuum)",
		plan.DatabaseP95.Milliseconds()),
		func(u *Usage) *float64 { return &u.DatabaseLogGB }},
	{"insightsLogGB", "GB/month", "of Lambda Insights performance events (about 1 KB per invocation), where the stage turns Insights on",
		func(u *Usage) *float64 { return &u.InsightsLogGB }},
	{"enhancedMonitoringKB", "KB/sample", "per enhanced-monitoring sample written to RDSOSMetrics, where the stage turns it on",
		func(u *Usage) *float64 { return &u.EnhancedMonitoringKB }},
	{"customMetrics", "metrics", "the functions publish (Hasivu/<stage>: durations and cache counts per function, query and cache kind; failed operations per function and sign-in's three, 14 of them, counted as if every function failed every hour; the stage's 401 answers and refused webhook signatures)",
		func(u *Usage) *float64 { return &u.CustomMetrics }},
	{"requestsMillions", "million requests/month", "to the API, each invoking a function (RequestShares): through CloudFront where the edge is on; the web ACL, where WAF is on, inspects each",
		func(u *Usage) *float64 { return &u.RequestsMillions }},
	{"dataOutGB", "GB/month", "of answers (compressed JSON) to clients: through CloudFront where the edge is on, else out of the region",
		func(u *Usage) *float64 { return &u.DataOutGB }},
	{"invokeMs", "ms", "billed per invocation of a function that waits on PostgreSQL, Redis or Razorpay rather than computing (all but sign-in), at any memory size: the bench's in-function p95s are 2-7 ms on loopback, and in AWS each call adds a network round trip and the proxy's",
		func(u *Usage) *float64 { return &u.InvokeMs }},
	{"loginCpuMs", "ms", fmt.Sprintf("of one vCPU a sign-in takes, bcrypt at cost 10 nearly all of it (72-77 ms measured on one core); with less than a vCPU (%s MB) it takes longer in proportion", num(oneVCPUMiB)),
		func(u *Usage) *float64 { return &u.LoginCPUMs }},
	{"edgeLogGB", "GB/month", "of CloudFront access logs (JSON, about 1 KB a request), where the edge is on",
		func(u *Usage) *float64 { return &u.EdgeLogGB }},
	{"wafLogGB", "GB/month", "of web ACL logs: the requests it blocked or counted only, where WAF is on",
		func(u *Usage) *float64 { return &u.WAFLogGB }},
}

// Profiles are the usage defaults by stage size: small for a developer
// stage with little traffic, medium for a pre-production stage under test
// traffic, large for production at the plan's school load.
var Profiles = map[string]Usage{
	"small": {Profile: "small", NATGB: 5, EndpointGB: 1, FunctionLogGB: 1, AccessLogGB: 0.5, FlowLogGB: 0.5,
		DatabaseLogGB: 0.5, InsightsLogGB: 0.2, EnhancedMonitoringKB: 2, CustomMetrics: 46,
		RequestsMillions: 1, DataOutGB: 2, InvokeMs: 10, LoginCPUMs: 77, EdgeLogGB: 1, WAFLogGB: 0.1},
	"medium": {Profile: "medium", NATGB: 20, EndpointGB: 2, FunctionLogGB: 5, AccessLogGB: 2, FlowLogGB: 3,
		DatabaseLogGB: 2, InsightsLogGB: 1, EnhancedMonitoringKB: 2, CustomMetrics: 66,
		RequestsMillions: 5, DataOutGB: 10, InvokeMs: 10, LoginCPUMs: 77, EdgeLogGB: 5, WAFLogGB: 0.5},
	"large": {Profile: "large", NATGB: 50, EndpointGB: 5, FunctionLogGB: 30, AccessLogGB: 10, FlowLogGB: 20,
		DatabaseLogGB: 5, InsightsLogGB: 5, EnhancedMonitoringKB: 2, CustomMetrics: 76,
		RequestsMillions: 30, DataOutGB: 60, InvokeMs: 10, LoginCPUMs: 77, EdgeLogGB: 30, WAFLogGB: 2},
}

// RequestShares is the share of the API's requests, in percent, that
// each routed function serves: the benchmark's normal mix (package
// traffic), the one its latency figures are measured under, summed over
// the routes each function serves. Razorpay's webhooks count as requests;
// the migrate function runs only on deploys and is left out.
var RequestShares = func() map[string]float64 {
	shares := map[string]float64{}
	for _, r := range routes.Table {
		shares[r.Function] += mix.Weights[mix.Normal][r.Key()]
	}
	return shares
}()

// cpuBound is the function whose time is CPU, not waiting: sign-in's
// bcrypt. It takes LoginCPUMs of one vCPU; every other function takes
// InvokeMs whatever its memory.
const cpuBound = routes.AuthLogin

// ProfileFor returns the usage defaults of a profile: the named one, or
// the stage's own (config's usageProfile) when profile is empty.
func ProfileFor(stage *config.Stage, profile string) (Usage, error) {
	if profile == "" {
		profile = stage.UsageProfile
	}
	u, ok := Profiles[profile]
	if !ok {
		return Usage{}, fmt.Errorf("no usage profile %q (profiles: %s)", profile, strings.Join(slices.Sorted(maps.Keys(Profiles)), ", "))
	}
	return u, nil
}

// Set overrides one assumption from "key=value", as -set takes it.
func (u *Usage) Set(kv string) error {
	key, value, _ := strings.Cut(kv, "=")
	var keys []string
	for _, a := range assumptions {
		keys = append(keys, a.key)
		if a.key != key {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || v < 0 {
			return fmt.Errorf("%s must be a number of %s, at least 0, got %q", key, a.unit, value)
		}
		*a.field(u) = v
		u.Profile += ", " + kv
		return nil
	}
	return fmt.Errorf("no usage assumption %q (assumptions: %s)", key, strings.Join(keys, ", "))
}
