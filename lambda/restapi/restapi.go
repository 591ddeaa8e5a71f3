// Package restapi adapts API Gateway REST API (v1) proxy events to the
// domain: it decodes bodies strictly, reads pagination and sparse field
// selection from the query string, authenticates bearer tokens, and turns
// results and coded errors into JSON responses. Compression is left to API
// Gateway. It is named after the REST API, which the platform uses because
// only it has response caching, not after API Gateway's HTTP API (v2),
// whose events it does not understand.
package restapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hasivu/infra/lambda/apperr"
	"github.com/hasivu/infra/lambda/auth"
	"github.com/hasivu/infra/lambda/routes"
)

// MaxBodyBytes is the largest request body accepted. Every request of
// this API is a small JSON object; a bigger body is a mistake or abuse.
const MaxBodyBytes = 64 << 10

// Pagination defaults.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// statusOf maps each error code to its one HTTP status.
var statusOf = map[apperr.Code]int{
	apperr.Invalid:      400,
	apperr.Unauthorized: 401,
	apperr.Forbidden:    403,
	apperr.NotFound:     404,
	apperr.Conflict:     409,
	apperr.TooLarge:     413,
	apperr.Throttled:    429,
	apperr.Internal:     500,
	apperr.Unavailable:  503,
}

// Status returns the HTTP status for code.
func Status(code apperr.Code) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return 500
}

// Request is one API request with its authenticated caller.
type Request struct {
	events.APIGatewayProxyRequest
	// Route is the route the request came by, as "METHOD /path", which
	// tells apart the routes of a function that serves several.
	Route string
	// Claims is the verified caller of a route that needs one, else nil.
	Claims *auth.Claims
}

// Response is an endpoint's answer before encoding.
type Response struct {
	Status  int
	Body    any
	Headers map[string]string
}

// Endpoint is one route's logic.
type Endpoint func(ctx context.Context, r *Request) (*Response, error)

// OK returns a 200 response with body.
func OK(body any) *Response { return &Response{Status: 200, Body: body} }

// Created returns a 201 response with body.
func Created(body any) *Response { return &Response{Status: 201, Body: body} }

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong.
type ErrorDetail struct {
	Code    apperr.Code `json:"code"`
	Message string      `json:"message"`
	Field   string      `json:"field,omitempty"`
}

var jsonHeaders = map[string]string{"Content-Type": "application/json"}

// Encode turns r into an API Gateway response.
func Encode(r *Response) events.APIGatewayProxyResponse {
	b, err := json.Marshal(r.Body)
	if err != nil {
		return Error(context.Background(), fmt.Errorf("encode response: %w", err))
	}
	h := jsonHeaders
	if len(r.Headers) > 0 {
		h = map[string]string{"Content-Type": "application/json"}
		for k, v := range r.Headers {
			h[k] = v
		}
	}
	return events.APIGatewayProxyResponse{StatusCode: r.Status, Headers: h, Body: string(b)}
}

// Error turns err into a JSON error response. Client faults keep their
// message; internal errors are logged and answered with a generic one,
// so no detail of the infrastructure leaks.
func Error(ctx context.Context, err error) events.APIGatewayProxyResponse {
	e := apperr.As(err)
	if e == nil {
		e = &apperr.Error{Code: apperr.Internal, Message: "internal error", Err: err}
	}
	switch e.Code {
	case apperr.Internal:
		slog.ErrorContext(ctx, "request failed", "error", err)
		e = &apperr.Error{Code: apperr.Internal, Message: "internal error"}
	case apperr.Unavailable:
		slog.ErrorContext(ctx, "dependency unavailable", "error", err)
	}
	b, _ := json.Marshal(ErrorBody{Error: ErrorDetail{Code: e.Code, Message: e.Message, Field: e.Field}})
	return events.APIGatewayProxyResponse{StatusCode: Status(e.Code), Headers: jsonHeaders, Body: string(b)}
}

// AllowOrigin lets a browser read resp: when the request comes from one of
// origins, it names that origin in Access-Control-Allow-Origin (API
// Gateway answers the preflight; the response itself must carry it). The
// answer then depends on the caller's Origin, which Vary says: for routes
// no cache keeps (API Gateway's and CloudFront's caches ignore Vary).
func AllowOrigin(resp *events.APIGatewayProxyResponse, req *events.APIGatewayProxyRequest, origins []string) {
	origin := Header(req, "Origin")
	if origin == "" || !slices.Contains(origins, origin) {
		return
	}
	setHeaders(resp, map[string]string{
		"Access-Control-Allow-Origin":   origin,
		"Access-Control-Expose-Headers": "Idempotent-Replayed",
		"Vary":                          "Origin",
	})
}

