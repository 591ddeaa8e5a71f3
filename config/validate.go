package config

import (
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // time zones resolve on machines without a zoneinfo database

	"github.com/hasivu/infra/lambda/routes"
)

// validator checks a loaded Stage and keeps the first problem it finds,
// located at the file and line that set the offending key.
type validator struct {
	origins map[string]origin
	file    string // the stage's own file, for keys no file set
	err     error
}

func (v *validator) failf(key, format string, args ...any) {
	if v.err != nil {
		return
	}
	where := v.file
	if o, ok := v.origins[key]; ok {
		where = o.String()
	}
	v.err = fmt.Errorf("%s: %s %s", where, key, fmt.Sprintf(format, args...))
}

func (v *validator) between(key string, got, lo, hi int) {
	if got < lo || got > hi {
		v.failf(key, "must be between %d and %d, got %d", lo, hi, got)
	}
}

func (v *validator) oneOf(key, got string, allowed []string) {
	if !slices.Contains(allowed, got) {
		v.failf(key, "must be one of %s, got %q", strings.Join(allowed, ", "), got)
	}
}

func (v *validator) matches(key, got string, re *regexp.Regexp, want string) {
	if !re.MatchString(got) {
		v.failf(key, "must be %s, got %q", want, got)
	}
}

var (
	accountID         = regexp.MustCompile(`^\d{12}$`)
	regionName        = regexp.MustCompile(`^[a-z]{2}(-gov)?-[a-z]+-\d$`)
	dailyWindow       = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$`)
	weeklyWindow      = regexp.MustCompile(`^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$`)
	postgresVersion   = regexp.MustCompile(`^(1[4-8])\.\d{1,2}$`)
	cacheVersion      = regexp.MustCompile(`^\d\.\d$`)
	sqlIdentifier     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	parameterName     = regexp.MustCompile(`^[a-z][a-z0-9_.]*$`)
	logRetentionDays  = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
	removalPolicies   = []string{"retain", "snapshot", "destroy"}
	monitoringSeconds = []int{0, 1, 5, 10, 15, 30, 60}
	reservedUsernames = []string{"postgres", "admin", "rdsadmin", "root"}
	// databaseLogExports are the PostgreSQL logs RDS can export.
	databaseLogExports = []string{"postgresql", "upgrade", "iam-db-auth-error"}
	// cacheMajors are the major versions each cache engine offers.
	cacheMajors       = map[string][]string{"redis": {"6", "7"}, "valkey": {"7", "8"}}
	maxmemoryPolicies = []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "noeviction"}
)

// UsageProfiles are the traffic profiles usageProfile may name, from a
// developer stage with little traffic to production at the plan's load.
var UsageProfiles = []string{"small", "medium", "large"}

// InterfaceEndpointServices are the services network.interfaceEndpoints
// may name.
var InterfaceEndpointServices = []string{"secretsmanager", "ssm", "kms", "logs", "monitoring", "xray", "sts", "lambda"}

func (v *validator) stage(s *Stage) {
	v.matches("account", s.Account, accountID, "a 12-digit AWS account ID")
	v.matches("region", s.Region, regionName, "an AWS region name such as ap-south-1")
	v.between("availabilityZones (count)", len(s.AvailabilityZones), 2, 6)
	for i, az := range s.AvailabilityZones {
		if !strings.HasPrefix(az, s.Region) || len(az) != len(s.Region)+1 {
			v.failf("availabilityZones", "entry %d must be a zone of %s such as %sa, got %q", i+1, s.Region, s.Region, az)
		}
		if slices.Index(s.AvailabilityZones, az) != i {
			v.failf("availabilityZones", "lists %q twice", az)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Tags)) {
		val := s.Tags[k]
		if k == "" || len(k) > 128 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			v.failf("tags", "key %q must be 1 to 128 characters and not start with aws:", k)
		}
		if len(val) > 256 {
			v.failf("tags."+k, "must be at most 256 characters, got %d", len(val))
		}
	}
	v.oneOf("usageProfile", s.UsageProfile, UsageProfiles)
	v.network(&s.Network, len(s.AvailabilityZones))
	v.database(&s.Database)
	v.cache(&s.Cache)
	v.functions(&s.Functions)
	v.concurrency(s)
	v.api(&s.API)
	v.monitoring(&s.Monitoring)
}

func (v *validator) network(n *Network, azs int) {
	p, err := netip.ParsePrefix(n.CIDR)
	switch {
	case err != nil || !p.Addr().Is4() || p.Masked() != p:
		v.failf("network.cidr", "must be an IPv4 network such as 10.20.0.0/16, got %q", n.CIDR)
	case p.Bits() < 16 || p.Bits() > 18:
		v.failf("network.cidr", "must be a /16 to /18 network, got /%d", p.Bits())
	}
	v.between("network.natGateways", n.NATGateways, 0, azs)
	for _, e := range n.InterfaceEndpoints {
		v.oneOf("network.interfaceEndpoints", e, InterfaceEndpointServices)
	}
	if n.NATGateways == 0 && !slices.Contains(n.InterfaceEndpoints, "secretsmanager") {
		v.failf("network.interfaceEndpoints", "must include secretsmanager when natGateways is 0: functions and credential rotation read Secrets Manager")
	}
	v.retention("network.flowLogs.retentionDays", n.FlowLogs.RetentionDays)
	v.oneOf("network.flowLogs.trafficType", n.FlowLogs.TrafficType, []string{"ALL", "ACCEPT", "REJECT"})
}

func (v *validator) retention(key string, days int) {
	if !slices.Contains(logRetentionDays, days) {
		v.failf(key, "must be a CloudWatch Logs retention (%s), got %d", joinInts(logRetentionDays), days)
	}
}

func (v *validator) database(d *Database) {
	v.matches("database.engineVersion", d.EngineVersion, postgresVersion, `a PostgreSQL version "major.minor" with major 14 to 18, such as "16.8"`)
	if !validInstanceClass(d.InstanceClass) {
		v.failf("database.instanceClass", "must be an RDS for PostgreSQL instance class such as db.t4g.micro or db.r7g.large, got %q", d.InstanceClass)
	}
	v.between("database.port", d.Port, 1150, 65535)
	v.matches("database.name", d.Name, sqlIdentifier, "a lower-case SQL identifier")
	v.matches("database.username", d.Username, sqlIdentifier, "a lower-case SQL identifier")
	if slices.Contains(reservedUsernames, d.Username) {
		v.failf("database.username", "must not be a reserved name, got %q", d.Username)
	}
	v.between("database.allocatedStorageGiB", d.AllocatedStorageGiB, 20, 65536)
	if min := d.AllocatedStorageGiB + (d.AllocatedStorageGiB+9)/10; d.MaxAllocatedStorageGiB < min || d.MaxAllocatedStorageGiB > 65536 {
		v.failf("database.maxAllocatedStorageGiB", "must be at least 10%% above allocatedStorageGiB (%d) and at most 65536, got %d", min, d.MaxAllocatedStorageGiB)
	}
	v.between("database.backupRetentionDays", d.BackupRetentionDays, 0, 35)
	v.matches("database.backupWindow", d.BackupWindow, dailyWindow, `a UTC window "hh:mm-hh:mm"`)
	v.matches("database.maintenanceWindow", d.MaintenanceWindow, weeklyWindow, `a UTC window "ddd:hh:mm-ddd:hh:mm"`)
	v.oneOf("database.removalPolicy", d.RemovalPolicy, removalPolicies)
	if r := d.PerformanceInsightsRetentionDays; r != 7 && (r%31 != 0 || r < 31 || r > 731) {
		v.failf("database.performanceInsightsRetentionDays", "must be 7 or a multiple of 31 up to 731, got %d", r)
	}
	if !slices.Contains(monitoringSeconds, d.MonitoringIntervalSeconds) {
		v.failf("database.monitoringIntervalSeconds", "must be one of %s, got %d", joinInts(monitoringSeconds), d.MonitoringIntervalSeconds)
	}
	for _, e := range d.LogExports {
		v.oneOf("database.logExports", e, databaseLogExports)
	}
	v.retention("database.logRetentionDays", d.LogRetentionDays)
	v.between("database.rotationDays", d.RotationDays, 1, 1000)
	for k := range d.Parameters {
		if !parameterName.MatchString(k) {
			v.failf("database.parameters", "key %q is not a PostgreSQL parameter name", k)
		}
	}
	p := d.Proxy
	v.between("database.proxy.maxConnectionsPercent", p.MaxConnectionsPercent, 1, 100)
	v.between("database.proxy.maxIdleConnectionsPercent", p.MaxIdleConnectionsPercent, 0, p.MaxConnectionsPercent)
	v.between("database.proxy.borrowTimeoutSeconds", p.BorrowTimeoutSeconds, 1, 3600)
	v.between("database.proxy.idleClientTimeoutSeconds", p.IdleClientTimeoutSeconds, 1, 28800)
}

func (v *validator) cache(c *Cache) {
	v.oneOf("cache.engine", c.Engine, slices.Sorted(maps.Keys(cacheMajors)))
	majors := cacheMajors[c.Engine]
	if major, _, _ := strings.Cut(c.EngineVersion, "."); !cacheVersion.MatchString(c.EngineVersion) || !slices.Contains(majors, major) {
		v.failf("cache.engineVersion", "must be \"major.minor\" with a major version %s offers (%s), got %q", c.Engine, strings.Join(majors, ", "), c.EngineVersion)
	}
	if !validNodeType(c.NodeType) {
		v.failf("cache.nodeType", "must be an ElastiCache node type such as cache.t4g.micro or cache.r7g.large, got %q", c.NodeType)
	}
	v.between("cache.replicas", c.Replicas, 0, 5)
	if c.MultiAZ && c.Replicas == 0 {
		v.failf("cache.multiAz", "needs at least one replica (cache.replicas is 0)")
	}
	v.between("cache.port", c.Port, 1024, 65535)
	v.between("cache.snapshotRetentionDays", c.SnapshotRetentionDays, 0, 35)
	v.matches("cache.snapshotWindow", c.SnapshotWindow, dailyWindow, `a UTC window "hh:mm-hh:mm"`)
	v.matches("cache.maintenanceWindow", c.MaintenanceWindow, weeklyWindow, `a UTC window "ddd:hh:mm-ddd:hh:mm"`)
	v.oneOf("cache.maxmemoryPolicy", c.MaxmemoryPolicy, maxmemoryPolicies)
	v.oneOf("cache.removalPolicy", c.RemovalPolicy, removalPolicies)
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ", ")
}

var (
	cronDays   = regexp.MustCompile(`^(\*|(MON|TUE|WED|THU|FRI|SAT|SUN)([-,](MON|TUE|WED|THU|FRI|SAT|SUN))*)$`)
	clockTime  = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)
	apiStage   = regexp.MustCompile(`^[A-Za-z0-9_]{1,128}$`)
	webOrigin  = regexp.MustCompile(`^(https://[a-z0-9.-]+(:\d+)?|http://localhost(:\d+)?)$`)
	secretName = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]{1,512}$`)
	cacheSizes = []float64{0, 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237}
)

func (v *validator) functions(f *Functions) {
	v.between("functions.memoryMiB", f.MemoryMiB, 128, 10240)
	v.between("functions.timeoutSeconds", f.TimeoutSeconds, 1, 900)
	v.retention("functions.logRetentionDays", f.LogRetentionDays)
	if _, err := time.LoadLocation(f.TimeZone); err != nil || f.TimeZone == "" || f.TimeZone == "Local" {
		v.failf("functions.timeZone", "must be an IANA time zone such as Asia/Kolkata, got %q", f.TimeZone)
	}
	v.between("functions.utilizationTarget", f.UtilizationTarget, 10, 90)
	for _, name := range slices.Sorted(maps.Keys(f.Peaks)) {
		w, key := f.Peaks[name], "functions.peaks."+name
		v.matches(key+".days", w.Days, cronDays, `cron days such as "MON-SAT" or "*"`)
		v.matches(key+".from", w.From, clockTime, `a time "hh:mm"`)
		v.matches(key+".to", w.To, clockTime, `a time "hh:mm"`)
		if w.From >= w.To {
			v.failf(key+".to", "must be later than from (%s), got %q", w.From, w.To)
		}
	}
	r := f.Rollout
	v.oneOf("functions.rollout.strategy", r.Strategy, RolloutStrategies)
	v.between("functions.rollout.percent", r.Percent, 1, 99)
	// CodeDeploy's longest step.
	v.between("functions.rollout.minutes", r.Minutes, 1, 2880)
	v.between("functions.rollout.durationP95Ms", r.DurationP95Ms, 1, 900_000)
	if r.Api5xxPercent <= 0 || r.Api5xxPercent > 100 {
		v.failf("functions.rollout.api5xxPercent", "must be a percentage above 0 and at most 100, got %v", r.Api5xxPercent)
	}
	routed := routes.Functions()
	for _, name := range slices.Sorted(maps.Keys(f.Each)) {
		fn, key := f.Each[name], "functions.each."+name
		if !slices.Contains(routes.Deployed(), name) {
			v.failf(key, "names no function; functions are %s", strings.Join(routes.Deployed(), ", "))
			continue
		}
		if fn.MemoryMiB != 0 {
			v.between(key+".memoryMiB", fn.MemoryMiB, 128, 10240)
		}
		maxTimeout := 900
		if slices.Contains(routed, name) {
			maxTimeout = 29 // API Gateway's integration timeout
		}
		if fn.TimeoutSeconds != 0 {
			v.between(key+".timeoutSeconds", fn.TimeoutSeconds, 1, maxTimeout)
		}
		v.between(key+".reservedConcurrency", fn.ReservedConcurrency, 0, 1000)
		v.between(key+".provisionedConcurrency", fn.ProvisionedConcurrency, 0, 1000)
		v.between(key+".maxProvisionedConcurrency", fn.MaxProvisionedConcurrency, 0, 1000)
		if fn.ReservedConcurrency > 0 && fn.ProvisionedConcurrency > fn.ReservedConcurrency {
			v.failf(key+".provisionedConcurrency", "must not exceed reservedConcurrency (%d), got %d", fn.ReservedConcurrency, fn.ProvisionedConcurrency)
		}
		if fn.MaxProvisionedConcurrency != 0 && fn.MaxProvisionedConcurrency < fn.ProvisionedConcurrency {
			v.failf(key+".maxProvisionedConcurrency", "must be at least provisionedConcurrency (%d), got %d", fn.ProvisionedConcurrency, fn.MaxProvisionedConcurrency)
		}
		if fn.ProvisionedConcurrency > 0 && !slices.Contains(routed, name) {
			v.failf(key+".provisionedConcurrency", "must be 0: %s is invoked once per deploy, got %d", name, fn.ProvisionedConcurrency)
		}
		ceiling := max(fn.MaxProvisionedConcurrency, fn.ProvisionedConcurrency)
		for _, peak := range slices.Sorted(maps.Keys(fn.Peaks)) {
			n := fn.Peaks[peak]
			if _, ok := f.Peaks[peak]; !ok {
				v.failf(key+".peaks."+peak, "names no window of functions.peaks")
			}
			// Scheduled scaling never goes below the alias's own
			// provisioned concurrency: a deploy while scaled under it
			// fails (aws-cdk issue 29992).
			if fn.ProvisionedConcurrency == 0 {
				v.failf(key+".peaks."+peak, "needs provisionedConcurrency of at least 1 outside the peak")
			}
			v.between(key+".peaks."+peak, n, fn.ProvisionedConcurrency, ceiling)
		}
	}
}

// concurrency checks that what the functions reserve and provision fits
// the account's Lambda quota with Lambda's minimum unreserved pool left.
func (v *validator) concurrency(s *Stage) {
	limit := s.LambdaConcurrencyLimit
	v.between("lambdaConcurrencyLimit", limit, 10, 1_000_000)
	per, total := s.Functions.ConcurrencyDemand(routes.Deployed())
	if free := limit - MinUnreservedConcurrency; total > free {
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(per)) {
			parts = append(parts, fmt.Sprintf("%s %d", name, per[name]))
		}
		v.failf("lambdaConcurrencyLimit", "is %d: the functions reserve or provision up to %d concurrent executions (%s), "+
			"but Lambda keeps %d of the quota unreserved, leaving %d; raise the account's quota (Service Quotas, "+
			"\"Concurrent executions\") and this value, or lower the reservations",
			limit, total, strings.Join(parts, ", "), MinUnreservedConcurrency, max(free, 0))
	}
}

func (v *validator) api(a *API) {
	v.matches("api.stageName", a.StageName, apiStage, "letters, digits and underscores")
	if !slices.Contains(cacheSizes, a.CacheSizeGiB) {
		v.failf("api.cacheSizeGiB", "must be 0 (off) or a size API Gateway offers (0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237), got %v", a.CacheSizeGiB)
	}
	v.throttle("api.throttle", a.Throttle)
	for _, key := range slices.Sorted(maps.Keys(a.RouteThrottles)) {
		method, path, _ := strings.Cut(key, " ")
		if !slices.ContainsFunc(routes.Table, func(r routes.Route) bool { return r.Method == method && r.Path == path }) {
			v.failf("api.routeThrottles", "key %q names no route (\"METHOD /path\" from lambda/routes)", key)
		}
		v.throttle("api.routeThrottles."+key, a.RouteThrottles[key])
	}
	if len(a.CorsOrigins) == 0 {
		v.failf("api.corsOrigins", "must list at least one web origin")
	}
	for _, o := range a.CorsOrigins {
		v.matches("api.corsOrigins", o, webOrigin, "an https:// origin (or http://localhost) without a path")
	}
	v.retention("api.accessLogRetentionDays", a.AccessLogRetentionDays)
	if a.RazorpaySecretName != "" {
		v.matches("api.razorpaySecretName", a.RazorpaySecretName, secretName, "a Secrets Manager secret name")
	}
	if u, err := url.Parse(a.RazorpayBaseURL); err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		v.failf("api.razorpayBaseUrl", "must be an https:// URL with no path, got %q", a.RazorpayBaseURL)
	}
}

func (v *validator) throttle(key string, t Throttle) {
	v.between(key+".rateLimit", t.RateLimit, 1, 10000)
	v.between(key+".burstLimit", t.BurstLimit, 1, 5000)
}

var email = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[a-z]{2,}$`)

