package modbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/reading"
)

// maxBackoff bounds the wait before asking a silent device again: an
// inverter that switched Modbus off for the night is found again within
// this time of sunrise.
const maxBackoff = 5 * time.Minute

// counterFields are the fields guarded against going backwards.
var counterFields = [...]string{"kwh_total", "fuel_l_total"}

// Source polls the configured Modbus devices. Run it once.
type Source struct {
	// Now is the clock, replaced by tests.
	Now func() time.Time

	facility string
	buses    []config.ModbusBus
	devices  [][]*device // by bus, as configured
	// statePath is the file of the devices' state (StateFile), "" for none.
	statePath string
	metrics   *Metrics
	log       *slog.Logger
	// open opens a bus; tests replace it to count or fail connections.
	open func(bus.Config, *slog.Logger) (*bus.Bus, error)
}

// New returns the source of the buses of cfg for facility, keeping what it
// must remember across restarts in the file statePath ("" for nowhere). A
// nil log discards messages.
func New(facility string, cfg config.Modbus, statePath string, m *Metrics, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	devices := make([][]*device, len(cfg.Buses))
	for i, b := range cfg.Buses {
		for j, d := range b.Devices {
			p, err := newPoller(d)
			if err != nil {
				return nil, fmt.Errorf("sources.modbus.buses[%d].devices[%d]: %w", i, j, err)
			}
			devices[i] = append(devices[i], newDevice(d, p))
			m.device(d.Name)
		}
	}
	return &Source{Now: time.Now, facility: facility, buses: cfg.Buses, devices: devices, statePath: statePath,
		metrics: m, log: log, open: bus.Open}, nil
}

// Name returns the source's name for logs and metrics.
func (s *Source) Name() string { return "modbus" }

// Run polls every bus until ctx ends, each on its own goroutine, handing
// each round of readings of a bus to emit. It returns ctx.Err() when ctx
// ends, or the first error of emit (the outbox could not store readings).
func (s *Source) Run(ctx context.Context, emit func([]reading.Reading) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	state, err := openState(s.statePath)
	if err != nil {
		s.log.Warn("modbus state unreadable; counters start afresh", "err", err)
	}
	var wg sync.WaitGroup
	for i, bc := range s.buses {
		b, err := s.open(bc.Config, s.log)
		if err != nil {
			cancel(err)
			break
		}
		devs := s.devices[i]
		for _, d := range devs {
			d.restore(state.get(d.cfg.Name))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer b.Close()
			if err := s.runBus(ctx, bc.URL, b, devs, state, emit); err != nil {
				cancel(err)
			}
		}()
	}
	<-ctx.Done()
	wg.Wait()
	if err := state.flush(); err != nil {
		s.log.Warn("modbus state not saved", "err", err)
	}
	return context.Cause(ctx)
}

