package config

import (
	"maps"
	"slices"
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

// The other lists of values keys may take.
var (
	logRetentionDays  = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}
	removalPolicies   = []string{"retain", "snapshot", "destroy"}
	monitoringSeconds = []int{0, 1, 5, 10, 15, 30, 60}
	reservedUsernames = []string{"postgres", "admin", "rdsadmin", "root"}
	// databaseLogExports are the PostgreSQL logs RDS can export.
	databaseLogExports = []string{"postgresql", "upgrade", "iam-db-auth-error"}
	// cacheMajors are the major versions each cache engine offers.
	cacheMajors       = map[string][]string{"redis": {"6", "7"}, "valkey": {"7", "8"}}
	maxmemoryPolicies = []string{"allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "noeviction"}
	// cacheSizes are the API cache cluster sizes API Gateway offers, in
	// GiB, and 0 for none.
	cacheSizes = []float64{0, 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237}
)

// UsageProfiles are the traffic profiles usageProfile may name, from a
// developer stage with little traffic to production at the plan's load.
var UsageProfiles = []string{"small", "medium", "large"}

// InterfaceEndpointServices are the services network.interfaceEndpoints
// may name.
var InterfaceEndpointServices = []string{"secretsmanager", "ssm", "kms", "logs", "monitoring", "xray", "sts", "lambda"}

// catalogNames lists a catalog's names in full: prefix, family, size.
func catalogNames(catalog map[string][]string, prefix string) []string {
	var names []string
	for _, family := range slices.Sorted(maps.Keys(catalog)) {
		for _, size := range catalog[family] {
			names = append(names, prefix+family+"."+size)
		}
	}
	return names
}

// RedactedLogParameters are the PostgreSQL settings that keep bind
// parameters' values (emails, card numbers) out of the slow-query and error
// logs when set to "0". The data stack sets them so; a stage may not set
// them otherwise.
var RedactedLogParameters = []string{"log_parameter_max_length", "log_parameter_max_length_on_error"}
