package registry

import (
	"errors"
	"io/fs"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const hdr = "id,name,name_ar,type,beds,governorate,district,lat,lon,pv_kwp,dhis2_org_unit"

// goodFields is a valid row; tests change one field at a time.
var goodFields = []string{"BG-H-001", "Al-Yarmouk Teaching Hospital", "مستشفى اليرموك التعليمي", "hospital", "600", "IQ-BG", "BG-KRK", "33.30", "44.34", "250", "AbCdEfGhIj1"}

// row returns goodFields joined as a CSV line with the named column set to v
// and the id set to id.
func row(t *testing.T, id, column, v string) string {
	t.Helper()
	f := append([]string(nil), goodFields...)
	f[0] = id
	if column != "" {
		i := columnIndex(t, column)
		f[i] = v
	}
	return strings.Join(f, ",")
}

func columnIndex(t *testing.T, column string) int {
	t.Helper()
	for i, h := range header {
		if h == column {
			return i
		}
	}
	t.Fatalf("no column %q", column)
	return -1
}

func parseString(t *testing.T, lines ...string) (*Registry, error) {
	t.Helper()
	return Parse(strings.NewReader(strings.Join(lines, "\n")+"\n"), "t.csv")
}

// errLines splits a joined error into its messages.
func errLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func TestParseRowRules(t *testing.T) {
	tests := []struct {
		name, column, value string
		raw                 string // replaces the whole bad row when set
		want                string // substring of the single error, after "t.csv:3: "
	}{
		{name: "empty id", column: "id", value: "", want: "id: want 1 to 64"},
		{name: "id with space", column: "id", value: "BG H 1", want: "id: want 1 to 64"},
		{name: "id too long", column: "id", value: strings.Repeat("a", 65), want: "id: want 1 to 64"},
		{name: "duplicate id", column: "id", value: "G1", want: `id: duplicate "G1", first on line 2`},
		{name: "empty name", column: "name", value: "", want: "name: want a non-empty value"},
		{name: "blank name", column: "name", value: "   ", want: "name: want a non-empty value"},
		{name: "empty arabic name", column: "name_ar", value: "", want: "name_ar: want a non-empty value"},
		{name: "control character in name", column: "name", value: "a\tb", want: "name: want no control characters"},
		{name: "unknown type", column: "type", value: "clinic", want: `type: want one of hospital, phc, other, got "clinic"`},
		{name: "type case", column: "type", value: "Hospital", want: "type: want one of"},
		{name: "beds not a number", column: "beds", value: "x", want: `beds: want a whole number ≥ 0, got "x"`},
		{name: "negative beds", column: "beds", value: "-1", want: `beds: want a whole number ≥ 0, got "-1"`},
		{name: "fractional beds", column: "beds", value: "1.5", want: `beds: want a whole number ≥ 0, got "1.5"`},
		{name: "unknown governorate", column: "governorate", value: "IQ-XX", want: `governorate: want an ISO 3166-2:IQ governorate code such as "IQ-BG", got "IQ-XX"`},
		{name: "lower-case governorate", column: "governorate", value: "iq-bg", want: "governorate: want an ISO"},
		{name: "empty governorate", column: "governorate", value: "", want: "governorate: want an ISO"},
		{name: "empty district", column: "district", value: "", want: "district: want a district code"},
		{name: "district in two governorates", raw: "X3,Basra Teaching Hospital,مستشفى البصرة التعليمي,hospital,600,IQ-BA,BG-KRK,30.5,47.8,100,", want: `district: "BG-KRK" is in IQ-BG on line 2, got IQ-BA`},
		{name: "lat not a number", column: "lat", value: "abc", want: `lat: want a finite number, got "abc"`},
		{name: "lat NaN", column: "lat", value: "NaN", want: `lat: want a finite number, got "NaN"`},
		{name: "lat infinite", column: "lat", value: "+Inf", want: `lat: want a finite number, got "+Inf"`},
		{name: "lat outside governorate", column: "lat", value: "36.0", want: "lat: 36 is outside Baghdad (IQ-BG)"},
		{name: "lon outside governorate", column: "lon", value: "47.8", want: "lon: 47.8 is outside Baghdad (IQ-BG)"},
		{name: "empty lon", column: "lon", value: "", want: `lon: want a finite number, got ""`},
		{name: "negative pv", column: "pv_kwp", value: "-1", want: `pv_kwp: want a finite number ≥ 0, got -1`},
		{name: "pv NaN", column: "pv_kwp", value: "NaN", want: `pv_kwp: want a finite number ≥ 0, got "NaN"`},
		{name: "pv not a number", column: "pv_kwp", value: "10kW", want: `pv_kwp: want a finite number ≥ 0, got "10kW"`},
		{name: "uid too short", column: "dhis2_org_unit", value: "abc", want: "dhis2_org_unit: want empty or a DHIS2 UID"},
		{name: "uid starts with digit", column: "dhis2_org_unit", value: "1bcdefghijk", want: "dhis2_org_unit: want empty or a DHIS2 UID"},
		{name: "uid punctuation", column: "dhis2_org_unit", value: "abcdefghij-", want: "dhis2_org_unit: want empty or a DHIS2 UID"},
		{name: "too few fields", raw: "X3,a,b,phc,0,IQ-BG,BG-KRK,33.3,44.3,0", want: "want 11 fields, got 10"},
		{name: "too many fields", raw: row(t, "X3", "", "") + ",extra", want: "want 11 fields, got 12"},
		{name: "bad quoting", raw: `X3,"Al-Kindi" Hospital,b,phc,0,IQ-BG,BG-KRK,33.3,44.3,0,`, want: "column "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := tt.raw
			if bad == "" {
				bad = row(t, "X3", tt.column, tt.value)
				if tt.column == "id" {
					bad = row(t, tt.value, "", "")
					if strings.ContainsAny(tt.value, ",\"") {
						t.Fatal("test value needs quoting")
					}
				}
			}
			_, err := parseString(t, hdr, row(t, "G1", "", ""), bad, row(t, "G4", "", ""))
			msgs := errLines(err)
			if len(msgs) != 1 {
				t.Fatalf("want exactly one error, got %d: %v", len(msgs), err)
			}
			if !strings.HasPrefix(msgs[0], "t.csv:3: ") || !strings.Contains(msgs[0], tt.want) {
				t.Errorf("error = %q, want it to start with %q and contain %q", msgs[0], "t.csv:3: ", tt.want)
			}
		})
	}
}

