// Package config loads a stage's settings from config/<stage>.yaml into one
// typed, validated Stage. It is the only place the CDK app reads settings
// from: stacks and constructs take the sections they need as arguments.
//
// Field tags: `yaml` names the key; `cfg:"required"` means the key must be
// set by the stage file or a file it extends; `cfg:"default=V"` gives the
// value used when no file sets the key (lists are comma-separated). Every
// other rule on one key's value is written once, in constrain (schema.go),
// which generates it into stage.schema.json; the loader validates each
// stage against that file, as editors do, and checks in Go only the rules
// that compare keys (validate.go).
package config

import (
	"time"

	"github.com/hasivu/infra/plan"
)

// Stage is everything one deployment stage is built from.
type Stage struct {
	// Name is the stage name, taken from the file name (config/<name>.yaml).
	Name string `yaml:"-"`
	// Extends names another stage file whose values this one starts from.
	Extends string `yaml:"extends"`
	// Account is the 12-digit AWS account the stage deploys to.
	Account string `yaml:"account" cfg:"required"`
	// Region is the AWS region the stage deploys to.
	Region string `yaml:"region" cfg:"required"`
	// AvailabilityZones lists the zones of Region the VPC spans. They are
	// given here rather than looked up so that synth needs no AWS account.
	AvailabilityZones []string `yaml:"availabilityZones" cfg:"required"`
	// TerminationProtection turns on CloudFormation termination protection
	// for the stateful stacks (data, cache).
	TerminationProtection bool `yaml:"terminationProtection" cfg:"default=false"`
	// Tags are applied to every resource of the stage.
	Tags map[string]string `yaml:"tags"`
	// UsageProfile is the traffic the cost estimate assumes for what the
	// config does not say (log volumes, NAT traffic): small, medium or
	// large (see UsageProfiles and cost.Profiles).
	UsageProfile string `yaml:"usageProfile" cfg:"default=small"`
	// LambdaConcurrencyLimit is the account's Lambda concurrent executions
	// quota in the region (Service Quotas; new accounts may start far
	// below the usual 1000). The functions' reserved concurrency and the
	// most provisioned concurrency they can scale to must leave Lambda's
	// minimum unreserved pool of it free, or the deploy fails.
	LambdaConcurrencyLimit int `yaml:"lambdaConcurrencyLimit" cfg:"default=1000"`

	Network    Network    `yaml:"network"`
	Database   Database   `yaml:"database"`
	Cache      Cache      `yaml:"cache"`
	Functions  Functions  `yaml:"functions"`
	API        API        `yaml:"api"`
	Edge       Edge       `yaml:"edge"`
	WAF        WAF        `yaml:"waf"`
	Monitoring Monitoring `yaml:"monitoring"`
}

// Network configures the VPC.
type Network struct {
	// CIDR is the VPC's IPv4 range, /16 to /18.
	CIDR string `yaml:"cidr" cfg:"required"`
	// NATGateways is how many NAT gateways give the function subnets
	// outbound access (Razorpay, AWS APIs without an endpoint); 0 leaves
	// the function subnets isolated.
	NATGateways int `yaml:"natGateways" cfg:"required"`
	// InterfaceEndpoints lists the AWS services reached through interface
	// VPC endpoints instead of NAT, by service name ("secretsmanager").
	InterfaceEndpoints []string `yaml:"interfaceEndpoints" cfg:"default=secretsmanager"`
	FlowLogs           FlowLogs `yaml:"flowLogs"`
}

// FlowLogs configures VPC flow logs to CloudWatch Logs.
type FlowLogs struct {
	// RetentionDays is how long flow log records are kept.
	RetentionDays int `yaml:"retentionDays" cfg:"default=30"`
	// TrafficType is ALL, ACCEPT or REJECT.
	TrafficType string `yaml:"trafficType" cfg:"default=REJECT"`
}

