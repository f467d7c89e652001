package modbus

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/devicesim"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/registry"
)

// TestNightTimeSunSpecRediscovery: a SunSpec inverter that switches Modbus
// off at night is discovered again when it comes back, not read through
// the model chain learnt before (the inverter may have been replaced or
// updated meanwhile). The simulator's serial number changes while it is
// dark; the source's state file shows the new one only if the common
// model was read again.
func TestNightTimeSunSpecRediscovery(t *testing.T) {
	reg, err := registry.Load("../../../configs/facilities.csv")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := reg.Lookup("BG-H-001")
	if !ok || f.PVkWp == 0 {
		t.Fatal("BG-H-001 is not in the registry with PV")
	}
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC) // 13:00 in Baghdad
	srv := devicesim.New(f, devicesim.Options{Seed: 1, Now: func() time.Time { return at }})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	statePath := filepath.Join(t.TempDir(), StateFile)
	dev := config.ModbusDevice{Name: "inv", Unit: int(devicesim.UnitInverter), Preset: "sunspec",
		Stream: "solar", Inverter: "inv", Interval: testInterval}
	r := run(t, statePath, config.ModbusBus{
		Config:  bus.Config{URL: srv.URL(), Timeout: 300 * time.Millisecond, Pause: 5 * time.Millisecond},
		Devices: []config.ModbusDevice{dev},
	})
	identity := func() string {
		data, err := os.ReadFile(statePath)
		if err != nil {
			return ""
		}
		var all map[string]deviceState
		if err := json.Unmarshal(data, &all); err != nil {
			t.Fatalf("state file: %v", err)
		}
		return all["inv"].Identity
	}
	const before = "GreenPulse/SimInverter/GP-BG-H-001-INV"
	waitFor(t, 3*time.Second, "a reading before night, serial "+before, func() bool {
		return len(r.out.of("inv")) > 0 && identity() == before
	})

	if err := srv.GoDark(); err != nil {
		t.Fatal(err)
	}
	errs := func() float64 {
		var n float64
		for _, k := range bus.Kinds() {
			n += testutil.ToFloat64(r.metrics.errors.WithLabelValues("inv", k))
		}
		return n
	}
	waitFor(t, 3*time.Second, "failed polls while the inverter is dark", func() bool { return errs() >= 2 })
	// SN, 16 registers at offset 48 of the common model's data.
	srv.Override(devicesim.UnitInverter, regmap.Holding, devicesim.CommonAddr+2+48, devicesim.StringWords("GP-SWAPPED", 16)...)
	n := len(r.out.of("inv"))
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	const after = "GreenPulse/SimInverter/GP-SWAPPED"
	waitFor(t, 4*time.Second, "readings after dawn from the rediscovered inverter, serial "+after, func() bool {
		return len(r.out.of("inv")) > n && identity() == after
	})
	rs := r.out.of("inv")
	if v, ok := num(rs[len(rs)-1], "kwh_total"); !ok || v <= 0 {
		t.Errorf("last reading's kwh_total = %v (present %v), want the inverter's total", v, ok)
	}
}
