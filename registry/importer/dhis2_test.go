package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/registry"
)

// fixtureGetter answers GetJSON from the testdata files: levels.json, and
// orgunits-page<N>.json for page N. It records the queries it was sent.
type fixtureGetter struct {
	t       *testing.T
	queries []url.Values
}

func (g *fixtureGetter) GetJSON(_ context.Context, path string, q url.Values, out any) error {
	g.t.Helper()
	g.queries = append(g.queries, q)
	var file string
	switch path {
	case "/api/organisationUnitLevels":
		file = "levels.json"
	case "/api/organisationUnits":
		file = "orgunits-page" + q.Get("page") + ".json"
	default:
		return fmt.Errorf("fixtureGetter: no fixture for %s", path)
	}
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// fixtureMapping is the mapping the fixtures are built for.
func fixtureMapping() DHIS2Mapping {
	return DHIS2Mapping{Root: "IRQroot0001", Governorate: 2, District: 3, Facility: 4,
		Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
}

// readFixture fetches and maps the fixture org units.
func readFixture(t *testing.T, m DHIS2Mapping) Source {
	t.Helper()
	g := &fixtureGetter{t: t}
	units, st, err := FetchOrgUnits(context.Background(), g, m.Root, []int{2, 3, 4}, 10, discard())
	if err != nil {
		t.Fatalf("FetchOrgUnits: %v", err)
	}
	if st.Pages != 2 || st.Units != 18 || st.Total != 18 {
		t.Fatalf("stats %+v, want 2 pages of 18 units", st)
	}
	src, err := MapOrgUnits(units, m, NewGovernorateMatcher())
	if err != nil {
		t.Fatalf("MapOrgUnits: %v", err)
	}
	return src
}

func TestFetchLevelsAndResolve(t *testing.T) {
	g := &fixtureGetter{t: t}
	lv, err := FetchLevels(context.Background(), g)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.queries) != 1 || g.queries[0].Get("paging") != "false" {
		t.Errorf("queries %v, want one with paging=false", g.queries)
	}
	if got := DescribeLevels(lv); got != "1 National, 2 Governorate, 3 District, 4 Facility" {
		t.Errorf("levels %q", got)
	}
	for spec, want := range map[string]int{"2": 2, "governorate": 2, " Facility ": 4} {
		if n, err := ResolveLevel(spec, lv); err != nil || n != want {
			t.Errorf("ResolveLevel(%q) = %d, %v; want %d", spec, n, err, want)
		}
	}
	for _, spec := range []string{"5", "Ward", ""} {
		if _, err := ResolveLevel(spec, lv); err == nil || !strings.Contains(err.Error(), "1 National") {
			t.Errorf("ResolveLevel(%q) error %v, want one listing the levels", spec, err)
		}
	}
}

func TestFetchOrgUnitsQuery(t *testing.T) {
	g := &fixtureGetter{t: t}
	if _, _, err := FetchOrgUnits(context.Background(), g, "IRQroot0001", []int{2, 3, 4}, 10, discard()); err != nil {
		t.Fatal(err)
	}
	if len(g.queries) != 2 {
		t.Fatalf("%d requests, want 2 (the pager says 2 pages)", len(g.queries))
	}
	q := g.queries[0]
	if got := strings.Join(q["filter"], "&"); got != "path:like:IRQroot0001&level:in:[2,3,4]" {
		t.Errorf("filters %q", got)
	}
	if q.Get("locale") != "ar" {
		t.Errorf("locale %q, want ar for displayName", q.Get("locale"))
	}
	if q.Get("pageSize") != "10" || q.Get("page") != "1" || g.queries[1].Get("page") != "2" || q.Get("order") != "id:asc" {
		t.Errorf("paging query %v then %v", q, g.queries[1])
	}
	for _, f := range []string{"id", "code", "name", "level", "path", "geometry", "closedDate", "translations[property,locale,value]"} {
		if !strings.Contains(","+q.Get("fields")+",", ","+f+",") {
			t.Errorf("fields %q lack %s", q.Get("fields"), f)
		}
	}
}

func TestMapOrgUnitsFixture(t *testing.T) {
	src := readFixture(t, fixtureMapping())
	byOU := map[string]Candidate{}
	for _, c := range src.Candidates {
		byOU[c.OrgUnit] = c
	}
	k1 := byOU["FacKarkh001"]
	if k1.Governorate != "IQ-BG" || k1.NameAr != "مستشفى الكرخ العام" || !k1.HasCoords || k1.Lat != 33.30 || k1.Lon != 44.34 || k1.District.Code != "BG-KRK" {
		t.Errorf("FacKarkh001 = %+v", k1)
	}
	if c := byOU["FacKarkh002"]; c.NameAr != "مركز صحي الكرخ ١" {
		t.Errorf("ar_IQ translation not used: %+v", c)
	}
	if c := byOU["FacBasra001"]; c.HasCoords || !strings.Contains(c.NoCoords, "Polygon") || c.Governorate != "IQ-BA" {
		t.Errorf("polygon unit = %+v", c)
	}
	if c, ok := byOU["FacBasra004"]; !ok || c.SourceID != "BA-P-002" {
		t.Errorf("unit closing in the future not imported: %+v", c)
	}
	if c := byOU["FacMosul001"]; c.Governorate != "IQ-NI" {
		t.Errorf("Ninewa not matched: %+v", c)
	}
	if len(src.Skipped) != 1 || src.Skipped[0].OrgUnit != "FacBasra003" || !strings.Contains(src.Skipped[0].Reason, "2020-05-01") {
		t.Errorf("skipped %v, want the closed FacBasra003", src.Skipped)
	}
	reasons := map[string]string{}
	for _, p := range src.Problems {
		reasons[p.OrgUnit] = p.Reason
	}
	if !strings.Contains(reasons["FacSoran001"], "GovUnknown1=IQ-XX") {
		t.Errorf("unknown governorate: %q", reasons["FacSoran001"])
	}
	if !strings.Contains(reasons["HospAtL3001"], "level 3") {
		t.Errorf("facility at the district level: %q", reasons["HospAtL3001"])
	}
	notes := strings.Join(src.Notes, "\n")
	for _, want := range []string{`"Baghdad Al-Karkh" (GovBaghdad1): IQ-BG by start of name`, "IQ-BA by code", "IQ-NI by name", "UNKNOWN"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

func TestMapOrgUnitsErrors(t *testing.T) {
	units := []OrgUnit{{ID: "DisKarkh001", Level: 3, Path: "/IRQroot0001/GovBaghdad1/DisKarkh001"}}
	m := fixtureMapping()
	m.Root = "DisKarkh001"
	if _, err := MapOrgUnits(units, m, NewGovernorateMatcher()); err == nil || !strings.Contains(err.Error(), "below the governorate level") {
		t.Errorf("root below the governorate level: %v", err)
	}
	m = fixtureMapping()
	m.Governorates = map[string]string{"NotAGov0001": "IQ-BG"}
	if _, err := MapOrgUnits(units, m, NewGovernorateMatcher()); err == nil || !strings.Contains(err.Error(), "governorates: NotAGov0001 is not a governorate-level") {
		t.Errorf("override for a unit that is no governorate: %v", err)
	}
	for _, bad := range []DHIS2Mapping{
		{Root: "short", Governorate: 2, District: 3, Facility: 4},
		{Root: "IRQroot0001", Governorate: 3, District: 3, Facility: 4},
		{Root: "IRQroot0001", Governorate: 2, District: 3, Facility: 4, Governorates: map[string]string{"GovBaghdad1": "IQ-ZZ"}},
	} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) = nil", bad)
		}
	}
}

