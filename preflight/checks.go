package preflight

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	acmtypes "github.com/aws/aws-sdk-go-v2/service/acm/types"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cfntypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/routes"
)

// checkIdentity makes sure the credentials are of the stage's account:
// every other check, and cdk deploy, acts on whichever account they are.
func checkIdentity(ctx context.Context, c clients, s *config.Stage) Result {
	out, err := c.sts.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return apiFailure(err)
	}
	account := aws.ToString(out.Account)
	if account != s.Account {
		return fail(fmt.Sprintf("the credentials (%s) are of account %s, but %s deploys to %s", aws.ToString(out.Arn), account, s.Name, s.Account),
			"use credentials of the stage's account "+s.Account)
	}
	return okf("account %s, checking %s", account, s.Region)
}

const (
	// bootstrapVersionParameter is where cdk bootstrap records the version
	// of the bootstrap stack with the default qualifier, which the
	// templates' CheckBootstrapVersion rule reads.
	bootstrapVersionParameter = "/cdk-bootstrap/hnb659fds/version"
	// minBootstrapVersion is aws-cdk's DefaultStackSynthesizer
	// MIN_BOOTSTRAP_STACK_VERSION: the rule refuses an older bootstrap.
	minBootstrapVersion = 6
	// toolkitStack is the stack cdk bootstrap deploys.
	toolkitStack = "CDKToolkit"
)

// checkBootstrap makes sure cdk bootstrap ran in the stage's account and
// region and is recent enough: without it, cdk deploy cannot upload the
// function code and the templates' rule refuses the deploy.
func checkBootstrap(ctx context.Context, c clients, s *config.Stage) Result {
	return checkBootstrapIn(ctx, c.cfn, c.ssm, s.Account, s.Region)
}

// checkEdgeBootstrap makes sure cdk bootstrap ran in config.EdgeRegion
// too where the stage has a CloudFront distribution: the edge stack
// (web ACL, distribution, their logs and alarms) deploys there, after the
// api stack, so a missing bootstrap fails the deploy half-way.
func checkEdgeBootstrap(ctx context.Context, c clients, s *config.Stage) Result {
	if !s.Edge.Enabled {
		return ok("not needed: " + s.Name + " has no CloudFront distribution (edge.enabled is false)")
	}
	if s.Region == config.EdgeRegion {
		return ok("the edge stack deploys to the stage's own region, " + s.Region)
	}
	return checkBootstrapIn(ctx, c.edgeCFN, c.edgeSSM, s.Account, config.EdgeRegion)
}

// certificateRenewal is how long before its expiry a certificate is
// worth a warning: ACM starts renewing its own 60 days before, so one
// this close has not renewed (its validation records are gone), and an
// imported one is never renewed.
const certificateRenewal = 30 * 24 * time.Hour

