package stacks

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/routes"
)

// The ids of CloudFront's managed policies the behaviours use.
const (
	cachingDisabled        = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewerExceptHost    = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
	corsPreflightHeaders   = "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf" // Managed-CORS-S3Origin
	dynamicOriginKeyPrefix = "{{resolve:secretsmanager:"
)

// Two stages besides the committed ones, synthesised once, on first use:
// dev with WAF on and no edge (a regional web ACL on the stage), and prod
// with its origin key rotated to a third generation.
var (
	extraOnce        sync.Once
	wafOnly, rotated *synthesized
)

func extraStages(t *testing.T) (*synthesized, *synthesized) {
	t.Helper()
	extraOnce.Do(func() {
		wafOnly = synth(stageExtending(t, "dev", "wafonly", "waf: {enabled: true, loginRateLimit: 20, paymentsRateLimit: 40}\n"))
		rotated = synth(stageExtending(t, "prod", "rotated", "edge: {originKeyGeneration: 3}\n"))
	})
	if wafOnly == nil || rotated == nil {
		t.Fatal("the extra stages did not synthesise")
	}
	return wafOnly, rotated
}

// edgeStages runs f for every committed stage with the edge on, and
// checks that one without it has no distribution and no web ACL.
func edgeStages(t *testing.T, f func(t *testing.T, s *synthesized, tmpl assertions.Template)) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		if !s.cfg.Edge.Enabled {
			if s.platform.Edge != nil {
				t.Fatalf("%s has the edge off but an edge stack", s.cfg.Name)
			}
			for stack, res := range allResources(s) {
				for id, r := range res {
					edgeOnly := r["Type"] == "AWS::CloudFront::Distribution" || r["Type"] == "AWS::ApiGateway::ApiKey"
					if edgeOnly || (r["Type"] == "AWS::WAFv2::WebACL" && !s.cfg.WAF.Enabled) {
						t.Errorf("%s has the edge off but %s %s (%s)", s.cfg.Name, stack, id, r["Type"])
					}
				}
			}
			return
		}
		if s.platform.Edge == nil {
			t.Fatalf("%s has the edge on but no edge stack", s.cfg.Name)
		}
		f(t, s, s.template(s.platform.Edge.Stack))
	})
}

// TestCommittedStagesFront pins what the issue asks of each committed
// stage: prod and staging behind CloudFront and WAF, dev behind neither.
func TestCommittedStagesFront(t *testing.T) {
	for name, want := range map[string]bool{"prod": true, "staging": true, "dev": false} {
		s, ok := stages[name]
		if !ok {
			t.Fatalf("no committed stage %s", name)
		}
		if s.cfg.Edge.Enabled != want || s.cfg.WAF.Enabled != want || (s.platform.Edge != nil) != want {
			t.Errorf("%s: edge %v, WAF %v, edge stack %v; want all %v", name, s.cfg.Edge.Enabled, s.cfg.WAF.Enabled, s.platform.Edge != nil, want)
		}
	}
}

func TestEdgeStackInUsEast1(t *testing.T) {
	edgeStages(t, func(t *testing.T, s *synthesized, _ assertions.Template) {
		if got := *s.platform.Edge.Region(); got != config.EdgeRegion {
			t.Errorf("edge stack in %s, want %s", got, config.EdgeRegion)
		}
		if got := *s.platform.Edge.StackName(); got != "hasivu-"+s.cfg.Name+"-edge" {
			t.Errorf("edge stack named %s", got)
		}
		stacks := s.platform.Stacks()
		if i, j, k := slices.Index(stacks, s.platform.Api.Stack), slices.Index(stacks, s.platform.Edge.Stack), slices.Index(stacks, s.platform.Monitoring.Stack); !(i < j && j < k) {
			t.Errorf("stacks in order api %d, edge %d, monitoring %d; the edge reads the api's outputs, the dashboard the edge's", i, j, k)
		}
	})
}

