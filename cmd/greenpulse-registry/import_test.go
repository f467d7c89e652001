package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/internal/dhis2test"
	"github.com/greenpulse-health/greenpulse/registry"
)

const testToken = "d2pat_secret_token_0123456789"

// testCLI returns a cli whose environment holds env and whose output is
// captured.
func testCLI(env map[string]string) (cli, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return cli{stdout: &out, stderr: &errOut, getenv: func(k string) string { return env[k] },
		now: func() time.Time { return time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC) }}, &out, &errOut
}

// govSeed is a governorate org unit of the seeded hierarchy: the name and
// code DHIS2 gives it, and the ISO code the import must find.
type govSeed struct{ name, code, want string }

var govSeeds = []govSeed{
	{"Baghdad Al-Karkh", "", "IQ-BG"}, {"Basrah", "", "IQ-BA"}, {"Ninewa", "", "IQ-NI"},
	{"Erbil", "", "IQ-AR"}, {"Sulaimaniya", "", "IQ-SU"}, {"Duhok", "", "IQ-DA"},
	{"Kerbala", "", "IQ-KA"}, {"Thi-Qar", "", "IQ-DQ"}, {"Salahuddin", "", "IQ-SD"},
	{"Diwaniyah", "", "IQ-QA"}, {"Anbar DoH", "IQ-AN", "IQ-AN"}, {"Kurdistan Region", "", ""},
}

// uidOf makes a valid DHIS2 UID from a prefix and a number.
func uidOf(prefix string, n int) string { return fmt.Sprintf("%s%0*d", prefix, 11-len(prefix), n) }

// seed fills srv with a 4-level hierarchy of govs×districts×perDistrict
// facilities, among them closed units, units without coordinates, units
// with a polygon, and Arabic translations. It returns the facility UIDs
// by kind.
func seed(t testing.TB, srv *dhis2test.Server, govs []govSeed, districts, perDistrict int) map[string][]string {
	t.Helper()
	srv.AddOrgUnitLevels(dhis2test.OrgUnitLevel{ID: "LvlCountry1", Name: "National", Level: 1},
		dhis2test.OrgUnitLevel{ID: "LvlGovern01", Name: "Governorate", Level: 2},
		dhis2test.OrgUnitLevel{ID: "LvlDistr001", Name: "District", Level: 3},
		dhis2test.OrgUnitLevel{ID: "LvlFacil001", Name: "Health facility", Level: 4})
	boxes := map[string]registry.Governorate{}
	for _, g := range registry.Governorates() {
		boxes[g.Code] = g
	}
	kinds := map[string][]string{}
	units := []dhis2test.OrgUnit{{ID: "IRQroot0001", Name: "Iraq", Level: 1}}
	n := 0
	for gi, g := range govs {
		gov := uidOf("Gov", gi)
		units = append(units, dhis2test.OrgUnit{ID: gov, Code: g.code, Name: g.name, Parent: "IRQroot0001"})
		box := boxes[g.want]
		if g.want == "" {
			box = boxes["IQ-AR"]
		}
		for di := 0; di < districts; di++ {
			dis := uidOf(fmt.Sprintf("D%02d", gi), di)
			units = append(units, dhis2test.OrgUnit{ID: dis, Name: fmt.Sprintf("%s district %d", g.name, di), Parent: gov})
			for fi := 0; fi < perDistrict; fi++ {
				n++
				u := dhis2test.OrgUnit{ID: uidOf("F", n), Parent: dis, HasPoint: true,
					Lat: box.MinLat + (box.MaxLat-box.MinLat)*float64(fi+1)/float64(perDistrict+2),
					Lon: box.MinLon + (box.MaxLon-box.MinLon)*float64(di+1)/float64(districts+2)}
				switch fi % 4 {
				case 0:
					u.Name = fmt.Sprintf("%s General Hospital %d", g.name, n)
				case 1:
					u.Name = fmt.Sprintf("PHC %d", n)
				default:
					u.Name = fmt.Sprintf("Health post %d", n)
				}
				if n%2 == 0 {
					u.Translations = []dhis2test.Translation{{Property: "NAME", Locale: "ar", Value: fmt.Sprintf("مركز صحي %d", n)}}
				}
				if n%5 == 0 {
					u.Code = fmt.Sprintf("FAC-%04d", n)
				}
				kind := "ok"
				switch {
				case n%17 == 0:
					u.ClosedDate = "2021-06-30T00:00:00.000"
					kind = "closed"
				case n%13 == 0:
					u.HasPoint = false
					kind = "nocoords"
				case n%19 == 0:
					u.Geometry = json.RawMessage(`{"type":"Polygon","coordinates":[[[44,33],[44.1,33],[44.1,33.1],[44,33]]]}`)
					kind = "polygon"
				case g.want == "":
					kind = "unknowngov"
				}
				kinds[kind] = append(kinds[kind], u.ID)
				units = append(units, u)
			}
		}
	}
	srv.AddOrgUnits(units...)
	return kinds
}

