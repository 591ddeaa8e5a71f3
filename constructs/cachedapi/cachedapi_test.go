package cachedapi

import (
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/hasivu/infra/internal/pinnednode"
)

// The APIs built from known props, synthesised once in TestMain: a synth
// costs seconds.
var (
	cached, uncached       assertions.Template
	cachedApi, uncachedApi *CachedApi
)

// handler is a function for routes to integrate with; its code never runs.
func handler(stack awscdk.Stack) awslambda.IFunction {
	return awslambda.NewFunction(stack, jsii.String("Handler"), &awslambda.FunctionProps{
		Runtime: awslambda.Runtime_NODEJS_22_X(), Handler: jsii.String("index.handler"),
		Code: awslambda.Code_FromInline(jsii.String("exports.handler = async () => ({statusCode: 200})")),
	})
}

// routes are three methods on three resources: a public one the gateway
// may cache by its path parameter, one with a body, a required header and
// its own throttle, and a per-user one.
func routes(fn awslambda.IFunction) []Route {
	return []Route{
		{Method: "GET", Path: "/items/{itemId}", Handler: fn, Public: true, CacheTTL: awscdk.Duration_Minutes(jsii.Number(5)),
			CacheKey: []string{"path.itemId"}, Query: []string{"fields"}},
		{Method: "POST", Path: "/items", Handler: fn, Headers: []string{"Idempotency-Key"}, Throttle: &Throttle{RateLimit: 5, BurstLimit: 10},
			Body: &awsapigateway.JsonSchema{Type: awsapigateway.JsonSchemaType_OBJECT, Required: jsii.Strings("name")}},
		{Method: "GET", Path: "/me", Handler: fn},
	}
}

