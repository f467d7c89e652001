package simulate

import (
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/registry"
)

// These tests look inside the model: they sweep a whole year of every
// facility of the example registry, which the public API would make slow.

const registryPath = "../../../configs/facilities.csv"

func loadRegistry(t testing.TB) []registry.Facility {
	t.Helper()
	reg, err := registry.Load(registryPath)
	if err != nil {
		t.Fatalf("load example registry: %v", err)
	}
	return reg.Facilities()
}

// TestYearSweep checks the model's daily figures for every facility of the
// example registry on every day of a year.
func TestYearSweep(t *testing.T) {
	d0 := localDay(time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC))
	var p dayPlan
	for _, f := range loadRegistry(t) {
		s := New(f, 1)
		var load, gen, fuel, down float64
		for d := d0; d < d0+365; d++ {
			s.fill(&p, d, false, nil)
			if f.PVkWp > 0 {
				if y := p.cum[cPV][stepsPerDay] / f.PVkWp; y < 3 || y > 7 {
					t.Errorf("%s %s: PV yield %.2f kWh/kWp, want within [3, 7]", f.ID, date(d).Format(time.DateOnly), y)
				}
			}
			n := 0
			for i := range stepsPerDay {
				if !p.live(i) {
					n++
				}
				load += linPartial(p.load[i], p.load[i+1], 1) * stepHours / 1000
			}
			if h := float64(n) / 4; h < 1 || h > 16 {
				t.Errorf("%s %s: grid down %.2f h, want within [1, 16]", f.ID, date(d).Format(time.DateOnly), h)
			}
			down += float64(n) / 4
			gen += p.cum[cGen][stepsPerDay]
			fuel += p.cum[cFuel][stepsPerDay]
		}
		kw := load / 365 / 24
		switch f.Type {
		case registry.TypeHospital:
			if perBed := kw / float64(f.Beds); perBed < 1 || perBed > 2.5 {
				t.Errorf("%s: hospital draws %.2f kW per bed over the year, want within [1, 2.5]", f.ID, perBed)
			}
		case registry.TypePHC:
			if kw < 5 || kw > 20 {
				t.Errorf("%s: PHC centre draws %.1f kW over the year, want within [5, 20]", f.ID, kw)
			}
		}
		if h := down / 365; h < 2 || h > 12 {
			t.Errorf("%s: grid down %.1f h a day over the year, want within [2, 12]", f.ID, h)
		}
		if s.hasGen {
			if r := fuel / gen; r < 0.25 || r > 0.35 {
				t.Errorf("%s: generator burns %.3f L/kWh, want within [0.25, 0.35]", f.ID, r)
			}
		} else if gen != 0 {
			t.Errorf("%s: no generator, yet it delivered %.1f kWh", f.ID, gen)
		}
	}
}

// TestMonthlyHazardousShare checks every facility's hazardous share of the
// waste mass in every month of a year.
func TestMonthlyHazardousShare(t *testing.T) {
	for _, f := range loadRegistry(t) {
		s := New(f, 3)
		for m := time.January; m <= time.December; m++ {
			from := time.Date(2025, m, 1, 0, 0, 0, 0, time.UTC)
			var all, haz float64
			for d := localDay(from); d < localDay(from.AddDate(0, 1, 0)); d++ {
				for _, r := range s.wasteDay(d) {
					kg, _ := r.Field("mass_kg")
					all += kg.Num
					if r.Tag("category") != "general" {
						haz += kg.Num
					}
				}
			}
			if share := haz / all; !(share >= 0.10 && share <= 0.25) {
				t.Errorf("%s %s: hazardous share %.3f, want within [0.10, 0.25]", f.ID, m, share)
			}
		}
	}
}

