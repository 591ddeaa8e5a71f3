package routes

import (
	"slices"
	"strings"
	"testing"
)

// TestTableRules checks the rules the API stack and the handlers rely on.
func TestTableRules(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Table {
		key := r.Method + " " + r.Path
		if seen[key] {
			t.Errorf("%s is listed twice", key)
		}
		seen[key] = true
		if !slices.Contains([]string{"GET", "POST", "PUT", "PATCH", "DELETE"}, r.Method) {
			t.Errorf("%s: method %q", key, r.Method)
		}
		if !strings.HasPrefix(r.Path, "/") || strings.HasSuffix(r.Path, "/") {
			t.Errorf("%s: path must start and not end with /", key)
		}
		if r.Function == "" || slices.Contains(Invoked, r.Function) {
			t.Errorf("%s: function %q", key, r.Function)
		}
		// A per-user answer must never sit under a key that leaves the user
		// out; the gateway cache key holds only CacheKey's parameters.
		if r.CacheTTL > 0 && r.Auth {
			t.Errorf("%s: a signed-in route is cached at the gateway", key)
		}
		if r.CacheTTL > 3600e9 {
			t.Errorf("%s: API Gateway caches for at most an hour, TTL %v", key, r.CacheTTL)
		}
		for _, k := range r.CacheKey {
			kind, name, _ := strings.Cut(k, ".")
			if kind == "path" && !strings.Contains(r.Path, "{"+name+"}") || kind == "querystring" && !slices.Contains(r.Query, name) ||
				!slices.Contains([]string{"path", "querystring", "header"}, kind) {
				t.Errorf("%s: cache key %q names no parameter of the route", key, k)
			}
		}
		// Every path parameter must be in the cache key of a cached route,
		// or two schools would share one cached menu.
		if r.CacheTTL > 0 {
			for _, part := range strings.Split(r.Path, "/") {
				if strings.HasPrefix(part, "{") && !slices.Contains(r.CacheKey, "path."+strings.Trim(part, "{}")) {
					t.Errorf("%s: path parameter %s is not in the cache key", key, part)
				}
			}
		}
		if r.Body != nil {
			checkBody(t, key, r.Body)
		}
	}
}

// TestCachedRoutesArePublic: an answer a cache between the caller and
// the function may keep (a gateway CacheTTL, which the edge follows) is
// served to callers it was not made for, so it must be the same for every
// caller: a public route, which needs no signed-in user, requires no
// header of the caller's and only reads.
func TestCachedRoutesArePublic(t *testing.T) {
	cached := 0
	for _, r := range Table {
		key := r.Method + " " + r.Path
		if r.CacheTTL > 0 {
			cached++
			if !r.Public {
				t.Errorf("%s is cached for %v but not Public: its answer (and its CORS headers) may depend on the caller", key, r.CacheTTL)
			}
		}
		if !r.Public {
			continue
		}
		if r.Auth {
			t.Errorf("%s is Public but needs a signed-in user", key)
		}
		if r.Method != "GET" {
			t.Errorf("%s is Public but not a GET: only reads may be shared", key)
		}
		if len(r.Headers) > 0 {
			t.Errorf("%s is Public but requires the caller's headers %v", key, r.Headers)
		}
	}
	if cached == 0 {
		t.Error("no route is cached: the rule checks nothing")
	}
}

func checkBody(t *testing.T, key string, b *Body) {
	t.Helper()
	for _, f := range b.Required {
		if _, ok := b.Fields[f]; !ok {
			t.Errorf("%s: required field %s has no shape", key, f)
		}
	}
	for name, f := range b.Fields {
		if !slices.Contains([]string{"string", "integer", "number", "boolean", "array", "object"}, f.Type) {
			t.Errorf("%s: field %s has type %q", key, name, f.Type)
		}
		if f.Items != nil {
			checkBody(t, key+" "+name+"[]", f.Items)
		}
	}
}

func TestDeployed(t *testing.T) {
	got := Deployed()
	if !slices.Contains(got, Migrate) || !slices.Contains(got, OrdersList) {
		t.Errorf("Deployed() = %v", got)
	}
	if len(got) != len(Functions())+len(Invoked) {
		t.Errorf("Deployed() = %v repeats a name", got)
	}
}

// TestNeedsDeclaredForEveryFunction: the API stack grants and the binary
// builds what NeedsOf says, so a function without an entry would get
// nothing, and an entry without a function is a stale declaration.
func TestNeedsDeclaredForEveryFunction(t *testing.T) {
	want := append(Deployed(), DeployCheck)
	slices.Sort(want)
	if got := Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want every deployed function and %s: %v", got, DeployCheck, want)
	}
	for _, name := range Functions() {
		if NeedsOf(name) == (Needs{}) {
			t.Errorf("routed function %s needs nothing, not even the database", name)
		}
	}
}

// TestDBUsers: only the function that migrates connects as the master
// user; every other function that touches the database connects as one
// of the roles the migrations grant, and one without it as none.
func TestDBUsers(t *testing.T) {
	const master = "hasivu_admin"
	for _, name := range Names() {
		user, n := DBUserOf(name, master), NeedsOf(name)
		switch {
		case !n.DB && user != "":
			t.Errorf("%s has no database but connects as %q", name, user)
		case n.DB && (user == master) != (name == Migrate):
			t.Errorf("%s connects as %q: only %s may use the master user", name, user, Migrate)
		case n.DB && user != master && !slices.Contains(DBRoles(), user):
			t.Errorf("%s connects as %q, which is none of %v", name, user, DBRoles())
		}
	}
	// What is public and only reads never holds write privileges.
	for _, name := range []string{MenusDaily, OrdersList} {
		if got := DBUserOf(name, master); got != DBReader {
			t.Errorf("%s connects as %q, want the read-only %s", name, got, DBReader)
		}
	}
	// Sign-in, public too, may rehash passwords and write nothing else.
	if got := DBUserOf(AuthLogin, master); got != DBAuth {
		t.Errorf("%s connects as %q, want %s", AuthLogin, got, DBAuth)
	}
}
