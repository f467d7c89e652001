package config

import (
	"github.com/greenpulse-health/greenpulse/agents/figures"

	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Figures configures the facility's own day and month figures, which the
// agent computes from the readings it takes (agents/figures) and shows on
// its page, also while the link is down. The formulas are the collector's
// (collector/indicators); these keys should match the collector's rollup
// section, or the page's figures and the dashboard's differ.
type Figures struct {
	// Timezone is where local days begin, as the collector's
	// rollup.timezone.
	Timezone string `yaml:"timezone"`
	// Beds and PVkWp are the facility's, as in the registry: the per-bed
	// figures and the solar yield per kWp. 0: from the registry row when
	// the simulator is on, else those figures are not shown.
	Beds  int     `yaml:"beds"`
	PVkWp float64 `yaml:"pv_kwp"`
	// StorageLimitHours: waste stored longer than this is a storage
	// breach (rollup.storage_limit_hours).
	StorageLimitHours float64 `yaml:"storage_limit_hours"`
	// SafeTreatments make hazardous waste "safely treated".
	SafeTreatments []string      `yaml:"safe_treatments"`
	Factors        FigureFactors `yaml:"factors"`
	// SaveInterval bounds how often the figures' file is rewritten for
	// meter readings; waste is saved at once (agents/figures explains
	// why).
	SaveInterval time.Duration `yaml:"save_interval"`
}

// FigureFactors are the emission factors of SPEC, as plain numbers: the
// collector's config says where each comes from.
type FigureFactors struct {
	GridKgPerKWh      float64            `yaml:"grid_kg_per_kwh"`
	DieselKgPerL      float64            `yaml:"diesel_kg_per_l"`
	GeneratorKgPerKWh float64            `yaml:"generator_kg_per_kwh"`
	TreatmentKgPerKg  map[string]float64 `yaml:"treatment_kg_per_kg"`
}

// DefaultFigures are SPEC's defaults, those of indicators.DefaultParams.
func DefaultFigures() Figures {
	p := indicators.DefaultParams()
	return Figures{
		Timezone:          "Asia/Baghdad",
		StorageLimitHours: p.StorageLimitHours,
		SafeTreatments:    p.SafeTreatments,
		Factors: FigureFactors{
			GridKgPerKWh:      p.GridKgPerKWh,
			DieselKgPerL:      p.DieselKgPerL,
			GeneratorKgPerKWh: p.GeneratorKgPerKWh,
			TreatmentKgPerKg:  p.TreatmentKgPerKg,
		},
		SaveInterval: figures.DefaultSaveInterval,
	}
}

// Location loads figures.timezone.
func (f Figures) Location() (*time.Location, error) {
	loc, err := indicators.LoadZone(f.Timezone)
	if err != nil {
		return nil, fmt.Errorf("figures.timezone: %w", err)
	}
	return loc, nil
}

// Params returns the factors and limits for the indicator formulas.
func (f Figures) Params() indicators.Params {
	p := indicators.Params{
		GridKgPerKWh:      f.Factors.GridKgPerKWh,
		DieselKgPerL:      f.Factors.DieselKgPerL,
		GeneratorKgPerKWh: f.Factors.GeneratorKgPerKWh,
		TreatmentKgPerKg:  maps.Clone(f.Factors.TreatmentKgPerKg),
		StorageLimitHours: f.StorageLimitHours,
		SafeTreatments:    slices.Clone(f.SafeTreatments),
	}
	if p.TreatmentKgPerKg == nil {
		p.TreatmentKgPerKg = map[string]float64{}
	}
	return p
}

// maxBeds and maxPVkWp bound the facility's size well above any hospital.
const (
	maxBeds  = 100000
	maxPVkWp = 1e6
)

func (f Figures) validate(bad func(key, format string, args ...any)) {
	if _, err := indicators.LoadZone(f.Timezone); err != nil {
		bad("figures.timezone", "%v", err)
	}
	if f.Beds < 0 || f.Beds > maxBeds {
		bad("figures.beds", "must be 0 to %d, got %d", maxBeds, f.Beds)
	}
	if !(f.PVkWp >= 0 && f.PVkWp <= maxPVkWp) {
		bad("figures.pv_kwp", "must be 0 to %g, got %g", maxPVkWp, f.PVkWp)
	}
	if !(f.StorageLimitHours > 0 && f.StorageLimitHours <= 8760) {
		bad("figures.storage_limit_hours", "must be more than 0 and at most 8760 (a year), got %g", f.StorageLimitHours)
	}
	for i, t := range f.SafeTreatments {
		if !slices.Contains(reading.WasteTreatments, t) {
			bad(fmt.Sprintf("figures.safe_treatments[%d]", i), "%q is not one of %v", t, reading.WasteTreatments)
		}
	}
	factor := func(key string, v float64) {
		if !(v >= 0 && !math.IsInf(v, 0)) {
			bad(key, "must be a number of 0 or more, got %g", v)
		}
	}
	factor("figures.factors.grid_kg_per_kwh", f.Factors.GridKgPerKWh)
	factor("figures.factors.diesel_kg_per_l", f.Factors.DieselKgPerL)
	factor("figures.factors.generator_kg_per_kwh", f.Factors.GeneratorKgPerKWh)
	for _, t := range slices.Sorted(maps.Keys(f.Factors.TreatmentKgPerKg)) {
		key := "figures.factors.treatment_kg_per_kg." + t
		if !slices.Contains(reading.WasteTreatments, t) {
			bad(key, "%q is not one of %v", t, reading.WasteTreatments)
			continue
		}
		factor(key, f.Factors.TreatmentKgPerKg[t])
	}
	if f.SaveInterval < time.Second || f.SaveInterval > time.Hour {
		bad("figures.save_interval", "must be 1s to 1h, got %s", f.SaveInterval)
	}
}
