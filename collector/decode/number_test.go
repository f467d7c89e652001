package decode

import (
	"strconv"
	"testing"
)

var numberSeeds = []string{"0", "-0", "-0.0", "1200", "123.5", "0.1", "0.30000000000000004", "1e3", "1E-7",
	"123456789012345", "1234567890123456", "0.000123456789012345", "9007199254740993", "-12.25",
	"1772366400000", "-1772366400000", "999999999999999999", "9223372036854775807", "9223372036854775808",
	"1.5", "", "-", "+5", "1.2.3", ".5", "5.", "1e400", "0x10", "1_000", "inf", "NaN"}

// FuzzParseFloatIsStrconvs holds the short cut to strconv's value and error
// on any bytes, not only the literals the scanner lets through.
func FuzzParseFloatIsStrconvs(f *testing.F) {
	for _, s := range numberSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gotErr := parseFloat([]byte(s))
		want, wantErr := strconv.ParseFloat(s, 64)
		if strconv.FormatFloat(got, 'g', -1, 64) != strconv.FormatFloat(want, 'g', -1, 64) || errText(gotErr) != errText(wantErr) {
			t.Fatalf("parseFloat(%q) = %v, %v; strconv: %v, %v", s, got, gotErr, want, wantErr)
		}
	})
}

func FuzzParseIntIsStrconvs(f *testing.F) {
	for _, s := range numberSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, gotErr := parseInt([]byte(s))
		want, wantErr := strconv.ParseInt(s, 10, 64)
		if got != want || errText(gotErr) != errText(wantErr) {
			t.Fatalf("parseInt(%q) = %v, %v; strconv: %v, %v", s, got, gotErr, want, wantErr)
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
