package stacks

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/constructs/monitoring"
	"github.com/hasivu/infra/lambda/routes"
)

// The scopes of a web ACL: in front of a CloudFront distribution (the ACL
// then lives in config.EdgeRegion) or of a regional resource such as an
// API Gateway stage.
const (
	scopeCloudFront = "CLOUDFRONT"
	scopeRegional   = "REGIONAL"
)

// The AWS managed rule groups every web ACL runs, cheapest first: the IP
// reputation list (25 WCU), the common rule set (700) and known bad inputs
// (200), 925 of the 1,500 WCU a web ACL's base price covers.
var managedRuleGroups = []string{"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"}

// rateLimitWindowSeconds is the window the rate-based rules count in,
// WAF's default: config's limits are per five minutes.
const rateLimitWindowSeconds = 300

// throttledBody is the answer of a rate-limited request: the functions'
// error shape (lambda/apperr), as API Gateway's own throttling answers.
const throttledBody = `{"error":{"code":"throttled","message":"Too many requests from this address; try again in a few minutes"}}`

// Firewall is a stage's web ACL and its log group.
type Firewall struct {
	Acl awswafv2.CfnWebACL
	// Name is the web ACL's name and metric name, the WebACL dimension of
	// its metrics.
	Name string
	// Scope is scopeCloudFront or scopeRegional; Region is where the web
	// ACL and its metrics are.
	Scope, Region string
	// RuleNames are the rules' names, which are their metric names, in
	// priority order.
	RuleNames []string
	Logs      awslogs.LogGroup
}

// rateLimitedRoutes are the routes each rate-based rule limits per client
// IP, derived from the route table so that a new route needs no change
// here: the login route, and the payment routes a signed-in user calls.
// Razorpay's webhook is left out: Razorpay calls it from a few addresses
// for every payment, and the function checks its signature.
func rateLimitedRoutes(cfg config.WAF) []rateLimit {
	var login, payments []routes.Route
	for _, r := range routes.Table {
		switch {
		case r.Function == routes.AuthLogin:
			login = append(login, r)
		case strings.HasPrefix(r.Path, "/payments/") && r.Function != routes.PaymentsWebhook:
			payments = append(payments, r)
		}
	}
	var out []rateLimit
	for _, l := range []rateLimit{{"LoginRateLimit", cfg.LoginRateLimit, login}, {"PaymentsRateLimit", cfg.PaymentsRateLimit, payments}} {
		if len(l.routes) > 0 {
			out = append(out, l)
		}
	}
	return out
}

// rateLimit is one rate-based rule: its name, its limit per client IP per
// five minutes and the routes it counts.
type rateLimit struct {
	name   string
	limit  int
	routes []routes.Route
}

// pathPattern is the regular expression of the URI paths of rs, as WAF
// sees them after URL-decoding and lower-casing: CloudFront's viewer path
// ("/auth/login") or, in front of the stage, the path with the stage's
// name first ("/v1/auth/login"). A path parameter matches one segment; a
// trailing slash is allowed.
func pathPattern(stageName string, rs []routes.Route) string {
	seen := map[string]bool{}
	var alternatives []string
	for _, r := range rs {
		var b strings.Builder
		for _, seg := range strings.Split(strings.TrimPrefix(r.Path, "/"), "/") {
			b.WriteString("/")
			if strings.HasPrefix(seg, "{") {
				b.WriteString("[^/]+")
			} else {
				b.WriteString(regexp.QuoteMeta(strings.ToLower(seg)))
			}
		}
		if p := b.String(); !seen[p] {
			seen[p] = true
			alternatives = append(alternatives, p)
		}
	}
	return fmt.Sprintf("^(/%s)?(%s)/?$", regexp.QuoteMeta(strings.ToLower(stageName)), strings.Join(alternatives, "|"))
}

