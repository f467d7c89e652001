package dhis2test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

const testToken = "d2pat_testtoken0123456789"

// call sends method path with body (JSON-encoded unless []byte) and the
// test token, and returns the status and the decoded JSON body.
func call(t *testing.T, s *Server, method, path string, body any) (int, map[string]any) {
	t.Helper()
	status, raw := callRaw(t, s, method, path, body, "ApiToken "+testToken)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: answer is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return status, out
}

func callRaw(t *testing.T, s *Server, method, path string, body any, auth string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// startTest starts a server with the test token and a small tree:
// Iraq > Baghdad > {Al-Karkh hospital, Al-Rusafa PHC}, Iraq > Basra > Basra
// hospital (closed).
func startTest(t *testing.T, opt Options) *Server {
	t.Helper()
	if opt.Token == "" {
		opt.Token = testToken
	}
	s := Start(t, opt)
	s.AddOrgUnitLevels(
		OrgUnitLevel{ID: "lvlNation01", Name: "National", Level: 1},
		OrgUnitLevel{ID: "lvlGovern02", Name: "Governorate", Level: 2},
		OrgUnitLevel{ID: "lvlFacili03", Name: "Facility", Level: 3},
	)
	s.AddOrgUnits(
		OrgUnit{ID: "IraqRoot001", Code: "IQ", Name: "Iraq", ShortName: "Iraq", OpeningDate: "1990-01-01T00:00:00.000"},
		OrgUnit{ID: "Baghdad0001", Code: "IQ_BGD", Name: "Baghdad", ShortName: "Baghdad", Parent: "IraqRoot001",
			Geometry: json.RawMessage(`{"type":"Polygon","coordinates":[[[44,33],[45,33],[45,34],[44,33]]]}`)},
		OrgUnit{ID: "Basra000001", Code: "IQ_BSR", Name: "Basra", ShortName: "Basra", Parent: "IraqRoot001"},
		OrgUnit{ID: "KarkhHosp01", Code: "FAC_001", Name: "Al-Karkh Hospital", ShortName: "Karkh H", Parent: "Baghdad0001",
			Lat: 33.31, Lon: 44.36, HasPoint: true, OpeningDate: "2010-01-01T00:00:00.000",
			Translations: []Translation{{"NAME", "ar", "مستشفى الكرخ"}},
			Attributes:   []AttributeValue{{"MoHFacId001", "MOH-1001"}}},
		OrgUnit{ID: "RusafaPhc01", Code: "FAC_002", Name: "al-Rusafa PHC", ShortName: "Rusafa", Parent: "Baghdad0001",
			Lat: 33.35, Lon: 44.42, HasPoint: true,
			Attributes: []AttributeValue{{"MoHFacId001", "MOH-1002"}}},
		OrgUnit{ID: "BasraHosp01", Code: "FAC_003", Name: "Basra Hospital", ShortName: "Basra H", Parent: "Basra000001",
			ClosedDate: "2024-06-30T00:00:00.000"},
	)
	return s
}

// ids returns the "id" of each object of list.
func ids(list any) []string {
	var out []string
	for _, o := range list.([]any) {
		out = append(out, o.(map[string]any)["id"].(string))
	}
	return out
}
