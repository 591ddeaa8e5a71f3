package stacks

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/hasivu/infra/lambda/routes"
)

// maxCacheBehaviors is CloudFront's default quota of cache behaviours per
// distribution, the default one aside.
const maxCacheBehaviors = 25

// edgeBehavior is one cache behaviour of the distribution, derived from
// the route table: a path pattern and the routes whose requests it
// takes.
type edgeBehavior struct {
	// Pattern is CloudFront's path pattern: the route's path with each
	// {parameter} as "*".
	Pattern string
	// Cached is the route whose answer the edge caches, nil for a
	// behaviour that caches nothing (it only keeps its routes from a
	// cached behaviour whose pattern would take them).
	Cached *routes.Route
	// Routes are every route on the pattern.
	Routes []routes.Route
}

// edgeCached reports whether the edge may cache a route's answer: the
// gateway caches it (a public GET with a TTL), so its answer is the same
// for every caller given its cache key.
func edgeCached(r routes.Route) bool { return r.Method == "GET" && !r.Auth && r.CacheTTL > 0 }

// pathPatternOf is a route's path as CloudFront matches it: each
// {parameter} becomes "*".
func pathPatternOf(path string) string {
	return regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "*")
}

// samplePath is a request path of a route, each parameter a value.
func samplePath(path string) string {
	return regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "x")
}

// patternMatches reports whether CloudFront's path pattern matches a
// path: "*" stands for any characters, slashes too; "?" for one.
func patternMatches(pattern, path string) bool {
	var b strings.Builder
	b.WriteString("^")
	for _, c := range pattern {
		switch c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String()).MatchString(path)
}

// edgeBehaviors derives the distribution's cache behaviours from a route
// table, in the order CloudFront must evaluate them; every route they do
// not take goes to the default behaviour, which caches nothing. A cached
// route gets a behaviour of its own. A route that must not be cached but
// whose path a cached route's pattern would take (a "*" spans slashes)
// gets an uncached behaviour ahead of it. Behaviours are per path, not per
// method, so a cached route may not share its path with another route: a
// cache policy that keeps Authorization out of the key also keeps it from
// the origin. It panics on a table it cannot serve that way, so that
// synth and the tests stop on it.
func edgeBehaviors(table []routes.Route) []edgeBehavior {
	byPattern := map[string][]routes.Route{}
	for _, r := range table {
		p := pathPatternOf(r.Path)
		byPattern[p] = append(byPattern[p], r)
	}
	var out []edgeBehavior
	for _, p := range sortedKeys(byPattern) {
		rs := byPattern[p]
		for i, r := range rs {
			if !edgeCached(r) {
				continue
			}
			if len(rs) > 1 {
				panic(fmt.Sprintf("stacks: the edge caches %s %s, whose path pattern %s it shares with %d other route(s): "+
					"CloudFront's behaviours are per path, and a cached one forwards neither Authorization nor other headers", r.Method, r.Path, p, len(rs)-1))
			}
			out = append(out, edgeBehavior{Pattern: p, Cached: &rs[i], Routes: rs})
		}
	}
	cached := slices.Clone(out)
	for _, p := range sortedKeys(byPattern) {
		rs := byPattern[p]
		if edgeCached(rs[0]) {
			continue
		}
		for _, c := range cached {
			if patternMatches(c.Pattern, samplePath(rs[0].Path)) {
				out = append(out, edgeBehavior{Pattern: p, Routes: rs})
				break
			}
		}
	}
	// More literal characters first: the more specific pattern wins.
	slices.SortStableFunc(out, func(a, b edgeBehavior) int {
		return cmp.Or(cmp.Compare(literal(b.Pattern), literal(a.Pattern)), cmp.Compare(a.Pattern, b.Pattern))
	})
	if len(out) > maxCacheBehaviors {
		panic(fmt.Sprintf("stacks: the route table needs %d cache behaviours, CloudFront's quota is %d", len(out), maxCacheBehaviors))
	}
	// Every route must land on its own behaviour, or on the default one
	// if it has none.
	for _, r := range table {
		first := ""
		for _, b := range out {
			if patternMatches(b.Pattern, samplePath(r.Path)) {
				first = b.Pattern
				break
			}
		}
		want := ""
		if slices.ContainsFunc(out, func(b edgeBehavior) bool { return b.Pattern == pathPatternOf(r.Path) }) {
			want = pathPatternOf(r.Path)
		}
		if first != want {
			panic(fmt.Sprintf("stacks: %s %s would be served by the edge behaviour %q, not %q", r.Method, r.Path, first, want))
		}
	}
	return out
}

// literal counts a pattern's characters that are not wildcards.
func literal(pattern string) int {
	return len(pattern) - strings.Count(pattern, "*") - strings.Count(pattern, "?")
}

// edgeCacheKey splits a route's gateway cache key ("path.schoolId",
// "querystring.date", "header.Accept") into what a CloudFront cache
// policy names: the query strings and headers; the path is always in
// CloudFront's key.
func edgeCacheKey(r routes.Route) (query, headers []string) {
	for _, k := range r.CacheKey {
		kind, name, _ := strings.Cut(k, ".")
		switch kind {
		case "querystring":
			query = append(query, name)
		case "header":
			headers = append(headers, name)
		case "path":
		default:
			panic(fmt.Sprintf("stacks: %s %s: cache key %q is neither path, querystring nor header", r.Method, r.Path, k))
		}
	}
	return query, headers
}