// AllowAnyOrigin lets every browser read resp, whoever asked: the CORS
// header of a public answer, which a cache serves to callers it was not
// made for (routes.Route.Public). It carries no credentials, so any
// origin may read it, as any client without a browser can.
func AllowAnyOrigin(resp *events.APIGatewayProxyResponse) {
	setHeaders(resp, map[string]string{"Access-Control-Allow-Origin": "*"})
}

// setHeaders adds headers to resp's, copying them: Encode shares one map
// between responses.
func setHeaders(resp *events.APIGatewayProxyResponse, add map[string]string) {
	h := make(map[string]string, len(resp.Headers)+len(add))
	for k, v := range resp.Headers {
		h[k] = v
	}
	for k, v := range add {
		h[k] = v
	}
	resp.Headers = h
}

// Secure adds the security headers (routes.SecurityHeaders) to resp, and
// Cache-Control: no-store (routes.NoStore) unless resp is the successful
// answer of a public route, whose caching the gateway's and the edge's
// TTLs decide. Every answer of the functions goes through it (the
// functions' HTTP handler).
func Secure(resp *events.APIGatewayProxyResponse, public bool) {
	add := make(map[string]string, len(routes.SecurityHeaders)+1)
	for k, v := range routes.SecurityHeaders {
		add[k] = v
	}
	if !public || resp.StatusCode >= 400 {
		add["Cache-Control"] = routes.NoStore
	}
	setHeaders(resp, add)
}

// ClientIP returns the address of the client that sent r. A request that
// came through the stage's CloudFront distribution carries one of the
// origin keys as its API key (the API then requires one and CloudFront
// alone has them), and its source address is CloudFront's, not the
// viewer's: the viewer's is the entry CloudFront appended to
// X-Forwarded-For, the last one before API Gateway's own (the source
// address). Entries before it are whatever the viewer sent, so they are
// never read: X-Forwarded-For's first entry is the viewer's to forge.
// (CloudFront-Viewer-Address is not forwarded: the origin request policy
// forwards every viewer header but Host, and cannot add CloudFront's.)
// Any other request's client is its source address.
func ClientIP(r *events.APIGatewayProxyRequest) string {
	source := r.RequestContext.Identity.SourceIP
	if r.RequestContext.Identity.APIKeyID == "" {
		return source
	}
	hops := strings.Split(Header(r, "X-Forwarded-For"), ",")
	for i := range hops {
		hops[i] = strings.TrimSpace(hops[i])
	}
	if n := len(hops); n > 0 && hops[n-1] == source {
		hops = hops[:n-1]
	}
	if n := len(hops); n > 0 {
		if ip, err := netip.ParseAddr(hops[n-1]); err == nil {
			return ip.String()
		}
	}
	return source
}

// Header returns the first value of the named header, ignoring case.
func Header(r *events.APIGatewayProxyRequest, name string) string {
	if v, ok := r.Headers[name]; ok {
		return v
	}
	for k, v := range r.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	for k, vs := range r.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(vs) > 0 {
			return vs[0]
		}
	}
	return ""
}

// Query returns the named query-string parameter.
func Query(r *events.APIGatewayProxyRequest, name string) (string, bool) {
	if v, ok := r.QueryStringParameters[name]; ok {
		return v, true
	}
	if vs, ok := r.MultiValueQueryStringParameters[name]; ok && len(vs) > 0 {
		return vs[0], true
	}
	return "", false
}

// Body returns the raw request body, decoding base64 if API Gateway
// encoded it. Errors: TooLarge.
func Body(r *events.APIGatewayProxyRequest) ([]byte, error) {
	if len(r.Body) > MaxBodyBytes*4/3+4 {
		return nil, apperr.New(apperr.TooLarge, "request body exceeds %d bytes", MaxBodyBytes)
	}
	b := []byte(r.Body)
	if r.IsBase64Encoded {
		var err error
		if b, err = base64.StdEncoding.DecodeString(r.Body); err != nil {
			return nil, apperr.New(apperr.Invalid, "request body is not valid base64")
		}
	}
	if len(b) > MaxBodyBytes {
		return nil, apperr.New(apperr.TooLarge, "request body exceeds %d bytes", MaxBodyBytes)
	}
	return b, nil
}

