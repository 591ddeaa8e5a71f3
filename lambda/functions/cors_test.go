package functions_test

import (
	"testing"

	"github.com/hasivu/infra/lambda/routes"
)

// TestCORS: a browser on an allowed origin may read every answer,
// failures included; any other origin gets no CORS header.
func TestCORS(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		origin string
		allow  string
	}{
		{"https://app.example.com", "https://app.example.com"},
		{"http://localhost:3000", "http://localhost:3000"},
		{"https://evil.example.com", ""},
		{"", ""},
	} {
		for _, req := range []request{
			{method: "GET", params: map[string]string{"schoolId": schoolID, "date": f.today}},
			{method: "GET", params: map[string]string{"schoolId": "not-an-id", "date": f.today}},
		} {
			req.headers = map[string]string{"origin": tc.origin}
			r := f.call(routes.MenusDaily, req)
			if got := r.headers["Access-Control-Allow-Origin"]; got != tc.allow {
				t.Errorf("origin %q, status %d: Access-Control-Allow-Origin %q, want %q", tc.origin, r.status, got, tc.allow)
			}
			if tc.allow != "" && r.headers["Vary"] != "Origin" {
				t.Errorf("origin %q: no Vary: Origin", tc.origin)
			}
		}
	}
}
