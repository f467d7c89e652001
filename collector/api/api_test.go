package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

var baghdad = time.FixedZone("Asia/Baghdad", 3*3600)

type fakeIndicators struct{ got rollup.Query }

func (f *fakeIndicators) Read(_ context.Context, q rollup.Query) ([]rollup.Row, error) {
	f.got = q
	return []rollup.Row{{Indicator: indicators.RenewableSharePct, Level: "governorate", Area: "IQ-BG", Period: q.Period,
		Start: time.Date(2026, 11, 1, 0, 0, 0, 0, baghdad), Value: 12.5, Facilities: 40}}, nil
}

func (f *fakeIndicators) Waste(_ context.Context, facility string, from, to time.Time) ([]rollup.WasteRow, error) {
	return []rollup.WasteRow{{Category: "sharps", Treatment: "autoclave", MassKg: 7.5, Events: 2}}, nil
}

type fakeFacilities struct{}

func (fakeFacilities) LastReading(id string) (time.Time, bool) {
	return time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), id == "BG-H-001"
}

func (fakeFacilities) Status(id string) (reading.AgentStatus, time.Time, bool) {
	online := true
	return reading.AgentStatus{Online: &online, Version: "1.0"}, time.Now(), id == "BG-H-001"
}

func newAPI(t *testing.T) (*httptest.Server, *fakeIndicators) {
	t.Helper()
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	ind := &fakeIndicators{}
	mux := http.NewServeMux()
	New(ind, fakeFacilities{}, reg, baghdad).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, ind
}

func get(t *testing.T, url string, accept string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b.String()
}

func TestIndicatorParameters(t *testing.T) {
	srv, _ := newAPI(t)
	tests := []struct {
		query string
		param string
	}{
		{"indicator=solar_share", "indicator"},
		{"indicator=grid_kwh,,solar_kwh", "indicator"},
		{"within=IQ-XX&level=facility", "within"},
		{"within=IQ-BG", "within"},
		{"within=BG-KRK&level=district", "within"},
		{"level=province", "level"},
		{"area=IQ%20BG", "area"},
		{"period=week", "period"},
		{"from=yesterday", "from"},
		{"to=2026-13-01", "to"},
		{"from=2026-11-10&to=2026-11-01", "to"},
		{"from=2020-01-01&to=2026-01-01", "from"},
		{"indicator=" + strings.Repeat("grid_kwh,", len(indicators.Catalog)) + "grid_kwh", "indicator"},
	}
	for _, tt := range tests {
		t.Run(tt.query[:min(len(tt.query), 60)], func(t *testing.T) {
			code, _, body := get(t, srv.URL+"/api/v1/indicators?"+tt.query, "")
			var e map[string]string
			_ = json.Unmarshal([]byte(body), &e)
			if code != http.StatusBadRequest || e["parameter"] != tt.param || !strings.HasPrefix(e["error"], tt.param+": ") {
				t.Errorf("got %d %s, want 400 naming %s", code, body, tt.param)
			}
		})
	}
}

func TestIndicatorsJSONAndCSV(t *testing.T) {
	srv, ind := newAPI(t)
	code, ctype, body := get(t, srv.URL+"/api/v1/indicators?indicator=renewable_share_pct&level=governorate&area=IQ-BG&period=month&from=2026-11-01&to=2026-12-01", "")
	if code != http.StatusOK || ctype != "application/json" {
		t.Fatalf("got %d %s: %s", code, ctype, body)
	}
	want := `[{"indicator":"renewable_share_pct","level":"governorate","area":"IQ-BG","period":"month","start":"2026-11-01T00:00:00+03:00","value":12.5,"facilities":40}]`
	if strings.TrimSpace(body) != want {
		t.Errorf("body %s\nwant %s", body, want)
	}
	if q := ind.got; q.Period != indicators.Month || !q.From.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, baghdad)) ||
		!q.To.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, baghdad)) || q.Area != "IQ-BG" {
		t.Errorf("query %+v: dates are local (Asia/Baghdad) midnights", q)
	}
	for _, ask := range []struct{ url, accept string }{
		{"/api/v1/indicators?format=csv", ""},
		{"/api/v1/indicators", "text/csv"},
	} {
		code, ctype, body := get(t, srv.URL+ask.url, ask.accept)
		if code != http.StatusOK || !strings.HasPrefix(ctype, "text/csv") ||
			body != "indicator,level,area,period,start,value,facilities\nrenewable_share_pct,governorate,IQ-BG,day,2026-11-01T00:00:00+03:00,12.5,40\n" {
			t.Errorf("%s: %d %s %q", ask.url, code, ctype, body)
		}
	}
}

