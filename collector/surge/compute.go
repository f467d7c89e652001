package surge

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// The rules, where SPEC is silent (docs/api.md repeats them for users):
//
//   - A facility without a waste point on a day had no waste that day:
//     waste_kg, hazardous_waste_kg and storage_exceeded_count count 0,
//     in the event and in the baseline. A meter (energy_kwh,
//     generator_fuel_l) without a point is unknown, not 0: its value is
//     null, and its baseline is the mean of the baseline days that have
//     a value (null when none has).
//   - The baseline of an event day is the mean of the same weekday in
//     each of the baseline weeks; its band is the least and greatest of
//     those days. An area's band is the least and greatest of its weekly
//     sums, a facility's missing meter day counting as its own mean, so
//     that the area's baseline (the sum of the means) is the mean of the
//     weeks it spans.
//   - Sums compare like with like: an area's day, and a facility's or an
//     area's total, add up the facility days that have both a value and
//     a baseline. For waste every facility day has both (missing is 0);
//     a meter's day without one is shown but left out of the sums, so
//     that a meter offline during the event does not look like a drop
//     and one new since the baseline does not look like a surge.
//   - Ratios are recomputed from the sums, never averaged; a baseline of
//     0 has no ratio.

// core is what an event's answer holds whoever asks, before scoping.
type core struct {
	baseline   Baseline
	areas      []Area
	facilities []Facility
	exceeded   []string
	// hasData says whether any facility had any point on an event day.
	hasData bool
	// computedAt is when the points were read; stale marks a core that a
	// roll-up made out of date (Invalidate).
	computedAt time.Time
	stale      bool
}

// zeroWhenMissing says whether a facility without a point of measure i
// on a day had none of it (waste), rather than not reporting it (meters).
func zeroWhenMissing(i int) bool {
	switch Measures[i] {
	case indicators.WasteKg, indicators.HazardousWasteKg, indicators.StorageExceededCount:
		return true
	}
	return false
}

// Indexes of the grid's extra planes, after the measures.
const (
	safeKg  = nMeasures     // safely treated kg (safely_treated_pct's numerator)
	safePct = nMeasures + 1 // safely_treated_pct of a point stored without its parts
	planes  = nMeasures + 2
)

// grid holds the points read: plane × facility × day, NaN where none.
type grid struct {
	facilities, days int
	v                [planes][]float64
}

func newGrid(facilities, days int) *grid {
	g := &grid{facilities: facilities, days: days}
	for p := range g.v {
		g.v[p] = make([]float64, facilities*days)
		for i := range g.v[p] {
			g.v[p][i] = math.NaN()
		}
	}
	return g
}

func (g *grid) at(plane, f, d int) float64 { return g.v[plane][f*g.days+d] }

