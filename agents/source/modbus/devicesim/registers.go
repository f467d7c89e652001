package devicesim

import (
	"math"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/preset"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Unit ids the server answers, when the facility has the device.
const (
	UnitInverter  uint8 = 1 // SunSpec inverter (holding registers); only with PV
	UnitGridMeter uint8 = 2 // SDM630-like grid meter (input registers)
	UnitGenerator uint8 = 3 // Deep Sea GenComm controller (holding registers); only with a generator
)

// SunSpec layout of the inverter (unit 1), holding registers, 0-based wire
// addresses. Each model starts with its ID and length L; its points follow
// at Addr+2. The chain ends with ID 0xFFFF, L 0 at EndAddr(battery).
const (
	SunSpecBase  uint16 = 40000 // "SunS": 0x5375, 0x6E53
	CommonAddr   uint16 = 40002 // model 1, L 66
	InverterAddr uint16 = 40070 // model 103, L 50
	StorageAddr  uint16 = 40122 // model 124, L 24, only with a battery
)

// Point offsets in model 103's data block (InverterAddr+2+offset), as the
// SunSpec information model defines them.
const (
	InvA      = 0  // uint16, A_SF
	InvASF    = 4  // sunssf
	InvPhVphA = 8  // uint16, V_SF
	InvVSF    = 11 // sunssf
	InvW      = 12 // int16, W_SF
	InvWSF    = 13 // sunssf
	InvHz     = 14 // uint16, Hz_SF
	InvWH     = 22 // acc32, WH_SF
	InvWHSF   = 24 // sunssf
	InvDCW    = 29 // int16: not implemented here
	InvTmpCab = 31 // int16: not implemented here
	InvSt     = 36 // enum16: 2 sleeping, 4 MPPT
)

// Point offsets in model 124's data block (StorageAddr+2+offset).
const (
	StorChaState   = 6  // uint16, ChaState_SF: state of charge, %
	StorChaStateSF = 20 // sunssf
)

// Input registers of the SDM630-like grid meter (unit 2): float32, high
// word first (ABCD), 0-based wire addresses as in Eastron's register table
// (its 30001 is address 0).
const (
	SDMVoltageL1   uint16 = 0x0000 // V
	SDMVoltageL2   uint16 = 0x0002
	SDMVoltageL3   uint16 = 0x0004
	SDMCurrentL1   uint16 = 0x0006 // A
	SDMPowerL1     uint16 = 0x000C // W
	SDMTotalPower  uint16 = 0x0034 // W
	SDMTotalVA     uint16 = 0x0038
	SDMTotalPF     uint16 = 0x003E
	SDMFrequency   uint16 = 0x0046 // Hz
	SDMImportKWh   uint16 = 0x0048 // kWh imported (what the preset reads)
	SDMExportKWh   uint16 = 0x004A // kWh exported: always 0 here
	SDMVoltageL1L2 uint16 = 0x00C8 // V line to line
	SDMTotalKWh    uint16 = 0x0156 // import + export
	sdmWords              = int(SDMTotalKWh) + 2
)

// SunSpec "not implemented" values.
const (
	niInt16  uint16 = 0x8000 // int16 and sunssf
	niUint16 uint16 = 0xFFFF // uint16, enum16, bitfield16
)

// Nominal electrical values of the simulated installation.
const (
	phaseVolts = 230.0
	lineVolts  = 400.0
	hertz      = 50.0
)

// EndAddr returns the address of the SunSpec end marker (0xFFFF, 0) of an
// inverter with or without a storage model.
func EndAddr(battery bool) uint16 {
	if battery {
		return StorageAddr + 2 + 24
	}
	return StorageAddr
}

// scales are the fixed scale factors of one inverter, chosen from its size
// as a manufacturer sizes them for a product range: the largest value fits
// its register.
type scales struct {
	a, w, wh int16
}

func newScales(kWp float64) scales {
	maxW := 1.5 * kWp * 1000                  // the model stays well under 1.2 kW per kWp
	maxWh := 7 * kWp * 1000 * 1024            // 7 kWh/kWp a day for two 512-day eras
	maxA := maxW / (math.Sqrt(3) * lineVolts) // three-phase line current
	return scales{
		a:  fitScale(maxA, 65534, -2),
		w:  fitScale(maxW, 32767, 0),
		wh: fitScale(maxWh, math.MaxUint32-1, 0),
	}
}

// fitScale returns the smallest scale factor from min up whose units keep
// max within limit.
func fitScale(max, limit float64, min int16) int16 {
	sf := min
	for max/math.Pow10(int(sf)) > limit && sf < 10 {
		sf++
	}
	return sf
}

// sfWord is a scale factor as its register holds it (sunssf: int16).
func sfWord(sf int16) uint16 { return uint16(sf) }

// scaled returns v in units of 10^sf, rounded.
func scaled(v float64, sf int16) float64 { return math.Round(v / math.Pow10(int(sf))) }

// meterValues are one meter's readings at an instant.
type meterValues struct {
	live   bool    // voltage present: mains live, or the generator running
	powerW float64 // W
	kwh    float64 // kWh imported
	fuelL  float64 // litres burned (the generator's fuel_l_total)
}

// solarValues are the inverter's readings at an instant.
type solarValues struct {
	powerW, kwh float64
	soc         float64
	hasSoC      bool
}

// snapshot is what the simulator's meters read at one instant.
type snapshot struct {
	t         time.Time
	grid, gen meterValues
	hasGen    bool
	solar     solarValues
	hasSolar  bool
}

func newSnapshot(t time.Time, rs []reading.Reading) snapshot {
	s := snapshot{t: t}
	num := func(r *reading.Reading, key string) float64 {
		f, _ := r.Field(key)
		return f.Num
	}
	for i := range rs {
		r := &rs[i]
		switch {
		case r.Stream == reading.Solar:
			s.hasSolar = true
			s.solar.powerW = num(r, "power_w")
			s.solar.kwh = num(r, "kwh_total")
			if f, ok := r.Field("battery_soc_pct"); ok {
				s.solar.soc, s.solar.hasSoC = f.Num, true
			}
		case r.Stream == reading.Energy:
			av, _ := r.Field("available")
			m := meterValues{live: av.Bool, powerW: num(r, "power_w"), kwh: num(r, "kwh_total")}
			if r.Tag("source") == "generator" {
				m.fuelL = num(r, "fuel_l_total")
				s.gen, s.hasGen = m, true
			} else {
				s.grid = m
			}
		}
	}
	return s
}

// putString writes s into n registers, two bytes each, high byte first,
// padded with NULs (the SunSpec string type).
func putString(w []uint16, s string, n int) { copy(w, StringWords(s, n)) }

// StringWords returns s as a SunSpec string of n registers, two bytes
// each, padded with NULs; for tests that override the common model's
// strings.
func StringWords(s string, n int) []uint16 {
	b := make([]byte, 2*n)
	copy(b, s)
	w := make([]uint16, n)
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return w
}

func putUint32(w []uint16, v uint32) { w[0], w[1] = uint16(v>>16), uint16(v) }

// Float32Words returns v as two registers, high word first (ABCD), as an
// SDM630 stores it; for tests that override a meter's register.
func Float32Words(v float32) []uint16 {
	b := math.Float32bits(v)
	return []uint16{uint16(b >> 16), uint16(b)}
}

func putFloat32(w []uint16, v float64) { copy(w, Float32Words(float32(v))) }

// sunspecImage returns the inverter's holding registers from SunSpecBase
// to the end marker.
func sunspecImage(id, version string, unit uint8, sc scales, s solarValues, battery bool) []uint16 {
	w := make([]uint16, int(EndAddr(battery)-SunSpecBase)+2)
	at := func(addr uint16) []uint16 { return w[addr-SunSpecBase:] }
	w[0], w[1] = 0x5375, 0x6E53 // "SunS"

	// Model 1, common: Mn, Md, Opt, Vr, SN (strings), DA, Pad.
	c := at(CommonAddr)
	c[0], c[1] = 1, 66
	c = c[2:]
	putString(c[0:], "GreenPulse", 16)
	putString(c[16:], "SimInverter", 16)
	putString(c[32:], "", 8) // Opt: not implemented (all NULs)
	putString(c[40:], version, 8)
	putString(c[48:], "GP-"+id+"-INV", 16)
	c[64] = uint16(unit)
	c[65] = niInt16 // Pad

	// Model 103, three-phase inverter.
	m := at(InverterAddr)
	m[0], m[1] = 103, 50
	m = m[2:]
	for i := range 50 {
		m[i] = niUint16
	}
	const vSF, hzSF, pfSF = -1, -2, -1
	amps := s.powerW / (math.Sqrt(3) * lineVolts)
	m[InvA] = uint16(scaled(amps, sc.a))
	for ph := 1; ph <= 3; ph++ {
		m[InvA+ph] = m[InvA]
	}
	m[InvASF] = sfWord(sc.a)
	for i := range 3 {
		m[5+i] = uint16(scaled(lineVolts, vSF))          // PPVphAB, BC, CA
		m[InvPhVphA+i] = uint16(scaled(phaseVolts, vSF)) // PhVphA, B, C
	}
	m[InvVSF] = sfWord(vSF)
	m[InvW] = uint16(int16(scaled(s.powerW, sc.w)))
	m[InvWSF] = sfWord(sc.w)
	m[InvHz] = uint16(scaled(hertz, hzSF))
	m[InvHz+1] = sfWord(hzSF)
	m[16] = m[InvW] // VA: unity power factor
	m[17] = sfWord(sc.w)
	m[18] = 0 // VAr
	m[19] = sfWord(sc.w)
	m[20] = uint16(int16(scaled(100, pfSF))) // PF, %
	m[21] = sfWord(pfSF)
	putUint32(m[InvWH:], uint32(scaled(s.kwh*1000, sc.wh)))
	m[InvWHSF] = sfWord(sc.wh)
	// DCA, DCV (uint16) and their SFs, DCW (int16), the temperatures and
	// Tmp_SF are not implemented: a cheap inverter's honest answer.
	m[26], m[28], m[30] = niInt16, niInt16, niInt16
	m[InvDCW] = niInt16
	for i := InvTmpCab; i <= 35; i++ {
		m[i] = niInt16
	}
	m[InvSt] = 2 // SLEEPING
	if s.powerW > 0 {
		m[InvSt] = 4 // MPPT
	}
	m[37] = niUint16                        // StVnd
	m[38], m[39], m[40], m[41] = 0, 0, 0, 0 // Evt1 (no events), Evt2 (reserved)
	// EvtVnd1–4 stay 0xFFFFFFFF: not implemented.

	if battery {
		b := at(StorageAddr)
		b[0], b[1] = 124, 24
		b = b[2:]
		for i := range 24 {
			b[i] = niUint16
		}
		const socSF = -1
		// WChaMax (mandatory) stays 0xFFFF: the model does not size its
		// battery, and a reader must cope with that.
		b[3] = 0                         // StorCtl_Mod: no control mode active
		b[5] = uint16(scaled(15, socSF)) // MinRsvPct: the model's floor
		b[StorChaState] = uint16(scaled(s.soc, socSF))
		b[10], b[11] = niInt16, niInt16 // OutWRte, InWRte
		for i := 16; i < 24; i++ {
			b[i] = niInt16 // scale factors not used
		}
		b[19] = sfWord(socSF) // MinRsvPct_SF
		b[StorChaStateSF] = sfWord(socSF)
	}
	e := at(EndAddr(battery))
	e[0], e[1] = 0xFFFF, 0
	return w
}

// sdmImage returns an SDM630's input registers from address 0: voltages of
// 230 V on each phase while the meter sees power (0 V while the mains are
// down, or the generator stands), the load shared equally by the phases.
func sdmImage(m meterValues) []uint16 {
	w := make([]uint16, sdmWords)
	put := func(addr uint16, v float64) { putFloat32(w[addr:], v) }
	volts, line, hz, pf := 0.0, 0.0, 0.0, 0.0
	if m.live {
		volts, line, hz, pf = phaseVolts, lineVolts, hertz, 1
	}
	amps := 0.0
	if volts > 0 {
		amps = m.powerW / 3 / volts
	}
	for ph := range uint16(3) {
		put(SDMVoltageL1+2*ph, volts)
		put(SDMCurrentL1+2*ph, amps)
		put(SDMPowerL1+2*ph, m.powerW/3)
		put(0x0012+2*ph, m.powerW/3) // VA per phase
		put(0x001E+2*ph, pf)         // power factor per phase
		put(SDMVoltageL1L2+2*ph, line)
	}
	put(SDMTotalPower, m.powerW)
	put(SDMTotalVA, m.powerW)
	put(SDMTotalPF, pf)
	put(SDMFrequency, hz)
	put(SDMImportKWh, m.kwh)
	put(SDMExportKWh, 0)
	put(SDMTotalKWh, m.kwh)
	return w
}

// DefaultTankLitres is Options.TankLitres when left 0.
const DefaultTankLitres = 1000

// refillAt is the share of the tank at which the simulated generator's
// tank is topped up to full: it never reads below it.
const refillAt = 0.2

// FuelLevel returns the level, in whole percent, of a tank of tankL litres
// from which burnedL litres have been burned since it was first full, when
// it is refilled to full each time it would fall below 20 %: 100 − (burnedL
// mod 0.8 tankL) / tankL × 100, rounded as a fuel level sender reports it.
func FuelLevel(burnedL, tankL float64) float64 {
	return math.Round(100 - math.Mod(burnedL, (1-refillAt)*tankL)/tankL*100)
}

// gencommPages are the holding registers of the simulated Deep Sea
// controller: the whole GenComm pages (256 registers each) that hold the
// registers the gencomm preset reads, from the preset's own list so that
// the simulator and the preset cannot drift apart. Registers the preset
// does not read hold GenComm's 0xFFFF, "not implemented".
type gencommPages struct {
	base  uint16
	words int
	regs  []regmap.Register
}

func newGencommPages() gencommPages {
	regs := preset.GencommRegisters()
	lo, hi := math.MaxInt, 0
	for _, r := range regs {
		lo = min(lo, int(r.Address))
		hi = max(hi, int(r.Address)+r.Words())
	}
	lo = lo / 256 * 256
	hi = (hi + 255) / 256 * 256
	return gencommPages{base: uint16(lo), words: hi - lo, regs: regs}
}

// generatorValues are what the simulated controller measures at an instant.
type generatorValues struct {
	meterValues
	engineHours float64 // h
	levelPct    float64 // whole percent
}

// image returns the controller's holding registers from p.base.
func (p gencommPages) image(g generatorValues) []uint16 {
	w := make([]uint16, p.words)
	for i := range w {
		w[i] = niUint16
	}
	for _, r := range p.regs {
		var v float64
		switch r.Field {
		case preset.FuelLevelField:
			v = g.levelPct
		case "power_w":
			v = g.powerW
		case preset.EngineHoursField:
			v = g.engineHours
		case "kwh_total":
			v = g.kwh
		default:
			continue // a register the simulator does not play: not implemented
		}
		copy(w[r.Address-p.base:], r.Encode(v))
	}
	return w
}
