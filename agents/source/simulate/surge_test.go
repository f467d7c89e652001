package simulate_test

import (
	"context"
	"errors"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// arbaeen is an event shaped like Arba'een 2025 over Karbala and Najaf:
// Wednesday 6 to Saturday 16 August, peak (by default) Thursday 14th.
func arbaeen(t testing.TB) events.Event {
	t.Helper()
	date := func(s string) events.Date {
		d, err := events.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	return events.Event{ID: "arbaeen-2025", Name: "Arba'een 2025", NameAr: "الأربعينية", Series: "arbaeen",
		Areas: []string{"IQ-KA", "IQ-NA"}, First: date("2025-08-06"), Last: date("2025-08-16")}
}

// facility returns the example registry's row id.
func facility(t testing.TB, id string) registry.Facility {
	t.Helper()
	reg, err := registry.Load("../../../configs/facilities.csv")
	if err != nil {
		t.Fatalf("load example registry: %v", err)
	}
	f, ok := reg.Lookup(id)
	if !ok {
		t.Fatalf("no facility %s in the example registry", id)
	}
	return f
}

// surged returns the model of f with the event e at the default factors.
func surged(t testing.TB, f registry.Facility, e events.Event) *simulate.Sim {
	t.Helper()
	s := simulate.New(f, 1)
	if err := s.SetSurges([]simulate.Surge{{Event: e, Factors: simulate.DefaultFactors()}}); err != nil {
		t.Fatalf("SetSurges: %v", err)
	}
	return s
}

// dayOf returns the readings of local day d (00:00 to 24:00).
func dayOf(s *simulate.Sim, d events.Date) []reading.Reading {
	from := d.In(baghdad)
	return s.Readings(from, from.AddDate(0, 0, 1), 15*time.Minute)
}

// dayFigures sums a day's readings as the roll-ups would: waste kg,
// hazardous kg, kg landfilled while hazardous, hand-overs stored over 24 h,
// and the increase of the grid and generator counters.
type dayFigures struct {
	waste, hazardous, landfilledHaz, energy float64
	breaches, handOvers                     int
}

func figures(t *testing.T, rs []reading.Reading) dayFigures {
	t.Helper()
	var f dayFigures
	first, last := map[string]float64{}, map[string]float64{}
	for _, r := range rs {
		switch r.Stream {
		case reading.Waste:
			kg, _ := num(t, r, "mass_kg")
			f.waste += kg
			f.handOvers++
			if r.Tag("category") != "general" {
				f.hazardous += kg
				if r.Tag("treatment") == "landfill" {
					f.landfilledHaz += kg
				}
			}
			if h, _ := num(t, r, "stored_hours"); h > 24 {
				f.breaches++
			}
		case reading.Energy:
			v, _ := num(t, r, "kwh_total")
			k := series(r)
			if _, ok := first[k]; !ok {
				first[k] = v
			}
			last[k] = v
		}
	}
	for k := range first {
		f.energy += last[k] - first[k]
	}
	return f
}

// only returns the readings of stream.
func only(rs []reading.Reading, stream reading.Stream) []reading.Reading {
	return slices.DeleteFunc(slices.Clone(rs), func(r reading.Reading) bool { return r.Stream != stream })
}

func TestFactorsValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*simulate.Factors)
		want []string // the factors named in the error; none: valid
	}{
		{"defaults", func(*simulate.Factors) {}, nil},
		{"no surge at all", func(f *simulate.Factors) {
			*f = simulate.Factors{Waste: 1, PHCWaste: 1, Energy: 1, Outages: 1, Storage: 1, Capacity: 1}
		}, nil},
		{"waste zero", func(f *simulate.Factors) { f.Waste = 0 }, []string{"waste 0"}},
		{"phc waste NaN", func(f *simulate.Factors) { f.PHCWaste = math.NaN() }, []string{"waste-phc NaN"}},
		{"energy too high", func(f *simulate.Factors) { f.Energy = 4 }, []string{"energy 4"}},
		{"outages negative", func(f *simulate.Factors) { f.Outages = -1 }, []string{"outages -1"}},
		{"storage below one and capacity zero", func(f *simulate.Factors) { f.Storage, f.Capacity = 0.5, 0 },
			[]string{"storage 0.5", "capacity 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := simulate.DefaultFactors()
			tt.edit(&f)
			err := f.Validate()
			if (err != nil) != (len(tt.want) > 0) {
				t.Fatalf("Validate() = %v, want an error naming %v", err, tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to name %q", err, w)
				}
			}
		})
	}
}

