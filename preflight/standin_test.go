package preflight

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/hasivu/infra/config"
)

// standIn answers the AWS APIs the checks call the way AWS does on the
// wire, from what a test sets, so that the real SDK clients serialise
// the requests and parse the answers: the AWS Query protocol with XML
// answers (STS, CloudFormation, RDS, ElastiCache), JSON 1.1 by
// X-Amz-Target (SSM, Secrets Manager) and REST-JSON (Lambda, API
// Gateway), each with its own encoding of errors.
type standIn struct {
	t      *testing.T
	region string
	// account is the account the credentials belong to.
	account string
	// bootstrapVersion is the CDK bootstrap version parameter; "" means
	// there is none.
	bootstrapVersion string
	// toolkitStatus is the CDKToolkit stack's status; "" means no stack.
	toolkitStatus string
	// edgeBootstrapVersion and edgeToolkitStatus are the same in
	// config.EdgeRegion, which answers only CloudFormation and SSM.
	edgeBootstrapVersion, edgeToolkitStatus string
	// apiStackStatus is the stage's api stack's status; "" means none.
	apiStackStatus string
	// quota and unreserved are Lambda's AccountLimit.
	quota, unreserved int
	// secrets are Secrets Manager's, by name.
	secrets map[string]secret
	// dbOptions are what RDS can order, one per page of answers.
	dbOptions []dbOption
	// cacheOfferings are the node types with reserved-node offerings, by
	// product description; "" lists them whatever the product.
	cacheOfferings map[string][]string
	// cloudwatchRole is API Gateway's account-wide logging role.
	cloudwatchRole string
	// certificates are ACM's in config.EdgeRegion, by ARN.
	certificates map[string]certificate
	// errs makes an operation answer with an error instead, by name.
	errs map[string]apiError
}

type secret struct {
	kmsKeyID, stackTag, value string
	// versions is how many versions the secret has; 0 leaves them out.
	versions int
}

type certificate struct {
	domain   string
	sans     []string
	status   string
	notAfter time.Time
}

type dbOption struct {
	version, class string
	multiAZ        bool
}

type apiError struct {
	status        int
	code, message string
}

// newStandIn is an account where everything a deploy of testStage needs
// is in place.
func newStandIn(t *testing.T) *standIn {
	return &standIn{
		t:                t,
		region:           "ap-south-1",
		account:          "333333333333",
		bootstrapVersion: "21",
		toolkitStatus:    "UPDATE_COMPLETE",
		// Bootstrapped in us-east-1 long ago, still recent enough.
		edgeBootstrapVersion: "14",
		edgeToolkitStatus:    "UPDATE_COMPLETE",
		quota:                1000,
		unreserved:           1000,
		secrets:              map[string]secret{},
		certificates:         map[string]certificate{},
		dbOptions:            []dbOption{{"17.9", "db.r7g.large", false}, {"17.9", "db.r7g.large", true}, {"16.8", "db.r7g.large", true}},
		cacheOfferings:       map[string][]string{"": {"cache.r7g.large", "cache.r6g.large"}},
		errs:                 map[string]apiError{},
	}
}

// start serves the stand-in until the test ends and returns an aws.Config
// aimed at it, without retries: a test asking for an error gets it at
// once.
func (f *standIn) start() aws.Config {
	srv := httptest.NewServer(f)
	f.t.Cleanup(srv.Close)
	return awsConfig(srv.URL)
}

