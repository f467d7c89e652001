package dhis2test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const (
	deKWh    = "GPkwhElec01" // INTEGER_ZERO_OR_POSITIVE
	deWaste  = "GPwasteKg01" // NUMBER, zero significant
	deDiesel = "GPdieselL01" // NUMBER, not in a data set
	indType  = "GPindTyp001"
	indKWh   = "GPindKwh001"
	dsGP     = "GPmonthly01"
)

// gpMetadata is the metadata GreenPulse imports: two data elements in a
// monthly data set assigned to the two Baghdad facilities, one outside.
func gpMetadata() map[string]any {
	de := func(id, code, name, vt string, zis bool) map[string]any {
		return map[string]any{"id": id, "code": code, "name": name, "shortName": name, "domainType": "AGGREGATE",
			"valueType": vt, "aggregationType": "SUM", "zeroIsSignificant": zis}
	}
	return map[string]any{
		"dataElements": []any{
			de(deKWh, "GP_KWH", "GP electricity kWh", "INTEGER_ZERO_OR_POSITIVE", false),
			de(deWaste, "GP_WASTE", "GP waste kg", "NUMBER", true),
			de(deDiesel, "GP_DIESEL", "GP diesel litres", "NUMBER", false),
		},
		"indicatorTypes": []any{map[string]any{"id": indType, "name": "Per bed", "factor": 1}},
		"indicators": []any{map[string]any{"id": indKWh, "code": "GP_KWH_BED", "name": "GP kWh per bed", "shortName": "kWh per bed",
			"numerator": "#{" + deKWh + "}", "denominator": "1", "indicatorType": map[string]any{"id": indType}}},
		"dataSets": []any{map[string]any{"id": dsGP, "code": "GP_MONTHLY", "name": "GreenPulse monthly", "shortName": "GreenPulse",
			"periodType": "Monthly",
			"dataSetElements": []any{
				map[string]any{"dataElement": map[string]any{"id": deKWh}},
				map[string]any{"dataElement": map[string]any{"id": deWaste}},
			},
			"indicators":        []any{map[string]any{"id": indKWh}},
			"organisationUnits": []any{map[string]any{"id": "KarkhHosp01"}, map[string]any{"id": "RusafaPhc01"}}}},
	}
}

// importGP imports gpMetadata and fails the test unless it is accepted.
func importGP(t *testing.T, s *Server) {
	t.Helper()
	status, body := call(t, s, http.MethodPost, "/api/metadata", gpMetadata())
	if status != http.StatusOK || body["status"] != "OK" {
		t.Fatalf("import metadata: %d %v", status, body)
	}
}

func statsOf(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	resp, _ := body["response"].(map[string]any)
	st, _ := resp["stats"].(map[string]any)
	return st
}

