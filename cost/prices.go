package cost

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Price is one published on-demand unit price.
type Price struct {
	// Name says what is priced, "NAT gateway hour".
	Name string
	// USD is the amount per Unit.
	USD float64
	// Unit is what one USD amount buys: "hour", "GB-month", "GB-second".
	Unit string
	// Source is the AWS pricing page the figure belongs to.
	Source string
	// Checked says how the figure was checked when the table was compiled.
	Checked string
}

// Prices is one region's dated price table: every unit price the estimate
// multiplies, each with its source.
type Prices struct {
	Region string
	// Compiled is the date the table was put together, "2026-11-26".
	Compiled string

	// DBInstance is the Single-AZ hourly price of RDS for PostgreSQL by
	// instance class. A Multi-AZ instance (one standby) bills two
	// instances, so it costs twice this.
	DBInstance map[string]Price
	// DBVCPUs is each priced instance class's vCPU count, which RDS Proxy
	// and Database Insights bill by.
	DBVCPUs map[string]int
	// DBStorage is gp3 per GB-month, Single-AZ; Multi-AZ bills it twice.
	DBStorage Price
	// DBProxy is RDS Proxy per vCPU-hour of the instance behind it.
	DBProxy Price
	// DBInsights is what keeping Performance Insights data beyond the free
	// 7 days costs at most, per vCPU-hour: Database Insights' Advanced
	// mode's rate (see its source).
	DBInsights Price

	// CacheNode is the ElastiCache node-hour by engine ("valkey", "redis")
	// and node type.
	CacheNode map[string]map[string]Price
	// APICache is the API Gateway cache cluster hour by size in GB.
	APICache map[float64]Price

	// Provisioned is Lambda provisioned concurrency per GB-second, arm64.
	Provisioned Price
	// ProvisionedDuration is the duration price of invocations that run on
	// provisioned concurrency, arm64.
	ProvisionedDuration Price
	// LambdaDuration is the duration price of invocations on demand,
	// arm64, in the first tier (billions of GB-seconds a month).
	LambdaDuration Price
	// LambdaRequests is Lambda's price per million invocations.
	LambdaRequests Price
	// APIRequests is the REST API's price per million requests in its
	// first tier (333 million a month).
	APIRequests Price
	// DataOut is data transfer out of the region to the internet, first
	// 10 TB a month.
	DataOut Price

	NATHour, NATGB           Price
	EndpointHour, EndpointGB Price

	Dashboard      Price
	AlarmMetric    Price
	CompositeAlarm Price
	CustomMetric   Price
	LogsIngested   Price
	LogsStored     Price
	// VendedLogsIngested is CloudWatch Logs ingestion of logs AWS services
	// deliver themselves (CloudFront's standard logging v2, WAF).
	VendedLogsIngested Price

	// EdgeRequests and EdgeDataOut are CloudFront's HTTPS requests and
	// data transfer out to viewers at the edge locations the stage's
	// users reach (for ap-south-1, India's).
	EdgeRequests, EdgeDataOut Price
	// WebACL, WAFRule and WAFRequests are AWS WAF's charges; a managed
	// rule group bills as one rule.
	WebACL, WAFRule, WAFRequests Price
}

// PricesFor returns the price table of a region.
func PricesFor(region string) (Prices, error) {
	p, ok := tables[region]
	if !ok {
		return Prices{}, fmt.Errorf("no price table for region %q (tables: %s)", region, strings.Join(slices.Sorted(maps.Keys(tables)), ", "))
	}
	return p, nil
}

// tables holds one price table per region.
var tables = map[string]Prices{"ap-south-1": apSouth1}

// The pricing pages the prices come from.
const (
	rdsPage         = "https://aws.amazon.com/rds/postgresql/pricing/"
	rdsProxyPage    = "https://aws.amazon.com/rds/proxy/pricing/"
	cloudwatchPage  = "https://aws.amazon.com/cloudwatch/pricing/"
	elasticachePage = "https://aws.amazon.com/elasticache/pricing/"
	apiGatewayPage  = "https://aws.amazon.com/api-gateway/pricing/"
	lambdaPage      = "https://aws.amazon.com/lambda/pricing/"
	vpcPage         = "https://aws.amazon.com/vpc/pricing/"
	privateLinkPage = "https://aws.amazon.com/privatelink/pricing/"
	dataOutPage     = "https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer"
	cloudfrontPage  = "https://aws.amazon.com/cloudfront/pricing/"
	wafPage         = "https://aws.amazon.com/waf/pricing/"
)

// How a figure was checked, where several share the same answer.
const (
	notRechecked   = "best-known published figure, from memory, not re-checked against the page"
	derived        = "not re-checked; scaled from the class next to it (the family's prices are linear in size)"
	usEast1Assumed = "us-east-1 list price from memory, assumed the same in ap-south-1, not re-checked"
)

