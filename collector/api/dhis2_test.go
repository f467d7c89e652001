package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/dhis2"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/registry"
)

// fixedDHIS2 answers with one document and push log.
type fixedDHIS2 struct{ asked indicators.Period }

func (f *fixedDHIS2) Document(_ context.Context, p indicators.Period) (dhis2.Document, error) {
	f.asked = p
	return dhis2.Document{
		Set: dhis2.DataValueSet{DataSet: "zycBYpH67gd", Period: dhis2.PeriodID(p), DataElementIDScheme: "UID", OrgUnitIDScheme: "UID",
			DataValues: []dhis2.DataValue{{DataElement: "J9Ib1izbrQx", Period: dhis2.PeriodID(p), OrgUnit: "COtkEJo6gfQ", Value: "12.5"}}},
		Report: dhis2.Report{Period: dhis2.PeriodID(p), Values: 1, Facilities: 1,
			Unmapped: []dhis2.Unmapped{{Facility: "BG-P-009", Name: "A centre", Values: 4, Reason: "no dhis2_org_unit in the registry"}}},
	}, nil
}

func (f *fixedDHIS2) Pushes(n int) ([]dhis2.Record, error) {
	return []dhis2.Record{{Period: "202611", Values: 1877, Conflicts: []dhis2.Conflict{}}}[:min(n, 1)], nil
}

func TestExportDHIS2(t *testing.T) {
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	fd := &fixedDHIS2{}
	mux := http.NewServeMux()
	a := New(&fakeIndicators{}, fakeFacilities{}, reg, baghdad)
	a.EnableDHIS2(fd)
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	tests := []struct {
		query  string
		code   int
		has    []string
		hasNot []string
	}{
		{"?period=202611", 200, []string{`"dataSet":"zycBYpH67gd"`, `"value":"12.5"`, `"unmapped":[{"facility":"BG-P-009"`, `"orgUnitIdScheme":"UID"`}, nil},
		{"?period=202611&report=false", 200, []string{`"dataValues"`}, []string{`"report"`}},
		{"?period=202611&format=csv", 200, []string{"dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value\nJ9Ib1izbrQx,202611,COtkEJo6gfQ,,,12.5\n"}, nil},
		{"", 400, []string{`"parameter":"period"`, "YYYYMM"}, nil},
		{"?period=2026-11", 400, []string{`"parameter":"period"`, "YYYYMM"}, nil},
		{"?period=209912", 400, []string{"has not begun"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			code, _, body := get(t, srv.URL+"/api/v1/export/dhis2"+tt.query, "")
			if code != tt.code {
				t.Fatalf("%d %s, want %d", code, body, tt.code)
			}
			for _, s := range tt.has {
				if !strings.Contains(body, s) {
					t.Errorf("answer lacks %q:\n%s", s, body)
				}
			}
			for _, s := range tt.hasNot {
				if strings.Contains(body, s) {
					t.Errorf("answer has %q:\n%s", s, body)
				}
			}
		})
	}
	if fd.asked.Kind != indicators.Month || fd.asked.Start.Month() != 11 || fd.asked.Start.Location() != baghdad {
		t.Errorf("asked for %+v, want November 2026 in the roll-up zone", fd.asked)
	}

	code, _, body := get(t, srv.URL+"/api/v1/dhis2/pushes?limit=5", "")
	var recs []dhis2.Record
	if code != 200 || json.Unmarshal([]byte(body), &recs) != nil || len(recs) != 1 || recs[0].Values != 1877 {
		t.Errorf("pushes: %d %s", code, body)
	}
	if code, _, body := get(t, srv.URL+"/api/v1/dhis2/pushes?limit=0", ""); code != 400 || !strings.Contains(body, `"parameter":"limit"`) {
		t.Errorf("limit=0: %d %s", code, body)
	}
}
