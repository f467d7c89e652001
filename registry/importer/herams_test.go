package importer

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/registry"
)

// readHeRAMSFile reads a testdata export with the default columns.
func readHeRAMSFile(t *testing.T, file, columns string) (Source, error) {
	t.Helper()
	cols, err := ParseHeRAMSColumns(columns)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return ReadHeRAMS(f, file, HeRAMSOptions{Columns: cols}, NewGovernorateMatcher())
}

func TestReadHeRAMS(t *testing.T) {
	src, err := readHeRAMSFile(t, "herams.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[int]string{}
	for _, c := range src.Candidates {
		line := 0
		for i := range c.Where {
			if c.Where[i] == ':' {
				line = atoi(c.Where[i+1:])
			}
		}
		got[line] = "ok " + c.SourceID + " " + c.Governorate
	}
	for _, p := range src.Skipped {
		got[p.Line] = "skipped " + p.Reason
	}
	for _, p := range src.Problems {
		if p.Line <= 0 {
			t.Errorf("problem without a line: %v", p)
		}
		got[p.Line] = "problem " + p.Reason
	}
	want := map[int]string{
		2:  "ok HS_BG_001 IQ-BG",
		3:  "ok HS_BA_002 IQ-BA",
		4:  `skipped status "Permanently closed"`,
		5:  `skipped functionality "Not functioning"`,
		6:  `problem column lat (MoSDGPS_SQ001): want a number of degrees, got "abc"`,
		7:  `problem column governorate (GEO1): "Atlantis" matches no governorate`,
		8:  `problem column id (MoSD1): "HS_BG_001" repeats line 2`,
		9:  "problem want 12 fields like the header, got 6",
		10: "ok HS_BG_009 IQ-BG",
		11: "ok HS_NI_010 IQ-NI",
		12: `problem character 33: bare " in non-quoted-field`,
		13: "ok HS_BG_012 IQ-BG",
	}
	for line, w := range want {
		if !strings.HasPrefix(got[line], w) {
			t.Errorf("line %d: got %q, want %q…", line, got[line], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("rows accounted for: %v", got)
	}
	c := src.Candidates[len(src.Candidates)-2] // line 11
	if c.Lat != 36.34 || c.Name != "Mosul Health Centre, Hay Al-Zahraa" || c.NameAr != "مركز صحي الزهراء" || c.District.Name != "الموصل" {
		t.Errorf("line 11 = %+v", c)
	}
}

// atoi reads the leading digits of s.
func atoi(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

func TestReadHeRAMSSemicolon(t *testing.T) {
	src, err := readHeRAMSFile(t, "herams-semicolon.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Candidates) != 2 || len(src.Problems) != 0 {
		t.Fatalf("candidates %v, problems %v", src.Candidates, src.Problems)
	}
	if c := src.Candidates[0]; c.Lat != 33.30 || c.Lon != 44.34 {
		t.Errorf("decimal comma: %+v", c)
	}
}

func TestHeRAMSColumns(t *testing.T) {
	for _, bad := range []string{"id=", "lat", "colour=red", "name="} {
		if _, err := ParseHeRAMSColumns(bad); err == nil {
			t.Errorf("ParseHeRAMSColumns(%q) accepted", bad)
		}
	}
	// An explicitly mapped column that is missing is an error on line 1; a
	// default optional one is a note.
	_, err := readHeRAMSFile(t, "herams.csv", "beds=HFBEDS")
	if err == nil || !strings.Contains(err.Error(), "herams.csv:1:") || !strings.Contains(err.Error(), `"HFBEDS"`) {
		t.Errorf("missing mapped column: %v", err)
	}
	src, err := readHeRAMSFile(t, "herams.csv", "status=,functionality=,district=GEO2,name=mosd2EN")
	if err != nil {
		t.Fatal(err)
	}
	if len(src.Skipped) != 0 {
		t.Errorf("unmapped status still skips rows: %v", src.Skipped)
	}
	// The default optional columns are all in the export; the notes say so.
	if strings.Contains(strings.Join(src.Notes, "\n"), "not in the file") {
		t.Errorf("notes %v", src.Notes)
	}
}

func TestMapHeader(t *testing.T) {
	const rest = ",MoSD2en,GEO1,MoSDGPS_SQ001,MoSDGPS_SQ002"
	tests := []struct {
		name, header, columns string
		wantID                int    // the column of id, if no error
		wantErr               string // "" for none
	}{
		{"exact", "MoSD1" + rest, "", 0, ""},
		{"ignoring case", "x,mosd1" + rest, "", 1, ""},
		{"exact wins over a case variant", "MOSD1,MoSD1" + rest, "", 1, ""},
		{"a repeated column that is not mapped", "x,x,MoSD1" + rest, "", 2, ""},
		{"twice", "MoSD1,x,MoSD1" + rest, "", 0, `column "MoSD1" (for id) appears more than once`},
		{"three times", "MoSD1,x,MoSD1,MoSD1" + rest, "", 0, `column "MoSD1" (for id) appears more than once`},
		{"twice, matched ignoring case", "mosd1,x,mosd1" + rest, "", 0, `column "mosd1" (for id) appears more than once`},
		{"two case variants", "Code,x,CODE,MoSD1" + rest, "id=code", 0, `columns "Code" and "CODE" both match "code" (for id) ignoring case`},
		{"three case variants", "Code,CODE,code" + rest, "id=cOdE", 0, `columns "Code" and "CODE" both match "cOdE" (for id) ignoring case`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols, err := ParseHeRAMSColumns(tt.columns)
			if err != nil {
				t.Fatal(err)
			}
			idx, _, err := mapHeader(strings.Split(tt.header, ","), cols)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			case tt.wantErr == "" && idx["id"] != tt.wantID:
				t.Errorf("id is column %d, want %d", idx["id"], tt.wantID)
			}
		})
	}
}

func TestImportHeRAMSMerge(t *testing.T) {
	src, err := readHeRAMSFile(t, "herams.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	base := strings.Join([]string{
		"id,name,name_ar,type,beds,governorate,district,lat,lon,pv_kwp,dhis2_org_unit",
		"HS_BG_001,Karkh Hospital,مستشفى الكرخ,hospital,300,IQ-BG,BG-KRK,33.3,44.34,80,",
		"HS_BG_009,No coordinates,بلا,phc,0,IQ-BG,BG-KRK,33.32,44.36,5,",
		"HS_BA_003,Old clinic,عيادة,phc,0,IQ-BA,BA-BSR,30.5,47.8,0,",
	}, "\n")
	reg, err := registry.Parse(strings.NewReader(base), "base.csv")
	if err != nil {
		t.Fatal(err)
	}
	res, err := Merge(src, reg, Options{MatchByID: true, BaseName: "base.csv"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := Encode(res.Facilities, "out.csv")
	if err != nil {
		t.Fatal(err)
	}
	out, err := registry.Parse(bytes.NewReader(data), "out.csv")
	if err != nil {
		t.Fatal(err)
	}
	for id, w := range map[string]string{
		"HS_BG_001": "hospital 300 BG-KRK 80", // kept from the merge file; district matched
		"HS_BG_009": "phc 0 BG-KRK 5",         // coordinates from the merge file
		"HS_BA_002": "phc 0 BA-ZBR 0",         // new; district from the table by name
		"HS_NI_010": "phc 0 NI-MSL 0",         // Arabic district name
		"HS_BG_012": "other 0 BG-MDN 0",       // Dialysis: other
		"HS_BA_003": "phc 0 BA-BSR 0",         // closed in HeRAMS, kept
	} {
		f, ok := out.Lookup(id)
		if got := string(f.Type) + " " + strconv.Itoa(f.Beds) + " " + f.District + " " + strconv.FormatFloat(f.PVkWp, 'f', -1, 64); !ok || got != w {
			t.Errorf("%s: %q, want %q", id, got, w)
		}
	}
	var rep bytes.Buffer
	if err := res.WriteReport(&rep, "out.csv"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"herams.csv:6:", "herams.csv:12:", `- HS_BA_003 "Old clinic": status "Permanently closed" in HeRAMS; kept`} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, rep.String())
		}
	}
}