// apSouth1 is Asia Pacific (Mumbai). No AWS pricing page could be read
// when it was compiled; Checked says, price by price, what backs each
// figure.
var apSouth1 = Prices{
	Region:   "ap-south-1",
	Compiled: "2026-11-26",

	DBInstance: map[string]Price{
		"db.t4g.micro":  {"", 0.021, "hour", rdsPage, "matches a billed ap-south-1 line, APS3-Multi-AZUsage:db.t4g.micro at $0.042 (two instances), quoted in a public cost report"},
		"db.t4g.small":  {"", 0.042, "hour", rdsPage, derived},
		"db.t4g.medium": {"", 0.084, "hour", rdsPage, derived},
		"db.t4g.large":  {"", 0.168, "hour", rdsPage, derived},
		"db.r7g.large":  {"", 0.28, "hour", rdsPage, notRechecked},
		"db.r7g.xlarge": {"", 0.56, "hour", rdsPage, derived},
	},
	DBVCPUs: map[string]int{
		"db.t4g.micro": 2, "db.t4g.small": 2, "db.t4g.medium": 2, "db.t4g.large": 2,
		"db.r7g.large": 2, "db.r7g.xlarge": 4,
	},
	DBStorage:  Price{"RDS gp3 storage, Single-AZ", 0.131, "GB-month", rdsPage, notRechecked},
	DBProxy:    Price{"RDS Proxy", 0.018, "vCPU-hour", rdsProxyPage, notRechecked},
	DBInsights: Price{"Performance Insights past 7 days (at most Database Insights Advanced)", 0.0125, "vCPU-hour", cloudwatchPage, usEast1Assumed + "; an upper bound: Performance Insights reached its end of life on 2026-07-31 (RDS User Guide, Turning Performance Insights on and off), its paid retention periods carry on in Database Insights' Standard mode at Performance Insights' former per-vCPU-month price, which this table does not hold, so the line is priced at Advanced mode's rate (15 months kept)"},

	// The stages run Valkey, which AWS prices 20 % below Redis OSS on
	// node-based clusters; Redis OSS is here for a stage that picks it.
	CacheNode: map[string]map[string]Price{
		"redis":  cacheNodes(1),
		"valkey": cacheNodes(0.8),
	},
	APICache: map[float64]Price{
		0.5:  {"", 0.02, "hour", apiGatewayPage, usEast1Assumed},
		1.6:  {"", 0.038, "hour", apiGatewayPage, usEast1Assumed},
		6.1:  {"", 0.2, "hour", apiGatewayPage, usEast1Assumed},
		13.5: {"", 0.25, "hour", apiGatewayPage, usEast1Assumed},
		28.4: {"", 0.5, "hour", apiGatewayPage, usEast1Assumed},
		58.2: {"", 1, "hour", apiGatewayPage, usEast1Assumed},
		118:  {"", 1.9, "hour", apiGatewayPage, usEast1Assumed},
		237:  {"", 3.8, "hour", apiGatewayPage, usEast1Assumed},
	},

	Provisioned:         Price{"Lambda provisioned concurrency, arm64", 0.0000033334, "GB-second", lambdaPage, usEast1Assumed},
	ProvisionedDuration: Price{"Lambda duration on provisioned concurrency, arm64", 0.0000077778, "GB-second", lambdaPage, usEast1Assumed},
	LambdaDuration:      Price{"Lambda duration on demand, arm64, first tier", 0.0000133334, "GB-second", lambdaPage, usEast1Assumed},
	LambdaRequests:      Price{"Lambda requests", 0.2, "million requests", lambdaPage, usEast1Assumed},
	APIRequests: Price{"API Gateway REST API requests, first 333 million", 3.5, "million requests", apiGatewayPage,
		usEast1Assumed + "; $3.50 per million in AWS's API Gateway whitepaper (Best Practices for Designing Amazon API Gateway Private APIs, cost optimization)"},
	DataOut: Price{"Data transfer out of ap-south-1 to the internet, first 10 TB", 0.1093, "GB", dataOutPage, notRechecked},

	NATHour:      Price{"NAT gateway hour", 0.056, "hour", vpcPage, "matches billed ap-south-1 lines (APS3-NatGateway-Hours $0.056) quoted in public cost reports"},
	NATGB:        Price{"NAT gateway data processed", 0.056, "GB", vpcPage, "matches the $0.056/GB quoted beside the billed NAT hour in a public ap-south-1 cost report"},
	EndpointHour: Price{"Interface endpoint hour, per zone", 0.013, "endpoint-AZ-hour", privateLinkPage, "matches APS3-VpcEndpoint-Hours $0.013 quoted from the AWS Price List API in public repositories"},
	EndpointGB:   Price{"Interface endpoint data processed", 0.01, "GB", privateLinkPage, notRechecked},

	Dashboard:      Price{"CloudWatch dashboard", 3, "dashboard-month", cloudwatchPage, notRechecked},
	AlarmMetric:    Price{"CloudWatch standard-resolution alarm metric", 0.1, "alarm metric-month", cloudwatchPage, notRechecked + "; an alarm on metric math is billed for every metric in the expression"},
	CompositeAlarm: Price{"CloudWatch composite alarm", 0.5, "alarm-month", cloudwatchPage, notRechecked},
	CustomMetric:   Price{"CloudWatch custom metric", 0.3, "metric-month", cloudwatchPage, notRechecked + " (first 10,000 metrics)"},
	LogsIngested:   Price{"CloudWatch Logs ingestion (standard)", 0.67, "GB", cloudwatchPage, "matches APS3-DataProcessing-Bytes $0.67 in a public repository's price constants; another repository's test fixture says $0.50"},
	LogsStored:     Price{"CloudWatch Logs storage", 0.03, "GB-month", cloudwatchPage, notRechecked},
	VendedLogsIngested: Price{"CloudWatch Logs ingestion of vended logs (first 10 TB)", 0.5, "GB", cloudwatchPage,
		usEast1Assumed + "; CloudFront's and a CloudFront web ACL's logs are delivered in us-east-1"},

	EdgeRequests: Price{"CloudFront HTTPS requests, India", 1.2, "million requests", cloudfrontPage, notRechecked + " ($0.0120 per 10,000)"},
	EdgeDataOut:  Price{"CloudFront data transfer out to the internet, India, first 10 TB", 0.109, "GB", cloudfrontPage, notRechecked},
	WebACL:       Price{"AWS WAF web ACL", 5, "web ACL-month", wafPage, notRechecked + "; the same in every region and for CloudFront"},
	WAFRule:      Price{"AWS WAF rule (a managed rule group counts as one)", 1, "rule-month", wafPage, notRechecked + "; AWS's baseline managed rule groups add no subscription fee"},
	WAFRequests:  Price{"AWS WAF requests inspected (up to 1,500 WCU)", 0.6, "million requests", wafPage, notRechecked},
}

