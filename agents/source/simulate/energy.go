package simulate

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/greenpulse-health/greenpulse/registry"
)

// Counters of a day plan, in the order of dayPlan.cum.
const (
	cGrid = iota // grid kWh
	cGen         // generator kWh
	cFuel        // generator fuel, litres
	cPV          // PV yield, kWh
	nCounters
)

// Meters: the counters of one meter reset together.
const (
	mGrid = iota
	mGen
	mPV
	nMeters
)

func meterOf(c int) int {
	switch c {
	case cGrid:
		return mGrid
	case cGen, cFuel:
		return mGen
	}
	return mPV
}

// Battery model, in percent of capacity.
const (
	socFloor     = 15.0 // the inverter's low-voltage cut-off
	socDayStart  = 60.0 // assumed at the start of the day before, see fill
	socChargeMax = 30.0 // %/h at full sun
	socIdle      = 1.0  // %/h self-consumption of the inverter
	// socWarmUp is how many days the battery runs before the day asked
	// for. Where a day neither fills nor empties it, its state at midnight
	// jumps from one day's run to the next one's. With two days that
	// happened on 2 of 26,572 battery-days of a year of the example
	// registry (against 110 with one day).
	socWarmUp = 2
)

// dayPlan is one local day of the energy model on the 15-minute grid: the
// power at each node (00:00, 00:15, …, 24:00), which steps the grid was
// live, and every counter's increase from midnight to each node. Power is
// linear between nodes and energy is its exact integral, so counters and
// power always agree. A plan never changes once filled.
type dayPlan struct {
	day     int64
	avail   [2]uint64 // bit i: grid live during step i
	load    [stepsPerDay + 1]float64
	pv      [stepsPerDay + 1]float64
	cum     [nCounters][stepsPerDay + 1]float64
	soc     [stepsPerDay + 1]float64 // battery state of charge, %
	socRate [stepsPerDay]float64     // %/h during each step
}

func (p *dayPlan) live(i int) bool { return p.avail[i>>6]>>(i&63)&1 == 1 }

// energyTraits are a facility's consumption, grid and backup traits.
type energyTraits struct {
	baseW      float64 // W: scale of the consumption profile
	night      float64 // share of baseW drawn at night
	hump       [stepsPerDay + 1]float64
	fridayHump float64 // outpatient work on Friday, the weekend, relative to a weekday
	coolW      [stepsPerDay + 1]float64
	coolCoef   float64 // share of baseW per °C above 24 °C
	heatCoef   float64 // share of baseW per °C below 16 °C
	diurnal    [stepsPerDay + 1]float64
	feeder     float64 // scales the outage hours: priority feeders lose less
	hasGen     bool
	sfc        float64 // generator fuel, L/kWh
	hasBattery bool
}

func newEnergyTraits(f registry.Facility, rng *rand.Rand) energyTraits {
	var e energyTraits
	// Working hours shape the daytime hump: hospitals run clinics and
	// theatres 07:00-21:00, PHC centres and other centres open 07:30-16:30.
	var open, hours, hump float64
	genP := 0.7 // dialysis centres and blood banks guard their cold chain
	switch f.Type {
	case registry.TypeHospital:
		genP = 0.85
		e.baseW = float64(max(f.Beds, 20)) * (950 + 650*rng.Float64())
		e.night, open, hours, hump, e.fridayHump = 0.8, 7, 14, 0.45, 0.5
		e.coolCoef, e.heatCoef = 0.045, 0.015
	case registry.TypePHC:
		genP = 0.5
		e.baseW = 7500 + 10500*rng.Float64() + 300*float64(f.Beds)
		e.night, open, hours, hump, e.fridayHump = 0.35, 7.5, 9, 1.4, 0
		e.coolCoef, e.heatCoef = 0.05, 0.015
	default:
		e.baseW = 15000 + 25000*rng.Float64() + 800*float64(f.Beds)
		e.night, open, hours, hump, e.fridayHump = 0.7, 7, 12, 0.5, 0.3
		e.coolCoef, e.heatCoef = 0.035, 0.015
	}
	for k := range e.hump {
		x := float64(k) * stepHours
		if x > open && x < open+hours {
			s := math.Sin(math.Pi * (x - open) / hours)
			e.hump[k] = hump * s * s
		}
		// Wards are cooled all day; clinics mostly while they are open.
		e.coolW[k] = 1
		if f.Type != registry.TypeHospital {
			e.coolW[k] = 0.3 + 0.7*min(e.hump[k]/hump*2, 1)
		}
		// Air temperature peaks at 15:00 and bottoms at 03:00, ±7 °C: the
		// mean daily range in Baghdad is about 14 °C.
		e.diurnal[k] = 7 * math.Cos(2*math.Pi*(x-15)/24)
	}
	e.feeder = 0.7 + 0.5*rng.Float64()
	e.hasGen = rng.Float64() < genP
	e.sfc = 0.27 + 0.06*rng.Float64()
	e.hasBattery = rng.Float64() < 0.35 && f.PVkWp > 0
	return e
}

