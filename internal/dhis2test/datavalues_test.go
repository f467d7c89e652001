package dhis2test

import (
	"net/http"
	"reflect"
	"testing"
)

// dv is one data value of a request body.
func dv(de, pe, ou, value string) map[string]any {
	return map[string]any{"dataElement": de, "period": pe, "orgUnit": ou, "value": value}
}

func push(t *testing.T, s *Server, query string, values ...map[string]any) (int, map[string]any) {
	t.Helper()
	list := make([]any, len(values))
	for i, v := range values {
		list[i] = v
	}
	return call(t, s, http.MethodPost, "/api/dataValueSets"+query, map[string]any{"dataValues": list})
}

// summaryOf returns the response ImportSummary of a 2.38+ answer.
func summaryOf(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	resp, ok := body["response"].(map[string]any)
	if !ok || resp["responseType"] != "ImportSummary" {
		t.Fatalf("no ImportSummary in %v", body)
	}
	return resp
}

func counts(imported, updated, ignored, deleted float64) map[string]any {
	return map[string]any{"imported": imported, "updated": updated, "ignored": ignored, "deleted": deleted}
}

func TestDataValuesImportUpdateIgnore(t *testing.T) {
	s := startTest(t, Options{})
	importGP(t, s)
	status, body := push(t, s, "", dv(deKWh, "202601", "KarkhHosp01", "1200"), dv(deWaste, "202601", "KarkhHosp01", "35.5"))
	if status != http.StatusOK || body["httpStatus"] != "OK" || body["status"] != "OK" || body["message"] != "Import was successful." {
		t.Fatalf("answer %d %v", status, body)
	}
	sum := summaryOf(t, body)
	if sum["status"] != "SUCCESS" || !reflect.DeepEqual(sum["importCount"], counts(2, 0, 0, 0)) ||
		!reflect.DeepEqual(sum["conflicts"], []any{}) || !reflect.DeepEqual(sum["rejectedIndexes"], []any{}) ||
		sum["dataSetComplete"] != "false" || sum["description"] != "Import process completed successfully" {
		t.Errorf("summary %v", sum)
	}
	if opts := sum["importOptions"].(map[string]any); opts["importStrategy"] != "CREATE_AND_UPDATE" || opts["dryRun"] != false {
		t.Errorf("importOptions %v", opts)
	}
	// A changed value is updated, an identical one ignored (2.38+).
	_, body = push(t, s, "", dv(deKWh, "202601", "KarkhHosp01", "1300"), dv(deWaste, "202601", "KarkhHosp01", "35.5"))
	if got := summaryOf(t, body)["importCount"]; !reflect.DeepEqual(got, counts(0, 1, 1, 0)) {
		t.Errorf("second push %v", got)
	}
	want := []DataValue{
		{deKWh, "202601", "KarkhHosp01", DefaultCategoryOptionComboUID, DefaultCategoryOptionComboUID, "1300", ""},
		{deWaste, "202601", "KarkhHosp01", DefaultCategoryOptionComboUID, DefaultCategoryOptionComboUID, "35.5", ""},
	}
	if got := s.DataValues(); !reflect.DeepEqual(got, want) {
		t.Errorf("stored %v", got)
	}
	// An empty value with an existing one deletes it; DELETE deletes too.
	_, body = push(t, s, "", map[string]any{"dataElement": deKWh, "period": "202601", "orgUnit": "KarkhHosp01", "value": "", "comment": ""},
		dv(deWaste, "202602", "KarkhHosp01", "1"))
	if got := summaryOf(t, body); !reflect.DeepEqual(got["importCount"], counts(1, 0, 1, 0)) {
		// An empty value and comment is E7618 before it could delete.
		t.Errorf("empty value %v", got)
	}
	_, body = push(t, s, "?importStrategy=DELETE", dv(deWaste, "202601", "KarkhHosp01", "35.5"))
	if got := summaryOf(t, body)["importCount"]; !reflect.DeepEqual(got, counts(0, 0, 0, 1)) {
		t.Errorf("DELETE %v", got)
	}
	if _, ok := s.Value(deWaste, "202601", "KarkhHosp01"); ok {
		t.Errorf("deleted value still served")
	}
	// A deleted value imported again counts as imported.
	_, body = push(t, s, "", dv(deWaste, "202601", "KarkhHosp01", "2"))
	if got := summaryOf(t, body)["importCount"]; !reflect.DeepEqual(got, counts(1, 0, 0, 0)) {
		t.Errorf("re-import %v", got)
	}
}