// TestResets checks that meters reset rarely, never in quick succession,
// and restart from a small value.
func TestResets(t *testing.T) {
	fs := loadRegistry(t)
	d0 := localDay(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	const years = 8
	for _, f := range fs[:40] {
		s := New(f, 1)
		for m := range nMeters {
			var days []int64
			for d := d0; d < d0+years*365; d++ {
				if s.lastReset(m, d) == d {
					days = append(days, d)
				}
			}
			// The span is 5.7 eras long and touches up to 7, each with
			// one reset.
			if n := len(days); n < 5 || n > 7 {
				t.Errorf("%s meter %d: %d resets in %d years, want about one every %d days", f.ID, m, n, years, resetEra)
			}
			for i := 1; i < len(days); i++ {
				if gap := days[i] - days[i-1]; gap < resetEra/2 {
					t.Errorf("%s meter %d: resets %d days apart", f.ID, m, gap)
				}
			}
		}
		for c := range nCounters {
			if v := s.restartValue(c, d0); v < 0 || v > 0.5 {
				t.Errorf("%s counter %d: restarts from %v, want within [0, 0.5]", f.ID, c, v)
			}
		}
	}
}

// TestStartsIndependentOfCache checks that the counter values at a day's
// start are the same whichever cached day the walk started from.
func TestStartsIndependentOfCache(t *testing.T) {
	f := loadRegistry(t)[0]
	d := localDay(time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC))
	cold := New(f, 1)
	want := cold.startsLocked(d)

	warm := New(f, 1)
	for _, k := range []int64{d - 400, d - 100, d - 3} {
		warm.startsLocked(k)
	}
	if got := warm.startsLocked(d); got != want {
		t.Errorf("starts after a warm cache = %v, want %v", got, want)
	}
}

func TestPosPartial(t *testing.T) {
	tests := []struct {
		a, b, frac, want float64
	}{
		{2, 4, 1, 3},
		{2, 4, 0.5, 1.25},
		{-2, -4, 1, 0},
		{2, -2, 1, 0.5},
		{2, -2, 0.25, 0.375},
		{-2, 2, 1, 0.5},
		{-2, 2, 0.5, 0},
		{-2, 2, 0.75, 0.125},
	}
	for _, tt := range tests {
		if got := posPartial(tt.a, tt.b, tt.frac); got != tt.want {
			t.Errorf("posPartial(%v, %v, %v) = %v, want %v", tt.a, tt.b, tt.frac, got, tt.want)
		}
	}
}

// TestResetInReadings checks what a meter reset looks like to the
// collector: at local midnight the counter drops to a small value and
// counts on from there, and the day's increase, counted as SPEC says,
// stays a normal day.
func TestResetInReadings(t *testing.T) {
	for _, f := range loadRegistry(t)[:10] {
		if f.PVkWp == 0 {
			continue
		}
		s := New(f, 1)
		r := s.resetDay(mPV, floorDiv(localDay(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)), resetEra))
		rs := s.Readings(dayStart(r-1), dayStart(r+1), 15*time.Minute)
		var last, yield float64
		var drops []time.Time
		for _, x := range rs {
			if x.Stream != "solar" {
				continue
			}
			v, _ := x.Field("kwh_total")
			if v.Num < last {
				drops = append(drops, x.Time)
				if v.Num > 0.02*f.PVkWp+0.001 {
					t.Errorf("%s: PV counter restarts from %v kWh", f.ID, v.Num)
				}
			}
			if !x.Time.Before(dayStart(r)) {
				if v.Num < last {
					yield += v.Num
				} else {
					yield += v.Num - last
				}
			}
			last = v.Num
		}
		if len(drops) != 1 || !drops[0].Equal(dayStart(r)) {
			t.Errorf("%s: PV counter drops at %v, want once at %s", f.ID, drops, dayStart(r))
		}
		if y := yield / f.PVkWp; y < 3 || y > 7 {
			t.Errorf("%s: yield %.2f kWh/kWp on the reset day, want within [3, 7]", f.ID, y)
		}
	}
}

func TestBefore2000(t *testing.T) {
	s := New(loadRegistry(t)[0], 1)
	y2k := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	if rs := s.Samples(y2k.Add(-time.Second)); rs != nil {
		t.Errorf("Samples before 2000 = %d readings, want none", len(rs))
	}
	if rs := s.WasteEvents(y2k.Add(-time.Hour)); rs != nil {
		t.Errorf("WasteEvents before 2000 = %d readings, want none", len(rs))
	}
	rs := s.Readings(y2k.AddDate(0, 0, -2), y2k.AddDate(0, 0, 1), time.Hour)
	if len(rs) == 0 {
		t.Fatal("no Readings across 2000")
	}
	if !rs[0].Time.Equal(y2k) {
		t.Errorf("Readings across 2000 start at %v, want at 2000-01-01", rs[0].Time)
	}
}