func (s *Surge) computeCore(ctx context.Context, e Event) (*core, error) {
	loc := s.opt.Location
	weeks := max(e.BaselineWeeks, 1)
	facs := e.Facilities(s.reg)
	days := e.Days()
	from := e.First.AddDays(-7 * weeks)
	lead := 7 * weeks // the event's first day's index in the grid
	ids := make([]string, len(facs))
	index := make(map[string]int, len(facs))
	for i, f := range facs {
		ids[i], index[f.ID] = f.ID, i
	}
	c := &core{computedAt: s.opt.Now().UTC(),
		baseline: Baseline{Weeks: weeks, From: from, To: e.First.AddDays(-1), Method: "weekday"}}

	// Two reads at once: the measures' values, and safely_treated_pct
	// with its parts (Terms), whose numerator is the safely treated kg.
	// Each writes planes of its own.
	g := newGrid(len(facs), lead+len(days))
	plane := map[indicators.ID]int{}
	for i, m := range Measures {
		plane[m] = i
	}
	put := func(p int, pt Point, seen *bool) {
		f, ok := index[pt.Area]
		d := from.DaysUntil(events.DateOf(pt.Start, loc))
		if !ok || d < 0 || d >= g.days {
			return
		}
		g.v[p][f*g.days+d] = pt.Value
		if d >= lead {
			*seen = true
		}
	}
	q := rollup.Query{Indicators: Measures[:], Level: "facility", Areas: ids, Period: indicators.Day,
		From: from.In(loc), To: e.Last.AddDays(1).In(loc)}
	qs := q
	qs.Indicators, qs.Terms = []indicators.ID{indicators.SafelyTreatedPct}, true
	var err, serr error
	var seen, sseen bool
	var wg sync.WaitGroup
	wg.Go(func() {
		err = s.points(ctx, q, func(pt Point) {
			if p, ok := plane[pt.Indicator]; ok && pt.Field == "value" {
				put(p, pt, &seen)
			}
		})
	})
	wg.Go(func() {
		serr = s.points(ctx, qs, func(pt Point) {
			switch {
			case pt.Indicator != indicators.SafelyTreatedPct:
			case pt.Field == "numerator":
				put(safeKg, pt, &sseen)
			case pt.Field == "value":
				// Used when a point has no parts (rolled up before they
				// were stored): the share of that day's hazardous kg.
				put(safePct, pt, &sseen)
			}
		})
	})
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if serr != nil {
		return nil, serr
	}
	c.hasData = seen || sseen

	areas := newAreas(e, facs, len(days), s.reg)
	bands := newBands(weeks)
	haz := plane[indicators.HazardousWasteKg]
	waste := plane[indicators.WasteKg]
	c.facilities = make([]Facility, len(facs))
	for fi, f := range facs {
		x := Facility{Facility: f.ID, Name: f.Name, NameAr: f.NameAr, Governorate: f.Governorate, District: f.District,
			Lat: f.Lat, Lon: f.Lon, Days: make([]Day, len(days))}
		var hazKg, safeSum float64
		for j, day := range days {
			x.Days[j].Day = day
			for m := range nMeasures {
				cell := facilityCell(g, m, fi, lead, j, weeks)
				x.Days[j].Values[m] = cell
				if cell.HasValue && cell.HasBaseline {
					addTo(&x.Total[m], cell)
					for _, a := range areas.of(f) {
						addTo(&a.Days[j].Values[m], cell)
						addTo(&a.Total[m], cell)
						week := bands.of(a, j, m)
						for k := range week {
							week[k] += weekValue(g, m, fi, j, k, cell.Baseline)
						}
					}
				}
			}
			h := x.Days[j].Values[haz].Value
			hazKg += h
			switch sk, pct := g.at(safeKg, fi, lead+j), g.at(safePct, fi, lead+j); {
			case !math.IsNaN(sk):
				safeSum += sk
			case !math.IsNaN(pct):
				safeSum += pct / 100 * h
			}
		}
		if r, ok := x.Total[waste].Ratio(); ok {
			r = Round(r)
			x.SurgeFactor = &r
		}
		x.HazardousKg, x.SafelyTreatedKg = Round(hazKg), Round(safeSum)
		x.UntreatedKg = Round(max(hazKg-safeSum, 0))
		c.facilities[fi] = x
	}
	bands.apply()
	c.areas = areas.list
	for _, x := range c.facilities {
		if x.UntreatedKg > 0 {
			c.exceeded = append(c.exceeded, x.Facility)
		}
	}
	untreated := map[string]float64{}
	for _, x := range c.facilities {
		untreated[x.Facility] = x.UntreatedKg
	}
	slices.SortStableFunc(c.exceeded, func(a, b string) int {
		return cmp.Or(cmp.Compare(untreated[b], untreated[a]), cmp.Compare(a, b))
	})
	if c.exceeded == nil {
		c.exceeded = []string{}
	}
	return c, nil
}

// pointReader is a Reader that also hands out points one at a time
// (StoreReader), which saves building rows.
type pointReader interface {
	Points(ctx context.Context, q rollup.Query, each func(Point) error) error
}

// points calls each with every facility point field q matches.
func (s *Surge) points(ctx context.Context, q rollup.Query, each func(Point)) error {
	if pr, ok := s.read.(pointReader); ok {
		return pr.Points(ctx, q, func(p Point) error { each(p); return nil })
	}
	rows, err := s.read.Read(ctx, q)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if r.Level != "facility" {
			continue
		}
		each(Point{Indicator: r.Indicator, Area: r.Area, Start: r.Start, Field: "value", Value: r.Value})
		if r.HasTerms {
			each(Point{Indicator: r.Indicator, Area: r.Area, Start: r.Start, Field: "numerator", Value: r.Numerator})
			each(Point{Indicator: r.Indicator, Area: r.Area, Start: r.Start, Field: "denominator", Value: r.Denominator})
		}
	}
	return nil
}

// facilityCell is facility f's measure m on event day j (grid day
// lead+j), with the baseline of the same weekday in each of the weeks
// before the event (grid days j%7, j%7+7, …).
func facilityCell(g *grid, m, f, lead, j, weeks int) Cell {
	zero := zeroWhenMissing(m)
	var c Cell
	switch v := g.at(m, f, lead+j); {
	case !math.IsNaN(v):
		c.Value, c.HasValue = v, true
	case zero:
		c.HasValue = true
	}
	n, sum := 0, 0.0
	lo, hi := math.Inf(1), math.Inf(-1)
	for k := range weeks {
		x := g.at(m, f, j%7+7*k)
		if math.IsNaN(x) {
			if !zero {
				continue
			}
			x = 0
		}
		n++
		sum += x
		lo, hi = min(lo, x), max(hi, x)
	}
	if n > 0 {
		c.Baseline, c.Min, c.Max, c.HasBaseline = sum/float64(n), lo, hi, true
	}
	return c
}

