package stacks

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// CloudFormation's limits on one stack's template ("Understand
// CloudFormation quotas",
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
// 500 resources, and a template body of at most 1 MB when CloudFormation
// reads it from S3. That is the limit that applies: `cdk deploy` uploads
// every template to the bootstrap stack's asset bucket and passes its URL
// (the default stack synthesizer makes the template a file asset), and the
// api stack's template is already over the 51,200 bytes allowed for a
// template sent inline. 1 MB is read as 10^6 bytes, the smaller reading.
const (
	cfnMaxResources     = 500
	cfnMaxTemplateBytes = 1_000_000
)

// budgetShare is the part of each CloudFormation limit a stack may use:
// the rest is headroom, so that a change that grows a stack towards the
// limit fails this test in its pull request, with a fifth of the limit
// (100 resources, 200 kB) still free for the change that splits the
// stack, instead of failing in CloudFormation during a deploy.
const budgetShare = 0.8

// The budgets of every stack of every stage, derived from the limits
// rather than from today's sizes, so that stacks added later (and
// functions added to the api stack) are held to the same line.
var (
	resourceBudget = int(cfnMaxResources * budgetShare)
	templateBudget = int(cfnMaxTemplateBytes * budgetShare)
)

// overBudget returns what in one stack's synthesised template goes over
// its budgets, empty when nothing does.
func overBudget(stack string, template []byte) []string {
	var t struct {
		Resources map[string]json.RawMessage `json:"Resources"`
	}
	if err := json.Unmarshal(template, &t); err != nil {
		return []string{fmt.Sprintf("%s: template is not JSON: %v", stack, err)}
	}
	var problems []string
	if n := len(t.Resources); n > resourceBudget {
		problems = append(problems, fmt.Sprintf("%s has %d resources, over its budget of %d (CloudFormation's limit: %d)",
			stack, n, resourceBudget, cfnMaxResources))
	}
	if n := len(template); n > templateBudget {
		problems = append(problems, fmt.Sprintf("%s's template is %d bytes, over its budget of %d (CloudFormation's limit: %d)",
			stack, n, templateBudget, cfnMaxTemplateBytes))
	}
	return problems
}

// TestStacksWithinTemplateBudgets checks every stack each stage
// synthesises, whatever stacks the platform has, against its resource and
// byte budgets, and logs how much of each budget it uses.
func TestStacksWithinTemplateBudgets(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		artifacts := *s.assembly.Stacks()
		if len(artifacts) == 0 {
			t.Fatal("the stage synthesised no stacks")
		}
		for _, a := range artifacts {
			b, err := os.ReadFile(*a.TemplateFullPath())
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range overBudget(*a.StackName(), b) {
				t.Error(p)
			}
			var tmpl struct{ Resources map[string]json.RawMessage }
			_ = json.Unmarshal(b, &tmpl)
			t.Logf("%s: %d of %d resources, %d of %d bytes", *a.StackName(), len(tmpl.Resources), resourceBudget,
				len(b), templateBudget)
		}
	})
}

// TestBudgetsCatchAnOversizedStack feeds the check templates just inside
// and just over each budget, so that a check that measures the wrong
// thing cannot pass unnoticed.
func TestBudgetsCatchAnOversizedStack(t *testing.T) {
	template := func(resources, pad int) []byte {
		var b strings.Builder
		b.WriteString(`{"Resources": {`)
		for i := range resources {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"R%d": {"Type": "AWS::SNS::Topic"}`, i)
		}
		fmt.Fprintf(&b, `}, "Description": "%s"}`, strings.Repeat("x", pad))
		return []byte(b.String())
	}
	sized := func(resources, bytes int) []byte {
		t.Helper()
		base := len(template(resources, 0))
		if base > bytes {
			t.Fatalf("%d resources take %d bytes, more than %d", resources, base, bytes)
		}
		return template(resources, bytes-base)
	}
	for _, tc := range []struct {
		name      string
		template  []byte
		wantWords []string
	}{
		{"at both budgets", sized(resourceBudget, templateBudget), nil},
		{"one resource over", sized(resourceBudget+1, templateBudget), []string{"resources"}},
		{"one byte over", sized(resourceBudget, templateBudget+1), []string{"bytes"}},
		{"both over", sized(cfnMaxResources, cfnMaxTemplateBytes), []string{"resources", "bytes"}},
	} {
		got := overBudget("hasivu-test-api", tc.template)
		if len(got) != len(tc.wantWords) {
			t.Errorf("%s: %d problems %q, want %d", tc.name, len(got), got, len(tc.wantWords))
			continue
		}
		for i, w := range tc.wantWords {
			if !strings.Contains(got[i], w) || !strings.Contains(got[i], "hasivu-test-api") {
				t.Errorf("%s: problem %q does not name the stack and the %s", tc.name, got[i], w)
			}
		}
	}
}
