// Package preset holds the register maps of devices GreenPulse knows by
// name, so that an installer writes "preset: sdm630" instead of a register
// map: Eastron SDM630 and SDM120 energy meters and Deep Sea Electronics
// controllers speaking GenComm. Each preset reads through regmap.Read.
//
// Addresses are 0-based wire addresses. Where each comes from is noted
// beside it; the sources are public register maps found with the project's
// search tool, not the makers' PDFs, so they are cross-checked against at
// least two independent maps where one could be found.
package preset

import (
	"context"
	"fmt"
	"math"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Preset reads one kind of device. Poll returns the stream's fields it
// read (and, for gencomm, the extra fields FuelLevelField and
// EngineHoursField, which the caller turns into stream fields or drops),
// the fields skipped because the device reported a "not implemented" or
// implausible value, and the first read error. Presets hold no state and
// are safe for concurrent use if the Reader is.
type Preset interface {
	Name() string
	Stream() reading.Stream
	Poll(ctx context.Context, r regmap.Reader, unit uint8, opt Options) (values map[string]float64, skipped []string, err error)
}

// Options tune a preset for one installation.
type Options struct {
	// TankLitres is the generator's fuel tank capacity in litres (gencomm);
	// the caller needs it to turn fuel level into litres (see FuelCounter).
	TankLitres float64
	// MinVoltage is the phase voltage at and above which a meter reports
	// available = 1 (mains present); 0 means DefaultMinVoltage.
	MinVoltage float64
}

// DefaultMinVoltage is Options.MinVoltage when left 0: well below any
// mains (230/400 V in Iraq) yet above the few volts a meter shows on a
// dead, induced line.
const DefaultMinVoltage = 100

// Validate reports options no installation can mean.
func (o Options) Validate() error {
	if math.IsNaN(o.TankLitres) || o.TankLitres < 0 || math.IsInf(o.TankLitres, 0) {
		return fmt.Errorf("tank_litres: %v must be a number ≥ 0", o.TankLitres)
	}
	if math.IsNaN(o.MinVoltage) || o.MinVoltage < 0 || math.IsInf(o.MinVoltage, 0) {
		return fmt.Errorf("min_voltage: %v must be a number ≥ 0", o.MinVoltage)
	}
	return nil
}

func (o Options) minVoltage() float64 {
	if o.MinVoltage == 0 {
		return DefaultMinVoltage
	}
	return o.MinVoltage
}

// Names lists the presets Lookup knows, sorted.
func Names() []string { return []string{"gencomm", "sdm120", "sdm630"} }

// Lookup returns the preset called name.
func Lookup(name string) (Preset, bool) {
	switch name {
	case "sdm630":
		return sdm630, true
	case "sdm120":
		return sdm120, true
	case "gencomm":
		return gencomm{}, true
	}
	return nil, false
}

// Stream field names the presets fill.
const (
	fieldKWh       = "kwh_total"
	fieldPower     = "power_w"
	fieldAvailable = "available"
)

// Extra fields of the gencomm preset: not stream fields, for the caller.
const (
	// FuelLevelField is the fuel level in % of the tank (0–100).
	FuelLevelField = "fuel_level_pct"
	// EngineHoursField is the engine's accumulated run time in hours.
	EngineHoursField = "engine_hours"
)
