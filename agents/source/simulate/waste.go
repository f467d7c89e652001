package simulate

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// wasteTraits are a facility's waste generation and handling habits.
type wasteTraits struct {
	wasteKg      float64 // kg on an ordinary weekday
	hazShare     float64 // hazardous share of the day's mass, before daily jitter
	generalTreat string
	hazTreat     string // infectious waste and sharps
	pathTreat    string
	pharmaTreat  string
	openBurner   bool // burns part of its hazardous waste in the open
	longStorer   bool // often keeps hazardous waste beyond 48 h
	radiology    bool // has nuclear medicine, so sometimes radioactive waste
}

func newWasteTraits(f registry.Facility, rng *rand.Rand) wasteTraits {
	w := wasteTraits{
		hazShare:     0.13 + 0.06*rng.Float64(),
		generalTreat: pick(rng, []string{"landfill", "offsite"}, []float64{0.7, 0.3}),
		pharmaTreat:  pick(rng, []string{"offsite", "encapsulation"}, []float64{0.7, 0.3}),
		openBurner:   rng.Float64() < 0.05,
		longStorer:   rng.Float64() < 0.10,
	}
	radiology := rng.Float64()
	switch f.Type {
	case registry.TypeHospital:
		w.wasteKg = float64(max(f.Beds, 20)) * (0.5 + 1.3*rng.Float64())
		w.hazTreat = pick(rng, []string{"autoclave", "incineration", "microwave", "offsite"}, []float64{0.35, 0.3, 0.1, 0.25})
		w.radiology = radiology < 0.15
	case registry.TypePHC:
		w.wasteKg = 1.5 + 6.5*rng.Float64() + 0.3*float64(f.Beds)
		w.hazTreat = pick(rng, []string{"offsite", "incineration", "autoclave"}, []float64{0.7, 0.2, 0.1})
	default:
		w.wasteKg = 2 + 18*rng.Float64() + 0.5*float64(f.Beds)
		w.hazTreat = pick(rng, []string{"offsite", "autoclave"}, []float64{0.6, 0.4})
	}
	// Autoclaves and microwaves are not for anatomical waste (WHO, Safe
	// management of wastes from health-care activities, 2014); a facility
	// that does not burn it sends it away.
	w.pathTreat = "offsite"
	if w.hazTreat == "incineration" {
		w.pathTreat = "incineration"
	}
	return w
}

func pick(rng *rand.Rand, values []string, weights []float64) string {
	u := rng.Float64()
	for i, w := range weights {
		if u < w {
			return values[i]
		}
		u -= w
	}
	return values[len(values)-1]
}

// Working hours of hand-overs: collectors and the waste officer work
// 08:00-15:00 local time.
const (
	wasteFrom = 8 * 60 // minutes after local midnight
	wasteTo   = 15 * 60
)

// hazardous returns the hazardous categories other than infectious: how
// often a day has some, and their weight in the hazardous mass. Infectious
// waste and sharps dominate; pharmaceutical and chemical waste is cleared
// in batches.
func hazardous() [5]hazardousCategory {
	return [...]hazardousCategory{
		{"sharps", 0.9, 0.17},
		{"pathological", 0.6, 0.08}, // hospitals only
		{"pharmaceutical", 0.25, 0.08},
		{"chemical", 0.15, 0.04},
		{"radioactive", 0.05, 0.01}, // facilities with nuclear medicine only
	}
}

type hazardousCategory struct {
	category string
	p, w     float64
}

// WasteEvents returns the waste hand-overs of the local calendar day
// (Asia/Baghdad) containing day, in time order: none before 2000, which
// the contract rejects.
func (s *Sim) WasteEvents(day time.Time) []reading.Reading { return s.wasteDay(localDay(day)) }

type wasteEvent struct {
	category, treatment string
	kg, stored          float64
}

