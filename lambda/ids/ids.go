// Package ids checks the shape of entity ids before they reach a query,
// so that a malformed id is the client's 400, not a database error.
package ids

// Valid reports whether s is a UUID in canonical textual form
// (8-4-4-4-12 hexadecimal digits, either case).
func Valid(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
