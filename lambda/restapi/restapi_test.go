package restapi

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/hasivu/infra/lambda/apperr"
)

func TestStatusTable(t *testing.T) {
	for code, want := range map[apperr.Code]int{apperr.Invalid: 400, apperr.Unauthorized: 401, apperr.Forbidden: 403,
		apperr.NotFound: 404, apperr.Conflict: 409, apperr.TooLarge: 413, apperr.Internal: 500, apperr.Unavailable: 503} {
		if got := Status(code); got != want {
			t.Errorf("Status(%s) = %d, want %d", code, got, want)
		}
	}
}

func TestErrorHidesInternals(t *testing.T) {
	r := Error(context.Background(), errorString("pq: password authentication failed for user app"))
	if r.StatusCode != 500 || strings.Contains(r.Body, "password") || r.Body != `{"error":{"code":"internal","message":"internal error"}}` {
		t.Errorf("internal error response = %d %s", r.StatusCode, r.Body)
	}
	r = Error(context.Background(), apperr.Field("limit", "limit is bad"))
	if r.StatusCode != 400 || r.Body != `{"error":{"code":"invalid","message":"limit is bad","field":"limit"}}` {
		t.Errorf("client error response = %d %s", r.StatusCode, r.Body)
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestBody(t *testing.T) {
	enc := &events.APIGatewayProxyRequest{Body: base64.StdEncoding.EncodeToString([]byte(`{"a":1}`)), IsBase64Encoded: true}
	if b, err := Body(enc); err != nil || string(b) != `{"a":1}` {
		t.Errorf("base64 body = %q, %v", b, err)
	}
	big := &events.APIGatewayProxyRequest{Body: base64.StdEncoding.EncodeToString(make([]byte, MaxBodyBytes+1)), IsBase64Encoded: true}
	if _, err := Body(big); apperr.CodeOf(err) != apperr.TooLarge {
		t.Errorf("oversize base64 body: %v", err)
	}
	if _, err := Body(&events.APIGatewayProxyRequest{Body: "%%%", IsBase64Encoded: true}); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("bad base64: %v", err)
	}
}

func TestHeaderIgnoresCase(t *testing.T) {
	r := &events.APIGatewayProxyRequest{Headers: map[string]string{"idempotency-key": "k"},
		MultiValueHeaders: map[string][]string{"X-Other": {"o"}}}
	if Header(r, "Idempotency-Key") != "k" || Header(r, "x-other") != "o" || Header(r, "missing") != "" {
		t.Error("header lookup is case-sensitive or wrong")
	}
}

type row struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Tags   []string `json:"tags"`
	Secret string   `json:"-"`
}

func TestFieldsAndSelect(t *testing.T) {
	q := func(v string) *events.APIGatewayProxyRequest {
		return &events.APIGatewayProxyRequest{QueryStringParameters: map[string]string{"fields": v}}
	}
	rows := []row{{ID: "1", Name: "a", Tags: []string{"x"}, Secret: "s"}, {ID: "2", Name: "b"}}
	names, err := Fields[row](q("tags, id,id"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Select(rows, names)
	if err != nil || string(b) != `[{"id":"1","tags":["x"]},{"id":"2","tags":null}]` {
		t.Errorf("Select = %s, %v", b, err)
	}
	if _, err := Fields[row](q("id,Secret")); err == nil || !strings.Contains(err.Error(), `"Secret"`) || !strings.Contains(err.Error(), "valid: id, name, tags") {
		t.Errorf("hidden field accepted or error unhelpful: %v", err)
	}
	all, _ := Select(rows, nil)
	if strings.Contains(string(all), `"s"`) || !strings.Contains(string(all), `"name":"b"`) {
		t.Errorf("no selection = %s", all)
	}
	if empty, _ := Select([]row{}, []string{"id"}); string(empty) != "[]" {
		t.Errorf("empty = %s", empty)
	}
}

func TestPaginationDefaults(t *testing.T) {
	page, limit, err := Pagination(&events.APIGatewayProxyRequest{})
	if err != nil || page != 1 || limit != DefaultLimit {
		t.Errorf("defaults = %d, %d, %v", page, limit, err)
	}
	page, limit, _ = Pagination(&events.APIGatewayProxyRequest{MultiValueQueryStringParameters: map[string][]string{"page": {"3"}, "limit": {"500"}}})
	if page != 3 || limit != MaxLimit {
		t.Errorf("page 3, limit 500 → %d, %d; want 3, %d", page, limit, MaxLimit)
	}
}
