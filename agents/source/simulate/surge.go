package simulate

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// Surge is a mass gathering as the model plays it: on the event's days at
// the facilities of its areas, more waste, more load, longer storage and
// on-site treatment that cannot keep up (see the package comment's "Mass
// gatherings").
type Surge struct {
	Event events.Event
	// Peak is the busiest day. Zero: the day 80 % of the way from the
	// first day to the last, where Arba'een itself falls in an event that
	// spans the walk to it and the days of leaving.
	Peak    events.Date
	Factors Factors
}

// Factors are what a surge multiplies on its peak day at a facility of
// average exposure; the other event days get a share of them (the ramp).
type Factors struct {
	Waste    float64 // waste mass at hospitals and other facilities
	PHCWaste float64 // waste mass at primary health care centres
	Energy   float64 // the facility's load, so grid import, generator kWh and fuel
	Outages  float64 // the day's outage hours
	Storage  float64 // the hours waste waits before treatment or collection
	// Capacity is what on-site treatment (autoclave, microwave,
	// incinerator) handles in a day, as a multiple of the facility's
	// ordinary day of hazardous waste; the rest goes with the general
	// waste to landfill.
	Capacity float64
}

// DefaultFactors are the factors the fleet uses unless told otherwise; the
// package comment gives their reasons.
func DefaultFactors() Factors {
	return Factors{Waste: 2.5, PHCWaste: 3, Energy: 1.3, Outages: 1, Storage: 2, Capacity: 1.5}
}

// Validate reports every factor out of its range, each named as the
// fleet's flags name it without their --surge- prefix.
func (f Factors) Validate() error {
	var errs []error
	check := func(name string, v, lo, hi float64) {
		if !(v >= lo && v <= hi) { // also catches NaN
			errs = append(errs, fmt.Errorf("%s %v: want %v to %v", name, v, lo, hi))
		}
	}
	check("waste", f.Waste, 0.1, 10)
	check("waste-phc", f.PHCWaste, 0.1, 10)
	check("energy", f.Energy, 0.1, 3)
	check("outages", f.Outages, 0, 3)
	check("storage", f.Storage, 1, 5)
	check("capacity", f.Capacity, 1, 100)
	return errors.Join(errs...)
}

// Effect is what the surges do to one facility on one local day: the
// multipliers the model applies. Outside every event all are 1, Capacity
// is 0 (no limit) and Event is empty.
type Effect struct {
	Event    string  // the event's id
	Share    float64 // of the peak factors: 0 outside the event, 1 on the peak day
	Waste    float64 // × the waste mass
	Energy   float64 // × the load
	Outages  float64 // × the outage hours
	Storage  float64 // × the hours waste waits
	Capacity float64 // kg of hazardous waste on-site treatment handles today; 0: no limit
}

// noEffect is an ordinary day.
var noEffect = Effect{Waste: 1, Energy: 1, Outages: 1, Storage: 1}

// The ramp: pilgrims arrive over the days of the walk, so the first day
// carries 30 % of the peak's extra load, rising linearly to the peak; they
// leave within two or three days, while the exhausted and the heat-struck
// still come, so the last day keeps half.
const (
	rampStart = 0.3
	rampEnd   = 0.5
	peakShare = 0.8 // default peak: this far from the first day to the last
)

// surgeDays is a Surge that includes the facility, in local day numbers.
type surgeDays struct {
	id                string
	first, peak, last int64
	f                 Factors
}

// dayNumber is the model's local day of a civil date.
func dayNumber(d events.Date) int64 { return floorDiv(d.In(time.UTC).Unix(), secondsPerDay) }