// Database configures RDS PostgreSQL and the RDS Proxy in front of it.
type Database struct {
	// EngineVersion is the full PostgreSQL version, "16.8".
	EngineVersion string `yaml:"engineVersion" cfg:"required"`
	// InstanceClass is the RDS instance class, "db.r7g.large".
	InstanceClass string `yaml:"instanceClass" cfg:"required"`
	// Port is the port PostgreSQL and the proxy listen on.
	Port int `yaml:"port" cfg:"default=5432"`
	// Name is the database created on the instance.
	Name string `yaml:"name" cfg:"default=hasivu"`
	// Username is the master user, whose password lives in Secrets Manager.
	Username string `yaml:"username" cfg:"default=hasivu_admin"`
	// AllocatedStorageGiB is the gp3 storage allocated at creation.
	AllocatedStorageGiB int `yaml:"allocatedStorageGiB" cfg:"required"`
	// MaxAllocatedStorageGiB is the ceiling storage autoscaling may grow to.
	MaxAllocatedStorageGiB int `yaml:"maxAllocatedStorageGiB" cfg:"required"`
	// MultiAZ keeps a synchronous standby in a second zone.
	MultiAZ bool `yaml:"multiAz" cfg:"required"`
	// BackupRetentionDays is how long automated backups are kept, 0 to 35.
	BackupRetentionDays int `yaml:"backupRetentionDays" cfg:"required"`
	// BackupWindow is the daily backup window in UTC, "hh:mm-hh:mm".
	BackupWindow string `yaml:"backupWindow" cfg:"default=20:00-20:30"`
	// MaintenanceWindow is the weekly window in UTC, "ddd:hh:mm-ddd:hh:mm".
	MaintenanceWindow string `yaml:"maintenanceWindow" cfg:"default=sun:21:00-sun:22:00"`
	// DeletionProtection refuses API deletion of the instance.
	DeletionProtection bool `yaml:"deletionProtection" cfg:"required"`
	// RemovalPolicy is what CloudFormation does with the instance when it
	// leaves the stack: retain, snapshot or destroy.
	RemovalPolicy string `yaml:"removalPolicy" cfg:"required"`
	// PerformanceInsights turns on Performance Insights.
	PerformanceInsights bool `yaml:"performanceInsights" cfg:"required"`
	// PerformanceInsightsRetentionDays is 7 (free) or a multiple of 31 up
	// to 731.
	PerformanceInsightsRetentionDays int `yaml:"performanceInsightsRetentionDays" cfg:"default=7"`
	// MonitoringIntervalSeconds is the enhanced monitoring interval; 0 turns
	// enhanced monitoring off.
	MonitoringIntervalSeconds int `yaml:"monitoringIntervalSeconds" cfg:"required"`
	// LogExports lists the PostgreSQL logs exported to CloudWatch Logs.
	LogExports []string `yaml:"logExports" cfg:"default=postgresql,upgrade"`
	// LogRetentionDays is how long exported logs are kept.
	LogRetentionDays int `yaml:"logRetentionDays" cfg:"default=30"`
	// RotationDays is how often Secrets Manager rotates the master password.
	RotationDays int `yaml:"rotationDays" cfg:"default=30"`
	// Parameters are set in the parameter group over the tuned defaults.
	Parameters map[string]string `yaml:"parameters"`
	// Proxy configures RDS Proxy's connection pool.
	Proxy Proxy `yaml:"proxy"`
}

// Proxy configures RDS Proxy's connection pool.
type Proxy struct {
	// MaxConnectionsPercent caps the pool at this share of max_connections.
	MaxConnectionsPercent int `yaml:"maxConnectionsPercent" cfg:"default=90"`
	// MaxIdleConnectionsPercent is the share of idle connections the pool
	// keeps open.
	MaxIdleConnectionsPercent int `yaml:"maxIdleConnectionsPercent" cfg:"default=50"`
	// BorrowTimeoutSeconds is how long a client waits for a connection.
	BorrowTimeoutSeconds int `yaml:"borrowTimeoutSeconds" cfg:"default=10"`
	// IdleClientTimeoutSeconds closes client connections idle this long.
	IdleClientTimeoutSeconds int `yaml:"idleClientTimeoutSeconds" cfg:"default=900"`
}