// solarTraits are a facility's PV array and its site.
type solarTraits struct {
	sinLat, cosLat     float64
	sinTilt, cosTilt   float64 // of (latitude - tilt): a south-facing array's equivalent latitude
	skyView            float64 // share of the diffuse sky the tilted array sees
	lonHours           float64 // longitude in hours, for solar time
	tau                float64 // clear-sky optical depth of the site's dusty air
	pr0                float64 // performance ratio before heat and dust
	soilRate           float64 // share of yield lost per day since the last cleaning
	soilPeriod, soilAt int64   // days between cleanings, and the phase
	latCool            float64 // °C the site is cooler than Baghdad's latitude
}

func newSolarTraits(f registry.Facility, rng *rand.Rand) solarTraits {
	var s solarTraits
	rad := math.Pi / 180
	// Fixed south-facing racks tilted a little under the latitude, as
	// installers do for best annual yield.
	tilt := f.Lat - 3 - 9*rng.Float64()
	s.sinLat, s.cosLat = math.Sincos(f.Lat * rad)
	s.sinTilt, s.cosTilt = math.Sincos((f.Lat - tilt) * rad)
	s.skyView = (1 + math.Cos(tilt*rad)) / 2
	s.lonHours = f.Lon / 15
	s.tau = 0.18 + 0.06*rng.Float64()
	s.pr0 = 0.86 + 0.04*rng.Float64()
	s.soilRate = 0.002 + 0.002*rng.Float64()
	s.soilPeriod = 7 + rng.Int64N(22)
	s.soilAt = rng.Int64N(s.soilPeriod)
	s.latCool = 1.2 * (f.Lat - 33.3)
	return s
}

// Daily PV yield bounds, kWh per kWp. Days outside are clipped so that
// every simulated day stays within 3-7 kWh/kWp, the plausible band for a
// working array here: a real dust storm can fall lower, but then a
// dashboard's underperformance flags would fire on weather rather than on
// the facilities they are meant to find.
const (
	minYield = 3.2
	maxYield = 6.9
)

// fill computes the plan of day d into p. With soc it also runs the
// battery, whose state at the start of day d comes from running the
// socWarmUp days before from a fixed 60 %: the battery fills on a sunny
// day or empties in long outages, and either way forgets where it started,
// so day d's state is a function of d alone. prev may hold day d-1's plan
// to save recomputing it.
func (s *Sim) fill(p *dayPlan, d int64, soc bool, prev *dayPlan) {
	p.day = d
	ef := s.effect(d)
	p.avail = s.outages(d, ef.Outages)
	tday := s.dayTemperature(d)
	s.solar(p, d, tday)
	s.consumption(p, d, tday, ef.Energy)

	for c := range p.cum {
		p.cum[c][0] = 0
	}
	for i := range stepsPerDay {
		n0, n1 := p.load[i]-p.pv[i], p.load[i+1]-p.pv[i+1]
		net := posPartial(n0, n1, 1) * stepHours / 1000
		var grid, gen float64
		switch {
		case p.live(i):
			grid = net
		case s.hasGen:
			gen = net
		}
		p.cum[cGrid][i+1] = p.cum[cGrid][i] + grid
		p.cum[cGen][i+1] = p.cum[cGen][i] + gen
		p.cum[cFuel][i+1] = p.cum[cFuel][i] + gen*s.sfc
		p.cum[cPV][i+1] = p.cum[cPV][i] + linPartial(p.pv[i], p.pv[i+1], 1)*stepHours/1000
	}

	if !soc || !s.hasBattery {
		return
	}
	x := socDayStart
	var q dayPlan
	for back := int64(socWarmUp); back > 0; back-- {
		r := prev
		if r == nil || r.day != d-back {
			s.fill(&q, d-back, false, nil)
			r = &q
		}
		for i := range stepsPerDay {
			x = min(max(x+s.socRateOf(r, i)*stepHours, socFloor), 100)
		}
	}
	p.soc[0] = x
	for i := range stepsPerDay {
		p.socRate[i] = s.socRateOf(p, i)
		p.soc[i+1] = min(max(p.soc[i]+p.socRate[i]*stepHours, socFloor), 100)
	}
}

