package stacks

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestAppLinksNoRuntimeLibrary guards DESIGN's dependency rule: of
// lambda/, the CDK app (main and every package it links) takes only the
// route table and the metric declarations, and it links no database,
// cache, JWT or Lambda runtime library. A stack that needs to know
// something about the functions reads it from lambda/routes.
func TestAppLinksNoRuntimeLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/hasivu/infra").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{
		"github.com/jackc/pgx", "github.com/redis/go-redis", "github.com/pressly/goose", "github.com/golang-jwt",
		"golang.org/x/crypto/bcrypt", "github.com/aws/aws-lambda-go", "github.com/sony/gobreaker",
		"github.com/aws/aws-sdk-go-v2/service/",
	}
	catalogs := []string{"github.com/hasivu/infra/lambda/routes", "github.com/hasivu/infra/lambda/metrics"}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.HasPrefix(pkg, f) {
				t.Errorf("the CDK app links %s", pkg)
			}
		}
		if strings.HasPrefix(pkg, "github.com/hasivu/infra/lambda/") && !slices.Contains(catalogs, pkg) {
			t.Errorf("the CDK app links %s; of lambda/ it may link only %v", pkg, catalogs)
		}
	}
}

// TestConstructsTakeProps guards DESIGN's rule for constructs/: what they
// build comes through their props, so no construct links the app's
// config, the stacks or anything under lambda/, directly or through
// another package.
func TestConstructsTakeProps(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/hasivu/infra/constructs/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	pkgs := strings.Fields(string(out))
	if !slices.Contains(pkgs, "github.com/hasivu/infra/constructs/monitoring") {
		t.Fatalf("go list found no constructs: %v", pkgs)
	}
	for _, pkg := range pkgs {
		for _, f := range []string{"github.com/hasivu/infra/config", "github.com/hasivu/infra/stacks", "github.com/hasivu/infra/lambda"} {
			if pkg == f || strings.HasPrefix(pkg, f+"/") {
				t.Errorf("a construct links %s", pkg)
			}
		}
	}
}
