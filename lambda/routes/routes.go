// Package routes is the contract between the CDK app and the Lambda
// binary: the names of the functions, the one list of the platform's HTTP
// routes, what each function needs at init (needs.go) and the names of the
// environment variables the API stack sets and the binary reads (env.go).
// The API stack builds functions, grants, API Gateway resources, methods
// and caching from it; the handler table serves exactly the functions it
// names; the local server serves the same routes over plain HTTP. It
// imports nothing outside the standard library, so the CDK app links no
// runtime library through it.
package routes

import "time"

// Route is one method on one path of the REST API.
type Route struct {
	// Method is the HTTP method: GET, POST, PUT, PATCH or DELETE.
	Method string
	// Path is the API Gateway resource path; {name} marks a path parameter.
	Path string
	// Function is the handler-table name of the function that serves the
	// route, which is also its Lambda Handler setting.
	Function string
	// Auth says the route needs a signed-in user (a Bearer JWT). Such a
	// route answers per user, so it is never cached at API Gateway.
	Auth bool
	// Public says the route gives every caller the same answer for the
	// same CacheKey parameters: no signed-in user, and nothing taken from
	// the caller, the Origin header included. Only a public route may be
	// cached by a layer between the caller and the function (API Gateway,
	// CloudFront), and so its answers let any web origin read them
	// (Access-Control-Allow-Origin: *, without Vary: Origin): a cached
	// answer is served to callers it was not made for, and a CORS header
	// that depended on the first caller would break every browser after
	// it. The other routes name only the configured origins.
	Public bool
	// CacheTTL is how long API Gateway may serve a cached response; zero
	// means the method is not cached at the gateway. Only a public route
	// may have one.
	CacheTTL time.Duration
	// CacheKey lists the request parameters that make up the gateway cache
	// key, in API Gateway's notation without the "method.request." prefix:
	// "path.schoolId", "querystring.date", "header.Accept".
	CacheKey []string
	// Query lists the query-string parameters the route reads.
	Query []string
	// Headers lists request headers the route requires; API Gateway
	// refuses a request without them before the function runs.
	Headers []string
	// Body is the shape of the JSON request body, checked by API Gateway
	// before the function runs so a malformed request costs no invocation.
	// It is never stricter than the function's own validation, which still
	// checks formats, ranges and existence. Nil means no gateway check.
	Body *Body
}

// Body is a JSON object with required fields and field types.
type Body struct {
	Required []string
	// Fields maps each known field to its shape.
	Fields map[string]Field
}

// Field is the shape of one body field.
type Field struct {
	// Type is a JSON schema type: string, integer, number, boolean,
	// array or object.
	Type string
	// Items is the shape of each element of an array of objects.
	Items *Body
}

// The functions behind the routes, by the name that is their handler-table
// key, their Lambda Handler setting, their key under functions.each in a
// stage file and their metrics' Function dimension.
const (
	AuthLogin           = "auth-login"
	OrdersList          = "orders-list"
	OrdersCreate        = "orders-create"
	MenusDaily          = "menus-daily"
	PaymentsCreateOrder = "payments-create-order"
	PaymentsWebhook     = "payments-webhook"
	RFIDVerifyCard      = "rfid-verify-card"
	Profile             = "profile"
	AnalyticsDaily      = "analytics-daily"
)

