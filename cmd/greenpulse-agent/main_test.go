package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// agentYAML writes a config whose HTTP port nothing listens on, so
// log-waste falls back to writing the outbox itself.
func agentYAML(t *testing.T) (path, outboxDir string) {
	t.Helper()
	dir := t.TempDir()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, "agent.yaml")
	y := fmt.Sprintf("facility: BG-H-001\nhttp: {listen: \"127.0.0.1:%d\"}\noutbox: {dir: outbox}\nsources: {simulate: {enabled: false}}\n", port)
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, filepath.Join(dir, "outbox")
}

func TestCommands(t *testing.T) {
	cfg, outboxDir := agentYAML(t)
	tests := []struct {
		name    string
		args    []string
		wantOut string
		wantErr string
	}{
		{"version", []string{"version"}, "greenpulse-agent dev", ""},
		{"shipped config", []string{"check-config", "--config", "../../configs/agent.yaml"}, "ok (facility BG-H-001", ""},
		{"waste recorded offline", []string{"log-waste", "--config", cfg, "--category", "sharps", "--treatment", "autoclave", "--kg", "12.5", "--stored-hours", "20"},
			"recorded BG-H-001: 12.5 kg sharps, autoclave", ""},
		{"waste explained", []string{"log-waste", "--config", cfg, "--category", "plastic", "--treatment", "burn", "--kg", "0"},
			"", `category: "plastic" is not a waste category`},
		{"bad time", []string{"log-waste", "--config", cfg, "--category", "sharps", "--treatment", "autoclave", "--kg", "1", "--at", "yesterday"},
			"", `--at "yesterday": write the time as 2026-11-26 14:30`},
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
}