// errorHeaders are the cached API's ErrorHeaders.
var errorHeaders = map[string]string{"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}

func TestMain(m *testing.M) {
	pinnednode.Skip()
	code := func() int {
		defer jsii.Close()
		app := awscdk.NewApp(nil)

		one := awscdk.NewStack(app, jsii.String("Cached"), nil)
		cachedApi = NewCachedApi(one, jsii.String("Api"), &CachedApiProps{
			Name: jsii.String("shop"), CacheSizeGiB: jsii.String("0.5"), Throttle: &Throttle{RateLimit: 10, BurstLimit: 20},
			Routes: routes(handler(one)), CorsOrigins: []string{"https://shop.example", "https://admin.shop.example"},
			Tracing: jsii.Bool(true), RequireApiKey: jsii.Bool(true), ErrorHeaders: errorHeaders,
		})

		two := awscdk.NewStack(app, jsii.String("Uncached"), nil)
		uncachedApi = NewCachedApi(two, jsii.String("Api"), &CachedApiProps{
			Name: jsii.String("shop"), StageName: jsii.String("v2"), Throttle: &Throttle{RateLimit: 10, BurstLimit: 20},
			Routes: routes(handler(two)), MinCompressionBytes: jsii.Number(0),
		})

		app.Synth(nil)
		cached = assertions.Template_FromStack(one, nil)
		uncached = assertions.Template_FromStack(two, nil)
		return m.Run()
	}()
	os.Exit(code)
}

// check turns an assertions failure (a jsii panic) into a test error.
func check(t *testing.T, what string, assertion func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	assertion()
}

func counts(t *testing.T, tmpl assertions.Template, want map[string]float64) {
	t.Helper()
	for typ, n := range want {
		check(t, typ, func() { tmpl.ResourceCountIs(jsii.String(typ), jsii.Number(n)) })
	}
}

// settings compares the stage's method settings, by "METHOD path", with
// want, whatever their order.
func settings(t *testing.T, tmpl assertions.Template, want map[string]map[string]interface{}) {
	t.Helper()
	got := map[string]map[string]interface{}{}
	for _, stage := range *tmpl.FindResources(jsii.String("AWS::ApiGateway::Stage"), nil) {
		for _, s := range (*stage)["Properties"].(map[string]interface{})["MethodSettings"].([]interface{}) {
			m := s.(map[string]interface{})
			key := fmt.Sprint(m["HttpMethod"], " ", m["ResourcePath"])
			delete(m, "HttpMethod")
			delete(m, "ResourcePath")
			got[key] = m
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("method settings\n got %v\nwant %v", got, want)
	}
}

// method matches the method of a path and HTTP method.
func method(tmpl assertions.Template, httpMethod, pathPart string, props map[string]interface{}) {
	props["HttpMethod"] = httpMethod
	resource := map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^Api" + pathPart))}
	if pathPart == "" {
		resource = map[string]interface{}{"Fn::GetAtt": []interface{}{assertions.Match_AnyValue(), "RootResourceId"}}
	}
	props["ResourceId"] = resource
	tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Method"), props)
}

func TestCachedApi(t *testing.T) {
	// Three routes, and CORS preflight (OPTIONS) on the root and each of
	// the three resources.
	counts(t, cached, map[string]float64{
		"AWS::ApiGateway::RestApi": 1, "AWS::ApiGateway::Stage": 1, "AWS::ApiGateway::Deployment": 1,
		"AWS::ApiGateway::Resource": 3, "AWS::ApiGateway::Method": 7, "AWS::ApiGateway::RequestValidator": 1,
		"AWS::ApiGateway::Model": 1, "AWS::ApiGateway::GatewayResponse": 5, "AWS::ApiGateway::Account": 1,
		"AWS::Lambda::Permission": 3, "AWS::Logs::LogGroup": 1,
	})
	if got := slices.Sorted(maps.Keys(cachedApi.Methods)); !slices.Equal(got, []string{"GET /items/{itemId}", "GET /me", "POST /items"}) {
		t.Errorf("Methods = %v", got)
	}
	check(t, "regional, compressed above 1 KiB", func() {
		cached.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), map[string]interface{}{
			"Name": "shop", "Description": "shop: 3 routes", "MinimumCompressionSize": 1024,
			"EndpointConfiguration": map[string]interface{}{"Types": []interface{}{"REGIONAL"}},
		})
	})
	check(t, "stage with its cache cluster", func() {
		cached.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), map[string]interface{}{
			"StageName": "v1", "CacheClusterEnabled": true, "CacheClusterSize": "0.5", "TracingEnabled": true,
			"AccessLogSetting": map[string]interface{}{"DestinationArn": assertions.Match_AnyValue(), "Format": accessLogFormat},
		})
	})
	settings(t, cached, map[string]map[string]interface{}{
		"* /*": {"CachingEnabled": false, "CacheDataEncrypted": true, "ThrottlingRateLimit": 10.0, "ThrottlingBurstLimit": 20.0,
			"LoggingLevel": "ERROR", "MetricsEnabled": true, "DataTraceEnabled": false},
		"GET /~1items~1{itemId}": {"CachingEnabled": true, "CacheTtlInSeconds": 300.0, "CacheDataEncrypted": true, "DataTraceEnabled": false},
		"POST /~1items":          {"ThrottlingRateLimit": 5.0, "ThrottlingBurstLimit": 10.0, "DataTraceEnabled": false},
	})
	check(t, "cached route keyed by its path parameter", func() {
		method(cached, "GET", "itemsitemId", map[string]interface{}{
			"OperationName":     "GetItemsItemId",
			"RequestParameters": map[string]interface{}{"method.request.path.itemId": true, "method.request.querystring.fields": false},
			"Integration": map[string]interface{}{"Type": "AWS_PROXY",
				"CacheKeyParameters": []interface{}{"method.request.path.itemId"}},
			"RequestValidatorId": assertions.Match_Absent(),
		})
	})
	check(t, "body and header validated", func() {
		method(cached, "POST", "items", map[string]interface{}{
			"OperationName":      "PostItems",
			"RequestParameters":  map[string]interface{}{"method.request.header.Idempotency-Key": true},
			"RequestValidatorId": map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiBody"))},
			"RequestModels":      map[string]interface{}{"application/json": map[string]interface{}{"Ref": assertions.Match_StringLikeRegexp(jsii.String("^ApiPostItemsBody"))}},
		})
		cached.HasResourceProperties(jsii.String("AWS::ApiGateway::RequestValidator"), map[string]interface{}{
			"ValidateRequestBody": true, "ValidateRequestParameters": true,
		})
		cached.HasResourceProperties(jsii.String("AWS::ApiGateway::Model"), map[string]interface{}{
			"ContentType": "application/json", "Schema": map[string]interface{}{"type": "object", "required": []interface{}{"name"}},
		})
	})
	check(t, "per-user route has no cache key", func() {
		method(cached, "GET", "me", map[string]interface{}{
			"Integration": map[string]interface{}{"CacheKeyParameters": []interface{}{}},
		})
	})
	check(t, "CORS preflight for the routes' methods", func() {
		for _, res := range []string{"", "me", "items"} {
			method(cached, "OPTIONS", res, map[string]interface{}{
				"Integration": map[string]interface{}{"IntegrationResponses": []interface{}{map[string]interface{}{
					"ResponseParameters": map[string]interface{}{
						"method.response.header.Access-Control-Allow-Origin":  "'https://shop.example'",
						"method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS,POST'",
						"method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization'",
						"method.response.header.Vary":                         "'Origin'",
					},
				}}},
			})
		}
	})
	// The public route's preflight, like its answers, is the same for
	// every caller: any origin, no Vary.
	check(t, "CORS preflight of the public route for any origin", func() {
		method(cached, "OPTIONS", "itemsitemId", map[string]interface{}{
			"Integration": map[string]interface{}{"IntegrationResponses": []interface{}{map[string]interface{}{
				"ResponseParameters": assertions.Match_ObjectEquals(&map[string]interface{}{
					"method.response.header.Access-Control-Allow-Origin":  "'*'",
					"method.response.header.Access-Control-Allow-Methods": "'GET,OPTIONS,POST'",
					"method.response.header.Access-Control-Allow-Headers": "'Content-Type,Authorization'",
					"method.response.header.Access-Control-Max-Age":       "'3600'",
				}),
			}}},
		})
	})
	for _, r := range []struct{ name, code string }{
		{"BadRequestBody", "BAD_REQUEST_BODY"}, {"BadRequestParameters", "BAD_REQUEST_PARAMETERS"}, {"Throttled", "THROTTLED"},
		{"Default4XX", "DEFAULT_4XX"}, {"Default5XX", "DEFAULT_5XX"},
	} {
		check(t, "gateway response "+r.name, func() {
			cached.HasResourceProperties(jsii.String("AWS::ApiGateway::GatewayResponse"), map[string]interface{}{
				"ResponseType": r.code,
				"ResponseParameters": assertions.Match_ObjectEquals(&map[string]interface{}{
					"gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
					"gatewayresponse.header.X-Content-Type-Options":      "'nosniff'",
					"gatewayresponse.header.Cache-Control":               "'no-store'",
				}),
				"ResponseTemplates": map[string]interface{}{"application/json": assertions.Match_StringLikeRegexp(jsii.String(`^\{"error":\{"code":`))},
			})
		})
	}
}

