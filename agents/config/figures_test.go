package config

import (
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

func TestFiguresValidationNamesTheKey(t *testing.T) {
	tests := []struct {
		yaml, key string
	}{
		{"figures: {timezone: ''}", "figures.timezone"},
		{"figures: {timezone: Local}", "figures.timezone"},
		{"figures: {timezone: Mars/Olympus}", "figures.timezone"},
		{"figures: {beds: -1}", "figures.beds"},
		{"figures: {pv_kwp: -5}", "figures.pv_kwp"},
		{"figures: {storage_limit_hours: 0}", "figures.storage_limit_hours"},
		{"figures: {safe_treatments: [autoclave, burying]}", "figures.safe_treatments[1]"},
		{"figures: {factors: {grid_kg_per_kwh: -0.1}}", "figures.factors.grid_kg_per_kwh"},
		{"figures: {factors: {diesel_kg_per_l: .inf}}", "figures.factors.diesel_kg_per_l"},
		{"figures: {factors: {treatment_kg_per_kg: {burying: 1}}}", "figures.factors.treatment_kg_per_kg.burying"},
		{"figures: {factors: {treatment_kg_per_kg: {landfill: -1}}}", "figures.factors.treatment_kg_per_kg.landfill"},
		{"figures: {save_interval: 100ms}", "figures.save_interval"},
		{"figures: {bed: 10}", "field bed not found"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, err := Parse([]byte("facility: F\n" + tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("error %v does not name %q", err, tt.key)
			}
		})
	}
}

func TestFiguresDefaultsAreSPECs(t *testing.T) {
	cfg, err := Parse([]byte("facility: F\nfigures: {beds: 120, factors: {treatment_kg_per_kg: {autoclave: 0.05}}}"))
	if err != nil {
		t.Fatal(err)
	}
	loc, err := cfg.Figures.Location()
	if err != nil || loc.String() != "Asia/Baghdad" {
		t.Fatalf("timezone %v (%v)", loc, err)
	}
	p, d := cfg.Figures.Params(), indicators.DefaultParams()
	if p.GridKgPerKWh != d.GridKgPerKWh || p.DieselKgPerL != d.DieselKgPerL || p.GeneratorKgPerKWh != d.GeneratorKgPerKWh ||
		p.StorageLimitHours != 24 || len(p.SafeTreatments) != len(d.SafeTreatments) {
		t.Errorf("params %+v, want SPEC's %+v", p, d)
	}
	// A treatment listed is added; the defaults of the others stay.
	if p.TreatmentKgPerKg["autoclave"] != 0.05 || p.TreatmentKgPerKg["incineration"] != 1.074 || p.TreatmentKgPerKg["landfill"] != 0.271 {
		t.Errorf("treatment factors %v", p.TreatmentKgPerKg)
	}
	if cfg.Figures.Beds != 120 || cfg.Figures.SaveInterval != 5*time.Minute {
		t.Errorf("figures %+v", cfg.Figures)
	}
}
