package simulate_test

import (
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

var baghdad = time.FixedZone("Asia/Baghdad", 3*3600)

// testFacilities returns the first rows of the example registry and a few
// synthetic facilities.
func testFacilities(t testing.TB) []registry.Facility {
	t.Helper()
	reg, err := registry.Load("../../../configs/facilities.csv")
	if err != nil {
		t.Fatalf("load example registry: %v", err)
	}
	fs := reg.Facilities()[:20]
	return append(fs, registry.Synthesize(5, 42)...)
}

// series names one counter series: stream, meter or inverter, source.
func series(r reading.Reading) string {
	return fmt.Sprintf("%s/%s%s/%s", r.Stream, r.Tag("meter"), r.Tag("inverter"), r.Tag("source"))
}

func num(t *testing.T, r reading.Reading, key string) (float64, bool) {
	t.Helper()
	f, ok := r.Field(key)
	if ok && f.Kind != reading.KindFloat {
		t.Fatalf("%s %s: %s is a %s", r.Facility, r.Time, key, f.Kind)
	}
	return f.Num, ok
}

// rebuild passes r through a fresh Builder: a reading that comes back
// unchanged is one the collector accepts.
func rebuild(t *testing.T, r reading.Reading) {
	t.Helper()
	b, ok := reading.NewBuilder(r.Stream)
	if !ok {
		t.Fatalf("reading of stream %q, which stores nothing", r.Stream)
	}
	for _, tag := range r.Tags {
		b.SetTag(tag.Key, tag.Value)
	}
	for _, f := range r.Fields {
		switch f.Kind {
		case reading.KindFloat:
			b.SetFloat(f.Key, f.Num)
		case reading.KindBool:
			b.SetBool(f.Key, f.Bool)
		case reading.KindString:
			b.SetString(f.Key, f.Str)
		}
	}
	got, err := b.Build(r.Facility, r.Time, r.Time, reading.Limits{MaxFuture: time.Hour})
	if err != nil {
		t.Fatalf("%s %s %s: invalid: %v", r.Facility, r.Stream, r.Time, err)
	}
	if !reflect.DeepEqual(got, r) {
		t.Fatalf("rebuilt reading differs:\n got %+v\nwant %+v", got, r)
	}
}

// TestHistory checks 30 days of history of each test facility, in summer
// and in winter, against the contract and the model's promises.
func TestHistory(t *testing.T) {
	windows := []struct {
		name string
		from time.Time
	}{
		{"summer", time.Date(2025, 6, 20, 0, 0, 0, 0, baghdad)},
		{"winter", time.Date(2025, 12, 10, 0, 0, 0, 0, baghdad)},
	}
	const days = 30
	for _, f := range testFacilities(t) {
		for _, w := range windows {
			t.Run(f.ID+"/"+w.name, func(t *testing.T) {
				s := simulate.New(f, 1)
				rs := s.Readings(w.from, w.from.AddDate(0, 0, days), 15*time.Minute)
				checkHistory(t, f, s, rs, days)
			})
		}
	}
}

func checkHistory(t *testing.T, f registry.Facility, s *simulate.Sim, rs []reading.Reading, days int) {
	t.Helper()
	type counter struct {
		last        float64
		seen        bool
		resets      int
		byDay       map[string]float64 // increase per local day, as the roll-ups count it
		sinceFirst  float64
		lastReading time.Time
	}
	counters := map[string]*counter{}
	var downHours, genKWh, fuelL, wasteKg, hazKg float64
	ids := map[string]bool{}
	idPattern := regexp.MustCompile(`^` + regexp.QuoteMeta(f.ID) + `-\d{8}-\d+$`)
	var prev time.Time
	for _, r := range rs {
		rebuild(t, r)
		if r.Facility != f.ID {
			t.Fatalf("reading of facility %q, want %q", r.Facility, f.ID)
		}
		if r.Time.Before(prev) {
			t.Fatalf("readings out of order: %s after %s", r.Time, prev)
		}
		prev = r.Time
		if r.Stream == reading.Waste {
			kg, _ := num(t, r, "mass_kg")
			wasteKg += kg
			if r.Tag("category") != "general" {
				hazKg += kg
			}
			id, _ := r.Field("id")
			if !idPattern.MatchString(id.Str) || ids[id.Str] {
				t.Errorf("waste id %q: want unique %s-<yyyymmdd>-<n>", id.Str, f.ID)
			}
			ids[id.Str] = true
			if h := r.Time.In(baghdad).Hour(); h < 8 || h >= 15 {
				t.Errorf("waste event %s at %s local, want in working hours", id.Str, r.Time.In(baghdad).Format(time.TimeOnly))
			}
			if _, ok := num(t, r, "stored_hours"); !ok {
				t.Errorf("waste event %s has no stored_hours", id.Str)
			}
			continue
		}
		if avail, ok := r.Field("available"); ok && r.Tag("source") == "grid" && !avail.Bool {
			downHours += 0.25
		}
		for _, key := range []string{"kwh_total", "fuel_l_total"} {
			v, ok := num(t, r, key)
			if !ok {
				continue
			}
			k := series(r) + "/" + key
			c := counters[k]
			if c == nil {
				c = &counter{byDay: map[string]float64{}}
				counters[k] = c
			}
			inc := v - c.last
			if inc < 0 {
				c.resets++
				inc = v // SPEC: after a reset the reading itself is the increase
			}
			if c.seen {
				c.byDay[r.Time.In(baghdad).Format(time.DateOnly)] += inc
				c.sinceFirst += inc
			}
			c.last, c.seen = v, true
		}
	}

	for k, c := range counters {
		if c.resets > 1 {
			t.Errorf("%s: %d resets in %d days, want at most 1", k, c.resets, days)
		}
	}
	if f.PVkWp > 0 {
		c := counters["solar/main//kwh_total"]
		if c == nil {
			t.Fatalf("no solar readings for a facility with %.1f kWp", f.PVkWp)
		}
		if len(c.byDay) != days {
			t.Errorf("solar yield on %d days, want %d", len(c.byDay), days)
		}
		for day, kwh := range c.byDay {
			if y := kwh / f.PVkWp; y < 3 || y > 7 {
				t.Errorf("%s: PV yield %.2f kWh/kWp, want within [3, 7]", day, y)
			}
		}
	} else if _, ok := counters["solar/main//kwh_total"]; ok {
		t.Errorf("solar readings for a facility without PV")
	}
	if h := downHours / float64(days); h < 2 || h > 14 {
		t.Errorf("grid down %.1f h a day, want within [2, 14]", h)
	}
	if gen := counters["energy/gen1/generator/kwh_total"]; s.HasGenerator() {
		genKWh, fuelL = gen.sinceFirst, counters["energy/gen1/generator/fuel_l_total"].sinceFirst
		if genKWh <= 0 {
			t.Errorf("generator delivered %.1f kWh in %d days of outages", genKWh, days)
		} else if r := fuelL / genKWh; r < 0.25 || r > 0.35 {
			t.Errorf("generator burned %.3f L/kWh, want within [0.25, 0.35]", r)
		}
	} else if gen != nil {
		t.Errorf("generator readings for a facility without a generator")
	}
	if share := hazKg / wasteKg; !(share >= 0.10 && share <= 0.25) {
		t.Errorf("hazardous share %.3f of %.0f kg, want within [0.10, 0.25]", share, wasteKg)
	}
}

// TestDeterminism checks that the seed, and only the seed, decides the
// readings.
func TestDeterminism(t *testing.T) {
	from := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 0, 3)
	for _, f := range testFacilities(t)[:5] {
		a := simulate.New(f, 7).Readings(from, to, 15*time.Minute)
		b := simulate.New(f, 7).Readings(from, to, 15*time.Minute)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("%s: two Sims with the same seed differ", f.ID)
		}
		if c := simulate.New(f, 8).Readings(from, to, 15*time.Minute); reflect.DeepEqual(a, c) {
			t.Errorf("%s: seeds 7 and 8 give the same readings", f.ID)
		}
	}
}

