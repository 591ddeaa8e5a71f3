package config

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/hasivu/infra/lambda/routes"
)

// base is a complete, valid stage file that the bad-file cases start from.
const base = `account: "123456789012"
region: ap-south-1
availabilityZones: [ap-south-1a, ap-south-1b]
network:
  cidr: 10.10.0.0/16
  natGateways: 1
database:
  engineVersion: "17.9"
  instanceClass: db.t4g.micro
  allocatedStorageGiB: 20
  maxAllocatedStorageGiB: 50
  multiAz: false
  backupRetentionDays: 1
  deletionProtection: false
  removalPolicy: destroy
  performanceInsights: false
  monitoringIntervalSeconds: 0
cache:
  engine: valkey
  engineVersion: "8.0"
  nodeType: cache.t4g.micro
  replicas: 0
  multiAz: false
  snapshotRetentionDays: 0
  removalPolicy: destroy
functions:
  peaks:
    lunch: {days: MON-SAT, from: "11:45", to: "14:30"}
  each:
    rfid-verify-card: {provisionedConcurrency: 1, maxProvisionedConcurrency: 4, peaks: {lunch: 2}}
api:
  cacheSizeGiB: 0
  corsOrigins: [https://app.example.com]
  razorpaySecretName: hasivu/x/razorpay
monitoring:
  alarmEmails: [oncall@example.com]
`

func TestCommittedStagesLoad(t *testing.T) {
	stages := Stages()
	for _, want := range []string{"dev", "staging", "prod"} {
		if !strings.Contains(strings.Join(stages, " "), want) {
			t.Errorf("Stages() = %v, want it to include %s", stages, want)
		}
	}
	for _, name := range stages {
		s, err := Load(name)
		if err != nil {
			t.Errorf("Load(%q): %v", name, err)
			continue
		}
		if s.Name != name {
			t.Errorf("Load(%q).Name = %q", name, s.Name)
		}
	}
}

func TestStageValuesMakeSense(t *testing.T) {
	dev, prod := mustLoad(t, "dev"), mustLoad(t, "prod")
	if dev.Database.MultiAZ || dev.Database.DeletionProtection || dev.Cache.Replicas != 0 || dev.TerminationProtection {
		t.Errorf("dev must be single-AZ, unprotected, without replicas: %+v", dev)
	}
	if !prod.Database.MultiAZ || !prod.Database.DeletionProtection || prod.Database.RemovalPolicy != "retain" ||
		prod.Cache.Replicas < 1 || !prod.Cache.MultiAZ || !prod.TerminationProtection {
		t.Errorf("prod must be Multi-AZ, protected, retained, with cache replicas: %+v", prod)
	}
}

func TestExtendsInheritsAndOverrides(t *testing.T) {
	staging, prod := mustLoad(t, "staging"), mustLoad(t, "prod")
	if staging.Extends != "prod" {
		t.Fatalf("staging.yaml should extend prod, extends %q", staging.Extends)
	}
	if staging.Database.EngineVersion != prod.Database.EngineVersion {
		t.Errorf("staging did not inherit database.engineVersion: %q vs %q", staging.Database.EngineVersion, prod.Database.EngineVersion)
	}
	if staging.Database.InstanceClass == prod.Database.InstanceClass {
		t.Errorf("staging did not override database.instanceClass")
	}
	if staging.Tags["Environment"] != "staging" || staging.Tags["Project"] != prod.Tags["Project"] {
		t.Errorf("staging tags should merge over prod's: %v", staging.Tags)
	}
}

// TestNewStageIsOneFile shows that a stage needs nothing but its file.
func TestNewStageIsOneFile(t *testing.T) {
	fsys := fstest.MapFS{
		"dev.yaml": {Data: []byte(base)},
		"qa.yaml":  {Data: []byte("extends: dev\naccount: \"444444444444\"\ntags:\n  Environment: qa\n")},
	}
	s, err := LoadFS(fsys, "config", "qa")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "qa" || s.Account != "444444444444" || s.Cache.NodeType != "cache.t4g.micro" {
		t.Errorf("qa = %+v", s)
	}
}