// Cache configures the ElastiCache replication group.
type Cache struct {
	// Engine is redis or valkey.
	Engine string `yaml:"engine" cfg:"required"`
	// EngineVersion is "major.minor", "8.0".
	EngineVersion string `yaml:"engineVersion" cfg:"required"`
	// NodeType is the ElastiCache node type, "cache.r7g.large".
	NodeType string `yaml:"nodeType" cfg:"required"`
	// Replicas is the number of read replicas, 0 to 5. Automatic failover
	// is on whenever there is at least one.
	Replicas int  `yaml:"replicas" cfg:"required"`
	MultiAZ  bool `yaml:"multiAz" cfg:"required"`
	// Port is the port Redis listens on.
	Port int `yaml:"port" cfg:"default=6379"`
	// SnapshotRetentionDays is how long daily snapshots are kept; 0 turns
	// snapshots off.
	SnapshotRetentionDays int `yaml:"snapshotRetentionDays" cfg:"required"`
	// SnapshotWindow is the daily snapshot window in UTC, "hh:mm-hh:mm".
	SnapshotWindow string `yaml:"snapshotWindow" cfg:"default=19:00-20:00"`
	// MaintenanceWindow is the weekly window in UTC, "ddd:hh:mm-ddd:hh:mm".
	MaintenanceWindow string `yaml:"maintenanceWindow" cfg:"default=sun:22:00-sun:23:00"`
	// MaxmemoryPolicy is Redis's eviction policy when memory is full.
	MaxmemoryPolicy string `yaml:"maxmemoryPolicy" cfg:"default=allkeys-lru"`
	// RemovalPolicy is what CloudFormation does on deletion: retain,
	// snapshot or destroy.
	RemovalPolicy string `yaml:"removalPolicy" cfg:"required"`
}

// Functions configures the Lambda functions built from lambda/. The
// top-level values apply to every function; Each overrides them per
// function.
type Functions struct {
	// MemoryMiB is each function's memory (and so its CPU share).
	MemoryMiB int `yaml:"memoryMiB" cfg:"default=1024"`
	// TimeoutSeconds is each function's timeout.
	TimeoutSeconds int `yaml:"timeoutSeconds" cfg:"default=10"`
	// LogRetentionDays is how long function logs are kept.
	LogRetentionDays int `yaml:"logRetentionDays" cfg:"default=30"`
	// Tracing turns on X-Ray tracing of functions and the API.
	Tracing bool `yaml:"tracing" cfg:"default=true"`
	// Insights attaches the Lambda Insights extension (cold-start and
	// memory metrics).
	Insights bool `yaml:"insights" cfg:"default=false"`
	// TimeZone is the IANA zone the peak windows are written in.
	TimeZone string `yaml:"timeZone" cfg:"default=UTC"`
	// UtilizationTarget is the provisioned-concurrency utilisation, in
	// percent, that auto scaling keeps functions at.
	UtilizationTarget int `yaml:"utilizationTarget" cfg:"default=70"`
	// Peaks are named time windows during which functions keep a higher
	// provisioned-concurrency floor (Function.Peaks).
	Peaks map[string]Window `yaml:"peaks"`
	// Each holds per-function settings by function name. An entry in a
	// stage file replaces the whole entry of the file it extends.
	Each map[string]Function `yaml:"each"`
	// Rollout is how a deploy moves each routed function's live alias to
	// its new version.
	Rollout Rollout `yaml:"rollout"`
}

// Rollout configures CodeDeploy's shift of every routed live alias to the
// version a deploy published, after the pre-traffic check passed, and the
// alarms on the new version that roll it back.
type Rollout struct {
	// Strategy is allAtOnce, canary (Percent of the traffic for Minutes,
	// then the rest) or linear (Percent more every Minutes).
	Strategy string `yaml:"strategy" cfg:"default=allAtOnce"`
	// Percent is the share of traffic a canary or linear step moves.
	Percent int `yaml:"percent" cfg:"default=10"`
	// Minutes is how long a canary or linear step lasts.
	Minutes int `yaml:"minutes" cfg:"default=5"`
	// DurationP95Ms rolls a new version back when its p95 duration over a
	// minute exceeds it.
	DurationP95Ms int `yaml:"durationP95Ms" cfg:"default=1000"`
	// Api5xxPercent rolls back when the API answers more than this share
	// of its requests with a 5XX for two minutes.
	Api5xxPercent float64 `yaml:"api5xxPercent" cfg:"default=1"`
}

// RolloutStrategies are the strategies rollout.strategy may name.
var RolloutStrategies = []string{"allAtOnce", "canary", "linear"}

// Window is a weekly time window in Functions.TimeZone.
type Window struct {
	// Days is a cron day-of-week field: "MON-SAT", "MON,WED,FRI", "*".
	Days string `yaml:"days"`
	// From and To are "hh:mm".
	From string `yaml:"from"`
	To   string `yaml:"to"`
}

