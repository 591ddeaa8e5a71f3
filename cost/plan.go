package cost

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/routes"
)

// The performance plan's cost table, per month, for production, as far as
// its figures are quoted to this project. It also priced Lambda execution
// at its traffic and data transfer, with figures not quoted here: for
// those the comparison prices the plan's shape instead (its memory, its
// provisioned functions, its regional API) at this estimate's prices and
// usage.
const (
	// PlanToday is the plan's bill before its work, PlanAfter after it.
	PlanToday = 280.0
	PlanAfter = 315.0
	// PlanProvisioned is the plan's provisioned concurrency: PlanFloors
	// at PlanMemoryMiB, all month.
	PlanProvisioned = 35.0
	// PlanCache is the plan's ElastiCache.
	PlanCache = 50.0
	// PlanMemoryMiB is the memory the plan gives every function.
	PlanMemoryMiB = 512
)

// PlanFloors are the plan's provisioned-concurrency floors, held all
// month, by function: three of its five critical functions.
var PlanFloors = map[string]int{routes.AuthLogin: 2, routes.PaymentsCreateOrder: 3, routes.OrdersList: 2}

// PlanLine is a line of the plan's cost table beside this estimate's
// figure for the same thing.
type PlanLine struct {
	Item string
	// Plan is the plan's figure where Quoted; otherwise the plan's shape
	// priced here.
	Plan   float64
	Quoted bool
	Ours   float64
	// Why says where the difference comes from.
	Why string
}

// comparePlan sets the report's lines beside the plan's: provisioned
// concurrency, the cache, Lambda execution at the usage profile's
// traffic, data transfer out, and the total.
func comparePlan(r *Report, s *config.Stage) ([]PlanLine, error) {
	pc, err := comparePlanProvisioned(r, s)
	if err != nil {
		return nil, err
	}
	return []PlanLine{pc, comparePlanCache(r), comparePlanLambda(r, s), comparePlanDataOut(r, s), comparePlanTotal(r)}, nil
}

// envCost is what provisioned concurrency bills for environment-hours at
// a memory size.
func (r *Report) envCost(envHours float64, mib int) float64 {
	return envHours * float64(mib) / 1024 * 3600 * r.Prices.Provisioned.USD
}

func comparePlanProvisioned(r *Report, s *config.Stage) (PlanLine, error) {
	planEnvs, planParts := 0, []string{}
	for _, name := range sortedKeys(PlanFloors) {
		planEnvs += PlanFloors[name]
		planParts = append(planParts, fmt.Sprintf("%s %d", name, PlanFloors[name]))
	}
	var floorEnvs int
	var floors, peaks, memory float64
	var sizes []string
	for _, name := range routes.Deployed() {
		fn := s.Functions.Of(name)
		if fn.ProvisionedConcurrency == 0 {
			continue
		}
		floor, peak, err := provisionedHours(s.Functions, fn)
		if err != nil {
			return PlanLine{}, err
		}
		floorEnvs += fn.ProvisionedConcurrency
		floors += r.envCost(floor, PlanMemoryMiB)
		peaks += r.envCost(peak, PlanMemoryMiB)
		memory += r.envCost(floor+peak, fn.MemoryMiB) - r.envCost(floor+peak, PlanMemoryMiB)
		if fn.MemoryMiB != PlanMemoryMiB {
			sizes = append(sizes, fmt.Sprintf("%s %s MB", name, num(float64(fn.MemoryMiB))))
		}
	}
	memoryWhy := fmt.Sprintf("every function at %d MB", PlanMemoryMiB)
	if len(sizes) > 0 {
		memoryWhy = fmt.Sprintf("memory other than %d MB %s (%s)", PlanMemoryMiB, signedUSD(memory), strings.Join(sizes, ", "))
	}
	return PlanLine{
		Item: "Provisioned concurrency", Plan: PlanProvisioned, Quoted: true, Ours: r.sum(partProvisioned),
		Why: fmt.Sprintf("the plan's %d environments at %d MB all month (%s) cost %s at these prices; here %s at %d MB all month %s, peak windows over them %s, %s",
			planEnvs, PlanMemoryMiB, strings.Join(planParts, ", "), usd(r.envCost(float64(planEnvs*hoursPerMonth), PlanMemoryMiB)),
			plural(floorEnvs, "floor"), PlanMemoryMiB, usd(floors), usd(peaks), memoryWhy),
	}, nil
}