func TestDataValueConflicts(t *testing.T) {
	future := "209901"
	tests := []struct {
		name   string
		opt    Options
		setup  func(s *Server)
		query  string
		values []map[string]any
		want   []any // the conflicts
		count  map[string]any
		reject []any
	}{
		{"unknown data element grouped", Options{}, nil, "", []map[string]any{
			dv("nosuchde001", "202601", "KarkhHosp01", "1"), dv(deKWh, "202601", "KarkhHosp01", "1"), dv("nosuchde001", "202602", "KarkhHosp01", "1")},
			[]any{map[string]any{"object": "nosuchde001", "objects": map[string]any{"dataElement": "nosuchde001"},
				"value": "Data element not found or not accessible: `nosuchde001`", "errorCode": "E7610", "property": "dataElement", "indexes": []any{0.0, 2.0}}},
			counts(1, 0, 2, 0), []any{0.0, 2.0}},
		{"unknown org unit", Options{}, nil, "", []map[string]any{dv(deKWh, "202601", "nosuchou001", "1")},
			[]any{map[string]any{"object": "nosuchou001", "objects": map[string]any{"organisationUnit": "nosuchou001"},
				"value": "Organisation unit not found or not accessible: `nosuchou001`", "errorCode": "E7612", "property": "orgUnit", "indexes": []any{0.0}}},
			counts(0, 0, 1, 0), []any{0.0}},
		{"invalid period", Options{}, nil, "", []map[string]any{dv(deKWh, "202613", "KarkhHosp01", "1")},
			[]any{map[string]any{"object": "202613", "objects": map[string]any{"period": "202613"},
				"value": "Period not valid: `202613`", "errorCode": "E7611", "property": "period", "indexes": []any{0.0}}},
			counts(0, 0, 1, 0), []any{0.0}},
		{"outside user hierarchy", Options{}, func(s *Server) { s.RestrictUserTo("Basra000001") }, "",
			[]map[string]any{dv(deKWh, "202601", "KarkhHosp01", "1"), dv(deKWh, "202601", "BasraHosp01", "1")},
			[]any{map[string]any{"object": "KarkhHosp01", "objects": map[string]any{"organisationUnit": "KarkhHosp01", "user": UserUID},
				"value": "Organisation unit: `KarkhHosp01` not in hierarchy of current user: `" + UserUID + "`", "errorCode": "E7617", "property": "orgUnit", "indexes": []any{0.0}}},
			counts(1, 0, 1, 0), []any{0.0}},
		{"invalid values", Options{}, nil, "", []map[string]any{
			dv(deKWh, "202601", "KarkhHosp01", "abc"), dv(deKWh, "202602", "KarkhHosp01", "-3"), dv(deWaste, "202601", "KarkhHosp01", "1e9999")},
			[]any{
				map[string]any{"object": deKWh, "objects": map[string]any{"dataElement": deKWh, "value": "value_not_zero_or_positive_integer"},
					"value": "Value must match data element's `" + deKWh + "` type constraints: value_not_zero_or_positive_integer", "errorCode": "E7619", "property": "value", "indexes": []any{0.0, 1.0}},
				map[string]any{"object": deWaste, "objects": map[string]any{"dataElement": deWaste, "value": "value_not_numeric"},
					"value": "Value must match data element's `" + deWaste + "` type constraints: Data value is not numeric", "errorCode": "E7619", "property": "value", "indexes": []any{2.0}}},
			counts(0, 0, 3, 0), []any{0.0, 1.0, 2.0}},
		{"no value", Options{}, nil, "", []map[string]any{dv(deKWh, "202601", "KarkhHosp01", "")},
			[]any{map[string]any{"object": deKWh, "objects": map[string]any{"dataElement": deKWh},
				"value": "Data value or comment not specified for data element: `" + deKWh + "`", "errorCode": "E7618", "property": "value", "indexes": []any{0.0}}},
			counts(0, 0, 1, 0), []any{0.0}},
		{"locked period", Options{}, func(s *Server) { s.LockPeriod("202511") }, "",
			[]map[string]any{dv(deKWh, "202511", "KarkhHosp01", "1"), dv(deDiesel, "202511", "KarkhHosp01", "1")},
			[]any{map[string]any{"object": "202511", "objects": map[string]any{"period": "202511", "dataSet": dsGP},
				"value": "Current date is past expiry days for period: `202511`  and data set: `" + dsGP + "`", "errorCode": "E7640", "property": "period", "indexes": []any{0.0}}},
			counts(1, 0, 1, 0), []any{0.0}},
		{"future period", Options{}, nil, "", []map[string]any{dv(deKWh, future, "KarkhHosp01", "1")},
			nil, counts(0, 0, 1, 0), []any{0.0}},
		{"strict org units", Options{StrictOrganisationUnits: true}, nil, "",
			[]map[string]any{dv(deKWh, "202601", "BasraHosp01", "1"), dv(deKWh, "202601", "KarkhHosp01", "1")},
			[]any{map[string]any{"object": "BasraHosp01", "objects": map[string]any{"organisationUnit": "BasraHosp01", "dataElement": deKWh},
				"value": "Data element: `" + deKWh + "` must be assigned through data sets to organisation unit: `BasraHosp01`", "errorCode": "E7636", "property": "orgUnit", "indexes": []any{0.0}}},
			counts(1, 0, 1, 0), []any{0.0}},
		{"strict org units by parameter", Options{}, nil, "?strictOrganisationUnits=true",
			[]map[string]any{dv(deKWh, "202601", "BasraHosp01", "1")}, nil, counts(0, 0, 1, 0), []any{0.0}},
		{"lax org units by default", Options{}, nil, "", []map[string]any{dv(deKWh, "202601", "BasraHosp01", "1")},
			[]any{}, counts(1, 0, 0, 0), []any{}},
		{"zero not significant", Options{}, nil, "",
			[]map[string]any{dv(deKWh, "202601", "KarkhHosp01", "0"), dv(deWaste, "202601", "KarkhHosp01", "0")},
			[]any{}, counts(1, 0, 0, 0), []any{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startTest(t, tc.opt)
			importGP(t, s)
			if tc.setup != nil {
				tc.setup(s)
			}
			status, body := push(t, s, tc.query, tc.values...)
			sum := summaryOf(t, body)
			conflicted := len(sum["conflicts"].([]any)) > 0
			if conflicted && (status != http.StatusConflict || body["httpStatus"] != "Conflict" || body["status"] != "WARNING" ||
				body["message"] != "One more conflicts encountered, please check import summary." || sum["status"] != "WARNING") {
				t.Errorf("answer %d %v %v %v %v", status, body["httpStatus"], body["status"], body["message"], sum["status"])
			}
			if !conflicted && status != http.StatusOK {
				t.Errorf("status %d without conflicts", status)
			}
			if tc.want != nil && !reflect.DeepEqual(sum["conflicts"], tc.want) {
				t.Errorf("conflicts\n got %v\nwant %v", sum["conflicts"], tc.want)
			}
			if !reflect.DeepEqual(sum["importCount"], tc.count) {
				t.Errorf("importCount %v, want %v", sum["importCount"], tc.count)
			}
			if !reflect.DeepEqual(sum["rejectedIndexes"], tc.reject) {
				t.Errorf("rejectedIndexes %v, want %v", sum["rejectedIndexes"], tc.reject)
			}
		})
	}
}

