package functions_test

import (
	"testing"

	"github.com/hasivu/infra/lambda/routes"
)

// allowedOrigins are the fixture's CORS_ALLOWED_ORIGINS.
var allowedOrigins = []string{"https://app.example.com", "http://localhost:3000"}

// TestCORS: a browser on an allowed origin may read every answer of a
// route no cache keeps, failures included; any other origin gets no CORS
// header, and the answer says it varies by Origin.
func TestCORS(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for _, tc := range []struct {
		origin string
		allow  string
	}{
		{allowedOrigins[0], allowedOrigins[0]},
		{allowedOrigins[1], allowedOrigins[1]},
		{"https://evil.example.com", ""},
		{"", ""},
	} {
		for _, req := range []request{
			{method: "POST", body: `{"email":"parent@test.example","password":"` + password + `"}`},
			{method: "POST", body: `{}`},
		} {
			req.headers = map[string]string{"origin": tc.origin}
			r := f.call(routes.AuthLogin, req)
			if got := r.headers["Access-Control-Allow-Origin"]; got != tc.allow {
				t.Errorf("origin %q, status %d: Access-Control-Allow-Origin %q, want %q", tc.origin, r.status, got, tc.allow)
			}
			if tc.allow != "" && r.headers["Vary"] != "Origin" {
				t.Errorf("origin %q: no Vary: Origin", tc.origin)
			}
		}
	}
}

// TestCachedAnswersServeEveryOrigin is the gateway cache's CORS bug. API
// Gateway (and CloudFront after it) keeps a cached route's answer under
// its cache key alone and ignores Vary, so the answer made for whoever
// asked first is the one every caller gets until it expires. When the
// first caller sent no Origin (a script, a health check, a mobile app),
// the answer had no Access-Control-Allow-Origin, and for an hour every
// browser on the web app failed CORS for that school and date. So each
// answer of a cached route, to any caller, must let a browser on every
// allowed origin read it, without credentials: the answer a cache holds
// is then right for everyone.
func TestCachedAnswersServeEveryOrigin(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	valid := map[string]request{
		"GET /schools/{schoolId}/menus/{date}": {method: "GET", params: map[string]string{"schoolId": schoolID, "date": f.today}},
		"GET /schools/{schoolId}/menu-items":   {method: "GET", params: map[string]string{"schoolId": schoolID}},
	}
	cached := 0
	for _, rt := range routes.Table {
		if rt.CacheTTL == 0 {
			continue
		}
		cached++
		req, ok := valid[rt.Key()]
		if !ok {
			t.Errorf("%s %s is cached: add a request for it to this test", rt.Method, rt.Path)
			continue
		}
		// Whoever asks first, in the order that broke browsers: no Origin,
		// then allowed ones, then another site.
		for _, origin := range append([]string{""}, append(allowedOrigins, "https://other.example.com")...) {
			req.headers = map[string]string{}
			if origin != "" {
				req.headers["Origin"] = origin
			}
			r := f.call(rt.Function, req)
			if r.status != 200 {
				t.Fatalf("%s: %d %s", rt.Function, r.status, r.raw)
			}
			for _, browser := range allowedOrigins {
				if got := r.headers["Access-Control-Allow-Origin"]; got != "*" && got != browser {
					t.Errorf("%s: the answer to a caller with Origin %q, cached, fails CORS for a browser on %s: "+
						"Access-Control-Allow-Origin %q", rt.Function, origin, browser, got)
				}
			}
			if v := r.headers["Vary"]; v != "" {
				t.Errorf("%s: Vary %q on an answer caches share (they ignore it)", rt.Function, v)
			}
			if c := r.headers["Access-Control-Allow-Credentials"]; c != "" {
				t.Errorf("%s: Access-Control-Allow-Credentials %q on an answer for any origin", rt.Function, c)
			}
		}
	}
	if cached == 0 {
		t.Error("no cached route: the test checks nothing")
	}
}
