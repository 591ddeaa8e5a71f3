package functions_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hasivu/infra/lambda/freshness"
	"github.com/hasivu/infra/lambda/profiles"
	"github.com/hasivu/infra/lambda/routes"
)

// me reads GET /me with token.
func (f *fixture) me(token string) response {
	f.t.Helper()
	return f.call(routes.Profile, request{method: "GET", token: token})
}

// patchMe sends PATCH /me with body.
func (f *fixture) patchMe(token, body string) response {
	f.t.Helper()
	return f.call(routes.Profile, request{method: "PATCH", token: token, body: body})
}

func TestProfileGet(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	r := f.me(token)
	if r.status != 200 || r.body["id"] != parentID || r.body["email"] != "parent@test.example" || r.body["firstName"] != "Pat" ||
		r.body["lastName"] != "Parent" || r.body["phone"] != "" || r.body["role"] != "parent" || r.body["schoolId"] != nil {
		t.Fatalf("GET /me = %d %s", r.status, r.raw)
	}
	students := r.body["students"].([]any)
	if len(students) != 1 {
		t.Fatalf("students = %v, want Sam", students)
	}
	if st := students[0].(map[string]any); st["id"] != studentID || st["firstName"] != "Sam" || st["schoolId"] != schoolID ||
		st["schoolName"] != "Test School" || st["grade"] != "4" || st["section"] != "B" || st["active"] != true {
		t.Errorf("student = %v", st)
	}
	// Staff have a school and no students; another parent sees only theirs.
	if r := f.me(f.login("kitchen@test.example")); r.status != 200 || r.body["schoolId"] != schoolID || len(r.body["students"].([]any)) != 0 {
		t.Errorf("staff profile = %d %s", r.status, r.raw)
	}
	if r := f.me(f.login("other@test.example")); r.status != 200 || !strings.Contains(r.raw, otherStudent) || strings.Contains(r.raw, studentID) {
		t.Errorf("other parent's profile = %d %s", r.status, r.raw)
	}

	// Cached for the plan's hour under the user, and served from there.
	if ttl := f.redisTTL("profile:{" + parentID + "}:me"); ttl <= 3590*time.Second || ttl > time.Hour {
		t.Errorf("profile cache TTL = %s, want 3600 s", ttl)
	}
	before := f.metrics.String()
	if r := f.me(token); r.status != 200 || r.body["firstName"] != "Pat" {
		t.Fatalf("second read: %d %s", r.status, r.raw)
	}
	if after := strings.TrimPrefix(f.metrics.String(), before); !strings.Contains(after, `"Cache":"profile"`) ||
		!strings.Contains(after, `"CacheHits":[1]`) || strings.Contains(after, `"profiles.get"`) {
		t.Errorf("second read was not a cache hit: %s", after)
	}

	// Auth: no token, a suspended account, an account that is gone.
	if r := f.me(""); r.status != 401 {
		t.Errorf("no token: %d %s", r.status, r.raw)
	}
	if r := f.me(signedToken(t, inactiveID, "parent", "")); r.status != 403 {
		t.Errorf("inactive account: %d %s", r.status, r.raw)
	}
	if r := f.me(signedToken(t, unknownID, "parent", "")); r.status != 401 {
		t.Errorf("unknown account: %d %s", r.status, r.raw)
	}
}