func TestParseValidVariants(t *testing.T) {
	tests := []struct{ name, column, value string }{
		{"phc without beds", "beds", "0"},
		{"other type", "type", "other"},
		{"phc type", "type", "phc"},
		{"no dhis2 uid", "dhis2_org_unit", ""},
		{"no solar", "pv_kwp", "0"},
		{"inside the margin", "lat", "33.95"},
		{"quoted name with comma", "name", `"Al-Kindi Hospital, Baghdad"`},
		{"id of 64 characters", "id", strings.Repeat("a", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := row(t, "G1", tt.column, tt.value)
			if tt.column == "id" {
				r = row(t, tt.value, "", "")
			}
			reg, err := parseString(t, hdr, r)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if reg.Len() != 1 {
				t.Fatalf("Len = %d, want 1", reg.Len())
			}
		})
	}
}

func TestParseReportsEveryBadRow(t *testing.T) {
	_, err := parseString(t, hdr,
		row(t, "G1", "", ""),
		row(t, "B2", "beds", "x"),
		row(t, "G3", "", ""),
		row(t, "B4", "type", "clinic"),
		row(t, "B5", "lat", "NaN"),
		row(t, "G1", "", ""),
		`B7,"multi`+"\n"+`line",b,phc,0,IQ-BG,BG-RSF,33.3,44.4,0,`,
		row(t, "B9", "governorate", "IQ-HA"),
	)
	got := errLines(err)
	want := []string{
		`t.csv:3: beds: want a whole number ≥ 0, got "x"`,
		`t.csv:5: type: want one of hospital, phc, other, got "clinic"`,
		`t.csv:6: lat: want a finite number, got "NaN"`,
		`t.csv:7: id: duplicate "G1", first on line 2`,
		`t.csv:8: name: want no control characters, got "multi\nline"`,
		`t.csv:10: governorate: want an ISO 3166-2:IQ governorate code such as "IQ-BG", got "IQ-HA"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseSeveralErrorsInOneRow(t *testing.T) {
	f := append([]string(nil), goodFields...)
	f[3], f[4], f[9] = "x", "y", "-2"
	_, err := parseString(t, hdr, strings.Join(f, ","))
	got := errLines(err)
	if len(got) != 3 {
		t.Fatalf("want 3 errors, got %d: %v", len(got), err)
	}
	for i, col := range []string{"type", "beds", "pv_kwp"} {
		if !strings.HasPrefix(got[i], "t.csv:2: "+col+": ") {
			t.Errorf("error %d = %q, want it about %s on line 2", i, got[i], col)
		}
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		name, header string
		want         []string
	}{
		{"missing column", strings.Replace(hdr, ",pv_kwp", "", 1), []string{`t.csv:1: header: missing column "pv_kwp"`}},
		{"extra column", hdr + ",notes", []string{`t.csv:1: header: unexpected column "notes"`}},
		{"renamed column", strings.Replace(hdr, "beds", "Beds", 1), []string{`t.csv:1: header: unexpected column "Beds"`, `t.csv:1: header: missing column "beds"`}},
		{"out of order", strings.Replace(hdr, "lat,lon", "lon,lat", 1), []string{"t.csv:1: header: columns out of order: want " + hdr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseString(t, tt.header, row(t, "G1", "", ""))
			if got := errLines(err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseFileShapes(t *testing.T) {
	good := row(t, "G1", "", "")
	tests := []struct {
		name, input string
		wantErr     string // "" for success
	}{
		{"empty file", "", "t.csv: no facilities"},
		{"header only", hdr + "\n", "t.csv: no facilities"},
		{"byte order mark", "\ufeff" + hdr + "\n" + good + "\n", ""},
		{"CRLF line ends", hdr + "\r\n" + good + "\r\n", ""},
		{"no final newline", hdr + "\n" + good, ""},
		{"blank trailing lines", hdr + "\n" + good + "\n\n\n  \n", ""},
		{"blank line in the middle", hdr + "\n\n" + good + "\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg, err := Parse(strings.NewReader(tt.input), "t.csv")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if f, ok := reg.Lookup("G1"); !ok || f.Name != goodFields[1] {
				t.Errorf("Lookup(G1) = %+v, %v", f, ok)
			}
		})
	}
}

func TestRegistryAccessors(t *testing.T) {
	reg, err := parseString(t, hdr, row(t, "B", "", ""), row(t, "A", "type", "phc"))
	if err != nil {
		t.Fatal(err)
	}
	want := Facility{
		ID: "B", Name: goodFields[1], NameAr: goodFields[2], Type: TypeHospital, Beds: 600,
		Governorate: "IQ-BG", District: "BG-KRK", Lat: 33.30, Lon: 44.34, PVkWp: 250, DHIS2OrgUnit: "AbCdEfGhIj1",
	}
	if got, ok := reg.Lookup("B"); !ok || got != want {
		t.Errorf("Lookup(B) = %+v, %v; want %+v", got, ok, want)
	}
	if _, ok := reg.Lookup("missing"); ok {
		t.Error("Lookup(missing) found a facility")
	}
	if reg.Len() != 2 {
		t.Errorf("Len = %d, want 2", reg.Len())
	}
	fs := reg.Facilities()
	if len(fs) != 2 || fs[0].ID != "B" || fs[1].ID != "A" {
		t.Fatalf("Facilities not in file order: %+v", fs)
	}
	fs[0].Name = "changed"
	if f, _ := reg.Lookup("B"); f.Name == "changed" {
		t.Error("Facilities returned the registry's own slice")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "missing.csv"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestIsDHIS2UID(t *testing.T) {
	for s, want := range map[string]bool{
		"zycBYpH67gd": true, "A0000000000": true, "0ycBYpH67gd": false, "zycBYpH67g": false,
		"zycBYpH67gdd": false, "zycBYpH67g-": false, "": false, "zycBYpH67gé": false,
	} {
		if got := IsDHIS2UID(s); got != want {
			t.Errorf("IsDHIS2UID(%q) = %v, want %v", s, got, want)
		}
	}
}
