package dhis2

import (
	"strings"
	"testing"
)

// The answers below are shaped as DHIS2's Web API documentation shows
// them (developer guide, "Data values": import summaries; 2.38 wraps the
// summary in a WebMessage and answers 409 when there is a conflict).
func TestParseImportSummary(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		status    string
		count     ImportCount
		conflicts int
		rejected  []int
		err       string
	}{
		{name: "2.38+ success",
			body:   `{"httpStatus":"OK","httpStatusCode":200,"status":"OK","message":"Import was successful.","response":{"responseType":"ImportSummary","status":"SUCCESS","importCount":{"imported":3,"updated":1,"ignored":2,"deleted":0},"conflicts":[],"rejectedIndexes":[],"dataSetComplete":"false"}}`,
			status: "SUCCESS", count: ImportCount{3, 1, 2, 0}},
		{name: "2.38+ conflict",
			body:   `{"httpStatus":"Conflict","httpStatusCode":409,"status":"WARNING","message":"One more conflicts encountered, please check import summary.","response":{"responseType":"ImportSummary","status":"WARNING","importCount":{"imported":1,"updated":0,"ignored":2,"deleted":0},"conflicts":[{"object":"202611","objects":{"period":"202611"},"value":"Period: 202611 is after latest open future period","errorCode":"E7641","property":"period","indexes":[0,2]}],"rejectedIndexes":[0,2]}}`,
			status: "WARNING", count: ImportCount{1, 0, 2, 0}, conflicts: 1, rejected: []int{0, 2}},
		{name: "before 2.38, bare",
			body:   `{"responseType":"ImportSummary","status":"WARNING","importCount":{"imported":5,"updated":0,"ignored":1,"deleted":0},"conflicts":[{"object":"DiszpKrYNg8","value":"Organisation unit not found or not accessible"}],"dataSetComplete":"false"}`,
			status: "WARNING", count: ImportCount{5, 0, 1, 0}, conflicts: 1},
		{name: "error summary",
			body:   `{"httpStatus":"Conflict","httpStatusCode":409,"status":"ERROR","message":"An error occurred","response":{"responseType":"ImportSummary","status":"ERROR","description":"Data set not found or not accessible","importCount":{"imported":0,"updated":0,"ignored":0,"deleted":0}}}`,
			status: "ERROR"},
		{name: "a WebMessage without a summary", body: `{"httpStatus":"Conflict","httpStatusCode":409,"status":"ERROR","message":"Bad thing"}`, err: "no import summary"},
		{name: "another report", body: `{"status":"OK","response":{"responseType":"ImportReport","status":"OK"}}`, err: "ImportReport"},
		{name: "not JSON", body: `<html>502 Bad Gateway</html>`, err: "import summary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sum, _, err := ParseImportSummary([]byte(tt.body))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sum.Status != tt.status || sum.ImportCount != tt.count || len(sum.Conflicts) != tt.conflicts || len(sum.RejectedIndexes) != len(tt.rejected) {
				t.Errorf("got %+v", sum)
			}
		})
	}
}

func FuzzImportSummary(f *testing.F) {
	f.Add([]byte(`{"status":"WARNING","response":{"responseType":"ImportSummary","status":"WARNING","importCount":{"imported":1},"conflicts":[{"object":"x","indexes":[0,99,-1]}],"rejectedIndexes":[0]}}`))
	f.Add([]byte(`{"responseType":"ImportSummary","status":"SUCCESS","importCount":{"ignored":2}}`))
	f.Add([]byte(`{"response":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		sum, _, err := ParseImportSummary(body)
		if err != nil {
			return
		}
		// Naming conflicts of any summary against any chunk must not panic.
		doc := Document{Set: DataValueSet{DataValues: []DataValue{{OrgUnit: "x", DataElement: "y"}}}, Origins: []Origin{{Facility: "F"}}}
		_ = nameConflicts(sum, doc, 0, 1)
		_ = rejected(sum, nil)
	})
}