func TestSetSurgesRejects(t *testing.T) {
	e := arbaeen(t)
	backwards := e
	backwards.First, backwards.Last = e.Last, e.First
	late := e.Last.AddDays(1)
	bad := simulate.DefaultFactors()
	bad.Energy = 0
	tests := []struct {
		name  string
		surge simulate.Surge
		want  string
	}{
		{"last before first", simulate.Surge{Event: backwards, Factors: simulate.DefaultFactors()}, "want a first day on or before the last"},
		{"no dates", simulate.Surge{Event: events.Event{ID: "x"}, Factors: simulate.DefaultFactors()}, "want a first day"},
		{"peak after the event", simulate.Surge{Event: e, Peak: late, Factors: simulate.DefaultFactors()}, "peak 2025-08-17 is outside"},
		{"bad factor", simulate.Surge{Event: e, Factors: bad}, "energy 0"},
	}
	f := facility(t, "KA-H-001")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := simulate.New(f, 1)
			err := s.SetSurges([]simulate.Surge{tt.surge})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("SetSurges() = %v, want an error containing %q", err, tt.want)
			}
			// Nothing changed.
			if got := s.Effect(e.First.In(baghdad)); got.Event != "" {
				t.Errorf("after a rejected SetSurges the event day has effect %+v", got)
			}
		})
	}
}

// TestSurgeRamp checks the shape of the surge over the event's days: none
// outside, 30 % of the peak's extra on the first day, rising to the peak
// on the 14th, falling to half on the last day.
func TestSurgeRamp(t *testing.T) {
	e := arbaeen(t)
	for _, id := range []string{"KA-H-001", "KA-P-001", "NA-H-002"} {
		t.Run(id, func(t *testing.T) {
			s := surged(t, facility(t, id), e)
			var prev simulate.Effect
			for d := e.First.AddDays(-2); !e.Last.AddDays(2).Before(d); d = d.AddDays(1) {
				ef := s.Effect(d.In(baghdad).Add(13 * time.Hour))
				in := !d.Before(e.First) && !e.Last.Before(d)
				switch {
				case !in:
					if ef.Event != "" || ef.Waste != 1 || ef.Energy != 1 || ef.Storage != 1 || ef.Capacity != 0 {
						t.Errorf("%s, outside the event: effect %+v, want none", d, ef)
					}
				case ef.Event != e.ID:
					t.Errorf("%s: effect of event %q, want %q", d, ef.Event, e.ID)
				case d == e.First && math.Abs(ef.Share-0.3) > 1e-9,
					d == e.Last && math.Abs(ef.Share-0.5) > 1e-9,
					d.String() == "2025-08-14" && ef.Share != 1:
					t.Errorf("%s: share %v of the peak", d, ef.Share)
				case d.Before(events.Date{Year: 2025, Month: 8, Day: 15}) && d != e.First && !(ef.Share > prev.Share && ef.Waste > prev.Waste):
					t.Errorf("%s: share %v, waste ×%v after %v, ×%v: want rising to the peak", d, ef.Share, ef.Waste, prev.Share, prev.Waste)
				case d.String() > "2025-08-14" && !(ef.Share < prev.Share && ef.Energy < prev.Energy):
					t.Errorf("%s: share %v after %v: want falling after the peak", d, ef.Share, prev.Share)
				}
				if in && (ef.Waste <= 1 || ef.Energy <= 1 || ef.Storage <= 1 || ef.Capacity <= 0) {
					t.Errorf("%s: effect %+v, want every factor above 1 on an event day", d, ef)
				}
				prev = ef
			}
			// At the peak a facility's factors lie within its exposure
			// band, 0.7-1.3 of the configured extra.
			peak := s.Effect(time.Date(2025, 8, 14, 12, 0, 0, 0, baghdad))
			want := simulate.DefaultFactors().Waste
			if facility(t, id).Type == registry.TypePHC {
				want = simulate.DefaultFactors().PHCWaste
			}
			if lo, hi := 1+(want-1)*0.7, 1+(want-1)*1.3; peak.Waste < lo || peak.Waste > hi {
				t.Errorf("peak waste ×%.3f, want within [%.2f, %.2f]", peak.Waste, lo, hi)
			}
		})
	}
}

