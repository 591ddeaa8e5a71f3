package monitoring

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
)

// Distribution is a CDN distribution's figures, as CloudFront publishes
// them with its additional metrics turned on. The source knows the
// namespace, the dimensions and the region they are published in.
type Distribution interface {
	// Metric is one of the distribution's metrics by CloudFront's name:
	// Requests, 5xxErrorRate, CacheHitRate, OriginLatency.
	Metric(name, stat, label string, period awscdk.Duration) awscloudwatch.IMetric
}

// Firewall is a web ACL's figures, as AWS WAF publishes them.
type Firewall interface {
	// Metric is one of the web ACL's metrics (AllowedRequests,
	// BlockedRequests) for one rule by its metric name, or for all of
	// them with rule "ALL".
	Metric(name, rule, stat, label string, period awscdk.Duration) awscloudwatch.IMetric
	// Rules are the metric names of the web ACL's rules, in priority
	// order.
	Rules() []string
}

// EdgeProps is what the edge segment watches: the distribution in front
// of the service and the web ACL that filters its requests.
type EdgeProps struct {
	// Distribution is the CDN in front of the service. Default: none.
	Distribution Distribution
	// Firewall is the web ACL in front of the service. Default: none. At
	// least one of Distribution and Firewall is required.
	Firewall Firewall
	// ErrorRate (percent of the distribution's requests answered 5XX)
	// and Blocked (requests the web ACL blocked per period) fire the
	// alarms and are drawn on the graphs. Required with their source.
	ErrorRate, Blocked Threshold
	// ErrorRateTarget (percent) and LatencyP95Target are the service's
	// targets, which the dashboard names. Required with Distribution.
	ErrorRateTarget  float64
	LatencyP95Target time.Duration
	// AlarmsElsewhere draws the segment without its alarms. A CloudWatch
	// alarm watches only metrics of its own region, and CloudFront's
	// metrics (and those of a web ACL of CloudFront scope) are in
	// us-east-1: a dashboard elsewhere draws them while a Monitoring in
	// us-east-1 alarms on them. Default: false.
	AlarmsElsewhere bool
}

func (p *EdgeProps) validate(ps *problems) {
	if p.Distribution == nil && p.Firewall == nil {
		ps.add("Edge needs a Distribution or a Firewall")
	}
	if p.Distribution != nil {
		ps.threshold("Edge.ErrorRate", p.ErrorRate, percent)
		ps.percentTarget("Edge.ErrorRateTarget", p.ErrorRateTarget)
		ps.target("Edge.LatencyP95Target", p.LatencyP95Target)
	}
	if p.Firewall != nil {
		ps.threshold("Edge.Blocked", p.Blocked, nonNegative)
	}
}

// addEdge adds the edge rows: the distribution's traffic, 5XX rate,
// cache hit rate and origin latency, and what the web ACL allowed and
// blocked; and, unless they live elsewhere, their alarms.
func (m *Monitoring) addEdge(p EdgeProps) {
	where := ""
	if p.AlarmsElsewhere {
		where = " Its alarms are in the metrics' own region."
	}
	m.section("Edge", "What reaches the service: the CDN in front of it and the web ACL that filters it."+where)
	if d := p.Distribution; d != nil {
		errorRate := d.Metric("5xxErrorRate", "Average", "5XX % of requests", m.period)
		m.row(
			m.graph("Edge requests", 6, metricsOf(d.Metric("Requests", "Sum", "requests", m.period))),
			m.graph("Edge 5XX rate (%)", 6, metricsOf(errorRate), limit("alarm", p.ErrorRate.Value), limit("target", p.ErrorRateTarget)),
			m.graph("Edge cache hit rate (%)", 6, metricsOf(d.Metric("CacheHitRate", "Average", "hit %", m.period))),
			m.graph("Origin latency (ms)", 6, metricsOf(d.Metric("OriginLatency", "p95", "p95", m.period),
				d.Metric("OriginLatency", "p99", "p99", m.period)), limit("p95 target", ms(p.LatencyP95Target))),
		)
		if !p.AlarmsElsewhere {
			m.alarm(alarmSpec{Name: "edge5xxRatePercent", Metric: errorRate, Threshold: p.ErrorRate, Comparison: above, Missing: notBreach, Critical: true,
				Description: fmt.Sprintf("More than %v %% of the distribution's requests end in 5XX (target %v %%): the origin fails (see the API row) or the edge cannot reach it.", p.ErrorRate.Value, p.ErrorRateTarget)})
		}
	}
	if f := p.Firewall; f != nil {
		blocked := f.Metric("BlockedRequests", "ALL", "Sum", "blocked", m.period)
		var byRule []awscloudwatch.IMetric
		for _, rule := range f.Rules() {
			byRule = append(byRule, f.Metric("BlockedRequests", rule, "Sum", rule, m.period))
		}
		m.row(
			m.graph("Web ACL: allowed and blocked requests", halfWidth, metricsOf(
				f.Metric("AllowedRequests", "ALL", "Sum", "allowed", m.period), blocked), limit("alarm", p.Blocked.Value)),
			m.graph("Blocked requests by rule", halfWidth, byRule),
		)
		if !p.AlarmsElsewhere {
			m.alarm(alarmSpec{Name: "wafBlockedRequests", Metric: blocked, Threshold: p.Blocked, Comparison: atOrAbove, Missing: notBreach,
				Description: fmt.Sprintf("The web ACL blocked at least %v requests per period: an attack or a client gone wrong. The by-rule graph names the rule; the web ACL's log holds the requests.", p.Blocked.Value)})
		}
	}
}
