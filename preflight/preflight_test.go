package preflight

import (
	"bytes"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/routes"
)

// testStage deploys prod to 333333333333 in ap-south-1, with its edge in
// us-east-1, reserving or provisioning up to 100 concurrent executions.
func testStage() *config.Stage {
	fns := routes.Deployed()
	return &config.Stage{
		Name: "prod", Account: "333333333333", Region: "ap-south-1", LambdaConcurrencyLimit: 1000,
		Database: config.Database{EngineVersion: "17.9", InstanceClass: "db.r7g.large", MultiAZ: true},
		Cache:    config.Cache{Engine: "valkey", NodeType: "cache.r7g.large"},
		Edge:     config.Edge{Enabled: true},
		Functions: config.Functions{Each: map[string]config.Function{
			fns[0]: {ReservedConcurrency: 60},
			fns[1]: {ProvisionedConcurrency: 20, MaxProvisionedConcurrency: 40},
		}},
	}
}

// run runs every check against the stand-in and returns whether any
// failed, the line of each check by name and the whole output.
func run(t *testing.T, f *standIn, s *config.Stage) (bool, map[string]string, string) {
	t.Helper()
	var out bytes.Buffer
	failed := Run(t.Context(), f.start(), s, &out)
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		if fields := strings.Fields(l); len(fields) > 1 && !strings.HasPrefix(l, "preflight:") {
			lines[fields[1]] = l
		}
	}
	return failed, lines, out.String()
}

// certARN is the custom domain's certificate in us-east-1.
const certARN = "arn:aws:acm:us-east-1:333333333333:certificate/0f1e2d3c"

// inAYear is when a freshly issued certificate expires, to the second.
var inAYear = time.Now().AddDate(1, 0, 0).Truncate(time.Second).UTC()

// withCertificate gives the stage the custom domain api.hasivu.com with
// certARN, which ACM holds as c.
func withCertificate(c certificate) func(*standIn, *config.Stage) {
	return func(f *standIn, s *config.Stage) {
		s.Edge.DomainName, s.Edge.CertificateArn = "api.hasivu.com", certARN
		f.certificates[certARN] = c
	}
}

const (
	filled      = `{"keyId":"rzp_live_K3Y","keySecret":"s3cr3t-value","webhookSecret":"wh-s3cr3t"}`
	emptyKeys   = `{"keyId":"","keySecret":"","webhookSecret":""}`
	stackSecret = "hasivu/prod/razorpay"
	namedSecret = "prod/razorpay-live"
)

