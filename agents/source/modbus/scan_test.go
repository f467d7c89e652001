package modbus

import (
	"strconv"
	"testing"
)

func TestParseUnits(t *testing.T) {
	tests := []struct {
		in      string
		want    int // how many units
		first   uint8
		wantErr bool
	}{
		{"1-247", 247, 1, false},
		{"3", 1, 3, false},
		{"1,2,10-12,2", 5, 1, false},
		{"0-1", 2, 0, false},
		{"255", 1, 255, false},
		{"256", 0, 0, true},
		{"5-2", 0, 0, true},
		{"a-b", 0, 0, true},
		{"", 0, 0, true},
	}
	for _, tt := range tests {
		got, err := ParseUnits(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseUnits(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && (len(got) != tt.want || got[0] != tt.first) {
			t.Errorf("ParseUnits(%q) = %v, want %d units from %d", tt.in, got, tt.want, tt.first)
		}
	}
}

func FuzzParseUnits(f *testing.F) {
	for _, s := range []string{"1-247", "3", "1,2,10-12", "0-255", "5-2", "", "1,,2", "-", "300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		units, err := ParseUnits(s)
		if err != nil {
			return
		}
		if len(units) == 0 {
			t.Fatalf("ParseUnits(%q) gave no units and no error", s)
		}
		for i := 1; i < len(units); i++ {
			if units[i] <= units[i-1] {
				t.Fatalf("ParseUnits(%q) = %v: not sorted without repeats", s, units)
			}
		}
		// Every unit listed alone parses back to itself.
		for _, u := range units {
			back, err := ParseUnits(strconv.Itoa(int(u)))
			if err != nil || len(back) != 1 || back[0] != u {
				t.Fatalf("unit %d of %q does not parse back: %v %v", u, s, back, err)
			}
		}
	})
}
