package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestDomainLinksNoAdapter guards the dependency rule of DESIGN.md: the
// domain packages take plain Go types, so nothing they link, directly or
// through another package, may be an adapter or an adapter's library (API
// Gateway events, pgx, go-redis, Razorpay's payloads). It lists what each
// may link rather than what it may not, so that a renamed or new adapter
// is caught too.
func TestDomainLinksNoAdapter(t *testing.T) {
	const module = "github.com/hasivu/infra/lambda/"
	// shared are the dependency-free packages every domain package may
	// use; auth's JWT and bcrypt libraries are its own business.
	shared := []string{"apperr", "ids", "ist", "plaintext"}
	for pkg, may := range map[string][]string{
		"orders":   shared,
		"menus":    shared,
		"payments": shared,
		"rfid":     append([]string{"auth", "github.com/golang-jwt/jwt/v5", "golang.org/x/crypto/bcrypt", "golang.org/x/crypto/blowfish"}, shared...),
		"auth":     append([]string{"github.com/golang-jwt/jwt/v5", "golang.org/x/crypto/bcrypt", "golang.org/x/crypto/blowfish"}, shared...),
	} {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "./"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			name := strings.TrimPrefix(dep, module)
			if name != pkg && !slices.Contains(may, name) {
				t.Errorf("%s links %s: a domain package takes plain Go types and links no adapter (DESIGN.md, Dependency rules)", pkg, dep)
			}
		}
	}
}
