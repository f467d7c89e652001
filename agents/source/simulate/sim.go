package simulate

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Time grid of the model. Days are local (Asia/Baghdad, UTC+3 all year:
// Iraq dropped DST in 2008), so that a day's outages, waste and counter
// totals line up with the local days the collector's roll-ups use.
const (
	localOffset   = 3 * 3600 // seconds east of UTC
	secondsPerDay = 86400
	stepSeconds   = 900 // 15 minutes: the grid the energy model is integrated on
	stepHours     = float64(stepSeconds) / 3600
	stepsPerDay   = secondsPerDay / stepSeconds
)

// beforeContract says whether t is older than the contract accepts.
func beforeContract(t time.Time) bool { return t.Unix() < reading.EarliestUnix }

// Meter and inverter names of the emitted readings.
const (
	gridMeter = "main"
	genMeter  = "gen1"
	inverter  = "main"
)

// Purposes keep the random streams of different parts of the model apart:
// each (purpose, n) pair seeds its own generator.
const (
	purposeTraits uint64 = iota + 1
	purposeGrid
	purposeSky
	purposeSkyHour
	purposeLoadHour
	purposeWaste
	purposeReset      // + meter index
	purposeResetValue = purposeReset + 16
	purposeSurge      = purposeResetValue + 16 // the facility's exposure to mass gatherings
)

// Sim is the deterministic model of one facility: every value it returns is
// a pure function of the facility row, the seed and the time asked for. The
// model is fixed by New; the per-day caches that keep Samples cheap are
// guarded by a mutex, so a Sim is safe for concurrent use.
type Sim struct {
	f    registry.Facility
	base uint64 // hash of (seed, facility id): the root of every random stream

	energyTraits
	solarTraits
	wasteTraits

	// surges are the mass gatherings that include the facility (SetSurges);
	// nil: none. Read without the mutex by the waste model.
	surges atomic.Pointer[[]surgeDays]

	mu      sync.Mutex
	plans   map[int64]*dayPlan
	starts  map[int64]counters
	scratch *dayPlan // reused to total days that are not cached
}

// counters holds the value of every counter, indexed by the c* constants.
type counters [nCounters]float64

// Cache bounds: a live agent needs today and yesterday (the battery state
// carries over midnight); history walks forward a day at a time.
const (
	maxPlans  = 4
	maxStarts = 64
)

// New returns the model of facility f under seed. The same (f, seed) always
// gives the same readings; another seed gives another, equally plausible,
// facility history.
func New(f registry.Facility, seed int64) *Sim {
	h := fnv.New64a()
	h.Write([]byte(f.ID))
	s := &Sim{
		f:      f,
		base:   mix(mix(uint64(seed)) ^ h.Sum64()),
		plans:  make(map[int64]*dayPlan, maxPlans),
		starts: make(map[int64]counters, maxStarts),
	}
	// One stream for all facility traits, drawn in a fixed order, so that a
	// facility keeps its character (generator, treatment habits) per seed.
	rng := s.rng(purposeTraits, 0)
	s.energyTraits = newEnergyTraits(f, rng)
	s.solarTraits = newSolarTraits(f, rng)
	s.wasteTraits = newWasteTraits(f, rng)
	return s
}

// Facility returns the registry row the model was built from.
func (s *Sim) Facility() registry.Facility { return s.f }

// HasGenerator reports whether the facility has a standby generator, and so
// a generator meter.
func (s *Sim) HasGenerator() bool { return s.hasGen }

// HasBattery reports whether the facility's inverter has a battery, and so
// reports battery_soc_pct.
func (s *Sim) HasBattery() bool { return s.hasBattery }

// Samples returns the meter readings at t: the grid meter, the generator
// meter when the facility has a generator, and the solar inverter when it
// has PV. Counters at t continue those of every earlier t, so an agent that
// restarts carries on where it stopped, and Readings gives the same values
// for the same instant.
//
// The contract rejects times before 2000 as a clock that has not been set;
// Samples returns no readings for them.
func (s *Sim) Samples(t time.Time) []reading.Reading {
	t = t.UTC() // also drops the monotonic reading, so equal instants compare equal
	if beforeContract(t) {
		return nil
	}
	d, i, frac := position(t)
	p, st := s.day(d)
	return s.appendSamples(make([]reading.Reading, 0, 3), newBuilders(), t, p, &st, i, frac)
}

// Readings returns the samples of every tick aligned to step (a multiple of
// step since the zero time, as t.Truncate(step) gives) in [from, to), and
// every waste event with ts in [from, to), in time order; at equal times the
// samples come first. It is the history a freshly installed agent would have
// sent. A step ≤ 0 is a caller bug and panics.
func (s *Sim) Readings(from, to time.Time, step time.Duration) []reading.Reading {
	if step <= 0 {
		panic(fmt.Sprintf("simulate: Readings step %s, want > 0", step))
	}
	from, to = from.UTC(), to.UTC()
	if beforeContract(from) {
		from = time.Unix(reading.EarliestUnix, 0).UTC()
	}
	if !from.Before(to) {
		return nil
	}
	var events []reading.Reading
	for d := localDay(from); d <= localDay(to); d++ {
		for _, e := range s.wasteDay(d) {
			if !e.Time.Before(from) && e.Time.Before(to) {
				events = append(events, e)
			}
		}
	}
	t := from.Truncate(step)
	if t.Before(from) {
		t = t.Add(step)
	}
	out := make([]reading.Reading, 0, int(to.Sub(t)/step+1)*s.perTick()+len(events))
	var (
		p    *dayPlan
		st   counters
		curD int64
		bs   = newBuilders()
	)
	for ; t.Before(to); t = t.Add(step) {
		for len(events) > 0 && events[0].Time.Before(t) {
			out = append(out, events[0])
			events = events[1:]
		}
		d, i, frac := position(t)
		if p == nil || d != curD {
			p, st = s.day(d)
			curD = d
		}
		out = s.appendSamples(out, bs, t, p, &st, i, frac)
	}
	return append(out, events...)
}

// perTick is how many readings Samples returns.
func (s *Sim) perTick() int {
	n := 1
	if s.hasGen {
		n++
	}
	if s.f.PVkWp > 0 {
		n++
	}
	return n
}

// builders are reused for every tick of a history: building is most of
// its cost.
type builders struct{ energy, solar *reading.Builder }

func newBuilders() builders {
	e, _ := reading.NewBuilder(reading.Energy)
	s, _ := reading.NewBuilder(reading.Solar)
	return builders{e, s}
}

// appendSamples appends the readings at t, which lies frac of the way
// through step i of the day planned in p whose counters started at st.
func (s *Sim) appendSamples(out []reading.Reading, bs builders, t time.Time, p *dayPlan, st *counters, i int, frac float64) []reading.Reading {
	live := p.live(i)
	n0, n1 := p.load[i]-p.pv[i], p.load[i+1]-p.pv[i+1]
	net := max(n0+(n1-n0)*frac, 0) // W the facility draws beyond its PV
	sinceNode := posPartial(n0, n1, frac) * stepHours / 1000

	b := bs.energy
	b.Reset()
	b.SetTag("meter", gridMeter)
	b.SetTag("source", "grid")
	gridKWh, gridW := st[cGrid]+p.cum[cGrid][i], 0.0
	if live {
		gridKWh += sinceNode
		gridW = net
	}
	b.SetFloat("kwh_total", roundTo(gridKWh, 1000))
	b.SetFloat("power_w", math.Round(gridW))
	b.SetBool("available", live)
	out = append(out, s.build(b, t))

	if s.hasGen {
		running := !live
		genKWh, fuel, genW := st[cGen]+p.cum[cGen][i], st[cFuel]+p.cum[cFuel][i], 0.0
		if running {
			genKWh += sinceNode
			fuel += sinceNode * s.sfc
			genW = net
		}
		b.Reset()
		b.SetTag("meter", genMeter)
		b.SetTag("source", "generator")
		b.SetFloat("kwh_total", roundTo(genKWh, 1000))
		b.SetFloat("power_w", math.Round(genW))
		b.SetFloat("fuel_l_total", roundTo(fuel, 1000))
		b.SetBool("available", running)
		out = append(out, s.build(b, t))
	}

	if s.f.PVkWp > 0 {
		sb := bs.solar
		sb.Reset()
		sb.SetTag("inverter", inverter)
		pv := st[cPV] + p.cum[cPV][i] + linPartial(p.pv[i], p.pv[i+1], frac)*stepHours/1000
		sb.SetFloat("kwh_total", roundTo(pv, 1000))
		sb.SetFloat("power_w", math.Round(p.pv[i]+(p.pv[i+1]-p.pv[i])*frac))
		if s.hasBattery {
			soc := min(max(p.soc[i]+p.socRate[i]*frac*stepHours, socFloor), 100)
			sb.SetFloat("battery_soc_pct", roundTo(soc, 10))
		}
		out = append(out, s.build(sb, t))
	}
	return out
}

// build finishes a reading the model made. The model only sets values the
// contract allows, so a rejection is a bug in the model, not bad input.
func (s *Sim) build(b *reading.Builder, ts time.Time) reading.Reading {
	// The reading's own time is "now", so only the contract's static checks
	// can fail.
	r, err := b.Build(s.f.ID, ts, ts, reading.Limits{MaxFuture: time.Hour})
	if err != nil {
		panic(fmt.Sprintf("simulate: facility %q built an invalid reading at %s: %v", s.f.ID, ts.Format(time.RFC3339), err))
	}
	return r
}

// day returns the plan of local day d and the counter values at its start.
func (s *Sim) day(d int64) (*dayPlan, counters) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.plans[d]
	if !ok {
		p = new(dayPlan)
		s.fill(p, d, true, s.plans[d-1])
		if len(s.plans) >= maxPlans {
			delete(s.plans, farthest(s.plans, d))
		}
		s.plans[d] = p
	}
	return p, s.startsLocked(d)
}