func TestMetadataImportCommitAndUpdate(t *testing.T) {
	s := startTest(t, Options{})
	status, body := call(t, s, http.MethodPost, "/api/metadata", gpMetadata())
	if status != http.StatusOK || body["httpStatus"] != "OK" || body["status"] != "OK" {
		t.Fatalf("commit: %d %v", status, body)
	}
	resp := body["response"].(map[string]any)
	if resp["responseType"] != "ImportReport" || resp["status"] != "OK" {
		t.Errorf("response %v", resp)
	}
	if got := statsOf(t, body); !reflect.DeepEqual(got, map[string]any{"created": 6.0, "updated": 0.0, "deleted": 0.0, "ignored": 0.0, "total": 6.0}) {
		t.Errorf("stats %v", got)
	}
	klasses := []string{}
	for _, tr := range resp["typeReports"].([]any) {
		klasses = append(klasses, tr.(map[string]any)["klass"].(string))
	}
	want := []string{"org.hisp.dhis.dataelement.DataElement", "org.hisp.dhis.indicator.IndicatorType",
		"org.hisp.dhis.indicator.Indicator", "org.hisp.dhis.dataset.DataSet"}
	if !reflect.DeepEqual(klasses, want) {
		t.Errorf("type reports %v", klasses)
	}

	de, ok := s.Object(deKWh)
	if !ok || refID(de["categoryCombo"]) != DefaultCategoryComboUID || de["displayName"] != "GP electricity kWh" {
		t.Errorf("stored data element %v", de)
	}
	ds, _ := s.Object(dsGP)
	if refID(ds["categoryCombo"]) != DefaultCategoryComboUID {
		t.Errorf("data set category combo %v", ds["categoryCombo"])
	}
	if n := len(s.Objects("dataElements")); n != 3 {
		t.Errorf("%d data elements stored", n)
	}

	// The same payload again updates every object, changed or not.
	status, body = call(t, s, http.MethodPost, "/api/metadata?importStrategy=CREATE_AND_UPDATE", gpMetadata())
	if got := statsOf(t, body); status != http.StatusOK || got["updated"] != 6.0 || got["created"] != 0.0 {
		t.Errorf("re-import: %d %v", status, got)
	}
	// An object without id gets a fresh UID.
	status, body = call(t, s, http.MethodPost, "/api/metadata", map[string]any{"indicatorTypes": []any{map[string]any{"name": "Percent", "factor": 100}}})
	if status != http.StatusOK || statsOf(t, body)["created"] != 1.0 {
		t.Fatalf("create without id: %d %v", status, body)
	}
	found := false
	for _, it := range s.Objects("indicatorTypes") {
		if it["name"] == "Percent" && isUID(it["id"].(string)) {
			found = true
		}
	}
	if !found {
		t.Errorf("indicator type without id not stored with a UID: %v", s.Objects("indicatorTypes"))
	}
}

func TestMetadataValidateStoresNothing(t *testing.T) {
	s := startTest(t, Options{})
	status, body := call(t, s, http.MethodPost, "/api/metadata?importMode=VALIDATE", gpMetadata())
	if status != http.StatusOK || body["status"] != "OK" {
		t.Fatalf("validate: %d %v", status, body)
	}
	if len(s.Objects("dataElements")) != 0 || len(s.Objects("dataSets")) != 0 {
		t.Errorf("VALIDATE stored objects")
	}
	// An invalid payload is reported in VALIDATE as in COMMIT.
	bad := gpMetadata()
	bad["indicators"].([]any)[0].(map[string]any)["indicatorType"] = map[string]any{"id": "nosuchtype1"}
	status, body = call(t, s, http.MethodPost, "/api/metadata?importMode=VALIDATE", bad)
	if status != http.StatusConflict || body["response"].(map[string]any)["status"] != "ERROR" {
		t.Errorf("validate invalid: %d %v", status, body)
	}
}

// errorCodes returns "klass index errorCode errorProperty message" of
// every error report of an import report.
func errorCodes(body map[string]any) []string {
	var out []string
	resp, _ := body["response"].(map[string]any)
	for _, tr := range asSlice(resp["typeReports"]) {
		for _, or := range asSlice(tr.(map[string]any)["objectReports"]) {
			o := or.(map[string]any)
			klass := o["klass"].(string)
			klass = klass[strings.LastIndex(klass, ".")+1:]
			for _, er := range asSlice(o["errorReports"]) {
				e := er.(map[string]any)
				prop, _ := e["errorProperty"].(string)
				out = append(out, strings.Join([]string{klass, scalarString(o["index"]), e["errorCode"].(string), prop, e["message"].(string)}, " | "))
			}
		}
	}
	return out
}

