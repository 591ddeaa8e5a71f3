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
