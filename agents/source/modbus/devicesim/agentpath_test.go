package devicesim_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/devicesim"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/preset"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/sunspec"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// TestAgentPath reads the demo's devices the way the agent does (bus,
// SunSpec discovery, the sdm630 and gencomm presets) and finds the simulator's values
// of the same instant.
func TestAgentPath(t *testing.T) {
	reg, err := registry.Load("../../../../configs/facilities.csv")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := reg.Lookup("BG-H-001")
	if !ok {
		t.Fatal("BG-H-001 is not in the registry")
	}
	at := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC) // 13:00 in Baghdad
	srv := devicesim.New(f, devicesim.Options{Seed: 1, Now: func() time.Time { return at }})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	b, err := bus.Open(bus.Config{URL: srv.URL(), Timeout: time.Second, Pause: 5 * time.Millisecond}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	want := map[string]float64{}
	for _, r := range srv.Sim().Samples(at) {
		for _, fl := range r.Fields {
			key := string(r.Stream) + "." + r.Tag("source") + "." + fl.Key
			if fl.Kind == reading.KindBool {
				want[key] = map[bool]float64{true: 1}[fl.Bool]
			} else {
				want[key] = fl.Num
			}
		}
	}
	near := func(name string, got float64, ok bool, want, tol float64) {
		t.Helper()
		if !ok || math.Abs(got-want) > tol {
			t.Errorf("%s: got %v (present %v), want %v ± %v", name, got, ok, want, tol)
		}
	}

	start := time.Now()
	dev, err := sunspec.Discover(ctx, b, devicesim.UnitInverter)
	if err != nil {
		t.Fatalf("discover: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("discovery took %s, target ≤ 2 s", d)
	}
	if dev.Common.Manufacturer != "GreenPulse" || dev.Common.Serial != "GP-BG-H-001-INV" {
		t.Errorf("common model %+v", dev.Common)
	}
	v, err := dev.Read(ctx, b, devicesim.UnitInverter)
	if err != nil {
		t.Fatalf("read inverter: %v (skipped %v)", err, v.Skipped)
	}
	kwh, ok := v.Solar["kwh_total"]
	near("solar kwh_total", kwh, ok, want["solar..kwh_total"], 0.0005)
	w, ok := v.Solar["power_w"]
	near("solar power_w", w, ok, want["solar..power_w"], 50) // W_SF 2 for 500 kWp: 100 W steps

	p, _ := preset.Lookup("sdm630")
	vals, skipped, err := p.Poll(ctx, b, devicesim.UnitGridMeter, preset.Options{})
	if err != nil {
		t.Fatalf("grid meter: %v (skipped %v)", err, skipped)
	}
	kwh, ok = vals["kwh_total"]
	near("grid kwh_total", kwh, ok, want["energy.grid.kwh_total"], math.Abs(want["energy.grid.kwh_total"])*1e-7) // float32
	pw, ok := vals["power_w"]
	near("grid power_w", pw, ok, want["energy.grid.power_w"], 0.5)
	av, ok := vals["available"]
	near("grid available", av, ok, want["energy.grid.available"], 0)

	p, _ = preset.Lookup("gencomm")
	vals, skipped, err = p.Poll(ctx, b, devicesim.UnitGenerator, preset.Options{TankLitres: srv.TankLitres()})
	if err != nil || len(skipped) > 0 {
		t.Fatalf("generator: %v (skipped %v)", err, skipped)
	}
	kwh, ok = vals["kwh_total"]
	near("generator kwh_total", kwh, ok, want["energy.generator.kwh_total"], 0.05+1e-9) // 0.1 kWh
	pw, ok = vals["power_w"]
	near("generator power_w", pw, ok, want["energy.generator.power_w"], 0)
	h, ok := vals[preset.EngineHoursField]
	near("generator engine hours", h, ok, want["energy.generator.kwh_total"]*1000/srv.GeneratorLoadW(), 1.0/3600)
	lvl, ok := vals[preset.FuelLevelField]
	near("generator fuel level", lvl, ok, devicesim.FuelLevel(want["energy.generator.fuel_l_total"], srv.TankLitres()), 0)
}
