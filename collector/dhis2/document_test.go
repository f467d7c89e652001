package dhis2

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/dhis2/catalog"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/registry"
)

// storedRows answers with fixed rows of the asked indicators, as the
// indicator bucket would.
type storedRows []rollup.FacilityValue

func (s storedRows) FacilityMonth(_ context.Context, _ indicators.Period, ids []indicators.ID) ([]rollup.FacilityValue, error) {
	var out []rollup.FacilityValue
	for _, r := range s {
		if slices.Contains(ids, r.Indicator) {
			out = append(out, r)
		}
	}
	return out, nil
}

func testRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	csv := `id,name,name_ar,type,beds,governorate,district,lat,lon,pv_kwp,dhis2_org_unit
BG-H-001,Baghdad Teaching Hospital,مستشفى بغداد التعليمي,hospital,600,IQ-BG,BG-RSF,33.34,44.38,250,AbCdEfGhIj1
BG-P-001,Karkh PHC Centre,مركز الكرخ,phc,0,IQ-BG,BG-KRK,33.31,44.36,5,
BG-P-002,Old PHC Centre,مركز قديم,phc,0,IQ-BG,BG-KRK,33.32,44.37,0,AbCdEfGhIj3
`
	reg, err := registry.Parse(strings.NewReader(csv), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestBuild(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Baghdad")
	p, err := ParsePeriod("202611", loc)
	if err != nil {
		t.Fatal(err)
	}
	row := func(area string, id indicators.ID, v float64) rollup.FacilityValue {
		return rollup.FacilityValue{Indicator: id, Facility: area, Value: v}
	}
	ratio := func(area string, id indicators.ID, num, den float64, has bool) rollup.FacilityValue {
		r := row(area, id, 0)
		r.Numerator, r.Denominator, r.HasTerms = num, den, has
		return r
	}
	rows := storedRows{
		row("BG-H-001", indicators.GridKWh, 1234.56789),
		ratio("BG-H-001", indicators.GridAvailabilityPct, 36000, 72000, true), // 10 h of 20 h
		row("BG-H-001", indicators.StorageExceededCount, 0),
		row("BG-P-001", indicators.SolarKWh, 10),                    // no org unit
		ratio("BG-P-002", indicators.SafelyTreatedPct, 0, 0, false), // rolled up before terms
		row("BG-P-002", indicators.WasteKg, 3),
		row("XX-H-999", indicators.WasteKg, 5), // not in the registry
	}
	reg := testRegistry(t)

	tests := []struct {
		name    string
		mapping Mapping
		want    []string // dataElement orgUnit value
		schemes [2]string
	}{
		{"uid", Mapping{DataSet: catalog.DefaultDataSet(), OrgUnitIDScheme: "uid", DataElementIDScheme: "uid"}, []string{
			catalog.StableUID("GP_GRID_KWH") + " AbCdEfGhIj1 1234.568",
			catalog.StableUID("GP_GRID_HOURS_LIVE") + " AbCdEfGhIj1 10",
			catalog.StableUID("GP_GRID_HOURS_COVERED") + " AbCdEfGhIj1 20",
			catalog.StableUID("GP_STORAGE_EXCEEDED") + " AbCdEfGhIj1 0",
			catalog.StableUID("GP_WASTE_KG") + " AbCdEfGhIj3 3",
		}, [2]string{"UID", "UID"}},
		{"codes and a ministry element", Mapping{DataSet: catalog.DefaultDataSet(), OrgUnitIDScheme: "code", DataElementIDScheme: "code",
			DataElements: map[string]string{"grid_kwh": "MOH_GRID"}}, []string{
			"MOH_GRID BG-H-001 1234.568",
			"GP_GRID_HOURS_LIVE BG-H-001 10",
			"GP_GRID_HOURS_COVERED BG-H-001 20",
			"GP_STORAGE_EXCEEDED BG-H-001 0",
			"GP_SOLAR_KWH BG-P-001 10",
			"GP_WASTE_KG BG-P-002 3",
		}, [2]string{"CODE", "CODE"}},
		{"attribute", Mapping{DataSet: catalog.DefaultDataSet(), OrgUnitIDScheme: "attribute:HeRAMSid001", DataElementIDScheme: "uid"}, nil,
			[2]string{"UID", "ATTRIBUTE:HeRAMSid001"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := Build(context.Background(), rows, reg, tt.mapping, p)
			if err != nil {
				t.Fatal(err)
			}
			if doc.Set.Period != "202611" || doc.Set.DataSet != catalog.DefaultDataSet() || len(doc.Origins) != len(doc.Set.DataValues) {
				t.Errorf("set %+v, %d origins", doc.Set, len(doc.Origins))
			}
			if got := [2]string{doc.Set.DataElementIDScheme, doc.Set.OrgUnitIDScheme}; got != tt.schemes {
				t.Errorf("schemes %v, want %v", got, tt.schemes)
			}
			if tt.want == nil {
				return
			}
			var got []string
			for _, v := range doc.Set.DataValues {
				if v.Period != "202611" {
					t.Errorf("value %+v in another period", v)
				}
				got = append(got, v.DataElement+" "+v.OrgUnit+" "+v.Value)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("values:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if doc.Report.Values != len(tt.want) || len(doc.Report.Incomplete) != 1 || doc.Report.Incomplete[0] != "BG-P-002" {
				t.Errorf("report %+v", doc.Report)
			}
			if tt.mapping.OrgUnitIDScheme == "uid" {
				if len(doc.Report.Unmapped) != 1 || doc.Report.Unmapped[0].Facility != "BG-P-001" || doc.Report.Unmapped[0].Values != 1 {
					t.Errorf("unmapped %+v, want BG-P-001 with 1 value", doc.Report.Unmapped)
				}
			} else if len(doc.Report.Unmapped) != 0 {
				t.Errorf("unmapped %+v with scheme %s, where every facility id names its org unit", doc.Report.Unmapped, tt.mapping.OrgUnitIDScheme)
			}
			if doc.Origins[0].Facility != "BG-H-001" || doc.Origins[0].Element != "grid_kwh" || doc.Origins[0].FacilityName == "" {
				t.Errorf("origin %+v", doc.Origins[0])
			}
		})
	}
}

func TestWriteCSV(t *testing.T) {
	doc := Document{Set: DataValueSet{DataValues: []DataValue{{DataElement: "a", Period: "202611", OrgUnit: "o", Value: "1.5"}}}}
	var b bytes.Buffer
	if err := doc.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	want := "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\na,202611,o,,,1.5\n"
	if b.String() != want {
		t.Errorf("CSV %q, want %q", b.String(), want)
	}
}

func TestFormatValue(t *testing.T) {
	for _, tt := range []struct {
		v    float64
		d    int
		want string
	}{{1234.56789, 3, "1234.568"}, {-0.0001, 3, "0"}, {2, 0, "2"}, {1e9, 3, "1000000000"}, {0.1 + 0.2, 3, "0.3"}} {
		if got := FormatValue(tt.v, tt.d); got != tt.want {
			t.Errorf("FormatValue(%v, %d) = %q, want %q", tt.v, tt.d, got, tt.want)
		}
	}
}

func TestParsePeriod(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Baghdad")
	p, err := ParsePeriod("202612", loc)
	if err != nil || !p.Start.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, loc)) || !p.End.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, loc)) {
		t.Errorf("ParsePeriod(202612) = %v, %v", p, err)
	}
	for _, bad := range []string{"", "2026-11", "20261", "202613", "2026110", "2026W1"} {
		if _, err := ParsePeriod(bad, loc); err == nil || !strings.Contains(err.Error(), "YYYYMM") {
			t.Errorf("ParsePeriod(%q) = %v, want an error naming the form", bad, err)
		}
	}
}
