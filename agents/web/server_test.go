package web

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents/wastelog"
	"github.com/greenpulse-health/greenpulse/reading"
)

// fakeAgent records waste readings in memory and lists them newest first,
// all queued.
type fakeAgent struct {
	mu       sync.Mutex
	recorded []reading.Reading
	notes    []string
	fail     error
}

func (a *fakeAgent) RecordWaste(r reading.Reading, note string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return a.fail
	}
	a.recorded = append(a.recorded, r)
	a.notes = append(a.notes, note)
	return nil
}

func (a *fakeAgent) RecentWaste() ([]wastelog.Listed, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fail != nil {
		return nil, a.fail
	}
	var out []wastelog.Listed
	for i, r := range a.recorded {
		out = append(out, wastelog.Listed{Entry: wastelog.FromReading(uint64(i+1), r, a.notes[i]), State: wastelog.Queued})
	}
	slices.Reverse(out)
	return out, nil
}

func (a *fakeAgent) Healthy() error              { return a.fail }
func (a *fakeAgent) Status() reading.AgentStatus { return reading.AgentStatus{Version: "test"} }

func (a *fakeAgent) count() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.recorded)
}

var now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

// newHandler serves a for facility BG-H-001, with waste entry on, behind
// password when it is not empty, with no delay after a wrong password.
func newHandler(t testing.TB, a *fakeAgent, password string) http.Handler {
	t.Helper()
	return Handler(a, Options{
		Facility: "BG-H-001",
		Waste:    a,
		Password: password,
		Gatherer: prometheus.NewRegistry(),
		Now:      func() time.Time { return now },
		Logger:   slog.New(slog.DiscardHandler),
	})
}

// do sends a request with body to h and returns the answer; each header
// is "Key: value".
func do(t testing.TB, h http.Handler, method, path, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for _, kv := range headers {
		k, v, _ := strings.Cut(kv, ": ")
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// post sends body as JSON to the waste endpoint.
func post(t testing.TB, h http.Handler, body string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	rec := do(t, h, http.MethodPost, "/api/v1/waste", body, append([]string{"Content-Type: application/json"}, headers...)...)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer is not a JSON object: %q", rec.Body.String())
	}
	return rec
}

func TestWasteEntry(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		code     int
		contains []string
	}{
		{"recorded", `{"category":"sharps","treatment":"autoclave","mass_kg":12.5,"stored_hours":20}`, http.StatusCreated, []string{`"id":"BG-H-001-`}},
		{"dated", `{"category":"general","treatment":"landfill","mass_kg":80,"ts":"2026-11-26T08:00:00+03:00","id":"w-17"}`, http.StatusCreated, []string{`"id":"w-17"`}},
		{"with a note", `{"category":"general","treatment":"offsite","mass_kg":3,"note":"truck 12"}`, http.StatusCreated, []string{`"id":"BG-H-001-`}},
		{"bad fields named", `{"category":"plastic","treatment":"autoclave","mass_kg":-1}`, http.StatusUnprocessableEntity,
			[]string{`{"field":"category","message":"\"plastic\" is not a waste category; choose one of: infectious`, `{"field":"mass_kg","message":"the weight must be more than 0 kg (got -1)"}`}},
		{"nothing chosen", `{"mass_kg":1,"note":"line one\nline two"}`, http.StatusUnprocessableEntity,
			[]string{`"field":"category","message":"choose the waste category`, `"field":"treatment"`, `"field":"note","message":"write it on one line`}},
		{"unknown key", `{"category":"sharps","treatment":"autoclave","kg":1}`, http.StatusBadRequest, []string{`unknown field \"kg\"`}},
		{"not JSON", `category=sharps`, http.StatusBadRequest, []string{"not a waste entry"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAgent{}
			rec := post(t, newHandler(t, a, ""), tt.body)
			if rec.Code != tt.code {
				t.Fatalf("got %d %s, want %d", rec.Code, rec.Body, tt.code)
			}
			for _, c := range tt.contains {
				if !strings.Contains(rec.Body.String(), c) {
					t.Errorf("answer %s does not contain %s", rec.Body, c)
				}
			}
			if (tt.code == http.StatusCreated) != (a.count() == 1) {
				t.Errorf("recorded %d readings", a.count())
			}
		})
	}
}

func TestWasteEntryWantsJSON(t *testing.T) {
	a := &fakeAgent{}
	h := newHandler(t, a, "")
	body := `{"category":"sharps","treatment":"autoclave","mass_kg":1}`
	for _, ct := range []string{"", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
		rec := do(t, h, http.MethodPost, "/api/v1/waste", body, "Content-Type: "+ct)
		if rec.Code != http.StatusUnsupportedMediaType || !strings.Contains(rec.Body.String(), "application/json") {
			t.Errorf("Content-Type %q: got %d %s, want 415", ct, rec.Code, rec.Body)
		}
	}
	if rec := post(t, h, body, "Content-Type: application/json; charset=utf-8"); rec.Code != http.StatusCreated {
		t.Errorf("JSON with a charset: got %d %s", rec.Code, rec.Body)
	}
	if a.count() != 1 {
		t.Errorf("recorded %d readings, want 1", a.count())
	}
}