// checkEdgeCertificate makes sure the certificate of the stage's custom
// domain (edge.certificateArn) is one CloudFront can use for
// edge.domainName: in ACM in config.EdgeRegion, issued, naming the domain
// (or a wildcard over it) and not about to expire. Otherwise the edge
// stack's distribution fails to create, after every regional stack has
// deployed.
func checkEdgeCertificate(ctx context.Context, c clients, s *config.Stage) Result {
	switch {
	case !s.Edge.Enabled:
		return ok("not needed: " + s.Name + " has no CloudFront distribution (edge.enabled is false)")
	case s.Edge.CertificateArn == "":
		return ok("not needed: " + s.Name + " has no custom domain (the distribution answers on its cloudfront.net name)")
	}
	arn, domain := s.Edge.CertificateArn, s.Edge.DomainName
	request := fmt.Sprintf("request one in %s (aws acm request-certificate --region %s --domain-name %s --validation-method DNS), validate it, and set edge.certificateArn",
		config.EdgeRegion, config.EdgeRegion, domain)
	out, err := c.edgeACM.DescribeCertificate(ctx, &acm.DescribeCertificateInput{CertificateArn: aws.String(arn)})
	if _, missing := errors.AsType[*acmtypes.ResourceNotFoundException](err); missing {
		return fail(fmt.Sprintf("no certificate %s in ACM in %s, account %s", arn, config.EdgeRegion, s.Account), request)
	}
	if err != nil {
		return apiFailure(err)
	}
	cert := out.Certificate
	if cert.Status != acmtypes.CertificateStatusIssued {
		do := request
		if cert.Status == acmtypes.CertificateStatusPendingValidation {
			do = fmt.Sprintf("create the DNS validation records it lists (aws acm describe-certificate --region %s --certificate-arn %s) and wait for ISSUED", config.EdgeRegion, arn)
		}
		return fail(fmt.Sprintf("certificate %s is %s, not ISSUED", arn, cert.Status), do)
	}
	names := append([]string{aws.ToString(cert.DomainName)}, cert.SubjectAlternativeNames...)
	if !slices.ContainsFunc(names, func(n string) bool { return certificateCovers(n, domain) }) {
		return fail(fmt.Sprintf("certificate %s names %s, not %s", arn, strings.Join(slices.Compact(names), ", "), domain), request)
	}
	if end := aws.ToTime(cert.NotAfter); time.Until(end) < certificateRenewal {
		return warn(fmt.Sprintf("certificate %s for %s expires on %s", arn, domain, end.UTC().Format(time.DateOnly)),
			"renew it: ACM renews a certificate it issued while its DNS validation records are in place; an imported one must be imported again")
	}
	return okf("certificate for %s issued in %s, valid until %s", domain, config.EdgeRegion, aws.ToTime(cert.NotAfter).UTC().Format(time.DateOnly))
}

// certificateCovers reports whether a certificate's name serves domain:
// the same name, or a wildcard standing for exactly its first label.
func certificateCovers(name, domain string) bool {
	name, domain = strings.ToLower(name), strings.ToLower(domain)
	if name == domain {
		return true
	}
	_, parent, found := strings.Cut(domain, ".")
	return found && strings.HasPrefix(name, "*.") && name[2:] == parent
}

// checkBootstrapIn checks cdk bootstrap in one region through that
// region's clients.
func checkBootstrapIn(ctx context.Context, cfn *cloudformation.Client, ssmc *ssm.Client, account, region string) Result {
	bootstrap := fmt.Sprintf("cdk bootstrap aws://%s/%s", account, region)
	if r, broken := brokenToolkitStack(ctx, cfn, bootstrap); broken {
		return r
	}
	out, err := ssmc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(bootstrapVersionParameter)})
	if _, missing := errors.AsType[*ssmtypes.ParameterNotFound](err); missing {
		return fail(fmt.Sprintf("account %s is not bootstrapped in %s (no %s)", account, region, bootstrapVersionParameter), "run "+bootstrap)
	}
	if err != nil {
		return apiFailure(err)
	}
	value := aws.ToString(out.Parameter.Value)
	if v, err := strconv.Atoi(value); err != nil || v < minBootstrapVersion {
		return fail(fmt.Sprintf("bootstrap version %q in %s; the templates need %d or later", value, region, minBootstrapVersion), "re-run "+bootstrap)
	}
	return okf("bootstrap version %s in %s (%d or later needed)", value, region, minBootstrapVersion)
}

// brokenToolkitStack reports a CDKToolkit stack that a failed bootstrap
// left behind: cdk bootstrap cannot update it until someone repairs or
// deletes it. A missing stack is left to the version parameter to report.
func brokenToolkitStack(ctx context.Context, cfn *cloudformation.Client, bootstrap string) (Result, bool) {
	out, err := cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(toolkitStack)})
	if isCode(err, "ValidationError") {
		return Result{}, false // "Stack with id CDKToolkit does not exist"
	}
	if err != nil {
		return apiFailure(err), true
	}
	for _, st := range out.Stacks {
		status := st.StackStatus
		if strings.HasSuffix(string(status), "_FAILED") || status == cfntypes.StackStatusRollbackComplete {
			return fail(fmt.Sprintf("the %s stack is %s", toolkitStack, status),
				"see its events for the cause; delete it if it was never created, then re-run "+bootstrap), true
		}
	}
	return Result{}, false
}