// weekValue is facility f's measure m on the weekday of event day j in
// baseline week k: its point, 0 for missing waste, and for a missing
// meter day its own baseline (the mean of the days it has).
func weekValue(g *grid, m, f, j, k int, mean float64) float64 {
	x := g.at(m, f, j%7+7*k)
	switch {
	case !math.IsNaN(x):
		return x
	case zeroWhenMissing(m):
		return 0
	}
	return mean
}

// bands sums, for each area, event day and measure, the facilities'
// values of each baseline week, whose least and greatest are the area's
// band.
type bands struct {
	weeks int
	sums  map[*Area][]float64 // by day, measure, week
}

func newBands(weeks int) *bands { return &bands{weeks: weeks, sums: map[*Area][]float64{}} }

// of is the weekly sums of area a's day j and measure m.
func (b *bands) of(a *Area, j, m int) []float64 {
	s, ok := b.sums[a]
	if !ok {
		s = make([]float64, len(a.Days)*nMeasures*b.weeks)
		b.sums[a] = s
	}
	i := (j*nMeasures + m) * b.weeks
	return s[i : i+b.weeks]
}

// apply sets each area day's band from its weekly sums.
func (b *bands) apply() {
	for a := range b.sums {
		for j := range a.Days {
			for m := range nMeasures {
				c := &a.Days[j].Values[m]
				if !c.HasBaseline {
					continue
				}
				week := b.of(a, j, m)
				c.Min, c.Max = slices.Min(week), slices.Max(week)
			}
		}
	}
}

// addTo adds facility cell x into the sum s: values, baselines and the
// band's ends (an area's day band is then set from its weeks, apply).
func addTo(s *Cell, x Cell) {
	s.Value += x.Value
	s.Baseline += x.Baseline
	s.Min += x.Min
	s.Max += x.Max
	s.HasValue, s.HasBaseline = true, true
}

// areaSet is an event's areas and, for each facility, the areas it adds
// into.
type areaSet struct {
	list []Area
	gov  map[string]int
	dist map[string]int
}

// newAreas lays out e's areas for facs: the whole event, its governorates
// by code, its districts by governorate and code.
func newAreas(e Event, facs []registry.Facility, days int, reg *registry.Registry) *areaSet {
	set := &areaSet{gov: map[string]int{}, dist: map[string]int{}}
	var govs, dists []registry.Facility
	for _, f := range facs {
		if _, ok := set.gov[f.Governorate]; !ok {
			set.gov[f.Governorate] = 0
			govs = append(govs, f)
		}
		if _, ok := set.dist[f.District]; !ok {
			set.dist[f.District] = 0
			dists = append(dists, f)
		}
	}
	slices.SortFunc(govs, func(a, b registry.Facility) int { return cmp.Compare(a.Governorate, b.Governorate) })
	slices.SortFunc(dists, func(a, b registry.Facility) int {
		return cmp.Or(cmp.Compare(a.Governorate, b.Governorate), cmp.Compare(a.District, b.District))
	})
	newArea := func(level, code string) Area {
		a := Area{Level: level, Area: code, Days: make([]Day, days), Total: Totals{}}
		for j, d := range e.Days() {
			a.Days[j].Day = d
		}
		return a
	}
	ev := newArea("event", e.ID)
	ev.within = containing(facs)
	ev.Facilities = len(facs)
	set.list = append(set.list, ev)
	for _, f := range govs {
		set.gov[f.Governorate] = len(set.list)
		set.list = append(set.list, newArea("governorate", f.Governorate))
	}
	for _, f := range dists {
		set.dist[f.District] = len(set.list)
		set.list = append(set.list, newArea("district", f.District))
	}
	members := make([][]registry.Facility, len(set.list))
	for _, f := range facs {
		for _, i := range []int{set.gov[f.Governorate], set.dist[f.District]} {
			set.list[i].Facilities++
			members[i] = append(members[i], f)
		}
	}
	// A governorate's or district's row sums only the event's facilities
	// in it. When they are all of the area's, it is that area's figure;
	// when they are some (an event that lists one facility of a
	// governorate), it is the figure of the smallest area holding them,
	// one facility's own for one, and whoever sees the row must be
	// allowed to see that.
	inRegistry := map[place]int{}
	for _, f := range reg.Facilities() {
		inRegistry[place{"governorate", f.Governorate}]++
		inRegistry[place{"district", f.District}]++
	}
	for i := 1; i < len(set.list); i++ {
		x := &set.list[i]
		if own := (place{x.Level, x.Area}); len(members[i]) == inRegistry[own] {
			x.within = own
		} else {
			x.within = containing(members[i])
		}
	}
	// Days with no facility to add stay unknown (null), not 0.
	return set
}

// of returns the areas facility f adds into.
func (s *areaSet) of(f registry.Facility) [3]*Area {
	return [3]*Area{&s.list[0], &s.list[s.gov[f.Governorate]], &s.list[s.dist[f.District]]}
}