func TestImportDHIS2EndToEnd(t *testing.T) {
	srv := dhis2test.Start(t, dhis2test.Options{Token: testToken})
	kinds := seed(t, srv, govSeeds, 3, 9) // 12×3×9 = 324 facilities
	dir := t.TempDir()

	// The merge file: one facility with custom type, beds and PV; one
	// polygon unit whose coordinates only the merge file has; one that
	// DHIS2 no longer has.
	merge := filepath.Join(dir, "existing.csv")
	poly := kinds["polygon"][0]
	mergeRows := "id,name,name_ar,type,beds,governorate,district,lat,lon,pv_kwp,dhis2_org_unit\n" +
		"BG-H-001,Old name,مستشفى قديم,other,321,IQ-BG,BG-OLD,33.3,44.3,42.5,F0000000001\n" +
		"POLY-1,Polygon unit,وحدة,phc,5,IQ-BG,BG-OLD,33.31,44.31,3," + poly + "\n" +
		"GONE-1,Gone,راحل,phc,0,IQ-BG,BG-OLD,33.32,44.32,0,Fgone000001\n"
	if err := os.WriteFile(merge, []byte(mergeRows), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "facilities.csv")
	c, stdout, stderr := testCLI(map[string]string{dhis2api.EnvToken: testToken})
	err := c.run(context.Background(), []string{"import-dhis2", "--url", srv.URL(), "--root", "IRQroot0001",
		"--merge", merge, "--out", out, "--page-size", "100", "--levels", "governorate=Governorate,district=3,facility=Health facility"})
	if err != nil {
		t.Fatalf("import-dhis2: %v\n%s", err, stderr)
	}
	rep := stdout.String()
	if strings.Contains(rep+stderr.String(), testToken) {
		t.Fatal("the token was printed")
	}
	reg, err := registry.Load(out)
	if err != nil {
		t.Fatalf("written list does not load: %v", err)
	}
	byOU := map[string]registry.Facility{}
	for _, f := range reg.Facilities() {
		byOU[f.DHIS2OrgUnit] = f
	}
	if f := byOU["F0000000001"]; f.ID != "BG-H-001" || f.Type != "other" || f.Beds != 321 || f.PVkWp != 42.5 || f.Governorate != "IQ-BG" {
		t.Errorf("merged facility lost its custom values: %+v", f)
	}
	if f := byOU[poly]; f.ID != "POLY-1" || f.Lat != 33.31 {
		t.Errorf("polygon unit did not keep the merge file's coordinates: %+v", f)
	}
	for _, kind := range []string{"closed", "nocoords", "unknowngov"} {
		for _, uid := range kinds[kind] {
			if _, ok := byOU[uid]; ok {
				t.Errorf("%s unit %s written", kind, uid)
			}
			if !strings.Contains(rep, "("+uid+")") {
				t.Errorf("%s unit %s not in the report", kind, uid)
			}
		}
	}
	if _, ok := byOU["Fgone000001"]; !ok {
		t.Error("facility no longer in DHIS2 was dropped")
	}
	wantN := len(kinds["ok"]) + 1 /* polygon kept */ + 1 /* gone */
	if reg.Len() != wantN {
		t.Errorf("%d facilities written, want %d", reg.Len(), wantN)
	}
	for _, g := range govSeeds[:len(govSeeds)-1] {
		if !strings.Contains(rep, fmt.Sprintf("%q (", g.name)) || !strings.Contains(rep, g.want+" by ") {
			t.Errorf("report does not say how %q matched %s", g.name, g.want)
		}
	}
	for _, want := range []string{
		"DHIS2 levels: 1 National, 2 Governorate, 3 District, 4 Health facility",
		"using levels: governorate=2 (Governorate), district=3 (District), facility=4 (Health facility)",
		`"Kurdistan Region" (Gov00000011, code ""): UNKNOWN`,
		"1 not in DHIS2 any more (kept)", "lack an Arabic name",
		`~ BG-H-001 "Baghdad Al-Karkh General Hospital 1": name "Old name" → "Baghdad Al-Karkh General Hospital 1"`,
	} {
		if !strings.Contains(rep, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	pages := 0
	for _, r := range srv.Requests() {
		if r.Path == "/api/organisationUnits" {
			pages++
			if r.Status != 200 {
				t.Errorf("request %v", r)
			}
		}
	}
	if total := 12 + 36 + 324; pages != (total+99)/100 {
		t.Errorf("%d pages read, want %d", pages, (total+99)/100)
	}
	t.Logf("report:\n%s", rep)
}

// TestImportDHIS2Timing imports 2,000 facilities from the double and logs
// how long it took (the target is 10 s; this is a figure, not an
// assertion).
func TestImportDHIS2Timing(t *testing.T) {
	srv := dhis2test.Start(t, dhis2test.Options{Token: testToken})
	govs := []govSeed{}
	for _, g := range registry.Governorates() {
		govs = append(govs, govSeed{g.Name, "", g.Code})
	}
	kinds := seed(t, srv, govs[:16], 5, 25) // 16×5×25 = 2,000 facilities
	out := filepath.Join(t.TempDir(), "facilities.csv")
	c, stdout, stderr := testCLI(map[string]string{dhis2api.EnvToken: testToken})
	start := time.Now()
	if err := c.run(context.Background(), []string{"import-dhis2", "--url", srv.URL(), "--root", "IRQroot0001", "--out", out}); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	took := time.Since(start)
	reg, err := registry.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("import-dhis2 of 2,000 facility org units (+16 governorates, 80 districts): %s, %d facilities written", took.Round(time.Millisecond), reg.Len())
	// Closed units, units without a point and polygons are seeded on
	// purpose; every other unit must be written.
	if reg.Len() != len(kinds["ok"]) {
		t.Errorf("%d facilities written, want the %d mappable units\n%s", reg.Len(), len(kinds["ok"]), stdout)
	}
}

func TestImportDHIS2Credentials(t *testing.T) {
	srv := dhis2test.Start(t, dhis2test.Options{Token: testToken, Username: "importer", Password: "pw-secret"})
	seed(t, srv, govSeeds[:1], 1, 2)
	dir := t.TempDir()
	args := func(extra ...string) []string {
		return append([]string{"import-dhis2", "--url", srv.URL(), "--root", "IRQroot0001", "--out", filepath.Join(dir, "f.csv")}, extra...)
	}
	open, private := filepath.Join(dir, "open.tok"), filepath.Join(dir, "private.tok")
	const tokenFile = testToken + "\n"
	if err := os.WriteFile(open, []byte(tokenFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(private, []byte(tokenFile), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		wantErr string
	}{
		{"no credentials", nil, args(), "no DHIS2 credentials"},
		{"wrong token", map[string]string{dhis2api.EnvToken: "d2pat_wrong"}, args(), "refused the credentials"},
		{"readable token file", nil, args("--token-file", open), "chmod 600"},
		{"token given as --token-file", nil, args("--token-file", testToken), "--token-file: no such file"},
		{"token file", nil, args("--token-file", private), ""},
		{"username without password", nil, args("--username", "importer"), dhis2api.EnvPassword},
		{"username and password", map[string]string{dhis2api.EnvPassword: "pw-secret", dhis2api.EnvToken: "d2pat_unused_token"}, args("--username", "importer"), ""},
		{"both", nil, args("--username", "importer", "--token-file", private), "not both"},
		{"bad level", map[string]string{dhis2api.EnvToken: testToken}, args("--levels", "district=Ward"), `no level named "Ward"`},
		{"bad override", map[string]string{dhis2api.EnvToken: testToken}, args("--governorates", "Gov00000000=IQ-ZZ"), "IQ-ZZ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, stdout, stderr := testCLI(tt.env)
			err := c.run(context.Background(), tt.args)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
			all := stdout.String() + stderr.String()
			if err != nil {
				all += err.Error()
			}
			if strings.Contains(all, strings.TrimSpace(tokenFile)) {
				t.Error("the token file's token was printed")
			}
			for k, v := range tt.env {
				if strings.Contains(all, v) {
					t.Errorf("the value of %s was printed", k)
				}
			}
		})
	}
}

func TestListLevels(t *testing.T) {
	srv := dhis2test.Start(t, dhis2test.Options{Token: testToken})
	seed(t, srv, govSeeds[:1], 1, 1)
	c, stdout, _ := testCLI(map[string]string{dhis2api.EnvToken: testToken})
	if err := c.run(context.Background(), []string{"import-dhis2", "--url", srv.URL(), "--list-levels"}); err != nil {
		t.Fatal(err)
	}
	if got := stdout.String(); got != "DHIS2 levels: 1 National, 2 Governorate, 3 District, 4 Health facility\n" {
		t.Errorf("printed %q", got)
	}
}

func TestImportHeRAMS(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "export.csv")
	body := "\ufeffcode;name;arabic;kind;state;gov;dist;y;x\n" +
		"H1;Karkh Hospital;مستشفى الكرخ;Hospital;Existing;Baghdad;Al-Karkh;33,30;44,34\n" +
		"H2;Basra PHC;;PHC;Destroyed;Basra;Al-Basrah;30,5;47,8\n" +
		"H3;Bad;;PHC;Existing;Basra;Al-Basrah;x;47,8\n" +
		"H4;Mosul centre;;Health Centre;Existing;Nineveh;Mosul;36,34;43,13\n"
	if err := os.WriteFile(in, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "facilities.csv")
	c, stdout, stderr := testCLI(nil)
	err := c.run(context.Background(), []string{"import-herams", "--in", in, "--out", out,
		"--columns", "id=code,name=name,name_ar=arabic,type=kind,status=state,functionality=,governorate=gov,district=dist,lat=y,lon=x"})
	if err != nil {
		t.Fatalf("import-herams: %v\n%s", err, stderr)
	}
	reg, err := registry.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Len() != 2 {
		t.Errorf("%d facilities, want H1 and H4", reg.Len())
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("written list: %v, mode %v; want 0644 (the collector's user reads it)", err, st.Mode())
	}
	// Written again, the list keeps the mode it had.
	if err := os.Chmod(out, 0o640); err != nil {
		t.Fatal(err)
	}
	c2, _, stderr2 := testCLI(nil)
	if err := c2.run(context.Background(), []string{"import-herams", "--in", in, "--out", out,
		"--columns", "id=code,name=name,name_ar=arabic,type=kind,status=state,functionality=,governorate=gov,district=dist,lat=y,lon=x"}); err != nil {
		t.Fatalf("import-herams again: %v\n%s", err, stderr2)
	}
	if st, err := os.Stat(out); err != nil || st.Mode().Perm() != 0o640 {
		t.Errorf("rewritten list: %v, mode %v; want the old 0640", err, st.Mode())
	}
	if f, _ := reg.Lookup("H1"); f.Type != "hospital" || f.District != "BG-KRK" || f.NameAr != "مستشفى الكرخ" {
		t.Errorf("H1 = %+v", f)
	}
	for _, want := range []string{`export.csv:3: "Basra PHC": status "Destroyed"`, `export.csv:4: "Bad": column lat (y): want a number of degrees, got "x"`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	if err := c.run(context.Background(), []string{"import-herams", "--in", in, "--out", out, "--columns", "id=nope"}); err == nil || !strings.Contains(err.Error(), "export.csv:1:") {
		t.Errorf("missing column: %v", err)
	}
}