func TestDistribution(t *testing.T) {
	edgeStages(t, func(t *testing.T, s *synthesized, tmpl assertions.Template) {
		dist := props(t, tmpl, "AWS::CloudFront::Distribution")["DistributionConfig"].(map[string]interface{})
		if dist["HttpVersion"] != "http2and3" || dist["IPV6Enabled"] != true || dist["Enabled"] != true {
			t.Errorf("HTTP version %v, IPv6 %v, enabled %v", dist["HttpVersion"], dist["IPV6Enabled"], dist["Enabled"])
		}
		if dist["PriceClass"] != s.cfg.Edge.PriceClass {
			t.Errorf("price class %v, config says %s", dist["PriceClass"], s.cfg.Edge.PriceClass)
		}
		// Every behaviour: HTTPS only, compressed at the edge.
		all := []interface{}{dist["DefaultCacheBehavior"]}
		if cb, ok := dist["CacheBehaviors"].([]interface{}); ok {
			all = append(all, cb...)
		}
		for _, b := range all {
			b := b.(map[string]interface{})
			if b["ViewerProtocolPolicy"] != "https-only" || b["Compress"] != true {
				t.Errorf("behaviour %v: viewer protocol %v, compress %v", b["PathPattern"], b["ViewerProtocolPolicy"], b["Compress"])
			}
		}
		// TLS 1.2 and 1.3 (CloudFront's 2025 policy) where the stage names
		// a certificate; CloudFront's own certificate otherwise, which
		// cannot be raised above TLSv1.
		cert := dist["ViewerCertificate"]
		if s.cfg.Edge.DomainName != "" {
			want := map[string]interface{}{"AcmCertificateArn": s.cfg.Edge.CertificateArn, "MinimumProtocolVersion": "TLSv1.2_2025", "SslSupportMethod": "sni-only"}
			if fmt.Sprint(cert) != fmt.Sprint(want) || fmt.Sprint(dist["Aliases"]) != fmt.Sprint([]interface{}{s.cfg.Edge.DomainName}) {
				t.Errorf("certificate %v, aliases %v; want %v for %s", cert, dist["Aliases"], want, s.cfg.Edge.DomainName)
			}
		} else if cert != nil || dist["Aliases"] != nil {
			t.Errorf("no domain configured, yet certificate %v, aliases %v", cert, dist["Aliases"])
		}
		// The origin is the API's stage over TLS 1.2, with the origin key
		// from Secrets Manager, never in plain text.
		origins := dist["Origins"].([]interface{})
		if len(origins) != 1 {
			t.Fatalf("%d origins, want the API alone", len(origins))
		}
		origin := origins[0].(map[string]interface{})
		custom := origin["CustomOriginConfig"].(map[string]interface{})
		if custom["OriginProtocolPolicy"] != "https-only" || fmt.Sprint(custom["OriginSSLProtocols"]) != "[TLSv1.2]" {
			t.Errorf("origin protocol %v %v", custom["OriginProtocolPolicy"], custom["OriginSSLProtocols"])
		}
		want := []interface{}{map[string]interface{}{"HeaderName": OriginKeyHeader,
			"HeaderValue": dynamicOriginKeyPrefix + originKeySecretName(s.cfg.Name, s.cfg.Edge.OriginKeyGeneration) + ":SecretString:::}}"}}
		if fmt.Sprint(origin["OriginCustomHeaders"]) != fmt.Sprint(want) {
			t.Errorf("origin headers %v, want %v", origin["OriginCustomHeaders"], want)
		}
		// The API's ID and stage cross from the stage's region.
		if b, _ := json.Marshal(origin); !strings.Contains(string(b), `"Region":"`+s.cfg.Region+`","StackName":"hasivu-`+s.cfg.Name+`-api"`) {
			t.Errorf("origin does not read the api stack's outputs in %s: %s", s.cfg.Region, b)
		}
		check(t, "additional metrics", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::CloudFront::MonitoringSubscription"), map[string]interface{}{
				"MonitoringSubscription": map[string]interface{}{"RealtimeMetricsSubscriptionConfig": map[string]interface{}{"RealtimeMetricsSubscriptionStatus": "Enabled"}},
			})
		})
	})
}

