package dhis2test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestAuth(t *testing.T) {
	s := startTest(t, Options{Username: "greenpulse", Password: "s3cret"})
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	tests := []struct {
		name, auth string
		status     int
		message    string
	}{
		{"token", "ApiToken " + testToken, http.StatusOK, ""},
		{"basic", basic("greenpulse", "s3cret"), http.StatusOK, ""},
		{"wrong token", "ApiToken d2pat_wrong", http.StatusUnauthorized, "The API token does not exists."},
		{"wrong password", basic("greenpulse", "nope"), http.StatusUnauthorized, "Unauthorized"},
		{"bearer", "Bearer " + testToken, http.StatusUnauthorized, "Unauthorized"},
		{"none", "", http.StatusUnauthorized, "Unauthorized"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/organisationUnits", "/api/dataElements", "/api/nosuchthing"} {
				status, raw := callRaw(t, s, http.MethodGet, path, nil, tc.auth)
				if tc.status == http.StatusOK {
					if status == http.StatusUnauthorized {
						t.Errorf("%s: refused", path)
					}
					continue
				}
				var wm map[string]any
				_ = json.Unmarshal(raw, &wm)
				want := map[string]any{"httpStatus": "Unauthorized", "httpStatusCode": 401.0, "status": "ERROR", "message": tc.message}
				if status != tc.status || !reflect.DeepEqual(wm, want) {
					t.Errorf("%s: %d %s", path, status, raw)
				}
			}
		})
	}
	noBasic := startTest(t, Options{})
	if status, _ := callRaw(t, noBasic, http.MethodGet, "/api/dataElements", nil, basic("", "")); status != http.StatusUnauthorized {
		t.Errorf("empty basic credentials accepted without Options.Username: %d", status)
	}
}

func TestNotFoundAndRequests(t *testing.T) {
	s := startTest(t, Options{})
	status, body := call(t, s, http.MethodGet, "/api/analytics?dimension=dx", nil)
	if status != http.StatusNotFound || body["httpStatus"] != "Not Found" || body["status"] != "ERROR" || body["httpStatusCode"] != 404.0 {
		t.Errorf("unknown endpoint: %d %v", status, body)
	}
	status, _ = call(t, s, http.MethodDelete, "/api/organisationUnits/KarkhHosp01", nil)
	if status != http.StatusNotFound {
		t.Errorf("DELETE org unit: %d", status)
	}
	want := []Request{
		{Method: "GET", Path: "/api/analytics", RawQuery: "dimension=dx", Status: 404},
		{Method: "DELETE", Path: "/api/organisationUnits/KarkhHosp01", Status: 404},
	}
	if got := s.Requests(); !reflect.DeepEqual(got, want) {
		t.Errorf("requests %v", got)
	}
}

func TestFailNext(t *testing.T) {
	s := startTest(t, Options{})
	importGP(t, s)
	s.FailNext(2, http.StatusServiceUnavailable)
	for i := 0; i < 2; i++ {
		status, body := push(t, s, "", dv(deKWh, "202601", "KarkhHosp01", "5"))
		if status != http.StatusServiceUnavailable || body["httpStatus"] != "Service Unavailable" || body["status"] != "ERROR" {
			t.Errorf("attempt %d: %d %v", i, status, body)
		}
	}
	if len(s.DataValues()) != 0 {
		t.Errorf("failed requests stored values")
	}
	// Other endpoints are not affected, and the third push goes through.
	if status, _ := call(t, s, http.MethodGet, "/api/dataElements", nil); status != http.StatusOK {
		t.Errorf("GET during FailNext: %d", status)
	}
	if status, _ := push(t, s, "", dv(deKWh, "202601", "KarkhHosp01", "5")); status != http.StatusOK {
		t.Errorf("after FailNext: %d", status)
	}
	s.FailNext(1, http.StatusInternalServerError)
	if status, body := push(t, s, "", dv(deKWh, "202601", "KarkhHosp01", "6")); status != 500 || body["httpStatus"] != "Internal Server Error" {
		t.Errorf("500: %d %v", status, body)
	}
	if v, _ := s.Value(deKWh, "202601", "KarkhHosp01"); v != "5" {
		t.Errorf("value %q after failed update", v)
	}
}

func TestMetadataBefore238(t *testing.T) {
	s := startTest(t, Options{Version: "2.37.4"})
	status, body := call(t, s, http.MethodPost, "/api/metadata", gpMetadata())
	if status != http.StatusOK || body["httpStatus"] != nil || body["status"] != "OK" || body["stats"] == nil {
		t.Errorf("2.37 metadata answer: %d %v", status, body)
	}
}

// TestConcurrentUse runs pushes and reads at once; go test -race checks
// the locking.
func TestConcurrentUse(t *testing.T) {
	s := startTest(t, Options{})
	importGP(t, s)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				push(t, s, "", dv(deKWh, fmt.Sprintf("2025%02d", i+1), "KarkhHosp01", fmt.Sprint(g+1)))
				s.DataValues()
				s.Requests()
				call(t, s, http.MethodGet, "/api/organisationUnits?paging=false", nil)
			}
		}()
	}
	wg.Wait()
	if n := len(s.DataValues()); n != 5 {
		t.Errorf("%d values, want 5", n)
	}
}

// TestPushSpeed pushes 40,000 values in chunks of 2,000, as the collector
// does for ~2,000 facilities, and bounds the server's time.
func TestPushSpeed(t *testing.T) {
	if testing.Short() {
		t.Skip("speed test")
	}
	s := startTest(t, Options{})
	var units []OrgUnit
	var refs []any
	for i := 0; i < 2000; i++ {
		id := fmt.Sprintf("Fac%08d", i)
		units = append(units, OrgUnit{ID: id, Name: id, ShortName: id, Parent: "Baghdad0001"})
		refs = append(refs, map[string]any{"id": id})
	}
	s.AddOrgUnits(units...)
	md := gpMetadata()
	md["dataSets"].([]any)[0].(map[string]any)["organisationUnits"] = refs
	if status, body := call(t, s, http.MethodPost, "/api/metadata", md); status != http.StatusOK {
		t.Fatalf("metadata: %v", body)
	}
	var chunks [][]byte
	for c := 0; c < 20; c++ {
		var values []any
		for i := 0; i < 2000; i++ {
			n := c*2000 + i
			de := deKWh
			if n%2 == 1 {
				de = deWaste
			}
			values = append(values, dv(de, fmt.Sprintf("2025%02d", n/4000+1), fmt.Sprintf("Fac%08d", (n/2)%2000), fmt.Sprint(n%997+1)))
		}
		b, _ := json.Marshal(map[string]any{"dataValues": values})
		chunks = append(chunks, b)
	}
	start := time.Now()
	for _, b := range chunks {
		if status, raw := callRaw(t, s, http.MethodPost, "/api/dataValueSets", b, "ApiToken "+testToken); status != http.StatusOK {
			t.Fatalf("push: %d %.300s", status, raw)
		}
	}
	elapsed := time.Since(start)
	if n := len(s.DataValues()); n != 40000 {
		t.Errorf("%d values stored, want 40000", n)
	}
	// Generous for a shared 2-core machine and -race; typical is ~0.3 s.
	if elapsed > 5*time.Second {
		t.Errorf("40,000 values took %v", elapsed)
	}
	t.Logf("40,000 values in %v including HTTP and JSON", elapsed)
}
