package devicesim

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/preset"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// TestRegistersFollowModel reads every served register and decodes it as
// an agent would, at instants with the grid live and down, by day and by
// night, for facilities with and without battery and generator.
func TestRegistersFollowModel(t *testing.T) {
	withAll := facility(t, func(f registry.Facility, s *simulate.Sim) bool { return s.HasBattery() && s.HasGenerator() })
	plain := facility(t, func(f registry.Facility, s *simulate.Sim) bool {
		return f.PVkWp > 0 && !s.HasBattery() && !s.HasGenerator()
	})
	noPV := facility(t, func(f registry.Facility, s *simulate.Sim) bool { return f.PVkWp == 0 })
	type when struct {
		name string
		want func(rs []reading.Reading) bool
	}
	sunny := []when{
		{"sunny, grid live", func(rs []reading.Reading) bool { return gridLive(rs) && solarW(rs) > 0 }},
		{"sunny, grid down", func(rs []reading.Reading) bool { return !gridLive(rs) && solarW(rs) > 0 }},
		{"night", func(rs []reading.Reading) bool { return solarW(rs) == 0 && gridLive(rs) }},
	}
	for _, tt := range []struct {
		f        registry.Facility
		instants []when
	}{
		{withAll, sunny},
		{plain, sunny},
		{noPV, []when{{"grid live", gridLive}, {"grid down", func(rs []reading.Reading) bool { return !gridLive(rs) }}}},
	} {
		clk := &clock{}
		srv := startServer(t, tt.f, Options{Seed: 1, Now: clk.Now, Version: "1.2.3"})
		sim := simulate.New(tt.f, 1)
		c := dial(t, srv, time.Second)
		for _, w := range tt.instants {
			t.Run(tt.f.ID+"/"+w.name, func(t *testing.T) {
				at := instant(t, sim, w.want)
				clk.Set(at)
				if tt.f.PVkWp > 0 {
					checkInverter(t, c, sim, at)
				}
				checkMeter(t, c, UnitGridMeter, sim, at, "grid")
				if sim.HasGenerator() {
					checkGenerator(t, c, srv, sim, at)
				}
			})
		}
	}
	t.Run("no PV, no inverter", func(t *testing.T) {
		srv := startServer(t, noPV, Options{Seed: 1})
		c := dial(t, srv, 200*time.Millisecond)
		c.SetUnitId(UnitInverter)
		if _, err := c.ReadRegisters(SunSpecBase, 2, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrRequestTimedOut) {
			t.Fatalf("inverter read gave %v, want a timeout (no such unit)", err)
		}
		if units := srv.Units(); len(units) == 0 || units[0].ID != UnitGridMeter {
			t.Fatalf("units %+v, want no inverter", units)
		}
	})
}

