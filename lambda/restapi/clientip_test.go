package restapi_test

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hasivu/infra/lambda/restapi"
)

// TestClientIP: without the edge the client is the source address,
// whatever X-Forwarded-For says; through the edge (an origin key was
// checked) it is the entry CloudFront appended, never one the viewer
// wrote in front of it.
func TestClientIP(t *testing.T) {
	const cloudfront = "130.176.0.5"
	for _, tc := range []struct {
		name, apiKeyID, source, xff, want string
	}{
		{"direct", "", "198.51.100.1", "", "198.51.100.1"},
		{"direct, forged header", "", "198.51.100.1", "10.0.0.1", "198.51.100.1"},
		{"through the edge", "key1", cloudfront, "203.0.113.7, " + cloudfront, "203.0.113.7"},
		{"through the edge, viewer's own header", "key1", cloudfront, "10.0.0.1, 1.2.3.4, 203.0.113.7, " + cloudfront, "203.0.113.7"},
		{"through the edge, IPv6 viewer", "key1", cloudfront, "2001:db8::1, " + cloudfront, "2001:db8::1"},
		{"through the edge, no header", "key1", cloudfront, "", cloudfront},
		{"through the edge, garbage", "key1", cloudfront, "not-an-ip, " + cloudfront, cloudfront},
	} {
		r := &events.APIGatewayProxyRequest{Headers: map[string]string{},
			RequestContext: events.APIGatewayProxyRequestContext{Identity: events.APIGatewayRequestIdentity{SourceIP: tc.source, APIKeyID: tc.apiKeyID}}}
		if tc.xff != "" {
			r.Headers["X-Forwarded-For"] = tc.xff
		}
		if got := restapi.ClientIP(r); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}