// TestBehaviorsFromRouteTable: the committed route table's cached routes
// get a behaviour each, keyed by exactly their gateway cache key, for
// their TTL; everything else takes the default behaviour, which caches
// nothing and forwards every viewer header (Authorization included) but
// Host.
func TestBehaviorsFromRouteTable(t *testing.T) {
	edgeStages(t, func(t *testing.T, s *synthesized, tmpl assertions.Template) {
		dist := props(t, tmpl, "AWS::CloudFront::Distribution")["DistributionConfig"].(map[string]interface{})
		def := dist["DefaultCacheBehavior"].(map[string]interface{})
		if def["CachePolicyId"] != cachingDisabled || def["OriginRequestPolicyId"] != allViewerExceptHost || len(def["AllowedMethods"].([]interface{})) != 7 {
			t.Errorf("default behaviour %v", def)
		}
		policies := resources(tmpl, "AWS::CloudFront::CachePolicy")
		behaviours, _ := dist["CacheBehaviors"].([]interface{})
		var cached []routes.Route
		for _, r := range routes.Table {
			if edgeCached(r) {
				cached = append(cached, r)
			}
		}
		if len(cached) == 0 {
			t.Fatal("the route table caches nothing: the test would check nothing")
		}
		if len(behaviours) != len(edgeBehaviors(routes.Table)) || len(policies) != len(cached) {
			t.Errorf("%d behaviours and %d cache policies for %d cached routes", len(behaviours), len(policies), len(cached))
		}
		for _, r := range cached {
			var b map[string]interface{}
			for _, x := range behaviours {
				if x := x.(map[string]interface{}); x["PathPattern"] == pathPatternOf(r.Path) {
					b = x
				}
			}
			if b == nil {
				t.Errorf("%s %s: no behaviour %s", r.Method, r.Path, pathPatternOf(r.Path))
				continue
			}
			if b["OriginRequestPolicyId"] != corsPreflightHeaders || fmt.Sprint(b["CachedMethods"]) != "[GET HEAD]" ||
				fmt.Sprint(b["AllowedMethods"]) != "[GET HEAD OPTIONS]" {
				t.Errorf("%s %s: behaviour %v", r.Method, r.Path, b)
			}
			id := b["CachePolicyId"].(map[string]interface{})["Ref"].(string)
			cfg := policies[id]["Properties"].(map[string]interface{})["CachePolicyConfig"].(map[string]interface{})
			ttl := r.CacheTTL.Seconds()
			if cfg["DefaultTTL"] != ttl || cfg["MaxTTL"] != ttl || cfg["MinTTL"] != 0.0 {
				t.Errorf("%s %s: TTLs %v/%v/%v, route says %v s", r.Method, r.Path, cfg["MinTTL"], cfg["DefaultTTL"], cfg["MaxTTL"], ttl)
			}
			key := cfg["ParametersInCacheKeyAndForwardedToOrigin"].(map[string]interface{})
			query, headers := edgeCacheKey(r)
			if got, want := keyPart(key["QueryStringsConfig"], "QueryStringBehavior", "QueryStrings"), query; !slices.Equal(got, want) {
				t.Errorf("%s %s: query strings in the key %v, route's key names %v", r.Method, r.Path, got, want)
			}
			if got, want := keyPart(key["HeadersConfig"], "HeaderBehavior", "Headers"), headers; !slices.Equal(got, want) {
				t.Errorf("%s %s: headers in the key %v, route's key names %v", r.Method, r.Path, got, want)
			}
			if key["CookiesConfig"].(map[string]interface{})["CookieBehavior"] != "none" || key["EnableAcceptEncodingBrotli"] != true || key["EnableAcceptEncodingGzip"] != true {
				t.Errorf("%s %s: key %v", r.Method, r.Path, key)
			}
		}
	})
}

