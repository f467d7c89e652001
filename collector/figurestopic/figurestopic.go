// Package figurestopic publishes each facility's official month figures to
// its figures topic, <root>/<facility_id>/figures: retained, QoS 1, the
// facility-level month values the roll-up just wrote, so that the
// facility's agent shows them on its page beside its own figures, also
// while its link is down (it keeps the last message), without credentials
// to the collector's HTTP API.
//
//	roll-up writes a month ─► Month: keep the latest values of that month ─┐ (never blocks)
//	broker (re)connect ─► Reconnected: every facility's months again ──────┤
//	                                                                        ▼
//	Run: per facility, hash the values; changed ─► queue (one entry a facility) ─► publish, wait for PUBACK
//	                                                                            (Window facilities at a time)
//
// Only the current local month is published, and during the first days of
// a month (PreviousMonthDays, 3 by default: the roll-up's recent job
// recomputes the last days of the month before) the previous month too, so
// that a month's final figures reach the agent. A facility's message is
// published only when its values changed since the last one of that month
// (an FNV-1a hash per facility and month, kept in memory), so a roll-up
// every 15 minutes over 2,000 facilities publishes only those with new
// readings. Every (re)connect publishes every facility's months again, as
// they were last published, since a broker may have lost its retained
// messages. When a facility's previous month is published, its current
// month follows it, so that the retained message, which is what an agent
// that connects later gets, is the current month.
//
// A message is
//
//	{"facility": "BG-H-001", "period": "month", "start": "2026-12-01",
//	 "computed_at": "2026-12-03T10:15:00Z",
//	 "values": [{"indicator": "waste_kg", "value": 1234.5, "facilities": 1}, ...]}
//
// with the values in catalog order ([] for a facility with none), and
// computed_at the roll-up that first gave these values.
package figurestopic

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Broker is the collector's MQTT client as the publisher uses it.
type Broker interface {
	// PublishRetained sends payload to topic, retained at QoS 1, and
	// returns once the broker acknowledged it, or with an error when it
	// did not before ctx ended.
	PublishRetained(ctx context.Context, topic string, payload []byte) error
	// Connected reports whether the connection to the broker is up.
	Connected() bool
}

