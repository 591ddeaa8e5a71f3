package stacks

import (
	"net/netip"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/config"
)

// NetworkStack is the stage's VPC and the security group of the function
// tier, which every data-tier group admits.
type NetworkStack struct {
	awscdk.Stack
	Vpc awsec2.Vpc
	// FunctionSubnets are where the Lambda functions run: private with a
	// NAT route when the stage has NAT gateways, isolated otherwise.
	FunctionSubnets *awsec2.SubnetSelection
	// DataSubnets are isolated subnets for RDS, RDS Proxy and ElastiCache.
	DataSubnets *awsec2.SubnetSelection
	// Functions is the security group of every Lambda function. The data
	// and cache stacks open their ports to it and to nothing else.
	Functions awsec2.SecurityGroup
	// Endpoints are the interface VPC endpoints by service name
	// ("secretsmanager").
	Endpoints map[string]awsec2.InterfaceVpcEndpoint
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
	stack := newStack(scope, env, "network", "Hasivu "+env.Stage+": VPC, subnets, endpoints, function security group", false)
	s := &NetworkStack{Stack: stack, Endpoints: map[string]awsec2.InterfaceVpcEndpoint{}}

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

	// Functions reach the data tier through rules the data and cache
	// stacks add, and the outside world (Razorpay, AWS APIs) over HTTPS.
	s.Functions = awsec2.NewSecurityGroup(stack, jsii.String("FunctionsSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              s.Vpc,
		Description:      jsii.String("Hasivu " + env.Stage + " Lambda functions"),
		AllowAllOutbound: jsii.Bool(false),
	})
	s.Functions.AddEgressRule(awsec2.Peer_AnyIpv4(), awsec2.Port_Tcp(jsii.Number(443)),
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
	}

	awscdk.Validations_Of(stack).Acknowledge(&awscdk.Acknowledgment{
		Id:     jsii.String("CloudFormation-Validate::W3010"),
		Reason: jsii.String("Zones come from config/<stage>.yaml on purpose: synth needs no AWS account and every deploy lands in the same zones."),
	})
	return s
}
