package preset

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/internal/modbustest"
)

// gencommImage is a DSE controller with pages 4, 6 and 7 populated.
func gencommImage(fuel uint16, watts int32, runSeconds, kwhTenths uint32) modbustest.Image {
	h := zeros(4*256, 64)
	for k, v := range zeros(6*256, 32) {
		h[k] = v
	}
	for k, v := range zeros(7*256, 32) {
		h[k] = v
	}
	with(h, 1027, fuel)
	with(h, 1536, u32(uint32(watts))...)
	with(h, 1798, u32(runSeconds)...)
	with(h, 1800, u32(kwhTenths)...)
	with(h, 1808, u32(77)...) // number of starts: not read
	return modbustest.Image{Holding: h}
}

func TestGencomm(t *testing.T) {
	for _, tc := range []struct {
		name    string
		img     modbustest.Image
		want    map[string]float64
		skipped []string
	}{
		{"running", gencommImage(75, 12000, 1234*3600+1800, 123456),
			map[string]float64{FuelLevelField: 75, "power_w": 12000, "available": 1, EngineHoursField: 1234.5, "kwh_total": 12345.6}, nil},
		{"stopped, empty tank", gencommImage(0, 0, 36000, 10),
			map[string]float64{FuelLevelField: 0, "power_w": 0, "available": 0, EngineHoursField: 10, "kwh_total": 1}, nil},
		{"reverse power", gencommImage(50, -800, 3600, 10),
			map[string]float64{FuelLevelField: 50, "power_w": -800, "available": 0, EngineHoursField: 1, "kwh_total": 1}, nil},
		{"fuel sender not fitted", gencommImage(0xFFFF, 0, 3600, 10),
			map[string]float64{"power_w": 0, "available": 0, EngineHoursField: 1, "kwh_total": 1}, []string{FuelLevelField}},
		{"fuel level reserved code", gencommImage(0xFFFC, 0, 3600, 10),
			map[string]float64{"power_w": 0, "available": 0, EngineHoursField: 1, "kwh_total": 1}, []string{FuelLevelField}},
		{"fuel level a little over full", gencommImage(104, 0, 3600, 10),
			map[string]float64{FuelLevelField: 100, "power_w": 0, "available": 0, EngineHoursField: 1, "kwh_total": 1}, nil},
		{"counters unimplemented", gencommImage(60, 0, 0xFFFFFFFF, 0xFFFFFFFE),
			map[string]float64{FuelLevelField: 60, "power_w": 0, "available": 0}, []string{EngineHoursField, "kwh_total"}},
		{"power unimplemented, GenComm's way", gencommImage(60, math.MaxInt32, 3600, 10),
			map[string]float64{FuelLevelField: 60, EngineHoursField: 1, "kwh_total": 1}, []string{"power_w"}},
		{"power unimplemented", gencommImage(60, math.MinInt32, 3600, 10),
			map[string]float64{FuelLevelField: 60, EngineHoursField: 1, "kwh_total": 1}, []string{"power_w"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := modbustest.Start(t, map[uint8]modbustest.Image{10: tc.img}).Reader(t)
			p, _ := Lookup("gencomm")
			got, skipped, err := p.Poll(context.Background(), r, 10, Options{TankLitres: 500})
			if err != nil {
				t.Fatalf("Poll: %v", err)
			}
			same(t, got, tc.want)
			slices.Sort(skipped)
			want := slices.Sorted(slices.Values(tc.skipped))
			if !slices.Equal(skipped, want) {
				t.Errorf("skipped = %q, want %q", skipped, want)
			}
		})
	}
}

