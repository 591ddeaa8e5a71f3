package stacks

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/lambda/routes"
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

// logicalID returns the logical ID of a construct's resource in its stack.
func logicalID(c interface{ Node() constructs.Node }) string {
	el := c.Node().DefaultChild().(awscdk.CfnElement)
	return *awscdk.Stack_Of(el).GetLogicalId(el)
}

// refersTo reports whether a property value (a Ref, a Fn::GetAtt, or
// another stack's Fn::GetStackOutput of one) names the resource id.
func refersTo(v interface{}, id string) bool {
	b, _ := json.Marshal(v)
	return strings.Contains(string(b), `"`+id+`"`) || strings.Contains(string(b), "FnGetAtt"+id+"GroupId")
}

// egressOf returns every egress rule of the security group with logical ID
// id in the network stack: its inline rules and the rule resources of any
// stack that name it.
func egressOf(s *synthesized, id string) []map[string]interface{} {
	var out []map[string]interface{}
	all := allResources(s)
	group := all[*s.platform.Network.StackName()][id]["Properties"].(map[string]interface{})
	if rules, ok := group["SecurityGroupEgress"].([]interface{}); ok {
		for _, e := range rules {
			out = append(out, e.(map[string]interface{}))
		}
	}
	for _, res := range all {
		for _, r := range res {
			if p, _ := r["Properties"].(map[string]interface{}); r["Type"] == "AWS::EC2::SecurityGroupEgress" && refersTo(p["GroupId"], id) {
				out = append(out, p)
			}
		}
	}
	return out
}

// TestFunctionSecurityGroups: only the functions that call Razorpay may
// reach the internet (HTTPS, through NAT); the others, migrate included,
// reach only the interface endpoints and the data stores their functions
// use; every function runs in its group; no group admits traffic.
func TestFunctionSecurityGroups(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		n := s.platform.Network
		data, cache := s.platform.Data, s.platform.Cache
		proxy := logicalID(data.Node().FindChild(jsii.String("ProxySecurityGroup")))
		cacheGroup := logicalID(cache.Node().FindChild(jsii.String("Cache")).Node().FindChild(jsii.String("SecurityGroup")))
		var endpoints []string
		for _, name := range s.cfg.Network.InterfaceEndpoints {
			endpoints = append(endpoints, logicalID(n.Endpoints[name].Node().FindChild(jsii.String("SecurityGroup"))))
		}
		for _, g := range []struct {
			name           string
			id             string
			internet       bool
			wantPeers      []string
			forbiddenPeers []string
		}{
			{"functions", logicalID(n.Functions), false, append([]string{proxy, cacheGroup}, endpoints...), nil},
			{"payments", logicalID(n.Payments), true, append(append([]string{proxy}, endpoints...), cacheIf(paymentsCache, cacheGroup)...), cacheIf(!paymentsCache, cacheGroup)},
			{"migrate", logicalID(n.Migrate), false, append([]string{proxy}, endpoints...), []string{cacheGroup}},
			// Runs no function of this release; keeps what the previous
			// release's versions need, should a rollback return to them.
			{"previous release's", logicalID(n.Previous), true, []string{proxy, cacheGroup}, nil},
		} {
			var peers []string
			internet := false
			for _, e := range egressOf(s, g.id) {
				cidr, _ := e["CidrIp"].(string)
				switch {
				case e["CidrIpv6"] != nil:
					t.Errorf("%s group: IPv6 egress %v", g.name, e)
				case cidr == "0.0.0.0/0":
					internet = true
					if !g.internet || e["IpProtocol"] != "tcp" || e["FromPort"] != float64(443) || e["ToPort"] != float64(443) {
						t.Errorf("%s group: egress to the internet %v", g.name, e)
					}
				case cidr == "255.255.255.255/32": // CDK's "allow nothing" placeholder
				case cidr != "":
					t.Errorf("%s group: egress to %s", g.name, cidr)
				default:
					b, _ := json.Marshal(e["DestinationSecurityGroupId"])
					peers = append(peers, string(b))
				}
			}
			if internet != g.internet {
				t.Errorf("%s group reaches the internet: %v, want %v", g.name, internet, g.internet)
			}
			for _, want := range g.wantPeers {
				if !slices.ContainsFunc(peers, func(p string) bool { return strings.Contains(p, want) }) {
					t.Errorf("%s group has no egress to %s: %v", g.name, want, peers)
				}
			}
			for _, no := range g.forbiddenPeers {
				if slices.ContainsFunc(peers, func(p string) bool { return strings.Contains(p, no) }) {
					t.Errorf("%s group reaches %s, which none of its functions uses", g.name, no)
				}
			}
			if p := resources(s.template(n.Stack), "AWS::EC2::SecurityGroup")[g.id]["Properties"].(map[string]interface{}); p["SecurityGroupIngress"] != nil {
				t.Errorf("%s group admits traffic: %v", g.name, p["SecurityGroupIngress"])
			}
		}
		// Each function in its group: the payment functions are exactly the
		// ones that call Razorpay; none is in the previous release's.
		for handler, p := range functionsByHandler(t, s) {
			want := n.Functions
			switch needs := routes.NeedsOf(handler); {
			case needs.Razorpay:
				want = n.Payments
			case handler == routes.Migrate:
				want = n.Migrate
			}
			groups := p["VpcConfig"].(map[string]interface{})["SecurityGroupIds"].([]interface{})
			if len(groups) != 1 || !refersTo(groups[0], logicalID(want)) {
				t.Errorf("%s runs in %v, want %s", handler, groups, logicalID(want))
			}
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

// paymentsCache says whether a payment function (one that calls Razorpay)
// caches: then the payments group reaches the cache, else it must not.
var paymentsCache = func() bool {
	for _, name := range routes.Functions() {
		if n := routes.NeedsOf(name); n.Razorpay && n.Cache {
			return true
		}
	}
	return false
}()

// cacheIf is group in a list when cond holds, else no list.
func cacheIf(cond bool, group string) []string {
	if cond {
		return []string{group}
	}
	return nil
}
