package preset

import (
	"context"
	"slices"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/reading"
)

// gencomm is a Deep Sea Electronics controller (DSE 7xxx/8xxx and others)
// speaking GenComm: holding registers, register = page × 256 + offset,
// 32-bit values high word first. Addresses (0-based):
//
//	1027 = page 4 (basic instrumentation) offset 3: fuel level, %, uint16.
//	       Two public maps agree on offset 3 (a DSE7310/7320 map at
//	       star.ke.st, and a DSE "Modbus examples" note listing fuel level
//	       at 1-based 1028); jgyates/genmon's Deepsea_controller.json reads
//	       its fuel gauge from 0x0403 too, though its register list labels
//	       0x0404 "Fuel Sensor" — the one disagreement found.
//	1536 = page 6 (derived instrumentation) offset 0: generator total
//	       watts, int32 (genmon 0x0600 "Output Power"; a DSE field map
//	       "Generator total watts" at 1536).
//	1798 = page 7 (accumulated instrumentation) offset 6: engine run time,
//	       uint32, seconds (the same DSE field map: unit s; star.ke.st;
//	       genmon reads 0x0706 as run hours).
//	1800 = page 7 offset 8: generator positive kWh, uint32, 0.1 kWh
//	       (star.ke.st, scale 0.1).
//
// Not confirmed from DSE's own GenComm document (not in the search
// corpora): the 0.1 kWh resolution, and the reserved "sentinel" codes
// GenComm keeps at the top of each range. Poll skips the type's
// all-ones value (regmap) and, as a guard for those reserved codes, fuel
// levels above 130 % (the top of the range in a public DSE map), 32-bit
// counters at 0xFFFFFFF8 or above and signed 32-bit values at 0x7FFFFFF8
// or above (GenComm marks an unimplemented signed value with the largest
// positive number, which regmap's SunSpec sentinel 0x80000000 misses).
// A level between 100 and 130 % (a sender calibrated a little high) is
// reported as 100.
type gencomm struct{}

const (
	gencommFuel    = 4*256 + 3
	gencommPower   = 6*256 + 0
	gencommRunTime = 7*256 + 6
	gencommKWh     = 7*256 + 8
)

func (gencomm) Name() string           { return "gencomm" }
func (gencomm) Stream() reading.Stream { return reading.Energy }

var gencommRegs = []regmap.Register{
	{Field: FuelLevelField, Table: regmap.Holding, Address: gencommFuel, Type: regmap.Uint16, Order: regmap.ABCD},
	{Field: fieldPower, Table: regmap.Holding, Address: gencommPower, Type: regmap.Int32, Order: regmap.ABCD},
	{Field: EngineHoursField, Table: regmap.Holding, Address: gencommRunTime, Type: regmap.Uint32, Order: regmap.ABCD, Scale: 1.0 / 3600},
	{Field: fieldKWh, Table: regmap.Holding, Address: gencommKWh, Type: regmap.Uint32, Order: regmap.ABCD, Scale: 0.1},
}

// GencommRegisters returns a copy of the registers the gencomm preset
// reads, so that a simulator can serve the same list; safe for concurrent
// use.
func GencommRegisters() []regmap.Register { return slices.Clone(gencommRegs) }

// reservedFrom is where GenComm's reserved unsigned 32-bit codes are taken
// to start, signedReservedFrom its signed ones.
const (
	reservedFrom       = 0xFFFFFFF8
	signedReservedFrom = 0x7FFFFFF8
)

// Poll reads fuel level (FuelLevelField, %), power (power_w), engine run
// time (EngineHoursField, h) and the generator's kWh counter (kwh_total),
// and gives available = 1 while the generator delivers power: a set that
// runs unloaded shows as off, which costs nothing in the indicators
// (only a grid meter's availability is an indicator). Fuel in litres
// burned is the caller's: feed the level to a FuelCounter.
func (gencomm) Poll(ctx context.Context, r regmap.Reader, unit uint8, _ Options) (map[string]float64, []string, error) {
	vals, skipped, err := regmap.Read(ctx, r, unit, gencommRegs)
	out := map[string]float64{}
	for _, reg := range gencommRegs {
		v, ok := vals[reg.Field]
		switch {
		case !ok:
		case gencommPlausible(reg, v):
			if reg.Field == FuelLevelField {
				v = min(v, 100)
			}
			out[reg.Field] = v
		default:
			skipped = append(skipped, reg.Field)
		}
	}
	if w, ok := out[fieldPower]; ok {
		out[fieldAvailable] = 0
		if w > 0 {
			out[fieldAvailable] = 1
		}
	}
	return out, skipped, err
}

func gencommPlausible(reg regmap.Register, v float64) bool {
	switch reg.Field {
	case FuelLevelField:
		return v <= 130
	case EngineHoursField, fieldKWh:
		return v < reservedFrom*reg.Scale
	case fieldPower:
		// GenComm marks a signed 32-bit value it does not have with the
		// largest positive number, 0x7FFFFFFF, and reserves the codes
		// just below it; regmap knows only SunSpec's 0x80000000.
		return v < signedReservedFrom
	}
	return true
}
