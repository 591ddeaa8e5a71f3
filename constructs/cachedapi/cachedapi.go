// Package cachedapi is a REST API (API Gateway v1, the only kind that
// caches responses) in front of Lambda aliases: a stage cache cluster with
// per-method TTLs and cache keys, compression, stage and per-method
// throttling, JSON access logs, tracing, CORS and request-body validation.
package cachedapi

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Throttle is a token bucket in requests per second.
type Throttle struct {
	RateLimit  float64
	BurstLimit float64
}

// Route is one method of the API.
type Route struct {
	// Method and Path locate the method; {name} marks a path parameter.
	Method, Path string
	// Handler answers the route through a Lambda proxy integration; pass
	// an alias.
	Handler awslambda.IFunction
	// Public says the route's answer is the same for every caller, so a
	// cache may serve it to callers it was not made for, and it lets every
	// web origin read it: the handler answers
	// Access-Control-Allow-Origin: *, and the route's resource answers
	// the CORS preflight for any origin too. Default false: the preflight
	// names CorsOrigins.
	Public bool
	// CacheTTL caches responses at the gateway for this long, when the
	// API has a cache cluster; nil or zero means never. Only a Public
	// route may be cached: the key holds only CacheKey's parameters.
	CacheTTL awscdk.Duration
	// CacheKey lists the parameters ("path.schoolId", "querystring.date")
	// the cache key is made of.
	CacheKey []string
	// Query lists query-string parameters the route reads.
	Query []string
	// Headers lists request headers the route requires; a request without
	// one is refused with 400 before Handler runs.
	Headers []string
	// Throttle overrides the stage's throttling for this method.
	Throttle *Throttle
	// Body is a JSON schema (draft 4) the request body must match; API
	// Gateway rejects a body that does not with 400 before invoking
	// Handler. Nil means no body validation.
	Body *awsapigateway.JsonSchema
}

// CachedApiProps configures a CachedApi.
type CachedApiProps struct {
	// Name of the API. Required.
	Name *string
	// StageName of the deployment. Default: "v1".
	StageName *string
	// CacheSizeGiB is the cache cluster size as API Gateway names it
	// ("0.5", "1.6", ...). Default: none, no cache cluster.
	CacheSizeGiB *string
	// Throttle applies to every method without its own. Required.
	Throttle *Throttle
	// Routes are the API's methods. Required.
	Routes []Route
	// CorsOrigins may call the API from a browser. Default: none.
	CorsOrigins []string
	// CorsHeaders are the request headers browsers may send. Default:
	// Content-Type and Authorization.
	CorsHeaders []string
	// AccessLogRetention keeps access logs this long. Default: one month.
	AccessLogRetention awslogs.RetentionDays
	// Tracing turns on X-Ray for the stage. Default: false.
	Tracing *bool
	// MinCompressionBytes compresses responses at least this large when
	// the client accepts it. Default: 1024.
	MinCompressionBytes *float64
	// RequireApiKey makes every route's method refuse, with 403, a request
	// without an API key (x-api-key) of a usage plan on the stage; the
	// check runs before the cache and the integration, so a key also
	// guards cached answers. Keys and plans are the caller's. CORS
	// preflights stay open. Default: false.
	RequireApiKey *bool
	// ErrorHeaders are headers every one of API Gateway's own answers
	// (its gateway responses: validation, throttling, a refused key,
	// timeouts and every other 4XX and 5XX) carries, besides CORS: for
	// example the security headers and Cache-Control: no-store, which the
	// functions set on their own answers. Default: none.
	ErrorHeaders map[string]string
}

// CachedApi is the API, its stage and access log group.
type CachedApi struct {
	constructs.Construct
	Api        awsapigateway.RestApi
	AccessLogs awslogs.LogGroup
	// Methods by "METHOD /path".
	Methods map[string]awsapigateway.Method
}

