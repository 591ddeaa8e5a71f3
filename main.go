// Command hasivu-infra is the CDK app of the Hasivu platform: it reads the
// stage named by `-c stage=NAME` (cdk.json defaults it to dev), loads
// config/<stage>.yaml and synthesises that stage's stacks.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambdabuild"
	"github.com/hasivu/infra/stacks"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run() (err error) {
	defer jsii.Close()
	// aws-cdk-lib reports a failed synth (CloudFormation validation, a
	// construct's own check) by throwing; show its message, not a trace.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("synth failed: %v", r)
		}
	}()
	app := awscdk.NewApp(nil)
	stage, _ := app.Node().TryGetContext(jsii.String("stage")).(string)
	if stage == "" {
		return fmt.Errorf("no stage given: run with -c stage=NAME (stages: %v)", config.Stages())
	}
	cfg, err := config.Load(stage)
	if err != nil {
		return err
	}
	bundle, err := lambdabuild.Build(".", "./lambda", ".cdk/bundle")
	if err != nil {
		return err
	}
	stacks.NewPlatform(app, cfg, bundle)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)
	app.Synth(nil)
	return nil
}