func (v *validator) monitoring(m *Monitoring) {
	if len(m.AlarmEmails) == 0 {
		v.failf("monitoring.alarmEmails", "must list at least one address")
	}
	for _, e := range m.AlarmEmails {
		v.matches("monitoring.alarmEmails", e, email, "an email address")
	}
	for _, h := range m.AlarmWebhooks {
		if u, err := url.Parse(h); err != nil || u.Scheme != "https" || u.Host == "" {
			v.failf("monitoring.alarmWebhooks", "must be https:// URLs, got %q", h)
		}
	}
	if m.PeriodSeconds < 60 || m.PeriodSeconds%60 != 0 || m.PeriodSeconds > 3600 {
		v.failf("monitoring.periodSeconds", "must be a multiple of 60 up to 3600, got %d", m.PeriodSeconds)
	}
	for _, name := range slices.Sorted(maps.Keys(m.Alarms)) {
		a, key := m.Alarms[name], "monitoring.alarms."+name
		if _, ok := DefaultAlarms[name]; !ok {
			v.failf(key, "names no alarm; alarms are %s", strings.Join(slices.Sorted(maps.Keys(DefaultAlarms)), ", "))
			continue
		}
		switch {
		case strings.HasSuffix(name, "Percent") && (a.Threshold < 0 || a.Threshold > 100):
			v.failf(key+".threshold", "must be a percentage between 0 and 100, got %v", a.Threshold)
		case a.Threshold < 0:
			v.failf(key+".threshold", "must not be negative, got %v", a.Threshold)
		}
		v.between(key+".evaluationPeriods", a.EvaluationPeriods, 0, 100)
	}
}
