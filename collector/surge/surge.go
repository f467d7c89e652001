// Package surge compares what the facilities of a mass gathering (an
// event of registry/events, such as the Arba'een pilgrimage) report during
// the event with a baseline of the same facilities before it: the answer
// of GET /api/v1/surge?event=ID.
//
//	facility day indicator points of the event's facilities, over the
//	baseline weeks and the event's days (one read, Reader)
//	  → per facility, measure and event day: value, the mean of the same
//	    weekday over the baseline weeks and their band, the ratio
//	  → areas (the whole event, its governorates, its districts): sums of
//	    their facilities, ratios recomputed from the sums
//	  → cached per event; a viewer's answer is Scoped from the whole one
//
// The rules for missing values are in compute.go; docs/api.md says them
// for users.
package surge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// Reader reads stored indicator points; rollup.Read over the indicator
// bucket is one.
type Reader interface {
	Read(ctx context.Context, q rollup.Query) ([]rollup.Row, error)
}

// Event is a configured event with the length of its baseline.
type Event struct {
	events.Event
	// BaselineWeeks is how many weeks before the first day the baseline
	// covers.
	BaselineWeeks int
}

// Options configure a Surge.
type Options struct {
	// Location is the roll-up's timezone, in which event days are local
	// days.
	Location *time.Location
	// Country is the national area code (rollup.country), which a
	// viewer's scope names.
	Country string
	// MaxAge is how old a cached answer may be before a request starts
	// computing it again (DefaultMaxAge when 0). Until the new one is
	// ready requests get the old one: an answer is at most MaxAge plus
	// one computation old, and says when it was computed.
	MaxAge time.Duration
	// Timeout bounds one computation (DefaultTimeout when 0).
	Timeout time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	// Metrics, when set, count the computations.
	Metrics *Metrics
}

// Defaults of Options.
const (
	DefaultMaxAge  = 5 * time.Minute
	DefaultTimeout = 2 * time.Minute
)

// ErrUnknownEvent is returned for an id that no configured event has.
var ErrUnknownEvent = errors.New("event is not configured")

// Surge computes and caches the answers of the configured events. It is
// safe for concurrent use.
type Surge struct {
	read Reader
	reg  *registry.Registry
	list []Event
	opt  Options
	log  *slog.Logger

	mu    sync.Mutex
	cache map[string]*slot
}

// slot is one event's cached answer and the computation under way, if
// any.
type slot struct {
	core *core
	// running is closed when the computation under way ends; nil when
	// none runs.
	running chan struct{}
	err     error
	// gen counts the Invalidate calls that concerned the event, so that
	// a computation that read before one ends stale.
	gen int
}