// socRateOf is the battery's rate of change during step i, %/h: charged in
// proportion to PV output, drained by the critical circuits it carries
// while the grid is down (less when a generator takes over), and by the
// inverter itself.
func (s *Sim) socRateOf(p *dayPlan, i int) float64 {
	peak := s.f.PVkWp * 1000 * 0.8
	r := socChargeMax*(p.pv[i]+p.pv[i+1])/2/peak - socIdle
	if !p.live(i) {
		if s.hasGen {
			r -= 6
		} else {
			r -= 18
		}
	}
	return r
}

// dayTemperature is the day's mean air temperature, °C: a cosine through
// Baghdad's normals (10 °C in mid-January, 35 °C in mid-July), 1.2 °C cooler
// per degree of latitude north, as Mosul and Erbil are.
func (s *Sim) dayTemperature(d int64) float64 {
	const coldest = 14 // day of year (from 0) of the coldest day
	return 22.5 - 12.5*math.Cos(2*math.Pi*(float64(d)+0.5-coldest)/365.2425) - s.latCool
}

// consumption fills the facility's load at each node, W; surge multiplies
// it (1 on ordinary days).
func (s *Sim) consumption(p *dayPlan, d int64, tday, surge float64) {
	hump := 1.0
	if weekday(d) == time.Friday {
		hump = s.fridayHump
	}
	var noise [25]float64
	for h := range noise {
		noise[h] = 2*s.unit(purposeLoadHour, d*24+int64(h)) - 1
	}
	for k := range p.load {
		t := tday + s.diurnal[k]
		share := s.night + s.hump[k]*hump +
			s.coolCoef*max(t-24, 0)*s.coolW[k] +
			s.heatCoef*max(16-t, 0)
		h, f := k/4, float64(k%4)/4
		n := noise[h]
		if h < 24 {
			n += (noise[h+1] - noise[h]) * f
		}
		p.load[k] = s.baseW * share * (1 + 0.07*n) * surge
	}
}

// solar fills the PV array's AC output at each node, W.
func (s *Sim) solar(p *dayPlan, d int64, tday float64) {
	if s.f.PVkWp <= 0 {
		p.pv = [stepsPerDay + 1]float64{}
		return
	}
	n := float64(date(d).YearDay())
	// Declination (Cooper 1969) and equation of time (Spencer's fit, as in
	// Duffie & Beckman), both held for the day.
	decl := 23.45 * math.Pi / 180 * math.Sin(2*math.Pi*(284+n)/365)
	b := 2 * math.Pi * (n - 81) / 364
	eot := (9.87*math.Sin(2*b) - 7.53*math.Cos(b) - 1.5*math.Sin(b)) / 60
	sd, cd := math.Sincos(decl)
	elA, elB := s.sinLat*sd, s.cosLat*cd
	inA, inB := s.sinTilt*sd, s.cosTilt*cd
	soil := 1 - s.soilRate*float64(mod(d+s.soilAt, s.soilPeriod))

	sky, vary := s.sky(d)
	var hourly [25]float64
	for h := range hourly {
		hourly[h] = 1 + vary*(s.unit(purposeSkyHour, d*24+int64(h))-0.5)
	}

	// cos of the hour angle, stepped by rotation rather than recomputed:
	// this runs for every day since the last meter reset.
	h0 := (-float64(localOffset)/3600 + s.lonHours + eot - 12) * math.Pi / 12
	sh, ch := math.Sincos(h0)
	sd15, cd15 := math.Sincos(stepHours * math.Pi / 12)
	var raw float64 // kWh per kWp before the day's sky factor
	for k := range p.pv {
		var kw float64 // per kWp
		if sinEl := elA + elB*ch; sinEl > 0.01 {
			beam := 1361 * math.Exp(-s.tau/sinEl)
			g := beam*max(inA+inB*ch, 0) + 0.12*beam*s.skyView
			cell := tday + s.diurnal[k] + 0.03*g
			h, f := k/4, float64(k%4)/4
			hv := hourly[h]
			if h < 24 {
				hv += (hourly[h+1] - hourly[h]) * f
			}
			kw = g / 1000 * s.pr0 * (1 - 0.0035*(cell-25)) * soil * hv
		}
		p.pv[k] = kw
		if k > 0 {
			raw += linPartial(p.pv[k-1], kw, 1) * stepHours
		}
		sh, ch = sh*cd15+ch*sd15, ch*cd15-sh*sd15
	}
	scale := 0.0
	if raw > 0 {
		scale = min(max(sky*raw, minYield), maxYield) / raw
	}
	for k := range p.pv {
		p.pv[k] *= scale * s.f.PVkWp * 1000
	}
}