// checkConcurrency makes sure the account's Lambda quota holds what the
// stage reserves and provisions: Lambda refuses reserved or provisioned
// concurrency that would leave fewer than config.MinUnreservedConcurrency
// unreserved, which fails the api stack late in its deploy.
func checkConcurrency(ctx context.Context, c clients, s *config.Stage) Result {
	out, err := c.lambda.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		return apiFailure(err)
	}
	if out.AccountLimit == nil {
		return fail("Lambda answered without the account's limits", "run preflight again")
	}
	_, demand := s.Functions.ConcurrencyDemand(routes.Deployed())
	return judgeConcurrency(s, demand, *out.AccountLimit)
}

// judgeConcurrency compares the stage's demand with the account's quota
// and with the part of it other functions leave unreserved.
func judgeConcurrency(s *config.Stage, demand int, limit lambdatypes.AccountLimit) Result {
	quota, keep := int(limit.ConcurrentExecutions), config.MinUnreservedConcurrency
	if need := demand + keep; quota < need {
		return fail(fmt.Sprintf("the account allows %d concurrent executions; %s reserves or provisions up to %d and Lambda keeps %d unreserved", quota, s.Name, demand, keep),
			fmt.Sprintf("request a quota increase to at least %d (Service Quotas > AWS Lambda > Concurrent executions)", need))
	}
	if quota < s.LambdaConcurrencyLimit {
		// The deploy fits; later changes are validated against a quota
		// the account does not have.
		return warn(fmt.Sprintf("config assumes a quota of %d concurrent executions but the account has %d", s.LambdaConcurrencyLimit, quota),
			fmt.Sprintf("set lambdaConcurrencyLimit: %d in config/%s.yaml, or raise the quota to %d", quota, s.Name, s.LambdaConcurrencyLimit))
	}
	unreserved := quota
	if limit.UnreservedConcurrentExecutions != nil {
		unreserved = int(*limit.UnreservedConcurrentExecutions)
	}
	if unreserved-keep < demand {
		return warn(fmt.Sprintf("%d of the account's %d concurrent executions are unreserved; %s needs up to %d of them and Lambda keeps %d", unreserved, quota, s.Name, demand, keep),
			"if other functions in the account reserve the rest, free some or raise the quota (a stage already deployed counts its own reservations here too)")
	}
	return okf("the account allows %d concurrent executions, %d unreserved; %s reserves or provisions up to %d", quota, unreserved, s.Name, demand)
}

const (
	// stackNameTag is the tag CloudFormation puts on what a stack creates.
	stackNameTag = "aws:cloudformation:stack-name"
	// defaultSecretsKey is the account's default Secrets Manager key, the
	// only one the functions are granted.
	defaultSecretsKey = "alias/aws/secretsmanager"
)

// razorpayKeys are the keys the functions read from the Razorpay secret.
var razorpayKeys = []string{"keyId", "keySecret", "webhookSecret"}

// checkRazorpaySecret makes sure the functions will find Razorpay's keys:
// in the secret config names, or in the one the api stack creates.
func checkRazorpaySecret(ctx context.Context, c clients, s *config.Stage) Result {
	if name := s.API.RazorpaySecretName; name != "" {
		return checkNamedSecret(ctx, c, name)
	}
	return checkStackSecret(ctx, c, s)
}