// TestStagingKeepsOneWarmEnvironment: staging's functions replace prod's
// entries whole (a floor of 1, no peaks), so that none inherits prod's
// peaks by being left out.
func TestStagingKeepsOneWarmEnvironment(t *testing.T) {
	staging, prod := mustLoad(t, "staging"), mustLoad(t, "prod")
	for _, name := range routes.Functions() {
		fn := staging.Functions.Of(name)
		if prod.Functions.Of(name).ProvisionedConcurrency == 0 {
			continue
		}
		if fn.ProvisionedConcurrency != 1 {
			t.Errorf("staging %s: provisioned concurrency %d, want one warm environment", name, fn.ProvisionedConcurrency)
		}
		for peak, floor := range fn.Peaks {
			if name != routes.RFIDVerifyCard { // the lunchtime tap is staging's one rehearsed peak
				t.Errorf("staging %s inherits the %s peak (%d)", name, peak, floor)
			}
		}
	}
}

func TestDefaults(t *testing.T) {
	s, err := LoadFS(fstest.MapFS{"x.yaml": {Data: []byte(base)}}, "config", "x")
	if err != nil {
		t.Fatal(err)
	}
	if s.Database.Port != 5432 || s.Cache.Port != 6379 || s.Cache.MaxmemoryPolicy != "allkeys-lru" ||
		strings.Join(s.Network.InterfaceEndpoints, ",") != "secretsmanager" || s.Database.Proxy.MaxConnectionsPercent != 90 {
		t.Errorf("defaults not applied: %+v", s)
	}
}

// edit returns base with the line starting with old (after indentation)
// replaced by new; an empty new deletes the line.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	lines := strings.Split(base, "\n")
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), old) {
			indent := l[:len(l)-len(strings.TrimLeft(l, " "))]
			if new == "" {
				return strings.Join(append(lines[:i], lines[i+1:]...), "\n")
			}
			lines[i] = indent + new
			return strings.Join(lines, "\n")
		}
	}
	t.Fatalf("base has no line starting %q", old)
	return ""
}

// badFile is a stage file the loader must refuse, with its error.
type badFile struct {
	name string
	file func(t *testing.T) string
	want string
}

