// Command cost prints a stage's monthly AWS cost estimate as Markdown,
// from the stage's config and the price table of its region:
//
//	go run ./cost/cmd/cost -stage prod
//	go run ./cost/cmd/cost -stage prod -profile medium -set natGB=200
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/cost"
)

func main() {
	stage := flag.String("stage", "dev", "stage to estimate, one of: "+strings.Join(config.Stages(), ", "))
	profile := flag.String("profile", "", "usage profile: small, medium or large (default: the stage's usageProfile)")
	var sets []string
	flag.Func("set", "override one usage assumption, key=value (repeatable), e.g. natGB=200", func(kv string) error {
		sets = append(sets, kv)
		return nil
	})
	flag.Parse()

	report, err := estimate(*stage, *profile, sets)
	if err != nil {
		fmt.Fprintln(os.Stderr, "cost:", err)
		os.Exit(1)
	}
	fmt.Print(report.Markdown())
}

func estimate(stage, profile string, sets []string) (cost.Report, error) {
	s, err := config.Load(stage)
	if err != nil {
		return cost.Report{}, err
	}
	prices, err := cost.PricesFor(s.Region)
	if err != nil {
		return cost.Report{}, err
	}
	usage, err := cost.ProfileFor(s, profile)
	if err != nil {
		return cost.Report{}, err
	}
	for _, kv := range sets {
		if err := usage.Set(kv); err != nil {
			return cost.Report{}, err
		}
	}
	return cost.Estimate(s, prices, usage)
}
