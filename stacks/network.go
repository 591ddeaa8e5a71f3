package stacks

import (
	"net/netip"
	"slices"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
	"github.com/hasivu/infra/lambda/routes"
)

// NetworkStack is the stage's VPC and the security groups of the
// functions, one per set of network needs (GroupOf), which the data tier
// admits where their functions need it.
type NetworkStack struct {
	awscdk.Stack
	Vpc awsec2.Vpc
	// FunctionSubnets are where the Lambda functions run: private with a
	// NAT route when the stage has NAT gateways, isolated otherwise.
	FunctionSubnets *awsec2.SubnetSelection
	// DataSubnets are isolated subnets for RDS, RDS Proxy and ElastiCache.
	DataSubnets *awsec2.SubnetSelection
	// Functions is the security group of the functions that reach only
	// the data tier and the interface endpoints: no route out of the VPC.
	Functions awsec2.SecurityGroup
	// Payments is the security group of the functions that call Razorpay:
	// HTTPS to anywhere (through NAT), the data tier and the endpoints.
	Payments awsec2.SecurityGroup
	// Migrate is migrate's: the database and the endpoints.
	Migrate awsec2.SecurityGroup
	// Previous is the one group every function shared before the groups
	// above (HTTPS anywhere, the proxy, the cache). No function of this
	// release runs in it, but the versions a failed deploy returns the
	// aliases to do, and the network, data and cache stacks are not
	// rolled back with the api stack: it keeps its flows until no release
	// a rollback could return to uses it, then goes, with its rules in
	// the data and cache stacks (a contract step, as for the schema).
	Previous awsec2.SecurityGroup
	// Endpoints are the interface VPC endpoints by service name
	// ("secretsmanager").
	Endpoints map[string]awsec2.InterfaceVpcEndpoint
	// labels names each function group in rule descriptions, by path.
	labels map[string]string
}

// interfaceServices maps config's endpoint names to AWS services.
var interfaceServices = map[string]func() awsec2.InterfaceVpcEndpointAwsService{
	"secretsmanager": awsec2.InterfaceVpcEndpointAwsService_SECRETS_MANAGER,
	"ssm":            awsec2.InterfaceVpcEndpointAwsService_SSM,
	"kms":            awsec2.InterfaceVpcEndpointAwsService_KMS,
	"logs":           awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_LOGS,
	"monitoring":     awsec2.InterfaceVpcEndpointAwsService_CLOUDWATCH_MONITORING,
	"xray":           awsec2.InterfaceVpcEndpointAwsService_XRAY,
	"sts":            awsec2.InterfaceVpcEndpointAwsService_STS,
	"lambda":         awsec2.InterfaceVpcEndpointAwsService_LAMBDA,
}

