package ids

import "testing"

func TestValid(t *testing.T) {
	for s, want := range map[string]bool{
		"0191e2a4-7b1c-7c3d-8e4f-123456789abc": true,
		"0191E2A4-7B1C-7C3D-8E4F-123456789ABC": true,
		"0191e2a4-7b1c-7c3d-8e4f-123456789ab":  false,
		"0191e2a4x7b1c-7c3d-8e4f-123456789abc": false,
		"0191e2a4-7b1c-7c3d-8e4f-123456789abg": false,
		"":                                     false,
		"1; DROP TABLE orders":                 false,
	} {
		if got := Valid(s); got != want {
			t.Errorf("Valid(%q) = %v, want %v", s, got, want)
		}
	}
}