func checkInverter(t *testing.T, c *modbus.ModbusClient, sim *simulate.Sim, at time.Time) {
	t.Helper()
	f := sim.Facility()
	battery := sim.HasBattery()
	end := EndAddr(battery)
	regs := readRegs(t, c, UnitInverter, SunSpecBase, end-SunSpecBase+2, modbus.HOLDING_REGISTER)
	at16 := func(addr uint16) uint16 { return regs[addr-SunSpecBase] }
	if regs[0] != 0x5375 || regs[1] != 0x6E53 {
		t.Fatalf("marker %#04x %#04x, want SunS", regs[0], regs[1])
	}
	// Walk the chain as a SunSpec client does.
	var models []uint16
	for a := SunSpecBase + 2; ; {
		id, l := at16(a), at16(a+1)
		if id == 0xFFFF {
			if l != 0 || a != end {
				t.Fatalf("end marker at %d with L %d, want at %d with 0", a, l, end)
			}
			break
		}
		models = append(models, id)
		a += 2 + l
	}
	want := []uint16{1, 103}
	if battery {
		want = append(want, 124)
	}
	if !slicesEqual(models, want) {
		t.Fatalf("models %v, want %v", models, want)
	}
	cm := regs[CommonAddr+2-SunSpecBase:]
	if mn, md, vr, sn := str(cm[0:16]), str(cm[16:32]), str(cm[40:48]), str(cm[48:64]); mn != "GreenPulse" || md != "SimInverter" || vr != "1.2.3" || sn != "GP-"+f.ID+"-INV" {
		t.Errorf("common model Mn %q Md %q Vr %q SN %q", mn, md, vr, sn)
	}
	inv := regs[InverterAddr+2-SunSpecBase:]
	wantW := sample(t, sim, at, reading.Solar, "", "power_w").Num
	gotW := float64(int16(inv[InvW])) * sf(inv[InvWSF])
	if math.Abs(gotW-wantW) > sf(inv[InvWSF])/2 {
		t.Errorf("W %v (W_SF %d), want %v", gotW, int16(inv[InvWSF]), wantW)
	}
	wantKWh := sample(t, sim, at, reading.Solar, "", "kwh_total").Num
	gotKWh := float64(uint32(inv[InvWH])<<16|uint32(inv[InvWH+1])) * sf(inv[InvWHSF]) / 1000
	if math.Abs(gotKWh-wantKWh) > sf(inv[InvWHSF])/2000+1e-9 {
		t.Errorf("WH %v kWh (WH_SF %d), want %v", gotKWh, int16(inv[InvWHSF]), wantKWh)
	}
	if v := float64(inv[InvPhVphA]) * sf(inv[InvVSF]); v != 230 {
		t.Errorf("PhVphA %v V, want 230", v)
	}
	if inv[InvDCW] != 0x8000 || inv[InvTmpCab] != 0x8000 || inv[37] != 0xFFFF {
		t.Errorf("DCW %#04x TmpCab %#04x StVnd %#04x, want the not-implemented values", inv[InvDCW], inv[InvTmpCab], inv[37])
	}
	if st, want := inv[InvSt], map[bool]uint16{true: 4, false: 2}[wantW > 0]; st != want {
		t.Errorf("St %d, want %d", st, want)
	}
	if battery {
		st := regs[StorageAddr+2-SunSpecBase:]
		soc := float64(st[StorChaState]) * sf(st[StorChaStateSF])
		if want := sample(t, sim, at, reading.Solar, "", "battery_soc_pct").Num; math.Abs(soc-want) > 1e-9 {
			t.Errorf("ChaState %v %%, want %v", soc, want)
		}
	}
	// The same registers as inputs are not served.
	c.SetUnitId(UnitInverter)
	if _, err := c.ReadRegisters(SunSpecBase, 2, modbus.INPUT_REGISTER); !errors.Is(err, modbus.ErrIllegalDataAddress) {
		t.Errorf("input registers of the inverter: %v, want illegal data address", err)
	}
}

func checkMeter(t *testing.T, c *modbus.ModbusClient, unit uint8, sim *simulate.Sim, at time.Time, source string) {
	t.Helper()
	live := sample(t, sim, at, reading.Energy, source, "available").Bool
	wantV := 0.0
	if live {
		wantV = 230
	}
	for _, a := range []uint16{SDMVoltageL1, SDMVoltageL2, SDMVoltageL3} {
		if v := readFloat(t, c, unit, a); v != wantV {
			t.Errorf("%s meter: voltage at %#04x %v, want %v (available %v)", source, a, v, wantV, live)
		}
	}
	for _, tt := range []struct {
		addr  uint16
		field string
	}{{SDMTotalPower, "power_w"}, {SDMImportKWh, "kwh_total"}, {SDMTotalKWh, "kwh_total"}} {
		want := float64(float32(sample(t, sim, at, reading.Energy, source, tt.field).Num))
		if got := readFloat(t, c, unit, tt.addr); got != want {
			t.Errorf("%s meter: %s at %#04x = %v, want %v", source, tt.field, tt.addr, got, want)
		}
	}
}

// clientReader reads registers through a modbus client, as a bus does.
type clientReader struct{ c *modbus.ModbusClient }

func (r clientReader) ReadRegisters(_ context.Context, unit uint8, table regmap.Table, addr, qty uint16) ([]uint16, error) {
	r.c.SetUnitId(unit)
	rt := modbus.HOLDING_REGISTER
	if table == regmap.Input {
		rt = modbus.INPUT_REGISTER
	}
	return r.c.ReadRegisters(addr, qty, rt)
}

// pollGencomm reads the generator controller with the gencomm preset.
func pollGencomm(t *testing.T, c *modbus.ModbusClient) map[string]float64 {
	t.Helper()
	p, _ := preset.Lookup("gencomm")
	vals, skipped, err := p.Poll(context.Background(), clientReader{c}, UnitGenerator, preset.Options{TankLitres: DefaultTankLitres})
	if err != nil || len(skipped) > 0 {
		t.Fatalf("gencomm poll: %v (skipped %v)", err, skipped)
	}
	return vals
}