// keyPart lists what a cache policy's key holds of one kind: nothing for
// behaviour "none", the allow-list for "whitelist", and a marker for any
// other behaviour, which would hold more than the route's key.
func keyPart(config interface{}, behavior, items string) []string {
	c := config.(map[string]interface{})
	switch c[behavior] {
	case "none":
		return nil
	case "whitelist":
		var out []string
		for _, v := range c[items].([]interface{}) {
			out = append(out, v.(string))
		}
		return out
	}
	return []string{fmt.Sprint("behaviour ", c[behavior])}
}

// TestNoPerUserRouteCached: no behaviour that caches takes a route that
// answers per user, or any route but its own.
func TestNoPerUserRouteCached(t *testing.T) {
	edgeStages(t, func(t *testing.T, s *synthesized, tmpl assertions.Template) {
		dist := props(t, tmpl, "AWS::CloudFront::Distribution")["DistributionConfig"].(map[string]interface{})
		behaviours, _ := dist["CacheBehaviors"].([]interface{})
		for _, r := range routes.Table {
			// CloudFront takes the first behaviour whose pattern matches.
			policy := dist["DefaultCacheBehavior"].(map[string]interface{})["CachePolicyId"]
			for _, b := range behaviours {
				b := b.(map[string]interface{})
				if patternMatches(b["PathPattern"].(string), samplePath(r.Path)) {
					policy = b["CachePolicyId"]
					break
				}
			}
			if caches := policy != cachingDisabled; caches != edgeCached(r) {
				t.Errorf("%s %s (auth %v, TTL %v): served by cache policy %v", r.Method, r.Path, r.Auth, r.CacheTTL, policy)
			}
		}
	})
}

func TestEdgeBehaviors(t *testing.T) {
	menus := routes.Route{Method: "GET", Path: "/schools/{schoolId}/menus/{date}", CacheTTL: time.Hour, CacheKey: []string{"path.schoolId", "path.date"}}
	items := routes.Route{Method: "GET", Path: "/menus/{menuId}/items", CacheTTL: time.Minute, CacheKey: []string{"path.menuId", "querystring.lang", "header.Accept"}}
	orders := routes.Route{Method: "GET", Path: "/schools/{schoolId}/menus/{date}/orders", Auth: true}
	me := routes.Route{Method: "GET", Path: "/me", Auth: true, CacheTTL: time.Minute}
	login := routes.Route{Method: "POST", Path: "/auth/login"}

	got := edgeBehaviors([]routes.Route{login, menus, me, items, orders})
	var patterns []string
	for _, b := range got {
		patterns = append(patterns, fmt.Sprintf("%s cached=%v", b.Pattern, b.Cached != nil))
	}
	// The per-user orders route, which the menus pattern would take ("*"
	// spans slashes), gets an uncached behaviour ahead of it; the per-user
	// /me is never cached, whatever its TTL; login takes the default.
	want := []string{"/schools/*/menus/*/orders cached=false", "/schools/*/menus/* cached=true", "/menus/*/items cached=true"}
	if !slices.Equal(patterns, want) {
		t.Errorf("behaviours %v, want %v", patterns, want)
	}
	if q, h := edgeCacheKey(items); !slices.Equal(q, []string{"lang"}) || !slices.Equal(h, []string{"Accept"}) {
		t.Errorf("items key: query %v, headers %v", q, h)
	}

	// A cached route that shares its path with another method cannot be
	// served by a per-path behaviour.
	post := routes.Route{Method: "POST", Path: "/schools/{schoolId}/menus/{date}", Auth: true}
	if msg := panicOf(func() { edgeBehaviors([]routes.Route{menus, post}) }); !strings.Contains(msg, "shares with 1 other route") {
		t.Errorf("a cached path shared with a POST: %q", msg)
	}
	var many []routes.Route
	for i := range maxCacheBehaviors + 1 {
		many = append(many, routes.Route{Method: "GET", Path: fmt.Sprintf("/r%d", i), CacheTTL: time.Minute})
	}
	if msg := panicOf(func() { edgeBehaviors(many) }); !strings.Contains(msg, "quota is 25") {
		t.Errorf("too many behaviours: %q", msg)
	}
}

