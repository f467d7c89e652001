package agents_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/wastelog"
	"github.com/greenpulse-health/greenpulse/agents/web"
)

// offlineConfig is an agent of the test facility with its outbox in
// dir/outbox, whose broker is unreachable (nothing listens on port 1), with
// the simulator off: what tests that never publish need.
func offlineConfig(dir string) config.Config {
	cfg := config.Default()
	cfg.Facility = facility
	cfg.MQTT.Broker = "tcp://127.0.0.1:1"
	cfg.Outbox.Dir = filepath.Join(dir, "outbox")
	cfg.Sources.Simulate.Enabled = false
	return cfg
}

// offlineAgent opens an agent on dir whose broker is unreachable, with
// waste entry only, and its web handler behind password; both are closed
// when the test ends or when stop is called.
func offlineAgent(t *testing.T, dir, password string) (a *agents.Agent, h http.Handler, stop func()) {
	t.Helper()
	cfg := offlineConfig(dir)
	cfg.HTTP.Password = password
	a, err := agents.New(cfg, "test", agents.NewMetricsDiscard(), discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	stop = func() {
		if !closed {
			closed = true
			if err := a.Close(); err != nil {
				t.Error(err)
			}
		}
	}
	t.Cleanup(stop)
	h = web.Handler(a, web.Options{Facility: facility, Waste: a, Password: password, Gatherer: prometheus.NewRegistry()})
	return a, h, stop
}

// recent is GET /api/v1/waste/recent's answer.
type recent []struct {
	Time   time.Time      `json:"time"`
	MassKg float64        `json:"mass_kg"`
	State  wastelog.State `json:"state"`
}

func getRecent(t *testing.T, h http.Handler, auth string) recent {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/waste/recent", nil)
	req.Header.Set("Authorization", auth)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("recent: %d %s", rec.Code, rec.Body)
	}
	var out recent
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// summary writes r as "kg:state" items, newest first.
func (r recent) summary() string {
	var parts []string
	for _, e := range r {
		parts = append(parts, fmt.Sprintf("%g:%s", e.MassKg, e.State))
	}
	return strings.Join(parts, " ")
}

// TestWasteEntriesListed enters waste through the agent's web handler and
// follows the list of recent entries: newest first, at most 20, queued
// until the publisher deletes the reading after the broker's PUBACK, sent
// after, and the same after the agent restarts.
func TestWasteEntriesListed(t *testing.T) {
	const password = "waste-page-pw"
	auth := "Bearer " + password
	dir := t.TempDir()
	a, h, closeAgent := offlineAgent(t, dir, password)

	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := 1; i <= 25; i++ {
		body := fmt.Sprintf(`{"category":"sharps","treatment":"autoclave","mass_kg":%d,"ts":%q}`, i, base.Add(time.Duration(i)*time.Minute).Format(time.RFC3339))
		req := httptest.NewRequest(http.MethodPost, "/api/v1/waste", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			t.Fatalf("entry %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	want := func(sent ...int) string {
		var parts []string
		for kg := 25; kg > 5; kg-- {
			state := wastelog.Queued
			for _, s := range sent {
				if s == kg {
					state = wastelog.Sent
				}
			}
			parts = append(parts, fmt.Sprintf("%d:%s", kg, state))
		}
		return strings.Join(parts, " ")
	}
	if got := getRecent(t, h, auth).summary(); got != want() {
		t.Fatalf("recent after 25 entries:\n got %s\nwant %s", got, want())
	}

	// The publisher deletes what the broker acknowledged: here the readings
	// of the entries of 24 and 7 kg (the outbox numbers them 1 to 25).
	if err := a.Outbox().Delete([]uint64{24, 7}); err != nil {
		t.Fatal(err)
	}
	if got := getRecent(t, h, auth).summary(); got != want(24, 7) {
		t.Fatalf("recent after two acknowledgements:\n got %s\nwant %s", got, want(24, 7))
	}

	closeAgent()
	_, h, _ = offlineAgent(t, dir, password)
	if got := getRecent(t, h, auth).summary(); got != want(24, 7) {
		t.Fatalf("recent after a restart:\n got %s\nwant %s", got, want(24, 7))
	}
}
