package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"testing"
)

// TestBuildFlagsMatchTheBundle: the emulator measures a binary built the
// way the deployed one is. It reads gofunction.BuildFlags from the source
// rather than importing the package, which would link the CDK bindings
// into this test.
func TestBuildFlagsMatchTheBundle(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../constructs/gofunction/bundle.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var flags []string
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok || len(vs.Names) != 1 || vs.Names[0].Name != "BuildFlags" || len(vs.Values) != 1 {
			return true
		}
		lit, ok := vs.Values[0].(*ast.CompositeLit)
		if !ok {
			t.Fatalf("gofunction.BuildFlags is no longer a literal: compare the flags some other way")
		}
		found = true
		for _, e := range lit.Elts {
			bl, ok := e.(*ast.BasicLit)
			if !ok {
				t.Fatalf("gofunction.BuildFlags has a non-literal element")
			}
			s, err := strconv.Unquote(bl.Value)
			if err != nil {
				t.Fatal(err)
			}
			flags = append(flags, s)
		}
		return false
	})
	if !found {
		t.Fatal("no BuildFlags in constructs/gofunction/bundle.go")
	}
	if !slices.Equal(lambdaBuildFlags, flags) {
		t.Errorf("bench builds the Lambda binary with %q, the bundle with %q", lambdaBuildFlags, flags)
	}
}