func TestWasteEntryOffAndUnhealthy(t *testing.T) {
	a := &fakeAgent{}
	off := Handler(a, Options{Facility: "BG-H-001", Gatherer: prometheus.NewRegistry()})
	if rec := post(t, off, `{"category":"sharps","treatment":"autoclave","mass_kg":1}`); rec.Code != http.StatusForbidden || a.count() != 0 {
		t.Errorf("manual off: got %d, recorded %d", rec.Code, a.count())
	}
	if rec := do(t, off, http.MethodGet, "/api/v1/waste/recent", ""); rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Errorf("recent with manual off: %d %s, want an empty list", rec.Code, rec.Body)
	}
	if rec := do(t, off, http.MethodGet, "/", ""); !strings.Contains(rec.Body.String(), `id="waste-off"`) {
		t.Errorf("page with manual off does not say so:\n%s", rec.Body)
	}
	broken := &fakeAgent{fail: errors.New("disk full")}
	h := newHandler(t, broken, "")
	if rec := post(t, h, `{"category":"sharps","treatment":"autoclave","mass_kg":1}`); rec.Code != http.StatusInternalServerError {
		t.Errorf("outbox failing: got %d, want 500", rec.Code)
	}
	if rec := do(t, h, http.MethodGet, "/api/v1/waste/recent", ""); rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "disk full") {
		t.Errorf("recent with a failing outbox: %d %s", rec.Code, rec.Body)
	}
	rec := do(t, h, http.MethodGet, "/healthz", "")
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "disk full") {
		t.Errorf("healthz with a failing outbox: %d %s", rec.Code, rec.Body)
	}
}

func TestRecentJSON(t *testing.T) {
	a := &fakeAgent{}
	h := newHandler(t, a, "")
	if rec := do(t, h, http.MethodGet, "/api/v1/waste/recent", ""); strings.TrimSpace(rec.Body.String()) != "[]" {
		t.Fatalf("no entries: %s, want []", rec.Body)
	}
	for _, body := range []string{
		`{"category":"sharps","treatment":"autoclave","mass_kg":12.5,"stored_hours":20,"ts":"2026-11-26T08:00:00Z","note":"  first  "}`,
		`{"category":"general","treatment":"landfill","mass_kg":80,"ts":"2026-11-26T08:30:00Z","id":"w-2"}`,
	} {
		if rec := post(t, h, body); rec.Code != http.StatusCreated {
			t.Fatalf("%s: %d %s", body, rec.Code, rec.Body)
		}
	}
	rec := do(t, h, http.MethodGet, "/api/v1/waste/recent", "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("recent: %d %v", rec.Code, rec.Header())
	}
	var got []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"time": "2026-11-26T08:30:00Z", "category": "general", "mass_kg": 80.0, "treatment": "landfill", "stored_hours": nil, "note": "", "id": "w-2", "state": "queued"},
		{"time": "2026-11-26T08:00:00Z", "category": "sharps", "mass_kg": 12.5, "treatment": "autoclave", "stored_hours": 20.0, "note": "first", "id": "BG-H-001-20261126T080000.000Z", "state": "queued"},
	}
	if len(got) != len(want) {
		t.Fatalf("recent = %s", rec.Body)
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("entry %d: %s = %v, want %v", i, k, got[i][k], v)
			}
		}
	}
}

// FuzzWasteEntry feeds arbitrary bodies to the waste endpoint, which anyone
// on the facility LAN can reach: it must answer JSON, never panic, and
// record a reading only when it answers 201, and then a valid one.
func FuzzWasteEntry(f *testing.F) {
	for _, s := range []string{
		`{"category":"sharps","treatment":"autoclave","mass_kg":12.5}`,
		`{"category":"general","treatment":"landfill","mass_kg":1e4,"stored_hours":8760,"ts":"2026-11-26T08:00:00Z","id":"x"}`,
		`{"category":"SHARPS ","treatment":"autoclave","mass_kg":0.001,"id":"\u0000"}`,
		`{"category":"general","treatment":"offsite","mass_kg":1,"note":"truck \u0007"}`,
		`{"mass_kg":"12"}`, `[]`, `null`, `{"ts":"yesterday"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		a := &fakeAgent{}
		rec := post(t, newHandler(t, a, ""), body)
		if rec.Code == http.StatusCreated {
			if a.count() != 1 {
				t.Fatalf("201 with %d readings recorded", a.count())
			}
			r := a.recorded[0]
			b, _ := reading.NewBuilder(reading.Waste)
			for _, tag := range r.Tags {
				b.SetTag(tag.Key, tag.Value)
			}
			for _, fl := range r.Fields {
				switch fl.Kind {
				case reading.KindFloat:
					b.SetFloat(fl.Key, fl.Num)
				case reading.KindString:
					b.SetString(fl.Key, fl.Str)
				}
			}
			if _, err := b.Build(r.Facility, r.Time, now, reading.Limits{MaxFuture: 10 * time.Minute}); err != nil {
				t.Fatalf("recorded an invalid reading %+v: %v", r, err)
			}
		} else if a.count() != 0 {
			t.Fatalf("answered %d but recorded %d readings", rec.Code, a.count())
		}
	})
}

func TestStaticFiles(t *testing.T) {
	h := newHandler(t, &fakeAgent{}, "s3cret-pass")
	tests := []struct{ path, contentType, contains string }{
		{"/static/app.js", "text/javascript; charset=utf-8", "/api/v1/waste/recent"},
		{"/static/app.css", "text/css; charset=utf-8", "min-height: 48px"},
		{"/static/page.js", "text/javascript; charset=utf-8", "function parseNumber"},
	}
	for _, tt := range tests {
		rec := do(t, h, http.MethodGet, tt.path, "")
		body, _ := io.ReadAll(rec.Body)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != tt.contentType || !strings.Contains(string(body), tt.contains) {
			t.Errorf("%s: %d %q, %d bytes", tt.path, rec.Code, rec.Header().Get("Content-Type"), len(body))
		}
	}
	if rec := do(t, h, http.MethodGet, "/static/nothing.js", ""); rec.Code != http.StatusNotFound {
		t.Errorf("missing file: %d", rec.Code)
	}
}
