package indicators

import (
	"slices"
	"time"
)

// Params are the emission factors and limits of SPEC, from the collector's
// configuration. Each factor's source and year are documented there.
type Params struct {
	GridKgPerKWh      float64            // Iraq grid, kg CO2e/kWh
	DieselKgPerL      float64            // diesel, kg CO2/L
	GeneratorKgPerKWh float64            // generators that report no fuel, kg CO2e/kWh
	TreatmentKgPerKg  map[string]float64 // waste treatment, kg CO2e per kg; missing: 0
	StorageLimitHours float64            // stored_hours above this is "stored too long"
	SafeTreatments    []string           // treatments that count as safe for hazardous waste
}

// DefaultParams are SPEC's defaults.
func DefaultParams() Params {
	return Params{
		GridKgPerKWh:      0.689, // Ember, 2023
		DieselKgPerL:      2.68,  // IPCC 2006 defaults
		GeneratorKgPerKWh: 0.80,
		TreatmentKgPerKg:  map[string]float64{"incineration": 1.074, "landfill": 0.271}, // Rizan et al., 2021
		StorageLimitHours: 24,
		SafeTreatments:    []string{"autoclave", "microwave", "incineration", "chemical", "encapsulation", "offsite"},
	}
}

// Counter is the increase of one counter series over a period; OK is false
// when the series had no difference in the period (no data).
type Counter struct {
	Increase float64
	OK       bool
}

// Meter is one energy meter's reductions over a period.
type Meter struct {
	Source string  // grid, generator, battery or other
	KWh    Counter // kwh_total
	Fuel   Counter // fuel_l_total, generators
	// Live and Covered are the grid availability times (grid meters).
	Live, Covered time.Duration
}

// WasteClass is the waste of one category and treatment over a period.
type WasteClass struct {
	Category, Treatment string
	Kg                  float64
	Events              int
	StorageExceeded     int // events with stored_hours above the limit
}

// FacilityInput is everything one facility's indicators for one period are
// computed from.
type FacilityInput struct {
	Beds     int
	Days     int // days in the period
	Meters   []Meter
	Solar    []Counter // one per inverter
	Waste    []WasteClass
	Reported bool // sent any reading in the period
}

// Term is one indicator's contribution: a sum, or a ratio's numerator and
// denominator, and how many facilities contributed. Terms of facilities add
// up to the term of their area.
type Term struct {
	Num, Den   float64
	Facilities int
}

// Terms are the indicator terms of one facility or area for one period.
type Terms map[ID]Term

// Add adds o's terms into t.
func (t Terms) Add(o Terms) {
	for id, x := range o {
		y := t[id]
		y.Num += x.Num
		y.Den += x.Den
		y.Facilities += x.Facilities
		t[id] = y
	}
}

// Value is an indicator's value with the number of facilities behind it.
// A ratio's value carries its numerator and denominator too (Ratio true),
// so that a consumer summing over its own hierarchy, such as DHIS2, can
// recompute the ratio of any set of facilities exactly.
type Value struct {
	ID         ID
	Value      float64
	Facilities int
	Ratio      bool
	Num, Den   float64
}

// Values turns terms into indicator values in catalog order. A ratio whose
// denominator is zero has no value; neither has an indicator no facility
// contributed to. areas says whether area-only indicators are wanted.
func (t Terms) Values(areas bool) []Value {
	var out []Value
	for _, d := range Catalog {
		x, ok := t[d.ID]
		if !ok || x.Facilities == 0 || (d.AreasOnly && !areas) {
			continue
		}
		val := Value{ID: d.ID, Value: x.Num, Facilities: x.Facilities}
		if d.Ratio {
			if x.Den == 0 {
				continue
			}
			val.Value = d.Scale * x.Num / x.Den
			val.Ratio, val.Num, val.Den = true, x.Num, x.Den
		}
		out = append(out, val)
	}
	return out
}

