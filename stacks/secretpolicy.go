package stacks

import (
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// readersOnly is the resource-policy statement that keeps a secret's
// value from every principal but its readers. It denies
// secretsmanager:GetSecretValue to any principal whose ARN is none of
// readers (a role session's aws:PrincipalArn is its role's ARN) and, when
// sessions are given, whose aws:userid (role ID:session name) matches none
// of those patterns. Only reading the value is denied: describing,
// updating, rotating and deleting the secret and changing this policy stay
// with IAM, so the account's administrators keep administering it, and can
// change the policy should they ever have to read the value themselves.
func readersOnly(readers []*string, sessions ...string) awsiam.PolicyStatement {
	arns := make([]interface{}, len(readers))
	for i, r := range readers {
		arns[i] = r
	}
	conditions := map[string]interface{}{"ArnNotEquals": map[string]interface{}{"aws:PrincipalArn": arns}}
	if len(sessions) > 0 {
		conditions["StringNotLike"] = map[string]interface{}{"aws:userid": sessions}
	}
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("OnlyItsReadersGetTheValue"),
		Effect:     awsiam.Effect_DENY,
		Principals: &[]awsiam.IPrincipal{awsiam.NewAnyPrincipal()},
		Actions:    jsii.Strings("secretsmanager:GetSecretValue"),
		Resources:  jsii.Strings("*"),
		Conditions: &conditions,
	})
}

// cfnExecutionRole is the ARN of the role CloudFormation deploys the
// stage's stacks in region with: the CDK bootstrap's execution role for
// stack's account and bootstrap qualifier (the name stack's synthesizer
// gives it in stack's own region). CloudFormation reads with it the
// secrets a template refers to dynamically ({{resolve:secretsmanager:…}}):
// the database's master password, the cache's AUTH token, the origin keys.
func cfnExecutionRole(stack awscdk.Stack, region string) *string {
	qualifier := awscdk.DefaultStackSynthesizer_DEFAULT_QUALIFIER()
	if q := stack.Synthesizer().(awscdk.DefaultStackSynthesizer).BootstrapQualifier(); q != nil {
		qualifier = q
	}
	arn := strings.NewReplacer("${Qualifier}", *qualifier, "${AWS::AccountId}", *stack.Account(), "${AWS::Region}", region).
		Replace(*awscdk.DefaultStackSynthesizer_DEFAULT_CLOUDFORMATION_ROLE_ARN())
	return awscdk.Fn_Sub(jsii.String(arn), nil)
}

// secretReads records the roles each secret's value is granted to, in the
// order granted, so that each secret's resource policy names exactly them.
type secretReads struct {
	secrets []awssecretsmanager.ISecret
	readers [][]*string
}

// index returns where secret is recorded, by its construct path, -1 if
// nowhere.
func (r *secretReads) index(secret awssecretsmanager.ISecret) int {
	return slices.IndexFunc(r.secrets, func(s awssecretsmanager.ISecret) bool { return *s.Node().Path() == *secret.Node().Path() })
}

// grant lets fn read secret and records its role as a reader.
func (r *secretReads) grant(secret awssecretsmanager.ISecret, fn awslambda.IFunction) {
	secret.GrantRead(fn, nil)
	r.add(secret, fn.Role().RoleArn())
}

// add records a reader of secret granted its value elsewhere (by the
// construct that owns the secret, or CloudFormation's execution role by
// the CDK bootstrap).
func (r *secretReads) add(secret awssecretsmanager.ISecret, reader *string) {
	i := r.index(secret)
	if i < 0 {
		r.secrets, r.readers = append(r.secrets, secret), append(r.readers, nil)
		i = len(r.secrets) - 1
	}
	r.readers[i] = append(r.readers[i], reader)
}

// lock gives every recorded secret the policy that lets only its readers
// read it, once every resource in after is in place. A secret created in
// scope's stack takes the statement into its own policy; another one (the
// cache's AUTH token, created in the cache stack but read here; a secret
// config names) gets a policy resource in scope, which is the secret's
// whole policy.
//
// The functions of the release before may read with other roles than
// these (the roles of this release are new), and they serve until their
// aliases move: after holds those aliases, so that the policy takes
// effect once they are no longer served, and goes with a deploy that
// rolls back.
func (r *secretReads) lock(scope constructs.Construct, after ...constructs.IDependable) {
	for i, secret := range r.secrets {
		statement := readersOnly(r.readers[i])
		var policy constructs.IConstruct
		if cfn := secret.Node().DefaultChild(); cfn != nil && *awscdk.Stack_Of(secret).StackName() == *awscdk.Stack_Of(scope).StackName() {
			secret.AddToResourcePolicy(statement)
			policy = secret.Node().FindChild(jsii.String("Policy"))
		} else {
			p := awssecretsmanager.NewResourcePolicy(scope, jsii.String(*secret.Node().Id()+"Readers"), &awssecretsmanager.ResourcePolicyProps{
				Secret: secret,
			})
			p.Document().AddStatements(statement)
			policy = p
		}
		policy.Node().AddDependency(after...)
	}
}