// startsLocked returns the counter values at the start of day d: the value
// each counter restarted from at its meter's last reset, plus the whole-day
// totals since. It walks forward from the nearest cached day when that is
// shorter than the walk from the resets. Both walks add the same totals in
// the same order, so the result does not depend on what was cached.
func (s *Sim) startsLocked(d int64) counters {
	if v, ok := s.starts[d]; ok {
		return v
	}
	from := d
	for m := range nMeters {
		from = min(from, s.lastReset(m, d))
	}
	var v counters
	fresh := true
	for k, kv := range s.starts {
		if k < d && k >= from {
			from, v, fresh = k, kv, false
		}
	}
	if fresh {
		s.resetAt(&v, from, true)
	}
	for j := from; j < d; j++ {
		tot := s.totalsLocked(j)
		for c := range v {
			v[c] += tot[c]
		}
		s.resetAt(&v, j+1, false)
	}
	if len(s.starts) >= maxStarts {
		delete(s.starts, farthest(s.starts, d))
	}
	s.starts[d] = v
	return v
}

// resetAt sets the counters of every meter that resets at the start of day
// d to their restart values. With all set, it also starts the counters of
// meters that do not reset on d from zero: the walk that begins there
// reaches each meter's own reset before d, which overwrites them.
func (s *Sim) resetAt(v *counters, d int64, all bool) {
	for c := range v {
		m := meterOf(c)
		switch {
		case s.lastReset(m, d) == d:
			v[c] = s.restartValue(c, d)
		case all:
			v[c] = 0
		}
	}
}

