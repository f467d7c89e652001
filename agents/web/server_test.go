package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/reading"
)

type fakeAgent struct {
	recorded []reading.Reading
	fail     error
}

func (a *fakeAgent) Record(_ string, rs []reading.Reading) error {
	if a.fail != nil {
		return a.fail
	}
	a.recorded = append(a.recorded, rs...)
	return nil
}
func (a *fakeAgent) Healthy() error              { return a.fail }
func (a *fakeAgent) Status() reading.AgentStatus { return reading.AgentStatus{Version: "test"} }

var now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func post(t *testing.T, h http.Handler, body string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/v1/waste", strings.NewReader(body)))
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("answer is not JSON: %q", rec.Body.String())
	}
	return rec, out
}

func TestWasteEntry(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		code     int
		contains string
	}{
		{"recorded", `{"category":"sharps","treatment":"autoclave","mass_kg":12.5,"stored_hours":20}`, http.StatusCreated, `"id":"BG-H-001-`},
		{"dated", `{"category":"general","treatment":"landfill","mass_kg":80,"ts":"2026-11-26T08:00:00+03:00","id":"w-17"}`, http.StatusCreated, `"id":"w-17"`},
		{"bad fields named", `{"category":"plastic","treatment":"autoclave","mass_kg":-1}`, http.StatusUnprocessableEntity, `"field":"category"`},
		{"unknown key", `{"category":"sharps","treatment":"autoclave","kg":1}`, http.StatusBadRequest, `unknown field \"kg\"`},
		{"not JSON", `category=sharps`, http.StatusBadRequest, "not a waste entry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAgent{}
			h := Handler(a, "BG-H-001", true, prometheus.NewRegistry(), func() time.Time { return now })
			rec, _ := post(t, h, tt.body)
			if rec.Code != tt.code || !strings.Contains(rec.Body.String(), tt.contains) {
				t.Fatalf("got %d %s, want %d containing %s", rec.Code, rec.Body, tt.code, tt.contains)
			}
			if (tt.code == http.StatusCreated) != (len(a.recorded) == 1) {
				t.Errorf("recorded %d readings", len(a.recorded))
			}
		})
	}
}

func TestWasteEntryOffAndUnhealthy(t *testing.T) {
	a := &fakeAgent{}
	off := Handler(a, "BG-H-001", false, prometheus.NewRegistry(), func() time.Time { return now })
	if rec, _ := post(t, off, `{"category":"sharps","treatment":"autoclave","mass_kg":1}`); rec.Code != http.StatusForbidden || len(a.recorded) != 0 {
		t.Errorf("manual off: got %d, recorded %d", rec.Code, len(a.recorded))
	}
	broken := &fakeAgent{fail: errors.New("disk full")}
	h := Handler(broken, "BG-H-001", true, prometheus.NewRegistry(), func() time.Time { return now })
	if rec, _ := post(t, h, `{"category":"sharps","treatment":"autoclave","mass_kg":1}`); rec.Code != http.StatusInternalServerError {
		t.Errorf("outbox failing: got %d, want 500", rec.Code)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "disk full") {
		t.Errorf("healthz with a failing outbox: %d %s", rec.Code, rec.Body)
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
		`{"mass_kg":"12"}`, `[]`, `null`, `{"ts":"yesterday"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		a := &fakeAgent{}
		h := Handler(a, "BG-H-001", true, prometheus.NewRegistry(), func() time.Time { return now })
		rec, _ := post(t, h, body)
		if rec.Code == http.StatusCreated {
			if len(a.recorded) != 1 {
				t.Fatalf("201 with %d readings recorded", len(a.recorded))
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
		} else if len(a.recorded) != 0 {
			t.Fatalf("answered %d but recorded %d readings", rec.Code, len(a.recorded))
		}
	})
}