func TestMetadataErrors(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(p map[string]any)
		want   []string
	}{
		{"missing value type", func(p map[string]any) {
			delete(p["dataElements"].([]any)[1].(map[string]any), "valueType")
		}, []string{"DataElement | 1 | E4000 | valueType | Missing required property `valueType`."}},
		{"short name too long", func(p map[string]any) {
			p["dataElements"].([]any)[0].(map[string]any)["shortName"] = strings.Repeat("x", 55)
		}, []string{"DataElement | 0 | E4001 | shortName | Maximum length of property `shortName`is 50, but given length was 55."}},
		{"bad uid", func(p map[string]any) {
			p["indicatorTypes"].([]any)[0].(map[string]any)["id"] = "1bad"
			p["indicators"].([]any)[0].(map[string]any)["indicatorType"] = map[string]any{"id": "1bad"}
		}, []string{"IndicatorType | 0 | E4014 |  | Invalid UID `1bad` for property `IndicatorType`"}},
		{"duplicate code in payload", func(p map[string]any) {
			p["dataElements"].([]any)[2].(map[string]any)["code"] = "GP_KWH"
		}, []string{"DataElement | 2 | E5003 | code | Property `code` with value `GP_KWH` on object GP diesel litres [GPdieselL01] (DataElement) already exists on object GPkwhElec01."}},
		{"unknown indicator type", func(p map[string]any) {
			p["indicators"].([]any)[0].(map[string]any)["indicatorType"] = map[string]any{"id": "nosuchtype1"}
		}, []string{"Indicator | 0 | E5002 | indicatorType | Invalid reference [nosuchtype1] (IndicatorType) on object GP kWh per bed [GPindKwh001] (Indicator) for association `indicatorType`."}},
		{"unknown data set references", func(p map[string]any) {
			ds := p["dataSets"].([]any)[0].(map[string]any)
			ds["dataSetElements"] = []any{map[string]any{"dataElement": map[string]any{"id": "nosuchde001"}}}
			ds["organisationUnits"] = []any{map[string]any{"id": "nosuchou001"}}
			ds["indicators"] = []any{map[string]any{"id": "nosuchind01"}}
			delete(ds, "periodType")
		}, []string{
			"DataSet | 0 | E4000 | periodType | Missing required property `periodType`.",
			"DataSet | 0 | E5002 | dataElement | Invalid reference [nosuchde001] (DataElement) on object GreenPulse monthly [GPmonthly01] (DataSet) for association `dataElement`.",
			"DataSet | 0 | E5002 | indicators | Invalid reference [nosuchind01] (Indicator) on object GreenPulse monthly [GPmonthly01] (DataSet) for association `indicators`.",
			"DataSet | 0 | E5002 | organisationUnits | Invalid reference [nosuchou001] (OrganisationUnit) on object GreenPulse monthly [GPmonthly01] (DataSet) for association `organisationUnits`.",
		}},
		{"unknown category combo", func(p map[string]any) {
			p["dataElements"].([]any)[0].(map[string]any)["categoryCombo"] = map[string]any{"id": "nosuchcc001"}
		}, []string{"DataElement | 0 | E5002 | categoryCombo | Invalid reference [nosuchcc001] (CategoryCombo) on object GP electricity kWh [GPkwhElec01] (DataElement) for association `categoryCombo`."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startTest(t, Options{})
			p := gpMetadata()
			tc.mutate(p)
			status, body := call(t, s, http.MethodPost, "/api/metadata", p)
			if status != http.StatusConflict || body["httpStatus"] != "Conflict" || body["status"] != "WARNING" ||
				body["message"] != "One or more errors occurred, please see full details in import report." {
				t.Errorf("answer %d %v %v %v", status, body["httpStatus"], body["status"], body["message"])
			}
			if got := errorCodes(body); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors\n got %q\nwant %q", got, tc.want)
			}
			if got := statsOf(t, body); got["ignored"] != 6.0 || got["created"] != 0.0 {
				t.Errorf("stats %v", got)
			}
			if len(s.Objects("dataElements"))+len(s.Objects("indicators"))+len(s.Objects("dataSets")) != 0 {
				t.Errorf("atomic import stored objects")
			}
		})
	}
}