// New returns a Surge over the events of list, whose facilities come from
// reg and whose points from read.
func New(read Reader, reg *registry.Registry, list []Event, opt Options, log *slog.Logger) *Surge {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.MaxAge <= 0 {
		opt.MaxAge = DefaultMaxAge
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Surge{read: read, reg: reg, list: list, opt: opt, log: log, cache: map[string]*slot{}}
}

// Entry is an event as GET /api/v1/surge lists it.
type Entry struct {
	events.Event
	// Facilities counts the registry's facilities in the event's areas.
	Facilities int `json:"facilities"`
	// Previous is the id of the same event a year before, if configured.
	Previous *string `json:"previous"`
}

// Events lists the configured events in configuration order.
func (s *Surge) Events() []Entry {
	out := make([]Entry, 0, len(s.list))
	for _, e := range s.list {
		out = append(out, s.entry(e))
	}
	return out
}

func (s *Surge) entry(e Event) Entry {
	x := Entry{Event: e.Event, Facilities: len(e.Facilities(s.reg))}
	if p, ok := events.Previous(s.plain(), e.Event); ok {
		x.Previous = &p.ID
	}
	return x
}

func (s *Surge) plain() []events.Event {
	out := make([]events.Event, len(s.list))
	for i, e := range s.list {
		out[i] = e.Event
	}
	return out
}

func (s *Surge) lookup(id string) (Event, bool) {
	for _, e := range s.list {
		if e.ID == id {
			return e, true
		}
	}
	return Event{}, false
}

// Answer is the whole answer for event id, every facility and area
// included; Scoped narrows it to a viewer. It comes from the cache when
// fresh enough (Options.MaxAge). The answer is shared: callers must not
// change it.
func (s *Surge) Answer(ctx context.Context, id string) (*Answer, error) {
	e, ok := s.lookup(id)
	if !ok {
		return nil, fmt.Errorf("event %q: %w", id, ErrUnknownEvent)
	}
	c, err := s.core(ctx, e)
	if err != nil {
		return nil, err
	}
	a := &Answer{Event: s.entry(e), Measures: measureNames(), Days: e.Days(), Baseline: c.baseline,
		Areas: c.areas, Facilities: c.facilities, Exceeded: c.exceeded, ComputedAt: c.computedAt,
		country: s.opt.Country}
	if p, ok := events.Previous(s.plain(), e.Event); ok {
		pe, _ := s.lookup(p.ID)
		// Without the year before (compute logged why) the answer is
		// still this year's; the next request tries again.
		if pc, err := s.core(ctx, pe); err == nil && pc.hasData {
			a.Previous = &Previous{Event: p.ID, Days: p.Days(), Total: pc.areas[0].Total, within: pc.areas[0].within}
			// The answer is as old as its older part.
			if pc.computedAt.Before(a.ComputedAt) {
				a.ComputedAt = pc.computedAt
			}
		}
	}
	return a, nil
}

// Warm computes every event's answer into the cache, one after the
// other, so that the first requests need not wait; a computation that
// fails is logged, and tried again by the next request.
func (s *Surge) Warm(ctx context.Context) {
	for _, e := range s.list {
		_, _ = s.core(ctx, e) // compute logs what fails
		if ctx.Err() != nil {
			return
		}
	}
}

// Invalidate marks the cached answers of the events whose days or
// baseline overlap [from, to) as stale, for a roll-up that rewrote those
// days: the next request computes them again (and gets the old answer
// meanwhile).
func (s *Surge) Invalidate(from, to time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.list {
		start := e.First.AddDays(-7 * e.BaselineWeeks).In(s.opt.Location)
		end := e.Last.AddDays(1).In(s.opt.Location)
		if sl := s.cache[e.ID]; sl != nil && from.Before(end) && to.After(start) {
			sl.gen++
			if sl.core != nil {
				sl.core.stale = true
			}
		}
	}
}

// core returns event e's computed core: the cached one while fresh; else
// it starts computing a new one, waits for it when there is no old one,
// and returns the old one meanwhile when there is.
func (s *Surge) core(ctx context.Context, e Event) (*core, error) {
	s.mu.Lock()
	sl := s.cache[e.ID]
	if sl == nil {
		sl = &slot{}
		s.cache[e.ID] = sl
	}
	old := sl.core
	if old != nil && !old.stale && s.opt.Now().Sub(old.computedAt) < s.opt.MaxAge {
		s.mu.Unlock()
		return old, nil
	}
	running := sl.running
	if running == nil {
		running = make(chan struct{})
		sl.running = running
		// The computation outlives the request that started it: others
		// wait for it, and the cache keeps it.
		go s.compute(context.WithoutCancel(ctx), e, sl, sl.gen, running)
	}
	s.mu.Unlock()
	if old != nil {
		return old, nil
	}
	select {
	case <-running:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sl.core == nil {
		return nil, sl.err
	}
	return sl.core, nil
}

// compute computes e's core into sl and closes running; gen is sl's
// generation when it started.
func (s *Surge) compute(ctx context.Context, e Event, sl *slot, gen int, running chan struct{}) {
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	defer cancel()
	start := time.Now()
	c, err := s.computeCore(ctx, e)
	// Counted before the answer is handed out, so that whoever sees the
	// answer sees it counted.
	if m := s.opt.Metrics; m != nil {
		m.duration.Observe(time.Since(start).Seconds())
		if err != nil {
			m.total.WithLabelValues("error").Inc()
		} else {
			m.total.WithLabelValues("ok").Inc()
			m.last.SetToCurrentTime()
		}
	}
	s.mu.Lock()
	if err == nil {
		c.stale = sl.gen != gen
		sl.core, sl.err = c, nil
	} else {
		sl.err = fmt.Errorf("surge of event %s: %w", e.ID, err)
	}
	sl.running = nil
	s.mu.Unlock()
	close(running)
	if err != nil {
		s.log.Warn("surge: computing an event's answer", "event", e.ID, "err", err)
		return
	}
	s.log.Debug("surge computed", "event", e.ID, "facilities", len(c.facilities), "seconds", time.Since(start).Seconds())
}

// Measures are what an answer compares, in answer order.
var Measures = [...]indicators.ID{
	indicators.WasteKg, indicators.HazardousWasteKg, indicators.EnergyKWh, indicators.GeneratorFuelL,
	indicators.StorageExceededCount,
}

func measureNames() []string {
	out := make([]string, len(Measures))
	for i, m := range Measures {
		out[i] = string(m)
	}
	return out
}
