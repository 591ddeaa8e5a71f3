package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hasivu/infra/constructs/gofunction/assetsize"
)

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeAssembly writes a cloud assembly shaped like the API stack's: one
// layer shared by two functions with one code asset, an AWS layer, and a
// CDK helper function.
func fakeAssembly(t *testing.T) string {
	out := t.TempDir()
	// Incompressible enough to tell sizes apart.
	var bin bytes.Buffer
	for i := range 200_000 {
		bin.WriteByte(byte(i * 7919 >> 3))
	}
	write(t, filepath.Join(out, "asset.layer1", "bootstrap"), bin.String())
	write(t, filepath.Join(out, "asset.code1", "README"), "This function's code is the platform layer's /opt/bootstrap.\n")
	write(t, filepath.Join(out, "asset.helper", "index.js"), strings.Repeat("exports.handler = 1;\n", 50))
	write(t, filepath.Join(out, "hasivu-dev-api.assets.json"), `{"files": {
		"layer1": {"source": {"path": "asset.layer1", "packaging": "zip"}},
		"code1": {"source": {"path": "asset.code1", "packaging": "zip"}},
		"helper": {"source": {"path": "asset.helper", "packaging": "zip"}},
		"tmpl": {"source": {"path": "hasivu-dev-api.template.json", "packaging": "file"}}}}`)
	write(t, filepath.Join(out, "hasivu-dev-api.template.json"), `{"Resources": {
		"PlatformDD5CC455": {"Type": "AWS::Lambda::LayerVersion", "Properties": {"Content": {"S3Bucket": "b", "S3Key": "layer1.zip"}}},
		"menusFunction1": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "menus-daily",
			"Code": {"S3Bucket": "b", "S3Key": "code1.zip"},
			"Layers": [{"Ref": "PlatformDD5CC455"}, "arn:aws:lambda:ap-south-1:176022468876:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:4"]}},
		"migrateFunction2": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "migrate",
			"Code": {"S3Bucket": "b", "S3Key": "code1.zip"}, "Layers": [{"Ref": "PlatformDD5CC455"}]}},
		"TriggerProviderHandler97BECD91": {"Type": "AWS::Lambda::Function", "Properties": {"Handler": "__entrypoint__.handler",
			"Code": {"S3Bucket": "b", "S3Key": "helper.zip"}}},
		"Topic": {"Type": "AWS::SNS::Topic", "Properties": {}}}}`)
	write(t, filepath.Join(out, "hasivu-dev-network.template.json"), `{"Resources": {"Vpc": {"Type": "AWS::EC2::VPC"}}}`)
	return out
}

func TestMeasureBundle(t *testing.T) {
	out := fakeAssembly(t)
	b, err := measureBundle(out, "dev", []string{"menus-daily", "orders-list", "migrate"})
	if err != nil {
		t.Fatal(err)
	}
	layer, _ := assetsize.Zipped(filepath.Join(out, "asset.layer1"))
	code, _ := assetsize.Zipped(filepath.Join(out, "asset.code1"))
	if len(b.Functions) != 2 || b.Functions[0].Name != "menus-daily" || b.Functions[1].Name != "migrate" {
		t.Fatalf("functions = %+v", b.Functions)
	}
	for _, f := range b.Functions {
		if f.Package != code || f.Layers != layer {
			t.Errorf("%s: package %d layers %d, want %d and %d", f.Name, f.Package, f.Layers, code, layer)
		}
	}
	// Shared assets count once.
	if b.Unique != layer+code {
		t.Errorf("unique = %d, want %d", b.Unique, layer+code)
	}
	if b.Binary != 200_000 {
		t.Errorf("binary = %d", b.Binary)
	}
	if len(b.Helpers) != 1 || b.Helpers[0].Name != "TriggerProviderHandler" {
		t.Errorf("helpers = %+v", b.Helpers)
	}
	if len(b.External) != 1 || b.External[0] != "AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:4" {
		t.Errorf("external = %v", b.External)
	}
	st, err := stacks(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 2 || st[0].Name != "hasivu-dev-network" || st[0].Resources != 1 || st[1].Resources != 5 {
		t.Errorf("stacks = %+v", st)
	}
}