// runBus asks the bus's devices in turn, each when it is due, and emits
// the readings of the devices due at the same time as one batch.
func (s *Source) runBus(ctx context.Context, url string, r regmap.Reader, devs []*device, state *stateStore, emit func([]reading.Reading) error) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	round := map[string]deviceState{}
	for {
		now := s.Now()
		var batch []reading.Reading
		clear(round)
		for _, d := range devs {
			if d.next.After(now) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			batch = append(batch, s.poll(ctx, r, d)...)
			round[d.cfg.Name] = d.state()
		}
		if len(batch) > 0 {
			if err := emit(batch); err != nil {
				return fmt.Errorf("modbus %s: store %d readings: %w", url, len(batch), err)
			}
		}
		// The state is written after the readings it vouches for are
		// stored, so that a crash between the two repeats a check rather
		// than skipping one.
		if err := state.put(round, now); err != nil {
			s.log.Warn("modbus state not saved", "err", err)
		}
		next := devs[0].next
		for _, d := range devs[1:] {
			if d.next.Before(next) {
				next = d.next
			}
		}
		timer.Reset(max(next.Sub(s.Now()), 0))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// device is one configured device and what the source remembers of it.
type device struct {
	cfg    config.ModbusDevice
	unit   uint8
	stream reading.Stream
	poller poller
	// builder is reused for every reading of the device.
	builder *reading.Builder

	next     time.Time // when to poll it next
	fails    int       // failed polls in a row
	identity string
	guards   map[string]*counterGuard
	// quiet remembers what was logged already (a field skipped as not
	// implemented, a counter held back), so that a state is logged when
	// it begins, not at every poll.
	quiet map[string]bool
}

func newDevice(d config.ModbusDevice, p poller) *device {
	b, _ := reading.NewBuilder(reading.Stream(d.Stream))
	return &device{cfg: d, unit: uint8(d.Unit), stream: reading.Stream(d.Stream), poller: p, builder: b,
		guards: map[string]*counterGuard{}, quiet: map[string]bool{}}
}

// poll asks one device and returns its reading, if it gave one.
func (s *Source) poll(ctx context.Context, r regmap.Reader, d *device) []reading.Reading {
	name := d.cfg.Name
	log := s.log.With("device", name, "unit", d.unit)
	start := s.Now()
	s.metrics.polls.WithLabelValues(name).Inc()
	values, skipped, err := d.poller.poll(ctx, r, d.unit)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		kind := bus.Kind(err)
		s.metrics.errors.WithLabelValues(name, kind).Inc()
		if errors.Is(err, errWrongDevice) {
			// Most likely the config is wrong, but an inverter booting at
			// dawn may show its common model alone for a while: look
			// again, rarely, from discovery up.
			if !d.quiet["wrong"] {
				d.quiet["wrong"] = true
				log.Error("modbus device has nothing for its stream; check its preset and stream", "err", err, "retry_in", maxBackoff)
			}
			d.poller.lost()
			d.next = start.Add(maxBackoff)
			return nil
		}
		d.fails++
		wait := backoff(d.cfg.Interval, d.fails)
		d.next = start.Add(wait)
		if d.fails == 1 {
			log.Warn("modbus device not answering; retrying with backoff", "kind", kind,
				"exception", bus.ExceptionName(err), "err", err, "retry_in", wait)
			d.poller.lost()
		} else {
			log.Debug("modbus device still not answering", "kind", kind, "fails", d.fails, "retry_in", wait)
		}
		return nil
	}
	if d.fails > 0 {
		log.Info("modbus device answering again", "failed_polls", d.fails)
	}
	delete(d.quiet, "wrong")
	d.fails = 0
	d.next = start.Truncate(d.cfg.Interval).Add(d.cfg.Interval)
	s.metrics.lastSuccess.WithLabelValues(name).Set(float64(start.UnixMilli()) / 1000)

	replaced := false
	if id := d.poller.identity(); id != "" {
		replaced = d.identity != "" && id != d.identity
		if replaced {
			log.Warn("modbus device replaced: its counters start again", "was", d.identity, "now", id)
		}
		d.identity = id
	}
	s.noteSkipped(log, d, skipped)
	s.dropOutOfRange(log, d, values, start)
	s.guardCounters(log, d, values, start, replaced)
	rd, ok := s.build(log, d, values, start)
	if !ok {
		return nil
	}
	return []reading.Reading{rd}
}

// backoff is the wait after fails failed polls in a row: the interval,
// then doubling, up to maxBackoff.
func backoff(interval time.Duration, fails int) time.Duration {
	wait := interval
	for i := 1; i < fails && wait < maxBackoff; i++ {
		wait *= 2
	}
	return min(max(wait, interval), max(maxBackoff, interval))
}

// noteSkipped counts the fields a device marked "not implemented" and logs
// each when it starts or stops being so.
func (s *Source) noteSkipped(log *slog.Logger, d *device, skipped []string) {
	now := map[string]bool{}
	for _, f := range skipped {
		now[f] = true
		s.metrics.errors.WithLabelValues(d.cfg.Name, "sentinel").Inc()
		if key := "skip:" + f; !d.quiet[key] {
			d.quiet[key] = true
			log.Warn("modbus device reports a value as not implemented; not published", "field", f)
		}
	}
	for key := range d.quiet {
		if f, ok := strings.CutPrefix(key, "skip:"); ok && !now[f] {
			delete(d.quiet, key)
			log.Info("modbus device reports the value again", "field", f)
		}
	}
}

// litresPerKWh bounds a generator's fuel burn for the leap check: diesel
// sets burn 0.25-0.4 L/kWh, so 0.5 never holds back a true reading.
const litresPerKWh = 0.5