// engineNames are the cache engines as AWS's pricing page names them.
var engineNames = map[string]string{"valkey": "Valkey", "redis": "Redis OSS"}

// cacheNodes is the ElastiCache node-hour price list, as a share of the
// Redis OSS price (Valkey: 0.8).
func cacheNodes(share float64) map[string]Price {
	redis := map[string]float64{
		"cache.t4g.micro":  0.021,
		"cache.t4g.small":  0.042,
		"cache.t4g.medium": 0.083,
		"cache.r7g.large":  0.262,
		"cache.r7g.xlarge": 0.524,
	}
	checked := notRechecked + " (Redis OSS)"
	if share != 1 {
		checked += "; Valkey is the Redis OSS price less " + strconv.Itoa(int((1-share)*100+0.5)) + " %, AWS's stated discount for node-based Valkey (from memory)"
	}
	nodes := map[string]Price{}
	for node, usd := range redis {
		nodes[node] = Price{"", round(usd*share, 6), "hour", elasticachePage, checked}
	}
	return nodes
}

// instance returns the Single-AZ hourly price and vCPUs of a DB instance
// class.
func (p Prices) instance(class string) (Price, int, error) {
	price, ok := p.DBInstance[class]
	if !ok {
		return Price{}, 0, fmt.Errorf("no %s price for RDS instance class %q (priced: %s)", p.Region, class, strings.Join(slices.Sorted(maps.Keys(p.DBInstance)), ", "))
	}
	price.Name = "RDS for PostgreSQL " + class + ", Single-AZ"
	return price, p.DBVCPUs[class], nil
}

// node returns the hourly price of an ElastiCache node.
func (p Prices) node(engine, nodeType string) (Price, error) {
	nodes, ok := p.CacheNode[engine]
	if !ok {
		return Price{}, fmt.Errorf("no %s price for cache engine %q (priced: %s)", p.Region, engine, strings.Join(slices.Sorted(maps.Keys(p.CacheNode)), ", "))
	}
	price, ok := nodes[nodeType]
	if !ok {
		return Price{}, fmt.Errorf("no %s price for %s node type %q (priced: %s)", p.Region, engine, nodeType, strings.Join(slices.Sorted(maps.Keys(nodes)), ", "))
	}
	price.Name = "ElastiCache " + engineNames[engine] + " " + nodeType
	return price, nil
}

// apiCache returns the hourly price of an API Gateway cache cluster.
func (p Prices) apiCache(sizeGB float64) (Price, error) {
	price, ok := p.APICache[sizeGB]
	if !ok {
		var sizes []string
		for _, s := range slices.Sorted(maps.Keys(p.APICache)) {
			sizes = append(sizes, num(s))
		}
		return Price{}, fmt.Errorf("no %s price for an API Gateway cache of %s GB (priced: %s)", p.Region, num(sizeGB), strings.Join(sizes, ", "))
	}
	price.Name = "API Gateway cache cluster, " + num(sizeGB) + " GB"
	return price, nil
}