// newFirewall builds the stage's web ACL of the given scope in stack: the
// managed rule groups, then the rate-based rules, each rule's requests
// counted in CloudWatch and sampled; and its log of the requests it
// blocked or counted, kept cfg.LogRetentionDays.
func newFirewall(stack awscdk.Stack, env Env, cfg config.WAF, scope, stageName string) *Firewall {
	f := &Firewall{Name: "hasivu-" + env.Stage, Scope: scope, Region: *stack.Region()}
	visibility := func(metric string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
		return &awswafv2.CfnWebACL_VisibilityConfigProperty{
			MetricName: jsii.String(metric), CloudWatchMetricsEnabled: jsii.Bool(true), SampledRequestsEnabled: jsii.Bool(true),
		}
	}
	var rules []interface{}
	for _, group := range managedRuleGroups {
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String(group), Priority: jsii.Number(len(rules)),
			Statement: &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
				VendorName: jsii.String("AWS"), Name: jsii.String(group),
			}},
			OverrideAction:   &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]interface{}{}},
			VisibilityConfig: visibility(group),
		})
		f.RuleNames = append(f.RuleNames, group)
	}
	for _, l := range rateLimitedRoutes(cfg) {
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String(l.name), Priority: jsii.Number(len(rules)),
			Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
				Limit: jsii.Number(l.limit), AggregateKeyType: jsii.String("IP"), EvaluationWindowSec: jsii.Number(rateLimitWindowSeconds),
				ScopeDownStatement: &awswafv2.CfnWebACL_StatementProperty{RegexMatchStatement: &awswafv2.CfnWebACL_RegexMatchStatementProperty{
					RegexString:  jsii.String(pathPattern(stageName, l.routes)),
					FieldToMatch: &awswafv2.CfnWebACL_FieldToMatchProperty{UriPath: map[string]interface{}{}},
					TextTransformations: &[]interface{}{
						&awswafv2.CfnWebACL_TextTransformationProperty{Priority: jsii.Number(0), Type: jsii.String("URL_DECODE")},
						&awswafv2.CfnWebACL_TextTransformationProperty{Priority: jsii.Number(1), Type: jsii.String("LOWERCASE")},
					},
				}},
			}},
			Action: &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{
				CustomResponse: &awswafv2.CfnWebACL_CustomResponseProperty{ResponseCode: jsii.Number(429), CustomResponseBodyKey: jsii.String("throttled")},
			}},
			VisibilityConfig: visibility(l.name),
		})
		f.RuleNames = append(f.RuleNames, l.name)
	}
	f.Acl = awswafv2.NewCfnWebACL(stack, jsii.String("WebAcl"), &awswafv2.CfnWebACLProps{
		Name:             jsii.String(f.Name),
		Description:      jsii.String("Hasivu " + env.Stage + ": AWS managed rule groups and per-client-IP rate limits on login and payments"),
		Scope:            jsii.String(scope),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: map[string]interface{}{}},
		Rules:            &rules,
		VisibilityConfig: visibility(f.Name),
		CustomResponseBodies: &map[string]interface{}{
			"throttled": &awswafv2.CfnWebACL_CustomResponseBodyProperty{ContentType: jsii.String("APPLICATION_JSON"), Content: jsii.String(throttledBody)},
		},
	})

	// WAF writes only to a destination whose name starts aws-waf-logs-, in
	// the web ACL's region, and adds the log group's resource policy
	// itself. It logs the requests it blocked or counted: CloudFront's and
	// API Gateway's access logs hold the allowed ones.
	f.Logs = awslogs.NewLogGroup(stack, jsii.String("WebAclLogs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("aws-waf-logs-" + f.Name),
		Retention:     retention(cfg.LogRetentionDays),
		RemovalPolicy: retained,
	})
	awswafv2.NewCfnLoggingConfiguration(stack, jsii.String("WebAclLogging"), &awswafv2.CfnLoggingConfigurationProps{
		ResourceArn:           f.Acl.AttrArn(),
		LogDestinationConfigs: &[]interface{}{logGroupArn(stack, f.Logs)},
		// A session's bearer token never reaches the log. CloudFormation
		// takes the header and the filter as plain JSON, so they are
		// written with its own key names.
		RedactedFields: &[]interface{}{&awswafv2.CfnLoggingConfiguration_FieldToMatchProperty{
			SingleHeader: map[string]interface{}{"Name": "authorization"},
		}},
		LoggingFilter: map[string]interface{}{
			"DefaultBehavior": "DROP",
			"Filters": []interface{}{map[string]interface{}{
				"Behavior": "KEEP", "Requirement": "MEETS_ANY",
				"Conditions": []interface{}{
					map[string]interface{}{"ActionCondition": map[string]interface{}{"Action": "BLOCK"}},
					map[string]interface{}{"ActionCondition": map[string]interface{}{"Action": "COUNT"}},
				},
			}},
		},
	})
	return f
}

// logGroupArn is a log group's ARN without the ":*" CDK's LogGroupArn
// ends in, as WAF's and CloudWatch Logs' delivery destinations take it.
func logGroupArn(stack awscdk.Stack, lg awslogs.LogGroup) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"), ResourceName: lg.LogGroupName(),
		ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// firewallMetrics are a web ACL's figures as WAF publishes them, in the
// web ACL's region: a CloudFront web ACL's without a Region dimension, a
// regional one's with it.
type firewallMetrics struct{ f *Firewall }

var _ monitoring.Firewall = firewallMetrics{}

// Metric is one of WAF's metrics of the web ACL for one rule, or "ALL".
func (m firewallMetrics) Metric(name, rule, stat, label string, period awscdk.Duration) awscloudwatch.IMetric {
	dims := map[string]*string{"WebACL": jsii.String(m.f.Name), "Rule": jsii.String(rule)}
	if m.f.Scope == scopeRegional {
		dims["Region"] = jsii.String(m.f.Region)
	}
	return awscloudwatch.NewMetric(&awscloudwatch.MetricProps{
		Namespace: jsii.String("AWS/WAFV2"), MetricName: jsii.String(name), DimensionsMap: &dims,
		Statistic: jsii.String(stat), Label: jsii.String(label), Period: period, Region: jsii.String(m.f.Region),
	})
}

// Rules are the web ACL's rules' metric names, in priority order.
func (m firewallMetrics) Rules() []string { return m.f.RuleNames }
