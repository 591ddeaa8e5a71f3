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
	w("- Traffic: every request reaches API Gateway and invokes a function (hits in CloudFront's and the gateway's caches are not subtracted, so those lines err high). A function with provisioned concurrency runs its invocations on it (spill-over is alarmed), the others run on demand. Duration is billed in whole milliseconds: `invokeMs` for a function that waits rather than computes, whatever its memory; sign-in's `loginCpuMs` of one vCPU, stretched by its share of a vCPU below %s MB.", num(oneVCPUMiB))
	w("- Usage profile **%s**; change a value with `-set key=value`:", r.Usage.Profile)
	w("")
	w("| assumption | value | unit | what it is |")
	w("|---|---:|---|---|")
	for _, a := range assumptions {
		w("| `%s` | %s | %s | %s |", a.key, num(*a.field(&r.Usage)), a.unit, a.doc)
	}
	w("")
	if len(r.Traffic) > 0 {
		w("Traffic: each routed function's share of `requestsMillions` (`RequestShares`, the benchmark's normal mix) and what it bills:")
		w("")
		w("| function | share | invocations | memory | billed per invocation | GB-seconds | runs on |")
		w("|---|---:|---:|---:|---:|---:|---|")
		for _, i := range r.Traffic {
			on := "demand"
			if i.Provisioned {
				on = "provisioned concurrency"
			}
			w("| %s | %s %% | %s million | %s MB | %s ms | %s | %s |", i.Function, num(i.SharePercent), num(i.Millions), num(float64(i.MemoryMiB)), num(i.BilledMs), num(math.Round(i.GBSeconds)), on)
		}
		w("")
	}
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
	w("- Traffic beyond the usage profile's: spill-over invocations past provisioned concurrency (billed on demand), the migrate function's runs on deploys and the pre-traffic checks, data transfer between zones (to the database, cache and NAT gateway in other zones), CloudFront's data transfer to the origin (request bodies), Razorpay's and the AWS APIs' answers through the NAT gateway beyond `natGB`.")
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

// Summary renders the line items and their total, then the plan's cost
// table beside them, line by line; the README shows prod's.
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
	w("Line by line beside the performance plan's cost table, after its work (it prices production; for other stages a comparison of scale only). † The plan's own figure is not quoted here: its shape (every function at %d MB, provisioned concurrency on its %d functions only, a regional API) priced with this table and usage.", PlanMemoryMiB, len(PlanFloors))
	w("")
	w("| line | plan | this estimate, %s | difference | why |", r.Stage)
	w("|---|---:|---:|---:|---|")
	for _, l := range r.Plan {
		plan := usd(l.Plan)
		if !l.Quoted {
			plan += " †"
		}
		item, ours := l.Item, usd(l.Ours)
		if l.Item == "Total" {
			item, plan, ours = "**total**", "**"+plan+"**", "**"+ours+"**"
		}
		diff := signedUSD(l.Ours - l.Plan)
		if l.Plan > 0 {
			if pct := math.Round(100 * (l.Ours - l.Plan) / l.Plan); pct != 0 {
				diff += fmt.Sprintf(" (%+.0f %%)", pct)
			} else {
				diff += " (0 %)"
			}
		}
		w("| %s | %s | %s | %s | %s |", item, plan, ours, diff, l.Why)
	}
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
