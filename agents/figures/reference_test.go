package figures

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// TestMatchesTheReferenceFormulas feeds three days of a simulated hospital
// (grid with outages, generator with fuel, PV, waste) to the store, tick
// by tick as the agent does, and compares every day's and the month's
// figures with SPEC's rules applied to the whole history at once: the
// reference functions of collector/indicators (CounterIncrease,
// Availability) that the collector's roll-up is tested against.
func TestMatchesTheReferenceFormulas(t *testing.T) {
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	row, ok := reg.Lookup(facility)
	if !ok {
		t.Fatalf("%s not in the registry", facility)
	}
	loc := baghdad(t)
	now := at(t, "2026-07-03T09:02:00Z") // 12:02 on 3 July, local
	from := at(t, "2026-06-30T19:00:00Z")
	history := simulate.New(row, 3).Readings(from, now, 5*time.Minute)
	// An extra meter reset mid-day, and a manual meter reading out of
	// the ticks' rhythm.
	history = append(history, energy(t, now.Add(-time.Minute), "main", "grid", 2, -1, "live"))

	c := &clock{now}
	s, err := Open(t.TempDir(), Options{Facility: facility, Location: loc, Params: indicators.DefaultParams(),
		Beds: row.Beds, PVkWp: row.PVkWp, Now: c.Now}, discard())
	if err != nil {
		t.Fatal(err)
	}
	// One tick at a time, as the simulator source emits them.
	for i := 0; i < len(history); {
		j := i + 1
		for j < len(history) && history[j].Time.Equal(history[i].Time) {
			j++
		}
		s.Add(history[i:j])
		i = j
	}

	ref := reference(history)
	r := s.Report(indicators.Month)
	if len(r.Days) != 3 {
		t.Fatalf("%d days in July, want 3", len(r.Days))
	}
	var month indicators.FacilityInput
	for _, d := range r.Days {
		p := indicators.PeriodOf(indicators.Day, d.Date.In(loc), loc)
		in := ref.input(p)
		month.Merge(in)
		in.Beds, in.Days = row.Beds, 1
		compare(t, d.Date.String(), d.Values, indicators.Facility(in, indicators.DefaultParams()))
	}
	mp := indicators.PeriodOf(indicators.Month, now, loc)
	for d := (events.Date{Year: 2026, Month: time.July, Day: 4}); d.Month == time.July; d = d.AddDays(1) {
		month.Merge(ref.input(indicators.PeriodOf(indicators.Day, d.In(loc), loc)))
	}
	month.Beds, month.Days = row.Beds, mp.Days()
	compare(t, "July", periodNamed(t, r, "this_month").Values, indicators.Facility(month, indicators.DefaultParams()))

	if v := periodNamed(t, r, "this_month").Values; v[indicators.GeneratorFuelL] <= 0 || v[indicators.SolarKWh] <= 0 ||
		v[indicators.GridAvailabilityPct] <= 0 || v[indicators.GridAvailabilityPct] >= 100 || v[indicators.WasteKg] <= 0 {
		t.Errorf("the simulated hospital should have fuel, solar, outages and waste: %v", v)
	}
}

func compare(t *testing.T, what string, got map[indicators.ID]float64, want indicators.Terms) {
	t.Helper()
	vals := want.Values(false)
	if len(got) != len(vals) {
		t.Errorf("%s: %d values %v, want %d", what, len(got), got, len(vals))
	}
	for _, v := range vals {
		if g, ok := got[v.ID]; !ok || !near(g, v.Value) {
			t.Errorf("%s: %s = %v (%v), want %v", what, v.ID, g, ok, v.Value)
		}
	}
}

// history is readings by series, in time order, for the reference
// formulas.
type history struct {
	counters map[string][]indicators.Sample
	meta     map[string]counterSum
	grid     map[string][]indicators.Sample
	waste    []reading.Reading
	all      []reading.Reading
}

func reference(rs []reading.Reading) *history {
	h := &history{counters: map[string][]indicators.Sample{}, meta: map[string]counterSum{}, grid: map[string][]indicators.Sample{}, all: rs}
	sorted := append([]reading.Reading(nil), rs...)
	sortByTime(sorted)
	for _, r := range sorted {
		ts := time.UnixMilli(r.Time.UnixMilli()).UTC()
		switch r.Stream {
		case reading.Energy, reading.Solar:
			meter, source := r.Tag("meter"), r.Tag("source")
			if r.Stream == reading.Solar {
				meter = r.Tag("inverter")
			}
			for _, field := range []string{"kwh_total", "fuel_l_total"} {
				if f, ok := r.Field(field); ok {
					k := counterKey(r.Stream, meter, source, field)
					h.counters[k] = append(h.counters[k], indicators.Sample{Time: ts, Value: f.Num})
					h.meta[k] = counterSum{Stream: r.Stream, Meter: meter, Source: source, Field: field}
				}
			}
			if f, ok := r.Field("available"); ok && source == "grid" {
				v := 0.0
				if f.Bool {
					v = 1
				}
				h.grid[meter] = append(h.grid[meter], indicators.Sample{Time: ts, Value: v})
			}
		case reading.Waste:
			h.waste = append(h.waste, r)
		}
	}
	return h
}

func sortByTime(rs []reading.Reading) {
	for i := 1; i < len(rs); i++ { // insertion sort, stable: the history is nearly sorted
		for j := i; j > 0 && rs[j].Time.Before(rs[j-1].Time); j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// input is the reference reduction of period p.
func (h *history) input(p indicators.Period) indicators.FacilityInput {
	var in indicators.FacilityInput
	meters := map[[2]string]*indicators.Meter{}
	for k, samples := range h.counters {
		inc, ok := indicators.CounterIncrease(samples, p.Start, p.End)
		for _, s := range samples {
			if !s.Time.Before(p.Start) && s.Time.Before(p.End) {
				in.Reported = true
			}
		}
		if !ok {
			continue
		}
		m := h.meta[k]
		c := indicators.Counter{Increase: inc, OK: true}
		if m.Stream == reading.Solar {
			in.Solar = append(in.Solar, c)
			continue
		}
		id := [2]string{m.Meter, m.Source}
		if meters[id] == nil {
			meters[id] = &indicators.Meter{Source: m.Source}
		}
		if m.Field == "fuel_l_total" {
			meters[id].Fuel = c
		} else {
			meters[id].KWh = c
		}
	}
	for _, m := range meters {
		in.Meters = append(in.Meters, *m)
	}
	for _, samples := range h.grid {
		live, covered := indicators.Availability(samples, p.Start, p.End)
		if covered > 0 {
			in.Meters = append(in.Meters, indicators.Meter{Source: "grid", Live: live, Covered: covered})
		}
	}
	classes := map[[2]string]*indicators.WasteClass{}
	for _, r := range h.waste {
		if r.Time.Before(p.Start) || !r.Time.Before(p.End) {
			continue
		}
		in.Reported = true
		k := [2]string{r.Tag("category"), r.Tag("treatment")}
		if classes[k] == nil {
			classes[k] = &indicators.WasteClass{Category: k[0], Treatment: k[1]}
		}
		m, _ := r.Field("mass_kg")
		classes[k].Kg += m.Num
		classes[k].Events++
		if sh, ok := r.Field("stored_hours"); ok && sh.Num > 24 {
			classes[k].StorageExceeded++
		}
	}
	for _, c := range classes {
		in.Waste = append(in.Waste, *c)
	}
	return in
}
