package figures

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/internal/jsonstate"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// DefaultSaveInterval is how often the file is rewritten at most for
// meter readings when Options leave it unset.
const DefaultSaveInterval = 5 * time.Minute

// Options configure a Store.
type Options struct {
	Facility string
	// Location is where local days begin.
	Location *time.Location
	// Params are the emission factors and limits of the formulas.
	Params indicators.Params
	// Beds and PVkWp are the facility's; 0 leaves out the figures that
	// need them.
	Beds  int
	PVkWp float64
	// SaveInterval bounds how often meter readings rewrite the file; 0
	// means DefaultSaveInterval.
	SaveInterval time.Duration
	// Now is the clock that says which days are today and yesterday, and
	// when the file was last written; nil means time.Now.
	Now func() time.Time
	// SaveFailed, when set, is called after each rewrite of the file that
	// failed (a metric counts them).
	SaveFailed func()
}

// Store is the facility's daily sums. It is safe for concurrent use.
type Store struct {
	path string
	opt  Options
	log  *slog.Logger

	mu    sync.Mutex
	f     file
	dirty bool      // changed since the file was written
	saved time.Time // when the file was last written, or loaded
	full  bool      // logged that the series bound was reached
}

// Open reads the store kept in dir, or starts an empty one. A file it
// cannot use is renamed to FileName+".bad" with a warning.
func Open(dir string, opt Options, log *slog.Logger) (*Store, error) {
	if opt.Location == nil {
		return nil, fmt.Errorf("open figures: no timezone")
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SaveInterval <= 0 {
		opt.SaveInterval = DefaultSaveInterval
	}
	s := &Store{path: filepath.Join(dir, FileName), opt: opt, log: log, f: emptyFile(opt.Location)}
	var f file
	ok, err := jsonstate.Load(s.path, formatVersion, &f, log, "figures file", "starting without the sums so far")
	if err != nil {
		return nil, fmt.Errorf("open figures %q: %w", s.path, err)
	}
	if ok {
		if f.Timezone != opt.Location.String() {
			// The days' bounds were another zone's midnights; the last
			// readings still are what the next differences start from.
			log.Warn("figures file was kept for another timezone; its days are dropped", "path", s.path,
				"was", f.Timezone, "now", opt.Location.String())
			f.Days = nil
			f.Timezone = opt.Location.String()
		}
		s.f = f
		if s.f.Counters == nil {
			s.f.Counters = map[string]sample{}
		}
		if s.f.Grid == nil {
			s.f.Grid = map[string]sample{}
		}
		if s.f.Days == nil {
			s.f.Days = map[events.Date]*daySums{}
		}
	}
	s.saved = opt.Now()
	s.prune()
	return s, nil
}

func emptyFile(loc *time.Location) file {
	return file{Format: formatVersion, Timezone: loc.String(), Counters: map[string]sample{},
		Grid: map[string]sample{}, Days: map[events.Date]*daySums{}}
}

// Path returns the path of the store's file.
func (s *Store) Path() string { return s.path }

// Add takes readings that the outbox has stored. A batch with waste is
// written to disk at once; others when the file is older than the save
// interval (see the package comment). A file that cannot be written is
// logged and tried again with the next batch: the sums in memory stay
// right.
func (s *Store) Add(rs []reading.Reading) {
	if len(rs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	waste := false
	for i := range rs {
		if s.add(&rs[i]) {
			waste = true
		}
	}
	s.dirty = true
	if waste || s.opt.Now().Sub(s.saved) >= s.opt.SaveInterval {
		if err := s.saveLocked(); err != nil {
			s.log.Warn("figures not saved; kept in memory and tried again with the next readings", "err", err)
		}
	}
}

// Flush writes the file if anything changed since it was last written.
// The agent calls it when it stops.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty {
		return nil
	}
	return s.saveLocked()
}

