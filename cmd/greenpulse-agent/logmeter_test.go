package main

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/meterlog"
	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/agents/web"
)

// meterSteps are a staff member's readings and what log-meter must say to
// each, in order: an empty wantErr means recorded.
var meterSteps = []struct {
	name             string
	args             []string
	wantOut, wantErr string
}{
	{"first reading", []string{"--counter", "grid_kwh", "--value", "12000", "--at", time.Now().Add(-20 * time.Hour).Format("2006-01-02 15:04"), "--note", "morning round"},
		"recorded BG-H-001: grid_kwh main 12000 kWh", ""},
	{"a typo", []string{"--counter", "grid", "--value", "1"}, "", `counter: "grid" is not a counter; choose one of: grid_kwh`},
	{"not a number", []string{"--counter", "grid_kwh", "--value", "12k"}, "", `--value "12k": write the number on the display`},
	{"an ambiguous comma", []string{"--counter", "grid_kwh", "--value", "12,400"}, "", `--value "12,400": write 12400 or 12.4: a comma here is ambiguous`},
	{"an exponent", []string{"--counter", "grid_kwh", "--value", "1e3"}, "", `--value "1e3": write the number in full, without an exponent`},
	{"below the last one", []string{"--counter", "grid_kwh", "--value", "35"}, "",
		"35 kWh is below the last reading: is this a new meter? The last reading was 12000 kWh on"},
	{"a new meter", []string{"--counter", "grid_kwh", "--value", "٣٥", "--replaced"}, "recorded BG-H-001: grid_kwh main 35 kWh", ""},
	{"a big jump", []string{"--counter", "grid_kwh", "--value", "90000", "--at", time.Now().Add(time.Minute).Format(time.RFC3339)}, "", "that's a big jump"},
	{"engine hours", []string{"--counter", "generator_hours", "--value", "1200,5"}, "the reading contract has no engine hours", ""},
}

func runMeterSteps(t *testing.T, cfg string, where string) {
	t.Helper()
	for _, s := range meterSteps {
		var stdout, stderr bytes.Buffer
		err := run(append([]string{"log-meter", "--config", cfg}, s.args...), &stdout, &stderr)
		if s.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), s.wantErr) {
				t.Fatalf("%s: error %v, want one containing %q", s.name, err, s.wantErr)
			}
			if strings.Contains(s.wantErr, "new meter?") && !strings.Contains(err.Error(), "run the same command again with --replaced") {
				t.Errorf("%s: %v does not say how to answer", s.name, err)
			}
			continue
		}
		if err != nil || !strings.Contains(stdout.String(), s.wantOut) || !strings.Contains(stdout.String(), where) {
			t.Fatalf("%s: out %q, err %v; want %q (%s)", s.name, stdout.String(), err, s.wantOut, where)
		}
	}
}

// TestLogMeterOffline records readings with no agent running: log-meter
// checks them against the last readings itself and stores them in the
// outbox, where the agent finds them.
func TestLogMeterOffline(t *testing.T) {
	cfg, outboxDir := agentYAML(t)
	runMeterSteps(t, cfg, "outbox")
	ob, err := outbox.Open(outboxDir, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	items, err := ob.Oldest(10, 0)
	if err != nil || len(items) != 2 {
		t.Fatalf("outbox holds %d readings (%v), want the two grid readings", len(items), err)
	}
	for i, want := range []string{`"kwh_total":12000`, `"kwh_total":35`} {
		if d := string(items[i].Data); !strings.Contains(d, want) || !strings.Contains(d, `"source":"grid"`) || strings.Contains(d, "morning") {
			t.Errorf("reading %d: %s, want %s from the grid, without the note", i, d, want)
		}
	}
	ml, err := meterlog.Open(outboxDir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	listed, err := ml.List(ob)
	if err != nil || len(listed) != 3 || listed[0].State != meterlog.Kept || listed[2].Note != "morning round" {
		t.Fatalf("meter list %+v (%v)", listed, err)
	}
}

// TestLogMeterToRunningAgent sends the same readings to a running agent's
// web server, behind a password, which checks them against its own last
// readings; log-meter must not open the outbox beside it.
func TestLogMeterToRunningAgent(t *testing.T) {
	const password = "page-password"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	acfg := config.Default()
	acfg.Facility = "BG-H-001"
	acfg.MQTT.Broker = "tcp://127.0.0.1:1"
	acfg.Outbox.Dir = t.TempDir()
	acfg.Sources.Simulate.Enabled = false
	a, err := agents.New(acfg, "test", agents.NewMetricsDiscard(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	srv := &http.Server{Handler: web.Handler(a, web.Options{Facility: "BG-H-001", Meters: a, Password: password,
		Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	cfg, outboxDir := agentYAMLAt(t, ln.Addr().String(), password)
	runMeterSteps(t, cfg, "sent to the running agent")
	if _, err := os.Stat(outboxDir); err == nil {
		t.Errorf("log-meter opened an outbox %s beside the running agent", outboxDir)
	}
	if n := a.Outbox().Stats().Readings; n != 2 {
		t.Errorf("the agent's outbox holds %d readings, want 2", n)
	}
	wrong, _ := agentYAMLAt(t, ln.Addr().String(), "page-passwort")
	err = run([]string{"log-meter", "--config", wrong, "--counter", "solar_kwh", "--value", "5"}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "refused the reading (401 Unauthorized)") || !strings.Contains(err.Error(), "GREENPULSE_AGENT_PASSWORD") {
		t.Errorf("a wrong password: %v", err)
	}
}

// TestLogMeterOfflineRefusesADevicesMeter: with no agent running, a typed
// reading of a meter that a Modbus device reads is refused as the running
// agent refuses it.
func TestLogMeterOfflineRefusesADevicesMeter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agent.yaml")
	y := "facility: BG-H-001\nhttp: {listen: '127.0.0.1:1'}\noutbox: {dir: outbox}\nsources:\n  simulate: {enabled: false}\n" +
		"  modbus:\n    buses:\n      - url: tcp://127.0.0.1:1\n        devices:\n" +
		"          - {name: grid, unit: 1, preset: sdm630, stream: energy, source: grid}\n"
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run([]string{"log-meter", "--config", path, "--counter", "grid_kwh", "--value", "12000"}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), `read over Modbus by device "grid"`) {
		t.Fatalf("error %v (out %q), want the device's meter refused", err, stdout.String())
	}
	if err := run([]string{"log-meter", "--config", path, "--counter", "grid_kwh", "--meter", "annex", "--value", "12000"}, &stdout, &stderr); err != nil {
		t.Fatalf("another meter: %v", err)
	}
}