// checkStackSecret makes sure the api stack can create
// hasivu/<stage>/razorpay: CloudFormation cannot create a secret whose
// name is taken, so one that exists must be the stack's own.
func checkStackSecret(ctx context.Context, c clients, s *config.Stage) Result {
	name, stack := "hasivu/"+s.Name+"/razorpay", "hasivu-"+s.Name+"-api"
	desc, err := c.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if _, missing := errors.AsType[*smtypes.ResourceNotFoundException](err); missing {
		return ok(name + " will be created by the api stack; fill in keyId, keySecret, webhookSecret after the deploy")
	}
	if err != nil {
		return apiFailure(err)
	}
	if tag(desc.Tags, stackNameTag) != stack {
		return fail("a secret named "+name+" exists outside the stack "+stack+"; the api stack cannot create it",
			"name it in api.razorpaySecretName, or delete it")
	}
	// The stack keeps the secret when it is deleted, tag and all: a new
	// stack of the same name then cannot create it.
	_, err = c.cfn.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(stack)})
	if isCode(err, "ValidationError") {
		return fail(name+" was kept when the stack "+stack+" was deleted; the api stack cannot create it again",
			"name it in api.razorpaySecretName (its keys stay), or delete it (aws secretsmanager delete-secret --force-delete-without-recovery)")
	}
	if err != nil {
		return apiFailure(err)
	}
	return checkSecretValue(ctx, c, name, desc, false)
}

// checkNamedSecret makes sure the secret config names exists and holds
// the keys: the api stack only refers to it.
func checkNamedSecret(ctx context.Context, c clients, name string) Result {
	desc, err := c.secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if _, missing := errors.AsType[*smtypes.ResourceNotFoundException](err); missing {
		return fail("api.razorpaySecretName names "+name+", which does not exist in this account and region",
			"create it as JSON with keyId, keySecret and webhookSecret, under the default key")
	}
	if err != nil {
		return apiFailure(err)
	}
	return checkSecretValue(ctx, c, name, desc, true)
}

// checkSecretValue checks what the functions will read: a secret under
// the default key, holding the three keys as JSON. Empty keys fail a
// secret config names (someone meant it to be ready) and only warn for
// the stack's own (the team fills it in after the deploy). It never
// prints the value.
func checkSecretValue(ctx context.Context, c clients, name string, desc *secretsmanager.DescribeSecretOutput, required bool) Result {
	if k := aws.ToString(desc.KmsKeyId); k != "" && k != defaultSecretsKey && !strings.HasSuffix(k, ":"+defaultSecretsKey) {
		return fail(fmt.Sprintf("%s is encrypted with %s; the functions are granted the default key (%s) only", name, k, defaultSecretsKey),
			"re-encrypt it under the default key (aws secretsmanager update-secret --kms-key-id "+defaultSecretsKey+")")
	}
	out, err := c.secrets.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if !required && isCode(err, "AccessDeniedException") {
		// The stack's own secret lets only the payment functions read its
		// value (its resource policy), so its versions tell instead: the
		// stack creates it with the keys empty, and filling it in adds a
		// version.
		if len(desc.VersionIdsToStages) > 1 {
			return ok(name + " has been filled in since the stack created it (only the payment functions may read it)")
		}
		return warn(name+" is not filled in (it holds only the empty keys the stack created it with): payments answer 503 until it is",
			"put Razorpay's keys in it (README, Before the first deploy)")
	}
	if err != nil {
		return apiFailure(err)
	}
	var keys map[string]any
	if json.Unmarshal([]byte(aws.ToString(out.SecretString)), &keys) != nil {
		return fail(name+" is not JSON", `put {"keyId":…,"keySecret":…,"webhookSecret":…} in it (README, Before the first deploy)`)
	}
	var empty []string
	for _, k := range razorpayKeys {
		if v, _ := keys[k].(string); v == "" {
			empty = append(empty, k)
		}
	}
	switch {
	case len(empty) == 0:
		return ok(name + " holds keyId, keySecret and webhookSecret")
	case required:
		return fail(name+" lacks "+strings.Join(empty, ", "), "fill them in with Razorpay's keys")
	default:
		return warn(name+" is not filled in ("+strings.Join(empty, ", ")+" empty): payments answer 503 until it is",
			"put Razorpay's keys in it (README, Before the first deploy)")
	}
}

