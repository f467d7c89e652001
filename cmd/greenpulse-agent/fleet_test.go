package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
)

func TestParseFleet(t *testing.T) {
	dir := t.TempDir()
	badEvents := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(badEvents, []byte("events:\n  list:\n    - {id: x, name: X, name_ar: س, areas: [IQ-KA], first_day: 2025-08-06, last_day: 2025-08-01}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	goodEvents := filepath.Join(dir, "good.yaml")
	if err := os.WriteFile(goodEvents, []byte("registry: x.csv\nevents:\n  baseline_weeks: 2\n  list:\n"+
		"    - {id: arbaeen-2025, name: A, name_ar: ا, areas: [IQ-KA], first_day: 2025-08-06, last_day: 2025-08-16}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, fa fleetArgs)
		err   string
	}{
		{"defaults", nil, func(t *testing.T, fa fleetArgs) {
			if fa.opt.Factors != simulate.DefaultFactors() || fa.opt.EventHistory || len(fa.opt.Events.List) != 0 {
				t.Errorf("defaults: %+v", fa.opt)
			}
		}, ""},
		{"events and factors", []string{"--events", goodEvents, "--event-history", "--surge-waste", "3.5", "--surge-waste-phc", "4",
			"--surge-energy", "1.1", "--surge-outages", "0.5", "--surge-storage", "3", "--surge-capacity", "2"}, func(t *testing.T, fa fleetArgs) {
			want := simulate.Factors{Waste: 3.5, PHCWaste: 4, Energy: 1.1, Outages: 0.5, Storage: 3, Capacity: 2}
			if fa.opt.Factors != want {
				t.Errorf("factors %+v, want %+v", fa.opt.Factors, want)
			}
			if !fa.opt.EventHistory || fa.opt.Events.BaselineWeeks != 2 || len(fa.opt.Events.List) != 1 || fa.opt.Events.List[0].ID != "arbaeen-2025" {
				t.Errorf("events %+v, event history %v", fa.opt.Events, fa.opt.EventHistory)
			}
		}, ""},
		{"the example collector config", []string{"--events", "../../configs/collector.yaml"}, nil, ""},
		{"event history without events", []string{"--event-history"}, nil, "--event-history needs --events FILE"},
		{"bad events", []string{"--events", badEvents}, nil, "--events: " + badEvents + ": events.list[0].last_day"},
		{"missing events file", []string{"--events", filepath.Join(dir, "none.yaml")}, nil, "--events: read events"},
		{"bad factor", []string{"--surge-energy", "0", "--surge-storage", "9"}, nil, "--surge-<factor>: energy 0: want 0.1 to 3\nstorage 9"},
		{"factor not a number", []string{"--surge-waste", "lots"}, nil, "invalid value"},
		{"bad history", []string{"--history", "3 days"}, nil, "--history"},
		{"stray argument", []string{"20"}, nil, `unexpected argument "20"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			fa, err := parseFleet(tt.args, &stderr)
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("parseFleet(%q): %v", tt.args, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Fatalf("parseFleet(%q) = %v, want an error containing %q", tt.args, err, tt.err)
			}
			if tt.check != nil {
				tt.check(t, fa)
			}
		})
	}
}

// TestFleetUsage checks that -h explains the events and lists every
// surge flag with its default.
func TestFleetUsage(t *testing.T) {
	var stderr bytes.Buffer
	if _, err := parseFleet([]string{"-h"}, &stderr); err == nil {
		t.Fatal("-h: no error")
	}
	for _, w := range []string{"usage: greenpulse-agent fleet", "events.list", "--event-history", "-surge-waste float", "(default 2.5)",
		"-surge-waste-phc", "(default 3)", "-surge-energy", "(default 1.3)", "-surge-capacity", "-event-history"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("usage lacks %q:\n%s", w, stderr.String())
		}
	}
}