func TestMetadataUniqueAgainstStoredAndStrategies(t *testing.T) {
	s := startTest(t, Options{})
	importGP(t, s)
	dup := map[string]any{"dataElements": []any{map[string]any{"id": "GPotherDE01", "name": "GP electricity kWh", "shortName": "Other",
		"domainType": "AGGREGATE", "valueType": "NUMBER", "aggregationType": "SUM"}}}
	_, body := call(t, s, http.MethodPost, "/api/metadata", dup)
	if got := errorCodes(body); len(got) != 1 || !strings.Contains(got[0], "E5003 | name") {
		t.Errorf("stored duplicate name: %v", got)
	}
	_, body = call(t, s, http.MethodPost, "/api/metadata?importStrategy=CREATE", gpMetadata())
	if got := errorCodes(body); len(got) != 6 || !strings.Contains(got[0], "E5000") {
		t.Errorf("CREATE of existing: %v", got)
	}
	_, body = call(t, s, http.MethodPost, "/api/metadata?importStrategy=UPDATE", dup)
	if got := errorCodes(body); len(got) != 1 || !strings.Contains(got[0], "E5001") {
		t.Errorf("UPDATE of missing: %v", got)
	}
	status, body := call(t, s, http.MethodPost, "/api/metadata?importStrategy=DELETE",
		map[string]any{"dataElements": []any{map[string]any{"id": deDiesel}}})
	if _, ok := s.Object(deDiesel); status != http.StatusOK || ok || statsOf(t, body)["deleted"] != 1.0 {
		t.Errorf("DELETE: %d %v", status, body)
	}
}

func TestMetadataLists(t *testing.T) {
	s := startTest(t, Options{})
	importGP(t, s)
	tests := []struct {
		path, list string
		want       []string
	}{
		{"/api/dataElements?paging=false&fields=id,name", "dataElements", []string{deDiesel, deKWh, deWaste}},
		{"/api/dataElements?paging=false&filter=id:in:[" + deKWh + "," + deWaste + "]", "dataElements", []string{deKWh, deWaste}},
		{"/api/dataElements?paging=false&filter=code:in:[GP_WASTE]", "dataElements", []string{deWaste}},
		{"/api/dataElements?paging=false&filter=code:like:GP_&filter=name:ilike:KWH", "dataElements", []string{deKWh}},
		{"/api/dataElements?paging=false&filter=code:$like:GP_D", "dataElements", []string{deDiesel}},
		{"/api/indicators?paging=false", "indicators", []string{indKWh}},
		{"/api/indicatorTypes?paging=false", "indicatorTypes", []string{indType}},
		{"/api/dataSets?paging=false&fields=id,dataSetElements[dataElement[id,code]]", "dataSets", []string{dsGP}},
		{"/api/40/dataElements.json?pageSize=2&page=2", "dataElements", []string{deWaste}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			status, body := call(t, s, http.MethodGet, tc.path, nil)
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, body)
			}
			if got := ids(body[tc.list]); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	_, body := call(t, s, http.MethodGet, "/api/dataSets/"+dsGP+"?fields=dataSetElements[dataElement[code]]", nil)
	want := []any{map[string]any{"dataElement": map[string]any{"code": "GP_KWH"}}, map[string]any{"dataElement": map[string]any{"code": "GP_WASTE"}}}
	if !reflect.DeepEqual(body["dataSetElements"], want) {
		t.Errorf("nested fields %v", body["dataSetElements"])
	}
	if got := s.BrokenIndicatorExpressions(); len(got) != 0 {
		t.Errorf("broken expressions %v", got)
	}
	call(t, s, http.MethodPost, "/api/metadata", map[string]any{"indicators": []any{map[string]any{"id": "GPindBad001", "name": "Bad",
		"shortName": "Bad", "numerator": "#{nosuchde001.HllvX50cXC0}+#{" + deKWh + "}", "denominator": "1",
		"indicatorType": map[string]any{"id": indType}}}})
	if got := s.BrokenIndicatorExpressions(); !reflect.DeepEqual(got, map[string][]string{"GPindBad001": {"nosuchde001"}}) {
		t.Errorf("broken expressions %v", got)
	}
}