func (s *Store) saveLocked() error {
	s.saved = s.opt.Now()
	if err := jsonstate.Save(s.path, &s.f); err != nil {
		if s.opt.SaveFailed != nil {
			s.opt.SaveFailed()
		}
		return fmt.Errorf("write figures %q: %w", s.path, err)
	}
	s.dirty = false
	return nil
}

// keepFrom is the first day kept: the first of the previous local month.
func (s *Store) keepFrom() events.Date {
	d := events.DateOf(s.opt.Now(), s.opt.Location)
	first := events.Date{Year: d.Year, Month: d.Month, Day: 1}
	prev := first.AddDays(-1)
	return events.Date{Year: prev.Year, Month: prev.Month, Day: 1}
}

// tomorrow is the last day kept.
func (s *Store) tomorrow() events.Date { return events.DateOf(s.opt.Now(), s.opt.Location).AddDays(1) }

// clockSlack is how far a series' last sample may lie ahead of the clock
// before it is taken for the mark of a clock that ran ahead and was put
// right: the series then starts again from the next reading instead of
// ignoring every reading until real time catches up.
const clockSlack = time.Hour

// stale reports whether last, a series' last sample, lies so far ahead of
// the clock that it must be from a clock since put right.
func (s *Store) stale(last time.Time) bool { return last.After(s.opt.Now().Add(clockSlack)) }

// prune drops the days before keepFrom, and those after tomorrow, which a
// clock that ran ahead made.
func (s *Store) prune() {
	from, last := s.keepFrom(), s.tomorrow()
	for d := range s.f.Days {
		if d.Before(from) || last.Before(d) {
			delete(s.f.Days, d)
			s.dirty = true
		}
	}
}

// day returns the sums of date, creating them, or nil when date is before
// the days kept.
func (s *Store) day(date events.Date) *daySums {
	if d, ok := s.f.Days[date]; ok {
		return d
	}
	if date.Before(s.keepFrom()) || s.tomorrow().Before(date) {
		// A reading dated after tomorrow comes from a clock that ran
		// ahead (the collector rejects it too): a day kept for it would
		// never be pruned.
		return nil
	}
	s.prune() // a new day: perhaps a new month, and old ones to drop
	d := &daySums{}
	s.f.Days[date] = d
	return d
}

// add takes one reading into the sums and reports whether it is waste.
func (s *Store) add(r *reading.Reading) bool {
	// Readings are published to the millisecond: the collector's times.
	t := time.UnixMilli(r.Time.UnixMilli()).UTC()
	d := s.day(events.DateOf(t, s.opt.Location))
	if d != nil && (s.f.Since.IsZero() || t.Before(s.f.Since)) {
		s.f.Since = t
	}
	switch r.Stream {
	case reading.Energy:
		meter, source := r.Tag("meter"), r.Tag("source")
		if d != nil {
			d.Reported = true
		}
		for _, field := range [...]string{"kwh_total", "fuel_l_total"} {
			if f, ok := r.Field(field); ok && f.Kind == reading.KindFloat {
				s.counter(d, counterSum{Stream: reading.Energy, Meter: meter, Source: source, Field: field}, t, f.Num)
			}
		}
		if f, ok := r.Field("available"); ok && f.Kind == reading.KindBool && source == "grid" {
			s.availability(meter, t, f.Bool)
		}
	case reading.Solar:
		if d != nil {
			d.Reported = true
		}
		if f, ok := r.Field("kwh_total"); ok && f.Kind == reading.KindFloat {
			s.counter(d, counterSum{Stream: reading.Solar, Meter: r.Tag("inverter"), Field: "kwh_total"}, t, f.Num)
		}
	case reading.Waste:
		if d == nil {
			return false // a day not kept: nothing to save at once
		}
		d.Reported = true
		mass, _ := r.Field("mass_kg")
		w := d.wasteClass(r.Tag("category"), r.Tag("treatment"))
		w.Kg += mass.Num
		w.Events++
		if h, ok := r.Field("stored_hours"); ok && h.Num > s.opt.Params.StorageLimitHours {
			w.StorageExceeded++
		}
		return true
	}
	return false
}

