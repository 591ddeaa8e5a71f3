package cost

import (
	"math"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/routes"
)

// oneVCPUMiB is the memory at which Lambda gives a function the
// equivalent of one vCPU; below it a function gets that share of one
// ("Configure Lambda function memory", AWS Lambda Developer Guide).
const oneVCPUMiB = 1769

// The items the plan comparison reads.
const (
	itemLambdaRequests     = "Lambda requests"
	itemProvisionedRunning = "Lambda duration on provisioned concurrency"
	itemOnDemandRunning    = "Lambda duration on demand"
	itemDataOut            = "Data transfer out to the internet"
	itemEdgeDataOut        = "CloudFront data transfer out"
)

// Invocation is what one routed function's share of the API's requests
// bills in a month.
type Invocation struct {
	Function string
	// SharePercent is its share of the requests (RequestShares).
	SharePercent float64
	// Millions is how many times it is invoked, in millions.
	Millions  float64
	MemoryMiB int
	// BilledMs is one invocation's billed duration, whole milliseconds.
	BilledMs float64
	// GBSeconds is Millions × BilledMs × MemoryMiB, in GB-seconds.
	GBSeconds float64
	// Provisioned says that it runs on provisioned concurrency, billed
	// at its duration price, rather than on demand.
	Provisioned bool
}

// invocations splits the requests of u among the routed functions by
// RequestShares, each at the memory memoryOf gives it, on provisioned
// concurrency where provisioned says.
func invocations(u Usage, memoryOf func(string) int, provisioned func(string) bool) []Invocation {
	var out []Invocation
	for _, name := range routes.Functions() {
		share := RequestShares[name]
		if share == 0 {
			continue
		}
		mem := memoryOf(name)
		ms := u.InvokeMs
		if name == cpuBound {
			ms = u.LoginCPUMs * max(1, oneVCPUMiB/float64(mem))
		}
		ms = math.Ceil(ms)
		millions := u.RequestsMillions * share / 100
		out = append(out, Invocation{
			Function: name, SharePercent: share, Millions: millions, MemoryMiB: mem, BilledMs: ms,
			GBSeconds: millions * 1e6 * ms / 1000 * float64(mem) / 1024, Provisioned: provisioned(name),
		})
	}
	return out
}

// lambdaCost is what invocations bill at prices p: requests, and duration
// on provisioned concurrency and on demand in GB-seconds.
func lambdaCost(p Prices, requestsMillions float64, inv []Invocation) (usd, provisionedGBs, onDemandGBs float64) {
	for _, i := range inv {
		if i.Provisioned {
			provisionedGBs += i.GBSeconds
		} else {
			onDemandGBs += i.GBSeconds
		}
	}
	return requestsMillions*p.LambdaRequests.USD + provisionedGBs*p.ProvisionedDuration.USD + onDemandGBs*p.LambdaDuration.USD,
		provisionedGBs, onDemandGBs
}

// traffic prices what the usage profile's requests drive: the functions'
// invocations and duration, the REST API's requests and, where no
// CloudFront sends the answers, data transfer out of the region. Every
// request reaches API Gateway and a function: hits in CloudFront's and
// the gateway's caches are not subtracted, so these lines err high.
func traffic(r *Report, s *config.Stage) error {
	u := r.Usage
	if u.RequestsMillions > 0 {
		f := s.Functions
		r.Traffic = invocations(u, func(name string) int { return f.Of(name).MemoryMiB },
			func(name string) bool { return f.Of(name).ProvisionedConcurrency > 0 })
		_, onPC, onDemand := lambdaCost(r.Prices, u.RequestsMillions, r.Traffic)
		requests := num(u.RequestsMillions) + " million (requestsMillions)"
		r.add(itemLambdaRequests, requests+", one invocation each", u.RequestsMillions, r.Prices.LambdaRequests)
		if onPC > 0 {
			r.add(itemProvisionedRunning, num(math.Round(onPC))+" GB-s (functions with provisioned concurrency; see Traffic)", onPC, r.Prices.ProvisionedDuration)
		}
		if onDemand > 0 {
			r.add(itemOnDemandRunning, num(math.Round(onDemand))+" GB-s (functions without; see Traffic)", onDemand, r.Prices.LambdaDuration)
		}
		r.add("API Gateway requests (REST API)", requests, u.RequestsMillions, r.Prices.APIRequests)
		r.Lines[len(r.Lines)-1].part = partAPI
	}
	if !s.Edge.Enabled && u.DataOutGB > 0 {
		r.add(itemDataOut, num(u.DataOutGB)+" GB (dataOutGB)", u.DataOutGB, r.Prices.DataOut)
		r.Lines[len(r.Lines)-1].part = partDataOut
	}
	return nil
}
