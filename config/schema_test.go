package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"
)

var update = flag.Bool("update", false, "rewrite "+SchemaFile+" from the Stage type")

// schemaBlind lists the bad-file cases the schema cannot refuse, and why.
// TestSchemaAgreesWithLoader checks that it does accept them, so that a
// case the schema learns to refuse leaves this list.
var schemaBlind = map[string]string{
	"peak above the ceiling":                  "compares a peak with its function's maxProvisionedConcurrency",
	"concurrency beyond the account's quota":  "adds up every function's reserved and provisioned concurrency",
	"peak window backwards":                   "compares a window's to with its from",
	"zone outside the region":                 "compares each zone with region",
	"domain without a certificate":            "compares edge.domainName with edge.certificateArn",
	"certificate without a domain":            "compares edge.certificateArn with edge.domainName",
	"Lambda Insights without a logs endpoint": "compares functions.insights with network.interfaceEndpoints",
	"alarm looking back over a day":           "multiplies an alarm's evaluationPeriods by its period, which may be the stage's",
	"extends a missing file":                  "needs the other file",
	"extends itself":                          "needs the file's own name",
}

func generateSchema(t *testing.T) []byte {
	t.Helper()
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	zoneInfo, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(goroot)), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Schema(SchemaSource{Dir: ".", ZoneInfo: zoneInfo})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSchemaIsCurrent regenerates the schema and compares it with the
// committed copy; -update rewrites the copy.
func TestSchemaIsCurrent(t *testing.T) {
	got := generateSchema(t)
	if *update {
		if err := os.WriteFile(SchemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(SchemaFile)
	if err != nil {
		t.Fatalf("%v (run `make docs`)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("config/%s is stale: the Stage type, its doc comments or the loader's rules changed; run `make docs` and commit the result", SchemaFile)
	}
}

// TestStageFilesNameTheSchema checks that every committed stage file
// points editors at the schema on its first line.
func TestStageFilesNameTheSchema(t *testing.T) {
	want := "# yaml-language-server: $schema=" + SchemaFile
	for _, name := range Stages() {
		b, err := os.ReadFile(name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(string(b), "\n"); first != want {
			t.Errorf("%s.yaml: first line %q, want %q", name, first, want)
		}
	}
}

// TestSchemaAgreesWithLoader feeds every committed stage file and every
// file of the loader's bad-file table through the committed schema, as an
// editor would, and expects the loader's verdict.
func TestSchemaAgreesWithLoader(t *testing.T) {
	schema := compileSchema(t)
	for _, name := range Stages() {
		b, err := os.ReadFile(name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		if err := validateYAML(schema, b); err != nil {
			t.Errorf("%s.yaml: the loader accepts it, the schema refuses it: %v", name, err)
		}
	}
	for _, c := range badFiles {
		t.Run(c.name, func(t *testing.T) {
			file := c.file(t)
			if _, err := LoadFS(fstest.MapFS{"x.yaml": {Data: []byte(file)}}, "config", "x"); err == nil {
				t.Fatal("the loader accepts the file")
			}
			err := validateYAML(schema, []byte(file))
			switch why, blind := schemaBlind[c.name]; {
			case blind && err != nil:
				t.Errorf("the schema now refuses the file (%v): take %q out of schemaBlind", innermost(err), c.name)
			case blind:
				t.Logf("the schema cannot refuse it: it %s", why)
			case err == nil:
				t.Errorf("the loader refuses it (%s), the schema accepts it", c.want)
			default:
				t.Logf("refused: %s", innermost(err))
			}
		})
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile(SchemaFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaFile, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaFile) // also checks it against the 2020-12 meta-schema
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// validateYAML validates a YAML document the way a YAML language server
// does: a document that does not parse is refused.
func validateYAML(s *jsonschema.Schema, file []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(file, &doc); err != nil {
		return err
	}
	return validateNode(s, &doc)
}

func validateNode(s *jsonschema.Schema, doc *yaml.Node) error {
	var v any
	if err := doc.Decode(&v); err != nil {
		return err
	}
	j, err := json.Marshal(v)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

// innermost is the last line of a validation error: the innermost keyword
// that failed.
func innermost(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		s = strings.TrimSpace(s[i:])
	}
	return s
}

// crossKeyRules are the keys whose valid range the loader judges against
// another key's value, which the schema cannot do: for these alone the
// schema may accept a number the loader refuses.
var crossKeyRules = []*regexp.Regexp{
	regexp.MustCompile(`^network\.natGateways$`),                                   // at most one per zone
	regexp.MustCompile(`^database\.(allocatedStorageGiB|maxAllocatedStorageGiB)$`), // ceiling 10 % above allocation
	regexp.MustCompile(`^database\.proxy\.(maxConnectionsPercent|maxIdleConnectionsPercent)$`),
	regexp.MustCompile(`^functions\.each\.[^.]+\.(reservedConcurrency|provisionedConcurrency|maxProvisionedConcurrency|peaks\..+)$`),
}

// TestSchemaAgreesOnNumbers sets every number in prod.yaml, which sets
// nearly every key, to values around each bound the loader checks, and
// expects the schema's verdict to match the loader's: the schema is never
// stricter, and looser only where crossKeyRules say why.
func TestSchemaAgreesOnNumbers(t *testing.T) {
	schema := compileSchema(t)
	prod, err := os.ReadFile("prod.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, section := range keysOf(reflect.TypeOf(Stage{}), "") {
		t.Run(section, func(t *testing.T) {
			t.Parallel()
			agreeOnNumbers(t, schema, prod, section)
		})
	}
}

// agreeOnNumbers is TestSchemaAgreesOnNumbers for the keys of one
// top-level section of file.
func agreeOnNumbers(t *testing.T, schema *jsonschema.Schema, file []byte, section string) {
	// Each bound the loader checks, and its neighbours.
	values := []int{-1, 0, 1, 2, 5, 6, 7, 10, 20, 22, 29, 30, 31, 35, 36, 60, 90, 91, 100, 101, 127, 128,
		900, 901, 1000, 1001, 1023, 1024, 1149, 1150, 3600, 3601, 5000, 5001, 10000, 10001, 10240, 10241,
		28800, 28801, 65535, 65536, 65537}
	var doc yaml.Node
	if err := yaml.Unmarshal(file, &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc.Content[0], "", func(key string, _, v *yaml.Node) {
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" || (key != section && !strings.HasPrefix(key, section+".")) {
			return
		}
		was := v.Value
		defer func() { v.Value = was }()
		for _, n := range values {
			v.Value = strconv.Itoa(n)
			b, err := yaml.Marshal(&doc)
			if err != nil {
				t.Fatal(err)
			}
			_, loadErr := LoadFS(fstest.MapFS{"x.yaml": {Data: b}}, "config", "x")
			schemaErr := validateNode(schema, &doc)
			switch {
			case loadErr == nil && schemaErr != nil:
				t.Errorf("%s: %d: the loader accepts it, the schema refuses it: %s", key, n, innermost(schemaErr))
			case loadErr != nil && schemaErr == nil && !slices.ContainsFunc(crossKeyRules, func(re *regexp.Regexp) bool { return re.MatchString(key) }):
				t.Errorf("%s: %d: the loader refuses it (%v), the schema accepts it", key, n, loadErr)
			}
		}
	})
}
