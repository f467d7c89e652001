package manual

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"strings"
	"testing"
)

// typedNumberCase is something staff may type, and what ParseTypedNumber
// must make of it: a value, or the kind of refusal and words of its
// message. The page's parser is held to the same cases, in Chromium
// (agents/meternumbers_browser_test.go).
type typedNumberCase struct {
	In    string  `json:"in"`
	Want  float64 `json:"want"`
	Kind  string  `json:"kind"`
	Words string  `json:"words"`
}

func typedNumberCases(t testing.TB) []typedNumberCase {
	t.Helper()
	data, err := os.ReadFile("testdata/typed-numbers.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []typedNumberCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	return cases
}

func TestParseTypedNumber(t *testing.T) {
	for _, tt := range typedNumberCases(t) {
		v, err := ParseTypedNumber(tt.In)
		var ne *NumberError
		switch {
		case tt.Kind == "" && err != nil:
			t.Errorf("ParseTypedNumber(%q): %v, want %g", tt.In, err, tt.Want)
		case tt.Kind == "" && v != tt.Want:
			t.Errorf("ParseTypedNumber(%q) = %g, want %g", tt.In, v, tt.Want)
		case tt.Kind == "":
		case !errors.As(err, &ne) || ne.Kind != tt.Kind:
			t.Errorf("ParseTypedNumber(%q) = %g, %v; want a refusal of kind %q", tt.In, v, err, tt.Kind)
		case !strings.Contains(err.Error(), tt.Words):
			t.Errorf("ParseTypedNumber(%q): %q, want it to say %q", tt.In, err, tt.Words)
		}
	}
}

// FuzzParseTypedNumber checks that whatever is typed, ParseTypedNumber
// answers a finite reading of 0 or more, or a *NumberError that names
// what was typed; and that a number it accepts, written back plainly, is
// read as the same number.
func FuzzParseTypedNumber(f *testing.F) {
	for _, tt := range typedNumberCases(f) {
		f.Add(tt.In)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseTypedNumber(s)
		if err != nil {
			var ne *NumberError
			if !errors.As(err, &ne) || ne.Value != s || ne.Kind == "" || ne.Message == "" {
				t.Fatalf("ParseTypedNumber(%q): %#v", s, err)
			}
			return
		}
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) || math.Signbit(v) {
			t.Fatalf("ParseTypedNumber(%q) = %g", s, v)
		}
		if back, err := ParseTypedNumber(num(v)); v < 1e9 && (err != nil || back != math.Round(v*1e6)/1e6) {
			t.Fatalf("ParseTypedNumber(%q) = %g, written %q, read back %g, %v", s, v, num(v), back, err)
		}
	})
}
