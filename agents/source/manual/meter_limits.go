package manual

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// DefaultMaxKW is the plausible power of a facility's grid connection,
// generator or PV array when neither the configuration nor the registry
// says more.
const DefaultMaxKW = 500

// MeterLimits bound what typed meter readings may plausibly show, and say
// how engine hours and tank levels become counters. Zero values take
// defaults (WithDefaults).
type MeterLimits struct {
	// GridMaxKW, GeneratorMaxKW and SolarMaxKW bound the average power
	// between two readings of a counter: an increase above max kW × hours
	// elapsed (at least one hour) is questioned.
	GridMaxKW      float64 `yaml:"grid_max_kw"`
	GeneratorMaxKW float64 `yaml:"generator_max_kw"`
	SolarMaxKW     float64 `yaml:"solar_max_kw"`
	// GeneratorKWhPerHour turns engine hours into the generator's kWh
	// counter (hours × this); 0 keeps typed hours on the agent only.
	GeneratorKWhPerHour float64 `yaml:"generator_kwh_per_hour"`
	// TankLitres is the generator tank's size: tank levels may then be
	// typed in %, and a level above it is refused.
	TankLitres float64 `yaml:"tank_litres"`
}

// Validate reports every negative limit, naming it under key.
func (l MeterLimits) Validate(key string) error {
	var errs []error
	for name, v := range map[string]float64{"grid_max_kw": l.GridMaxKW, "generator_max_kw": l.GeneratorMaxKW,
		"solar_max_kw": l.SolarMaxKW, "generator_kwh_per_hour": l.GeneratorKWhPerHour, "tank_litres": l.TankLitres} {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			errs = append(errs, fmt.Errorf("%s.%s: must be 0 (default) or more, got %g", key, name, v))
		}
	}
	slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
	return errors.Join(errs...)
}

// WithDefaults fills the limits left at 0: from the facility's size when
// it is known (beds: 5 kW a bed, at least DefaultMaxKW; pvKWp: 1.2 × the
// array's peak), else DefaultMaxKW.
func (l MeterLimits) WithDefaults(beds int, pvKWp float64) MeterLimits {
	site := math.Max(DefaultMaxKW, 5*float64(beds))
	if l.GridMaxKW == 0 {
		l.GridMaxKW = site
	}
	if l.GeneratorMaxKW == 0 {
		l.GeneratorMaxKW = site
	}
	if l.SolarMaxKW == 0 {
		l.SolarMaxKW = DefaultMaxKW
		if pvKWp > 0 {
			l.SolarMaxKW = 1.2 * pvKWp
		}
	}
	return l
}