func comparePlanCache(r *Report) PlanLine {
	var why []string
	for _, l := range r.Lines {
		if l.part == partCache {
			why = append(why, l.Item+", "+l.Quantity)
		}
	}
	if len(why) == 0 {
		why = append(why, "no cache")
	}
	return PlanLine{Item: "ElastiCache", Plan: PlanCache, Quoted: true, Ours: r.sum(partCache), Why: strings.Join(why, "; ")}
}

func comparePlanLambda(r *Report, s *config.Stage) PlanLine {
	u := r.Usage
	plan := invocations(u, func(string) int { return PlanMemoryMiB }, func(name string) bool { return PlanFloors[name] > 0 })
	planUSD, planPC, planOnDemand := lambdaCost(r.Prices, u.RequestsMillions, plan)
	_, ourPC, ourOnDemand := lambdaCost(r.Prices, u.RequestsMillions, r.Traffic)
	why := fmt.Sprintf("%s million requests (requestsMillions) in both; here %s GB-s, %s of it on provisioned concurrency; the plan's %d MB with only its %d functions provisioned: %s GB-s, %s of it provisioned",
		num(u.RequestsMillions), num(math.Round(ourPC+ourOnDemand)), num(math.Round(ourPC)),
		PlanMemoryMiB, len(PlanFloors), num(math.Round(planPC+planOnDemand)), num(math.Round(planPC)))
	if i := slices.IndexFunc(r.Traffic, func(i Invocation) bool { return i.Function == cpuBound }); i >= 0 {
		ours, theirs := r.Traffic[i], plan[slices.IndexFunc(plan, func(i Invocation) bool { return i.Function == cpuBound })]
		why += fmt.Sprintf("; a sign-in bills %s ms at %s MB", num(ours.BilledMs), num(float64(ours.MemoryMiB)))
		if ours.MemoryMiB != theirs.MemoryMiB {
			why += fmt.Sprintf(", %s ms at %d MB", num(theirs.BilledMs), PlanMemoryMiB)
		}
	}
	return PlanLine{Item: "Lambda execution at the usage profile's traffic", Plan: planUSD, Ours: r.sum(partLambda), Why: why}
}

func comparePlanDataOut(r *Report, s *config.Stage) PlanLine {
	u := r.Usage
	why := fmt.Sprintf("%s GB of answers (dataOutGB) out of the region, as from the plan's regional API", num(u.DataOutGB))
	if s.Edge.Enabled {
		why = fmt.Sprintf("%s GB of answers (dataOutGB) through CloudFront at India's %s, its requests and the web ACL among the other lines; the plan's regional API sends them out of the region at %s",
			num(u.DataOutGB), unitPrice(r.Prices.EdgeDataOut), unitPrice(r.Prices.DataOut))
	}
	return PlanLine{Item: "Data transfer out", Plan: u.DataOutGB * r.Prices.DataOut.USD, Ours: r.sum(partDataOut), Why: why}
}

func comparePlanTotal(r *Report) PlanLine {
	var rest []string
	for _, part := range []string{partDatabase, partAPI, partNetwork, partEdge, partCloudWatch} {
		if amount := r.sum(part); amount > 0 {
			rest = append(rest, part+" "+usd(amount))
		}
	}
	return PlanLine{Item: "Total", Plan: PlanAfter, Quoted: true, Ours: r.Total,
		Why: fmt.Sprintf("the lines above and what the plan's quoted lines leave out: %s; the plan before its work: %s", strings.Join(rest, ", "), usd(PlanToday))}
}