// TestGencommFuelCounterWithRefills polls a live GenComm server whose fuel
// level falls, wobbles and is refilled, and counts litres as the source
// does.
func TestGencommFuelCounterWithRefills(t *testing.T) {
	const tank = 200.0
	srv := modbustest.Start(t, map[uint8]modbustest.Image{1: gencommImage(80, 5000, 3600, 10)})
	r := srv.Reader(t)
	p, _ := Lookup("gencomm")
	var c FuelCounter
	steps := []struct {
		level uint16
		total float64 // litres burned after this reading
	}{
		{80, 0},
		{78, 4},  // 2 % of 200 L
		{75, 10}, // 3 %
		{75, 10},
		{76, 10}, // sender wobble up: not a refill
		{75, 10}, // and back: not burn again
		{70, 20},
		{95, 20}, // refill
		{94, 22},
		{90, 30},
		{100, 30}, // refill to full
		{99, 32},
	}
	for i, s := range steps {
		srv.Set(1, regmap.Holding, 1027, s.level)
		vals, _, err := p.Poll(context.Background(), r, 1, Options{TankLitres: tank})
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		got := c.Observe(vals[FuelLevelField], tank)
		if math.Abs(got-s.total) > 1e-9 {
			t.Fatalf("step %d (level %d %%): burned %v L, want %v", i, s.level, got, s.total)
		}
	}
}

func TestFuelCounter(t *testing.T) {
	type obs struct{ level, tank, want float64 }
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		c    FuelCounter
		seq  []obs
	}{
		{"noise below deadband ignored, slow burn still counted", FuelCounter{}, []obs{
			{50, 100, 0}, {49.7, 100, 0}, {49.9, 100, 0}, {49.4, 100, 0.6}, {49.8, 100, 0.6}, {49.4, 100, 0.6},
			{49.1, 100, 0.6}, {48.9, 100, 1.1},
		}},
		{"bad readings ignored", FuelCounter{}, []obs{
			{nan, 100, 0}, {60, 100, 0}, {nan, 100, 0}, {120, 100, 0}, {-1, 100, 0}, {50, 0, 0}, {50, nan, 0},
			{55, 100, 5}, // measured from 60, the last good reading
		}},
		{"refill then burn", FuelCounter{}, []obs{{30, 1000, 0}, {20, 1000, 100}, {90, 1000, 100}, {85, 1000, 150}}},
		{"custom deadband and refill threshold", FuelCounter{Deadband: 2, RefillMin: 10}, []obs{
			{50, 100, 0}, {49, 100, 0}, {48, 100, 2}, {53, 100, 2}, {48, 100, 2}, {60, 100, 2}, {55, 100, 7},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			for i, o := range tc.seq {
				got := c.Observe(o.level, o.tank)
				if math.Abs(got-o.want) > 1e-9 {
					t.Fatalf("reading %d (%v %% of %v L): total %v, want %v", i, o.level, o.tank, got, o.want)
				}
			}
			if c.Total() != c.Observe(nan, 0) {
				t.Error("Total differs from the last Observe")
			}
		})
	}
}

func TestFuelCounterStateRestore(t *testing.T) {
	var a FuelCounter
	a.Observe(80, 100)
	a.Observe(70, 100) // 10 L
	var b FuelCounter
	b.Restore(a.State())
	if got := b.Observe(65, 100); got != 15 {
		t.Errorf("after restore: %v L, want 15 (counting on from 70 %%)", got)
	}
	for _, s := range []FuelState{
		{BurnedL: math.NaN(), LevelPct: 50, HaveLevel: true},
		{BurnedL: -3, LevelPct: 50, HaveLevel: true},
	} {
		var c FuelCounter
		c.Restore(s)
		if c.Total() != 0 || c.Observe(40, 100) != 10 {
			t.Errorf("Restore(%+v): total %v", s, c.Total())
		}
	}
	var c FuelCounter
	c.Restore(FuelState{BurnedL: 7, LevelPct: 250, HaveLevel: true})
	if c.Observe(40, 100) != 7 || c.Observe(30, 100) != 17 {
		t.Errorf("a restored bad level must be dropped: total %v", c.Total())
	}
}
