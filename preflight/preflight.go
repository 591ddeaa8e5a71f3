// Package preflight checks an AWS account before a stage's first cdk
// deploy, with the credentials the deploy will use. Each check is
// something CloudFormation or Lambda would otherwise find half an hour
// into the deploy, after the network and data stacks have been created
// and with a rollback to wait for:
//
//   - identity: the credentials are of the stage's account, so that the
//     other checks, and the deploy, look at the right one.
//   - bootstrap: cdk bootstrap ran in the region, recently enough for the
//     templates' CheckBootstrapVersion rule.
//   - edge-bootstrap: the same in us-east-1 (config.EdgeRegion), where a
//     stage with CloudFront deploys its edge stack.
//   - edge-certificate: the custom domain's certificate is in ACM in
//     us-east-1, issued, names the domain and is not about to expire.
//   - concurrency: the account's Lambda quota holds what the stage
//     reserves and provisions plus the 100 that Lambda keeps unreserved.
//   - razorpay-secret: the api stack can create its Razorpay secret (no
//     secret of that name outside it, nor one kept from a deleted stack),
//     or the one config names is one the functions can read.
//   - database-engine: RDS offers the PostgreSQL version on the instance
//     class in the region, Multi-AZ where the stage asks for it.
//   - cache-node-type: ElastiCache offers the node type in the region.
//   - api-logging: how API Gateway's account-wide logging role is set,
//     which the api stack's access logs need.
//
// Every check only reads; none creates or changes anything.
package preflight

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/acm"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/hasivu/infra/config"
)

// Status is a check's verdict.
type Status string

const (
	// OK means the deploy will find what it needs.
	OK Status = "OK"
	// Warn means the deploy succeeds but something will not work until
	// someone acts.
	Warn Status = "WARN"
	// Fail means the deploy would fail, or the check could not tell.
	Fail Status = "FAIL"
)

// Result is what one check found and, unless OK, what to do about it.
type Result struct {
	Status Status
	Found  string
	Do     string
}

func ok(found string) Result           { return Result{Status: OK, Found: found} }
func warn(found, do string) Result     { return Result{Status: Warn, Found: found, Do: do} }
func fail(found, do string) Result     { return Result{Status: Fail, Found: found, Do: do} }
func okf(f string, args ...any) Result { return ok(fmt.Sprintf(f, args...)) }

// line is the result as printed: one line, the status and name in
// columns so that a FAIL stands out in a list of OKs.
func (r Result) line(name string) string {
	s := fmt.Sprintf("%-5s %-16s %s", r.Status, name, r.Found)
	if r.Status != OK && r.Do != "" {
		s += ". Do: " + r.Do
	}
	return oneLine(s)
}

var lineBreaks = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ")

func oneLine(s string) string { return lineBreaks.Replace(s) }

// clients are the AWS APIs the checks read, all from one aws.Config so
// that they share its credentials, region and endpoint.
type clients struct {
	sts         *sts.Client
	cfn         *cloudformation.Client
	ssm         *ssm.Client
	lambda      *lambda.Client
	secrets     *secretsmanager.Client
	rds         *rds.Client
	elasticache *elasticache.Client
	apigateway  *apigateway.Client
	// edgeCFN, edgeSSM and edgeACM read the edge stack's region.
	edgeCFN *cloudformation.Client
	edgeSSM *ssm.Client
	edgeACM *acm.Client
}

func newClients(cfg aws.Config) clients {
	edge := cfg.Copy()
	edge.Region = config.EdgeRegion
	return clients{
		edgeCFN:     cloudformation.NewFromConfig(edge),
		edgeSSM:     ssm.NewFromConfig(edge),
		edgeACM:     acm.NewFromConfig(edge),
		sts:         sts.NewFromConfig(cfg),
		cfn:         cloudformation.NewFromConfig(cfg),
		ssm:         ssm.NewFromConfig(cfg),
		lambda:      lambda.NewFromConfig(cfg),
		secrets:     secretsmanager.NewFromConfig(cfg),
		rds:         rds.NewFromConfig(cfg),
		elasticache: elasticache.NewFromConfig(cfg),
		apigateway:  apigateway.NewFromConfig(cfg),
	}
}

// check is one named check.
type check struct {
	name string
	run  func(context.Context, clients, *config.Stage) Result
}

// checks run in this order: identity first, since every other answer is
// about whichever account the credentials belong to.
var checks = []check{
	{"identity", checkIdentity},
	{"bootstrap", checkBootstrap},
	{"edge-bootstrap", checkEdgeBootstrap},
	{"edge-certificate", checkEdgeCertificate},
	{"concurrency", checkConcurrency},
	{"razorpay-secret", checkRazorpaySecret},
	{"database-engine", checkDatabaseEngine},
	{"cache-node-type", checkCacheNodeType},
	{"api-logging", checkAPILogging},
}

// Run runs every check in stage.Region against the account cfg's
// credentials reach, prints one line per check and a summary to out, and
// reports whether any check failed. A check whose API call fails fails
// alone: the others still run, so one run shows everything to fix.
func Run(ctx context.Context, cfg aws.Config, stage *config.Stage, out io.Writer) (failed bool) {
	// The deploy goes to the stage's region whatever the profile says.
	cfg.Region = stage.Region
	c := newClients(cfg)
	fails, warns := 0, 0
	for _, ch := range checks {
		r := runCheck(ctx, c, stage, ch)
		fmt.Fprintln(out, r.line(ch.name))
		switch r.Status {
		case Fail:
			fails++
		case Warn:
			warns++
		}
	}
	switch {
	case fails > 0:
		fmt.Fprintf(out, "preflight: %d of %d checks failed\n", fails, len(checks))
	case warns > 0:
		fmt.Fprintf(out, "preflight: no check failed, %d of %d warned\n", warns, len(checks))
	default:
		fmt.Fprintf(out, "preflight: all %d checks passed\n", len(checks))
	}
	return fails > 0
}

// checkTimeout bounds one check, so that an unreachable endpoint costs
// a minute rather than the SDK's retries of slow dials.
const checkTimeout = time.Minute

func runCheck(ctx context.Context, c clients, stage *config.Stage, ch check) Result {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	return ch.run(ctx, c, stage)
}

// apiFailure is the result of a check whose call AWS did not answer:
// the check cannot tell, and the deploy, whose credentials these are,
// would likely stumble on the same.
func apiFailure(err error) Result {
	return fail(describe(err), "make sure these credentials may make the call and reach AWS, then run preflight again")
}

// describe is err in one line: the operation and, for an answer from
// AWS, its error code and message, or else why the request went unsent,
// without the SDK's request details.
func describe(err error) string {
	op, isOp := errors.AsType[*smithy.OperationError](err)
	if !isOp {
		return oneLine(err.Error())
	}
	cause := op.Err.Error()
	if api, ok := errors.AsType[smithy.APIError](err); ok {
		cause = api.ErrorCode()
		if msg := api.ErrorMessage(); msg != "" {
			cause += ": " + msg
		}
	} else if send, ok := errors.AsType[*smithyhttp.RequestSendError](err); ok {
		cause = send.Err.Error()
	}
	return oneLine(op.Service() + " " + op.Operation() + ": " + cause)
}

// isCode reports whether err is AWS's answer with the given error code.
func isCode(err error, code string) bool {
	api, ok := errors.AsType[smithy.APIError](err)
	return ok && api.ErrorCode() == code
}