// SetSurges replaces the mass gatherings the model plays. Only those whose
// areas include the facility change anything; every value stays a pure
// function of the facility, the seed, the time and the surges, and the
// counters go on from the surged days' totals. It returns an error, and
// changes nothing, when a surge's dates or factors are invalid. It is safe
// for concurrent use, but a Sim whose surges change mid-run gives readings
// of both models, so set them before the Sim is used.
func (s *Sim) SetSurges(list []Surge) error {
	var mine []surgeDays
	var errs []error
	for i, sg := range list {
		e := sg.Event
		if err := sg.Factors.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("surge %d (%s): %w", i, e.ID, err))
		}
		if e.First.IsZero() || e.Last.IsZero() || e.Last.Before(e.First) {
			errs = append(errs, fmt.Errorf("surge %d (%s): days %s to %s: want a first day on or before the last", i, e.ID, e.First, e.Last))
			continue
		}
		first, last := dayNumber(e.First), dayNumber(e.Last)
		peak := first + int64(math.Round(peakShare*float64(last-first)))
		if !sg.Peak.IsZero() {
			peak = dayNumber(sg.Peak)
		}
		if peak < first || peak > last {
			errs = append(errs, fmt.Errorf("surge %d (%s): peak %s is outside %s to %s", i, e.ID, sg.Peak, e.First, e.Last))
			continue
		}
		if e.Includes(s.f) {
			mine = append(mine, surgeDays{id: e.ID, first: first, peak: peak, last: last, f: sg.Factors})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.surges.Store(&mine)
	// Every cached day and counter start may hold the old model.
	clear(s.plans)
	clear(s.starts)
	return nil
}

// Effect returns what the surges do to the facility on the local day
// (Asia/Baghdad) containing day.
func (s *Sim) Effect(day time.Time) Effect { return s.effect(localDay(day)) }

// effect is Effect for local day d. Where two events overlap, the one
// nearer its peak on d counts, and the first listed of equals.
func (s *Sim) effect(d int64) Effect {
	list := s.surges.Load()
	if list == nil {
		return noEffect
	}
	best, share := -1, 0.0
	for i, sd := range *list {
		if w := sd.share(d); w > share {
			best, share = i, w
		}
	}
	if best < 0 {
		return noEffect
	}
	sd := (*list)[best]
	// How exposed the facility is: its distance from the route and the
	// shrines is not in the registry, so it is drawn, once per facility
	// and seed, from 0.7-1.3 (the factors are the mean).
	exp := share * (0.7 + 0.6*s.unit(purposeSurge, 0))
	waste := sd.f.Waste
	if s.f.Type == registry.TypePHC {
		waste = sd.f.PHCWaste
	}
	by := func(f float64) float64 { return 1 + (f-1)*exp }
	return Effect{
		Event:    sd.id,
		Share:    share,
		Waste:    max(by(waste), 0.05),
		Energy:   max(by(sd.f.Energy), 0.05),
		Outages:  max(by(sd.f.Outages), 0),
		Storage:  max(by(sd.f.Storage), 1),
		Capacity: sd.f.Capacity * s.wasteKg * s.hazShare,
	}
}

// share is the part of the peak factors that day d carries: the ramp.
func (sd surgeDays) share(d int64) float64 {
	switch {
	case d < sd.first || d > sd.last:
		return 0
	case d == sd.peak:
		return 1
	case d < sd.peak:
		return rampStart + (1-rampStart)*float64(d-sd.first)/float64(sd.peak-sd.first)
	}
	return 1 - (1-rampEnd)*float64(d-sd.peak)/float64(sd.last-sd.peak)
}

// onSite reports whether treatment t happens at the facility, and so has a
// daily capacity.
func onSite(t string) bool { return t == "autoclave" || t == "microwave" || t == "incineration" }

// overflow moves what on-site treatment cannot handle today (beyond
// capacity kg) to landfill with the general waste: each hand-over treated
// on site keeps its share of the capacity and a second hand-over of the
// same category takes the rest, as a facility whose autoclave runs day and
// night still has bags left over.
func overflow(evs []wasteEvent, capacity float64) []wasteEvent {
	if capacity <= 0 {
		return evs
	}
	var treated float64
	for _, e := range evs {
		if e.category != "general" && onSite(e.treatment) {
			treated += e.kg
		}
	}
	if treated <= capacity {
		return evs
	}
	keep := capacity / treated
	n := len(evs)
	for i := range n {
		e := &evs[i]
		if e.category == "general" || !onSite(e.treatment) {
			continue
		}
		rest := *e
		rest.kg, rest.treatment = e.kg*(1-keep), "landfill"
		e.kg *= keep
		evs = append(evs, rest)
	}
	return evs
}