// Table lists every route of the API. Cached routes must be Public and
// name in CacheKey every parameter that changes the answer. A function may
// serve several related routes (one Lambda function, one init, one
// rollout): the function's handler tells them apart by the route API
// Gateway names in each request. Every function adds some twenty
// resources to the api stack and a metric to the alarms over every
// function (which split into alarms of ten metrics past ten functions,
// constructs/monitoring), so routes share a function rather than add one
// where they belong together.
var Table = []Route{
	{Method: "POST", Path: "/auth/login", Function: AuthLogin, Body: &Body{
		Required: []string{"email", "password"},
		Fields:   map[string]Field{"email": {Type: "string"}, "password": {Type: "string"}},
	}},
	{Method: "GET", Path: "/orders", Function: OrdersList, Auth: true,
		Query: []string{"page", "limit", "fields"}},
	{Method: "POST", Path: "/orders", Function: OrdersCreate, Auth: true, Headers: []string{"Idempotency-Key"}, Body: &Body{
		Required: []string{"studentId", "schoolId", "deliveryDate", "items"},
		Fields: map[string]Field{
			"studentId": {Type: "string"}, "schoolId": {Type: "string"}, "deliveryDate": {Type: "string"},
			"items": {Type: "array", Items: &Body{
				Required: []string{"menuItemId", "quantity"},
				Fields:   map[string]Field{"menuItemId": {Type: "string"}, "quantity": {Type: "integer"}},
			}},
		},
	}},
	{Method: "GET", Path: "/schools/{schoolId}/menus/{date}", Function: MenusDaily, Public: true,
		CacheTTL: time.Hour, CacheKey: []string{"path.schoolId", "path.date"}},
	// A school's menu item catalogue: public, and nothing in the platform
	// writes it (the school's tools do, straight to the database), so the
	// gateway keeps it as long as Redis does (redis.MenuItems).
	{Method: "GET", Path: "/schools/{schoolId}/menu-items", Function: MenusDaily, Public: true,
		CacheTTL: 30 * time.Minute, CacheKey: []string{"path.schoolId"}},
	{Method: "GET", Path: "/me", Function: Profile, Auth: true},
	{Method: "PATCH", Path: "/me", Function: Profile, Auth: true, Body: &Body{
		Fields: map[string]Field{"firstName": {Type: "string"}, "lastName": {Type: "string"}, "phone": {Type: "string"}},
	}},
	// The payment methods Razorpay offers, which the checkout shows.
	{Method: "GET", Path: "/payments/methods", Function: PaymentsCreateOrder, Auth: true},
	{Method: "GET", Path: "/schools/{schoolId}/analytics", Function: AnalyticsDaily, Auth: true,
		Query: []string{"from", "to"}},
	{Method: "POST", Path: "/payments/orders", Function: PaymentsCreateOrder, Auth: true, Body: &Body{
		Required: []string{"orderId"},
		Fields:   map[string]Field{"orderId": {Type: "string"}},
	}},
	// The webhook's body is checked against Razorpay's signature, byte for
	// byte, by the function.
	{Method: "POST", Path: "/payments/webhook", Function: PaymentsWebhook},
	{Method: "POST", Path: "/rfid/verify", Function: RFIDVerifyCard, Auth: true, Body: &Body{
		Required: []string{"cardNumber"},
		Fields:   map[string]Field{"cardNumber": {Type: "string"}, "readerId": {Type: "string"}},
	}},
}

// Invoked lists the functions that no route serves: they are invoked
// directly (migrate runs on every deploy, from a CDK trigger).
var Invoked = []string{Migrate}

// Migrate is the function that applies the schema migrations.
const Migrate = "migrate"

// DeployCheck is the handler of the pre-traffic hooks: one function per
// routed function, which CodeDeploy invokes before a new version of it
// takes traffic (package deploycheck). They are not among Deployed: they
// run outside the VPC, without an alias, and only during a deploy.
const DeployCheck = "deploy-check"

// Deployed returns every function the API stack deploys: the routed ones
// in table order, then the invoked ones.
func Deployed() []string { return append(Functions(), Invoked...) }

// Key is the route's name: "METHOD /path", as stage files name it
// (api.routeThrottles).
func (r Route) Key() string { return r.Method + " " + r.Path }

// Of returns the routes the named function serves, in table order.
func Of(function string) []Route {
	var out []Route
	for _, r := range Table {
		if r.Function == function {
			out = append(out, r)
		}
	}
	return out
}

// Functions returns the distinct function names that serve routes, in
// table order.
func Functions() []string {
	seen := map[string]bool{}
	var names []string
	for _, r := range Table {
		if !seen[r.Function] {
			seen[r.Function] = true
			names = append(names, r.Function)
		}
	}
	return names
}