// TestSurgeOnlyAtEventFacilitiesOnEventDays compares each day around the
// event with the same facility's model without it: the readings are equal
// except on the event's days at its facilities, where the waste mass is
// the ordinary day's times the effect, energy is higher, and waste waits
// longer.
func TestSurgeOnlyAtEventFacilitiesOnEventDays(t *testing.T) {
	e := arbaeen(t)
	tests := []struct {
		facility string
		in       bool
	}{
		{"KA-H-001", true},  // Karbala's teaching hospital: on site treatment
		{"KA-P-001", true},  // a PHC centre in Karbala
		{"NA-H-001", true},  // Najaf
		{"NA-P-003", true},  // Najaf, a PHC centre with beds
		{"BG-H-001", false}, // Baghdad: not in the event's areas
		{"BA-H-001", false},
	}
	days := []struct {
		day string
		in  bool
	}{
		{"2025-08-04", false}, {"2025-08-05", false}, {"2025-08-06", true}, {"2025-08-08", true}, // the 8th is a Friday
		{"2025-08-14", true}, {"2025-08-16", true}, {"2025-08-17", false},
	}
	for _, tt := range tests {
		t.Run(tt.facility, func(t *testing.T) {
			f := facility(t, tt.facility)
			plain, sim := simulate.New(f, 1), surged(t, f, e)
			for _, dd := range days {
				d, _ := events.ParseDate(dd.day)
				a, b := dayOf(plain, d), dayOf(sim, d)
				if !(tt.in && dd.in) {
					after := tt.in && e.Last.Before(d)
					switch {
					case !after && !reflect.DeepEqual(a, b):
						t.Errorf("%s: the event changed a day it does not cover", dd.day)
					case after && !reflect.DeepEqual(only(a, reading.Waste), only(b, reading.Waste)):
						t.Errorf("%s: the event changed the hand-overs of a day after it", dd.day)
					case after && math.Abs(figures(t, a).energy-figures(t, b).energy) > 0.003:
						// The counters go on from the surged totals
						// (TestSurgeCountersContinue); the day's use is the same.
						t.Errorf("%s: %.3f kWh, %.3f without the event", dd.day, figures(t, b).energy, figures(t, a).energy)
					}
					continue
				}
				ef := sim.Effect(d.In(baghdad))
				pf, sf := figures(t, a), figures(t, b)
				if d.Weekday() != time.Friday && d.Weekday() != time.Saturday {
					// The ordinary day's draws are kept, so the ratio is
					// the effect, up to the scale's 10 g rounding.
					if r := sf.waste / pf.waste; math.Abs(r-ef.Waste) > 0.01*ef.Waste {
						t.Errorf("%s: waste %.2f kg against %.2f: ×%.3f, want ×%.3f", dd.day, sf.waste, pf.waste, r, ef.Waste)
					}
				} else if sf.waste <= pf.waste {
					t.Errorf("%s: weekend waste %.2f kg during the event, %.2f without", dd.day, sf.waste, pf.waste)
				}
				if !(sf.energy > pf.energy*1.05) {
					t.Errorf("%s: %.1f kWh from grid and generator, %.1f without the event: want more", dd.day, sf.energy, pf.energy)
				}
				if sf.handOvers <= pf.handOvers {
					t.Errorf("%s: %d hand-overs, %d without the event: want more", dd.day, sf.handOvers, pf.handOvers)
				}
				if sf.breaches < pf.breaches || (dd.day == "2025-08-14" && sf.breaches == pf.breaches) {
					t.Errorf("%s: %d hand-overs stored over 24 h, %d without the event", dd.day, sf.breaches, pf.breaches)
				}
				if pf.landfilledHaz != 0 {
					t.Errorf("%s: %.2f kg of hazardous waste landfilled on an ordinary day", dd.day, pf.landfilledHaz)
				}
			}
		})
	}
}