// sky returns the day's clearness (the share of clear-sky yield reached)
// and how much it varies hour to hour. Summers are clear with some haze
// and dust storms; winters bring cloud.
func (s *Sim) sky(d int64) (clear, vary float64) {
	u, v := s.unit(purposeSky, 2*d), s.unit(purposeSky, 2*d+1)
	month := date(d).Month()
	if month >= time.May && month <= time.September {
		switch {
		case u < 0.06: // dust storm
			clear = 0.65 + 0.15*v
		case u < 0.25: // haze
			clear = 0.82 + 0.11*v
		default:
			clear = 0.93 + 0.07*v
		}
	} else {
		switch {
		case u < 0.12: // overcast
			clear = 0.6 + 0.15*v
		case u < 0.42: // broken cloud
			clear = 0.75 + 0.15*v
		default:
			clear = 0.9 + 0.1*v
		}
	}
	return clear, (1 - clear) * 0.8
}

// outages returns the steps of day d during which the grid is live. The
// day's outage hours grow with summer cooling demand and, less, with winter
// heating demand; they come as 2-5 separate cuts on 15-minute boundaries,
// as rota load-shedding does. surge multiplies the hours (1 on ordinary
// days); the draws stay the same, so only the cuts' lengths change.
func (s *Sim) outages(d int64, surge float64) [2]uint64 {
	rng := s.rng(purposeGrid, d)
	y := 2 * math.Pi * (float64(date(d).YearDay()) - 1) / 365.2425
	summer := max(math.Cos(y-2*math.Pi*204/365.2425), 0) // peaks late July
	winter := math.Pow(max(math.Cos(y-2*math.Pi*14/365.2425), 0), 2)
	hours := s.feeder * (4 + 6*summer + 1.5*winter) * (0.75 + 0.5*rng.Float64()) * surge
	down := min(max(int(math.Round(hours*4)), 4), 64)
	n := 2 + rng.IntN(3)
	if summer > 0.5 && rng.Float64() < 0.5 {
		n++
	}
	n = min(n, down)

	var cuts, gaps [6]int
	split(rng, down-n, cuts[:n])
	split(rng, stepsPerDay-down-(n-1), gaps[:n+1])
	avail := [2]uint64{^uint64(0), ^uint64(0)}
	i := 0
	for c := range n {
		i += gaps[c]
		if c > 0 {
			i++ // cuts never touch
		}
		for range cuts[c] + 1 {
			avail[i>>6] &^= 1 << (i & 63)
			i++
		}
	}
	return avail
}

// split deals total units into len(parts) random non-negative parts.
func split(rng *rand.Rand, total int, parts []int) {
	var w [6]float64
	var sum float64
	for i := range parts {
		w[i] = 0.2 + rng.Float64()
		sum += w[i]
	}
	left := total
	for i := range parts {
		parts[i] = int(float64(total) * w[i] / sum)
		left -= parts[i]
	}
	for i := 0; left > 0; i = (i + 1) % len(parts) {
		parts[i]++
		left--
	}
}

// linPartial is the mean of a quantity going linearly from a to b, taken
// over the first frac of the way and scaled by frac: the integral over a
// step of unit length up to frac.
func linPartial(a, b, frac float64) float64 {
	return frac * (a + (a + (b-a)*frac)) / 2
}

// posPartial is linPartial of max(x, 0): a facility with more PV than load
// draws nothing from its meters, it does not push their counters back.
func posPartial(a, b, frac float64) float64 {
	c := a + (b-a)*frac
	switch {
	case a >= 0 && c >= 0:
		return frac * (a + c) / 2
	case a <= 0 && c <= 0:
		return 0
	}
	zero := a / (a - b) // where the line crosses 0, in [0, 1]
	if a > 0 {
		return a * zero / 2
	}
	return c * (frac - zero) / 2
}

func weekday(d int64) time.Weekday { return time.Weekday(mod(d+4, 7)) } // 1970-01-01 was a Thursday

func mod(a, b int64) int64 { return a - floorDiv(a, b)*b }