// tag returns the value of the tag with the given key, or "".
func tag(tags []smtypes.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// checkDatabaseEngine makes sure RDS offers the stage's PostgreSQL version
// on its instance class in its region: the data stack would otherwise
// fail creating the instance, after the network stack and the rest.
func checkDatabaseEngine(ctx context.Context, c clients, s *config.Stage) Result {
	db := s.Database
	what := fmt.Sprintf("PostgreSQL %s on %s in %s", db.EngineVersion, db.InstanceClass, s.Region)
	pages := rds.NewDescribeOrderableDBInstanceOptionsPaginator(c.rds, &rds.DescribeOrderableDBInstanceOptionsInput{
		Engine:          aws.String("postgres"),
		EngineVersion:   aws.String(db.EngineVersion),
		DBInstanceClass: aws.String(db.InstanceClass),
	})
	options, multiAZ := 0, false
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return apiFailure(err)
		}
		for _, o := range page.OrderableDBInstanceOptions {
			options++
			multiAZ = multiAZ || aws.ToBool(o.MultiAZCapable)
		}
	}
	switch {
	case options == 0:
		return fail("RDS does not offer "+what,
			fmt.Sprintf("pick another database.engineVersion (aws rds describe-db-engine-versions --engine postgres --region %s) or instanceClass", s.Region))
	case db.MultiAZ && !multiAZ:
		return fail("RDS offers "+what+", but not Multi-AZ", "pick another database.instanceClass, or set database.multiAz: false")
	case multiAZ:
		return ok("RDS offers " + what + ", Multi-AZ too")
	default:
		return ok("RDS offers " + what)
	}
}

// checkCacheNodeType makes sure ElastiCache offers the stage's node type
// in its region. ElastiCache has no orderable-options API; the
// reserved-node offerings are the documented way to see which node types
// a region offers. They are asked for by node type alone: node types are
// the same for Redis and Valkey, and whether the offerings list Valkey
// under its own product description is not documented.
func checkCacheNodeType(ctx context.Context, c clients, s *config.Stage) Result {
	cache := s.Cache
	out, err := c.elasticache.DescribeReservedCacheNodesOfferings(ctx, &elasticache.DescribeReservedCacheNodesOfferingsInput{
		CacheNodeType: aws.String(cache.NodeType),
		MaxRecords:    aws.Int32(20),
	})
	if err != nil {
		return apiFailure(err)
	}
	what := fmt.Sprintf("nodes of type %s in %s", cache.NodeType, s.Region)
	if len(out.ReservedCacheNodesOfferings) == 0 {
		return fail("ElastiCache offers no "+what,
			fmt.Sprintf("pick another cache.nodeType (aws elasticache describe-reserved-cache-nodes-offerings --region %s lists those offered)", s.Region))
	}
	return ok("ElastiCache offers " + what + " (" + cache.Engine + ")")
}

// checkAPILogging reports API Gateway's account-wide CloudWatch Logs role,
// without which a stage cannot log access: the api stack sets it
// itself, so either way is OK, and the call shows API Gateway answers.
func checkAPILogging(ctx context.Context, c clients, _ *config.Stage) Result {
	out, err := c.apigateway.GetAccount(ctx, &apigateway.GetAccountInput{})
	if err != nil {
		return apiFailure(err)
	}
	if arn := aws.ToString(out.CloudwatchRoleArn); arn != "" {
		return ok("account logs through " + arn + "; the api stack also sets its own role")
	}
	return ok("not set yet; the api stack sets it (AWS::ApiGateway::Account) before the stage that logs access")
}
