package figures

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// Report is the facility's figures as GET /api/v1/figures serves them
// (the package comment shows the JSON).
type Report struct {
	Facility   string          `json:"facility"`
	Period     indicators.Kind `json:"period"`
	Timezone   string          `json:"timezone"`
	ComputedAt time.Time       `json:"computed_at"`
	Beds       int             `json:"beds"`
	PVkWp      float64         `json:"pv_kwp"`
	Periods    []Period        `json:"periods"`
	Days       []Day           `json:"days"`
	// Since is the oldest reading the figures count (null: none yet).
	Since *time.Time `json:"since"`
}

// Period is the figures of one day or month.
type Period struct {
	// Name is today, yesterday, this_month or previous_month.
	Name  string          `json:"name"`
	Kind  indicators.Kind `json:"kind"`
	Start events.Date     `json:"start"`
	// Days is the number of days in the period, the per-bed figures'
	// bed-days.
	Days int `json:"days"`
	Figures
	Waste []Waste `json:"waste"`
}

// Day is one day of the month, for the page's charts.
type Day struct {
	Date events.Date `json:"date"`
	Figures
}

// Figures are the values of one period.
type Figures struct {
	Reported bool `json:"reported"`
	// Values are the facility-level indicators, by id.
	Values map[indicators.ID]float64 `json:"values"`
	// GridHours is the grid's live and covered hours; nil without any
	// availability sample.
	GridHours *GridHours `json:"grid_hours"`
	// SolarKWhPerKWp is the solar yield per kWp of the facility's array;
	// nil without solar readings or without pv_kwp.
	SolarKWhPerKWp *float64 `json:"solar_kwh_per_kwp"`
}

// GridHours are the hours the grid was live, of the hours covered by
// availability samples (grid_availability_pct is their ratio).
type GridHours struct {
	Live    float64 `json:"live"`
	Covered float64 `json:"covered"`
}

// Waste is the waste of one category and treatment in a period.
type Waste struct {
	Category        string  `json:"category"`
	Treatment       string  `json:"treatment"`
	Kg              float64 `json:"kg"`
	Events          int     `json:"events"`
	StorageExceeded int     `json:"storage_exceeded"`
}

// Report returns the figures for period kind: today and yesterday
// (indicators.Day), or this month and the previous one with the days of
// this month (indicators.Month), as of now by the store's clock.
func (s *Store) Report(kind indicators.Kind) Report {
	now := s.opt.Now()
	loc := s.opt.Location
	s.mu.Lock()
	defer s.mu.Unlock()
	r := Report{Facility: s.opt.Facility, Period: kind, Timezone: loc.String(), ComputedAt: now.UTC().Truncate(time.Second),
		Beds: s.opt.Beds, PVkWp: s.opt.PVkWp, Days: []Day{}}
	if !s.f.Since.IsZero() {
		// Days before the first kept were pruned with their readings.
		since := s.f.Since
		if first := s.keepFrom().In(loc).UTC(); since.Before(first) {
			since = first
		}
		r.Since = &since
	}
	today := events.DateOf(now, loc)
	if kind != indicators.Month {
		r.Period = indicators.Day
		r.Periods = []Period{s.period("today", indicators.Day, today), s.period("yesterday", indicators.Day, today.AddDays(-1))}
		return r
	}
	first := events.Date{Year: today.Year, Month: today.Month, Day: 1}
	r.Periods = []Period{s.period("this_month", indicators.Month, first), s.period("previous_month", indicators.Month, first.AddDays(-1))}
	for d := first; !today.Before(d); d = d.AddDays(1) {
		in := s.input(d)
		in.Beds, in.Days = s.opt.Beds, 1
		r.Days = append(r.Days, Day{Date: d, Figures: s.figures(in)})
	}
	return r
}

// period is the figures of the day, or of the month, that holds date.
func (s *Store) period(name string, kind indicators.Kind, date events.Date) Period {
	p := indicators.PeriodOf(kind, date.In(s.opt.Location), s.opt.Location)
	var in indicators.FacilityInput
	for d := events.DateOf(p.Start, s.opt.Location); d.In(s.opt.Location).Before(p.End); d = d.AddDays(1) {
		// SPEC's rules put each difference and each held interval in
		// exactly one day, so a month is the merge of its days, as the
		// collector computes it.
		in.Merge(s.input(d))
	}
	in.Beds, in.Days = s.opt.Beds, p.Days()
	return Period{Name: name, Kind: kind, Start: events.DateOf(p.Start, s.opt.Location), Days: in.Days,
		Figures: s.figures(in), Waste: wasteOf(in.Waste)}
}

