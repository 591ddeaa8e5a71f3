package stacks

import (
	"fmt"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/hasivu/infra/lambda/routes"
)

// TestGatewayResponsesAreSecure: every one of API Gateway's own answers
// (validation, throttling, a refused origin key, every other 4XX and
// 5XX) carries the security headers and Cache-Control: no-store, in every
// stage, as the functions' answers do.
func TestGatewayResponsesAreSecure(t *testing.T) {
	forEachStage(t, func(t *testing.T, s *synthesized) {
		got := resources(s.template(s.platform.Api.Stack), "AWS::ApiGateway::GatewayResponse")
		types := map[string]bool{}
		for id, r := range got {
			p := r["Properties"].(map[string]interface{})
			types[fmt.Sprint(p["ResponseType"])] = true
			params, _ := p["ResponseParameters"].(map[string]interface{})
			want := map[string]string{"Cache-Control": routes.NoStore}
			for k, v := range routes.SecurityHeaders {
				want[k] = v
			}
			for k, v := range want {
				if params["gatewayresponse.header."+k] != "'"+v+"'" {
					t.Errorf("%s (%v): %s is %v, want '%s'", id, p["ResponseType"], k, params["gatewayresponse.header."+k], v)
				}
			}
		}
		for _, typ := range []string{"DEFAULT_4XX", "DEFAULT_5XX", "BAD_REQUEST_BODY", "BAD_REQUEST_PARAMETERS", "THROTTLED"} {
			if !types[typ] {
				t.Errorf("no gateway response %s", typ)
			}
		}
	})
}

// TestEdgeAddsSecurityHeaders: where the stage has the edge, every
// behaviour, cached or not, has the response headers policy that sets
// nosniff and HSTS (a year, subdomains) over the origin's, so CloudFront's
// own answers (its errors, the web ACL's blocks) carry them too; the
// policy leaves Cache-Control to the origin.
func TestEdgeAddsSecurityHeaders(t *testing.T) {
	edgeStages(t, func(t *testing.T, s *synthesized, tmpl assertions.Template) {
		policies := resources(tmpl, "AWS::CloudFront::ResponseHeadersPolicy")
		if len(policies) != 1 {
			t.Fatalf("%d response headers policies, want 1", len(policies))
		}
		var id string
		var cfg map[string]interface{}
		for k, r := range policies {
			id, cfg = k, r["Properties"].(map[string]interface{})["ResponseHeadersPolicyConfig"].(map[string]interface{})
		}
		sec, _ := cfg["SecurityHeadersConfig"].(map[string]interface{})
		want := fmt.Sprint(map[string]interface{}{
			"ContentTypeOptions": map[string]interface{}{"Override": true},
			"StrictTransportSecurity": map[string]interface{}{"AccessControlMaxAgeSec": routes.HSTSMaxAge.Seconds(),
				"IncludeSubdomains": true, "Override": true},
		})
		if fmt.Sprint(sec) != want {
			t.Errorf("security headers %v, want %v", sec, want)
		}
		if cfg["CustomHeadersConfig"] != nil {
			t.Errorf("custom headers %v: Cache-Control is the origin's", cfg["CustomHeadersConfig"])
		}
		dist := props(t, tmpl, "AWS::CloudFront::Distribution")["DistributionConfig"].(map[string]interface{})
		all := []interface{}{dist["DefaultCacheBehavior"]}
		if cb, ok := dist["CacheBehaviors"].([]interface{}); ok {
			all = append(all, cb...)
		}
		for _, b := range all {
			b := b.(map[string]interface{})
			if fmt.Sprint(b["ResponseHeadersPolicyId"]) != fmt.Sprint(map[string]interface{}{"Ref": id}) {
				t.Errorf("behaviour %v: response headers policy %v, want %s", b["PathPattern"], b["ResponseHeadersPolicyId"], id)
			}
		}
	})
}