var badFiles = []badFile{
	{"unknown key", func(t *testing.T) string { return edit(t, "nodeType:", "nodeTyp: cache.t4g.micro") },
		`config/x.yaml:21: unknown key "cache.nodeTyp" (keys in cache: engine, engineVersion, nodeType, replicas, multiAz, port, snapshotRetentionDays, snapshotWindow, maintenanceWindow, maxmemoryPolicy, removalPolicy)`},
	{"unknown top-level key", func(t *testing.T) string { return base + "regoin: eu-west-1\n" },
		`config/x.yaml:37: unknown key "regoin" (keys at the top level: extends, account, region, availabilityZones, terminationProtection, tags, usageProfile, lambdaConcurrencyLimit, network, database, cache, functions, api, edge, waf, monitoring)`},
	{"concurrency beyond the account's quota", func(t *testing.T) string { return base + "lambdaConcurrencyLimit: 100\n" },
		`config/x.yaml:37: lambdaConcurrencyLimit is 100: the functions reserve or provision up to 4 concurrent executions (rfid-verify-card 4), ` +
			`but Lambda keeps 100 of the quota unreserved, leaving 0; raise the account's quota (Service Quotas, "Concurrent executions") ` +
			`and this value, or lower the reservations`},
	{"unknown rollout strategy", func(t *testing.T) string {
		return edit(t, "functions:", "functions:\n  rollout: {strategy: blueGreen}")
	},
		`config/x.yaml:27: functions.rollout.strategy must be one of allAtOnce, canary, linear, got "blueGreen"`},
	{"wrong type", func(t *testing.T) string { return edit(t, "replicas:", "replicas: two") },
		`config/x.yaml:22: cache.replicas must be a whole number, got "two"`},
	{"fraction where a whole number belongs", func(t *testing.T) string { return edit(t, "replicas:", "replicas: 1.5") },
		`config/x.yaml:22: cache.replicas must be a whole number, got "1.5"`},
	{"list where a value belongs", func(t *testing.T) string { return edit(t, "region:", "region: [ap-south-1]") },
		`config/x.yaml:2: region must be a single value, got a list`},
	{"missing required", func(t *testing.T) string { return edit(t, "instanceClass:", "") },
		`config/x.yaml: database.instanceClass is required and not set (here or in a file it extends)`},
	{"missing required zero-valued", func(t *testing.T) string { return edit(t, "replicas:", "") },
		`config/x.yaml: cache.replicas is required and not set (here or in a file it extends)`},
	{"replicas out of range", func(t *testing.T) string { return edit(t, "replicas:", "replicas: 7") },
		`config/x.yaml:22: cache.replicas must be between 0 and 5, got 7`},
	{"node type AWS does not offer", func(t *testing.T) string { return edit(t, "nodeType:", "nodeType: cache.t4g.huge") },
		`config/x.yaml:21: cache.nodeType must be an ElastiCache node type such as cache.t4g.micro or cache.r7g.large, got "cache.t4g.huge"`},
	{"instance class AWS does not offer", func(t *testing.T) string { return edit(t, "instanceClass:", "instanceClass: db.r7g.medium") },
		`config/x.yaml:9: database.instanceClass must be an RDS for PostgreSQL instance class such as db.t4g.micro or db.r7g.large, got "db.r7g.medium"`},
	{"backup retention over 35 days", func(t *testing.T) string { return edit(t, "backupRetentionDays:", "backupRetentionDays: 40") },
		`config/x.yaml:13: database.backupRetentionDays must be between 0 and 35, got 40`},
	{"multi-AZ cache without replicas", func(t *testing.T) string {
		return strings.Replace(base, "multiAz: false\n  snapshot", "multiAz: true\n  snapshot", 1)
	},
		`config/x.yaml:23: cache.multiAz needs at least one replica (cache.replicas is 0), got true`},
	{"zone listed twice", func(t *testing.T) string {
		return edit(t, "availabilityZones:", "availabilityZones: [ap-south-1a, ap-south-1a]")
	}, `config/x.yaml:3: availabilityZones lists "ap-south-1a" twice`},
	{"logged parameter values", func(t *testing.T) string {
		return edit(t, "monitoringIntervalSeconds:", "monitoringIntervalSeconds: 0\n  parameters: {log_parameter_max_length: \"-1\"}")
	},
		`config/x.yaml:18: database.parameters.log_parameter_max_length must stay "0": logged statements would carry parameter values (emails, card numbers), got "-1"`},
	{"tag key AWS reserves", func(t *testing.T) string { return base + "tags: {\"aws:team\": platform}\n" },
		`config/x.yaml:37: tags key "aws:team" must be 1 to 128 characters and not start with aws:`},
	{"CORS origin with a path", func(t *testing.T) string {
		return edit(t, "corsOrigins:", "corsOrigins: [https://app.example.com, https://app.example.com/x]")
	}, `config/x.yaml:33: api.corsOrigins entry 2 must be an https:// origin (or http://localhost) without a path, got "https://app.example.com/x"`},
	{"zone outside the region", func(t *testing.T) string {
		return edit(t, "availabilityZones:", "availabilityZones: [ap-south-1a, eu-west-1b]")
	}, `config/x.yaml:3: availabilityZones entry 2 must be a zone of ap-south-1 such as ap-south-1a, got "eu-west-1b"`},
	{"bad removal policy", func(t *testing.T) string { return edit(t, "removalPolicy: destroy", "removalPolicy: keep") },
		`config/x.yaml:15: database.removalPolicy must be one of retain, snapshot, destroy, got "keep"`},
	{"storage ceiling too low", func(t *testing.T) string { return edit(t, "maxAllocatedStorageGiB:", "maxAllocatedStorageGiB: 21") },
		`config/x.yaml:11: database.maxAllocatedStorageGiB must be at least 10% above allocatedStorageGiB and at most 65536, got 21`},
	{"bad CIDR", func(t *testing.T) string { return edit(t, "cidr:", "cidr: 10.10.0.1/16") },
		`config/x.yaml:5: network.cidr must be a /16 to /18 IPv4 network such as 10.20.0.0/16, got "10.10.0.1/16"`},
	{"API cache size AWS does not offer", func(t *testing.T) string { return edit(t, "cacheSizeGiB:", "cacheSizeGiB: 2") },
		`config/x.yaml:32: api.cacheSizeGiB must be 0 (off) or a size API Gateway offers (0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237), got 2`},
	{"unknown function", func(t *testing.T) string {
		return strings.Replace(base, "rfid-verify-card:", "rfid-verify:", 1)
	}, `config/x.yaml:30: unknown key "functions.each.rfid-verify" (keys in functions.each: analytics-daily, auth-login, menus-daily, migrate, orders-create, orders-list, payments-create-order, payments-webhook, profile, rfid-verify-card)`},
	{"peak scaled to zero", func(t *testing.T) string {
		return strings.Replace(base, "provisionedConcurrency: 1, maxProvisionedConcurrency: 4,", "", 1)
	}, `config/x.yaml:30: functions.each.rfid-verify-card.provisionedConcurrency must be at least 1 when the function has peaks, got 0`},
	{"peak above the ceiling", func(t *testing.T) string { return strings.Replace(base, "lunch: 2}", "lunch: 9}", 1) },
		`config/x.yaml:30: functions.each.rfid-verify-card.peaks.lunch must be between 1 and 4, got 9`},
	{"peak window backwards", func(t *testing.T) string { return strings.Replace(base, `to: "14:30"`, `to: "11:00"`, 1) },
		`config/x.yaml:28: functions.peaks.lunch.to must be later than from (11:45), got "11:00"`},
	{"provisioned concurrency on migrate", func(t *testing.T) string {
		return strings.Replace(base, "rfid-verify-card: {provisionedConcurrency: 1, maxProvisionedConcurrency: 4, peaks: {lunch: 2}}", "migrate: {provisionedConcurrency: 1}", 1)
	}, `config/x.yaml:30: functions.each.migrate.provisionedConcurrency must be 0: migrate is invoked once per deploy, got 1`},
	{"bad time zone", func(t *testing.T) string {
		return strings.Replace(base, "functions:\n", "functions:\n  timeZone: India/Bengaluru\n", 1)
	},
		`config/x.yaml:27: functions.timeZone must be an IANA time zone such as Asia/Kolkata, got "India/Bengaluru"`},
	{"throttle for no route", func(t *testing.T) string {
		return strings.Replace(base, "monitoring:", "  routeThrottles:\n    GET /auth/login: {rateLimit: 5, burstLimit: 10}\nmonitoring:", 1)
	}, `config/x.yaml:35: api.routeThrottles key "GET /auth/login" names no route ("METHOD /path" from lambda/routes)`},
	{"unknown alarm", func(t *testing.T) string {
		return base + "  alarms:\n    coldStart: {threshold: 500}\n"
	}, `config/x.yaml:38: unknown key "monitoring.alarms.coldStart" (keys in monitoring.alarms: api5xxCount, apiLatencyP95Ms, cacheEvictionsCount, cacheHitRatePercent, cacheMemoryPercent, coldStartMs, databaseCpuPercent, databaseFreeStorageGiB, databaseQueryP95Ms, edge5xxRatePercent, errorRatePercent, functionThrottles, refundDueCount, rotationErrorsCount, secretFailuresCount, spilloverInvocations, unauthorizedRatePercent, wafBlockedRequests, webhookSignatureFailuresCount)`},
	{"percentage over 100", func(t *testing.T) string {
		return base + "  alarms:\n    cacheHitRatePercent: {threshold: 170}\n"
	}, `config/x.yaml:38: monitoring.alarms.cacheHitRatePercent.threshold must be a percentage between 0 and 100, got 170`},
	{"alarm period not whole minutes", func(t *testing.T) string {
		return base + "  alarms:\n    coldStartMs: {periodSeconds: 90}\n"
	}, `config/x.yaml:38: monitoring.alarms.coldStartMs.periodSeconds must be a multiple of 60 up to 3600 (0 or unset: the alarm's default), got 90`},
	{"alarm looking back over a day", func(t *testing.T) string {
		return base + "  alarms:\n    apiLatencyP95Ms: {evaluationPeriods: 30, periodSeconds: 3600}\n"
	}, `config/x.yaml:38: monitoring.alarms.apiLatencyP95Ms must look back at most one day (evaluationPeriods × periodSeconds ≤ 86400 s), got 30 × 3600 s = 108000 s`},
	{"certificate outside us-east-1", func(t *testing.T) string {
		return base + "edge:\n  enabled: true\n  domainName: api.example.com\n" +
			"  certificateArn: arn:aws:acm:ap-south-1:123456789012:certificate/7c1f3a52-9b4e-4d0a-8e61-2f5d9c0b7a43\n"
	}, `config/x.yaml:40: edge.certificateArn must be an ACM certificate ARN in us-east-1 (CloudFront uses certificates from no other region), or empty, got "arn:aws:acm:ap-south-1:123456789012:certificate/7c1f3a52-9b4e-4d0a-8e61-2f5d9c0b7a43"`},
	{"domain without a certificate", func(t *testing.T) string {
		return base + "edge:\n  enabled: true\n  domainName: api.example.com\n"
	}, `config/x.yaml:39: edge.domainName needs edge.certificateArn, an ACM certificate in us-east-1 for it, got "api.example.com" with no certificate`},
	{"certificate without a domain", func(t *testing.T) string {
		return base + "edge:\n  certificateArn: arn:aws:acm:us-east-1:123456789012:certificate/7c1f3a52-9b4e-4d0a-8e61-2f5d9c0b7a43\n"
	}, `config/x.yaml:38: edge.certificateArn needs edge.domainName, the name the certificate is for, got "arn:aws:acm:us-east-1:123456789012:certificate/7c1f3a52-9b4e-4d0a-8e61-2f5d9c0b7a43" with no domain`},
	{"domain name with an upper-case letter", func(t *testing.T) string {
		return base + "edge:\n  domainName: API.example.com\n"
	}, `config/x.yaml:38: edge.domainName must be a lower-case domain name such as api.hasivu.com, or empty, got "API.example.com"`},
	{"unknown price class", func(t *testing.T) string { return base + "edge:\n  priceClass: PriceClass_India\n" },
		`config/x.yaml:38: edge.priceClass must be one of PriceClass_100, PriceClass_200, PriceClass_All, got "PriceClass_India"`},
	{"origin key generation zero", func(t *testing.T) string { return base + "edge:\n  originKeyGeneration: 0\n" },
		`config/x.yaml:38: edge.originKeyGeneration must be between 1 and 1000000, got 0`},
	{"rate limit below WAF's minimum", func(t *testing.T) string { return base + "waf:\n  enabled: true\n  loginRateLimit: 5\n" },
		`config/x.yaml:39: waf.loginRateLimit must be between 10 and 2000000000, got 5`},
	{"WAF log retention CloudWatch does not offer", func(t *testing.T) string { return base + "waf:\n  logRetentionDays: 45\n" },
		`config/x.yaml:38: waf.logRetentionDays must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653), got 45`},
	{"Lambda Insights without a logs endpoint", func(t *testing.T) string {
		return strings.Replace(base, "functions:\n", "functions:\n  insights: true\n", 1)
	}, `config/x.yaml:27: functions.insights needs logs in network.interfaceEndpoints (secretsmanager): the functions reach CloudWatch Logs only through an endpoint, got true`},
	{"unknown usage profile", func(t *testing.T) string { return base + "usageProfile: huge\n" },
		`config/x.yaml:37: usageProfile must be one of small, medium, large, got "huge"`},
	{"syntax error", func(t *testing.T) string { return base + "cache: [\n" },
		`config/x.yaml:37: did not find expected node content`},
	{"empty file", func(t *testing.T) string { return "" }, `config/x.yaml: file is empty`},
	{"extends a missing file", func(t *testing.T) string { return "extends: nope\n" },
		`config/nope.yaml: no such stage file (stage files: x.yaml)`},
	{"extends itself", func(t *testing.T) string { return "extends: x\n" }, `config/x.yaml: extends cycle: x → x`},
	{"extends written twice", func(t *testing.T) string { return "extends: dev\naccount: \"444444444444\"\nextends: prod\n" },
		`config/x.yaml:3: extends: mapping key "extends" already defined at line 1`},
}