// TestDataValueStrictDataElements plays DHIS2's "Require data elements to
// be part of the data set": a value whose data element is not in the
// payload's data set is E7633, set by Options or by the request; it is off
// by default.
func TestDataValueStrictDataElements(t *testing.T) {
	strict := []any{map[string]any{"object": deDiesel, "objects": map[string]any{"dataElement": deDiesel, "dataSet": dsGP},
		"value": "Data element: `" + deDiesel + "` is not part of dataset: `" + dsGP + "`", "errorCode": "E7633", "property": "dataElement", "indexes": []any{0.0}}}
	for _, tc := range []struct {
		name   string
		opt    Options
		query  string
		want   []any // the conflicts
		count  map[string]any
		stored bool // whether the diesel value is stored
	}{
		{"by option", Options{StrictDataElements: true}, "", strict, counts(1, 0, 1, 0), false},
		{"by parameter", Options{}, "?strictDataElements=true", strict, counts(1, 0, 1, 0), false},
		{"lax by default", Options{}, "", []any{}, counts(2, 0, 0, 0), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startTest(t, tc.opt)
			importGP(t, s)
			// deDiesel is in no data set; deKWh is in dsGP.
			body := map[string]any{"dataSet": dsGP, "dataValues": []any{dv(deDiesel, "202601", "KarkhHosp01", "4"), dv(deKWh, "202601", "KarkhHosp01", "1")}}
			status, resp := call(t, s, http.MethodPost, "/api/dataValueSets"+tc.query, body)
			sum := summaryOf(t, resp)
			strict := len(tc.want) > 0
			wantStatus := http.StatusOK
			if strict {
				wantStatus = http.StatusConflict
			}
			if status != wantStatus {
				t.Errorf("status %d, want %d", status, wantStatus)
			}
			if !reflect.DeepEqual(sum["conflicts"], tc.want) {
				t.Errorf("conflicts\n got %v\nwant %v", sum["conflicts"], tc.want)
			}
			if !reflect.DeepEqual(sum["importCount"], tc.count) {
				t.Errorf("importCount %v, want %v", sum["importCount"], tc.count)
			}
			if opts := sum["importOptions"].(map[string]any); opts["strictDataElements"] != strict {
				t.Errorf("importOptions strictDataElements %v", opts["strictDataElements"])
			}
			if _, ok := s.Value(deDiesel, "202601", "KarkhHosp01"); ok != tc.stored {
				t.Errorf("diesel value stored %v, want %v", ok, tc.stored)
			}
			if v, ok := s.Value(deKWh, "202601", "KarkhHosp01"); !ok || v != "1" {
				t.Errorf("kWh value %q %v, want 1 stored: it is in the data set", v, ok)
			}
		})
	}
}