// Function is one function's settings; a zero value inherits Functions'.
type Function struct {
	MemoryMiB      int `yaml:"memoryMiB"`
	TimeoutSeconds int `yaml:"timeoutSeconds"`
	// ReservedConcurrency caps the function's concurrency; 0 means no
	// reservation.
	ReservedConcurrency int `yaml:"reservedConcurrency"`
	// ProvisionedConcurrency is the floor of pre-initialised environments
	// on the live alias; 0 means none and no auto scaling.
	ProvisionedConcurrency int `yaml:"provisionedConcurrency"`
	// MaxProvisionedConcurrency is the ceiling auto scaling may reach;
	// 0 means ProvisionedConcurrency (no scaling above the floor).
	MaxProvisionedConcurrency int `yaml:"maxProvisionedConcurrency"`
	// Peaks raises the floor during the named windows of Functions.Peaks.
	Peaks map[string]int `yaml:"peaks"`
}

// MinUnreservedConcurrency is the part of an account's Lambda
// concurrency quota that Lambda keeps unreserved for functions without a
// reservation: PutFunctionConcurrency and provisioned concurrency are
// refused when they would leave less.
const MinUnreservedConcurrency = 100

// ConcurrencyDemand returns how much of the account's concurrency the
// stage's functions take out of the unreserved pool at most: per function
// its reserved concurrency, or else the most provisioned concurrency its
// alias can scale to (auto scaling's ceiling or a peak's floor), by
// function name; and their sum.
func (f Functions) ConcurrencyDemand(names []string) (map[string]int, int) {
	per, total := map[string]int{}, 0
	for _, name := range names {
		fn := f.Of(name)
		n := fn.MaxProvisionedConcurrency
		for _, floor := range fn.Peaks {
			n = max(n, floor)
		}
		n = max(n, fn.ReservedConcurrency)
		if n > 0 {
			per[name] = n
			total += n
		}
	}
	return per, total
}

// Of returns the settings of one function with the defaults filled in.
func (f Functions) Of(name string) Function {
	fn := f.Each[name]
	if fn.MemoryMiB == 0 {
		fn.MemoryMiB = f.MemoryMiB
	}
	if fn.TimeoutSeconds == 0 {
		fn.TimeoutSeconds = f.TimeoutSeconds
	}
	if fn.MaxProvisionedConcurrency == 0 {
		fn.MaxProvisionedConcurrency = fn.ProvisionedConcurrency
	}
	return fn
}

// API configures the REST API in front of the functions.
type API struct {
	// StageName is the API Gateway stage the API is served from.
	StageName string `yaml:"stageName" cfg:"default=v1"`
	// CacheSizeGiB is the stage's cache cluster size, one API Gateway
	// offers (0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237); 0 turns the
	// cache cluster off.
	CacheSizeGiB float64 `yaml:"cacheSizeGiB" cfg:"required"`
	// Throttle is the stage-wide steady rate and burst.
	Throttle Throttle `yaml:"throttle"`
	// RouteThrottles override Throttle per route, keyed "METHOD /path".
	RouteThrottles map[string]Throttle `yaml:"routeThrottles"`
	// CorsOrigins are the web origins allowed to call the API.
	CorsOrigins []string `yaml:"corsOrigins" cfg:"required"`
	// AccessLogRetentionDays is how long access logs are kept.
	AccessLogRetentionDays int `yaml:"accessLogRetentionDays" cfg:"default=30"`
	// RazorpaySecretName names an existing Secrets Manager secret holding
	// Razorpay's keyId, keySecret and webhookSecret (JSON), under the
	// account's default key. Empty (the default): the api stack creates
	// hasivu/<stage>/razorpay with the three keys empty, for the platform
	// team to fill in.
	RazorpaySecretName string `yaml:"razorpaySecretName"`
	// RazorpayBaseURL is Razorpay's API.
	RazorpayBaseURL string `yaml:"razorpayBaseUrl" cfg:"default=https://api.razorpay.com"`
}

// EdgeRegion is where CloudFront keeps what belongs to a distribution
// rather than to a region: the ACM certificates it serves, web ACLs of
// CloudFront scope and their logs, its metrics (and so the alarms on
// them) and its access log deliveries. The edge stack deploys there.
const EdgeRegion = "us-east-1"