func TestImportFixtureWithMerge(t *testing.T) {
	m := fixtureMapping()
	m.Governorates = map[string]string{"GovUnknown1": "IQ-AR"}
	src := readFixture(t, m)
	base, err := registry.Load(filepath.Join("testdata", "merge.csv"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Merge(src, base, Options{BaseName: "merge.csv"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := Encode(res.Facilities, "out.csv")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Parse(bytes.NewReader(data), "out.csv")
	if err != nil {
		t.Fatal(err)
	}
	byOU := map[string]registry.Facility{}
	for _, f := range reg.Facilities() {
		byOU[f.DHIS2OrgUnit] = f
	}
	want := map[string]registry.Facility{
		// matched: id, type, beds, pv_kwp kept; name, name_ar, coordinates from DHIS2
		"FacKarkh001": {ID: "KRK-H-1", Name: "Al-Karkh General Hospital", NameAr: "مستشفى الكرخ العام", Type: "hospital", Beds: 250, Governorate: "IQ-BG", District: "BG-KRK", Lat: 33.3, Lon: 44.34, PVkWp: 120, DHIS2OrgUnit: "FacKarkh001"},
		// polygon: coordinates from the merge file; no Arabic name in DHIS2: kept
		"FacBasra001": {ID: "BA-P-001", Name: "Basra Health Centre", NameAr: "مركز صحي البصرة", Type: "phc", Governorate: "IQ-BA", District: "BA-BSR", Lat: 30.5, Lon: 47.85, PVkWp: 15, DHIS2OrgUnit: "FacBasra001"},
		// new, no code: id is the UID; type guessed
		"FacKarkh002": {ID: "FacKarkh002", Name: "Karkh PHC 1", NameAr: "مركز صحي الكرخ ١", Type: "phc", Governorate: "IQ-BG", District: "BG-KRK", Lat: 33.31, Lon: 44.35, DHIS2OrgUnit: "FacKarkh002"},
		// new, with code; district learnt from the merge file (BA-BSR)
		"FacBasra004": {ID: "BA-P-002", Name: "Zubair PHC", NameAr: "Zubair PHC", Type: "phc", Governorate: "IQ-BA", District: "BA-BSR", Lat: 30.39, Lon: 47.7, DHIS2OrgUnit: "FacBasra004"},
		// kept as they were: closed, gone, unmappable
		"FacBasra003": {ID: "OLD-1", Name: "Old Basra Clinic", NameAr: "عيادة البصرة القديمة", Type: "other", Governorate: "IQ-BA", District: "BA-BSR", Lat: 30.5, Lon: 47.8, DHIS2OrgUnit: "FacBasra003"},
		"FacMosul001": {ID: "NI-H-001", Name: "Mosul General Hospital", NameAr: "مستشفى الموصل العام", Type: "hospital", Beds: 400, Governorate: "IQ-NI", District: "NI-MSL", Lat: 36.34, Lon: 43.13, PVkWp: 200, DHIS2OrgUnit: "FacMosul001"},
		// override IQ-AR; the district has no code and no table match
		"FacSoran001": {ID: "FacSoran001", Name: "Soran Hospital", NameAr: "Soran Hospital", Type: "hospital", Governorate: "IQ-AR", District: "AR-SRN", Lat: 36.65, Lon: 44.54, DHIS2OrgUnit: "FacSoran001"},
	}
	for ou, w := range want {
		if got := byOU[ou]; got != w {
			t.Errorf("%s:\n got %+v\nwant %+v", ou, got, w)
		}
	}
	if _, ok := byOU["FacGone0001"]; !ok {
		t.Error("merge-file facility no longer in DHIS2 was dropped")
	}
	for _, ou := range []string{"FacBasra002", "FacMosul002", "HospAtL3001"} {
		if _, ok := byOU[ou]; ok {
			t.Errorf("%s written, want it reported", ou)
		}
	}
	if reg.Len() != 8 {
		t.Errorf("%d facilities, want 8", reg.Len())
	}

	var rep bytes.Buffer
	if err := res.WriteReport(&rep, "out.csv"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"wrote 8 facilities to out.csv: 5 from DHIS2 (2 matched in the merge file, 3 new), 3 kept from the merge file",
		`FacBasra002): no coordinates (no geometry in DHIS2)`,
		`FacMosul002): lat: 43.13 is outside Ninawa`, "(lat and lon look swapped)",
		"FacMosul001): lat: 33.3 is outside", "kept as they were in the merge file: NI-H-001",
		"diff against merge.csv: 3 added, 1 changed, 1 not in DHIS2 any more (kept), 1 closed in DHIS2 (kept), 2 unchanged",
		`~ KRK-H-1 "Al-Karkh General Hospital": name "Karkh General Hospital" → "Al-Karkh General Hospital"; name_ar "مستشفى الكرخ" → "مستشفى الكرخ العام"`,
		`? GONE-1`, `- OLD-1 "Old Basra Clinic": closed on 2020-05-01 in DHIS2`,
		"2 lack an Arabic name", "type of 3 new facilities guessed from the name: 1 hospital, 2 phc, 0 other",
	} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, rep.String())
		}
	}
	t.Logf("report (the sample in docs/registry-import.md):\n%s", rep.String())
}

func TestMapOrgUnitsGovernorateRoot(t *testing.T) {
	m := fixtureMapping()
	m.Root = "GovBasra001"
	src := readFixture(t, m)
	for _, c := range src.Candidates {
		if c.Governorate != "IQ-BA" {
			t.Errorf("unit outside the root mapped: %+v", c)
		}
	}
	if len(src.Candidates) != 3 { // FacBasra001, 002, 004
		t.Errorf("%d candidates under GovBasra001, want 3", len(src.Candidates))
	}
}

func TestArabicName(t *testing.T) {
	tr := func(prop, loc, v string) Translation { return Translation{Property: prop, Locale: loc, Value: v} }
	tests := []struct {
		ts                  []Translation
		display, name, want string
	}{
		{[]Translation{tr("NAME", "ar_IQ", "ب"), tr("NAME", "ar", "أ")}, "", "A", "أ"},
		{[]Translation{tr("SHORT_NAME", "ar", "ق"), tr("NAME", "ar-SA", "س")}, "", "A", "س"},
		{[]Translation{tr("NAME", "fr", "Hôpital")}, "", "A", ""},
		{nil, "مستشفى", "Hospital", "مستشفى"}, // translations filtered away, displayName for locale=ar kept
		{nil, "Hospital", "Hospital", ""},
		{[]Translation{tr("NAME", "ar", " ")}, "", "A", ""},
	}
	for _, tt := range tests {
		if got := arabicName(tt.ts, tt.display, tt.name); got != tt.want {
			t.Errorf("arabicName(%v, %q) = %q, want %q", tt.ts, tt.display, got, tt.want)
		}
	}
}
