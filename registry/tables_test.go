package registry

import (
	"testing"
)

func TestGovernorates(t *testing.T) {
	gs := Governorates()
	if len(gs) != 18 {
		t.Errorf("got %d governorates, want 18", len(gs))
	}
	seen := map[string]bool{}
	for _, g := range gs {
		if seen[g.Code] {
			t.Errorf("duplicate governorate %s", g.Code)
		}
		seen[g.Code] = true
		if g.Name == "" || g.NameAr == "" || g.MinLat >= g.MaxLat || g.MinLon >= g.MaxLon {
			t.Errorf("bad governorate %+v", g)
		}
		if g.MinLat < 29 || g.MaxLat > 37.5 || g.MinLon < 38.7 || g.MaxLon > 48.8 {
			t.Errorf("%s box %+v is outside Iraq", g.Code, g)
		}
	}
	gs[0].Code = "changed"
	if Governorates()[0].Code == "changed" {
		t.Error("Governorates returned shared state")
	}
}

func TestDistrictTable(t *testing.T) {
	seen := map[string]bool{}
	perGov := map[string]int{}
	for _, d := range districts {
		if seen[d.code] {
			t.Errorf("duplicate district code %s", d.code)
		}
		seen[d.code] = true
		g, ok := lookupGovernorate(d.gov)
		if !ok {
			t.Errorf("district %s: unknown governorate %s", d.code, d.gov)
			continue
		}
		perGov[d.gov]++
		if d.lat < g.minLat || d.lat > g.maxLat || d.lon < g.minLon || d.lon > g.maxLon {
			t.Errorf("district %s (%v, %v) is outside %s's box", d.name, d.lat, d.lon, g.code)
		}
		if d.name == "" || d.nameAr == "" || d.weight <= 0 {
			t.Errorf("incomplete district %+v", d)
		}
	}
	for _, g := range governorates {
		if perGov[g.code] == 0 {
			t.Errorf("governorate %s has no districts", g.code)
		}
	}
}

func TestExampleFacilityList(t *testing.T) {
	reg, err := Load("../configs/facilities.csv")
	if err != nil {
		t.Fatalf("configs/facilities.csv: %v", err)
	}
	if reg.Len() < 200 {
		t.Errorf("got %d facilities, want at least 200", reg.Len())
	}
	perGov := map[string]int{}
	hospitals := 0
	for _, f := range reg.Facilities() {
		perGov[f.Governorate]++
		if f.Type == TypeHospital {
			hospitals++
		}
	}
	for _, g := range Governorates() {
		if perGov[g.Code] == 0 {
			t.Errorf("no facility in %s (%s)", g.Name, g.Code)
		}
	}
	for code, n := range perGov {
		if code != "IQ-BG" && n >= perGov["IQ-BG"] {
			t.Errorf("%s has %d facilities, not fewer than Baghdad's %d", code, n, perGov["IQ-BG"])
		}
	}
	if share := float64(hospitals) / float64(reg.Len()); share < 0.2 || share > 0.3 {
		t.Errorf("hospital share %.2f, want about 0.25", share)
	}
}
