package plaintext

import "testing"

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"":                true,
		"CARD0001":        true,
		"reader-7 ಕನ್ನಡ":  true,
		"k\x00":           false,
		"\xff\xfe":        false,
		"line\nbreak":     false,
		"tab\there":       false,
		"del\x7f":         false,
		"next-line\u0085": false,
	} {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
}
