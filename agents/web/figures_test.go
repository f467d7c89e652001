package web

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents/figures"
	"github.com/greenpulse-health/greenpulse/agents/officialfigures"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// fakeFigures serves a real store's figures with official months and a
// link state the test sets.
type fakeFigures struct {
	store     *figures.Store
	official  []officialfigures.Month
	connected bool
}

func (f *fakeFigures) Figures(kind indicators.Kind) (figures.Report, []officialfigures.Month, bool) {
	return f.store.Report(kind), f.official, f.connected
}

func figuresStore(t *testing.T, now time.Time) *figures.Store {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Baghdad")
	if err != nil {
		t.Fatal(err)
	}
	s, err := figures.Open(t.TempDir(), figures.Options{Facility: "BG-H-001", Location: loc, Params: indicators.DefaultParams(),
		Beds: 10, PVkWp: 5, Now: func() time.Time { return now }}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := reading.NewBuilder(reading.Energy)
	w, _ := reading.NewBuilder(reading.Waste)
	var rs []reading.Reading
	for i, kwh := range []float64{100, 112.5} {
		e.Reset()
		e.SetTag("source", "grid")
		e.SetFloat("kwh_total", kwh)
		e.SetBool("available", true)
		r, err := e.Build("BG-H-001", now.Add(time.Duration(i-2)*10*time.Minute), now, reading.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	w.SetTag("category", "sharps")
	w.SetTag("treatment", "autoclave")
	w.SetFloat("mass_kg", 2.5)
	r, err := w.Build("BG-H-001", now.Add(-time.Hour), now, reading.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	s.Add(append(rs, r))
	return s
}

func getJSON(t *testing.T, h http.Handler, url, auth string) (int, map[string]any, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, url, nil)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var body map[string]any
	if rec.Header().Get("Content-Type") == "application/json" {
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v: %s", url, err, rec.Body)
		}
	}
	return rec.Code, body, rec.Body.String()
}

func TestGetFigures(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC) // 12:00 local
	official := []officialfigures.Month{{Start: mustDate(t, "2026-12-01"), ComputedAt: now.Add(-time.Hour), ReceivedAt: now.Add(-50 * time.Minute),
		Values: map[indicators.ID]float64{indicators.WasteKg: 2.5}}}
	f := &fakeFigures{store: figuresStore(t, now), official: official, connected: true}
	h := Handler(&fakeAgent{}, Options{Facility: "BG-H-001", Figures: f, Password: "pw-pw-pw-pw",
		Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
	const auth = "Bearer pw-pw-pw-pw"

	tests := []struct {
		name, url, auth string
		code            int
		check           func(t *testing.T, body map[string]any, raw string)
	}{
		{"day: today and yesterday", "/api/v1/figures?period=day", auth, http.StatusOK, func(t *testing.T, body map[string]any, raw string) {
			periods := body["periods"].([]any)
			today := periods[0].(map[string]any)
			if today["name"] != "today" || today["start"] != "2026-12-03" || periods[1].(map[string]any)["name"] != "yesterday" {
				t.Errorf("periods %v", periods)
			}
			values := today["values"].(map[string]any)
			if values["grid_kwh"] != 12.5 || values["waste_kg"] != 2.5 || values["hazardous_share_pct"] != 100.0 {
				t.Errorf("today's values %v", values)
			}
			// Two samples 10 minutes apart, the last holding 15: 25 minutes.
			if gh := today["grid_hours"].(map[string]any); gh["live"] != 25.0/60 || gh["covered"] != 25.0/60 {
				t.Errorf("grid hours %v", gh)
			}
			if w := today["waste"].([]any); len(w) != 1 || w[0].(map[string]any)["category"] != "sharps" {
				t.Errorf("waste %v", w)
			}
			for _, k := range []string{"facility", "period", "timezone", "computed_at", "beds", "pv_kwp", "days", "connected", "official"} {
				if _, ok := body[k]; !ok {
					t.Errorf("no %q in %s", k, raw)
				}
			}
			if body["connected"] != true || body["timezone"] != "Asia/Baghdad" || body["period"] != "day" {
				t.Errorf("answer %s", raw)
			}
		}},
		{"left out: day", "/api/v1/figures", auth, http.StatusOK, func(t *testing.T, body map[string]any, _ string) {
			if body["period"] != "day" {
				t.Errorf("period %v", body["period"])
			}
		}},
		{"month: this month, the previous one, its days and the official figures", "/api/v1/figures?period=month", auth, http.StatusOK,
			func(t *testing.T, body map[string]any, raw string) {
				periods := body["periods"].([]any)
				if periods[0].(map[string]any)["name"] != "this_month" || periods[1].(map[string]any)["start"] != "2026-11-01" {
					t.Errorf("periods %v", periods)
				}
				if days := body["days"].([]any); len(days) != 3 || days[2].(map[string]any)["date"] != "2026-12-03" {
					t.Errorf("days %v", days)
				}
				off := body["official"].([]any)
				if len(off) != 1 || off[0].(map[string]any)["start"] != "2026-12-01" || off[0].(map[string]any)["received_at"] != "2026-12-03T08:10:00Z" ||
					off[0].(map[string]any)["values"].(map[string]any)["waste_kg"] != 2.5 {
					t.Errorf("official %s", raw)
				}
			}},
		{"a bad period names the parameter", "/api/v1/figures?period=week", auth, http.StatusBadRequest, func(t *testing.T, body map[string]any, raw string) {
			if msg, _ := body["error"].(string); !strings.HasPrefix(msg, "period: ") || !strings.Contains(msg, "day or month") {
				t.Errorf("error %s", raw)
			}
		}},
		{"behind the page's password", "/api/v1/figures?period=day", "", http.StatusUnauthorized, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body, raw := getJSON(t, h, tt.url, tt.auth)
			if code != tt.code {
				t.Fatalf("status %d, want %d: %s", code, tt.code, raw)
			}
			if tt.check != nil {
				tt.check(t, body, raw)
			}
		})
	}

	t.Run("no figures", func(t *testing.T) {
		h := Handler(&fakeAgent{}, Options{Facility: "BG-H-001", Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
		if code, _, raw := getJSON(t, h, "/api/v1/figures", ""); code != http.StatusNotFound {
			t.Errorf("status %d: %s", code, raw)
		}
	})
	t.Run("offline, none from the collector", func(t *testing.T) {
		f := &fakeFigures{store: figuresStore(t, now)}
		h := Handler(&fakeAgent{}, Options{Facility: "BG-H-001", Figures: f, Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
		_, body, raw := getJSON(t, h, "/api/v1/figures?period=month", "")
		if body["connected"] != false || len(body["official"].([]any)) != 0 {
			t.Errorf("answer %s", raw)
		}
	})
}

func mustDate(t *testing.T, s string) (d events.Date) {
	t.Helper()
	if err := d.UnmarshalText([]byte(s)); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPageHasTheFigures: the page carries the figures' place, its script
// and the vendored chart library, and its words in both languages, with
// the same keys in each.
func TestPageHasTheFigures(t *testing.T) {
	for _, tc := range []struct{ lang, title, tab string }{
		{"en", "This facility&#39;s figures", "This month"},
		{"ar", "أرقام هذه المنشأة", "هذا الشهر"},
	} {
		f := &fakeFigures{store: figuresStore(t, time.Now())}
		h := Handler(&fakeAgent{}, Options{Facility: "BG-H-001", Figures: f, Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Language", tc.lang)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		for _, want := range []string{`id="figures-card"`, `id="fig-tab-month"`, `src="/static/figures.js"`,
			`src="/static/vendor/chart.umd.min.js"`, `id="fig-chart-energy"`, tc.title, tc.tab} {
			if !strings.Contains(body, want) {
				t.Errorf("%s page lacks %q", tc.lang, want)
			}
		}
	}
	// Without figures (a web server given none), no figures part.
	h := Handler(&fakeAgent{}, Options{Facility: "BG-H-001", Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if body := rec.Body.String(); strings.Contains(body, `id="figures-card"`) || strings.Contains(body, "figures.js") || strings.Contains(body, "figures-link") {
		t.Error("a page without figures has a figures part")
	}
	en, ar := englishFigureWords(), arabicFigureWords()
	for what, pair := range map[string][2]map[string]string{"script": {en.Script, ar.Script}, "names": {en.Names, ar.Names}, "units": {en.Units, ar.Units}} {
		if a, b := slices.Sorted(maps.Keys(pair[0])), slices.Sorted(maps.Keys(pair[1])); !slices.Equal(a, b) {
			t.Errorf("%s: English has %v, Arabic %v", what, a, b)
		}
	}
	for _, d := range indicators.Catalog {
		if _, ok := en.Names[string(d.ID)]; !ok && !d.AreasOnly {
			t.Errorf("no name for %s", d.ID)
		}
	}
}

// TestVendoredChartIsTheDashboards: the page's Chart.js is the same file
// as the dashboard's, which scripts/vendor-dashboard.sh writes, and is
// served from the agent itself.
func TestVendoredChartIsTheDashboards(t *testing.T) {
	ours, err := pageFS.ReadFile("page/static/vendor/chart.umd.min.js")
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := os.ReadFile(filepath.Join("..", "..", "dashboards", "web", "static", "vendor", "chart.umd.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ours, theirs) {
		t.Error("agents/web/page/static/vendor/chart.umd.min.js differs from the dashboard's: copy it again (and its licence note)")
	}
	h := Handler(&fakeAgent{}, Options{Facility: "BG-H-001", Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/static/vendor/chart.umd.min.js", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != len(ours) || !strings.Contains(rec.Header().Get("Content-Security-Policy"), "default-src 'self'") {
		t.Errorf("served %d, %d bytes, CSP %q", rec.Code, rec.Body.Len(), rec.Header().Get("Content-Security-Policy"))
	}
}