func TestChecks(t *testing.T) {
	denied := apiError{403, "AccessDeniedException", "User: arn:aws:iam::333333333333:user/deployer is not authorized to perform this operation"}
	tests := []struct {
		name  string
		check string
		setup func(*standIn, *config.Stage)
		want  Status
		says  []string
	}{
		{"same account", "identity", nil, OK, []string{"account 333333333333, checking ap-south-1"}},
		{"other account", "identity", func(f *standIn, _ *config.Stage) { f.account = "444444444444" }, Fail,
			[]string{"are of account 444444444444, but prod deploys to 333333333333", "Do: use credentials of the stage's account 333333333333"}},
		{"expired credentials", "identity", func(f *standIn, _ *config.Stage) {
			f.errs["GetCallerIdentity"] = apiError{403, "ExpiredToken", "The security token included in the request is expired"}
		}, Fail, []string{"STS GetCallerIdentity: ExpiredToken: The security token included in the request is expired"}},

		{"bootstrapped", "bootstrap", nil, OK, []string{"bootstrap version 21 in ap-south-1 (6 or later needed)"}},
		{"never bootstrapped", "bootstrap", func(f *standIn, _ *config.Stage) { f.bootstrapVersion, f.toolkitStatus = "", "" }, Fail,
			[]string{"not bootstrapped in ap-south-1", "Do: run cdk bootstrap aws://333333333333/ap-south-1"}},
		{"old bootstrap", "bootstrap", func(f *standIn, _ *config.Stage) { f.bootstrapVersion = "5" }, Fail,
			[]string{`bootstrap version "5" in ap-south-1; the templates need 6 or later`, "Do: re-run cdk bootstrap aws://333333333333/ap-south-1"}},
		{"failed bootstrap", "bootstrap", func(f *standIn, _ *config.Stage) { f.bootstrapVersion, f.toolkitStatus = "", "ROLLBACK_COMPLETE" }, Fail,
			[]string{"the CDKToolkit stack is ROLLBACK_COMPLETE", "re-run cdk bootstrap"}},
		{"broken bootstrap", "bootstrap", func(f *standIn, _ *config.Stage) { f.toolkitStatus = "UPDATE_ROLLBACK_FAILED" }, Fail,
			[]string{"the CDKToolkit stack is UPDATE_ROLLBACK_FAILED"}},
		{"parameter unreadable", "bootstrap", func(f *standIn, _ *config.Stage) { f.errs["GetParameter"] = denied }, Fail,
			[]string{"SSM GetParameter: AccessDeniedException: User: arn:aws:iam::333333333333:user/deployer is not authorized"}},

		{"edge bootstrapped", "edge-bootstrap", nil, OK, []string{"bootstrap version 14 in us-east-1 (6 or later needed)"}},
		{"edge region never bootstrapped", "edge-bootstrap", func(f *standIn, _ *config.Stage) { f.edgeBootstrapVersion, f.edgeToolkitStatus = "", "" }, Fail,
			[]string{"account 333333333333 is not bootstrapped in us-east-1", "Do: run cdk bootstrap aws://333333333333/us-east-1"}},
		{"edge region's bootstrap too old", "edge-bootstrap", func(f *standIn, _ *config.Stage) { f.edgeBootstrapVersion = "3" }, Fail,
			[]string{`bootstrap version "3" in us-east-1; the templates need 6 or later`, "Do: re-run cdk bootstrap aws://333333333333/us-east-1"}},
		{"edge region's bootstrap failed", "edge-bootstrap", func(f *standIn, _ *config.Stage) { f.edgeToolkitStatus = "ROLLBACK_COMPLETE" }, Fail,
			[]string{"the CDKToolkit stack is ROLLBACK_COMPLETE", "re-run cdk bootstrap aws://333333333333/us-east-1"}},
		{"no edge", "edge-bootstrap", func(f *standIn, s *config.Stage) {
			s.Edge.Enabled = false
			f.edgeBootstrapVersion, f.edgeToolkitStatus = "", ""
		}, OK, []string{"not needed: prod has no CloudFront distribution (edge.enabled is false)"}},

		{"no custom domain", "edge-certificate", nil, OK, []string{"not needed: prod has no custom domain (the distribution answers on its cloudfront.net name)"}},
		{"no edge, no certificate", "edge-certificate", func(_ *standIn, s *config.Stage) { s.Edge.Enabled = false }, OK,
			[]string{"not needed: prod has no CloudFront distribution"}},
		{"certificate issued", "edge-certificate", withCertificate(certificate{domain: "api.hasivu.com", status: "ISSUED", notAfter: inAYear}), OK,
			[]string{"certificate for api.hasivu.com issued in us-east-1, valid until " + inAYear.Format(time.DateOnly)}},
		{"wildcard certificate", "edge-certificate", withCertificate(certificate{domain: "hasivu.com", sans: []string{"*.hasivu.com"}, status: "ISSUED", notAfter: inAYear}), OK,
			[]string{"certificate for api.hasivu.com issued"}},
		{"certificate in another region", "edge-certificate", func(f *standIn, s *config.Stage) {
			withCertificate(certificate{domain: "api.hasivu.com", status: "ISSUED", notAfter: inAYear})(f, s)
			s.Edge.CertificateArn = strings.Replace(certARN, "us-east-1", "ap-south-1", 1)
		}, Fail, []string{"no certificate arn:aws:acm:ap-south-1:333333333333:certificate/0f1e2d3c in ACM in us-east-1, account 333333333333",
			"Do: request one in us-east-1 (aws acm request-certificate --region us-east-1 --domain-name api.hasivu.com --validation-method DNS)"}},
		{"certificate not validated", "edge-certificate", withCertificate(certificate{domain: "api.hasivu.com", status: "PENDING_VALIDATION", notAfter: inAYear}), Fail,
			[]string{"is PENDING_VALIDATION, not ISSUED", "Do: create the DNS validation records it lists"}},
		{"certificate for another name", "edge-certificate", withCertificate(certificate{domain: "www.hasivu.com", sans: []string{"*.www.hasivu.com"}, status: "ISSUED", notAfter: inAYear}), Fail,
			[]string{"names www.hasivu.com, *.www.hasivu.com, not api.hasivu.com"}},
		{"certificate about to expire", "edge-certificate", withCertificate(certificate{domain: "api.hasivu.com", status: "ISSUED", notAfter: time.Now().AddDate(0, 0, 10)}), Warn,
			[]string{"for api.hasivu.com expires on", "Do: renew it"}},
		{"certificate unreadable", "edge-certificate", func(f *standIn, s *config.Stage) {
			withCertificate(certificate{domain: "api.hasivu.com", status: "ISSUED", notAfter: inAYear})(f, s)
			f.errs["DescribeCertificate"] = denied
		}, Fail, []string{"DescribeCertificate: AccessDeniedException"}},

		{"quota fits", "concurrency", nil, OK,
			[]string{"the account allows 1000 concurrent executions, 1000 unreserved; prod reserves or provisions up to 100"}},
		{"new account's quota", "concurrency", func(f *standIn, _ *config.Stage) { f.quota, f.unreserved = 10, 10 }, Fail,
			[]string{"the account allows 10 concurrent executions; prod reserves or provisions up to 100 and Lambda keeps 100 unreserved",
				"Do: request a quota increase to at least 200 (Service Quotas > AWS Lambda > Concurrent executions)"}},
		{"quota below config's", "concurrency", func(f *standIn, _ *config.Stage) { f.quota, f.unreserved = 500, 500 }, Warn,
			[]string{"config assumes a quota of 1000 concurrent executions but the account has 500",
				"Do: set lambdaConcurrencyLimit: 500 in config/prod.yaml, or raise the quota to 1000"}},
		{"others reserve", "concurrency", func(f *standIn, _ *config.Stage) { f.unreserved = 150 }, Warn,
			[]string{"150 of the account's 1000 concurrent executions are unreserved; prod needs up to 100 of them"}},
		{"throttled", "concurrency", func(f *standIn, _ *config.Stage) {
			f.errs["GetAccountSettings"] = apiError{429, "TooManyRequestsException", "Rate exceeded"}
		}, Fail, []string{"Lambda GetAccountSettings: TooManyRequestsException: Rate exceeded"}},

		{"stack creates it", "razorpay-secret", nil, OK,
			[]string{"hasivu/prod/razorpay will be created by the api stack; fill in keyId, keySecret, webhookSecret after the deploy"}},
		{"stack's, filled in", "razorpay-secret", func(f *standIn, _ *config.Stage) {
			f.secrets[stackSecret] = secret{stackTag: "hasivu-prod-api", value: filled}
			f.apiStackStatus = "UPDATE_COMPLETE"
		}, OK, []string{"hasivu/prod/razorpay holds keyId, keySecret and webhookSecret"}},
		{"stack's, empty", "razorpay-secret", func(f *standIn, _ *config.Stage) {
			f.secrets[stackSecret] = secret{stackTag: "hasivu-prod-api", value: emptyKeys}
			f.apiStackStatus = "CREATE_COMPLETE"
		}, Warn, []string{"not filled in (keyId, keySecret, webhookSecret empty): payments answer 503 until it is"}},
		// Its resource policy lets only the payment functions read it.
		{"stack's, unreadable here, filled in", "razorpay-secret", func(f *standIn, _ *config.Stage) {
			f.secrets[stackSecret] = secret{stackTag: "hasivu-prod-api", value: filled, versions: 2}
			f.apiStackStatus = "UPDATE_COMPLETE"
			f.errs["GetSecretValue"] = denied
		}, OK, []string{"hasivu/prod/razorpay has been filled in since the stack created it (only the payment functions may read it)"}},
		{"stack's, unreadable here, as created", "razorpay-secret", func(f *standIn, _ *config.Stage) {
			f.secrets[stackSecret] = secret{stackTag: "hasivu-prod-api", value: emptyKeys, versions: 1}
			f.apiStackStatus = "UPDATE_COMPLETE"
			f.errs["GetSecretValue"] = denied
		}, Warn, []string{"hasivu/prod/razorpay is not filled in (it holds only the empty keys the stack created it with)"}},
		{"kept from a deleted stack", "razorpay-secret", func(f *standIn, _ *config.Stage) {
			f.secrets[stackSecret] = secret{stackTag: "hasivu-prod-api", value: filled}
		}, Fail, []string{"hasivu/prod/razorpay was kept when the stack hasivu-prod-api was deleted",
			"Do: name it in api.razorpaySecretName (its keys stay), or delete it"}},
		{"name taken", "razorpay-secret", func(f *standIn, _ *config.Stage) { f.secrets[stackSecret] = secret{value: filled} }, Fail,
			[]string{"a secret named hasivu/prod/razorpay exists outside the stack hasivu-prod-api; the api stack cannot create it",
				"Do: name it in api.razorpaySecretName, or delete it"}},
		{"named", "razorpay-secret", func(f *standIn, s *config.Stage) {
			s.API.RazorpaySecretName = namedSecret
			f.secrets[namedSecret] = secret{kmsKeyID: "alias/aws/secretsmanager", value: filled}
		}, OK, []string{"prod/razorpay-live holds keyId, keySecret and webhookSecret"}},
		{"named, missing", "razorpay-secret", func(_ *standIn, s *config.Stage) { s.API.RazorpaySecretName = namedSecret }, Fail,
			[]string{"api.razorpaySecretName names prod/razorpay-live, which does not exist", "Do: create it as JSON with keyId, keySecret and webhookSecret"}},
		{"named, own key", "razorpay-secret", func(f *standIn, s *config.Stage) {
			s.API.RazorpaySecretName = namedSecret
			f.secrets[namedSecret] = secret{kmsKeyID: "arn:aws:kms:ap-south-1:333333333333:key/1234abcd", value: filled}
		}, Fail, []string{"is encrypted with arn:aws:kms:ap-south-1:333333333333:key/1234abcd; the functions are granted the default key"}},
		{"named, not JSON", "razorpay-secret", func(f *standIn, s *config.Stage) {
			s.API.RazorpaySecretName = namedSecret
			f.secrets[namedSecret] = secret{value: "rzp_live_K3Y:s3cr3t-value"}
		}, Fail, []string{"prod/razorpay-live is not JSON"}},
		{"named, partly empty", "razorpay-secret", func(f *standIn, s *config.Stage) {
			s.API.RazorpaySecretName = namedSecret
			f.secrets[namedSecret] = secret{value: `{"keyId":"rzp_live_K3Y","keySecret":"s3cr3t-value"}`}
		}, Fail, []string{"prod/razorpay-live lacks webhookSecret"}},
		{"named, unreadable", "razorpay-secret", func(f *standIn, s *config.Stage) {
			s.API.RazorpaySecretName = namedSecret
			f.secrets[namedSecret] = secret{value: filled}
			f.errs["GetSecretValue"] = denied
		}, Fail, []string{"Secrets Manager GetSecretValue: AccessDeniedException"}},

		{"offered Multi-AZ", "database-engine", nil, OK, []string{"RDS offers PostgreSQL 17.9 on db.r7g.large in ap-south-1, Multi-AZ too"}},
		{"single-AZ", "database-engine", func(f *standIn, s *config.Stage) {
			s.Database.MultiAZ = false
			f.dbOptions = f.dbOptions[:1]
		}, OK, []string{"RDS offers PostgreSQL 17.9 on db.r7g.large in ap-south-1"}},
		{"version not offered", "database-engine", func(_ *standIn, s *config.Stage) { s.Database.EngineVersion = "17.99" }, Fail,
			[]string{"RDS does not offer PostgreSQL 17.99 on db.r7g.large in ap-south-1", "aws rds describe-db-engine-versions --engine postgres --region ap-south-1"}},
		{"not Multi-AZ", "database-engine", func(f *standIn, _ *config.Stage) { f.dbOptions = f.dbOptions[:1] }, Fail,
			[]string{"RDS offers PostgreSQL 17.9 on db.r7g.large in ap-south-1, but not Multi-AZ"}},

		{"node type offered", "cache-node-type", nil, OK, []string{"ElastiCache offers nodes of type cache.r7g.large in ap-south-1 (valkey)"}},
		{"node type not offered here", "cache-node-type", func(_ *standIn, s *config.Stage) { s.Cache.NodeType = "cache.r8g.large" }, Fail,
			[]string{"ElastiCache offers no nodes of type cache.r8g.large in ap-south-1", "describe-reserved-cache-nodes-offerings --region ap-south-1"}},
		{"no such node type", "cache-node-type", func(f *standIn, s *config.Stage) {
			s.Cache.NodeType = "cache.r99.large"
			f.errs["DescribeReservedCacheNodesOfferings"] = apiError{400, "InvalidParameterValue", "Invalid cache node type: cache.r99.large"}
		}, Fail, []string{"ElastiCache DescribeReservedCacheNodesOfferings: InvalidParameterValue: Invalid cache node type"}},

		{"role set", "api-logging", func(f *standIn, _ *config.Stage) { f.cloudwatchRole = "arn:aws:iam::333333333333:role/apigw-logs" }, OK,
			[]string{"account logs through arn:aws:iam::333333333333:role/apigw-logs; the api stack also sets its own role"}},
		{"role not set", "api-logging", nil, OK, []string{"not set yet; the api stack sets it (AWS::ApiGateway::Account)"}},
		{"gateway refuses", "api-logging", func(f *standIn, _ *config.Stage) {
			f.errs["GetAccount"] = apiError{403, "AccessDeniedException", "not authorized to perform apigateway:GET"}
		}, Fail, []string{"API Gateway GetAccount: AccessDeniedException: not authorized to perform apigateway:GET"}},
	}
	for _, tt := range tests {
		t.Run(tt.check+"/"+tt.name, func(t *testing.T) {
			f, s := newStandIn(t), testStage()
			if tt.setup != nil {
				tt.setup(f, s)
			}
			failed, lines, out := run(t, f, s)
			line := lines[tt.check]
			if got := Status(strings.Fields(line + " ?")[0]); got != tt.want {
				t.Errorf("%s is %s, want %s:\n%s", tt.check, got, tt.want, out)
			}
			for _, want := range tt.says {
				if !strings.Contains(line, want) {
					t.Errorf("%s says\n%s\nwant it to say %q", tt.check, line, want)
				}
			}
			if failed != (tt.want == Fail) {
				t.Errorf("Run failed = %v with %s %s:\n%s", failed, tt.check, tt.want, out)
			}
			for _, v := range []string{"rzp_live_K3Y", "s3cr3t-value", "wh-s3cr3t"} {
				if strings.Contains(out, v) {
					t.Errorf("output shows the secret's value %q:\n%s", v, out)
				}
			}
		})
	}
}

