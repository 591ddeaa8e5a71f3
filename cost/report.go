package cost

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Markdown renders the estimate: the Summary, then every assumption and
// price behind it.
func (r Report) Markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	w("# Monthly cost estimate: %s (%s)", r.Stage, r.Prices.Region)
	w("")
	b.WriteString(r.Summary())
	w("")
	w("## Assumptions")
	w("")
	w("- Provisioned concurrency: the floor all month; during each peak window the peak's value instead. A window lasts its days a week × its hours × %s weeks a month (%d h / 168 h); windows are in %s and daylight-saving shifts are ignored. Auto scaling above the floor or peak follows load and is not counted.", num(weeksPerMonth), hoursPerMonth, r.TimeZone)
	w("- Multi-AZ bills the standby as a second instance and its storage twice. RDS Proxy bills the primary's vCPUs, at least %d. Storage is the allocated size, not the autoscaling ceiling.", minProxyVCPUs)
	w("- Cache nodes are one primary plus the replicas, each billed every hour.")
	w("- Alarms are counted as the monitoring and edge stacks create them; an alarm over metric math is billed for every metric in it.")
	w("- Where the edge is on, every API request goes through CloudFront and, where WAF is on, through the web ACL; CloudFront's origin fetches from API Gateway are free.")
	w("- Usage profile **%s**; change a value with `-set key=value`:", r.Usage.Profile)
	w("")
	w("| assumption | value | unit | what it is |")
	w("|---|---:|---|---|")
	for _, a := range assumptions {
		w("| `%s` | %s | %s | %s |", a.key, num(*a.field(&r.Usage)), a.unit, a.doc)
	}
	w("")
	w("Log sources, with storage at full retention and uncompressed (CloudWatch bills compressed bytes, so this errs high):")
	w("")
	w("| log source | GB a month | kept (days) | GB stored |")
	w("|---|---:|---:|---:|")
	for _, l := range r.Logs {
		w("| %s | %s | %d | %s |", l.Name, num(l.GBPerMonth), l.RetentionDays, num(l.GBPerMonth*float64(l.RetentionDays)/daysPerMonth))
	}
	w("")

	w("## Not in this estimate")
	w("")
	w("- Traffic: Lambda requests and duration (on provisioned concurrency, %s), spill-over invocations, API Gateway requests, data transfer out of the region and between zones (CloudFront's, where the edge is on, is in the table), CloudFront's data transfer to the origin (request bodies).", unitPrice(r.Prices.ProvisionedDuration))
	w("- RDS backup storage beyond the free allowance (the size of the provisioned storage), ElastiCache snapshot storage, storage autoscaling.")
	w("- Secrets Manager secrets, the alarm topic's KMS key, SNS deliveries, X-Ray traces, Logs Insights queries (the S3 gateway endpoint is free).")
	w("")

	w("## Prices")
	w("")
	w("Table for %s, compiled %s (cost/prices.go).", r.Prices.Region, r.Prices.Compiled)
	w("")
	w("| price | USD | unit | source | checked |")
	w("|---|---:|---|---|---|")
	seen := map[Price]bool{}
	for _, l := range r.Lines {
		if p := l.Price; !seen[p] {
			seen[p] = true
			w("| %s | %s | %s | %s | %s |", p.Name, strconv.FormatFloat(p.USD, 'f', -1, 64), p.Unit, p.Source, p.Checked)
		}
	}
	return b.String()
}

// Summary renders the line items and their total, then the total beside
// the plan's cost table; the README shows prod's.
func (r Report) Summary() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }

	w("On-demand list prices in %s, no free tier, no savings plans. A month is %d hours.", r.Prices.Region, hoursPerMonth)
	w("")
	w("| item | quantity | unit price | per month |")
	w("|---|---|---:|---:|")
	for _, l := range r.Lines {
		w("| %s | %s | %s | %s |", l.Item, l.Quantity, unitPrice(l.Price), usd(l.USD))
	}
	w("| **total** | | | **%s** |", usd(r.Total))
	w("")
	w("Beside the plan's cost table (which prices production; for other stages a comparison of scale only):")
	w("")
	w("| | per month |")
	w("|---|---:|")
	w("| plan, today | %s |", usd(PlanToday))
	w("| plan, after its performance work | %s |", usd(PlanAfter))
	w("| this estimate, %s | %s |", r.Stage, usd(r.Total))
	w("| difference from the plan after its work | %s (%+.0f %%) |", signedUSD(r.Total-PlanAfter), 100*(r.Total-PlanAfter)/PlanAfter)
	return b.String()
}

func unitPrice(p Price) string {
	return "$" + strconv.FormatFloat(p.USD, 'f', -1, 64) + " / " + p.Unit
}

// usd formats dollars and cents with thousands separators: "$1,234.56".
func usd(x float64) string {
	return "$" + group(strconv.FormatFloat(math.Abs(x), 'f', 2, 64), x < 0)
}

func signedUSD(x float64) string {
	if x >= 0 {
		return "+" + usd(x)
	}
	return "-" + usd(-x)
}

// num formats a quantity: at most two decimals, no trailing zeros,
// thousands separators.
func num(x float64) string {
	s := strconv.FormatFloat(round(math.Abs(x), 2), 'f', -1, 64)
	return group(s, x < 0)
}

// group puts thousands separators into a non-negative decimal string.
func group(s string, negative bool) string {
	whole, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if negative {
		b.WriteString("-")
	}
	for i, c := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if hasFrac {
		b.WriteString("." + frac)
	}
	return b.String()
}

// plural is "1 node", "3 nodes".
func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func round(x float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(x*p) / p
}

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K { return slices.Sorted(maps.Keys(m)) }