// TestSamplesMatchHistory checks that live samples equal the history at
// the same instant, whatever the Sim computed before.
func TestSamplesMatchHistory(t *testing.T) {
	from := time.Date(2025, 8, 1, 0, 0, 0, 0, baghdad)
	to := from.AddDate(0, 0, 30)
	for _, f := range testFacilities(t) {
		t.Run(f.ID, func(t *testing.T) {
			hist := simulate.New(f, 1)
			rs := hist.Readings(from, to, 15*time.Minute)
			at := map[int64][]reading.Reading{}
			for _, r := range rs {
				if r.Stream != reading.Waste {
					at[r.Time.UnixNano()] = append(at[r.Time.UnixNano()], r)
				}
			}
			live := simulate.New(f, 1)
			// Out of order and across days, so the live Sim's caches hold
			// other days than the history's did.
			for _, off := range []time.Duration{29*24*time.Hour + 45*time.Minute, 0, 13*time.Hour + 30*time.Minute,
				15*24*time.Hour + 6*time.Hour, 24 * time.Hour, 24*time.Hour - 15*time.Minute} {
				tick := from.Add(off)
				want := at[tick.UnixNano()]
				if len(want) == 0 {
					t.Fatalf("no history at %s", tick)
				}
				for _, s := range []*simulate.Sim{live, hist} {
					if got := s.Samples(tick); !reflect.DeepEqual(got, want) {
						t.Errorf("Samples(%s) =\n%+v\nhistory has\n%+v", tick, got, want)
					}
				}
			}
		})
	}
}

