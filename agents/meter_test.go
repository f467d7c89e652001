package agents_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/meterlog"
	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
	"github.com/greenpulse-health/greenpulse/agents/web"
	"github.com/greenpulse-health/greenpulse/reading"
)

// meterAgent opens an offline agent on dir, as offlineAgent does, with
// waste entry and meter readings on its web handler behind password.
func meterAgent(t *testing.T, dir, password string) (a *agents.Agent, h http.Handler, stop func()) {
	t.Helper()
	a, _, stop = offlineAgent(t, dir, password)
	h = web.Handler(a, web.Options{Facility: facility, Waste: a, Meters: a, Password: password, Gatherer: prometheus.NewRegistry()})
	return a, h, stop
}

// postMeter sends body to POST /api/v1/meter and returns the answer.
func postMeter(t *testing.T, h http.Handler, password, body string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/meter", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+password)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestTypedGridReadingReachesTheOutbox types grid meter readings through
// the agent's API and finds them in the outbox as the energy readings a
// grid meter sends (kwh_total, source grid, meter main), the reset of a
// new meter as the new meter's reading, and the last readings and the
// list the same after a restart.
func TestTypedGridReadingReachesTheOutbox(t *testing.T) {
	const password = "meter-page-pw"
	dir := t.TempDir()
	a, h, stop := meterAgent(t, dir, password)
	read := time.Now().Add(-26 * time.Hour).Truncate(time.Second)
	steps := []struct {
		body string
		code int
	}{
		{fmt.Sprintf(`{"counter":"grid_kwh","value":12000.5,"ts":%q,"note":"morning round"}`, read.Format(time.RFC3339)), http.StatusCreated},
		{fmt.Sprintf(`{"counter":"grid_kwh","value":12400,"ts":%q}`, read.Add(24*time.Hour).Format(time.RFC3339)), http.StatusCreated},
		{`{"counter":"grid_kwh","value":35}`, http.StatusConflict},
		{`{"counter":"grid_kwh","value":35,"replaced":true}`, http.StatusCreated},
		{`{"counter":"fuel_delivered_l","value":200}`, http.StatusCreated},
	}
	for i, s := range steps {
		if rec := postMeter(t, h, password, s.body); rec.Code != s.code {
			t.Fatalf("step %d: %d %s, want %d", i, rec.Code, rec.Body, s.code)
		}
	}
	items, err := a.Outbox().Oldest(10, 0)
	if err != nil || len(items) != 3 {
		t.Fatalf("outbox holds %d readings (%v), want 3", len(items), err)
	}
	for i, want := range []float64{12000.5, 12400, 35} {
		var r struct {
			Facility string   `json:"facility"`
			Ts       int64    `json:"ts"`
			Meter    string   `json:"meter"`
			Source   string   `json:"source"`
			KWh      *float64 `json:"kwh_total"`
		}
		if items[i].Stream != reading.Energy {
			t.Errorf("reading %d is of stream %s, want energy", i, items[i].Stream)
		}
		if err := json.Unmarshal(items[i].Data, &r); err != nil {
			t.Fatal(err)
		}
		if r.KWh == nil || *r.KWh != want || r.Source != "grid" || r.Meter != "main" {
			t.Errorf("reading %d: %s, want kwh_total %g of the grid meter main", i, items[i].Data, want)
		}
		if strings.Contains(string(items[i].Data), "morning") {
			t.Errorf("the note left the agent: %s", items[i].Data)
		}
	}
	if want := fmt.Sprintf(`"ts":%d`, read.UnixMilli()); !strings.Contains(string(items[0].Data), want) {
		t.Errorf("the first reading %s is not dated when the meter was read (%s)", items[0].Data, want)
	}
	before, err := a.MeterReadings()
	if err != nil {
		t.Fatal(err)
	}

	stop()
	a, h, _ = meterAgent(t, dir, password)
	after, err := a.MeterReadings()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(after) != fmt.Sprint(before) || len(after.Recent) != 4 || after.Recent[0].State != meterlog.Kept || after.Recent[1].State != meterlog.Queued {
		t.Fatalf("after a restart:\n got %+v\nwant %+v", after, before)
	}
	if rec := postMeter(t, h, password, `{"counter":"grid_kwh","value":20}`); rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "The last reading was 35 kWh") {
		t.Errorf("after a restart, a lower reading: %d %s", rec.Code, rec.Body)
	}
}

// TestTypedReadingOfADevicesMeterIsRefused: a meter that a Modbus device
// reads cannot also be typed, or each would make the other's counter look
// reset; another meter name can.
func TestTypedReadingOfADevicesMeterIsRefused(t *testing.T) {
	cfg := offlineConfig(t.TempDir())
	cfg.Sources.Modbus.Buses = []config.ModbusBus{{Config: bus.Config{URL: "tcp://127.0.0.1:1"}, Devices: []config.ModbusDevice{
		{Name: "grid", Unit: 1, Preset: "sdm630", Stream: "energy", Source: "grid"},
	}}}
	cfg.Sources.Modbus.Normalize()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := agents.New(cfg, "test", agents.NewMetricsDiscard(), discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	value := 12000.5
	_, err = a.RecordMeter(manual.MeterEntry{Counter: "grid_kwh", Value: &value}, time.Now())
	var fe *manual.FieldError
	if !errors.As(err, &fe) || fe.Field != "meter" || !strings.Contains(fe.Message, `device "grid"`) {
		t.Fatalf("typed reading of the device's meter: %v, want a meter error naming device grid", err)
	}
	if _, err := a.RecordMeter(manual.MeterEntry{Counter: "grid_kwh", Value: &value, Meter: "annex"}, time.Now()); err != nil {
		t.Fatalf("typed reading of another meter: %v", err)
	}
	if n := a.Outbox().Stats().Readings; n != 1 {
		t.Fatalf("outbox holds %d readings, want the annex's one", n)
	}
}