// Facility computes one facility's terms for one period.
func Facility(in FacilityInput, p Params) Terms {
	t := Terms{}
	one := func(id ID, num, den float64) { t[id] = Term{Num: num, Den: den, Facilities: 1} }

	var grid, gen, other, solar, fuel, co2e, live, covered float64
	var hasGrid, hasGen, hasOther, hasSolar, hasFuel, hasAvail bool
	for _, m := range in.Meters {
		switch m.Source {
		case "grid":
			if m.KWh.OK {
				grid += m.KWh.Increase
				hasGrid = true
			}
			if m.Covered > 0 {
				live += m.Live.Seconds()
				covered += m.Covered.Seconds()
				hasAvail = true
			}
		case "generator":
			if m.KWh.OK {
				gen += m.KWh.Increase
				hasGen = true
			}
			switch {
			case m.Fuel.OK:
				fuel += m.Fuel.Increase
				hasFuel = true
				co2e += m.Fuel.Increase * p.DieselKgPerL
			case m.KWh.OK:
				co2e += m.KWh.Increase * p.GeneratorKgPerKWh
			}
		case "other":
			if m.KWh.OK {
				other += m.KWh.Increase
				hasOther = true
			}
		}
	}
	for _, s := range in.Solar {
		if s.OK {
			solar += s.Increase
			hasSolar = true
		}
	}
	if hasGrid {
		one(GridKWh, grid, 0)
		co2e += grid * p.GridKgPerKWh
	}
	if hasGen {
		one(GeneratorKWh, gen, 0)
	}
	if hasOther {
		one(OtherKWh, other, 0)
	}
	if hasSolar {
		one(SolarKWh, solar, 0)
		one(CO2eAvoidedKg, solar*p.GridKgPerKWh, 0)
	}
	if hasFuel {
		one(GeneratorFuelL, fuel, 0)
	}
	if hasGrid || hasGen {
		one(CO2eEnergyKg, co2e, 0)
	}
	if hasAvail {
		one(GridAvailabilityPct, live, covered)
	}
	if hasGrid || hasGen || hasOther || hasSolar {
		energy := grid + gen + other + solar
		one(EnergyKWh, energy, 0)
		one(RenewableSharePct, solar, energy)
		if in.Beds > 0 {
			one(EnergyPerBedKWh, energy, float64(in.Beds*in.Days))
		}
	}

	var waste, hazardous, safe, unsafe, wasteCO2e float64
	events, exceeded := 0, 0
	for _, w := range in.Waste {
		waste += w.Kg
		events += w.Events
		exceeded += w.StorageExceeded
		wasteCO2e += w.Kg * p.TreatmentKgPerKg[w.Treatment]
		if w.Treatment == "open_burning" || w.Treatment == "open_dumping" {
			unsafe += w.Kg
		}
		if w.Category != "general" {
			hazardous += w.Kg
			if slices.Contains(p.SafeTreatments, w.Treatment) {
				safe += w.Kg
			}
		}
	}
	if events > 0 {
		one(WasteKg, waste, 0)
		one(HazardousWasteKg, hazardous, 0)
		one(HazardousSharePct, hazardous, waste)
		one(SafelyTreatedPct, safe, hazardous)
		one(UnsafeDisposalKg, unsafe, 0)
		one(CO2eWasteKg, wasteCO2e, 0)
		one(StorageExceededCount, float64(exceeded), 0)
		if in.Beds > 0 {
			one(WastePerBedKg, waste, float64(in.Beds*in.Days))
		}
	}

	reported := 0.0
	if in.Reported {
		reported = 1
	}
	// Every registered facility counts in its area's denominator.
	t[ReportingPct] = Term{Num: reported, Den: 1, Facilities: 1}
	return t
}

// Merge adds o, the same facility's input for a later part of a period, into
// in: counters, availability and waste add up, and the facility reported if
// it reported in either part. Beds and Days are left to the caller. SPEC's
// rules assign each counter difference and each held availability interval
// to exactly one day, so a month is the merge of its days.
func (in *FacilityInput) Merge(o FacilityInput) {
	in.Meters = append(in.Meters, o.Meters...)
	in.Solar = append(in.Solar, o.Solar...)
	in.Waste = append(in.Waste, o.Waste...)
	in.Reported = in.Reported || o.Reported
}