// DecodeJSON decodes the body, which must be one JSON object with no
// fields dst does not have, into dst. Errors: Invalid naming the problem
// (empty, malformed, wrong type for a field, unknown field), TooLarge.
func DecodeJSON(r *events.APIGatewayProxyRequest, dst any) error {
	b, err := Body(r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return apperr.New(apperr.Invalid, "request body is empty: expected a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return apperr.New(apperr.Invalid, "malformed JSON: request body must hold exactly one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return apperr.New(apperr.Invalid, "malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.New(apperr.Invalid, "malformed JSON: the body ends early")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return apperr.New(apperr.Invalid, "request body must be a JSON object, got %s", typ.Value)
		}
		return apperr.Field(typ.Field, "field %s must be %s, got %s", typ.Field, jsonKind(typ.Type), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return apperr.Field(name, "unknown field %q", name)
	}
	return apperr.Wrap(apperr.Invalid, err, "malformed JSON")
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// Pagination reads page (default 1) and limit (default DefaultLimit,
// capped at MaxLimit). Errors: Invalid for a value that is not a positive
// integer.
func Pagination(r *events.APIGatewayProxyRequest) (page, limit int, err error) {
	page, limit = 1, DefaultLimit
	if v, ok := Query(r, "page"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, apperr.Field("page", "page must be a positive integer, got %q", v)
		}
		page = n
	}
	if v, ok := Query(r, "limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return 0, 0, apperr.Field("limit", "limit must be a positive integer, got %q", v)
		}
		limit = min(n, MaxLimit)
	}
	return page, limit, nil
}

// jsonField is one JSON-visible field of a struct type.
type jsonField struct {
	name  string
	index int
}

var fieldCache sync.Map // reflect.Type → []jsonField

func jsonFields(t reflect.Type) []jsonField {
	if f, ok := fieldCache.Load(t); ok {
		return f.([]jsonField)
	}
	var out []jsonField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, jsonField{name: name, index: i})
	}
	fieldCache.Store(t, out)
	return out
}

// Fields reads ?fields=a,b,c for elements of type T: the top-level JSON
// fields to return. None (nil) means all. Errors: Invalid naming an
// unknown field and listing the valid ones.
func Fields[T any](r *events.APIGatewayProxyRequest) ([]string, error) {
	v, ok := Query(r, "fields")
	if !ok || strings.TrimSpace(v) == "" {
		return nil, nil
	}
	known := jsonFields(reflect.TypeFor[T]())
	var names []string
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" || slices.Contains(names, f) {
			continue
		}
		if !slices.ContainsFunc(known, func(k jsonField) bool { return k.name == f }) {
			valid := make([]string, len(known))
			for i, k := range known {
				valid[i] = k.name
			}
			return nil, apperr.Field("fields", "unknown field %q in fields; valid: %s", f, strings.Join(valid, ", "))
		}
		names = append(names, f)
	}
	return names, nil
}

// Select encodes items keeping only the named fields of each, in the
// struct's order. With no names it encodes items whole.
func Select[T any](items []T, names []string) (json.RawMessage, error) {
	if len(names) == 0 {
		return json.Marshal(items)
	}
	fields := jsonFields(reflect.TypeFor[T]())
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i := range items {
		if i > 0 {
			buf.WriteByte(',')
		}
		v := reflect.ValueOf(&items[i]).Elem()
		buf.WriteByte('{')
		first := true
		for _, f := range fields {
			if !slices.Contains(names, f.name) {
				continue
			}
			b, err := json.Marshal(v.Field(f.index).Interface())
			if err != nil {
				return nil, err
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			name, _ := json.Marshal(f.name)
			buf.Write(name)
			buf.WriteByte(':')
			buf.Write(b)
		}
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// Authenticate verifies the request's bearer token. Errors: Unauthorized
// (missing header, wrong scheme, expired, forged or malformed token),
// Unavailable (the verification keys cannot be read).
func Authenticate(ctx context.Context, r *events.APIGatewayProxyRequest, tokens *auth.Tokens) (*auth.Claims, error) {
	h := Header(r, "Authorization")
	if h == "" {
		return nil, apperr.New(apperr.Unauthorized, "Authorization header is missing: send a Bearer token")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return nil, apperr.New(apperr.Unauthorized, "Authorization header must be \"Bearer <token>\"")
	}
	return tokens.Verify(ctx, strings.TrimSpace(token))
}