func TestProfileUpdate(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	if r := f.me(token); r.status != 200 { // caches the profile
		t.Fatalf("GET /me: %d %s", r.status, r.raw)
	}
	// A write, then a read: never the profile from before the write,
	// though the cache held it.
	for _, step := range []struct {
		body              string
		first, last, phon string
	}{
		{`{"firstName":"  Patricia "}`, "Patricia", "Parent", ""},
		{`{"phone":"+919876543210","lastName":"Rao"}`, "Patricia", "Rao", "+919876543210"},
		{`{"phone":""}`, "Patricia", "Rao", ""},
	} {
		r := f.patchMe(token, step.body)
		if r.status != 200 || r.body["firstName"] != step.first || r.body["lastName"] != step.last || r.body["phone"] != step.phon ||
			len(r.body["students"].([]any)) != 1 {
			t.Fatalf("PATCH %s = %d %s", step.body, r.status, r.raw)
		}
		if r := f.me(token); r.body["firstName"] != step.first || r.body["lastName"] != step.last || r.body["phone"] != step.phon {
			t.Fatalf("GET /me after PATCH %s = %s", step.body, r.raw)
		}
	}
	if n := f.count(`SELECT count(*) FROM users WHERE id = $1 AND first_name = 'Patricia' AND phone IS NULL`, parentID); n != 1 {
		t.Error("the change is not in the database")
	}
	// And the read after the write was a hit on what the write read.
	before := f.metrics.String()
	f.me(token)
	if after := strings.TrimPrefix(f.metrics.String(), before); !strings.Contains(after, `"CacheHits":[1]`) {
		t.Errorf("the read after the write's own read missed: %s", after)
	}

	for _, tc := range []struct {
		body, field string
	}{
		{`{}`, ""},
		{`{"firstName":""}`, "firstName"},
		{`{"firstName":"   "}`, "firstName"},
		{`{"lastName":"` + strings.Repeat("é", 51) + `"}`, "lastName"},
		{`{"firstName":"Pat\u0000"}`, "firstName"},
		{`{"phone":"12345"}`, "phone"},
		{`{"phone":"+91 98765 43210"}`, "phone"},
		{`{"email":"new@test.example"}`, "email"},
		{`{"firstName":7}`, "firstName"},
		{`not json`, ""},
		{``, ""},
	} {
		r := f.patchMe(token, tc.body)
		e, _ := r.body["error"].(map[string]any)
		if r.status != 400 || r.errorCode() != "invalid" || (tc.field != "" && e["field"] != tc.field) {
			t.Errorf("PATCH %s = %d %s, want 400 on %q", tc.body, r.status, r.raw, tc.field)
		}
	}
	if r := f.me(token); r.body["firstName"] != "Patricia" {
		t.Errorf("refused changes changed the profile: %s", r.raw)
	}
	if r := f.patchMe("", `{"firstName":"X"}`); r.status != 401 {
		t.Errorf("no token: %d %s", r.status, r.raw)
	}
	if r := f.patchMe(signedToken(t, inactiveID, "parent", ""), `{"firstName":"X"}`); r.status != 403 {
		t.Errorf("inactive account: %d %s", r.status, r.raw)
	}
}

// heldProfiles holds a reader between its database read and its cache
// store: the interleaving point of the cache-aside race.
type heldProfiles struct {
	freshness.Cache[profiles.Profile]
	reached, release chan struct{}
}

func (h heldProfiles) Put(ctx context.Context, scope, key string, v freshness.Version, p *profiles.Profile) {
	close(h.reached)
	<-h.release
	h.Cache.Put(ctx, scope, key, v, p)
}

// TestProfileReadRacingUpdateIsNeverStale drives the cache-aside race
// deterministically: a GET /me misses, reads the database, and is held
// before it stores what it read; a PATCH /me commits and is answered;
// then the held reader stores the old profile. Any read that starts after
// the PATCH's answer must show the change.
func TestProfileReadRacingUpdateIsNeverStale(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	token := f.login("parent@test.example")
	svc := f.deps.ProfilesService()
	held := heldProfiles{Cache: svc.Cache, reached: make(chan struct{}), release: make(chan struct{})}
	svc.Cache = held
	done := make(chan *profiles.Profile)
	go func() {
		p, err := svc.Get(context.Background(), parentID)
		if err != nil {
			t.Error(err)
		}
		done <- p
	}()
	<-held.reached // the reader has read "Pat"
	if r := f.patchMe(token, `{"firstName":"Patricia"}`); r.status != 200 {
		t.Fatalf("PATCH: %d %s", r.status, r.raw)
	}
	close(held.release)
	if p := <-done; p.FirstName != "Pat" {
		t.Fatalf("the held reader read %q, want the name from before the change", p.FirstName)
	}
	for range 3 {
		if r := f.me(token); r.body["firstName"] != "Patricia" {
			t.Fatalf("GET /me after the change was answered = %s", r.raw)
		}
	}
}