func TestPatternMatches(t *testing.T) {
	for _, c := range []struct {
		pattern, path string
		want          bool
	}{
		{"/schools/*/menus/*", "/schools/s1/menus/2025-01-01", true},
		{"/schools/*/menus/*", "/schools/s1/menus/2025-01-01/orders", true}, // "*" spans slashes
		{"/schools/*/menus/*", "/schools/s1/menu", false},
		{"/a?c", "/abc", true},
		{"/a.c", "/abc", false},
	} {
		if got := patternMatches(c.pattern, c.path); got != c.want {
			t.Errorf("patternMatches(%q, %q) = %v", c.pattern, c.path, got)
		}
	}
}

// panicOf is what f panics with, or "" when it returns.
func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

// checkWebAcl checks a web ACL against config: the three managed groups,
// then a rate-based rule per client IP on login and on payments with
// config's limits over five minutes, answering 429; and its log.
func checkWebAcl(t *testing.T, tmpl assertions.Template, cfg config.WAF, scope string) {
	t.Helper()
	acl := props(t, tmpl, "AWS::WAFv2::WebACL")
	if acl["Scope"] != scope || fmt.Sprint(acl["DefaultAction"]) != "map[Allow:map[]]" {
		t.Errorf("scope %v, default action %v; want %s, allow", acl["Scope"], acl["DefaultAction"], scope)
	}
	var names []string
	for i, r := range acl["Rules"].([]interface{}) {
		r := r.(map[string]interface{})
		names = append(names, r["Name"].(string))
		if r["Priority"] != float64(i) || r["VisibilityConfig"].(map[string]interface{})["CloudWatchMetricsEnabled"] != true {
			t.Errorf("rule %v: priority %v, visibility %v", r["Name"], r["Priority"], r["VisibilityConfig"])
		}
		stmt := r["Statement"].(map[string]interface{})
		if m, ok := stmt["ManagedRuleGroupStatement"].(map[string]interface{}); ok {
			if m["VendorName"] != "AWS" || m["Name"] != r["Name"] || fmt.Sprint(r["OverrideAction"]) != "map[None:map[]]" {
				t.Errorf("managed rule %v", r)
			}
			continue
		}
		rate := stmt["RateBasedStatement"].(map[string]interface{})
		limit := map[string]int{"LoginRateLimit": cfg.LoginRateLimit, "PaymentsRateLimit": cfg.PaymentsRateLimit}[r["Name"].(string)]
		if rate["Limit"] != float64(limit) || rate["AggregateKeyType"] != "IP" || rate["EvaluationWindowSec"] != 300.0 {
			t.Errorf("%v: %v, want %d per IP per 300 s", r["Name"], rate, limit)
		}
		regex := rate["ScopeDownStatement"].(map[string]interface{})["RegexMatchStatement"].(map[string]interface{})
		if fmt.Sprint(regex["FieldToMatch"]) != "map[UriPath:map[]]" {
			t.Errorf("%v inspects %v", r["Name"], regex["FieldToMatch"])
		}
		if fmt.Sprint(r["Action"]) != "map[Block:map[CustomResponse:map[CustomResponseBodyKey:throttled ResponseCode:429]]]" {
			t.Errorf("%v: action %v", r["Name"], r["Action"])
		}
	}
	want := append(slices.Clone(managedRuleGroups), "LoginRateLimit", "PaymentsRateLimit")
	if !slices.Equal(names, want) {
		t.Errorf("rules %v, want %v", names, want)
	}
	logging := props(t, tmpl, "AWS::WAFv2::LoggingConfiguration")
	if b, _ := json.Marshal(logging); !strings.Contains(string(b), `"SingleHeader":{"Name":"authorization"}`) || !strings.Contains(string(b), `"DefaultBehavior":"DROP"`) {
		t.Errorf("web ACL logging %s: want authorization redacted, blocked and counted requests kept", b)
	}
	check(t, "web ACL log group", func() {
		tmpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]interface{}{
			"LogGroupName": assertions.Match_StringLikeRegexp(jsii.String("^aws-waf-logs-")), "RetentionInDays": cfg.LogRetentionDays,
		})
	})
}