// checkGenerator polls the controller with the gencomm preset and finds
// the model's values of the same instant.
func checkGenerator(t *testing.T, c *modbus.ModbusClient, srv *Server, sim *simulate.Sim, at time.Time) {
	t.Helper()
	got := pollGencomm(t, c)
	kwh := sample(t, sim, at, reading.Energy, "generator", "kwh_total").Num
	fuel := sample(t, sim, at, reading.Energy, "generator", "fuel_l_total").Num
	for _, tt := range []struct {
		field     string
		want, tol float64
	}{
		{"kwh_total", kwh, 0.05 + 1e-9}, // 0.1 kWh steps
		{"power_w", sample(t, sim, at, reading.Energy, "generator", "power_w").Num, 0},
		{preset.EngineHoursField, kwh * 1000 / srv.GeneratorLoadW(), 0.5/3600 + 1e-9}, // whole seconds
		{preset.FuelLevelField, FuelLevel(fuel, DefaultTankLitres), 0},
	} {
		if v, ok := got[tt.field]; !ok || math.Abs(v-tt.want) > tt.tol {
			t.Errorf("generator %s = %v (present %v), want %v ± %v", tt.field, v, ok, tt.want, tt.tol)
		}
	}
	if l := got[preset.FuelLevelField]; l < 20 || l > 100 || l != math.Round(l) {
		t.Errorf("fuel level %v %%, want a whole percent in 20–100", l)
	}
	// A register the preset does not read is "not implemented"; the input
	// table is not served.
	if w := readRegs(t, c, UnitGenerator, 4*256, 3, modbus.HOLDING_REGISTER); !slicesEqual(w, []uint16{0xFFFF, 0xFFFF, 0xFFFF}) {
		t.Errorf("page 4 offsets 0–2 read %#04x, want 0xFFFF", w)
	}
	c.SetUnitId(UnitGenerator)
	if _, err := c.ReadRegisters(4*256+3, 1, modbus.INPUT_REGISTER); !errors.Is(err, modbus.ErrIllegalDataAddress) {
		t.Errorf("input registers of the generator: %v, want illegal data address", err)
	}
}

// TestGeneratorFuel polls the simulated controller once a minute over a
// day of outages, feeds its fuel level to a FuelCounter as the agent does,
// and finds the litres the model burned meanwhile: the tank's refills are
// not counted, and the count is off by no more than the sender's
// resolution.
func TestGeneratorFuel(t *testing.T) {
	f := bghospital(t)
	sim := simulate.New(f, 1)
	fuelAt := func(at time.Time) float64 {
		return sample(t, sim, at, reading.Energy, "generator", "fuel_l_total").Num
	}
	for _, tt := range []struct {
		name  string
		tankL float64 // 0: the default
		span  time.Duration
		step  time.Duration
	}{
		{"default tank", 0, 24 * time.Hour, time.Minute},
		{"500 L tank", 500, 24 * time.Hour, 30 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tank := tt.tankL
			if tank == 0 {
				tank = DefaultTankLitres
			}
			// The first day from 2026-06-01 on whose span burns at least
			// two tanks' worth between refills.
			start := time.Date(2026, 6, 1, 0, 0, 0, 0, time.FixedZone("AST", 3*3600))
			for fuelAt(start.Add(tt.span))-fuelAt(start) < 2*(1-refillAt)*tank {
				if start = start.Add(24 * time.Hour); start.Month() != time.June {
					t.Fatal("no span in June burns two tanks")
				}
			}
			clk := &clock{t: start}
			srv := startServer(t, f, Options{Seed: 1, Now: clk.Now, TankLitres: tt.tankL})
			if srv.TankLitres() != tank {
				t.Fatalf("tank %v L, want %v", srv.TankLitres(), tank)
			}
			c := dial(t, srv, time.Second)
			var fc preset.FuelCounter
			var refills int
			var maxStep float64 // the most litres the model burned between two polls
			prevLevel, prevFuel := -1.0, fuelAt(start)
			for at := start; !at.After(start.Add(tt.span)); at = at.Add(tt.step) {
				clk.Set(at)
				level := pollGencomm(t, c)[preset.FuelLevelField]
				fc.Observe(level, tank)
				if prevLevel >= 0 && level > prevLevel {
					refills++
				}
				fuel := fuelAt(at)
				maxStep = max(maxStep, fuel-prevFuel)
				prevLevel, prevFuel = level, fuel
			}
			burned := fuelAt(start.Add(tt.span)) - fuelAt(start)
			// Whole percent: each count from one level to another is off by
			// up to a point of the tank, and a refill can hide what was
			// burned between the polls on either side of it.
			tol := float64(1+refills)*tank/100 + float64(refills)*maxStep
			t.Logf("%s from %s: model burned %.1f L, counter %.1f L (off %.1f L, tolerance %.1f L); %d refills, at most %.1f L between polls",
				f.ID, start.Format(time.RFC3339), burned, fc.Total(), fc.Total()-burned, tol, refills, maxStep)
			if refills < 2 {
				t.Errorf("%d refills, want at least 2", refills)
			}
			if math.Abs(fc.Total()-burned) > tol {
				t.Errorf("counter %.1f L, model burned %.1f L: off by more than %.1f L", fc.Total(), burned, tol)
			}
		})
	}
}
