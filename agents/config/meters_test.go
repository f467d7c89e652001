package config

import (
	"strings"
	"testing"
)

// TestManualMeters checks sources.manual.meters: read from YAML, unknown
// keys refused, negative limits named.
func TestManualMeters(t *testing.T) {
	tests := []struct {
		name, yaml, wantErr string
	}{
		{"set", "{meters: {grid_max_kw: 80, generator_kwh_per_hour: 25, tank_litres: 1000}}", ""},
		{"negative", "{meters: {tank_litres: -5}}", "sources.manual.meters.tank_litres: must be 0 (default) or more, got -5"},
		{"unknown key", "{meters: {tank_size: 5}}", "tank_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Parse([]byte("facility: BG-H-001\nsources:\n  simulate: {enabled: false}\n  manual: " + tt.yaml + "\n"))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m := cfg.Sources.Manual.Meters; m.GridMaxKW != 80 || m.GeneratorKWhPerHour != 25 || m.TankLitres != 1000 || !cfg.Sources.Manual.Enabled {
				t.Errorf("meters %+v", m)
			}
		})
	}
}