func (d *daySums) wasteClass(category, treatment string) *wasteSum {
	for _, w := range d.Waste {
		if w.Category == category && w.Treatment == treatment {
			return w
		}
	}
	w := &wasteSum{Category: category, Treatment: treatment}
	d.Waste = append(d.Waste, w)
	return w
}

// series reports whether a series not seen before may be added: the
// file's bound keeps it loadable (a facility has a handful of meters).
func (s *Store) series(n int) bool {
	if n < maxSeries {
		return true
	}
	if !s.full {
		s.full = true
		s.log.Warn("figures: too many meter series; new ones are left out of the figures", "max", maxSeries)
	}
	return false
}

// counter moves counter series c on to the reading (t, v), adding the
// difference from its last reading to d, the day of t (nil: not kept).
func (s *Store) counter(d *daySums, c counterSum, t time.Time, v float64) {
	key := counterKey(c.Stream, c.Meter, c.Source, c.Field)
	prev, seen := s.f.Counters[key]
	if seen && s.stale(prev.T) && !t.After(prev.T) {
		seen = false
	}
	if seen && !t.After(prev.T) {
		return // out of order or repeated: see the package comment
	}
	if !seen && !s.series(len(s.f.Counters)) {
		return
	}
	s.f.Counters[key] = sample{T: t, V: v}
	if !seen || d == nil {
		return
	}
	inc, counts := indicators.Difference(indicators.Sample{Time: prev.T, Value: prev.V}, indicators.Sample{Time: t, Value: v})
	if !counts {
		return
	}
	sum, ok := d.Counters[key]
	if !ok {
		if d.Counters == nil {
			d.Counters = map[string]*counterSum{}
		}
		sum = &c
		d.Counters[key] = sum
	}
	sum.Increase += inc
}

// availability moves grid meter's availability on to the sample (t,
// live): the previous sample holds until t, at most 15 minutes.
func (s *Store) availability(meter string, t time.Time, live bool) {
	prev, seen := s.f.Grid[meter]
	if seen && s.stale(prev.T) && !t.After(prev.T) {
		seen = false
	}
	if seen && !t.After(prev.T) {
		return
	}
	if !seen && !s.series(len(s.f.Grid)) {
		return
	}
	v := 0.0
	if live {
		v = 1
	}
	s.f.Grid[meter] = sample{T: t, V: v}
	if !seen {
		return
	}
	s.forHeld(prev, t, func(date events.Date, l, c time.Duration) {
		if d := s.day(date); d != nil {
			if d.Grid == nil {
				d.Grid = map[string]*heldSum{}
			}
			h := d.Grid[meter]
			if h == nil {
				h = &heldSum{}
				d.Grid[meter] = h
			}
			h.LiveMS += l.Milliseconds()
			h.CoveredMS += c.Milliseconds()
		}
	})
}

// forHeld calls fn for each local day in which sample p, held until
// until (at most 15 minutes), covers some time, with the live and covered
// time in that day, as indicators.Availability reckons them.
func (s *Store) forHeld(p sample, until time.Time, fn func(date events.Date, live, covered time.Duration)) {
	end := p.T.Add(indicators.AvailabilityHold)
	if until.Before(end) {
		end = until
	}
	x := []indicators.Sample{{Time: p.T, Value: p.V}}
	for date := events.DateOf(p.T, s.opt.Location); ; date = date.AddDays(1) {
		start, next := date.In(s.opt.Location), date.AddDays(1).In(s.opt.Location)
		if !start.Before(end) {
			return
		}
		if next.After(end) {
			next = end
		}
		if l, c := indicators.Availability(x, start, next); c > 0 {
			fn(date, l, c)
		}
	}
}
