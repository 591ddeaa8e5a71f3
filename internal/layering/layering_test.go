package layering

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/hasivu/infra"

// A rule forbids the packages it covers to depend, directly or through
// others, on the packages it bans.
type rule struct {
	name   string
	covers func(pkg string) bool
	bans   func(dep string) bool
}

func under(prefixes ...string) func(string) bool {
	return func(p string) bool {
		for _, prefix := range prefixes {
			if p == prefix || strings.HasPrefix(p, prefix+"/") {
				return true
			}
		}
		return false
	}
}

func in(paths ...string) func(string) bool {
	return func(p string) bool { return slices.Contains(paths, p) }
}

// runtimeClients are the libraries the functions use to reach the world,
// which the CDK app must not link: it only describes the functions.
var runtimeClients = under(
	"github.com/jackc/pgx/v5", "github.com/redis/go-redis/v9", "github.com/pressly/goose/v3",
	"github.com/golang-jwt/jwt/v5", "golang.org/x/crypto/bcrypt", "github.com/aws/aws-lambda-go",
	"github.com/sony/gobreaker/v2", "github.com/aws/aws-sdk-go-v2/service",
)

// cdk is the CDK and what it runs on.
var cdk = under("github.com/aws/aws-cdk-go", "github.com/aws/constructs-go", "github.com/aws/jsii-runtime-go",
	"github.com/cdklabs", module+"/constructs", module+"/stacks", module+"/config")

// domainMay is all a domain package may link beyond the standard library:
// the module's dependency-free helpers (freshness: the rule of versioned
// cache-aside), another domain package, and auth's token and password
// libraries. An allow-list, so that a new or renamed adapter (API Gateway
// events, pgx, go-redis, Razorpay) is caught too.
var domainMay = under(module+"/lambda/apperr", module+"/lambda/ids", module+"/lambda/ist", module+"/lambda/plaintext",
	module+"/lambda/freshness", module+"/lambda/auth", "github.com/golang-jwt/jwt/v5", "golang.org/x/crypto/bcrypt",
	"golang.org/x/crypto/blowfish")

// standard reports whether a package is the standard library's: its path
// has no domain name.
func standard(pkg string) bool {
	first, _, _ := strings.Cut(pkg, "/")
	return !strings.Contains(first, ".")
}

// rules are DESIGN.md's dependency rules.
var rules = []rule{
	{"the CDK app links no runtime client library", in(module, module+"/stacks"), runtimeClients},
	{"the CDK app takes of lambda/ only the route table and the metric declarations", in(module, module+"/stacks"),
		func(dep string) bool {
			return under(module+"/lambda")(dep) && !in(module+"/lambda/routes", module+"/lambda/metrics")(dep)
		}},
	{"nothing under lambda/ links the CDK, the config or the stacks", under(module + "/lambda"), cdk},
	{"constructs import neither config, stacks nor lambda", under(module + "/constructs"),
		under(module+"/config", module+"/stacks", module+"/lambda")},
	{"domain packages import no adapter", in(module+"/lambda/orders", module+"/lambda/menus", module+"/lambda/payments",
		module+"/lambda/rfid", module+"/lambda/auth", module+"/lambda/profiles", module+"/lambda/analytics",
		module+"/lambda/freshness", module+"/lambda/loginguard"), func(dep string) bool { return !standard(dep) && !domainMay(dep) }},
}

// violations lists, for the packages and their dependencies deps, every
// dependency a rule forbids, as "rule: package → dependency".
func violations(deps map[string][]string) []string {
	var out []string
	for _, r := range rules {
		for pkg, ds := range deps {
			if !r.covers(pkg) {
				continue
			}
			for _, d := range ds {
				if r.bans(d) {
					out = append(out, r.name+": "+pkg+" → "+d)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// TestDependencyRules checks every package of the module against the rules,
// with the dependencies `go list` reports (transitive, test files aside).
func TestDependencyRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		deps[fields[0]] = fields[1:]
	}
	for _, must := range []string{module, module + "/stacks", module + "/lambda/routes", module + "/lambda/orders"} {
		if _, ok := deps[must]; !ok {
			t.Fatalf("go list did not list %s: the rules would check nothing", must)
		}
	}
	for _, v := range violations(deps) {
		t.Error(v)
	}
}

// TestRulesCatchABreak feeds the rules dependency lists that break each
// of them, so that a rule that matches nothing cannot pass unnoticed.
func TestRulesCatchABreak(t *testing.T) {
	for _, tc := range []struct {
		pkg, dep string
	}{
		{module, "github.com/jackc/pgx/v5/pgxpool"},
		{module + "/stacks", module + "/lambda/functions"},
		{module + "/lambda/routes", module + "/constructs/gofunction"},
		{module + "/lambda/functions", "github.com/aws/aws-cdk-go/awscdk/v2"},
		{module + "/constructs/monitoring", module + "/lambda/metrics"},
		{module + "/constructs/cachedapi", module + "/config"},
		{module + "/lambda/payments", module + "/lambda/razorpay"},
		{module + "/lambda/orders", "github.com/aws/aws-lambda-go/events"},
		{module + "/lambda/menus", module + "/lambda/redis"},
		{module + "/lambda/rfid", "github.com/jackc/pgx/v5"},
		{module + "/lambda/profiles", module + "/lambda/redis"},
		{module + "/lambda/analytics", module + "/lambda/postgres"},
		{module + "/lambda/freshness", "github.com/redis/go-redis/v9"},
	} {
		if got := violations(map[string][]string{tc.pkg: {tc.dep}}); len(got) == 0 {
			t.Errorf("%s depending on %s breaks no rule", tc.pkg, tc.dep)
		}
	}
	if got := violations(map[string][]string{
		module + "/stacks":         {module + "/lambda/routes", module + "/lambda/metrics", module + "/constructs/gofunction"},
		module + "/lambda/rfid":    {"fmt", module + "/lambda/auth", module + "/lambda/ist", "github.com/golang-jwt/jwt/v5"},
		module + "/lambda/routes":  {"time"},
		module + "/constructs/foo": {"github.com/aws/aws-cdk-go/awscdk/v2"},
	}); len(got) != 0 {
		t.Errorf("allowed dependencies reported: %v", got)
	}
}
