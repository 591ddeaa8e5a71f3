// Package metrics declares the custom CloudWatch metrics the functions emit:
// namespace, names, units and dimension sets. The functions write them
// through package emf; the monitoring stack reads the same declarations, so
// a dashboard widget or an alarm can only name a metric, unit and
// dimension set that the functions really emit. It imports nothing, so the
// CDK app may link it.
package metrics

// Unit is a CloudWatch metric unit as EMF spells it.
type Unit string

// Units used by the catalog.
const (
	Milliseconds Unit = "Milliseconds"
	Count        Unit = "Count"
)

// Dimension names. Each metric is published under every dimension set its
// declaration lists; an empty set publishes the metric with no dimensions,
// which alarms use for a stage-wide figure.
const (
	// DimFunction is the handler-table name of the function ("orders-list").
	DimFunction = "Function"
	// DimQuery is the name of a database query ("orders.list").
	DimQuery = "Query"
	// DimCache is the name of a cache-aside entry kind ("orders", "menu").
	DimCache = "Cache"
	// DimReason is why a captured payment is owed back
	// ("duplicate_capture").
	DimReason = "Reason"
	// DimSecret is a secret read when first needed ("razorpay").
	DimSecret = "Secret"
)

// Metric declares one custom metric.
type Metric struct {
	// Name is the CloudWatch metric name.
	Name string
	// Unit is the unit every value is recorded in.
	Unit Unit
	// Dimensions lists the dimension sets the metric is published under.
	Dimensions [][]string
}

// The catalog of custom metrics.
var (
	// OperationDuration is the time a function spends on one invocation,
	// from the handler's entry to its response.
	OperationDuration = Metric{Name: "OperationDuration", Unit: Milliseconds,
		Dimensions: [][]string{{DimFunction}}}
	// ColdStartDuration is the time from process start to the end of the
	// first invocation's setup, emitted once per execution environment.
	ColdStartDuration = Metric{Name: "ColdStartDuration", Unit: Milliseconds,
		Dimensions: [][]string{{DimFunction}, {}}}
	// QueryDuration is the round-trip time of one named database query.
	QueryDuration = Metric{Name: "QueryDuration", Unit: Milliseconds,
		Dimensions: [][]string{{DimQuery}, {}}}
	// CacheHits counts cache-aside reads answered by Redis.
	CacheHits = Metric{Name: "CacheHits", Unit: Count,
		Dimensions: [][]string{{DimCache}, {}}}
	// CacheMisses counts cache-aside reads that went to the database
	// because Redis had no entry.
	CacheMisses = Metric{Name: "CacheMisses", Unit: Count,
		Dimensions: [][]string{{DimCache}, {}}}
	// CacheErrors counts Redis calls that failed or that the circuit
	// breaker skipped; the request was answered from the database instead.
	CacheErrors = Metric{Name: "CacheErrors", Unit: Count,
		Dimensions: [][]string{{DimCache}, {}}}

	// PaymentsRefundDue counts captured payments that could not settle
	// their order (paid twice, wrong amount or currency, cancelled order)
	// and are owed back to the payer.
	PaymentsRefundDue = Metric{Name: "PaymentsRefundDue", Unit: Count,
		Dimensions: [][]string{{DimReason}, {}}}

	// SecretFailures counts requests that failed because a secret read on
	// first use could not be had or held credentials the provider refused.
	SecretFailures = Metric{Name: "SecretFailures", Unit: Count,
		Dimensions: [][]string{{DimSecret}, {}}}

	// Unauthorized counts the functions' 401 answers: wrong passwords and
	// unknown emails, missing, expired or forged tokens, unsigned webhook
	// deliveries. One figure for the stage (each dimension value would be
	// a metric billed on its own); the audit lines say which.
	Unauthorized = Metric{Name: "Unauthorized", Unit: Count, Dimensions: [][]string{{}}}
	// WebhookSignatureFailures counts webhook deliveries refused because
	// their signature did not verify.
	WebhookSignatureFailures = Metric{Name: "WebhookSignatureFailures", Unit: Count, Dimensions: [][]string{{}}}
)

// The plan's per-operation metrics. Sign-in's are published without
// dimensions, as only auth-login emits them; errors by function only, as
// a metric costs the same for every dimension set it is published under.
var (
	// OperationErrors counts invocations that failed on the platform's
	// side, by function: routed ones answered 5XX, invoked ones returned
	// an error. Client faults (4XX) are API Gateway's 4XXError, for the
	// whole API.
	OperationErrors = Metric{Name: "OperationErrors", Unit: Count,
		Dimensions: [][]string{{DimFunction}}}
	// LoginSucceeded counts sign-ins that issued a token.
	LoginSucceeded = Metric{Name: "LoginSucceeded", Unit: Count,
		Dimensions: [][]string{{}}}
	// PasswordVerifyDuration is the time a sign-in spends checking the
	// password against its bcrypt hash (or, for an unknown email, a
	// dummy one), nearly all of sign-in's CPU.
	PasswordVerifyDuration = Metric{Name: "PasswordVerifyDuration", Unit: Milliseconds,
		Dimensions: [][]string{{}}}
	// TokenIssueDuration is the time a sign-in spends signing its token.
	TokenIssueDuration = Metric{Name: "TokenIssueDuration", Unit: Milliseconds,
		Dimensions: [][]string{{}}}
)

// Catalog lists every declared metric.
var Catalog = []Metric{OperationDuration, ColdStartDuration, QueryDuration, CacheHits, CacheMisses, CacheErrors,
	PaymentsRefundDue, SecretFailures, OperationErrors, LoginSucceeded, PasswordVerifyDuration, TokenIssueDuration,
	Unauthorized, WebhookSignatureFailures}

// Namespace returns the CloudWatch namespace of a stage's metrics, so that
// stages sharing an account never mix their figures.
func Namespace(stage string) string { return "Hasivu/" + stage }