func awsConfig(url string) aws.Config {
	return aws.Config{
		Region:       "us-east-1", // Run must switch to the stage's region
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDPREFLIGHTTEST", "secret", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

func (f *standIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	region := f.region
	if strings.Contains(auth, "/"+config.EdgeRegion+"/") && f.region != config.EdgeRegion {
		region = config.EdgeRegion
		// The edge's region is asked about its bootstrap and certificate
		// alone.
		if target := r.Header.Get("X-Amz-Target"); target != "" && target != "AmazonSSM.GetParameter" &&
			target != "CertificateManager.DescribeCertificate" {
			f.t.Errorf("stand-in: %s asked of %s", target, region)
		}
	} else if !strings.Contains(auth, "/"+f.region+"/") {
		f.t.Errorf("%s %s signed %q, want SigV4 for %s", r.Method, r.URL.Path, auth, f.region)
	}
	switch {
	case r.Header.Get("X-Amz-Target") != "":
		f.serveJSON(w, r, region)
	case r.Method == http.MethodGet && r.URL.Path == "/2016-08-19/account-settings":
		f.serveREST(w, "GetAccountSettings", map[string]any{
			"AccountLimit": map[string]any{"ConcurrentExecutions": f.quota, "UnreservedConcurrentExecutions": f.unreserved,
				"CodeSizeUnzipped": 262144000, "CodeSizeZipped": 52428800, "TotalCodeSize": 80530636800},
			"AccountUsage": map[string]any{"FunctionCount": 0, "TotalCodeSize": 0},
		})
	case r.Method == http.MethodGet && r.URL.Path == "/account":
		account := map[string]any{"apiKeyVersion": "4", "features": []string{"UsagePlans"},
			"throttleSettings": map[string]any{"burstLimit": 5000, "rateLimit": 10000.0}}
		if f.cloudwatchRole != "" {
			account["cloudwatchRoleArn"] = f.cloudwatchRole
		}
		f.serveREST(w, "GetAccount", account)
	case r.Method == http.MethodPost && r.Header.Get("Content-Type") == "application/x-www-form-urlencoded":
		f.serveQuery(w, r, region)
	default:
		f.t.Errorf("stand-in: unexpected %s %s", r.Method, r.URL)
		http.NotFound(w, r)
	}
}

// serveQuery answers the AWS Query protocol: the form's Action names the
// operation, the answer is <ActionResponse><ActionResult>.
func (f *standIn) serveQuery(w http.ResponseWriter, r *http.Request, region string) {
	if err := r.ParseForm(); err != nil {
		f.t.Errorf("stand-in: query form: %v", err)
	}
	form := r.PostForm
	action, ns := form.Get("Action"), queryNamespaces[form.Get("Action")]
	if ns == "" || form.Get("Version") == "" {
		f.t.Errorf("stand-in: unexpected query request %v", form)
	}
	w.Header().Set("Content-Type", "text/xml")
	if e, ok := f.errs[action]; ok {
		queryError(w, ns, e)
		return
	}
	var result string
	switch action {
	case "GetCallerIdentity":
		result = fmt.Sprintf("<Arn>arn:aws:iam::%s:user/deployer</Arn><UserId>AIDAPREFLIGHT</UserId><Account>%s</Account>", f.account, f.account)
	case "DescribeStacks":
		name := form.Get("StackName")
		status := map[string]string{toolkitStack: f.toolkitStatus, "hasivu-prod-api": f.apiStackStatus}[name]
		if region != f.region {
			status = map[string]string{toolkitStack: f.edgeToolkitStatus}[name]
		}
		if status == "" {
			queryError(w, ns, apiError{400, "ValidationError", "Stack with id " + name + " does not exist"})
			return
		}
		result = fmt.Sprintf("<Stacks><member><StackName>%s</StackName><StackId>arn:aws:cloudformation:%s:%s:stack/%s/1</StackId>"+
			"<CreationTime>2026-01-05T10:00:00.000Z</CreationTime><StackStatus>%s</StackStatus></member></Stacks>", name, f.region, f.account, name, status)
	case "DescribeOrderableDBInstanceOptions":
		result = f.orderableOptions(form.Get("Engine"), form.Get("EngineVersion"), form.Get("DBInstanceClass"), form.Get("Marker"))
	case "DescribeReservedCacheNodesOfferings":
		result = f.cacheNodeOfferings(form.Get("CacheNodeType"), form.Get("ProductDescription"))
	}
	fmt.Fprintf(w, `<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></%sResponse>`,
		action, ns, action, result, action, action)
}

// queryNamespaces are the XML namespaces of the Query operations' answers.
var queryNamespaces = map[string]string{
	"GetCallerIdentity":                   "https://sts.amazonaws.com/doc/2011-06-15/",
	"DescribeStacks":                      "http://cloudformation.amazonaws.com/doc/2010-05-15/",
	"DescribeOrderableDBInstanceOptions":  "http://rds.amazonaws.com/doc/2014-10-31/",
	"DescribeReservedCacheNodesOfferings": "http://elasticache.amazonaws.com/doc/2015-02-02/",
}

func queryError(w http.ResponseWriter, ns string, e apiError) {
	w.WriteHeader(e.status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
		ns, e.code, escape(e.message))
}

// orderableOptions answers one option per page, so that the check has to
// follow the Marker.
func (f *standIn) orderableOptions(engine, version, class, marker string) string {
	var match []dbOption
	for _, o := range f.dbOptions {
		if engine == "postgres" && o.version == version && o.class == class {
			match = append(match, o)
		}
	}
	i, _ := strconv.Atoi(marker)
	if i >= len(match) {
		return "<OrderableDBInstanceOptions/>"
	}
	o := match[i]
	next := ""
	if i+1 < len(match) {
		next = fmt.Sprintf("<Marker>%d</Marker>", i+1)
	}
	return fmt.Sprintf("<OrderableDBInstanceOptions><OrderableDBInstanceOption><Engine>postgres</Engine><EngineVersion>%s</EngineVersion>"+
		"<DBInstanceClass>%s</DBInstanceClass><MultiAZCapable>%t</MultiAZCapable><StorageType>gp3</StorageType><Vpc>true</Vpc>"+
		"</OrderableDBInstanceOption></OrderableDBInstanceOptions>%s", o.version, o.class, o.multiAZ, next)
}

func (f *standIn) cacheNodeOfferings(nodeType, product string) string {
	var b strings.Builder
	for _, t := range f.cacheOfferings[product] {
		if t == nodeType {
			fmt.Fprintf(&b, "<ReservedCacheNodesOffering><ReservedCacheNodesOfferingId>off-1</ReservedCacheNodesOfferingId>"+
				"<CacheNodeType>%s</CacheNodeType><Duration>31536000</Duration><FixedPrice>0.0</FixedPrice><UsagePrice>0.0</UsagePrice>"+
				"<ProductDescription>%s</ProductDescription><OfferingType>No Upfront</OfferingType><RecurringCharges/></ReservedCacheNodesOffering>", t, product)
		}
	}
	return "<ReservedCacheNodesOfferings>" + b.String() + "</ReservedCacheNodesOfferings>"
}

// serveJSON answers the JSON 1.1 protocol: X-Amz-Target names the
// service and operation, errors carry __type.
func (f *standIn) serveJSON(w http.ResponseWriter, r *http.Request, region string) {
	target := r.Header.Get("X-Amz-Target")
	_, op, _ := strings.Cut(target, ".")
	var in struct{ Name, SecretId, CertificateArn string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.t.Errorf("stand-in: %s: %v", target, err)
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	if e, ok := f.errs[op]; ok {
		jsonError(w, e)
		return
	}
	switch target {
	case "AmazonSSM.GetParameter":
		version := f.bootstrapVersion
		if region != f.region {
			version = f.edgeBootstrapVersion
		}
		if in.Name != bootstrapVersionParameter || version == "" {
			jsonError(w, apiError{400, "ParameterNotFound", ""})
			return
		}
		writeJSON(w, map[string]any{"Parameter": map[string]any{"Name": in.Name, "Type": "String", "Value": version,
			"Version": 1, "DataType": "text", "ARN": "arn:aws:ssm:" + region + ":" + f.account + ":parameter" + in.Name}})
	case "secretsmanager.DescribeSecret", "secretsmanager.GetSecretValue":
		f.serveSecret(w, op, in.SecretId)
	case "CertificateManager.DescribeCertificate":
		c, ok := f.certificates[in.CertificateArn]
		if !ok || region != config.EdgeRegion {
			jsonError(w, apiError{400, "ResourceNotFoundException", "Could not find certificate " + in.CertificateArn + "."})
			return
		}
		sans := append([]string{c.domain}, c.sans...)
		writeJSON(w, map[string]any{"Certificate": map[string]any{"CertificateArn": in.CertificateArn, "DomainName": c.domain,
			"SubjectAlternativeNames": sans, "Status": c.status, "Type": "AMAZON_ISSUED", "KeyAlgorithm": "RSA-2048",
			"NotBefore": float64(c.notAfter.AddDate(0, -13, 0).Unix()), "NotAfter": float64(c.notAfter.Unix()), "InUseBy": []string{}}})
	default:
		f.t.Errorf("stand-in: unexpected target %s", target)
		jsonError(w, apiError{400, "UnknownOperationException", ""})
	}
}

func (f *standIn) serveSecret(w http.ResponseWriter, op, id string) {
	s, ok := f.secrets[id]
	if !ok {
		jsonError(w, apiError{400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret."})
		return
	}
	answer := map[string]any{"ARN": "arn:aws:secretsmanager:" + f.region + ":" + f.account + ":secret:" + id + "-AbCdEf", "Name": id}
	switch op {
	case "DescribeSecret":
		if s.kmsKeyID != "" {
			answer["KmsKeyId"] = s.kmsKeyID
		}
		if s.stackTag != "" {
			answer["Tags"] = []map[string]string{{"Key": "aws:cloudformation:logical-id", "Value": "RazorpayKeys"}, {"Key": stackNameTag, "Value": s.stackTag}}
		}
		answer["CreatedDate"] = 1.767607e9
		if s.versions > 0 {
			stages := map[string][]string{}
			for i := range s.versions {
				stages[fmt.Sprintf("v%d", i+1)] = []string{"AWSPREVIOUS"}
			}
			stages[fmt.Sprintf("v%d", s.versions)] = []string{"AWSCURRENT"}
			answer["VersionIdsToStages"] = stages
		}
	case "GetSecretValue":
		answer["SecretString"] = s.value
		answer["VersionId"] = "v1"
		answer["VersionStages"] = []string{"AWSCURRENT"}
	}
	writeJSON(w, answer)
}

func jsonError(w http.ResponseWriter, e apiError) {
	w.WriteHeader(e.status)
	writeJSON(w, map[string]string{"__type": e.code, "message": e.message})
}

// serveREST answers a REST-JSON operation, or its error in the
// X-Amzn-ErrorType header.
func (f *standIn) serveREST(w http.ResponseWriter, op string, answer any) {
	w.Header().Set("Content-Type", "application/json")
	if e, ok := f.errs[op]; ok {
		w.Header().Set("X-Amzn-ErrorType", e.code)
		w.WriteHeader(e.status)
		writeJSON(w, map[string]string{"message": e.message})
		return
	}
	writeJSON(w, answer)
}

func writeJSON(w io.Writer, v any) {
	if err := json.NewEncoder(w).Encode(v); err != nil {
		panic(err)
	}
}

func escape(s string) string {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		panic(err)
	}
	return b.String()
}