// Edge configures the CloudFront distribution in front of the REST API.
type Edge struct {
	// Enabled puts a CloudFront distribution in front of the API, built in
	// the edge stack in us-east-1, and makes the API answer only
	// requests that carry the distribution's origin key.
	Enabled bool `yaml:"enabled" cfg:"default=false"`
	// DomainName is the API's own domain name, "api.hasivu.com". Empty:
	// the distribution's *.cloudfront.net name, whose certificate keeps
	// TLS 1.0 as the minimum. Set with CertificateArn.
	DomainName string `yaml:"domainName"`
	// CertificateArn is an ACM certificate for DomainName, issued or
	// imported in us-east-1: CloudFront uses no other region's. Set with
	// DomainName.
	CertificateArn string `yaml:"certificateArn"`
	// PriceClass is which edge locations serve the API: PriceClass_100
	// (North America, Europe, Israel), PriceClass_200 (also Asia with
	// India, the Middle East, Africa) or PriceClass_All.
	PriceClass string `yaml:"priceClass" cfg:"default=PriceClass_200"`
	// LogRetentionDays is how long the distribution's access logs are
	// kept.
	LogRetentionDays int `yaml:"logRetentionDays" cfg:"default=30"`
	// OriginKeyGeneration numbers the origin key CloudFront sends to the
	// API. Raising it rotates the key: the API accepts this generation and
	// the one before, so requests in flight during the switch still pass.
	OriginKeyGeneration int `yaml:"originKeyGeneration" cfg:"default=1"`
}

// EdgePriceClasses are the price classes edge.priceClass may name.
var EdgePriceClasses = []string{"PriceClass_100", "PriceClass_200", "PriceClass_All"}

// WAF configures the web ACL in front of the API: on the distribution
// where the edge is on, else on the API stage.
type WAF struct {
	// Enabled puts a web ACL with AWS's managed rule groups (common rule
	// set, known bad inputs, IP reputation) and per-client-IP rate limits
	// in front of the API.
	Enabled bool `yaml:"enabled" cfg:"default=false"`
	// LoginRateLimit is the most requests one client IP may send to the
	// login route in five minutes; WAF blocks the rest with 429.
	LoginRateLimit int `yaml:"loginRateLimit" cfg:"default=100"`
	// PaymentsRateLimit is the same for the payment routes a signed-in
	// user calls (Razorpay's webhook is not limited).
	PaymentsRateLimit int `yaml:"paymentsRateLimit" cfg:"default=300"`
	// LogRetentionDays is how long the web ACL's logs of blocked and
	// counted requests are kept.
	LogRetentionDays int `yaml:"logRetentionDays" cfg:"default=30"`
}

// MinWAFRateLimit is the lowest limit AWS WAF accepts in a rate-based
// rule.
const MinWAFRateLimit = 10

// Throttle is a token bucket: a steady rate in requests per second and a
// burst.
type Throttle struct {
	RateLimit  int `yaml:"rateLimit" cfg:"default=100"`
	BurstLimit int `yaml:"burstLimit" cfg:"default=200"`
}

// Monitoring configures the dashboard, the alarms and who they notify.
type Monitoring struct {
	// AlarmEmails receive every alarm and its recovery.
	AlarmEmails []string `yaml:"alarmEmails" cfg:"required"`
	// AlarmWebhooks are HTTPS endpoints (chat, paging) that receive them
	// too.
	AlarmWebhooks []string `yaml:"alarmWebhooks"`
	// PeriodSeconds is the period graphs plot and alarms without a period
	// of their own (AlarmSetting.PeriodSeconds) evaluate: 60 or a multiple
	// of 60.
	PeriodSeconds int `yaml:"periodSeconds" cfg:"default=60"`
	// Alarms override DefaultAlarms by name; a zero field keeps the
	// default.
	Alarms map[string]AlarmSetting `yaml:"alarms"`
}

// AlarmSetting is an alarm's threshold, how many consecutive periods
// must breach it and how long a period is.
type AlarmSetting struct {
	Threshold         float64 `yaml:"threshold"`
	EvaluationPeriods int     `yaml:"evaluationPeriods"`
	// PeriodSeconds is the length of the periods the alarm judges: 60 or
	// a multiple of 60. Zero: Monitoring.PeriodSeconds.
	PeriodSeconds int `yaml:"periodSeconds"`
}