// TestSurgeOverflowsOnSiteTreatment checks that a facility treating its
// hazardous waste on site sends what exceeds its capacity to landfill at
// the peak, and that one sending it offsite does not.
func TestSurgeOverflowsOnSiteTreatment(t *testing.T) {
	e := arbaeen(t)
	peak := events.Date{Year: 2025, Month: 8, Day: 14}
	onSite, offsite := 0, 0
	reg, err := registry.Load("../../../configs/facilities.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range e.Facilities(reg) {
		s := surged(t, f, e)
		plain := dayOf(simulate.New(f, 1), peak)
		treats := slices.ContainsFunc(plain, func(r reading.Reading) bool {
			switch r.Tag("treatment") {
			case "autoclave", "microwave", "incineration":
				return r.Tag("category") == "infectious"
			}
			return false
		})
		got := figures(t, dayOf(s, peak))
		ef := s.Effect(peak.In(baghdad))
		switch {
		case treats:
			onSite++
			// Its capacity is 1.5 ordinary days; the peak brings 1.75 to
			// 4.6: the rest, at least the excess of infectious waste, goes
			// to landfill.
			if got.landfilledHaz <= 0 {
				t.Errorf("%s treats on site; at the peak (waste ×%.2f) nothing overflowed to landfill", f.ID, ef.Waste)
			}
		default:
			offsite++
			if got.landfilledHaz != 0 {
				t.Errorf("%s sends its waste away, yet %.2f kg hazardous went to landfill", f.ID, got.landfilledHaz)
			}
		}
	}
	if onSite == 0 || offsite == 0 {
		t.Fatalf("%d facilities of the event treat on site and %d do not: the test needs both", onSite, offsite)
	}
}

// TestSurgeCountersContinue checks that the counters go on from the
// surged totals: against the model without the event, a counter is equal
// before it, gains during it, and keeps the gain after it.
func TestSurgeCountersContinue(t *testing.T) {
	e := arbaeen(t)
	from := e.First.AddDays(-3).In(baghdad)
	to := e.Last.AddDays(20).In(baghdad)
	for _, id := range []string{"KA-H-001", "KA-P-002", "NA-H-001", "NA-P-001"} {
		t.Run(id, func(t *testing.T) {
			f := facility(t, id)
			a := simulate.New(f, 1).Readings(from, to, time.Hour)
			b := surged(t, f, e).Readings(from, to, time.Hour)
			a = slices.DeleteFunc(a, func(r reading.Reading) bool { return r.Stream == reading.Waste })
			b = slices.DeleteFunc(b, func(r reading.Reading) bool { return r.Stream == reading.Waste })
			if len(a) != len(b) {
				t.Fatalf("%d meter samples with the event, %d without", len(b), len(a))
			}
			gain, prevPlain := map[string]float64{}, map[string]float64{}
			for i := range a {
				k := series(a[i]) + "/" + "kwh_total"
				va, _ := num(t, a[i], "kwh_total")
				vb, _ := num(t, b[i], "kwh_total")
				if p, ok := prevPlain[k]; ok && va < p {
					t.Fatalf("%s reset at %s: pick a window without one", k, a[i].Time)
				}
				prevPlain[k] = va
				g := vb - va
				day := events.DateOf(a[i].Time.Add(-time.Nanosecond), baghdad) // a midnight sample closes the day before
				switch {
				case day.Before(e.First):
					if g != 0 {
						t.Fatalf("%s at %s: %.3f kWh apart before the event", k, a[i].Time, g)
					}
				case !e.Last.Before(day):
					if g < gain[k]-0.0015 {
						t.Fatalf("%s at %s: the gain fell from %.3f to %.3f during the event", k, a[i].Time, gain[k], g)
					}
				default:
					if math.Abs(g-gain[k]) > 0.0015 {
						t.Fatalf("%s at %s: gain %.3f kWh after the event, %.3f at its end", k, a[i].Time, g, gain[k])
					}
				}
				if e.Last.Before(day) {
					continue
				}
				gain[k] = g
			}
			if gain["energy/main/grid/kwh_total"] <= 1 {
				t.Errorf("the grid counter gained %.3f kWh over the event", gain["energy/main/grid/kwh_total"])
			}
		})
	}
}

