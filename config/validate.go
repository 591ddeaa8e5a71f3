package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hasivu/infra/lambda/routes"
)

// validator checks a loaded Stage and keeps the first problem it finds,
// located at the file and line that set the offending key.
type validator struct {
	origins map[string]origin
	file    string // the stage's own file, for keys no file set
	err     error
}

// where is where key was set or, for a key no file set, the closest key
// above it; failing both, the stage's own file.
func (v *validator) where(key string) origin {
	for k := key; k != ""; k, _ = splitKey(k) {
		if o, ok := v.origins[k]; ok {
			return o
		}
	}
	return origin{file: v.file}
}

func (v *validator) failf(key, format string, args ...any) {
	if v.err == nil {
		v.err = fmt.Errorf("%s: %s %s", v.where(key), key, fmt.Sprintf(format, args...))
	}
}

// stage checks s against the committed JSON Schema, which states every
// rule on one key's value, and then the rules that compare keys.
func (v *validator) stage(s *Stage) {
	v.schema(s)
	if v.err != nil {
		return // the rules below assume each key's own rule holds
	}
	for i, az := range s.AvailabilityZones {
		if !strings.HasPrefix(az, s.Region) || len(az) != len(s.Region)+1 {
			v.failf("availabilityZones", "entry %d must be a zone of %s such as %sa, got %q", i+1, s.Region, s.Region, az)
		}
	}
	if n, azs := s.Network.NATGateways, len(s.AvailabilityZones); n > azs {
		v.failf("network.natGateways", "must be at most one per zone (%d), got %d", azs, n)
	}
	d := s.Database
	if least := storageCeiling(d.AllocatedStorageGiB); d.MaxAllocatedStorageGiB < least {
		v.failf("database.maxAllocatedStorageGiB", "must be at least 10%% above allocatedStorageGiB (%d), got %d", least, d.MaxAllocatedStorageGiB)
	}
	if p := d.Proxy; p.MaxIdleConnectionsPercent > p.MaxConnectionsPercent {
		v.failf("database.proxy.maxIdleConnectionsPercent", "must be at most maxConnectionsPercent (%d), got %d", p.MaxConnectionsPercent, p.MaxIdleConnectionsPercent)
	}
	v.functions(&s.Functions)
	v.concurrency(s)
	for _, name := range slices.Sorted(maps.Keys(DefaultAlarms)) {
		a := s.Monitoring.Alarm(name)
		if w := a.EvaluationPeriods * a.PeriodSeconds; w > MaxAlarmWindowSeconds {
			v.failf("monitoring.alarms."+name, "must look back at most one day (evaluationPeriods × periodSeconds ≤ %d s), got %d × %d s = %d s",
				MaxAlarmWindowSeconds, a.EvaluationPeriods, a.PeriodSeconds, w)
		}
	}
	// Lambda Insights' extension sends its figures to CloudWatch Logs from
	// inside the function, and only the payment functions have a way out
	// of the VPC other than the interface endpoints.
	if s.Functions.Insights && !slices.Contains(s.Network.InterfaceEndpoints, "logs") {
		v.failf("functions.insights", "needs logs in network.interfaceEndpoints (%s): the functions reach CloudWatch Logs only through an endpoint, got true",
			strings.Join(s.Network.InterfaceEndpoints, ", "))
	}
	// A custom domain needs its certificate, and a certificate names the
	// domain it serves.
	if e := s.Edge; (e.DomainName == "") != (e.CertificateArn == "") {
		if e.DomainName == "" {
			v.failf("edge.certificateArn", "needs edge.domainName, the name the certificate is for, got %q with no domain", e.CertificateArn)
		} else {
			v.failf("edge.domainName", "needs edge.certificateArn, an ACM certificate in %s for it, got %q with no certificate", EdgeRegion, e.DomainName)
		}
	}
}

// storageCeiling is the least maxAllocatedStorageGiB for an allocation:
// storage autoscaling needs room of 10 % above it.
func storageCeiling(allocatedGiB int) int { return allocatedGiB + (allocatedGiB+9)/10 }

func (v *validator) functions(f *Functions) {
	for _, name := range slices.Sorted(maps.Keys(f.Peaks)) {
		if w := f.Peaks[name]; w.From >= w.To {
			v.failf("functions.peaks."+name+".to", "must be later than from (%s), got %q", w.From, w.To)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(f.Each)) {
		fn, key := f.Each[name], "functions.each."+name
		if fn.ReservedConcurrency > 0 && fn.ProvisionedConcurrency > fn.ReservedConcurrency {
			v.failf(key+".provisionedConcurrency", "must not exceed reservedConcurrency (%d), got %d", fn.ReservedConcurrency, fn.ProvisionedConcurrency)
		}
		if fn.MaxProvisionedConcurrency != 0 && fn.MaxProvisionedConcurrency < fn.ProvisionedConcurrency {
			v.failf(key+".maxProvisionedConcurrency", "must be at least provisionedConcurrency (%d), got %d", fn.ProvisionedConcurrency, fn.MaxProvisionedConcurrency)
		}
		ceiling := max(fn.MaxProvisionedConcurrency, fn.ProvisionedConcurrency)
		for _, peak := range slices.Sorted(maps.Keys(fn.Peaks)) {
			if _, ok := f.Peaks[peak]; !ok {
				v.failf(key+".peaks."+peak, "names no window of functions.peaks")
			}
			// Never below the floor outside the peak (see the schema's
			// rule on provisionedConcurrency).
			if n := fn.Peaks[peak]; n < fn.ProvisionedConcurrency || n > ceiling {
				v.failf(key+".peaks."+peak, "must be between %d and %d, got %d", fn.ProvisionedConcurrency, ceiling, n)
			}
		}
	}
}

// concurrency checks that what the functions reserve and provision fits
// the account's Lambda quota with Lambda's minimum unreserved pool left.
func (v *validator) concurrency(s *Stage) {
	limit := s.LambdaConcurrencyLimit
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
