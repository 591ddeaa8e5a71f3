package monitoring

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"
)

// minRequestsForUnauthorizedRate is the fewest API requests in a period
// for the share answered 401 to count: at night two requests, one a typo,
// are not an attack.
const minRequestsForUnauthorizedRate = 20

// SecurityProps is what the security segment watches: refused
// credentials. Its alarms are the telemetry of brute force and forged
// webhooks; the audit lines in the functions' logs say who and what.
type SecurityProps struct {
	// Stage is the API's deployment stage, whose request count the 401
	// rate divides by. Required.
	Stage ApiStage
	// UnauthorizedMetric counts the functions' 401 answers (wrong
	// passwords, refused tokens, unsigned webhooks). Required.
	UnauthorizedMetric MetricSource
	// WebhookSignatureMetric counts webhook deliveries whose signature
	// did not verify. Required.
	WebhookSignatureMetric MetricSource
	// UnauthorizedRate (percent of requests answered 401, in periods with
	// at least minRequestsForUnauthorizedRate requests) and
	// WebhookSignature (refused deliveries per period) fire the alarms.
	// Required.
	UnauthorizedRate, WebhookSignature Threshold
}

func (p *SecurityProps) validate(ps *problems) {
	ps.required("Security.Stage", p.Stage != nil)
	ps.required("Security.UnauthorizedMetric", p.UnauthorizedMetric != nil)
	ps.required("Security.WebhookSignatureMetric", p.WebhookSignatureMetric != nil)
	ps.threshold("Security.UnauthorizedRate", p.UnauthorizedRate, percent)
	ps.threshold("Security.WebhookSignature", p.WebhookSignature, nonNegative)
}

// addSecurity adds the security row (401 answers and refused webhook
// signatures) and its two alarms.
func (m *Monitoring) addSecurity(p SecurityProps) {
	m.section("Security", "Credentials refused: wrong passwords and unknown emails, expired or forged tokens, webhook deliveries "+
		"without Razorpay's signature. Who and what: the functions' audit lines (Logs Insights: filter audit = 1).")
	unauthorized := p.UnauthorizedMetric.Total("Sum", "401 answers", m.period)
	refused := p.WebhookSignatureMetric.Total("Sum", "unsigned webhooks", m.period)
	m.row(
		m.graph("401 answers", halfWidth, []awscloudwatch.IMetric{unauthorized}),
		m.graph("Webhook deliveries with a bad signature", halfWidth, []awscloudwatch.IMetric{refused}),
	)
	rate := m.math(fmt.Sprintf("IF(n >= %d, 100 * FILL(u, 0) / n, 0)", minRequestsForUnauthorizedRate), "401 % (busy periods)",
		map[string]awscloudwatch.IMetric{"u": unauthorized, "n": p.Stage.MetricCount(&awscloudwatch.MetricOptions{
			Statistic: jsii.String("Sum"), Period: m.period})})
	m.alarm(alarmSpec{Name: "unauthorizedRatePercent", Metric: rate, Threshold: p.UnauthorizedRate, Comparison: above, Missing: notBreach,
		Description: fmt.Sprintf("More than %v %% of API requests were answered 401 (in periods with at least %d requests): password guessing or stolen tokens being tried. Sign-ins lock themselves (429); look at the audit lines for the addresses and accounts.", p.UnauthorizedRate.Value, minRequestsForUnauthorizedRate)})
	m.alarm(alarmSpec{Name: "webhookSignatureFailuresCount", Metric: refused, Threshold: p.WebhookSignature, Comparison: atOrAbove, Missing: notBreach,
		Description: fmt.Sprintf("At least %v webhook deliveries per period had no valid Razorpay signature: forged deliveries, or a webhook secret that differs from Razorpay's (then every payment stays unconfirmed).", p.WebhookSignature.Value)})
}