// TestSamplesBetweenTicks checks that a sample off the tick grid lies
// between its neighbours on it: counters and power are continuous.
func TestSamplesBetweenTicks(t *testing.T) {
	f := testFacilities(t)[0]
	s := simulate.New(f, 1)
	t0 := time.Date(2025, 5, 3, 11, 0, 0, 0, baghdad)
	a, m, b := s.Samples(t0), s.Samples(t0.Add(7*time.Minute+500*time.Millisecond)), s.Samples(t0.Add(15*time.Minute))
	for i := range m {
		for _, key := range []string{"kwh_total", "fuel_l_total"} {
			lo, ok := num(t, a[i], key)
			if !ok {
				continue
			}
			mid, _ := num(t, m[i], key)
			hi, _ := num(t, b[i], key)
			if mid < lo || mid > hi {
				t.Errorf("%s %s: %v at mid-step, want within [%v, %v]", series(m[i]), key, mid, lo, hi)
			}
		}
	}
}

func TestSamplesStreams(t *testing.T) {
	tick := time.Date(2025, 4, 1, 12, 0, 0, 0, time.UTC)
	for _, f := range testFacilities(t) {
		s := simulate.New(f, 1)
		var got []string
		for _, r := range s.Samples(tick) {
			got = append(got, series(r))
			if _, ok := r.Field("battery_soc_pct"); r.Stream == reading.Solar && ok != s.HasBattery() {
				t.Errorf("%s: battery_soc_pct present %v, battery %v", f.ID, ok, s.HasBattery())
			}
		}
		want := []string{"energy/main/grid"}
		if s.HasGenerator() {
			want = append(want, "energy/gen1/generator")
		}
		if f.PVkWp > 0 {
			want = append(want, "solar/main/")
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: Samples gives %v, want %v", f.ID, got, want)
		}
	}
}