func TestDataValueFuturePeriodMessage(t *testing.T) {
	s := startTest(t, Options{})
	importGP(t, s)
	_, body := push(t, s, "", dv(deKWh, "209901", "KarkhHosp01", "1"))
	c := summaryOf(t, body)["conflicts"].([]any)[0].(map[string]any)
	iso, _, _ := latestOpenEnd("Monthly", 0, s.now())
	want := "Period: `209901` is after latest open future period: `" + iso + "` for data element: `" + deKWh + "`"
	if c["errorCode"] != "E7641" || c["value"] != want {
		t.Errorf("conflict %v, want %q", c, want)
	}
}

func TestDataValueSetLevelAndSchemes(t *testing.T) {
	s := startTest(t, Options{})
	importGP(t, s)
	// Set level period and org unit apply to every value; the payload's
	// id schemes and CODE / ATTRIBUTE schemes resolve identifiers.
	body := map[string]any{"dataSet": dsGP, "period": "202603", "orgUnit": "FAC_002", "completeDate": "2026-04-02",
		"dataValues": []any{map[string]any{"dataElement": "GP_KWH", "value": 7}, map[string]any{"dataElement": "GP_WASTE", "value": "2.5"}}}
	status, resp := call(t, s, http.MethodPost, "/api/dataValueSets?dataElementIdScheme=code&orgUnitIdScheme=CODE", body)
	if status != http.StatusOK || summaryOf(t, resp)["dataSetComplete"] != "2026-04-02" {
		t.Fatalf("code schemes: %d %v", status, resp)
	}
	if v, ok := s.Value(deKWh, "202603", "RusafaPhc01"); !ok || v != "7" {
		t.Errorf("value %q %v", v, ok)
	}
	status, resp = push(t, s, "?orgUnitIdScheme=ATTRIBUTE:MoHFacId001", dv(deKWh, "202604", "MOH-1001", "9"))
	if v, _ := s.Value(deKWh, "202604", "KarkhHosp01"); status != http.StatusOK || v != "9" {
		t.Errorf("attribute scheme: %d %v", status, resp)
	}
	// dryRun counts but stores nothing.
	_, resp = push(t, s, "?dryRun=true", dv(deKWh, "202605", "KarkhHosp01", "9"))
	if _, ok := s.Value(deKWh, "202605", "KarkhHosp01"); ok || !reflect.DeepEqual(summaryOf(t, resp)["importCount"], counts(1, 0, 0, 0)) {
		t.Errorf("dryRun stored or miscounted: %v", resp)
	}
	// An unknown set level org unit aborts the import.
	status, resp = call(t, s, http.MethodPost, "/api/dataValueSets", map[string]any{"orgUnit": "nosuchou001",
		"dataValues": []any{map[string]any{"dataElement": deKWh, "period": "202606", "value": "1"}}})
	sum := summaryOf(t, resp)
	if status != http.StatusConflict || resp["status"] != "ERROR" || sum["status"] != "ERROR" ||
		sum["description"] != "Import process was aborted" || sum["conflicts"].([]any)[0].(map[string]any)["errorCode"] != "E7603" {
		t.Errorf("abort: %d %v", status, resp)
	}
	// A body that is not JSON is an ERROR summary, never a 5xx.
	status, raw := callRaw(t, s, http.MethodPost, "/api/dataValueSets", "{not json", "ApiToken "+testToken)
	if status != http.StatusConflict {
		t.Errorf("bad JSON: %d %s", status, raw)
	}
}

