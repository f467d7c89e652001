package registry

import (
	"bytes"
	"reflect"
	"testing"
)

func TestSynthesize(t *testing.T) {
	fs := Synthesize(2000, 1)
	if len(fs) != 2000 {
		t.Fatalf("got %d facilities, want 2000", len(fs))
	}
	ids := map[string]bool{}
	perType := map[Type]int{}
	perGov := map[string]int{}
	for _, f := range fs {
		if ids[f.ID] {
			t.Errorf("duplicate id %s", f.ID)
		}
		ids[f.ID] = true
		perType[f.Type]++
		perGov[f.Governorate]++
		if err := f.Validate(); err != nil {
			t.Errorf("%s: %v", f.ID, err)
		}
		g, _ := lookupGovernorate(f.Governorate)
		if f.Lat < g.minLat || f.Lat > g.maxLat || f.Lon < g.minLon || f.Lon > g.maxLon {
			t.Errorf("%s (%v, %v) is outside %s's box", f.ID, f.Lat, f.Lon, g.code)
		}
	}
	if n := perType[TypeHospital]; n < 400 || n > 600 {
		t.Errorf("%d hospitals of 2000, want about 500", n)
	}
	if len(perGov) != len(governorates) {
		t.Errorf("facilities in %d governorates, want all %d", len(perGov), len(governorates))
	}
	if perGov["IQ-BG"] <= perGov["IQ-NI"] || perGov["IQ-NI"] <= perGov["IQ-MU"] {
		t.Errorf("not weighted by population: %v", perGov)
	}

	var buf bytes.Buffer
	if err := WriteCSV(&buf, fs); err != nil {
		t.Fatal(err)
	}
	reg, err := Parse(&buf, "synth.csv")
	if err != nil {
		t.Fatalf("Parse(WriteCSV(Synthesize(2000, 1))): %v", err)
	}
	if got := reg.Facilities(); !reflect.DeepEqual(got, fs) {
		t.Error("facilities changed on the round trip through WriteCSV and Parse")
	}
}

func TestSynthesizeDeterministic(t *testing.T) {
	a, b := Synthesize(2000, 1), Synthesize(2000, 1)
	if !reflect.DeepEqual(a, b) {
		t.Error("Synthesize(2000, 1) differs between calls")
	}
	if reflect.DeepEqual(a, Synthesize(2000, 2)) {
		t.Error("Synthesize ignores its seed")
	}
	if got := Synthesize(0, 1); len(got) != 0 {
		t.Errorf("Synthesize(0, 1) returned %d facilities", len(got))
	}
}