// names are the checks in the order Run prints them.
var names = []string{"identity", "bootstrap", "edge-bootstrap", "edge-certificate", "concurrency", "razorpay-secret", "database-engine", "cache-node-type", "api-logging"}

// printed returns the check names of out's lines and its summary line.
func printed(t *testing.T, out string) ([]string, string) {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var got []string
	for _, l := range lines[:len(lines)-1] {
		got = append(got, strings.Fields(l)[1])
	}
	return got, lines[len(lines)-1]
}

func TestRunAllOK(t *testing.T) {
	failed, _, out := run(t, newStandIn(t), testStage())
	t.Logf("all OK:\n%s", out)
	got, summary := printed(t, out)
	if failed || !slices.Equal(got, names) || summary != "preflight: all 9 checks passed" {
		t.Errorf("Run = %v, printed:\n%s\nwant one OK line per check, in order, and a summary", failed, out)
	}
}

func TestRunReportsEveryCheck(t *testing.T) {
	f := newStandIn(t)
	f.quota, f.unreserved = 10, 10
	f.bootstrapVersion, f.toolkitStatus = "", ""
	f.secrets[stackSecret] = secret{stackTag: "hasivu-prod-api", value: emptyKeys}
	f.apiStackStatus = "UPDATE_COMPLETE"
	failed, lines, out := run(t, f, testStage())
	t.Logf("with failures:\n%s", out)
	got, summary := printed(t, out)
	if !failed || !slices.Equal(got, names) || summary != "preflight: 2 of 9 checks failed" {
		t.Errorf("Run = %v, printed:\n%s\nwant failed, one line per check and the count of failures", failed, out)
	}
	// The stage's region unbootstrapped leaves the edge's region's check
	// alone: each reads its own region.
	for name, want := range map[string]Status{"bootstrap": Fail, "edge-bootstrap": OK, "concurrency": Fail, "razorpay-secret": Warn, "identity": OK} {
		if !strings.HasPrefix(lines[name], string(want)+" ") {
			t.Errorf("%s: %s, want %s", name, lines[name], want)
		}
	}
}

