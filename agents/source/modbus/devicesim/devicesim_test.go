package devicesim

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// clock is a settable fake clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func loadRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	reg, err := registry.Load("../../../../configs/facilities.csv")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// facility returns the first registry facility whose model matches.
func facility(t *testing.T, match func(f registry.Facility, s *simulate.Sim) bool) registry.Facility {
	t.Helper()
	for _, f := range loadRegistry(t).Facilities() {
		if match(f, simulate.New(f, 1)) {
			return f
		}
	}
	t.Fatal("no facility in the registry matches")
	return registry.Facility{}
}

// startServer starts a simulator of f on a free loopback port, closed at
// the end of the test.
func startServer(t *testing.T, f registry.Facility, opt Options) *Server {
	t.Helper()
	s := New(f, opt)
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// dial returns an open client of s, closed at the end of the test.
func dial(t *testing.T, s *Server, timeout time.Duration) *modbus.ModbusClient {
	t.Helper()
	c, err := modbus.NewClient(&modbus.ClientConfiguration{URL: s.URL(), Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func readRegs(t *testing.T, c *modbus.ModbusClient, unit uint8, addr, qty uint16, rt modbus.RegType) []uint16 {
	t.Helper()
	c.SetUnitId(unit)
	var out []uint16
	for qty > 0 {
		n := min(qty, 125)
		w, err := c.ReadRegisters(addr, n, rt)
		if err != nil {
			t.Fatalf("unit %d: read %d registers at %d: %v", unit, n, addr, err)
		}
		out = append(out, w...)
		addr, qty = addr+n, qty-n
	}
	return out
}

func readFloat(t *testing.T, c *modbus.ModbusClient, unit uint8, addr uint16) float64 {
	t.Helper()
	c.SetUnitId(unit)
	v, err := c.ReadFloat32(addr, modbus.INPUT_REGISTER)
	if err != nil {
		t.Fatalf("unit %d: read float32 at %#04x: %v", unit, addr, err)
	}
	return float64(v)
}

// sample returns the field of the simulator's reading of stream (and
// source, for energy) at t.
func sample(t *testing.T, s *simulate.Sim, at time.Time, stream reading.Stream, source, field string) reading.Field {
	t.Helper()
	for _, r := range s.Samples(at) {
		if r.Stream == stream && (source == "" || r.Tag("source") == source) {
			f, ok := r.Field(field)
			if !ok {
				t.Fatalf("%s %s reading at %s has no %s", stream, source, at, field)
			}
			return f
		}
	}
	t.Fatalf("no %s %s reading at %s", stream, source, at)
	return reading.Field{}
}

// instant returns the first 15-minute tick of 2026-06-01 (local) onwards
// at which the model satisfies want.
func instant(t *testing.T, s *simulate.Sim, want func(rs []reading.Reading) bool) time.Time {
	t.Helper()
	start := time.Date(2026, 6, 1, 0, 7, 30, 0, time.FixedZone("AST", 3*3600))
	for i := range 14 * 96 {
		at := start.Add(time.Duration(i) * 15 * time.Minute)
		if want(s.Samples(at)) {
			return at
		}
	}
	t.Fatal("no instant in two weeks matches")
	return time.Time{}
}

func gridLive(rs []reading.Reading) bool {
	for _, r := range rs {
		if r.Stream == reading.Energy && r.Tag("source") == "grid" {
			f, _ := r.Field("available")
			return f.Bool
		}
	}
	return false
}

func solarW(rs []reading.Reading) float64 {
	for _, r := range rs {
		if r.Stream == reading.Solar {
			f, _ := r.Field("power_w")
			return f.Num
		}
	}
	return 0
}

func str(words []uint16) string {
	b := make([]byte, 0, 2*len(words))
	for _, w := range words {
		b = append(b, byte(w>>8), byte(w))
	}
	return strings.TrimRight(string(b), "\x00")
}

func sf(w uint16) float64 { return math.Pow10(int(int16(w))) }
func slicesEqual(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func bghospital(t *testing.T) registry.Facility {
	t.Helper()
	f, ok := loadRegistry(t).Lookup("BG-H-001")
	if !ok {
		t.Fatal("BG-H-001 is not in the registry")
	}
	return f
}

// TestOverrideAndExceptions: overrides show through until cleared;
// requests outside a unit's registers, and writes, are refused by name.
func TestOverrideAndExceptions(t *testing.T) {
	clk := &clock{t: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}
	srv := startServer(t, bghospital(t), Options{Seed: 1, Now: clk.Now})
	c := dial(t, srv, time.Second)
	wh := InverterAddr + 2 + InvWH
	before := readRegs(t, c, UnitInverter, wh, 2, modbus.HOLDING_REGISTER)
	srv.Override(UnitInverter, regmap.Holding, wh, 0, 1) // 1 Wh: a counter gone backwards
	srv.Override(UnitGridMeter, regmap.Input, SDMImportKWh, Float32Words(12.5)...)
	if w := readRegs(t, c, UnitInverter, wh, 2, modbus.HOLDING_REGISTER); w[0] != 0 || w[1] != 1 {
		t.Errorf("overridden WH reads %v", w)
	}
	if v := readFloat(t, c, UnitGridMeter, SDMImportKWh); v != 12.5 {
		t.Errorf("overridden import kWh reads %v", v)
	}
	srv.ClearOverrides()
	if w := readRegs(t, c, UnitInverter, wh, 2, modbus.HOLDING_REGISTER); !slicesEqual(w, before) {
		t.Errorf("after ClearOverrides WH reads %v, want %v", w, before)
	}

	c.SetUnitId(UnitInverter)
	for _, tt := range []struct {
		name string
		do   func() error
		want error
	}{
		{"below SunS", func() error { _, err := c.ReadRegisters(39999, 2, modbus.HOLDING_REGISTER); return err }, modbus.ErrIllegalDataAddress},
		{"past the end", func() error {
			_, err := c.ReadRegisters(EndAddr(srv.Sim().HasBattery()), 3, modbus.HOLDING_REGISTER)
			return err
		}, modbus.ErrIllegalDataAddress},
		{"write", func() error { return c.WriteRegister(SunSpecBase, 1) }, modbus.ErrIllegalFunction},
		{"coils", func() error { _, err := c.ReadCoils(0, 1); return err }, modbus.ErrIllegalFunction},
	} {
		if err := tt.do(); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}