// DefaultAlarms are the performance plan's targets (from package plan) and
// the resource limits worth waking someone for, by alarm name. Units:
// milliseconds, percent, counts per period, GiB.
//
// The plan's four judge its 5-minute periods (plan.AlarmPeriod): a cold
// start, a query or a request is slow for a while before anyone needs
// waking, and one slow minute (a deploy's cold starts, a burst at the
// lunch bell) is not that. The others keep the stage's period
// (Monitoring.PeriodSeconds, 60 s in prod) because each of their
// breaches is already users failing or money at stake: 5XX answers and
// throttled calls are requests refused now, a captured payment owed back
// or a payment without Razorpay's keys is a parent's money, a failed
// rotation can lock the functions out of the database, and storage,
// memory and CPU near their limits fill up in minutes. Those page within
// a minute or three.
var DefaultAlarms = map[string]AlarmSetting{
	"coldStartMs":            {Threshold: float64(plan.ColdStart / time.Millisecond), EvaluationPeriods: plan.ColdStartPeriods, PeriodSeconds: planPeriod},   // average init, above
	"databaseQueryP95Ms":     {Threshold: float64(plan.DatabaseP95 / time.Millisecond), EvaluationPeriods: plan.SustainedPeriods, PeriodSeconds: planPeriod}, // above
	"apiLatencyP95Ms":        {Threshold: float64(plan.APIP95 / time.Millisecond), EvaluationPeriods: plan.SustainedPeriods, PeriodSeconds: planPeriod},      // above
	"cacheHitRatePercent":    {Threshold: plan.CacheHitRatePercent, EvaluationPeriods: plan.SustainedPeriods, PeriodSeconds: planPeriod},                     // below
	"errorRatePercent":       {Threshold: plan.ErrorRatePercent, EvaluationPeriods: 3},                                                                       // 5XX share of API requests, above
	"api5xxCount":            {Threshold: 5, EvaluationPeriods: 1},                                                                                           // at or above
	"functionThrottles":      {Threshold: 1, EvaluationPeriods: 1},                                                                                           // at or above, all functions
	"spilloverInvocations":   {Threshold: 10, EvaluationPeriods: 3},                                                                                          // at or above, past provisioned concurrency
	"databaseCpuPercent":     {Threshold: 80, EvaluationPeriods: 3},                                                                                          // above
	"databaseFreeStorageGiB": {Threshold: 5, EvaluationPeriods: 1},                                                                                           // below
	"cacheMemoryPercent":     {Threshold: 80, EvaluationPeriods: 3},                                                                                          // above, fullest node
	"cacheEvictionsCount":    {Threshold: 100, EvaluationPeriods: 3},                                                                                         // at or above, all nodes
	"refundDueCount":         {Threshold: 1, EvaluationPeriods: 1},                                                                                           // at or above: a captured payment owed back
	"secretFailuresCount":    {Threshold: 1, EvaluationPeriods: 1},                                                                                           // at or above: payment requests without Razorpay's keys
	"rotationErrorsCount":    {Threshold: 1, EvaluationPeriods: 1},                                                                                           // at or above: a failed rotation of the master password
	"edge5xxRatePercent":     {Threshold: plan.ErrorRatePercent, EvaluationPeriods: 3},                                                                       // 5XX share of the distribution's requests, above
	"wafBlockedRequests":     {Threshold: 300, EvaluationPeriods: 2},                                                                                         // at or above: requests the web ACL blocked per period
	// Security (issue 18): refused credentials.
	"unauthorizedRatePercent":       {Threshold: 10, EvaluationPeriods: 3}, // share of API requests answered 401 by the functions, above
	"webhookSignatureFailuresCount": {Threshold: 3, EvaluationPeriods: 1},  // at or above: webhook deliveries without a valid signature
}

// planPeriod is the plan's alarm period in seconds.
const planPeriod = int(plan.AlarmPeriod / time.Second)

// MaxAlarmWindowSeconds is the longest an alarm may look back,
// evaluationPeriods × its period: CloudWatch's limit of one day.
const MaxAlarmWindowSeconds = 24 * 60 * 60

// Alarm returns an alarm's setting: the default with the stage's
// overrides, its period always set (the stage's where neither the default
// nor the stage gives the alarm one).
func (m Monitoring) Alarm(name string) AlarmSetting {
	a, ok := DefaultAlarms[name]
	if !ok {
		panic("config: no alarm named " + name)
	}
	o := m.Alarms[name]
	if o.Threshold != 0 {
		a.Threshold = o.Threshold
	}
	if o.EvaluationPeriods != 0 {
		a.EvaluationPeriods = o.EvaluationPeriods
	}
	if o.PeriodSeconds != 0 {
		a.PeriodSeconds = o.PeriodSeconds
	}
	if a.PeriodSeconds == 0 {
		a.PeriodSeconds = m.PeriodSeconds
	}
	return a
}