func TestWebAclOnTheDistribution(t *testing.T) {
	edgeStages(t, func(t *testing.T, s *synthesized, tmpl assertions.Template) {
		if !s.cfg.WAF.Enabled {
			t.Skip("WAF off")
		}
		checkWebAcl(t, tmpl, s.cfg.WAF, scopeCloudFront)
		dist := props(t, tmpl, "AWS::CloudFront::Distribution")["DistributionConfig"].(map[string]interface{})
		if ref := fmt.Sprint(dist["WebACLId"]); !strings.Contains(ref, "WebAcl") || !strings.Contains(ref, "Arn") {
			t.Errorf("distribution's web ACL %s", ref)
		}
		// No web ACL on the stage: the distribution filters, the stage
		// answers only it.
		if n := len(resources(s.template(s.platform.Api.Stack), "AWS::WAFv2::WebACLAssociation")); n != 0 {
			t.Errorf("%d web ACL associations in the api stack", n)
		}
	})
}

// TestOriginProtection: where the edge is on, every route's method needs
// an API key, and the only keys are the origin keys CloudFront sends,
// from Secrets Manager through dynamic references, replicated to the
// edge's region.
func TestOriginProtection(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) { checkOriginKeys(t, s) })
}

func checkOriginKeys(t *testing.T, s *synthesized) {
	t.Helper()
	tmpl := s.template(s.platform.Api.Stack)
	for id, m := range resources(tmpl, "AWS::ApiGateway::Method") {
		p := m["Properties"].(map[string]interface{})
		if p["HttpMethod"] == "OPTIONS" {
			continue
		}
		if got := p["ApiKeyRequired"] == true; got != s.cfg.Edge.Enabled {
			t.Errorf("%s %v: key required %v, edge on %v", id, p["HttpMethod"], got, s.cfg.Edge.Enabled)
		}
	}
	keys := resources(tmpl, "AWS::ApiGateway::ApiKey")
	if !s.cfg.Edge.Enabled {
		if len(keys) != 0 {
			t.Errorf("%d API keys without the edge", len(keys))
		}
		return
	}
	gens := originKeyGenerations(s.cfg.Edge)
	if len(keys) != len(gens) || len(resources(tmpl, "AWS::ApiGateway::UsagePlanKey")) != len(gens) {
		t.Errorf("%d keys and %d usage plan keys, want generations %v", len(keys), len(resources(tmpl, "AWS::ApiGateway::UsagePlanKey")), gens)
	}
	plan := props(t, tmpl, "AWS::ApiGateway::UsagePlan")
	if b, _ := json.Marshal(plan); !strings.Contains(string(b), `"ApiStages":[{"ApiId":{"Ref":"RestApi`) || strings.Contains(string(b), "Quota") {
		t.Errorf("usage plan %s", b)
	}
	secrets := resources(tmpl, "AWS::SecretsManager::Secret")
	for _, gen := range gens {
		var secretID string
		for id, r := range secrets {
			if p := r["Properties"].(map[string]interface{}); p["Name"] == originKeySecretName(s.cfg.Name, gen) {
				secretID = id
				if fmt.Sprint(p["ReplicaRegions"]) != "[map[Region:"+config.EdgeRegion+"]]" {
					t.Errorf("generation %d: replicas %v", gen, p["ReplicaRegions"])
				}
			}
		}
		if secretID == "" {
			t.Errorf("no secret %s", originKeySecretName(s.cfg.Name, gen))
			continue
		}
		want := fmt.Sprint(map[string]interface{}{"Fn::Join": []interface{}{"", []interface{}{dynamicOriginKeyPrefix, map[string]interface{}{"Ref": secretID}, ":SecretString:::}}"}}})
		found := false
		for _, k := range keys {
			if p := k["Properties"].(map[string]interface{}); fmt.Sprint(p["Value"]) == want && p["Enabled"] == true {
				found = true
			}
		}
		if !found {
			t.Errorf("no enabled API key whose value is the dynamic reference %s", want)
		}
	}
}

