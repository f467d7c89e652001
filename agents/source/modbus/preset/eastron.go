package preset

import (
	"context"
	"strings"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/reading"
)

// eastron is an Eastron SDM meter: input registers (function 4), IEEE 754
// float32, high word first (ABCD). Addresses, cross-checked in several
// public maps (e.g. merlokk/SmartHome lib/eastron.h after beireken's SDM
// library; spjakob/ha-modbus_devices' SDM630 table; ilseh/Oppleo's SDM120
// and SDM630 maps):
//
//	SDM630: 0x0000/0x0002/0x0004 phase 1–3 line-to-neutral volts (30001/3/5),
//	        0x0034 total system power W (30053), 0x0048 import active energy
//	        kWh (30073).
//	SDM120: 0x0000 voltage (30001), 0x000C active power W (30013),
//	        0x0048 import active energy kWh (30073).
//
// kwh_total is import, not "total" (0x0156, import + export): the energy
// stream counts what the source delivered.
type eastron struct {
	name     string
	power    uint16
	voltages []uint16
}

var (
	sdm630 = eastron{name: "sdm630", power: 0x0034, voltages: []uint16{0x0000, 0x0002, 0x0004}}
	sdm120 = eastron{name: "sdm120", power: 0x000C, voltages: []uint16{0x0000}}
)

const eastronImport = 0x0048

func (e eastron) Name() string           { return e.name }
func (e eastron) Stream() reading.Stream { return reading.Energy }

func (e eastron) registers() []regmap.Register {
	f := func(field string, addr uint16) regmap.Register {
		return regmap.Register{Field: field, Table: regmap.Input, Address: addr, Type: regmap.Float32, Order: regmap.ABCD}
	}
	regs := []regmap.Register{f(fieldKWh, eastronImport), f(fieldPower, e.power)}
	for i, a := range e.voltages {
		regs = append(regs, f(voltageField(i), a))
	}
	return regs
}

func voltageField(i int) string { return "voltage_l" + string(rune('1'+i)) }

// Poll reads import energy, power and the phase voltages, and reports
// available = 1 when any phase is at or above Options.MinVoltage, else 0
// (a grid meter on a dead line still answers: that is the outage). The
// voltages themselves are not returned; available is skipped only when no
// voltage could be read.
func (e eastron) Poll(ctx context.Context, r regmap.Reader, unit uint8, opt Options) (map[string]float64, []string, error) {
	vals, skipped, err := regmap.Read(ctx, r, unit, e.registers())
	out := map[string]float64{}
	var sk []string
	for _, f := range skipped {
		if !strings.HasPrefix(f, "voltage_") {
			sk = append(sk, f)
		}
	}
	if kwh, ok := vals[fieldKWh]; ok {
		if kwh >= 0 {
			out[fieldKWh] = kwh
		} else {
			sk = append(sk, fieldKWh)
		}
	}
	if p, ok := vals[fieldPower]; ok {
		out[fieldPower] = p
	}
	seen, live := false, false
	for i := range e.voltages {
		if v, ok := vals[voltageField(i)]; ok {
			seen = true
			live = live || v >= opt.minVoltage()
		}
	}
	switch {
	case err != nil:
		// a failed read leaves available unknown, neither 0 nor 1
	case !seen:
		sk = append(sk, fieldAvailable)
	case live:
		out[fieldAvailable] = 1
	default:
		out[fieldAvailable] = 0
	}
	return out, sk, err
}