// guardCounters removes from values the counters that went backwards or
// leapt (see counterGuard) at ts.
func (s *Source) guardCounters(log *slog.Logger, d *device, values map[string]float64, ts time.Time, replaced bool) {
	for _, f := range counterFields {
		v, ok := values[f]
		if !ok {
			continue
		}
		g := d.guards[f]
		if g == nil {
			g = &counterGuard{}
			d.guards[f] = g
		}
		last := g.last
		// The step is the counter's resolution, which the bound must allow
		// beyond the rate: counters in whole kWh, fuel levels in whole
		// percent of the tank (twice that, for a sender between steps).
		maxPerHour, step := d.cfg.MaxKW, 1.0
		if f == "fuel_l_total" {
			maxPerHour *= litresPerKWh
			step = max(step, d.cfg.TankLitres*2/100)
		}
		switch g.check(v, ts, replaced, maxPerHour, step) {
		case pass:
			if d.quiet["back:"+f] || d.quiet["leap:"+f] {
				delete(d.quiet, "back:"+f)
				delete(d.quiet, "leap:"+f)
				log.Info("modbus counter back on its course", "field", f, "value", v)
			}
		case backwards:
			delete(values, f)
			s.metrics.errors.WithLabelValues(d.cfg.Name, "backwards").Inc()
			if !d.quiet["back:"+f] {
				d.quiet["back:"+f] = true
				log.Warn("modbus counter went backwards; not published unless it keeps counting from there",
					"field", f, "value", v, "last", last, "polls_to_accept", confirmPolls)
			}
		case leap:
			delete(values, f)
			s.metrics.errors.WithLabelValues(d.cfg.Name, "leap").Inc()
			if !d.quiet["leap:"+f] {
				d.quiet["leap:"+f] = true
				log.Warn("modbus counter rose more than max_kw allows since its last reading; not published unless it keeps counting from there",
					"field", f, "value", v, "last", last, "max_kw", d.cfg.MaxKW, "polls_to_accept", confirmPolls)
			}
		case restarted:
			delete(d.quiet, "back:"+f)
			delete(d.quiet, "leap:"+f)
			log.Warn("modbus counter restarted (meter replaced or reset); published as a reset",
				"field", f, "value", v, "last", last)
		case leapt:
			delete(d.quiet, "back:"+f)
			delete(d.quiet, "leap:"+f)
			log.Warn("modbus counter went on from a higher value (meter replaced?); published, and its rise counts as use",
				"field", f, "value", v, "last", last)
		}
	}
}

// dropOutOfRange removes from values, counts and logs each value outside
// the contract's range (a wrong byte order gives 2e12 kWh), so that the
// rest of the reading is kept and the guard never learns a bad counter.
func (s *Source) dropOutOfRange(log *slog.Logger, d *device, values map[string]float64, ts time.Time) {
	for {
		_, err := s.assemble(d, values, ts)
		var re *reading.Error
		if err == nil || !errors.As(err, &re) || re.Reason == reading.ReasonMissingField {
			return
		}
		if _, ok := values[re.Field]; !ok {
			return // not a value of the device's: build reports it
		}
		s.metrics.errors.WithLabelValues(d.cfg.Name, "range").Inc()
		log.Warn("modbus value outside the contract's range; not published", "field", re.Field,
			"value", roundForLog(values[re.Field]), "err", err)
		delete(values, re.Field)
	}
}

// build makes the device's reading at ts from values; a poll that gave no
// counter (not implemented, or held back) makes none.
func (s *Source) build(log *slog.Logger, d *device, values map[string]float64, ts time.Time) (reading.Reading, bool) {
	rd, err := s.assemble(d, values, ts)
	if err == nil {
		delete(d.quiet, "nocounter")
		return rd, true
	}
	var re *reading.Error
	switch {
	case errors.As(err, &re) && re.Reason == reading.ReasonMissingField && re.Field == "kwh_total":
		if !d.quiet["nocounter"] && !d.quiet["back:kwh_total"] {
			d.quiet["nocounter"] = true
			log.Warn("modbus device gave no kwh_total: no reading until it does (every energy and solar reading needs its counter)")
		}
	default:
		log.Error("modbus reading refused", "err", err)
	}
	return reading.Reading{}, false
}

// assemble builds the device's reading at ts from values.
func (s *Source) assemble(d *device, values map[string]float64, ts time.Time) (reading.Reading, error) {
	b := d.builder
	b.Reset()
	switch d.stream {
	case reading.Energy:
		b.SetTag("meter", d.cfg.Meter)
		b.SetTag("source", d.cfg.Source)
	case reading.Solar:
		b.SetTag("inverter", d.cfg.Inverter)
	}
	for f, v := range values {
		if f == "available" {
			b.SetBool(f, v != 0)
		} else if b.HasField(f) {
			b.SetFloat(f, v)
		}
	}
	return b.Build(s.facility, ts, ts, reading.Limits{MaxFuture: time.Hour})
}

func roundForLog(v float64) float64 { return math.Round(v*1000) / 1000 }
