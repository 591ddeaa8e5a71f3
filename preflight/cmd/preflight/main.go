// Command preflight checks, with the credentials of a stage's account,
// what a first cdk deploy of the stage needs (see package preflight):
//
//	go run ./preflight/cmd/preflight -stage prod
//
// It prints one line per check and exits 1 if any check failed, 2 if it
// could not start (a bad flag, stage file or AWS configuration).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/preflight"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command with its exit code, apart from the process.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("preflight", flag.ContinueOnError)
	flags.SetOutput(stderr)
	name := flags.String("stage", "", "stage to check, one of: "+strings.Join(config.Stages(), ", "))
	if err := flags.Parse(args); err != nil {
		return 2
	}
	if *name == "" || flags.NArg() > 0 {
		fmt.Fprintln(stderr, "preflight: usage: preflight -stage NAME, NAME one of: "+strings.Join(config.Stages(), ", "))
		return 2
	}
	stage, err := config.Load(*name)
	if err != nil {
		fmt.Fprintln(stderr, "preflight:", err)
		return 2
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(stage.Region))
	if err != nil {
		fmt.Fprintln(stderr, "preflight: loading the AWS configuration:", oneLine(err))
		return 2
	}
	// Without credentials every check would fail alike; say it once.
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		fmt.Fprintf(stderr, "preflight: no AWS credentials for account %s (set AWS_PROFILE to its profile, or its keys): %s\n", stage.Account, oneLine(err))
		return 2
	}
	if preflight.Run(ctx, cfg, stage, stdout) {
		return 1
	}
	return 0
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