// TestOriginKeyRotation: raising edge.originKeyGeneration keeps the
// previous key valid beside the new one, which CloudFront sends.
func TestOriginKeyRotation(t *testing.T) {
	_, s := extraStages(t)
	if got := originKeyGenerations(s.cfg.Edge); !slices.Equal(got, []int{2, 3}) {
		t.Fatalf("generations %v, want [2 3]", got)
	}
	checkOriginKeys(t, s)
	dist := props(t, s.template(s.platform.Edge.Stack), "AWS::CloudFront::Distribution")
	if b, _ := json.Marshal(dist); !strings.Contains(string(b), originKeySecretName("rotated", 3)+":SecretString") || strings.Contains(string(b), "origin-key-2") {
		t.Errorf("CloudFront sends %s", b)
	}
}

// TestRegionalWebAcl: WAF on without the edge puts the web ACL on the
// API stage in the stage's region, with its alarm beside the others, and
// cdk-nag finds the stage associated with it.
func TestRegionalWebAcl(t *testing.T) {
	s, _ := extraStages(t)
	if s.platform.Edge != nil {
		t.Fatal("the WAF-only stage has an edge stack")
	}
	tmpl := s.template(s.platform.Api.Stack)
	checkWebAcl(t, tmpl, s.cfg.WAF, scopeRegional)
	assoc := props(t, tmpl, "AWS::WAFv2::WebACLAssociation")
	if b, _ := json.Marshal(assoc); !strings.Contains(string(b), `"WebACLArn":{"Fn::GetAtt":["WebAcl","Arn"]}`) ||
		!strings.Contains(string(b), "RestApiDeploymentStage") {
		t.Errorf("association %s", b)
	}
	acl := props(t, tmpl, "AWS::WAFv2::WebACL")
	for _, r := range acl["Rules"].([]interface{}) {
		if b, _ := json.Marshal(r); strings.Contains(string(b), "RegexString") && !strings.Contains(string(b), `^(/v1)?(`) {
			t.Errorf("a rate rule in front of the stage must allow the stage's name in the path: %s", b)
		}
	}
	alarms := alarmsByName(t, s)
	a, ok := alarms["wafBlockedRequests"]
	if !ok {
		t.Fatalf("no wafBlockedRequests alarm in the monitoring stack: %v", sortedKeys(alarms))
	}
	if b, _ := json.Marshal(a); !strings.Contains(string(b), `"Name":"Region","Value":"`+s.cfg.Region+`"`) || a["Threshold"] != s.cfg.Monitoring.Alarm("wafBlockedRequests").Threshold {
		t.Errorf("blocked-requests alarm %s", b)
	}
	for _, stack := range s.platform.Stacks() {
		for _, m := range *assertions.Annotations_FromStack(stack).FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions"))) {
			t.Errorf("%s: %v", *m.Id, m.Entry.Data)
		}
	}
}

func TestPathPattern(t *testing.T) {
	rs := []routes.Route{{Path: "/auth/login"}, {Path: "/payments/orders/{orderId}"}, {Path: "/auth/login"}}
	re := pathPattern("v1", rs)
	if re != `^(/v1)?(/auth/login|/payments/orders/[^/]+)/?$` {
		t.Errorf("pattern %s", re)
	}
	limits := rateLimitedRoutes(config.WAF{LoginRateLimit: 10, PaymentsRateLimit: 20})
	for _, l := range limits {
		for _, r := range l.routes {
			if r.Function == routes.PaymentsWebhook {
				t.Errorf("%s limits Razorpay's webhook", l.name)
			}
		}
	}
	if len(limits) != 2 || limits[0].routes[0].Function != routes.AuthLogin {
		t.Errorf("rate limits %+v", limits)
	}
}

