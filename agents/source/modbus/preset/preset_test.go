package preset

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/greenpulse-health/greenpulse/internal/modbustest"
	"github.com/greenpulse-health/greenpulse/reading"
)

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		p, ok := Lookup(name)
		if !ok {
			t.Fatalf("Lookup(%q) failed", name)
		}
		if p.Name() != name || p.Stream() != reading.Energy {
			t.Errorf("%s: Name %q, Stream %q", name, p.Name(), p.Stream())
		}
	}
	if _, ok := Lookup("sdm72"); ok {
		t.Error("Lookup of an unknown preset succeeded")
	}
	if !slices.IsSorted(Names()) {
		t.Errorf("Names not sorted: %v", Names())
	}
}

func TestOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		o  Options
		ok bool
	}{
		{Options{}, true},
		{Options{TankLitres: 500, MinVoltage: 180}, true},
		{Options{TankLitres: -1}, false},
		{Options{MinVoltage: math.NaN()}, false},
		{Options{TankLitres: math.Inf(1)}, false},
	} {
		if err := tc.o.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: Validate() = %v", tc.o, err)
		}
	}
}

func sdm630Image(v1, v2, v3, power, kwh float64) modbustest.Image {
	in := zeros(0, 0x50)
	with(in, 0x0000, f32(v1)...)
	with(in, 0x0002, f32(v2)...)
	with(in, 0x0004, f32(v3)...)
	with(in, 0x0034, f32(power)...)
	with(in, 0x0048, f32(kwh)...)
	with(in, 0x0156, f32(kwh+999)...) // "total" (import + export): must not be read
	return modbustest.Image{Input: in}
}

func sdm120Image(v, power, kwh float64) modbustest.Image {
	in := zeros(0, 0x50)
	with(in, 0x0000, f32(v)...)
	with(in, 0x000C, f32(power)...)
	with(in, 0x0048, f32(kwh)...)
	return modbustest.Image{Input: in}
}

func TestEastron(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name    string
		preset  string
		img     modbustest.Image
		opt     Options
		want    map[string]float64
		skipped []string
	}{
		{"sdm630 mains present", "sdm630", sdm630Image(231.2, 229.8, 230.5, 1520.5, 12345.6), Options{},
			map[string]float64{"kwh_total": asF32(12345.6), "power_w": asF32(1520.5), "available": 1}, nil},
		{"sdm630 grid down", "sdm630", sdm630Image(0, 0, 0, 0, 12345.6), Options{},
			map[string]float64{"kwh_total": asF32(12345.6), "power_w": 0, "available": 0}, nil},
		{"sdm630 one live phase", "sdm630", sdm630Image(0, 0, 228, 300, 10), Options{},
			map[string]float64{"kwh_total": 10, "power_w": 300, "available": 1}, nil},
		{"sdm630 brown-out below default", "sdm630", sdm630Image(90, 85, 92, 50, 10), Options{},
			map[string]float64{"kwh_total": 10, "power_w": 50, "available": 0}, nil},
		{"sdm630 brown-out, threshold 80 V", "sdm630", sdm630Image(90, 85, 92, 50, 10), Options{MinVoltage: 80},
			map[string]float64{"kwh_total": 10, "power_w": 50, "available": 1}, nil},
		{"sdm630 import NaN", "sdm630", sdm630Image(230, 230, 230, 50, nan), Options{},
			map[string]float64{"power_w": 50, "available": 1}, []string{"kwh_total"}},
		{"sdm630 negative import", "sdm630", sdm630Image(230, 230, 230, 50, -3), Options{},
			map[string]float64{"power_w": 50, "available": 1}, []string{"kwh_total"}},
		{"sdm630 no voltage readable", "sdm630", sdm630Image(nan, nan, nan, 50, 10), Options{},
			map[string]float64{"kwh_total": 10, "power_w": 50}, []string{"available"}},
		{"sdm630 one voltage NaN", "sdm630", sdm630Image(nan, 0, 0, 0, 10), Options{},
			map[string]float64{"kwh_total": 10, "power_w": 0, "available": 0}, nil},
		{"sdm120 live", "sdm120", sdm120Image(239.5, -20.25, 4321.5), Options{},
			map[string]float64{"kwh_total": 4321.5, "power_w": -20.25, "available": 1}, nil},
		{"sdm120 grid down", "sdm120", sdm120Image(0, 0, 4321.5), Options{},
			map[string]float64{"kwh_total": 4321.5, "power_w": 0, "available": 0}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := modbustest.Start(t, map[uint8]modbustest.Image{5: tc.img}).Reader(t)
			p, _ := Lookup(tc.preset)
			got, skipped, err := p.Poll(context.Background(), r, 5, tc.opt)
			if err != nil {
				t.Fatalf("Poll: %v", err)
			}
			same(t, got, tc.want)
			if !slices.Equal(skipped, tc.skipped) {
				t.Errorf("skipped = %q, want %q", skipped, tc.skipped)
			}
		})
	}
}

func TestPollDeadUnit(t *testing.T) {
	r := modbustest.Start(t, map[uint8]modbustest.Image{1: sdm630Image(230, 230, 230, 1, 1)}).Reader(t)
	for _, name := range Names() {
		p, _ := Lookup(name)
		got, _, err := p.Poll(context.Background(), r, 9, Options{})
		if err == nil {
			t.Errorf("%s: Poll of a missing unit succeeded with %v", name, got)
		}
		if _, ok := got["available"]; ok {
			t.Errorf("%s: available = %v from a failed poll", name, got["available"])
		}
	}
}

func same(t *testing.T, got, want map[string]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %v, want %v", got, want)
		return
	}
	for k, w := range want {
		if g, ok := got[k]; !ok || math.Abs(g-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("%s = %v (present %v), want %v; all: %v", k, g, ok, w, got)
		}
	}
}