// TestSurgeLiveMatchesHistory runs the live source over the event's first
// days on a fake clock and checks it emits exactly the history the same
// surged model gives: meter samples at the ticks and every hand-over.
func TestSurgeLiveMatchesHistory(t *testing.T) {
	e := arbaeen(t)
	f := facility(t, "KA-H-002")
	interval := time.Hour
	start := e.First.AddDays(-1).In(baghdad).Add(interval) // the first tick's events are those after the tick before
	const ticks = 72
	live := surged(t, f, e)
	src := simulate.NewSource(live, interval, nil)
	now := start
	src.Now = func() time.Time { return now }
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var got []reading.Reading
	n := 0
	err := src.Run(ctx, func(rs []reading.Reading) error {
		got = append(got, rs...)
		if n++; n == ticks {
			cancel()
		}
		now = now.Add(interval)
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	// Readings gives [from, to); the source (previous tick, tick].
	hist := surged(t, f, e).Readings(start.Add(-interval+time.Nanosecond), start.Add(ticks*interval-interval+time.Nanosecond), interval)
	key := func(rs []reading.Reading) []reading.Reading {
		out := slices.Clone(rs)
		slices.SortStableFunc(out, func(a, b reading.Reading) int { return a.Time.Compare(b.Time) })
		return out
	}
	if g, w := key(got), key(hist); !reflect.DeepEqual(g, w) {
		t.Fatalf("the live source emitted %d readings, the history has %d, and they differ", len(g), len(w))
	}
	waste := 0
	for _, r := range got {
		if r.Stream == reading.Waste {
			waste++
		}
	}
	if waste == 0 {
		t.Fatal("no hand-over in three event days")
	}
}

// TestSurgeDeterminism checks that the surges are part of the model's
// inputs: the same surges give the same readings, and removing them gives
// back the model without, whatever was cached.
func TestSurgeDeterminism(t *testing.T) {
	e := arbaeen(t)
	f := facility(t, "NA-H-001")
	from, to := e.First.AddDays(-1).In(baghdad), e.Last.AddDays(2).In(baghdad)
	a := surged(t, f, e).Readings(from, to, 15*time.Minute)
	s := surged(t, f, e)
	if b := s.Readings(from, to, 15*time.Minute); !reflect.DeepEqual(a, b) {
		t.Fatal("two models with the same surges differ")
	}
	if err := s.SetSurges(nil); err != nil {
		t.Fatal(err)
	}
	if c, want := s.Readings(from, to, 15*time.Minute), simulate.New(f, 1).Readings(from, to, 15*time.Minute); !reflect.DeepEqual(c, want) {
		t.Fatal("after SetSurges(nil) the model still differs from one without surges")
	}
	other := e
	other.Areas = []string{"IQ-BG"}
	if err := s.SetSurges([]simulate.Surge{{Event: other, Factors: simulate.DefaultFactors()}}); err != nil {
		t.Fatal(err)
	}
	if c := s.Readings(from, to, 15*time.Minute); reflect.DeepEqual(c, a) {
		t.Fatal("an event over Baghdad still surges Najaf")
	}
}
