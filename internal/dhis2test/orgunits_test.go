package dhis2test

import (
	"net/http"
	"reflect"
	"testing"
)

func TestOrgUnitFilters(t *testing.T) {
	s := startTest(t, Options{})
	tests := []struct {
		name, query string
		want        []string
	}{
		// Default order: name case-insensitively, then id.
		{"all", "paging=false", []string{"KarkhHosp01", "RusafaPhc01", "Baghdad0001", "Basra000001", "BasraHosp01", "IraqRoot001"}},
		{"path like", "paging=false&filter=path:like:Baghdad0001", []string{"KarkhHosp01", "RusafaPhc01", "Baghdad0001"}},
		{"level eq", "paging=false&filter=level:eq:3", []string{"KarkhHosp01", "RusafaPhc01", "BasraHosp01"}},
		{"level in", "paging=false&filter=level:in:[1,2]", []string{"Baghdad0001", "Basra000001", "IraqRoot001"}},
		{"id in", "paging=false&filter=id:in:[BasraHosp01,IraqRoot001,nosuchunit1]", []string{"BasraHosp01", "IraqRoot001"}},
		{"code in", "paging=false&filter=code:in:[FAC_001,FAC_003]", []string{"KarkhHosp01", "BasraHosp01"}},
		{"anded", "paging=false&filter=path:like:Baghdad0001&filter=level:eq:3", []string{"KarkhHosp01", "RusafaPhc01"}},
		{"or junction", "paging=false&filter=code:eq:IQ&filter=code:eq:FAC_003&rootJunction=OR", []string{"BasraHosp01", "IraqRoot001"}},
		{"code start", "paging=false&filter=code:$like:IQ_", []string{"Baghdad0001", "Basra000001"}},
		{"parent id", "paging=false&filter=parent.id:eq:Basra000001", []string{"BasraHosp01"}},
		{"closed null", "paging=false&filter=level:eq:3&filter=closedDate:null", []string{"KarkhHosp01", "RusafaPhc01"}},
		{"attribute", "paging=false&filter=MoHFacId001:eq:MOH-1002", []string{"RusafaPhc01"}},
		{"order", "paging=false&filter=level:eq:3&order=code:desc", []string{"BasraHosp01", "RusafaPhc01", "KarkhHosp01"}},
		{"nothing", "paging=false&filter=level:eq:9", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, s, http.MethodGet, "/api/organisationUnits?"+tc.query, nil)
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, body)
			}
			if _, ok := body["pager"]; ok {
				t.Errorf("paging=false answered a pager")
			}
			if got := ids(body["organisationUnits"]); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestOrgUnitFields(t *testing.T) {
	s := startTest(t, Options{})
	q := "/api/organisationUnits/KarkhHosp01?fields=id,code,name,shortName,displayName,level,parent[id],path,geometry," +
		"openingDate,closedDate,translations,attributeValues[value,attribute[id]]"
	status, got := call(t, s, http.MethodGet, q, nil)
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, got)
	}
	want := map[string]any{
		"id": "KarkhHosp01", "code": "FAC_001", "name": "Al-Karkh Hospital", "shortName": "Karkh H",
		"displayName": "Al-Karkh Hospital", "level": 3.0, "parent": map[string]any{"id": "Baghdad0001"},
		"path":            "/IraqRoot001/Baghdad0001/KarkhHosp01",
		"geometry":        map[string]any{"type": "Point", "coordinates": []any{44.36, 33.31}},
		"openingDate":     "2010-01-01T00:00:00.000",
		"translations":    []any{map[string]any{"property": "NAME", "locale": "ar", "value": "مستشفى الكرخ"}},
		"attributeValues": []any{map[string]any{"value": "MOH-1001", "attribute": map[string]any{"id": "MoHFacId001"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}

	tests := []struct {
		name, query string
		want        map[string]any
	}{
		{"default fields", "", map[string]any{"id": "Baghdad0001", "displayName": "Baghdad"}},
		{"parent expanded", "?fields=id,parent[id,name]", map[string]any{"id": "Baghdad0001", "parent": map[string]any{"id": "IraqRoot001", "name": "Iraq"}}},
		{"exclusion", "?fields=:all,!translations,!attributeValues,!geometry,!displayShortName,!shortName,!displayName,!path,!parent,!name,!level",
			map[string]any{"id": "Baghdad0001", "code": "IQ_BGD"}},
		{"rename", "?fields=id~rename(uid)", map[string]any{"uid": "Baghdad0001"}},
		{"polygon", "?fields=geometry[type]", map[string]any{"geometry": map[string]any{"type": "Polygon"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, got := call(t, s, http.MethodGet, "/api/organisationUnits/Baghdad0001"+tc.query, nil)
			if status != http.StatusOK || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("status %d, got %v, want %v", status, got, tc.want)
			}
		})
	}

	_, body := call(t, s, http.MethodGet, "/api/organisationUnits?paging=false&fields=id,displayName&filter=id:eq:KarkhHosp01&locale=ar", nil)
	if got := body["organisationUnits"].([]any)[0].(map[string]any)["displayName"]; got != "مستشفى الكرخ" {
		t.Errorf("displayName in ar = %v", got)
	}
	status, body = call(t, s, http.MethodGet, "/api/organisationUnits/nosuchunit1", nil)
	if status != http.StatusNotFound || body["status"] != "ERROR" || body["httpStatus"] != "Not Found" {
		t.Errorf("unknown unit: %d %v", status, body)
	}
	status, body = call(t, s, http.MethodGet, "/api/organisationUnits?filter=level:zz:3", nil)
	if status != http.StatusBadRequest || body["status"] != "ERROR" {
		t.Errorf("bad operator: %d %v", status, body)
	}
}

func TestOrgUnitPaging(t *testing.T) {
	s := startTest(t, Options{})
	base := s.URL() + "/api/organisationUnits"
	tests := []struct {
		name, query string
		wantIDs     []string
		want        pager
	}{
		{"default size", "fields=id", []string{"KarkhHosp01", "RusafaPhc01", "Baghdad0001", "Basra000001", "BasraHosp01", "IraqRoot001"},
			pager{Page: 1, PageCount: 1, Total: 6, PageSize: 50}},
		{"first page", "fields=id&pageSize=4", []string{"KarkhHosp01", "RusafaPhc01", "Baghdad0001", "Basra000001"},
			pager{Page: 1, PageCount: 2, Total: 6, PageSize: 4, NextPage: base + "?page=2&pageSize=4&fields=id"}},
		{"last page", "fields=id&page=2&pageSize=4", []string{"BasraHosp01", "IraqRoot001"},
			pager{Page: 2, PageCount: 2, Total: 6, PageSize: 4, PrevPage: base + "?pageSize=4&fields=id"}},
		{"middle page", "pageSize=2&page=2&filter=level:in:[1,2,3]&fields=id", []string{"Baghdad0001", "Basra000001"},
			pager{Page: 2, PageCount: 3, Total: 6, PageSize: 2,
				NextPage: base + "?page=3&pageSize=2&filter=level%3Ain%3A%5B1%2C2%2C3%5D&fields=id",
				PrevPage: base + "?pageSize=2&filter=level%3Ain%3A%5B1%2C2%2C3%5D&fields=id"}},
		{"third of three", "pageSize=2&page=3", []string{"BasraHosp01", "IraqRoot001"},
			pager{Page: 3, PageCount: 3, Total: 6, PageSize: 2, PrevPage: base + "?page=2&pageSize=2"}},
		// DHIS2 clamps the page it reports but takes the objects at the
		// requested offset: an empty list.
		{"beyond pageCount", "fields=id&page=9&pageSize=4", nil,
			pager{Page: 2, PageCount: 2, Total: 6, PageSize: 4, PrevPage: base + "?pageSize=4&fields=id"}},
		{"empty result", "filter=level:eq:9", nil, pager{Page: 1, PageCount: 1, Total: 0, PageSize: 50}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, s, http.MethodGet, "/api/organisationUnits?"+tc.query, nil)
			if status != http.StatusOK {
				t.Fatalf("status %d: %v", status, body)
			}
			if got := ids(body["organisationUnits"]); !reflect.DeepEqual(got, tc.wantIDs) {
				t.Errorf("ids %v, want %v", got, tc.wantIDs)
			}
			p, _ := body["pager"].(map[string]any)
			got := pager{Page: int(p["page"].(float64)), PageCount: int(p["pageCount"].(float64)), Total: int(p["total"].(float64)),
				PageSize: int(p["pageSize"].(float64))}
			got.NextPage, _ = p["nextPage"].(string)
			got.PrevPage, _ = p["prevPage"].(string)
			if got != tc.want {
				t.Errorf("pager\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestOrgUnitLevels(t *testing.T) {
	s := startTest(t, Options{})
	status, body := call(t, s, http.MethodGet, "/api/organisationUnitLevels?fields=id,name,displayName,level&paging=false&order=level:asc", nil)
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	want := []any{
		map[string]any{"id": "lvlNation01", "name": "National", "displayName": "National", "level": 1.0},
		map[string]any{"id": "lvlGovern02", "name": "Governorate", "displayName": "Governorate", "level": 2.0},
		map[string]any{"id": "lvlFacili03", "name": "Facility", "displayName": "Facility", "level": 3.0},
	}
	if !reflect.DeepEqual(body["organisationUnitLevels"], want) {
		t.Errorf("got %v", body["organisationUnitLevels"])
	}
}