func (s *Sim) wasteDay(d int64) []reading.Reading {
	if beforeContract(dayStart(d)) {
		return nil
	}
	rng := s.rng(purposeWaste, d)
	hospital := s.f.Type == registry.TypeHospital
	ef := s.effect(d)
	// A mass gathering knows no weekend: the week's rhythm is off on its
	// days. The draws stay the same, so that its days differ from an
	// ordinary day only by what the surge changes.
	event := ef.Event != ""
	mult := 0.8 + 0.4*rng.Float64()
	switch weekday(d) {
	case time.Friday: // the weekend: hospitals run emergencies only, the rest mostly close
		closed := !hospital && rng.Float64() < 0.7
		switch {
		case event:
		case hospital:
			mult *= 0.45
		case closed:
			return nil
		default:
			mult *= 0.3
		}
	case time.Saturday:
		if !event {
			mult *= 0.9
		}
	}
	friday := weekday(d) == time.Friday && !event
	total := s.wasteKg * mult * ef.Waste
	haz := total * s.hazShare * (0.85 + 0.3*rng.Float64())

	var evs []wasteEvent
	nGeneral := 1
	if hospital && !friday {
		nGeneral = 2 + rng.IntN(2)
	}
	// More waste comes as more loads, not heavier ones.
	nGeneral = handOvers(nGeneral, ef.Waste)
	for _, kg := range shares(rng, total-haz, nGeneral) {
		evs = append(evs, wasteEvent{"general", s.generalTreat, kg, 2 + 22*rng.Float64()})
	}

	// Weights of the categories handed over today, normalised over them, so
	// that the day's hazardous mass is what they share.
	inf := 0.62 * (0.7 + 0.6*rng.Float64())
	sum := inf
	var cats []wasteEvent
	for _, h := range hazardous() {
		present, w := rng.Float64() < h.p, h.w*(0.7+0.6*rng.Float64())
		switch {
		case !present,
			h.category == "pathological" && !hospital,
			h.category == "radioactive" && !s.radiology:
			continue
		}
		cats = append(cats, wasteEvent{category: h.category, kg: w})
		sum += w
	}
	nInf := 1
	if hospital && !friday {
		nInf = 2
	}
	nInf = handOvers(nInf, ef.Waste)
	for _, kg := range shares(rng, haz*inf/sum, nInf) {
		evs = append(evs, wasteEvent{category: "infectious", kg: kg})
	}
	for _, c := range cats {
		c.kg = haz * c.kg / sum
		evs = append(evs, c)
	}
	for i := range evs {
		e := &evs[i]
		if e.category == "general" {
			continue
		}
		e.treatment = s.hazTreat
		switch e.category {
		case "pathological":
			e.treatment = s.pathTreat
		case "pharmaceutical":
			e.treatment = s.pharmaTreat
		case "chemical":
			e.treatment = "offsite"
		case "radioactive":
			e.treatment = "other" // decay in storage, which the treatment list has no name for
		}
		if s.openBurner && e.category != "radioactive" && rng.Float64() < 0.35 {
			e.treatment = "open_burning"
		}
		e.stored = 4 + 36*rng.Float64()
		if s.longStorer && rng.Float64() < 0.5 {
			e.stored = 49 + 71*rng.Float64()
		}
	}
	if event {
		// Collection and treatment cannot keep up: everything waits
		// longer, and what on-site treatment cannot take goes to landfill.
		for i := range evs {
			evs[i].stored *= ef.Storage
		}
		evs = overflow(evs, ef.Capacity)
	}
	// A few hundred grams of sharps is still a real hand-over; only what
	// rounds to nothing at the scale's 10 g resolution is left out.
	evs = slices.DeleteFunc(evs, func(e wasteEvent) bool { return e.kg < 0.005 })
	if len(evs) == 0 {
		return nil
	}

	// Each event at its own minute: a point is identified by its tags and
	// time, so two hand-overs must never share a timestamp.
	rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	minutes := make([]int, 0, len(evs))
	for len(minutes) < len(evs) {
		m := wasteFrom + rng.IntN(wasteTo-wasteFrom)
		if !slices.Contains(minutes, m) {
			minutes = append(minutes, m)
		}
	}
	slices.Sort(minutes)

	start := dayStart(d)
	stamp := date(d).Format("20060102")
	out := make([]reading.Reading, 0, len(evs))
	for i, e := range evs {
		ts := start.Add(time.Duration(minutes[i])*time.Minute + time.Duration(rng.IntN(60))*time.Second)
		b, _ := reading.NewBuilder(reading.Waste)
		b.SetTag("category", e.category)
		b.SetTag("treatment", e.treatment)
		b.SetFloat("mass_kg", min(roundTo(e.kg, 100), 10000))
		b.SetFloat("stored_hours", roundTo(e.stored, 2))
		b.SetString("id", fmt.Sprintf("%s-%s-%d", s.f.ID, stamp, i+1))
		out = append(out, s.build(b, ts))
	}
	return out
}

// handOvers is how many hand-overs carry n ordinary loads' worth of waste
// times factor: at most 8 of one kind a day.
func handOvers(n int, factor float64) int {
	if factor <= 1 {
		return n
	}
	return min(max(int(math.Round(float64(n)*factor)), n), 8)
}

// shares splits kg into n parts of random size; no part is less than
// 0.6/1.4 of another, as loads of one day are of a similar size.
func shares(rng *rand.Rand, kg float64, n int) []float64 {
	w := make([]float64, n)
	var sum float64
	for i := range w {
		w[i] = 0.6 + 0.8*rng.Float64()
		sum += w[i]
	}
	for i := range w {
		w[i] = kg * w[i] / sum
	}
	return w
}