// Options tune a Publisher; zero values take the defaults.
type Options struct {
	// Location is the roll-up's timezone, whose local months these are
	// (default UTC).
	Location *time.Location
	// PreviousMonthDays is how many first days of a month the previous
	// month is still published (default 3).
	PreviousMonthDays int
	// AckTimeout is how long one publish waits for the broker (default
	// 30 s). A publish that times out is tried again.
	AckTimeout time.Duration
	// RetryMin and RetryMax bound the wait after a failed publish while
	// connected (defaults 1 s and 30 s).
	RetryMin, RetryMax time.Duration
	// Window is how many facilities are published at once (default 16;
	// each facility's own messages go one at a time, in order).
	Window int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Publisher publishes facilities' month figures. Month and Reconnected
// never block; it is safe for concurrent use. Run it once.
type Publisher struct {
	broker  Broker
	root    string
	opt     Options
	metrics *Metrics
	log     *slog.Logger

	wake chan struct{} // a value when there is work or the broker came back

	mu sync.Mutex
	// incoming holds the latest values of each month told since Run last
	// looked, by the month's start (Unix seconds); reconnected says a
	// (re)connect happened since.
	incoming    map[int64]written
	reconnected bool

	// Only Run's goroutine touches the rest.
	held   map[string]*facility // what each facility was (or is to be) sent
	queue  []string             // facilities to publish, oldest first, each once
	queued map[string]bool
}

// written is one month as a roll-up wrote it.
type written struct {
	period indicators.Period
	at     time.Time
	values map[string][]indicators.Value
}

// facility is what a facility was sent, oldest month first (at most two).
type facility struct {
	months []*month
}

// month is one facility's message of one month.
type month struct {
	start   int64  // Unix seconds of the local month's start
	hash    uint64 // of start and values, computed_at left out
	payload []byte // the message as published, or to publish
	dirty   bool   // to publish
}

// New returns a publisher that sends figures through broker under root.
func New(broker Broker, root string, opt Options, m *Metrics, log *slog.Logger) *Publisher {
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.PreviousMonthDays <= 0 {
		opt.PreviousMonthDays = 3
	}
	if opt.AckTimeout <= 0 {
		opt.AckTimeout = 30 * time.Second
	}
	if opt.RetryMin <= 0 {
		opt.RetryMin = time.Second
	}
	if opt.RetryMax < opt.RetryMin {
		opt.RetryMax = max(30*time.Second, opt.RetryMin)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Window <= 0 {
		opt.Window = 16
	}
	return &Publisher{broker: broker, root: root, opt: opt, metrics: m, log: log,
		wake: make(chan struct{}, 1), incoming: map[int64]written{},
		held: map[string]*facility{}, queued: map[string]bool{}}
}

// Month tells the publisher that a roll-up computed month p at at, with
// each facility's facility-level values (in catalog order). It keeps them
// for Run and returns; a later call for the same month replaces them.
// values must not change afterwards. Other periods are ignored.
func (p *Publisher) Month(period indicators.Period, at time.Time, values map[string][]indicators.Value) {
	if period.Kind != indicators.Month {
		return
	}
	p.mu.Lock()
	p.incoming[period.Start.Unix()] = written{period: period, at: at, values: values}
	p.mu.Unlock()
	p.signal()
}

// Reconnected publishes every facility's months again. The subscriber
// calls it on every (re)connect.
func (p *Publisher) Reconnected() {
	p.mu.Lock()
	p.reconnected = true
	p.mu.Unlock()
	p.signal()
}

func (p *Publisher) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run publishes until ctx ends. What is still queued then is published
// again by the next collector after its first roll-up.
//
// It keeps up to Window facilities in flight, each in a goroutine of its
// own that sends that facility's messages one after the other: a publish
// waits for the broker's PUBACK, which on the collector's connection comes
// only after the collector's own subscription has acknowledged the same
// message coming back (measured: 14 ms with the ingest pipeline's 10 ms
// idle flush), so one at a time, 2,000 facilities took 28 s, 16 at a time
// 0.9-1.8 s.
func (p *Publisher) Run(ctx context.Context) error {
	results := make(chan sendResult, p.opt.Window)
	busy := map[string]bool{}  // facilities in flight
	var retry <-chan time.Time // while pausing after a failed publish
	backoff := time.Duration(0)
	for {
		if p.absorb() {
			retry, backoff = nil, 0 // a new connection: try at once
		}
		for retry == nil && len(busy) < p.opt.Window && p.broker.Connected() {
			id, ok := p.next()
			if !ok {
				break
			}
			if busy[id] {
				continue // queued again when it returns, if anything still waits
			}
			j := p.job(id)
			if len(j.sends) == 0 {
				continue
			}
			busy[id] = true
			go func() { results <- p.run(ctx, j) }()
		}
		select {
		case <-ctx.Done():
			for range busy {
				<-results
			}
			return nil
		case <-p.wake:
		case <-retry:
			retry = nil
		case r := <-results:
			delete(busy, r.id)
			p.settle(r)
			if r.err == nil {
				backoff = 0
				continue
			}
			if ctx.Err() != nil {
				continue
			}
			if retry == nil {
				// Try again after a growing pause, or at once
				// after a reconnect (which queues everything).
				backoff = min(max(2*backoff, p.opt.RetryMin), p.opt.RetryMax)
				p.log.Warn("figures topic: publish failed; trying again", "facility", r.id, "err", r.err, "retry_in", backoff)
				retry = time.After(backoff)
			}
		}
	}
}

// absorb takes what Month and Reconnected left: each month's values are
// compared with what its facilities were sent, and the changed ones
// queued; after a reconnect, which it reports, every facility's months
// are queued again.
func (p *Publisher) absorb() (reconnected bool) {
	p.mu.Lock()
	var in map[int64]written
	if len(p.incoming) > 0 {
		in, p.incoming = p.incoming, map[int64]written{}
	}
	reconnected = p.reconnected
	p.reconnected = false
	p.mu.Unlock()

	now := p.opt.Now()
	keep := p.wanted(now)
	for _, start := range slices.Sorted(maps.Keys(in)) {
		w := in[start]
		if !slices.Contains(keep, start) {
			p.log.Debug("figures topic: month not published (neither this month nor, in its first days, the last)",
				"month", w.period.Start.In(p.opt.Location).Format("2006-01"))
			continue
		}
		p.take(w, start)
	}
	p.prune(keep)
	if reconnected {
		for _, id := range slices.Sorted(maps.Keys(p.held)) {
			for _, m := range p.held[id].months {
				m.dirty = true
			}
			p.enqueue(id)
		}
	}
	return reconnected
}

// take compares month w's values with what each facility was sent and
// queues those that differ.
func (p *Publisher) take(w written, start int64) {
	date := w.period.Start.In(p.opt.Location).Format("2006-01-02")
	changed, unchanged := 0, 0
	for _, id := range slices.Sorted(maps.Keys(w.values)) {
		vals, hash := encodeValues(date, w.values[id])
		f := p.held[id]
		if f == nil {
			f = &facility{}
			p.held[id] = f
		}
		m := f.month(start)
		if m.payload != nil && m.hash == hash {
			unchanged++
			continue
		}
		m.hash, m.payload, m.dirty = hash, encodeMessage(id, date, w.at, vals), true
		changed++
		p.enqueue(id)
	}
	p.metrics.unchanged.Add(float64(unchanged))
	p.log.Debug("figures topic: month rolled up", "month", date, "changed", changed, "unchanged", unchanged)
}

// month returns f's entry for the month starting at start, adding it in
// order.
func (f *facility) month(start int64) *month {
	for _, m := range f.months {
		if m.start == start {
			return m
		}
	}
	m := &month{start: start}
	f.months = append(f.months, m)
	slices.SortFunc(f.months, func(a, b *month) int { return cmp.Compare(a.start, b.start) })
	return m
}

// wanted returns the starts of the months published at now: the current
// local month, and in its first days the previous one.
func (p *Publisher) wanted(now time.Time) []int64 {
	cur := indicators.PeriodOf(indicators.Month, now, p.opt.Location)
	keep := []int64{cur.Start.Unix()}
	if now.In(p.opt.Location).Day() <= p.opt.PreviousMonthDays {
		prev := indicators.PeriodOf(indicators.Month, cur.Start.AddDate(0, 0, -1), p.opt.Location)
		keep = append(keep, prev.Start.Unix())
	}
	return keep
}

// prune forgets the months that are no longer published.
func (p *Publisher) prune(keep []int64) {
	for id, f := range p.held {
		f.months = slices.DeleteFunc(f.months, func(m *month) bool { return !slices.Contains(keep, m.start) })
		if len(f.months) == 0 {
			delete(p.held, id)
		}
	}
}

// job is what one facility has to send, in order.
type job struct {
	id    string
	sends []*pending
}

// pending is one message of a job: the month's payload as it was when
// the job was made.
type pending struct {
	start   int64
	hash    uint64
	payload []byte
}

// sendResult says how far a job got: sent of its messages were
// acknowledged, then err.
type sendResult struct {
	job
	sent int
	err  error
}

// job collects the facility's months that wait, oldest first; a month
// sent before the newest is followed by the newest, which is thus the
// retained message.
func (p *Publisher) job(id string) job {
	j := job{id: id}
	f := p.held[id]
	if f == nil {
		return j // its months ended while it waited
	}
	for i, m := range f.months {
		if !m.dirty {
			continue
		}
		if i < len(f.months)-1 {
			f.months[len(f.months)-1].dirty = true
		}
		j.sends = append(j.sends, &pending{start: m.start, hash: m.hash, payload: m.payload})
	}
	return j
}

// run sends j's messages one after the other, stopping at the first
// failure. It runs in a goroutine of its own and touches nothing of p's
// but the broker and the metrics.
func (p *Publisher) run(ctx context.Context, j job) sendResult {
	r := sendResult{job: j}
	topic := reading.FiguresTopic(p.root, j.id)
	for _, s := range j.sends {
		pctx, cancel := context.WithTimeout(ctx, p.opt.AckTimeout)
		err := p.broker.PublishRetained(pctx, topic, s.payload)
		cancel()
		if err != nil {
			p.metrics.errors.Inc()
			r.err = fmt.Errorf("publish figures to %s: %w", topic, err)
			return r
		}
		p.metrics.published.Inc()
		r.sent++
	}
	return r
}

// settle marks what r sent as published, unless a newer roll-up replaced
// it meanwhile, and queues the facility again if anything still waits.
func (p *Publisher) settle(r sendResult) {
	f := p.held[r.id]
	if f == nil {
		return
	}
	for _, s := range r.sends[:r.sent] {
		for _, m := range f.months {
			if m.start == s.start && m.hash == s.hash {
				m.dirty = false
			}
		}
	}
	if slices.ContainsFunc(f.months, func(m *month) bool { return m.dirty }) {
		p.enqueue(r.id)
	}
}

// enqueue queues facility unless it already is.
func (p *Publisher) enqueue(id string) {
	if !p.queued[id] {
		p.queued[id] = true
		p.queue = append(p.queue, id)
	}
	p.metrics.pending.Set(float64(len(p.queue)))
}

// next takes the oldest queued facility.
func (p *Publisher) next() (string, bool) {
	if len(p.queue) == 0 {
		return "", false
	}
	id := p.queue[0]
	p.queue[0] = ""
	p.queue = p.queue[1:]
	delete(p.queued, id)
	p.metrics.pending.Set(float64(len(p.queue)))
	return id, true
}
