package stacks

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/cxapi"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/internal/pinnednode"
	"github.com/hasivu/infra/lambdabuild"
)

var update = flag.Bool("update", false, "rewrite the golden templates under testdata/")

// synthesized is one stage, built and synthesised once for every test.
type synthesized struct {
	cfg      *config.Stage
	platform *Platform
	assembly cxapi.CloudAssembly
}

// template returns the assertions view of one of the stage's stacks.
func (s *synthesized) template(stack awscdk.Stack) assertions.Template {
	return assertions.Template_FromStack(stack, nil)
}

var stages = map[string]*synthesized{}

// bundle is the Lambda code, built once for every stage.
var bundle *lambdabuild.Bundle

// TestMain synthesises every committed stage once, the way `cdk synth`
// does (cdk.json's context, cdk-nag aspect), because each synth costs
// seconds.
func TestMain(m *testing.M) {
	flag.Parse()
	pinnednode.Skip()
	code := func() int {
		defer jsii.Close()
		dir, err := os.MkdirTemp("", "hasivu-bundle")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		if bundle, err = lambdabuild.Build("..", "./lambda", dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		for _, name := range config.Stages() {
			cfg, err := config.Load(name)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			stages[name] = synth(cfg)
		}
		return m.Run()
	}()
	os.Exit(code)
}

// synth builds and synthesises a stage as main.go does.
func synth(cfg *config.Stage) *synthesized { return synthWith(cfg, bundle) }

// synthWith synthesises a stage with the given Lambda code.
func synthWith(cfg *config.Stage, b *lambdabuild.Bundle) *synthesized {
	app := awscdk.NewApp(&awscdk.AppProps{Context: cdkContext()})
	p := NewPlatform(app, cfg, b)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{}), nil)
	return &synthesized{cfg: cfg, platform: p, assembly: app.Synth(nil)}
}

// buildLambda builds the Lambda code into a test's own folder.
func buildLambda(t *testing.T) (*lambdabuild.Bundle, error) {
	return lambdabuild.Build("..", "./lambda", t.TempDir())
}

// cdkContext is cdk.json's context (the feature flags) plus the keys the
// CLI adds by default, so that tests see the templates `cdk synth` writes.
func cdkContext() *map[string]interface{} {
	data, err := os.ReadFile("../cdk.json")
	if err != nil {
		panic(err)
	}
	var c struct {
		Context map[string]interface{} `json:"context"`
	}
	if err := json.Unmarshal(data, &c); err != nil {
		panic(fmt.Sprintf("cdk.json: %v", err))
	}
	delete(c.Context, "stage")
	c.Context["aws:cdk:enable-path-metadata"] = true
	c.Context["aws:cdk:enable-asset-metadata"] = true
	c.Context["aws:cdk:version-reporting"] = true
	return &c.Context
}

// stageExtending loads a stage file named name that extends the committed
// stage base with yaml.
func stageExtending(t *testing.T, base, name, yaml string) *config.Stage {
	t.Helper()
	b, err := os.ReadFile("../config/" + base + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	fsys := fstest.MapFS{
		base + ".yaml": {Data: b},
		name + ".yaml": {Data: []byte("extends: " + base + "\n" + yaml)},
	}
	cfg, err := config.LoadFS(fsys, "config", name)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// forEachStage runs f as a subtest for every stage.
func forEachStage(t *testing.T, f func(t *testing.T, s *synthesized)) {
	for name, s := range stages {
		t.Run(name, func(t *testing.T) { f(t, s) })
	}
}

// check turns an assertions failure (a jsii panic) into a test error.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

// resources returns the template's resources of one type by logical ID.
func resources(tmpl assertions.Template, typ string) map[string]map[string]interface{} {
	out := map[string]map[string]interface{}{}
	for id, r := range *tmpl.FindResources(jsii.String(typ), nil) {
		out[id] = *r
	}
	return out
}

// props returns the Properties of the single resource of a type.
func props(t *testing.T, tmpl assertions.Template, typ string) map[string]interface{} {
	t.Helper()
	rs := resources(tmpl, typ)
	if len(rs) != 1 {
		t.Fatalf("want exactly one %s, found %d", typ, len(rs))
	}
	for _, r := range rs {
		return r["Properties"].(map[string]interface{})
	}
	return nil
}

// TestGoldenTemplates compares each synthesised template with the one
// committed under testdata/<stage>/; `go test ./stacks -update` rewrites
// them. They are what `make diff` compares a change against.
func TestGoldenTemplates(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		for _, stack := range s.platform.Stacks() {
			got, err := os.ReadFile(*s.assembly.GetStackArtifact(stack.ArtifactId()).TemplateFullPath())
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", s.cfg.Name, *stack.StackName()+".template.json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./stacks -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from the synthesised template; review with `make diff STAGE=%s`, then refresh with go test ./stacks -update", path, s.cfg.Name)
			}
		}
	})
}

// TestNagClean asserts that cdk-nag's AwsSolutions pack reports no
// unsuppressed error or warning on any stack.
func TestNagClean(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		for _, stack := range s.platform.Stacks() {
			a := assertions.Annotations_FromStack(stack)
			all := assertions.Match_StringLikeRegexp(jsii.String(".*"))
			for _, m := range *a.FindError(jsii.String("*"), all) {
				t.Errorf("%s: error at %s: %v", *stack.StackName(), *m.Id, m.Entry.Data)
			}
			for _, m := range *a.FindWarning(jsii.String("*"), all) {
				t.Errorf("%s: warning at %s: %v", *stack.StackName(), *m.Id, m.Entry.Data)
			}
		}
	})
}

// TestValidationReportClean asserts that CloudFormation validation, which
// aws-cdk-lib runs at synth, found nothing in any stack.
func TestValidationReportClean(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		data, err := os.ReadFile(filepath.Join(*s.assembly.Directory(), "validation-report.json"))
		if err != nil {
			t.Fatalf("no validation report: %v", err)
		}
		var report struct {
			PluginReports []struct {
				PluginName string `json:"pluginName"`
				Violations []struct {
					RuleName    string `json:"ruleName"`
					Description string `json:"description"`
				} `json:"violations"`
			} `json:"pluginReports"`
		}
		if err := json.Unmarshal(data, &report); err != nil {
			t.Fatal(err)
		}
		for _, p := range report.PluginReports {
			for _, v := range p.Violations {
				t.Errorf("%s: %s: %s", p.PluginName, v.RuleName, v.Description)
			}
		}
	})
}

// TestNewStageNeedsOnlyAFile synthesises a stage that exists only as a
// config file extending dev.
func TestNewStageNeedsOnlyAFile(t *testing.T) {
	s := synth(stageExtending(t, "dev", "qa", "account: \"444444444444\"\ntags:\n  Environment: qa\n"))
	if got := *s.platform.Data.StackName(); got != "hasivu-qa-data" {
		t.Errorf("data stack name = %s", got)
	}
	check(t, "qa database", func() {
		s.template(s.platform.Data.Stack).HasResourceProperties(jsii.String("AWS::RDS::DBInstance"), map[string]interface{}{
			"DBInstanceIdentifier": "hasivu-qa",
		})
	})
}
