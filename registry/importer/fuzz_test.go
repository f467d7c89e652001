package importer

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/registry"
)

// FuzzOrgUnitsPage decodes an organisationUnits page as DHIS2 would send it
// and maps it with the fixture hierarchy: it must never panic, and whatever
// it maps must be written as a list that registry.Parse accepts.
func FuzzOrgUnitsPage(f *testing.F) {
	// Seeds are a few units of the fixture pages each: a whole page of
	// several kilobytes starves Go's mutator (the worker stalls).
	for _, file := range []string{"orgunits-page1.json", "orgunits-page2.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatal(err)
		}
		var p OrgUnitsPage
		if err := json.Unmarshal(b, &p); err != nil {
			f.Fatal(err)
		}
		for i := 0; i < len(p.OrganisationUnits); i += 3 {
			small := OrgUnitsPage{Pager: p.Pager, OrganisationUnits: p.OrganisationUnits[i:min(i+3, len(p.OrganisationUnits))]}
			seed, err := json.Marshal(small)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(seed)
		}
	}
	f.Add([]byte(`{"pager":{"page":1,"pageCount":1},"organisationUnits":[{"id":"FacX0000001","name":"X PHC","level":4,"path":"/IRQroot0001/GovBaghdad1/DisKarkh001/FacX0000001","geometry":{"type":"Point","coordinates":[1e308,-1e308]}}]}`))
	f.Add([]byte(`{"organisationUnits":[{"id":"FacX0000001","name":"\u0000","level":4,"parent":{"id":"DisKarkh001"},"geometry":{"type":"Point","coordinates":"x"},"closedDate":"soon"}]}`))
	f.Add([]byte(`{"organisationUnits":[{"id":"FacX0000001","code":"BG-KRK","name":"a","level":4,"path":"/IRQroot0001/GovBaghdad1/DisKarkh001/FacX0000001","geometry":{"type":"Point","coordinates":[44.3,33.3]}}]}`))
	hier, err := os.ReadFile(filepath.Join("testdata", "orgunits-page2.json"))
	if err != nil {
		f.Fatal(err)
	}
	var fixed OrgUnitsPage
	if err := json.Unmarshal(hier, &fixed); err != nil {
		f.Fatal(err)
	}
	base, err := registry.Load(filepath.Join("testdata", "merge.csv"))
	if err != nil {
		f.Fatal(err)
	}
	m := DHIS2Mapping{Root: "IRQroot0001", Governorate: 2, District: 3, Facility: 4, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	gm := NewGovernorateMatcher()

	f.Fuzz(func(t *testing.T, data []byte) {
		var p OrgUnitsPage
		if json.Unmarshal(data, &p) != nil {
			return
		}
		units := append(append([]OrgUnit(nil), fixed.OrganisationUnits...), p.OrganisationUnits...)
		src, err := MapOrgUnits(units, m, gm)
		if err != nil {
			return
		}
		for _, b := range []*registry.Registry{nil, base} {
			res, err := Merge(src, b, Options{})
			if err != nil {
				continue
			}
			if _, err := Encode(res.Facilities, "fuzz.csv"); err != nil {
				t.Fatalf("mapped units do not make a valid list: %v", err)
			}
			if err := res.WriteReport(&bytes.Buffer{}, "fuzz.csv"); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// lineRef is how a HeRAMS message names its line.
var lineRef = regexp.MustCompile(`^fuzz\.csv:[0-9]+:`)

// FuzzHeRAMSCSV reads arbitrary bytes as a HeRAMS export: it must never
// panic, every problem and error must name a line, and the candidates
// must merge into a valid list.
func FuzzHeRAMSCSV(f *testing.F) {
	for _, file := range []string{"herams.csv", "herams-semicolon.csv"} {
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(""))
	f.Add([]byte("\ufeffMoSD1;MoSD2en;GEO1;MoSDGPS_SQ001;MoSDGPS_SQ002\nA;b;IQ-BG;33,3;44,3\n\"x\n"))
	f.Add([]byte("MoSD1,MoSD2en,GEO1,MoSDGPS_SQ001,MoSDGPS_SQ002,MoSD1\n"))
	f.Add([]byte("MoSD1,MoSD2en,GEO1,MoSDGPS_SQ001,MoSDGPS_SQ002\nA,b,Basra,NaN,Inf\nB,\x01,Basra,30.5,47.8\nC,c,Basra,47.8,30.5\n"))
	cols, err := ParseHeRAMSColumns("")
	if err != nil {
		f.Fatal(err)
	}
	gm := NewGovernorateMatcher()
	f.Fuzz(func(t *testing.T, data []byte) {
		src, err := ReadHeRAMS(bytes.NewReader(data), "fuzz.csv", HeRAMSOptions{Columns: cols}, gm)
		if err != nil {
			if !lineRef.MatchString(err.Error()) {
				t.Fatalf("error names no line: %v", err)
			}
			return
		}
		for _, ps := range [][]Problem{src.Problems, src.Skipped} {
			for _, p := range ps {
				if p.Line <= 0 || !lineRef.MatchString(p.String()) {
					t.Fatalf("problem names no line: %v", p)
				}
			}
		}
		res, err := Merge(src, nil, Options{MatchByID: true})
		if err != nil {
			return
		}
		if _, err := Encode(res.Facilities, "fuzz.csv"); err != nil {
			t.Fatalf("candidates do not make a valid list: %v", err)
		}
	})
}
