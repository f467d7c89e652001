package dhis2

import (
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/dhis2/catalog"
)

func TestSetupParseImportReport(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		status     string
		errs       []string // ImportError.String() of each
		bad        bool
	}{
		{name: "2.38+ success", status: "OK",
			body: `{"httpStatus":"OK","httpStatusCode":200,"status":"OK","response":{"responseType":"ImportReport","status":"OK",
				"stats":{"created":2,"updated":0,"deleted":0,"ignored":0,"total":2},"typeReports":[{"klass":"org.hisp.dhis.dataelement.DataElement","stats":{"created":2},"objectReports":[]}]}}`},
		{name: "2.38+ conflict", status: "ERROR",
			body: `{"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING","message":"One or more errors occurred, please see full details in import report.",
				"response":{"responseType":"ImportReport","status":"ERROR","stats":{"ignored":1},"typeReports":[
				{"klass":"org.hisp.dhis.dataelement.DataElement","objectReports":[{"klass":"org.hisp.dhis.dataelement.DataElement","index":0,"uid":"J9Ib1izbrQx",
				"errorReports":[{"message":"Property ` + "`name`" + ` with value ` + "`X`" + ` on object X [J9Ib1izbrQx] (DataElement) already exists on object abc","mainKlass":"org.hisp.dhis.dataelement.DataElement","errorCode":"E5003","errorProperty":"name"}]}]},
				{"klass":"org.hisp.dhis.dataset.DataSet","objectReports":[{"klass":"org.hisp.dhis.dataset.DataSet","index":0,
				"errorReports":[{"message":"Invalid reference","errorCode":"E5002"}]}]}]}}`,
			errs: []string{`data element "GreenPulse grid electricity (kWh)" (J9Ib1izbrQx): E5003 (name) Property`, `data set "` + catalog.DataSetName + `" (zycBYpH67gd): E5002 Invalid reference`}},
		{name: "bare report before 2.38", status: "ERROR",
			body: `{"status":"ERROR","stats":{"ignored":1},"typeReports":{"org.hisp.dhis.indicator.Indicator":{"klass":"org.hisp.dhis.indicator.Indicator",
				"objectReports":[{"index":3,"errorReports":[{"message":"Expression is not valid","errorCode":"E4014"}]}]}}}`,
			errs: []string{`indicator #4 of the import: E4014 Expression is not valid`}},
		{name: "unknown class", status: "ERROR",
			body: `{"status":"ERROR","typeReports":[{"klass":"org.hisp.dhis.organisationunit.OrganisationUnit","objectReports":[{"uid":"abcdefghijk","errorReports":[{"errorCode":"E1100"}]}]}]}`,
			errs: []string{`OrganisationUnit abcdefghijk: E1100 no message`}},
		{name: "not a report", body: `{"pager":{},"dataElements":[]}`, bad: true},
		{name: "a job report", body: `{"status":"OK","response":{"responseType":"JobConfigurationWebMessageResponse"}}`, bad: true},
		{name: "not JSON", body: `<html>`, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ir, err := parseImportReport([]byte(tc.body))
			if tc.bad {
				if err == nil {
					t.Fatalf("parsed %+v, want an error", ir)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ir.Status != tc.status {
				t.Errorf("status %q, want %q", ir.Status, tc.status)
			}
			names := objectNames{
				byUID: map[string]Object{
					"J9Ib1izbrQx": {Kind: KindDataElement, UID: "J9Ib1izbrQx", Name: "GreenPulse grid electricity (kWh)"},
				},
				byIndex: map[Kind][]Object{KindDataSet: {{Kind: KindDataSet, UID: "zycBYpH67gd", Name: catalog.DataSetName}}},
			}
			got := ir.named(names)
			if len(got) != len(tc.errs) {
				t.Fatalf("%d errors %v, want %d", len(got), got, len(tc.errs))
			}
			for i, e := range got {
				if !strings.HasPrefix(e.String(), tc.errs[i]) {
					t.Errorf("error %d: %q, want it to start with %q", i, e, tc.errs[i])
				}
			}
		})
	}
}

// FuzzImportReport feeds the parser of DHIS2's import answer anything: it
// must never panic, and naming its errors keeps every one of them, each
// with a kind, and names an error by the objects sent: by its UID, else by
// its position in the payload.
func FuzzImportReport(f *testing.F) {
	for _, s := range []string{
		`{"status":"OK","response":{"responseType":"ImportReport","status":"OK","typeReports":[]}}`,
		`{"status":"ERROR","typeReports":[{"klass":"org.hisp.dhis.dataset.DataSet","objectReports":[{"index":0,"uid":"zycBYpH67gd","errorReports":[{"errorCode":"E5002","message":"m"}]}]}]}`,
		`{"status":"ERROR","typeReports":[{"klass":"org.hisp.dhis.dataset.DataSet","objectReports":[{"index":0,"errorReports":[{"errorCode":"E5002"}]},{"index":1,"errorReports":[{},{}]}]}]}`,
		`{"status":"ERROR","typeReports":{"a":{"objectReports":{"b":{"index":-7,"errorReports":[{}]}}}}}`,
		`{"response":null,"status":"WARNING"}`,
		`{"typeReports":[1,"x",{"objectReports":[null,{"klass":"."}]}],"status":"ERROR"}`,
	} {
		f.Add([]byte(s))
	}
	names := objectNames{
		byUID:   map[string]Object{"zycBYpH67gd": {Kind: KindDataSet, UID: "zycBYpH67gd", Name: catalog.DataSetName}},
		byIndex: map[Kind][]Object{KindDataSet: {{Kind: KindDataSet, UID: "zycBYpH67gd", Name: catalog.DataSetName}}},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ir, err := parseImportReport(body)
		if err != nil {
			return
		}
		got := ir.named(names)
		if len(got) != len(ir.Errors) {
			t.Fatalf("named %d errors of %d: %v", len(got), len(ir.Errors), got)
		}
		for i, e := range got {
			in := ir.Errors[i]
			want := in
			if ob, ok := names.byUID[in.UID]; ok {
				want.Name = ob.Name
			} else if in.UID == "" && in.Index >= 0 && in.Index < len(names.byIndex[in.Kind]) {
				ob := names.byIndex[in.Kind][in.Index]
				want.Name, want.UID = ob.Name, ob.UID
			}
			if e != want {
				t.Fatalf("error %d: named %+v, want %+v", i, e, want)
			}
			if e.Kind == "" {
				t.Fatalf("error %q has no kind", e)
			}
			if e.Index < -1 {
				t.Fatalf("error %q has index %d; want -1 when not given", e, e.Index)
			}
			if obj := e.Object(); !strings.HasPrefix(e.String(), obj) {
				t.Fatalf("error %q does not start by naming its object %q", e, obj)
			}
		}
		_ = (&ValidationError{Mode: "VALIDATE", Status: ir.Status, Errors: ir.Errors}).Error()
	})
}