func TestUncachedApi(t *testing.T) {
	// No CORS: the routes' methods alone.
	counts(t, uncached, map[string]float64{
		"AWS::ApiGateway::RestApi": 1, "AWS::ApiGateway::Stage": 1, "AWS::ApiGateway::Resource": 3,
		"AWS::ApiGateway::Method": 3, "AWS::ApiGateway::GatewayResponse": 5, "AWS::Lambda::Permission": 3,
	})
	check(t, "no cache cluster", func() {
		uncached.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), map[string]interface{}{
			"StageName": "v2", "CacheClusterEnabled": false, "CacheClusterSize": assertions.Match_Absent(), "TracingEnabled": false,
		})
	})
	// Nothing cached, whatever the route allows.
	settings(t, uncached, map[string]map[string]interface{}{
		"* /*": {"CachingEnabled": false, "ThrottlingRateLimit": 10.0, "ThrottlingBurstLimit": 20.0,
			"LoggingLevel": "ERROR", "MetricsEnabled": true, "DataTraceEnabled": false},
		"POST /~1items": {"ThrottlingRateLimit": 5.0, "ThrottlingBurstLimit": 10.0, "DataTraceEnabled": false},
	})
	check(t, "compression from the first byte", func() {
		uncached.HasResourceProperties(jsii.String("AWS::ApiGateway::RestApi"), map[string]interface{}{"MinimumCompressionSize": 0})
	})
	check(t, "gateway responses without CORS", func() {
		uncached.HasResourceProperties(jsii.String("AWS::ApiGateway::GatewayResponse"), map[string]interface{}{
			"ResponseType": "DEFAULT_5XX", "ResponseParameters": assertions.Match_ObjectEquals(&map[string]interface{}{}),
		})
	})
	if len(uncachedApi.Methods) != 3 {
		t.Errorf("%d methods, want 3", len(uncachedApi.Methods))
	}
}

