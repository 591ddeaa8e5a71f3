package config

import (
	"slices"
	"strings"
)

// The instance classes and node types AWS offers, by family and size. The
// lists are what the configuration accepts; whether a region offers a
// class is checked again at synth by CloudFormation validation.
var (
	rdsClasses = map[string][]string{
		"t3":  {"micro", "small", "medium", "large", "xlarge", "2xlarge"},
		"t4g": {"micro", "small", "medium", "large", "xlarge", "2xlarge"},
		"m5":  {"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"},
		"m6g": graviton, "m7g": graviton, "m8g": graviton,
		"m6i": intel, "m7i": intel,
		"r5":  {"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge"},
		"r6g": graviton, "r7g": graviton, "r8g": graviton,
		"r6i": intel, "r7i": intel,
	}
	cacheNodeTypes = map[string][]string{
		"t3":  {"micro", "small", "medium"},
		"t4g": {"micro", "small", "medium"},
		"m5":  {"large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"},
		"m6g": graviton, "m7g": graviton,
		"r5":  {"large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"},
		"r6g": graviton, "r7g": graviton,
		"r6gd": {"xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"},
		"c7gn": {"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"},
	}
	graviton = []string{"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge"}
	intel    = []string{"large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge"}
)

func validInstanceClass(class string) bool { return inCatalog(rdsClasses, "db.", class) }

func validNodeType(nodeType string) bool { return inCatalog(cacheNodeTypes, "cache.", nodeType) }

func inCatalog(catalog map[string][]string, prefix, name string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	if !ok {
		return false
	}
	family, size, ok := strings.Cut(rest, ".")
	return ok && slices.Contains(catalog[family], size)
}
