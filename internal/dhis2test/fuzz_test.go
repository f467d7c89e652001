package dhis2test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// FuzzDataValueSet posts arbitrary bodies to /api/dataValueSets: every
// answer must be a 2xx or 4xx DHIS2 WebMessage, never a panic or a 5xx.
func FuzzDataValueSet(f *testing.F) {
	seeds := []string{
		`{"dataValues":[{"dataElement":"GPkwhElec01","period":"202601","orgUnit":"KarkhHosp01","value":"1"}]}`,
		`{"dataSet":"GPmonthly01","period":"202601","orgUnit":"KarkhHosp01","completeDate":"true","dataValues":[{"dataElement":"GPkwhElec01","value":12}]}`,
		`{"dataValues":[{"dataElement":"GPkwhElec01","period":"2026W53","orgUnit":"KarkhHosp01","value":null,"comment":"x","followup":"true"}]}`,
		`{"dataValues":[{"dataElement":"GP_KWH","period":"2026Q5","orgUnit":"FAC_001","value":"-0","deleted":true}],"idScheme":"code"}`,
		`{"completeDate":"9999-99-99","dataSet":"GPmonthly01","dataValues":null}`,
		`{"dataValues":[1,2,3]}`,
		`[]`, `null`, `"x"`, ``, `{`, `{"dataValues":[{"value":1e999}]}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	srv := Start(f, Options{Token: testToken})
	srv.AddOrgUnits(OrgUnit{ID: "IraqRoot001", Code: "IQ", Name: "Iraq", ShortName: "Iraq"},
		OrgUnit{ID: "KarkhHosp01", Code: "FAC_001", Name: "Karkh", ShortName: "Karkh", Parent: "IraqRoot001"})
	srv.mu.Lock()
	srv.importMetadata(map[string][]map[string]any{
		"dataElements": {{"id": "GPkwhElec01", "code": "GP_KWH", "name": "kWh", "shortName": "kWh", "domainType": "AGGREGATE",
			"valueType": "INTEGER_ZERO_OR_POSITIVE", "aggregationType": "SUM"}},
		"dataSets": {{"id": "GPmonthly01", "name": "GP", "periodType": "Monthly",
			"dataSetElements":   []any{map[string]any{"dataElement": map[string]any{"id": "GPkwhElec01"}}},
			"organisationUnits": []any{map[string]any{"id": "KarkhHosp01"}}}},
	}, importParams{strategy: "CREATE_AND_UPDATE"})
	srv.mu.Unlock()
	srv.LockPeriod("202512")
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, query := range []string{"", "?dryRun=true&orgUnitIdScheme=CODE"} {
			status, raw := callRaw(t, srv, http.MethodPost, "/api/dataValueSets"+query, body, "ApiToken "+testToken)
			if status >= 500 || status < 200 || (status >= 300 && status < 400) {
				t.Fatalf("status %d for %q: %s", status, body, raw)
			}
			var wm struct {
				HTTPStatusCode int             `json:"httpStatusCode"`
				Status         string          `json:"status"`
				Response       json.RawMessage `json:"response"`
			}
			if err := json.Unmarshal(raw, &wm); err != nil || wm.HTTPStatusCode != status || wm.Status == "" {
				t.Fatalf("not a WebMessage (%v) for %q: %s", err, body, raw)
			}
		}
	})
}

// FuzzMetadata posts arbitrary bodies to /api/metadata: every answer must
// be a 2xx or 4xx WebMessage, never a panic or a 5xx.
func FuzzMetadata(f *testing.F) {
	seed, _ := json.Marshal(gpMetadata())
	for _, s := range []string{string(seed), `{"dataElements":[{"id":5,"name":["x"],"shortName":{}}]}`,
		`{"dataSets":[{"dataSetElements":[{"dataElement":"x"},7],"organisationUnits":[null]}]}`,
		`{"indicators":[{"indicatorType":"abc"}]}`, `{"dataElements":[1]}`, `[]`, `null`, ``} {
		f.Add([]byte(s))
	}
	srv := Start(f, Options{Token: testToken})
	srv.AddOrgUnits(OrgUnit{ID: "KarkhHosp01", Name: "Karkh", ShortName: "Karkh"}, OrgUnit{ID: "RusafaPhc01", Name: "Rusafa", ShortName: "Rusafa"})
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, query := range []string{"?importMode=VALIDATE", ""} {
			status, raw := callRaw(t, srv, http.MethodPost, "/api/metadata"+query, body, "ApiToken "+testToken)
			if status >= 500 || status < 200 || (status >= 300 && status < 400) {
				t.Fatalf("status %d for %q: %s", status, body, raw)
			}
			var wm struct {
				HTTPStatusCode int    `json:"httpStatusCode"`
				Status         string `json:"status"`
			}
			if err := json.Unmarshal(raw, &wm); err != nil || wm.HTTPStatusCode != status || wm.Status == "" {
				t.Fatalf("not a WebMessage (%v) for %q: %s", err, body, raw)
			}
		}
	})
}