func TestBadFiles(t *testing.T) {
	for _, c := range badFiles {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadFS(fstest.MapFS{"x.yaml": {Data: []byte(c.file(t))}}, "config", "x")
			if err == nil {
				t.Fatalf("want error %q, got none", c.want)
			}
			if err.Error() != c.want {
				t.Errorf("error\n got: %s\nwant: %s", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
		})
	}
}

// TestErrorNamesTheFileThatSetTheKey: a rule that compares two keys set
// in different files names the file that set the key it refuses.
func TestErrorNamesTheFileThatSetTheKey(t *testing.T) {
	fsys := fstest.MapFS{
		"dev.yaml": {Data: []byte(base)},
		"qa.yaml":  {Data: []byte("extends: dev\ncache:\n  multiAz: true\n")},
	}
	_, err := LoadFS(fsys, "config", "qa")
	want := `config/qa.yaml:3: cache.multiAz needs at least one replica (cache.replicas is 0), got true`
	if err == nil || err.Error() != want {
		t.Errorf("error\n got: %v\nwant: %s", err, want)
	}
}

func TestBadStageName(t *testing.T) {
	if _, err := Load("../prod"); err == nil || !strings.Contains(err.Error(), `stage name "../prod"`) {
		t.Errorf("Load(../prod) error = %v", err)
	}
}

func mustLoad(t *testing.T, stage string) *Stage {
	t.Helper()
	s, err := Load(stage)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