// TestApiKeyRequired: with RequireApiKey every route's method, cached
// or not, refuses a request without a key, while CORS preflights stay
// open (a browser sends no key with them); without it no method asks.
func TestApiKeyRequired(t *testing.T) {
	for name, tc := range map[string]struct {
		tmpl assertions.Template
		want bool
	}{"cached": {cached, true}, "uncached": {uncached, false}} {
		methods := *tc.tmpl.FindResources(jsii.String("AWS::ApiGateway::Method"), nil)
		routed := 0
		for id, m := range methods {
			props := (*m)["Properties"].(map[string]interface{})
			got := props["ApiKeyRequired"] == true
			if props["HttpMethod"] == "OPTIONS" {
				if got {
					t.Errorf("%s: preflight %s requires an API key", name, id)
				}
				continue
			}
			routed++
			if got != tc.want {
				t.Errorf("%s: %s %v ApiKeyRequired = %v, want %v", name, id, props["HttpMethod"], props["ApiKeyRequired"], tc.want)
			}
		}
		if routed != 3 {
			t.Errorf("%s: %d routed methods, want 3", name, routed)
		}
	}
}

func TestValidation(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Invalid"), nil)
	fn := handler(stack)
	valid := func() CachedApiProps {
		return CachedApiProps{Name: jsii.String("shop"), Throttle: &Throttle{RateLimit: 1, BurstLimit: 1}, Routes: routes(fn)}
	}
	for i, c := range []struct {
		name   string
		change func(*CachedApiProps)
		want   []string
	}{
		{"no Name", func(p *CachedApiProps) { p.Name = nil }, []string{"Name is required"}},
		{"empty Name", func(p *CachedApiProps) { p.Name = jsii.String("") }, []string{"Name is required"}},
		{"quoted error header", func(p *CachedApiProps) { p.ErrorHeaders = map[string]string{"X-A": "it's"} },
			[]string{`ErrorHeaders["X-A"] must be a named header whose value has no quote or line break, got "it's"`}},
		{"CacheSizeGiB", func(p *CachedApiProps) { p.CacheSizeGiB = jsii.String("2") },
			[]string{`CacheSizeGiB must be one of 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237, got "2"`}},
		{"no Throttle", func(p *CachedApiProps) { p.Throttle = nil }, []string{"Throttle is required"}},
		{"no Routes", func(p *CachedApiProps) { p.Routes = nil }, []string{"Routes must list at least one route"}},
		{"Method", func(p *CachedApiProps) { p.Routes[2].Method = "FETCH" },
			[]string{`route FETCH /me: Method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, ANY, got "FETCH"`}},
		{"no Method", func(p *CachedApiProps) { p.Routes[2].Method = "" },
			[]string{`route  /me: Method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, ANY, got ""`}},
		{"Path", func(p *CachedApiProps) { p.Routes[2].Path = "me" }, []string{`route GET me: Path must be / or /-separated segments, got "me"`}},
		{"Path with an empty segment", func(p *CachedApiProps) { p.Routes[2].Path = "/me//x" },
			[]string{`route GET /me//x: Path must be / or /-separated segments, got "/me//x"`}},
		{"route twice", func(p *CachedApiProps) { p.Routes = append(p.Routes, p.Routes[2]) }, []string{"route GET /me is listed twice"}},
		{"no Handler", func(p *CachedApiProps) { p.Routes[1].Handler = nil }, []string{"route POST /items has no Handler"}},
		{"cache key on a parameter the path lacks", func(p *CachedApiProps) { p.Routes[0].CacheKey = []string{"path.schoolId"} },
			[]string{`route GET /items/{itemId}: cache key "path.schoolId" must be path.<a path parameter>, querystring.<name> or header.<name>`}},
		{"cache key of another kind", func(p *CachedApiProps) { p.Routes[0].CacheKey = []string{"cookie.session", "itemId"} },
			[]string{`route GET /items/{itemId}: cache key "cookie.session" must be path.<a path parameter>, querystring.<name> or header.<name>`,
				`route GET /items/{itemId}: cache key "itemId" must be path.<a path parameter>, querystring.<name> or header.<name>`}},
		{"CacheTTL", func(p *CachedApiProps) { p.Routes[0].CacheTTL = awscdk.Duration_Hours(jsii.Number(2)) },
			[]string{"route GET /items/{itemId}: CacheTTL must be at most 3600 s, got 7200"}},
		{"CacheTTL on a route that is not public", func(p *CachedApiProps) { p.Routes[0].Public = false },
			[]string{"route GET /items/{itemId}: a CacheTTL needs Public: a cached answer is served to every caller"}},
		{"a public route sharing its resource", func(p *CachedApiProps) {
			p.Routes = append(p.Routes, Route{Method: "DELETE", Path: "/items/{itemId}", Handler: fn})
		}, []string{"route GET /items/{itemId} is Public but route DELETE /items/{itemId} on its resource is not: they would share its preflight"}},
		{"a route under a public one", func(p *CachedApiProps) { p.Routes[2].Path = "/items/{itemId}/reviews" },
			[]string{"route GET /items/{itemId} is Public but route GET /items/{itemId}/reviews lies under its resource: a public route's resource must be a leaf"}},
		{"a public root", func(p *CachedApiProps) { p.Routes[2].Path, p.Routes[2].Public = "/", true },
			[]string{"route GET /: the root resource cannot be Public"}},
		{"several at once", func(p *CachedApiProps) {
			p.Name, p.Throttle = nil, nil
			p.Routes[1].Handler = nil
			p.Routes[0].CacheTTL = awscdk.Duration_Hours(jsii.Number(2))
		}, []string{"Name is required", "Throttle is required", "route GET /items/{itemId}: CacheTTL must be at most 3600 s, got 7200",
			"route POST /items has no Handler"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := valid()
			c.change(&p)
			id := fmt.Sprintf("Case%d", i)
			want := "cachedapi.NewCachedApi " + id + ": " + strings.Join(c.want, "; ")
			if got := panicOf(func() { NewCachedApi(stack, jsii.String(id), &p) }); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	// The props the cases break are valid.
	p := valid()
	if got := panicOf(func() { NewCachedApi(stack, jsii.String("Valid"), &p) }); got != "" {
		t.Errorf("valid props refused: %s", got)
	}
}

// panicOf is what f panics with, or "" when it returns.
func panicOf(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}
