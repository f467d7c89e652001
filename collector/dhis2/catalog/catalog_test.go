package catalog

import (
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/registry"
)

func TestStableUIDs(t *testing.T) {
	var codes []string
	for _, e := range Elements() {
		codes = append(codes, e.Code)
	}
	for _, r := range Ratios() {
		codes = append(codes, r.Code)
	}
	codes = append(codes, DataSetCode, PercentTypeCode, NumberTypeCode)
	seen := map[string]string{}
	for _, c := range codes {
		uid := StableUID(c)
		if !registry.IsDHIS2UID(uid) {
			t.Errorf("StableUID(%q) = %q: not a DHIS2 UID", c, uid)
		}
		if other, dup := seen[uid]; dup {
			t.Errorf("StableUID(%q) = StableUID(%q) = %q", c, other, uid)
		}
		seen[uid] = c
	}
	// Installations find what an earlier setup created by these UIDs: a
	// change here orphans every object in every DHIS2 already set up.
	for code, want := range map[string]string{
		DataSetCode:           "zycBYpH67gd",
		"GP_GRID_KWH":         "J9Ib1izbrQx",
		"GP_STORAGE_EXCEEDED": "KQI1ua3GGy4",
	} {
		if got := StableUID(code); got != want {
			t.Errorf("StableUID(%q) = %q, was %q", code, got, want)
		}
	}
}

func TestChecks(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"uid scheme", CheckOrgUnitIDScheme("uid"), ""},
		{"attribute scheme", CheckOrgUnitIDScheme("attribute:HeRAMSattr1"), ""},
		{"attribute without a UID", CheckOrgUnitIDScheme("attribute:herams"), `want uid, code or attribute:<attribute UID>, got "attribute:herams"`},
		{"name scheme", CheckDataElementIDScheme("name"), `want uid or code, got "name"`},
		{"mapped by code", CheckDataElement("solar_kwh", "MOH_SOLAR", "code"), ""},
		{"unknown quantity", CheckDataElement("solar_kw", "AbCdEfGhIjK", "uid"), "is not a pushed quantity; choose one of grid_kwh,"},
		{"not a UID", CheckDataElement("solar_kwh", "MOH_SOLAR", "uid"), `want a DHIS2 UID with data_element_id_scheme uid, got "MOH_SOLAR"`},
		{"empty", CheckDataElement("solar_kwh", " ", "code"), "got an empty value"},
	} {
		got := ""
		if tt.err != nil {
			got = tt.err.Error()
		}
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
