package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents/alertlist"
)

// fakeAlerts is a list of alerts and a link state the test sets.
type fakeAlerts struct {
	view      alertlist.View
	connected bool
}

func (f *fakeAlerts) Alerts() (alertlist.View, bool) { return f.view, f.connected }

func TestGetAlerts(t *testing.T) {
	received := time.Date(2026, 12, 1, 10, 6, 0, 0, time.FixedZone("AST", 3*3600))
	acked := alertlist.Alert{ID: "open_burning.BG-H-001", Rule: "open_burning", Facility: "BG-H-001", Severity: "critical",
		Message: "Open burning reported", MessageAr: "حرق مكشوف", FirstSeen: received.Add(-time.Hour), Count: 1,
		State: "active_acknowledged", Ack: &alertlist.Ack{By: "Dr. Salma", At: received, Comment: "called"}}
	tests := []struct {
		name     string
		alerts   Alerts
		password string
		auth     string
		code     int
		want     string // the JSON answer
	}{{
		name:   "connected, one acknowledged",
		alerts: &fakeAlerts{view: alertlist.View{Alerts: []alertlist.Alert{acked}, ReceivedAt: received}, connected: true},
		code:   http.StatusOK,
		want: `{"connected":true,"received_at":"2026-12-01T07:06:00Z","skipped":0,"alerts":[{"id":"open_burning.BG-H-001",` +
			`"rule":"open_burning","severity":"critical","message":"Open burning reported","message_ar":"حرق مكشوف",` +
			`"first_seen":"2026-12-01T06:06:00Z","last_seen":null,"count":1,"state":"active_acknowledged",` +
			`"ack":{"by":"Dr. Salma","at":"2026-12-01T07:06:00Z","comment":"called"}}]}`,
	}, {
		name:   "offline, none ever received",
		alerts: &fakeAlerts{view: alertlist.View{Alerts: []alertlist.Alert{}, Skipped: 2}},
		code:   http.StatusOK,
		want:   `{"connected":false,"received_at":null,"skipped":2,"alerts":[]}`,
	}, {
		name: "no alert list",
		code: http.StatusOK,
		want: `{"connected":false,"received_at":null,"skipped":0,"alerts":[]}`,
	}, {
		name:     "behind the page's password",
		alerts:   &fakeAlerts{connected: true},
		password: "pw",
		code:     http.StatusUnauthorized,
	}, {
		name:     "with the password",
		alerts:   &fakeAlerts{connected: true, view: alertlist.View{Alerts: []alertlist.Alert{}}},
		password: "pw",
		auth:     "Bearer pw",
		code:     http.StatusOK,
		want:     `{"connected":true,"received_at":null,"skipped":0,"alerts":[]}`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Handler(&fakeAgent{}, Options{Facility: "BG-H-001", Alerts: tt.alerts, Password: tt.password,
				Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
			req := httptest.NewRequest(http.MethodGet, "/api/v1/alerts", nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.code, rec.Body)
			}
			if tt.want == "" {
				return
			}
			var got, want any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("answer\n%s\nwant\n%s", g, w)
			}
		})
	}
}

// TestPageHasTheAlertList: the page carries the list's place and its words
// in both languages.
func TestPageHasTheAlertList(t *testing.T) {
	for _, tc := range []struct{ lang, title, none string }{
		{"en", "Active alerts", "No active alerts."},
		{"ar", "التنبيهات النشطة", "لا توجد تنبيهات نشطة."},
	} {
		h := Handler(&fakeAgent{}, Options{Facility: "BG-H-001", Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.Header.Set("Accept-Language", tc.lang)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.String()
		for _, want := range []string{`id="alerts"`, `src="/static/alerts.js"`, tc.title, tc.none} {
			if !strings.Contains(body, want) {
				t.Errorf("%s page lacks %q", tc.lang, want)
			}
		}
	}
}
