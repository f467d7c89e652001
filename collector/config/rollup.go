package config

import (
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Rollup configures the indicator roll-ups: where local days begin, the
// national area code, and SPEC's emission factors and limits.
type Rollup struct {
	Enabled           bool     `yaml:"enabled"`
	Today             string   `yaml:"today"`
	Recent            string   `yaml:"recent"`
	RecentDays        int      `yaml:"recent_days"`
	StateFile         string   `yaml:"state_file"`
	Timezone          string   `yaml:"timezone"`
	Country           string   `yaml:"country"`
	StorageLimitHours float64  `yaml:"storage_limit_hours"`
	SafeTreatments    []string `yaml:"safe_treatments"`
	Factors           Factors  `yaml:"factors"`
}

// Factor is one emission factor with where it comes from, so that a report
// can cite it.
type Factor struct {
	Value  float64 `yaml:"value"`
	Source string  `yaml:"source"`
	Year   int     `yaml:"year"`
}

// Factors are the emission factors of SPEC.
type Factors struct {
	GridKgPerKWh      Factor            `yaml:"grid_kg_per_kwh"`
	DieselKgPerL      Factor            `yaml:"diesel_kg_per_l"`
	GeneratorKgPerKWh Factor            `yaml:"generator_kg_per_kwh"`
	TreatmentKgPerKg  map[string]Factor `yaml:"treatment_kg_per_kg"`
}

// DefaultRollup is SPEC's defaults: the factors and limits of
// indicators.DefaultParams, each factor with where it comes from.
func DefaultRollup() Rollup {
	d := indicators.DefaultParams()
	rizan := func(treatment string) Factor {
		return Factor{d.TreatmentKgPerKg[treatment], "Rizan et al., Environment International 149", 2021}
	}
	return Rollup{
		Enabled:           true,
		Today:             "*/15 * * * *",
		Recent:            "5 * * * *",
		RecentDays:        3,
		StateFile:         "rollup-state.json",
		Timezone:          "Asia/Baghdad",
		Country:           "IQ",
		StorageLimitHours: d.StorageLimitHours,
		SafeTreatments:    d.SafeTreatments,
		Factors: Factors{
			GridKgPerKWh:      Factor{d.GridKgPerKWh, "Ember, Iraq electricity grid carbon intensity", 2023},
			DieselKgPerL:      Factor{d.DieselKgPerL, "IPCC 2006 Guidelines, default emission factors for diesel", 2006},
			GeneratorKgPerKWh: Factor{d.GeneratorKgPerKWh, "GreenPulse SPEC default for generators without fuel data", 2025},
			TreatmentKgPerKg: map[string]Factor{
				"incineration": rizan("incineration"),
				"landfill":     rizan("landfill"),
			},
		},
	}
}

// Location loads the configured timezone.
func (r Rollup) Location() (*time.Location, error) {
	loc, err := indicators.LoadZone(r.Timezone)
	if err != nil {
		return nil, fmt.Errorf("rollup.timezone: %w", err)
	}
	return loc, nil
}

// Params returns the factors and limits for the indicator formulas.
func (r Rollup) Params() indicators.Params {
	p := indicators.Params{
		GridKgPerKWh:      r.Factors.GridKgPerKWh.Value,
		DieselKgPerL:      r.Factors.DieselKgPerL.Value,
		GeneratorKgPerKWh: r.Factors.GeneratorKgPerKWh.Value,
		TreatmentKgPerKg:  map[string]float64{},
		StorageLimitHours: r.StorageLimitHours,
		SafeTreatments:    r.SafeTreatments,
	}
	for k, f := range r.Factors.TreatmentKgPerKg {
		p.TreatmentKgPerKg[k] = f.Value
	}
	return p
}

func (r Rollup) validate(bad func(key, format string, args ...any)) {
	for key, spec := range map[string]string{"rollup.today": r.Today, "rollup.recent": r.Recent} {
		if _, err := cron.ParseStandard(spec); err != nil {
			bad(key, "%q is not a cron schedule such as \"*/15 * * * *\": %v", spec, err)
		}
	}
	if r.RecentDays < 1 || r.RecentDays > 30 {
		bad("rollup.recent_days", "must be 1 to 30, got %d", r.RecentDays)
	}
	if r.Enabled && r.StateFile == "" {
		bad("rollup.state_file", "required: where the roll-up remembers how far it got")
	}
	if _, err := indicators.LoadZone(r.Timezone); err != nil {
		bad("rollup.timezone", "%w", err)
	}
	if !reading.ValidName(r.Country) {
		bad("rollup.country", "%q must be a code such as IQ", r.Country)
	}
	if r.StorageLimitHours <= 0 {
		bad("rollup.storage_limit_hours", "must be positive, got %g", r.StorageLimitHours)
	}
	for _, t := range r.SafeTreatments {
		if !slices.Contains(reading.WasteTreatments, t) {
			bad("rollup.safe_treatments", "%q is not one of %v", t, reading.WasteTreatments)
		}
	}
	check := func(key string, f Factor) {
		if f.Value < 0 {
			bad(key, "must not be negative, got %g", f.Value)
		}
		if f.Source == "" || f.Year == 0 {
			bad(key, "give its source and year, so reports can cite it")
		}
	}
	check("rollup.factors.grid_kg_per_kwh", r.Factors.GridKgPerKWh)
	check("rollup.factors.diesel_kg_per_l", r.Factors.DieselKgPerL)
	check("rollup.factors.generator_kg_per_kwh", r.Factors.GeneratorKgPerKWh)
	for t, f := range r.Factors.TreatmentKgPerKg {
		if !slices.Contains(reading.WasteTreatments, t) {
			bad("rollup.factors.treatment_kg_per_kg", "%q is not one of %v", t, reading.WasteTreatments)
		}
		check("rollup.factors.treatment_kg_per_kg."+t, f)
	}
}

// UnmarshalYAML decodes a factor as a whole: a file that sets a factor's
// value must also say where it comes from, rather than inherit the
// default's citation.
// Its keys are checked here: a custom unmarshaler does not inherit the
// decoder's KnownFields, and a misspelt "sorce" must not pass unseen.
func (f *Factor) UnmarshalYAML(node *yaml.Node) error {
	if node.Kind == yaml.MappingNode {
		for i := 0; i < len(node.Content); i += 2 {
			if k := node.Content[i]; !slices.Contains([]string{"value", "source", "year"}, k.Value) {
				return fmt.Errorf("line %d: field %s not found in a factor (value, source, year)", k.Line, k.Value)
			}
		}
	}
	type plain Factor
	var p plain
	if err := node.Decode(&p); err != nil {
		return err
	}
	*f = Factor(p)
	return nil
}
