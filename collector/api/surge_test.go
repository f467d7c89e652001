package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/access"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/collector/surge"
	"github.com/greenpulse-health/greenpulse/collector/users"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// surgePoints are facility day points for surge.
type surgePoints []rollup.Row

func (p surgePoints) Read(_ context.Context, q rollup.Query) ([]rollup.Row, error) {
	var out []rollup.Row
	for _, r := range p {
		if slices.Contains(q.Indicators, r.Indicator) && (q.Areas == nil || slices.Contains(q.Areas, r.Area)) &&
			!r.Start.Before(q.From) && r.Start.Before(q.To) {
			out = append(out, r)
		}
	}
	return out, nil
}

func day(s string) events.Date {
	d, err := events.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// newSurge is an event over three facilities of Karbala (KA-H-001,
// KA-P-001 in KA-KRB) and Najaf (NA-H-001), 3 to 5 August 2026 with two
// weeks of baseline, and the same event of 2025.
func newSurge(t testing.TB, reg *registry.Registry) *surge.Surge {
	t.Helper()
	ev := func(id, first, last string) surge.Event {
		return surge.Event{Event: events.Event{ID: id, Name: "Test " + id, NameAr: "اختبار", Series: "test",
			Areas: []string{"KA-H-001", "KA-P-001", "NA-H-001"}, First: day(first), Last: day(last)}, BaselineWeeks: 2}
	}
	pt := func(id indicators.ID, area, d string, v float64) rollup.Row {
		return rollup.Row{Indicator: id, Level: "facility", Area: area, Period: indicators.Day, Start: day(d).In(baghdad), Value: v, Facilities: 1}
	}
	points := surgePoints{
		pt(indicators.WasteKg, "KA-H-001", "2026-08-03", 30), pt(indicators.WasteKg, "KA-H-001", "2026-07-27", 10),
		pt(indicators.HazardousWasteKg, "KA-H-001", "2026-08-03", 12),
		pt(indicators.HazardousWasteKg, "NA-H-001", "2026-08-04", 3),
		pt(indicators.EnergyKWh, "KA-P-001", "2026-08-03", 90),
		pt(indicators.WasteKg, "KA-H-001", "2025-08-14", 5),
	}
	return surge.New(points, reg, []surge.Event{ev("test-2025", "2025-08-14", "2025-08-16"), ev("test-2026", "2026-08-03", "2026-08-05")},
		surge.Options{Location: baghdad, Country: "IQ"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// surgeServer serves the API behind the access guard in users mode; a
// trusted proxy's X-Remote-User header says who asks.
func surgeServer(t *testing.T, enable bool) *httptest.Server {
	t.Helper()
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	usersFile := filepath.Join(t.TempDir(), "users.json")
	for _, u := range []struct {
		name  string
		role  users.Role
		scope string
	}{{"nat", users.Planner, ""}, {"ka", users.Officer, "IQ-KA"}, {"bg", users.Officer, "IQ-BG"}, {"kah", users.Facility, "KA-H-001"}} {
		if err := users.Add(usersFile, u.name, u.role, u.scope, "surge-test-password"); err != nil {
			t.Fatal(err)
		}
	}
	g, err := access.New(access.Options{Mode: access.ModeUsers, UsersFile: usersFile, SessionTTL: time.Hour, LoginAttempts: 5,
		LoginWindow: time.Minute, ProxyHeader: "X-Remote-User", ProxyTrusted: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		Country: "IQ"}, reg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a := New(&fakeIndicators{}, fakeFacilities{}, reg, baghdad)
	if enable {
		a.EnableSurge(newSurge(t, reg))
	}
	a.SetViewer(func(r *http.Request) Viewer { return access.ViewOf(r.Context()) })
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(g.Wrap(mux))
	t.Cleanup(srv.Close)
	return srv
}

func getAs(t *testing.T, srv *httptest.Server, user, path, accept string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("X-Remote-User", user)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func TestSurgeList(t *testing.T) {
	srv := surgeServer(t, true)
	code, _, body := getAs(t, srv, "bg", "/api/v1/surge", "")
	var got struct {
		Events []map[string]any `json:"events"`
	}
	if err := json.Unmarshal([]byte(body), &got); code != http.StatusOK || err != nil || len(got.Events) != 2 {
		t.Fatalf("%d %s (%v)", code, body, err)
	}
	e := got.Events[1]
	if e["id"] != "test-2026" || e["first_day"] != "2026-08-03" || e["last_day"] != "2026-08-05" || e["facilities"] != 3.0 ||
		e["previous"] != "test-2025" || e["name_ar"] != "اختبار" || e["series"] != "test" {
		t.Errorf("test-2026: %v", e)
	}
	if p, ok := got.Events[0]["previous"]; !ok || p != nil {
		t.Errorf("test-2025's previous: %v (%v), want null", p, ok)
	}
	code, _, body = getAs(t, surgeServer(t, false), "bg", "/api/v1/surge", "")
	if code != http.StatusOK || strings.TrimSpace(body) != `{"events":[]}` {
		t.Errorf("surge off: %d %s", code, body)
	}
}

func TestSurgeUnknownEvent(t *testing.T) {
	for _, enable := range []bool{true, false} {
		code, _, body := getAs(t, surgeServer(t, enable), "nat", "/api/v1/surge?event=x", "")
		if code != http.StatusNotFound || strings.TrimSpace(body) != `{"error":"event \"x\" is not configured (GET /api/v1/surge lists them)"}` {
			t.Errorf("surge on %v: %d %s", enable, code, body)
		}
	}
	_, _, body := getAs(t, surgeServer(t, true), "nat", "/api/v1/surge?event="+strings.Repeat("a", 5000), "")
	if len(body) > 200 {
		t.Errorf("a long id is repeated whole: %d bytes", len(body))
	}
}

// scopeOf lists what an answer holds: its areas, facilities, exceeded
// list, and whether it has the year before.
func scopeOf(t *testing.T, body string) string {
	t.Helper()
	var a struct {
		Areas []struct {
			Level string `json:"level"`
			Area  string `json:"area"`
		} `json:"areas"`
		Facilities []struct {
			Facility string `json:"facility"`
		} `json:"facilities"`
		Exceeded []string        `json:"exceeded"`
		Previous json.RawMessage `json:"previous"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var out []string
	for _, x := range a.Areas {
		out = append(out, x.Area)
	}
	for _, f := range a.Facilities {
		out = append(out, f.Facility)
	}
	return strings.Join(out, ",") + " exceeded " + strings.Join(a.Exceeded, ",") + " previous " + string(a.Previous)[:4]
}

func TestSurgeScopes(t *testing.T) {
	srv := surgeServer(t, true)
	for _, tt := range []struct{ user, want string }{
		{"nat", "test-2026,IQ-KA,IQ-NA,KA-KRB,NA-NJF,NA-H-001,KA-H-001,KA-P-001 exceeded KA-H-001,NA-H-001 previous {\"ev"},
		{"ka", "test-2026,IQ-KA,KA-KRB,KA-H-001,KA-P-001 exceeded KA-H-001 previous {\"ev"},
		{"kah", "test-2026,IQ-KA,KA-KRB,KA-H-001 exceeded KA-H-001 previous {\"ev"},
		{"bg", "test-2026 exceeded  previous {\"ev"},
	} {
		code, h, body := getAs(t, srv, tt.user, "/api/v1/surge?event=test-2026", "")
		if code != http.StatusOK || h.Get("Content-Type") != "application/json" {
			t.Fatalf("%s: %d %s", tt.user, code, body)
		}
		if got := scopeOf(t, body); got != tt.want {
			t.Errorf("%s sees %s, want %s", tt.user, got, tt.want)
		}
	}
	if code, _, _ := getAs(t, srv, "", "/api/v1/surge?event=test-2026", ""); code != http.StatusUnauthorized {
		t.Errorf("nobody signed in: %d, want 401", code)
	}
}

// publicViewer is a public visitor as collector/access shows one: the
// nation's and every governorate's aggregates, nothing else.
type publicViewer struct{ unguarded }

func (publicViewer) SeesFacility(string) bool { return false }
func (publicViewer) SeesRow(level, _ string) bool {
	return level == "national" || level == "governorate"
}
func (publicViewer) May(string) bool { return false }
func (publicViewer) Scope() string   { return "public" }

func TestSurgePublic(t *testing.T) {
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	a := New(&fakeIndicators{}, fakeFacilities{}, reg, baghdad)
	a.EnableSurge(newSurge(t, reg))
	a.SetViewer(func(*http.Request) Viewer { return publicViewer{} })
	mux := http.NewServeMux()
	a.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	// The event lists some of Karbala's and Najaf's facilities: their
	// governorate rows would be those facilities' figures, which the
	// public does not see; the whole event is national.
	code, _, body := getAs(t, srv, "", "/api/v1/surge?event=test-2026", "")
	if got := scopeOf(t, body); code != http.StatusOK || got != "test-2026 exceeded  previous {\"ev" {
		t.Errorf("public: %d %s", code, got)
	}
}

func TestSurgeCSV(t *testing.T) {
	srv := surgeServer(t, true)
	for _, tc := range []struct{ path, accept string }{
		{"/api/v1/surge?event=test-2026&format=csv", ""}, {"/api/v1/surge?event=test-2026", "text/csv"},
	} {
		code, h, body := getAs(t, srv, "ka", tc.path, tc.accept)
		if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") ||
			h.Get("Content-Disposition") != `attachment; filename="greenpulse-surge-test-2026.csv"` {
			t.Fatalf("%s: %d %v", tc.path, code, h)
		}
		recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(recs[0], ",") != "level,area,day,measure,value,baseline,baseline_min,baseline_max,ratio" {
			t.Errorf("header %v", recs[0])
		}
		// 3 areas and 2 facilities, each 3 days and a total, 5 measures.
		if len(recs) != 1+5*4*5 {
			t.Errorf("%d rows, want %d", len(recs), 1+5*4*5)
		}
		for _, want := range []string{
			"event,test-2026,2026-08-03,waste_kg,30,5,0,10,6",
			"event,test-2026,total,waste_kg,30,5,,,6",
			"facility,KA-H-001,2026-08-03,energy_kwh,,,,,",
			"facility,KA-P-001,2026-08-03,energy_kwh,90,,,,",
			"district,KA-KRB,2026-08-04,waste_kg,0,0,0,0,",
		} {
			if !slices.ContainsFunc(recs, func(r []string) bool { return strings.Join(r, ",") == want }) {
				t.Errorf("no row %s in\n%s", want, body)
			}
		}
		if strings.Contains(body, "NA-") {
			t.Error("Karbala's officer's CSV holds Najaf's rows")
		}
	}
}

// FuzzSurgeQuery sends any query string: the answer is a list, an event,
// or 404, always well-formed, never a server error.
func FuzzSurgeQuery(f *testing.F) {
	for _, s := range []string{"", "event=test-2026", "event=test-2026&format=csv", "event=x", "event=%ff", "event=test-2026&event=x",
		"format=csv", "event=" + url.QueryEscape("\"><script>")} {
		f.Add(s)
	}
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		f.Fatal(err)
	}
	a := New(&fakeIndicators{}, fakeFacilities{}, reg, baghdad)
	a.EnableSurge(newSurge(f, reg))
	mux := http.NewServeMux()
	a.Register(mux)
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/surge", nil)
		req.URL.RawQuery = query
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		switch {
		case rec.Code == http.StatusNotFound || rec.Code == http.StatusOK && !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv"):
			if !json.Valid(body) {
				t.Errorf("%q: %d, not JSON: %s", query, rec.Code, body)
			}
		case rec.Code == http.StatusOK:
			if _, err := csv.NewReader(strings.NewReader(string(body))).ReadAll(); err != nil {
				t.Errorf("%q: bad CSV: %v", query, err)
			}
		default:
			t.Errorf("%q: %d %s", query, rec.Code, body)
		}
	})
}