// NewNetworkStack builds the VPC over the configured zones: public subnets
// for NAT only, function subnets, isolated data subnets, flow logs, an S3
// gateway endpoint and the configured interface endpoints.
func NewNetworkStack(scope constructs.Construct, env Env, cfg config.Network) *NetworkStack {
	stack := newStack(scope, env, "network", "Hasivu "+env.Stage+": VPC, subnets, endpoints, function security groups", false)
	s := &NetworkStack{Stack: stack, Endpoints: map[string]awsec2.InterfaceVpcEndpoint{}, labels: map[string]string{}}

	// Subnet sizes follow the VPC's: functions get a sixteenth of it per
	// zone (Lambda ENIs), NAT and data subnets a 256th (a few ENIs each).
	bits := netip.MustParsePrefix(cfg.CIDR).Bits()
	functionsType := awsec2.SubnetType_PRIVATE_ISOLATED
	var subnets []*awsec2.SubnetConfiguration
	if cfg.NATGateways > 0 {
		functionsType = awsec2.SubnetType_PRIVATE_WITH_EGRESS
		subnets = append(subnets, &awsec2.SubnetConfiguration{
			Name: jsii.String("public"), SubnetType: awsec2.SubnetType_PUBLIC, CidrMask: jsii.Number(bits + 8),
			MapPublicIpOnLaunch: jsii.Bool(false),
		})
	}
	subnets = append(subnets,
		&awsec2.SubnetConfiguration{Name: jsii.String("functions"), SubnetType: functionsType, CidrMask: jsii.Number(bits + 4)},
		&awsec2.SubnetConfiguration{Name: jsii.String("data"), SubnetType: awsec2.SubnetType_PRIVATE_ISOLATED, CidrMask: jsii.Number(bits + 8)},
	)

	flowLogs := awslogs.NewLogGroup(stack, jsii.String("FlowLogs"), &awslogs.LogGroupProps{
		Retention:     retention(cfg.FlowLogs.RetentionDays),
		RemovalPolicy: retained,
	})
	s.Vpc = awsec2.NewVpc(stack, jsii.String("Vpc"), &awsec2.VpcProps{
		IpAddresses:                  awsec2.IpAddresses_Cidr(jsii.String(cfg.CIDR)),
		AvailabilityZones:            jsii.Strings(env.AvailabilityZones...),
		NatGateways:                  jsii.Number(cfg.NATGateways),
		SubnetConfiguration:          &subnets,
		RestrictDefaultSecurityGroup: jsii.Bool(true),
		FlowLogs: &map[string]*awsec2.FlowLogOptions{
			"CloudWatch": {
				Destination: awsec2.FlowLogDestination_ToCloudWatchLogs(flowLogs, nil),
				TrafficType: awsec2.FlowLogTrafficType(cfg.FlowLogs.TrafficType),
			},
		},
		GatewayEndpoints: &map[string]*awsec2.GatewayVpcEndpointOptions{
			"S3": {Service: awsec2.GatewayVpcEndpointAwsService_S3()},
		},
	})
	s.FunctionSubnets = &awsec2.SubnetSelection{SubnetGroupName: jsii.String("functions")}
	s.DataSubnets = &awsec2.SubnetSelection{SubnetGroupName: jsii.String("data")}

	// The functions reach the data tier through rules the data and cache
	// stacks add, the AWS APIs through the interface endpoints below, and
	// only the payment functions the internet (Razorpay), over HTTPS.
	group := func(id, label string) awsec2.SecurityGroup {
		g := awsec2.NewSecurityGroup(stack, jsii.String(id), &awsec2.SecurityGroupProps{
			Vpc:              s.Vpc,
			Description:      jsii.String("Hasivu " + env.Stage + " " + label),
			AllowAllOutbound: jsii.Bool(false),
		})
		s.labels[*g.Node().Path()] = label
		return g
	}
	s.Functions = group("PrivateFunctionsSecurityGroup", "private functions")
	s.Payments = group("PaymentsSecurityGroup", "payment functions")
	s.Migrate = group("MigrateSecurityGroup", "migrate function")
	// Their egress to the endpoints, the proxy and the cache are rules of
	// their own, which leave EC2's default allow-all rule in place.
	denyDefaultEgress(s.Functions)
	denyDefaultEgress(s.Migrate)
	s.Payments.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to Razorpay, through NAT"), nil)
	// As the previous release left it (construct ID, description, rules).
	s.Previous = group("FunctionsSecurityGroup", "Lambda functions")
	s.Previous.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
		jsii.String("HTTPS to Razorpay and AWS APIs"), nil)

	// Interface endpoints admit HTTPS from inside the VPC, so functions,
	// the rotation function and anything else in the VPC reach the
	// service without NAT; calls still need IAM permission.
	for _, name := range cfg.InterfaceEndpoints {
		ep := s.Vpc.AddInterfaceEndpoint(jsii.String(name), &awsec2.InterfaceVpcEndpointOptions{
			Service:           interfaceServices[name](),
			Subnets:           s.FunctionSubnets,
			PrivateDnsEnabled: jsii.Bool(true),
			Open:              jsii.Bool(true),
		})
		suppress(ep.Node().FindChild(jsii.String("SecurityGroup")).Node().DefaultChild(), "CdkNagValidationFailure",
			"AwsSolutions-EC23 cannot resolve the ingress source, which is the VPC's own CIDR (Fn::GetAtt Vpc.CidrBlock) on 443, never 0.0.0.0/0.")
		s.Endpoints[name] = ep
		for _, g := range s.groups() {
			g.Connections().AllowTo(ep, awsec2.Port_Tcp(jsii.Number(443)), jsii.String("HTTPS to the "+name+" endpoint"))
		}
	}

	awscdk.Validations_Of(stack).Acknowledge(&awscdk.Acknowledgment{
		Id:     jsii.String("CloudFormation-Validate::W3010"),
		Reason: jsii.String("Zones come from config/<stage>.yaml on purpose: synth needs no AWS account and every deploy lands in the same zones."),
	})
	return s
}

// GroupOf returns the security group the named function runs in: Payments
// for a function that calls Razorpay, the only one with a way out of the
// VPC; Migrate for the one that owns the schema; Functions for the rest.
func (s *NetworkStack) GroupOf(name string) awsec2.SecurityGroup {
	switch n := routes.NeedsOf(name); {
	case n.Razorpay:
		return s.Payments
	case n.Schema:
		return s.Migrate
	default:
		return s.Functions
	}
}

// GroupsWhere returns, each once and in the order of routes.Deployed, the
// groups of the deployed functions whose needs pass need, then Previous:
// the data and cache stacks admit these and no others.
func (s *NetworkStack) GroupsWhere(need func(routes.Needs) bool) []awsec2.SecurityGroup {
	var out []awsec2.SecurityGroup
	for _, name := range routes.Deployed() {
		if g := s.GroupOf(name); need(routes.NeedsOf(name)) && !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	return append(out, s.Previous)
}

// groups returns the security groups this release's functions run in.
func (s *NetworkStack) groups() []awsec2.SecurityGroup {
	return []awsec2.SecurityGroup{s.Functions, s.Payments, s.Migrate}
}

// Label names a function group in the descriptions of the rules that
// admit it ("payment functions").
func (s *NetworkStack) Label(g awsec2.ISecurityGroup) string { return s.labels[*g.Node().Path()] }

// denyDefaultEgress removes the allow-all egress rule EC2 gives a new
// security group, for a group whose egress rules are all resources of
// their own (rules that name another group): EC2 drops its default only
// for a group whose own SecurityGroupEgress lists rules, and CDK writes
// none there then. CDK's own "allow nothing" placeholder rule does it.
func denyDefaultEgress(g awsec2.SecurityGroup) {
	g.Node().DefaultChild().(awsec2.CfnSecurityGroup).AddPropertyOverride(jsii.String("SecurityGroupEgress"),
		[]map[string]interface{}{{"CidrIp": "255.255.255.255/32", "Description": "Disallow all traffic",
			"IpProtocol": "icmp", "FromPort": 252, "ToPort": 86}})
}
