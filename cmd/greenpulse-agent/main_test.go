package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/agents/wastelog"
	"github.com/greenpulse-health/greenpulse/agents/web"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/reading"
)

// agentYAML writes a config whose HTTP port nothing listens on, so
// log-waste falls back to writing the outbox itself.
func agentYAML(t *testing.T) (path, outboxDir string) {
	t.Helper()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return agentYAMLAt(t, fmt.Sprintf("127.0.0.1:%d", port), "")
}

// agentYAMLAt writes a config for an agent listening on listen behind
// password.
func agentYAMLAt(t *testing.T, listen, password string) (path, outboxDir string) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "agent.yaml")
	y := fmt.Sprintf("facility: BG-H-001\nhttp: {listen: %q, password: %q}\noutbox: {dir: outbox}\nsources: {simulate: {enabled: false}}\n", listen, password)
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, filepath.Join(dir, "outbox")
}

func TestCommands(t *testing.T) {
	cfg, outboxDir := agentYAML(t)
	modbusCfg := filepath.Join(t.TempDir(), "modbus.yaml")
	if err := os.WriteFile(modbusCfg, []byte("facility: BG-H-001\nsources:\n  simulate: {enabled: false}\n  modbus:\n    buses:\n"+
		"      - url: tcp://127.0.0.1:1502\n        devices:\n          - {name: inverter, unit: 1, preset: sunspec}\n"+
		"          - {name: grid, unit: 2, preset: sdm630, stream: energy, source: grid}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{"version", []string{"version"}, "greenpulse-agent dev", ""},
		{"shipped config", []string{"check-config", "--config", "../../configs/agent.yaml"}, "ok (facility BG-H-001", ""},
		{"modbus devices listed", []string{"check-config", "--config", modbusCfg},
			"modbus tcp://127.0.0.1:1502:\n  inverter: unit 1, sunspec, every 10s -> solar inverter=main\n  grid: unit 2, sdm630, every 10s -> energy meter=main source=grid\n", ""},
		{"waste recorded offline", []string{"log-waste", "--config", cfg, "--category", "sharps", "--treatment", "autoclave", "--kg", "12.5", "--stored-hours", "20", "--note", "left by the night shift"},
			"recorded BG-H-001: 12.5 kg sharps, autoclave", ""},
		{"waste explained", []string{"log-waste", "--config", cfg, "--category", "plastic", "--treatment", "burn", "--kg", "0"},
			"", `category: "plastic" is not a waste category`},
		{"bad time", []string{"log-waste", "--config", cfg, "--category", "sharps", "--treatment", "autoclave", "--kg", "1", "--at", "yesterday"},
			"", `--at "yesterday": write the time as 2026-11-26 14:30`},
		{"ambiguous weight", []string{"log-waste", "--config", cfg, "--category", "sharps", "--treatment", "autoclave", "--kg", "12,400"},
			"", `--kg "12,400": write 12400 or 12.4`},
		{"weight with an exponent", []string{"log-waste", "--config", cfg, "--category", "sharps", "--treatment", "autoclave", "--kg", "1e3"},
			"", `--kg "1e3"`},
		{"unknown command", []string{"fly"}, "", `unknown command "fly"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(stdout.String(), tt.wantOut) {
				t.Fatalf("out %q, err %v; want %q", stdout.String(), err, tt.wantOut)
			}
		})
	}
	ob, err := outbox.Open(outboxDir, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	items, err := ob.Oldest(10, 0)
	if err != nil || len(items) != 1 || !strings.Contains(string(items[0].Data), `"category":"sharps"`) {
		t.Fatalf("outbox holds %+v (%v), want the one sharps entry", items, err)
	}
	if strings.Contains(string(items[0].Data), "night shift") {
		t.Errorf("the note left the agent: %s", items[0].Data)
	}
	// The agent's page lists the entry made while it was not running.
	wl, err := wastelog.Open(outboxDir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	listed, err := wl.List(ob)
	if err != nil || len(listed) != 1 || listed[0].Note != "left by the night shift" || listed[0].State != wastelog.Queued || listed[0].MassKg != 12.5 {
		t.Fatalf("waste list %+v (%v), want the queued sharps entry with its note", listed, err)
	}
}

// TestLogWasteToRunningAgent sends entries to an agent's web server, which
// owns the outbox while it runs, with the password of the config file.
func TestLogWasteToRunningAgent(t *testing.T) {
	const password = "page-password"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	agent := &recorder{}
	srv := &http.Server{Handler: web.Handler(agent, web.Options{Facility: "BG-H-001", Waste: agent, Password: password,
		Gatherer: prometheus.NewRegistry(), Logger: slog.New(slog.DiscardHandler)})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	tests := []struct {
		name, password, wantErr string
	}{
		{"right password", password, ""},
		{"no password", "", "refused the entry (401 Unauthorized): log in first"},
		{"wrong password", "page-passwort", "refused the entry (401 Unauthorized)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, outboxDir := agentYAMLAt(t, ln.Addr().String(), tt.password)
			before := agent.count()
			var stdout, stderr bytes.Buffer
			err := run([]string{"log-waste", "--config", cfg, "--category", "general", "--treatment", "offsite", "--kg", "3", "--note", "truck 12"}, &stdout, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || agent.count() != before {
					t.Fatalf("error %v, want one containing %q and nothing recorded", err, tt.wantErr)
				}
			} else if err != nil || !strings.Contains(stdout.String(), "sent to the running agent") || agent.count() != before+1 {
				t.Fatalf("out %q, err %v, %d recorded; want it sent to the agent", stdout.String(), err, agent.count()-before)
			}
			if _, err := os.Stat(outboxDir); err == nil {
				t.Errorf("log-waste opened an outbox %s beside the running agent", outboxDir)
			}
		})
	}
	if agent.notes[0] != "truck 12" {
		t.Errorf("note %q reached the agent, want %q", agent.notes[0], "truck 12")
	}
}

// recorder is a running agent's waste side, in memory.
type recorder struct {
	mu    sync.Mutex
	notes []string
}

func (r *recorder) RecordWaste(_ reading.Reading, note string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, note)
	return nil
}

func (r *recorder) RecentWaste() ([]wastelog.Listed, error) { return nil, nil }
func (r *recorder) Healthy() error                          { return nil }
func (r *recorder) Status() reading.AgentStatus             { return reading.AgentStatus{} }

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.notes)
}
