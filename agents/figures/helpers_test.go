package figures

import (
	"log/slog"
	"math"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

const facility = "BG-H-001"

func baghdad(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Baghdad")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func at(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// clock is a settable clock for a store.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

// openStore opens a store in dir at the clock's time, with SPEC's
// parameters, 100 beds and 50 kWp.
func openStore(t testing.TB, dir string, c *clock, loc *time.Location) *Store {
	t.Helper()
	s, err := Open(dir, Options{Facility: facility, Location: loc, Params: indicators.DefaultParams(),
		Beds: 100, PVkWp: 50, SaveInterval: time.Hour, Now: c.Now}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func build(t testing.TB, b *reading.Builder, ts time.Time) reading.Reading {
	t.Helper()
	r, err := b.Build(facility, ts, ts, reading.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// energy is a reading of meter (source) with kwh_total kwh, and fuel_l_total
// and available when fuel >= 0 and avail is "live" or "down".
func energy(t testing.TB, ts time.Time, meter, source string, kwh, fuel float64, avail string) reading.Reading {
	t.Helper()
	b, _ := reading.NewBuilder(reading.Energy)
	b.SetTag("meter", meter)
	b.SetTag("source", source)
	b.SetFloat("kwh_total", kwh)
	if fuel >= 0 {
		b.SetFloat("fuel_l_total", fuel)
	}
	if avail != "" {
		b.SetBool("available", avail == "live")
	}
	return build(t, b, ts)
}

func grid(t testing.TB, ts time.Time, kwh float64, avail string) reading.Reading {
	t.Helper()
	return energy(t, ts, "main", "grid", kwh, -1, avail)
}

func solar(t testing.TB, ts time.Time, inverter string, kwh float64) reading.Reading {
	t.Helper()
	b, _ := reading.NewBuilder(reading.Solar)
	b.SetTag("inverter", inverter)
	b.SetFloat("kwh_total", kwh)
	return build(t, b, ts)
}

// waste is a hand-over; stored < 0 leaves stored_hours out.
func waste(t testing.TB, ts time.Time, category, treatment string, kg, stored float64) reading.Reading {
	t.Helper()
	b, _ := reading.NewBuilder(reading.Waste)
	b.SetTag("category", category)
	b.SetTag("treatment", treatment)
	b.SetFloat("mass_kg", kg)
	if stored >= 0 {
		b.SetFloat("stored_hours", stored)
	}
	return build(t, b, ts)
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// periodNamed returns the period called name of r.
func periodNamed(t testing.TB, r Report, name string) Period {
	t.Helper()
	for _, p := range r.Periods {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no period %q in %+v", name, r.Periods)
	return Period{}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