func TestNoFacilitiesIsAnEmptyList(t *testing.T) {
	mux := http.NewServeMux()
	New(&fakeIndicators{}, fakeFacilities{}, &registry.Registry{}, baghdad).Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/facilities", nil))
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("empty registry: %d %s, want 200 []", rec.Code, rec.Body)
	}
}

func TestCatalogAndFacilities(t *testing.T) {
	srv, _ := newAPI(t)
	_, _, body := get(t, srv.URL+"/api/v1/catalog", "")
	var cat []indicators.Definition
	if err := json.Unmarshal([]byte(body), &cat); err != nil || len(cat) != len(indicators.Catalog) || cat[0].NameAr == "" {
		t.Fatalf("catalog %s (%v)", body, err)
	}
	_, _, body = get(t, srv.URL+"/api/v1/facilities", "")
	var facs []facility
	if err := json.Unmarshal([]byte(body), &facs); err != nil || len(facs) != 241 {
		t.Fatalf("facilities: %v, %d", err, len(facs))
	}
	for _, f := range facs {
		switch f.ID {
		case "BG-H-001":
			if f.LastReading == nil || f.Agent == nil || f.Agent.Version != "1.0" {
				t.Errorf("BG-H-001: %+v", f)
			}
		default:
			if f.LastReading != nil || f.Agent != nil {
				t.Errorf("%s reports data it never sent: %+v", f.ID, f)
			}
		}
	}
}

// FuzzIndicatorQuery sends arbitrary query strings: the API answers 200
// with JSON or 400 naming a parameter, and never panics.
func FuzzIndicatorQuery(f *testing.F) {
	for _, s := range []string{"", "indicator=grid_kwh&level=national&area=IQ&period=month&from=2026-01-01&to=2026-12-01",
		"from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00%2B03:00", "period=day&format=csv", "area=%00", "from=0000-01-01", "facility=BG-H-001&from=2026-11-01"} {
		f.Add(s)
	}
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		f.Fatal(err)
	}
	mux := http.NewServeMux()
	New(&fakeIndicators{}, fakeFacilities{}, reg, baghdad).Register(mux)
	// The same query goes to both endpoints that read dates from a query
	// string: the waste breakdown adds its facility parameter.
	f.Fuzz(func(t *testing.T, query string) {
		for _, path := range []string{"/api/v1/indicators", "/api/v1/waste"} {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.URL.RawQuery = query
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK:
			case http.StatusBadRequest:
				var e map[string]string
				if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e["parameter"] == "" {
					t.Fatalf("%s: 400 without a named parameter: %s", path, rec.Body)
				}
			default:
				t.Fatalf("%s?%s: status %d", path, query, rec.Code)
			}
		}
	})
}

type fakeRoller struct{ from, to time.Time }

func (f *fakeRoller) Range(_ context.Context, from, to time.Time) ([]rollup.Result, error) {
	f.from, f.to = from, to
	return []rollup.Result{{Period: indicators.PeriodOf(indicators.Day, from, baghdad), Reporting: 3, Points: 60}}, nil
}

func TestRollupEndpoint(t *testing.T) {
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	post := func(a *API, query, authorization string) (int, string) {
		t.Helper()
		mux := guarded(t, a, reg, "s3cret")
		req := httptest.NewRequest(http.MethodPost, "/api/v1/rollup?"+query, nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		return rec.Code, rec.Body.String()
	}
	off := New(&fakeIndicators{}, fakeFacilities{}, reg, baghdad)
	if code, body := post(off, "from=2026-11-01&to=2026-11-02", "Bearer s3cret"); code != http.StatusForbidden || !strings.Contains(body, "rollup.enabled") {
		t.Errorf("with roll-ups off: %d %s, want 403", code, body)
	}
	roller := &fakeRoller{}
	on := New(&fakeIndicators{}, fakeFacilities{}, reg, baghdad)
	on.EnableRollup(roller)
	tests := []struct {
		query, authorization string
		code                 int
		contains             string
	}{
		{"from=2026-11-01&to=2026-11-02", "", http.StatusForbidden, "for admins"},
		{"from=2026-11-01&to=2026-11-02", "Bearer wrong", http.StatusUnauthorized, "Bearer"},
		{"from=2026-11-01&to=2026-11-02", "s3cret", http.StatusUnauthorized, "Bearer"},
		{"from=2026-11-01&to=2026-11-02", "Basic s3cret", http.StatusUnauthorized, "Bearer"},
		{"from=2026-11-01&to=2026-11-02", "Bearer  s3cret", http.StatusUnauthorized, "Bearer"},
		{"from=2026-11-01&to=2026-11-02", "Bearer", http.StatusUnauthorized, "Bearer"},
		{"from=nope&to=2026-11-02", "Bearer s3cret", http.StatusBadRequest, `"parameter":"from"`},
		{"from=2026-01-01&to=2026-11-02", "Bearer s3cret", http.StatusBadRequest, `"parameter":"to"`},
		{"from=2026-11-01&to=2026-11-02", "Bearer s3cret", http.StatusOK, `"reporting":3`},
		{"from=2026-11-01&to=2026-11-02", "bearer s3cret", http.StatusOK, `"reporting":3`},
	}
	for _, tt := range tests {
		code, body := post(on, tt.query, tt.authorization)
		if code != tt.code || !strings.Contains(body, tt.contains) {
			t.Errorf("%s with Authorization %q: %d %s, want %d containing %s", tt.query, tt.authorization, code, body, tt.code, tt.contains)
		}
	}
	if !roller.from.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, baghdad)) {
		t.Errorf("rolled up from %s, want local midnight 1 November", roller.from)
	}
}