func TestAPIErrorFailsOnlyItsCheck(t *testing.T) {
	f := newStandIn(t)
	f.errs["GetAccountSettings"] = apiError{403, "AccessDeniedException", "not authorized to perform lambda:GetAccountSettings"}
	failed, lines, out := run(t, f, testStage())
	if !failed {
		t.Errorf("Run did not fail:\n%s", out)
	}
	for _, name := range names {
		want := OK
		if name == "concurrency" {
			want = Fail
		}
		if !strings.HasPrefix(lines[name], string(want)+" ") {
			t.Errorf("%s: %q, want %s", name, lines[name], want)
		}
	}
}

func TestUnreachableAWSFailsEveryCheck(t *testing.T) {
	srv := httptest.NewServer(nil)
	srv.Close() // connections are refused from here on
	var out bytes.Buffer
	// With a custom domain, so that every check asks AWS.
	s := testStage()
	s.Edge.DomainName, s.Edge.CertificateArn = "api.hasivu.com", certARN
	failed := Run(t.Context(), awsConfig(srv.URL), s, &out)
	got, summary := printed(t, out.String())
	if !failed || !slices.Equal(got, names) || summary != "preflight: 9 of 9 checks failed" {
		t.Errorf("Run = %v, printed:\n%s\nwant every check to fail on its own line", failed, out.String())
	}
	if !strings.Contains(out.String(), "connection refused") {
		t.Errorf("output does not say why:\n%s", out.String())
	}
}