// totalsLocked returns the whole-day increase of every counter on day d.
func (s *Sim) totalsLocked(d int64) counters {
	p, ok := s.plans[d]
	if !ok {
		if s.scratch == nil {
			s.scratch = new(dayPlan)
		}
		p = s.scratch
		s.fill(p, d, false, nil)
	}
	var t counters
	for c := range t {
		t[c] = p.cum[c][stepsPerDay]
	}
	return t
}

// Meter resets. Each meter resets once per era of resetEra days, on a day
// drawn from the era's middle half, so resets come about every 1.4 years
// and never closer than half an era: a replaced meter or a reset data
// logger, as in the field, but rare enough that roll-ups barely notice.
const resetEra = 512

func (s *Sim) lastReset(m int, d int64) int64 {
	era := floorDiv(d, resetEra)
	r := s.resetDay(m, era)
	if d >= r {
		return r
	}
	return s.resetDay(m, era-1)
}

func (s *Sim) resetDay(m int, era int64) int64 {
	return era*resetEra + resetEra/4 + int64(s.key(purposeReset+uint64(m), era)%(resetEra/2))
}

// restartValue is where counter c starts after its meter reset on day d: a
// new meter arrives with a little on its register from factory tests.
func (s *Sim) restartValue(c int, d int64) float64 {
	u := s.unit(purposeResetValue+uint64(c), d)
	if c == cPV {
		return u * min(0.5, 0.02*s.f.PVkWp)
	}
	return u * 0.5
}

// position splits t into its local day, the 15-minute step of that day and
// the fraction of the step that has passed.
func position(t time.Time) (day int64, step int, frac float64) {
	sec := t.Unix() + localOffset
	day = floorDiv(sec, secondsPerDay)
	in := sec - day*secondsPerDay
	step = int(in / stepSeconds)
	frac = (float64(in-int64(step)*stepSeconds) + float64(t.Nanosecond())/1e9) / stepSeconds
	return day, step, frac
}

// localDay returns the local day containing t, counted from 1970-01-01.
func localDay(t time.Time) int64 { return floorDiv(t.Unix()+localOffset, secondsPerDay) }

// dayStart returns the UTC instant of local midnight starting day d.
func dayStart(d int64) time.Time { return time.Unix(d*secondsPerDay-localOffset, 0).UTC() }

// date returns the local calendar date of day d, as a UTC midnight.
func date(d int64) time.Time { return time.Unix(d*secondsPerDay, 0).UTC() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func farthest[V any](m map[int64]V, d int64) int64 {
	var far, dist int64 = d, -1
	for k := range m {
		if x := max(k-d, d-k); x > dist {
			far, dist = k, x
		}
	}
	return far
}

func roundTo(v, per float64) float64 { return math.Round(v*per) / per }

// mix is the SplitMix64 finaliser: a cheap bijection whose output bits all
// depend on every input bit, good enough to derive independent seeds.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// key hashes (seed, facility, purpose, n) into 64 random bits.
func (s *Sim) key(purpose uint64, n int64) uint64 {
	return mix(s.base ^ mix(purpose*0x9e3779b97f4a7c15^uint64(n)))
}

// unit returns a uniform number in [0, 1) for (purpose, n).
func (s *Sim) unit(purpose uint64, n int64) float64 {
	return float64(s.key(purpose, n)>>11) / (1 << 53)
}

// rng returns a generator of its own for (purpose, n), so that what one part
// of the model draws never shifts what another part sees.
func (s *Sim) rng(purpose uint64, n int64) *rand.Rand {
	k := s.key(purpose, n)
	return rand.New(rand.NewPCG(k, mix(k^0x5851f42d4c957f2d)))
}