func TestAreasAndWaste(t *testing.T) {
	srv, _ := newAPI(t)
	code, _, body := get(t, srv.URL+"/api/v1/areas", "")
	if code != 200 || !strings.Contains(body, `"code":"IQ-BG","name":"Baghdad","name_ar":"بغداد"`) ||
		!strings.Contains(body, `"code":"BG-KRK","name":"Al-Karkh"`) {
		t.Fatalf("areas: %d %s", code, body)
	}
	for _, tc := range []struct {
		query, wantParam string
		wantCode         int
	}{
		{"facility=BG-H-001&from=2026-11-01&to=2026-12-01", "", 200},
		{"facility=XX-H-999&from=2026-11-01&to=2026-12-01", "facility", 400},
		{"from=2026-11-01", "facility", 400},
		{"facility=BG-H-001&from=2025-01-01&to=2026-12-01", "from", 400},
		{"facility=BG-H-001&from=2026-11-01&to=2026-10-01", "to", 400},
	} {
		code, _, body := get(t, srv.URL+"/api/v1/waste?"+tc.query, "")
		if code != tc.wantCode || (tc.wantParam != "" && !strings.Contains(body, `"parameter":"`+tc.wantParam+`"`)) {
			t.Errorf("%s: %d %s, want %d naming %q", tc.query, code, body, tc.wantCode, tc.wantParam)
		}
		if code == 200 && !strings.Contains(body, `"mass_kg":7.5`) {
			t.Errorf("%s: %s", tc.query, body)
		}
	}
}

func TestIndicatorList(t *testing.T) {
	srv, ind := newAPI(t)
	var all []indicators.ID
	var names []string
	for _, d := range indicators.Catalog {
		all = append(all, d.ID)
		names = append(names, string(d.ID))
	}
	for _, tc := range []struct {
		list string
		want []indicators.ID
	}{
		{"grid_kwh,solar_kwh", []indicators.ID{indicators.GridKWh, indicators.SolarKWh}},
		{"grid_kwh,solar_kwh,grid_kwh,grid_kwh", []indicators.ID{indicators.GridKWh, indicators.SolarKWh}},
		{strings.Join(names, ","), all},
	} {
		code, _, body := get(t, srv.URL+"/api/v1/indicators?level=district&indicator="+tc.list, "")
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.list, code, body)
		}
		if !slices.Equal(ind.got.Indicators, tc.want) {
			t.Errorf("%s: query asked for %v, want %v", tc.list, ind.got.Indicators, tc.want)
		}
	}
}

func TestIndicatorsWithinAnArea(t *testing.T) {
	srv, ind := newAPI(t)
	for _, tc := range []struct {
		query      string
		has, hasnt string
	}{
		{"level=facility&within=IQ-BG", "BG-H-001", "BA-H-001"},
		{"level=facility&within=BG-KRK", "BG-P-001", "BG-H-001"},
		{"level=district&within=IQ-BG", "BG-KRK", "BA-BSR"},
	} {
		code, _, body := get(t, srv.URL+"/api/v1/indicators?"+tc.query, "")
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.query, code, body)
		}
		if !slices.Contains(ind.got.Areas, tc.has) || slices.Contains(ind.got.Areas, tc.hasnt) {
			t.Errorf("%s: areas %v, want %s and not %s", tc.query, ind.got.Areas, tc.has, tc.hasnt)
		}
	}
}