// NewCachedApi declares the API.
func NewCachedApi(scope constructs.Construct, id *string, props *CachedApiProps) *CachedApi {
	p := *props
	if p.StageName == nil {
		p.StageName = jsii.String("v1")
	}
	if p.AccessLogRetention == "" {
		p.AccessLogRetention = awslogs.RetentionDays_ONE_MONTH
	}
	if p.Tracing == nil {
		p.Tracing = jsii.Bool(false)
	}
	if p.MinCompressionBytes == nil {
		p.MinCompressionBytes = jsii.Number(1024)
	}
	if len(p.CorsHeaders) == 0 {
		p.CorsHeaders = []string{"Content-Type", "Authorization"}
	}
	if err := validate(&p); err != nil {
		panic(fmt.Sprintf("cachedapi.NewCachedApi %s: %v", *id, err))
	}
	this := constructs.NewConstruct(scope, id)
	a := &CachedApi{Construct: this, Methods: map[string]awsapigateway.Method{}}

	a.AccessLogs = awslogs.NewLogGroup(this, jsii.String("AccessLogs"), &awslogs.LogGroupProps{
		Retention: p.AccessLogRetention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	cached := p.CacheSizeGiB != nil && *p.CacheSizeGiB != ""
	stage := &awsapigateway.StageOptions{
		StageName:            p.StageName,
		CacheClusterEnabled:  jsii.Bool(cached),
		TracingEnabled:       p.Tracing,
		MetricsEnabled:       jsii.Bool(true),
		LoggingLevel:         awsapigateway.MethodLoggingLevel_ERROR,
		DataTraceEnabled:     jsii.Bool(false),
		ThrottlingRateLimit:  jsii.Number(p.Throttle.RateLimit),
		ThrottlingBurstLimit: jsii.Number(p.Throttle.BurstLimit),
		CachingEnabled:       jsii.Bool(false),
		AccessLogDestination: awsapigateway.NewLogGroupLogDestination(a.AccessLogs),
		AccessLogFormat:      awsapigateway.AccessLogFormat_Custom(jsii.String(accessLogFormat)),
		MethodOptions:        &map[string]*awsapigateway.MethodDeploymentOptions{},
	}
	if cached {
		stage.CacheClusterSize = p.CacheSizeGiB
		stage.CacheDataEncrypted = jsii.Bool(true)
	}
	for _, r := range p.Routes {
		opts := &awsapigateway.MethodDeploymentOptions{}
		// Without a cache cluster (a stage that saves its cost) nothing is
		// cached, whatever the route allows.
		if cached && r.CacheTTL != nil && *r.CacheTTL.ToSeconds(nil) > 0 {
			opts.CachingEnabled = jsii.Bool(true)
			opts.CacheTtl = r.CacheTTL
			opts.CacheDataEncrypted = jsii.Bool(true)
		}
		if r.Throttle != nil {
			opts.ThrottlingRateLimit = jsii.Number(r.Throttle.RateLimit)
			opts.ThrottlingBurstLimit = jsii.Number(r.Throttle.BurstLimit)
		}
		if opts.CachingEnabled != nil || opts.ThrottlingRateLimit != nil {
			(*stage.MethodOptions)[r.Path+"/"+r.Method] = opts
		}
	}

	rest := &awsapigateway.RestApiProps{
		RestApiName:                 p.Name,
		Description:                 jsii.String(fmt.Sprintf("%s: %d routes", *p.Name, len(p.Routes))),
		EndpointTypes:               &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		MinCompressionSize:          awscdk.Size_Bytes(p.MinCompressionBytes),
		DeployOptions:               stage,
		CloudWatchRole:              jsii.Bool(true),
		CloudWatchRoleRemovalPolicy: awscdk.RemovalPolicy_RETAIN_ON_UPDATE_OR_DELETE,
	}
	var anyOrigin *awsapigateway.CorsOptions
	if len(p.CorsOrigins) > 0 {
		rest.DefaultCorsPreflightOptions = &awsapigateway.CorsOptions{
			AllowOrigins: jsii.Strings(p.CorsOrigins...),
			AllowMethods: jsii.Strings(corsMethods(p.Routes)...),
			AllowHeaders: jsii.Strings(p.CorsHeaders...),
			MaxAge:       awscdk.Duration_Hours(jsii.Number(1)),
		}
		o := *rest.DefaultCorsPreflightOptions
		o.AllowOrigins = awsapigateway.Cors_ALL_ORIGINS()
		anyOrigin = &o
	}
	a.Api = awsapigateway.NewRestApi(this, jsii.String("Api"), rest)
	errorResponses(a.Api, len(p.CorsOrigins) > 0, p.ErrorHeaders)

	// One validator checks both bodies and required parameters.
	var validator awsapigateway.RequestValidator
	for _, r := range p.Routes {
		params := map[string]*bool{}
		for _, q := range r.Query {
			params["method.request.querystring."+q] = jsii.Bool(false)
		}
		for _, h := range r.Headers {
			params["method.request.header."+h] = jsii.Bool(true)
		}
		var keys []*string
		for _, k := range r.CacheKey {
			params["method.request."+k] = jsii.Bool(true)
			keys = append(keys, jsii.String("method.request."+k))
		}
		integration := awsapigateway.NewLambdaIntegration(r.Handler, &awsapigateway.LambdaIntegrationOptions{
			Proxy:              jsii.Bool(true),
			AllowTestInvoke:    jsii.Bool(false),
			CacheKeyParameters: &keys,
		})
		method := &awsapigateway.MethodOptions{
			OperationName:     jsii.String(operationName(r)),
			RequestParameters: &params,
		}
		if p.RequireApiKey != nil && *p.RequireApiKey {
			method.ApiKeyRequired = jsii.Bool(true)
		}
		if r.Body != nil || len(r.Headers) > 0 {
			if validator == nil {
				validator = a.Api.AddRequestValidator(jsii.String("Body"), &awsapigateway.RequestValidatorOptions{
					ValidateRequestBody: jsii.Bool(true), ValidateRequestParameters: jsii.Bool(true),
				})
			}
			method.RequestValidator = validator
		}
		if r.Body != nil {
			model := a.Api.AddModel(jsii.String(operationName(r)+"Body"), &awsapigateway.ModelOptions{
				ContentType: jsii.String("application/json"),
				Schema:      r.Body,
			})
			method.RequestModels = &map[string]awsapigateway.IModel{"application/json": model}
		}
		a.Methods[r.Method+" "+r.Path] = resourceFor(a.Api, r, anyOrigin).AddMethod(jsii.String(r.Method), integration, method)
	}
	return a
}

// accessLogFormat is one JSON object per request. It leaves out
// $context.error.validationErrorString: its text holds double quotes
// (`[object has missing required properties (["email"])]`) and API Gateway
// substitutes variables without escaping, so it would break the line's
// JSON.
const accessLogFormat = `{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","method":"$context.httpMethod",` +
	`"resourcePath":"$context.resourcePath","path":"$context.path","status":"$context.status",` +
	`"responseLength":"$context.responseLength","responseLatency":"$context.responseLatency",` +
	`"integrationLatency":"$context.integration.latency","integrationStatus":"$context.integration.status",` +
	`"error":"$context.error.message",` +
	`"xrayTraceId":"$context.xrayTraceId","requestTime":"$context.requestTimeEpoch"}`

// resourceFor returns the resource of r's path, creating what is
// missing. A public route's resource (a leaf: validate sees to it) is
// created with a CORS preflight for any origin (anyOrigin, when the API
// has CORS), as its answers allow: the preflight of a resource the edge
// may cache must not depend on the caller either. Resources above it,
// and every other route's, keep the API's preflight.
func resourceFor(api awsapigateway.RestApi, r Route, anyOrigin *awsapigateway.CorsOptions) awsapigateway.IResource {
	if !r.Public || anyOrigin == nil {
		return api.Root().ResourceForPath(jsii.String(r.Path))
	}
	parts := strings.Split(strings.Trim(r.Path, "/"), "/")
	parent := api.Root().ResourceForPath(jsii.String("/" + strings.Join(parts[:len(parts)-1], "/")))
	leaf := jsii.String(parts[len(parts)-1])
	if res := parent.GetResource(leaf); res != nil {
		return res // another public method of the same path made it
	}
	return parent.AddResource(leaf, &awsapigateway.ResourceOptions{DefaultCorsPreflightOptions: anyOrigin})
}

// errorResponses makes API Gateway's own errors (validation, throttling,
// timeouts) JSON in the functions' error shape, with a CORS header when
// the API has origins, so that a browser can read them. A gateway
// response is the API's, not a route's, and cannot echo the caller's
// origin: it allows any origin, as public routes do (it tells nothing
// but what went wrong, and carries no credentials), so that every
// configured origin, not only the first, can read it, and the same
// answer is right for every caller of a cache that keeps errors. Each
// carries extra too (CachedApiProps.ErrorHeaders).
func errorResponses(api awsapigateway.RestApi, cors bool, extra map[string]string) {
	headers := map[string]*string{}
	for k, v := range extra {
		// A header's value is a mapping expression: a static one is quoted.
		headers[k] = jsii.String("'" + v + "'")
	}
	if cors {
		headers["Access-Control-Allow-Origin"] = jsii.String("'*'")
	}
	for _, r := range []struct {
		name, code, message string
		typ                 awsapigateway.ResponseType
	}{
		// A body or parameter API Gateway's validation refused: the
		// functions' own code for bad input. Gateway response templates
		// only substitute variables (no VTL, no escaping), and the
		// detailed $context.error.validationErrorString holds double
		// quotes, so the message is messageString, which API Gateway
		// quotes itself ("Invalid request body"); the function's own
		// validation names the field once the gateway lets the request by.
		{"BadRequestBody", "invalid", "$context.error.messageString", awsapigateway.ResponseType_BAD_REQUEST_BODY()},
		{"BadRequestParameters", "invalid", "$context.error.messageString", awsapigateway.ResponseType_BAD_REQUEST_PARAMETERS()},
		{"Throttled", "throttled", "$context.error.messageString", awsapigateway.ResponseType_THROTTLED()},
		{"Default4XX", "$context.error.responseType", "$context.error.messageString", awsapigateway.ResponseType_DEFAULT_4XX()},
		{"Default5XX", "$context.error.responseType", "$context.error.messageString", awsapigateway.ResponseType_DEFAULT_5XX()},
	} {
		api.AddGatewayResponse(jsii.String(r.name), &awsapigateway.GatewayResponseOptions{
			Type:            r.typ,
			ResponseHeaders: &headers,
			Templates: &map[string]*string{
				"application/json": jsii.String(`{"error":{"code":"` + r.code + `","message":` + r.message + `}}`),
			},
		})
	}
}

func corsMethods(routes []Route) []string {
	seen := map[string]bool{"OPTIONS": true}
	for _, r := range routes {
		seen[r.Method] = true
	}
	var ms []string
	for m := range seen {
		ms = append(ms, m)
	}
	sort.Strings(ms)
	return ms
}

// operationName is a method's stable name: "GET /schools/{schoolId}" →
// "GetSchoolsSchoolId".
func operationName(r Route) string {
	var b strings.Builder
	b.WriteString(strings.ToUpper(r.Method[:1]) + strings.ToLower(r.Method[1:]))
	for _, part := range strings.FieldsFunc(r.Path, func(c rune) bool { return c == '/' || c == '{' || c == '}' || c == '-' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// cacheSizes are the cache cluster sizes API Gateway offers, in GiB.
var cacheSizes = []string{"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"}

// methods are the HTTP methods a route may have.
var methods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "ANY"}

// validate reports every invalid prop at once.
func validate(p *CachedApiProps) error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if p.Name == nil || *p.Name == "" {
		add("Name is required")
	}
	if p.CacheSizeGiB != nil && *p.CacheSizeGiB != "" && !slices.Contains(cacheSizes, *p.CacheSizeGiB) {
		add("CacheSizeGiB must be one of %s, got %q", strings.Join(cacheSizes, ", "), *p.CacheSizeGiB)
	}
	if p.Throttle == nil {
		add("Throttle is required")
	}
	if len(p.Routes) == 0 {
		add("Routes must list at least one route")
	}
	for _, k := range slices.Sorted(maps.Keys(p.ErrorHeaders)) {
		if v := p.ErrorHeaders[k]; k == "" || strings.ContainsAny(v, "'\r\n") {
			add("ErrorHeaders[%q] must be a named header whose value has no quote or line break, got %q", k, v)
		}
	}
	seen := map[string]bool{}
	for _, r := range p.Routes {
		key := r.Method + " " + r.Path
		if !slices.Contains(methods, r.Method) {
			add("route %s: Method must be one of %s, got %q", key, strings.Join(methods, ", "), r.Method)
		}
		if !routePath.MatchString(r.Path) {
			add("route %s: Path must be / or /-separated segments, got %q", key, r.Path)
		}
		if seen[key] {
			add("route %s is listed twice", key)
		}
		seen[key] = true
		if r.Handler == nil {
			add("route %s has no Handler", key)
		}
		for _, k := range r.CacheKey {
			kind, name, ok := strings.Cut(k, ".")
			if !ok || !(kind == "path" && strings.Contains(r.Path, "{"+name+"}") || kind == "querystring" || kind == "header") {
				add("route %s: cache key %q must be path.<a path parameter>, querystring.<name> or header.<name>", key, k)
			}
		}
		if r.CacheTTL != nil {
			if s := *r.CacheTTL.ToSeconds(nil); s < 0 || s > 3600 {
				add("route %s: CacheTTL must be at most 3600 s, got %s", key, strconv.FormatFloat(s, 'f', -1, 64))
			} else if s > 0 && !r.Public {
				add("route %s: a CacheTTL needs Public: a cached answer is served to every caller", key)
			}
		}
		if r.Public && r.Path == "/" {
			add("route %s: the root resource cannot be Public", key)
		}
		for _, o := range p.Routes {
			switch {
			case !r.Public:
			case o.Path == r.Path && !o.Public:
				add("route %s is Public but route %s %s on its resource is not: they would share its preflight", key, o.Method, o.Path)
			case strings.HasPrefix(o.Path, r.Path+"/"):
				add("route %s is Public but route %s %s lies under its resource: a public route's resource must be a leaf", key, o.Method, o.Path)
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// routePath is a resource path: "/", or segments of letters, digits,
// dashes and underscores, or a {parameter}, each after a slash.
var routePath = regexp.MustCompile(`^/$|^(/([A-Za-z0-9_.-]+|\{[A-Za-z0-9_]+\}))+$`)
