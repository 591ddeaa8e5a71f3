// Package plaintext checks client-given strings before they reach a query
// or a log line, so that bytes PostgreSQL refuses in text (NUL, invalid
// UTF-8) are the client's 400, not a database error.
package plaintext

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Valid reports whether s is valid UTF-8 without control characters.
func Valid(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}