func TestReadingsBounds(t *testing.T) {
	f := testFacilities(t)[0]
	s := simulate.New(f, 1)
	from := time.Date(2025, 4, 1, 17, 7, 0, 0, baghdad) // after the day's waste hand-overs
	tests := []struct {
		name       string
		from, to   time.Time
		step       time.Duration
		ticks      int
		firstTick  time.Time
		wantEvents bool
	}{
		{"hour", from, from.Add(time.Hour), 15 * time.Minute, 4, from.Add(8 * time.Minute), false},
		{"aligned from, exclusive to", from.Add(8 * time.Minute), from.Add(68 * time.Minute), 15 * time.Minute, 4, from.Add(8 * time.Minute), false},
		{"step of a day", from, from.AddDate(0, 0, 3), 24 * time.Hour, 3, time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC), true},
		{"empty", from, from, time.Minute, 0, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := s.Readings(tt.from, tt.to, tt.step)
			ticks := map[int64]bool{}
			events := 0
			for _, r := range rs {
				if r.Time.Before(tt.from) || !r.Time.Before(tt.to) {
					t.Errorf("reading at %s outside [%s, %s)", r.Time, tt.from, tt.to)
				}
				if r.Stream == reading.Waste {
					events++
					continue
				}
				ticks[r.Time.UnixNano()] = true
				if !r.Time.Equal(r.Time.Truncate(tt.step)) {
					t.Errorf("sample at %s, not aligned to %s", r.Time, tt.step)
				}
			}
			if len(ticks) != tt.ticks {
				t.Errorf("%d ticks, want %d", len(ticks), tt.ticks)
			}
			if tt.ticks > 0 && !ticks[tt.firstTick.UnixNano()] {
				t.Errorf("no tick at %s", tt.firstTick)
			}
			if (events > 0) != tt.wantEvents {
				t.Errorf("%d waste events", events)
			}
		})
	}
}

func TestWasteEvents(t *testing.T) {
	for _, f := range testFacilities(t) {
		s := simulate.New(f, 1)
		var weekday, friday int
		for d := range 28 {
			day := time.Date(2025, 9, 1+d, 12, 0, 0, 0, baghdad)
			evs := s.WasteEvents(day)
			// Any time of the local day names the same day, even one that
			// is still the previous day in UTC.
			if early := s.WasteEvents(time.Date(2025, 9, 1+d, 1, 0, 0, 0, baghdad)); !reflect.DeepEqual(early, evs) {
				t.Errorf("%s: WasteEvents at 01:00 and 12:00 of %s differ", f.ID, day.Format(time.DateOnly))
			}
			if day.Weekday() == time.Friday {
				friday += len(evs)
			} else {
				weekday += len(evs)
			}
			for i, e := range evs {
				if got := e.Time.In(baghdad).Format(time.DateOnly); got != day.Format(time.DateOnly) {
					t.Errorf("%s: event of %s dated %s", f.ID, day.Format(time.DateOnly), got)
				}
				if i > 0 && !evs[i-1].Time.Before(e.Time) {
					t.Errorf("%s: events at %s and %s not in strict time order", f.ID, evs[i-1].Time, e.Time)
				}
				kg, _ := e.Field("mass_kg")
				if kg.Num <= 0 || kg.Num > 10000 {
					t.Errorf("%s: mass %v kg", f.ID, kg.Num)
				}
			}
		}
		// 4 Fridays against 24 other days.
		if float64(friday)/4 >= float64(weekday)/24 {
			t.Errorf("%s: %d events on 4 Fridays, %d on 24 other days: want fewer on Fridays", f.ID, friday, weekday)
		}
	}
}

// TestConcurrentSamples checks that goroutines sharing a Sim, each asking
// for other days, get what a Sim of their own gives.
func TestConcurrentSamples(t *testing.T) {
	f := testFacilities(t)[0]
	shared := simulate.New(f, 1)
	t0 := time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	const workers = 4
	errs := make(chan error, workers)
	for w := range workers {
		go func() {
			own := simulate.New(f, 1)
			for i := range 50 {
				at := t0.Add(time.Duration(w*97+i*13) * time.Hour)
				if got, want := shared.Samples(at), own.Samples(at); !reflect.DeepEqual(got, want) {
					errs <- fmt.Errorf("Samples(%s) from the shared Sim differs", at)
					return
				}
			}
			errs <- nil
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