func TestDataValuesBefore238(t *testing.T) {
	s := startTest(t, Options{Version: "2.37.9"})
	importGP(t, s)
	status, body := push(t, s, "", dv("nosuchde001", "202601", "KarkhHosp01", "1"), dv(deKWh, "202601", "KarkhHosp01", "x"),
		dv(deKWh, "202602", "KarkhHosp01", "1"))
	if status != http.StatusOK || body["httpStatus"] != nil || body["responseType"] != "ImportSummary" || body["status"] != "WARNING" {
		t.Fatalf("2.37 answer %d %v", status, body)
	}
	want := []any{
		map[string]any{"object": "nosuchde001", "value": "Data element not found or not accessible"},
		map[string]any{"object": "x", "value": "value_not_zero_or_positive_integer, must match data element type: " + deKWh},
	}
	if !reflect.DeepEqual(body["conflicts"], want) {
		t.Errorf("conflicts %v", body["conflicts"])
	}
	if _, ok := body["rejectedIndexes"]; ok {
		t.Errorf("2.37 answered rejectedIndexes")
	}
	// An identical value counts as updated before 2.38.
	_, body = push(t, s, "", dv(deKWh, "202602", "KarkhHosp01", "1"))
	if !reflect.DeepEqual(body["importCount"], counts(0, 1, 0, 0)) {
		t.Errorf("2.37 identical value %v", body["importCount"])
	}
	// A 2.40 server answers /api/37/… the old way too.
	s40 := startTest(t, Options{})
	importGP(t, s40)
	status, body = call(t, s40, http.MethodPost, "/api/37/dataValueSets", map[string]any{"dataValues": []any{dv("nosuchde001", "202601", "KarkhHosp01", "1")}})
	if status != http.StatusOK || body["responseType"] != "ImportSummary" {
		t.Errorf("/api/37 on 2.40: %d %v", status, body)
	}
}