// figures computes the values of input in with the collector's formulas.
func (s *Store) figures(in indicators.FacilityInput) Figures {
	f := Figures{Reported: in.Reported, Values: map[indicators.ID]float64{}}
	for _, v := range indicators.Facility(in, s.opt.Params).Values(false) {
		f.Values[v.ID] = v.Value
	}
	var live, covered time.Duration
	for _, m := range in.Meters {
		live += m.Live
		covered += m.Covered
	}
	if covered > 0 {
		f.GridHours = &GridHours{Live: live.Hours(), Covered: covered.Hours()}
	}
	if kwh, ok := f.Values[indicators.SolarKWh]; ok && s.opt.PVkWp > 0 {
		y := kwh / s.opt.PVkWp
		f.SolarKWhPerKWp = &y
	}
	return f
}

// input is one day's indicator input, as the collector's reduction of the
// day gives it, with the hold of each grid meter's last sample.
func (s *Store) input(date events.Date) indicators.FacilityInput {
	var in indicators.FacilityInput
	var live, covered time.Duration
	if d := s.f.Days[date]; d != nil {
		in.Reported = d.Reported
		type meterID struct{ meter, source string }
		meters := map[meterID]*indicators.Meter{}
		var order []meterID
		// In key order, so that sums of floats come out the same on
		// every call.
		for _, k := range slices.Sorted(maps.Keys(d.Counters)) {
			c := d.Counters[k]
			x := indicators.Counter{Increase: c.Increase, OK: true}
			if c.Stream == reading.Solar {
				in.Solar = append(in.Solar, x)
				continue
			}
			id := meterID{c.Meter, c.Source}
			m, ok := meters[id]
			if !ok {
				m = &indicators.Meter{Source: c.Source}
				meters[id] = m
				order = append(order, id)
			}
			if c.Field == "fuel_l_total" {
				m.Fuel = x
			} else {
				m.KWh = x
			}
		}
		for _, id := range order {
			in.Meters = append(in.Meters, *meters[id])
		}
		for _, h := range d.Grid {
			live += time.Duration(h.LiveMS) * time.Millisecond
			covered += time.Duration(h.CoveredMS) * time.Millisecond
		}
		for _, w := range d.Waste {
			in.Waste = append(in.Waste, indicators.WasteClass{Category: w.Category, Treatment: w.Treatment,
				Kg: w.Kg, Events: w.Events, StorageExceeded: w.StorageExceeded})
		}
	}
	for _, last := range s.f.Grid {
		// The last sample has no successor yet: it holds 15 minutes, cut
		// at the day's end, as the roll-up of a day that is still going
		// on reckons it.
		s.forHeld(last, last.T.Add(indicators.AvailabilityHold), func(d events.Date, l, c time.Duration) {
			if d == date {
				live += l
				covered += c
			}
		})
	}
	if covered > 0 {
		// All grid meters in one, as the collector's reduction has them.
		in.Meters = append(in.Meters, indicators.Meter{Source: "grid", Live: live, Covered: covered})
	}
	return in
}

// wasteOf sums classes by category and treatment, in the contract's order.
func wasteOf(classes []indicators.WasteClass) []Waste {
	out := []Waste{}
	for _, c := range classes {
		i := slices.IndexFunc(out, func(w Waste) bool { return w.Category == c.Category && w.Treatment == c.Treatment })
		if i < 0 {
			out = append(out, Waste{Category: c.Category, Treatment: c.Treatment})
			i = len(out) - 1
		}
		out[i].Kg += c.Kg
		out[i].Events += c.Events
		out[i].StorageExceeded += c.StorageExceeded
	}
	slices.SortFunc(out, func(a, b Waste) int {
		return cmp.Or(cmp.Compare(slices.Index(reading.WasteCategories, a.Category), slices.Index(reading.WasteCategories, b.Category)),
			cmp.Compare(slices.Index(reading.WasteTreatments, a.Treatment), slices.Index(reading.WasteTreatments, b.Treatment)))
	})
	return out
}
