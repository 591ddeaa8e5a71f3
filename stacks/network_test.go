package stacks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

func TestNetworkVpc(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		n := s.cfg.Network
		tmpl := s.template(s.platform.Network.Stack)
		check(t, "vpc", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPC"), map[string]interface{}{
				"CidrBlock": n.CIDR, "EnableDnsHostnames": true, "EnableDnsSupport": true,
			})
		})
		zones := len(s.cfg.AvailabilityZones)
		tiers := 2 // functions, data
		if n.NATGateways > 0 {
			tiers = 3 // and public, for NAT only
		}
		check(t, "subnets", func() { tmpl.ResourceCountIs(jsii.String("AWS::EC2::Subnet"), jsii.Number(zones*tiers)) })
		check(t, "NAT gateways", func() { tmpl.ResourceCountIs(jsii.String("AWS::EC2::NatGateway"), jsii.Number(n.NATGateways)) })
		for _, az := range s.cfg.AvailabilityZones {
			check(t, "subnet in "+az, func() {
				tmpl.HasResourceProperties(jsii.String("AWS::EC2::Subnet"), map[string]interface{}{"AvailabilityZone": az})
			})
		}
		// No subnet hands out public addresses, not even the NAT subnets.
		check(t, "no public IPs on launch", func() {
			tmpl.AllResourcesProperties(jsii.String("AWS::EC2::Subnet"), map[string]interface{}{"MapPublicIpOnLaunch": false})
		})
		check(t, "flow logs", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::FlowLog"), map[string]interface{}{
				"ResourceType": "VPC", "TrafficType": n.FlowLogs.TrafficType, "LogDestinationType": "cloud-watch-logs",
			})
			tmpl.HasResourceProperties(jsii.String("AWS::Logs::LogGroup"), map[string]interface{}{"RetentionInDays": n.FlowLogs.RetentionDays})
		})
		check(t, "S3 gateway endpoint", func() {
			tmpl.HasResourceProperties(jsii.String("AWS::EC2::VPCEndpoint"), map[string]interface{}{
				"VpcEndpointType": "Gateway",
				"ServiceName":     assertions.Match_ObjectLike(&map[string]interface{}{}),
			})
		})
		check(t, "interface endpoints", func() {
			tmpl.ResourcePropertiesCountIs(jsii.String("AWS::EC2::VPCEndpoint"),
				map[string]interface{}{"VpcEndpointType": "Interface", "PrivateDnsEnabled": true}, jsii.Number(len(n.InterfaceEndpoints)))
		})
		check(t, "default security group restricted", func() {
			tmpl.ResourceCountIs(jsii.String("Custom::VpcRestrictDefaultSG"), jsii.Number(1))
		})
	})
}

// TestFunctionsSecurityGroup checks the function tier may only speak HTTPS
// outwards from this stack; its data-tier flows live in the data and cache
// stacks.
func TestFunctionsSecurityGroup(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		tmpl := s.template(s.platform.Network.Stack)
		var fn map[string]interface{}
		for _, r := range resources(tmpl, "AWS::EC2::SecurityGroup") {
			p := r["Properties"].(map[string]interface{})
			if strings.HasSuffix(p["GroupDescription"].(string), "Lambda functions") {
				fn = p
			}
		}
		if fn == nil {
			t.Fatal("no functions security group")
		}
		if _, ok := fn["SecurityGroupIngress"]; ok {
			t.Errorf("functions security group admits traffic: %v", fn["SecurityGroupIngress"])
		}
		egress := fn["SecurityGroupEgress"].([]interface{})
		if len(egress) != 1 {
			t.Fatalf("functions egress = %v, want HTTPS only", egress)
		}
		e := egress[0].(map[string]interface{})
		if e["FromPort"] != float64(443) || e["ToPort"] != float64(443) || e["IpProtocol"] != "tcp" {
			t.Errorf("functions egress = %v, want tcp/443", e)
		}
	})
}

// TestZonesNeedNoLookup asserts synth asked CDK for no context lookup: the
// zones come from config.
func TestZonesNeedNoLookup(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		data, err := os.ReadFile(filepath.Join(*s.assembly.Directory(), "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		var manifest struct {
			Missing []interface{} `json:"missing"`
		}
		if err := json.Unmarshal(data, &manifest); err != nil {
			t.Fatal(err)
		}
		if len(manifest.Missing) > 0 {
			t.Errorf("synth needs context lookups: %v", manifest.Missing)
		}
	})
}