// TestEdgeAlarms: the distribution's 5XX rate and the web ACL's blocked
// requests alarm in us-east-1, where their metrics are, on a topic there
// that the stage's addresses subscribe to; the stage's dashboard draws
// the same figures from that region.
func TestEdgeAlarms(t *testing.T) {
	edgeStages(t, func(t *testing.T, s *synthesized, tmpl assertions.Template) {
		alarms := map[string]map[string]interface{}{}
		for _, r := range resources(tmpl, "AWS::CloudWatch::Alarm") {
			p := r["Properties"].(map[string]interface{})
			alarms[strings.TrimPrefix(p["AlarmName"].(string), "hasivu-"+s.cfg.Name+"-edge-")] = p
		}
		want := []string{"edge5xxRatePercent"}
		if s.cfg.WAF.Enabled {
			want = append(want, "wafBlockedRequests")
		}
		if got := sortedKeys(alarms); !slices.Equal(got, want) {
			t.Errorf("edge alarms %v, want %v", got, want)
		}
		topic := ""
		for id := range resources(tmpl, "AWS::SNS::Topic") {
			topic = id
		}
		for name, p := range alarms {
			a := s.cfg.Monitoring.Alarm(name)
			if p["Threshold"] != a.Threshold || p["EvaluationPeriods"] != float64(a.EvaluationPeriods) {
				t.Errorf("%s: %v over %v, config says %v over %d", name, p["Threshold"], p["EvaluationPeriods"], a.Threshold, a.EvaluationPeriods)
			}
			if fmt.Sprint(p["AlarmActions"]) != fmt.Sprint([]interface{}{map[string]interface{}{"Ref": topic}}) {
				t.Errorf("%s notifies %v", name, p["AlarmActions"])
			}
		}
		if b, _ := json.Marshal(alarms["edge5xxRatePercent"]); !strings.Contains(string(b), `{"Name":"Region","Value":"Global"}`) ||
			!strings.Contains(string(b), `"MetricName":"5xxErrorRate","Namespace":"AWS/CloudFront"`) {
			t.Errorf("5XX alarm %s: CloudFront publishes with Region Global", b)
		}
		for _, email := range s.cfg.Monitoring.AlarmEmails {
			check(t, "subscription "+email, func() {
				tmpl.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), map[string]interface{}{"Protocol": "email", "Endpoint": email})
			})
		}
		body, _ := json.Marshal(dashboardBody(t, s))
		for _, metric := range []string{"Requests", "5xxErrorRate", "CacheHitRate", "OriginLatency"} {
			if !strings.Contains(string(body), `"AWS/CloudFront","`+metric+`","DistributionId","TOKEN","Region","Global"`) {
				t.Errorf("the stage's dashboard does not draw CloudFront's %s", metric)
			}
		}
		if !strings.Contains(string(body), `"region":"`+config.EdgeRegion+`"`) || !strings.Contains(string(body), `"AWS/WAFV2","BlockedRequests"`) {
			t.Errorf("the stage's dashboard does not read the edge's region: %s", body)
		}
	})
}

// TestAccessLogs: the distribution's access logs go, through CloudWatch
// Logs' delivery in us-east-1, to a log group kept edge.logRetentionDays.
func TestAccessLogs(t *testing.T) {
	edgeStages(t, func(t *testing.T, s *synthesized, tmpl assertions.Template) {
		check(t, "delivery", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::Logs::DeliverySource"), map[string]interface{}{
				"LogType": "ACCESS_LOGS", "ResourceArn": assertions.Match_AnyValue(),
			})
			tmpl.HasResourceProperties(jsii.String("AWS::Logs::DeliveryDestination"), map[string]interface{}{"OutputFormat": "json"})
			tmpl.ResourceCountIs(jsii.String("AWS::Logs::Delivery"), jsii.Number(1))
			tmpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]interface{}{
				"LogGroupName": "/aws/cloudfront/hasivu-" + s.cfg.Name, "RetentionInDays": s.cfg.Edge.LogRetentionDays,
			})
		})
	})
}
