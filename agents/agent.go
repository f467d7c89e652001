// Package agents is the facility agent: sources take readings, the outbox
// keeps them on disk, the publisher drains them to MQTT.
//
//	sources (simulate, manual) → outbox (bbolt, fsync per batch) → publish (QoS 1, delete on PUBACK) → broker
//
// The publisher (the consumer) starts before the sources (the producers);
// on shutdown the sources stop first, then the publisher marks the agent
// offline and disconnects. Readings still in the outbox stay for next time.
//
// Waste that staff enter (RecordWaste) also goes to a list of the last
// entries beside the outbox (package wastelog), which the web page shows
// as queued or sent by asking the outbox whether each is still there.
//
// The publisher also subscribes to the facility's alerts topic, which the
// collector writes; the last list that arrived is kept beside the outbox
// (package alertlist) and shown on the page (Alerts), so it is still
// there while the link is down and after a restart offline.
//
// Every reading the outbox stored also goes to the facility's daily sums
// (package figures, figures.json beside the outbox), from which the page
// shows today's, yesterday's and this month's figures with the
// collector's formulas, link or no link; and the collector's official
// month figures, from the facility's figures topic, are kept beside them
// (package officialfigures).
package agents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/alertlist"
	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/figures"
	"github.com/greenpulse-health/greenpulse/agents/meterlog"
	"github.com/greenpulse-health/greenpulse/agents/officialfigures"
	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/agents/publish"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus"
	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/agents/wastelog"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Source produces readings until ctx ends, handing each batch to emit; a
// batch is stored with one disk sync, so a source emits a tick at a time.
type Source interface {
	Name() string
	Run(ctx context.Context, emit func([]reading.Reading) error) error
}

// Agent is one facility's agent. Record is safe for concurrent use.
type Agent struct {
	cfg     config.Config
	log     *slog.Logger
	metrics *Metrics
	outbox  *outbox.Outbox
	pub     *publish.Publisher
	sources []Source
	sim     *simulate.Sim
	waste   *wastelog.Log
	meters  *meterlog.Log
	alerts  *alertlist.List
	figures *figures.Store
	// official is the collector's month figures for this facility.
	official *officialfigures.List

	mu        sync.Mutex
	appendErr error
	buf       []byte

	// wasteMu keeps waste entries in the list in the order of their
	// outbox sequence numbers.
	wasteMu sync.Mutex
	// meterMu makes checking a meter entry against the last readings,
	// storing it and updating them one step (meter.go).
	meterMu sync.Mutex
}

// New opens the outbox and builds the publisher and the configured sources;
// the simulator finds this facility in sources.simulate.registry. Close
// releases the outbox.
func New(cfg config.Config, version string, m *Metrics, log *slog.Logger) (*Agent, error) {
	if !cfg.Sources.Simulate.Enabled {
		return newAgent(cfg, version, m, log, nil)
	}
	f, err := facilityRow(cfg.Sources.Simulate.Registry, cfg.Facility)
	if err != nil {
		return nil, err
	}
	return newAgent(cfg, version, m, log, &f)
}

// NewSimulated is New for a simulated facility whose registry row the caller
// already has (the fleet simulator loads the registry once).
func NewSimulated(cfg config.Config, f registry.Facility, version string, m *Metrics, log *slog.Logger) (*Agent, error) {
	cfg.Sources.Simulate.Enabled = true
	return newAgent(cfg, version, m, log, &f)
}

func newAgent(cfg config.Config, version string, m *Metrics, log *slog.Logger, row *registry.Facility) (*Agent, error) {
	log = log.With("facility", cfg.Facility)
	ob, err := outbox.Open(cfg.Outbox.Dir, outbox.Options{MaxBytes: cfg.Outbox.MaxBytes, Logger: log})
	if err != nil {
		return nil, err
	}
	wl, err := wastelog.Open(cfg.Outbox.Dir, log)
	if err != nil {
		ob.Close()
		return nil, err
	}
	ml, err := meterlog.Open(cfg.Outbox.Dir, log)
	if err != nil {
		ob.Close()
		return nil, err
	}
	al, err := alertlist.Open(cfg.Outbox.Dir, cfg.Facility, log)
	if err != nil {
		ob.Close()
		return nil, err
	}
	fs, err := openFigures(cfg, row, m, log)
	if err != nil {
		ob.Close()
		return nil, err
	}
	of, err := officialfigures.Open(cfg.Outbox.Dir, cfg.Facility, log)
	if err != nil {
		ob.Close()
		return nil, err
	}
	a := &Agent{cfg: cfg, log: log, metrics: m, outbox: ob, waste: wl, meters: ml, alerts: al, figures: fs, official: of}
	a.pub, err = publish.New(cfg.MQTT, publish.Options{Facility: cfg.Facility, Version: version, Publish: cfg.Publish,
		Alerts: a.takeAlerts, Figures: a.takeFigures}, ob, m.Publish, log)
	if err != nil {
		ob.Close()
		return nil, err
	}
	if row != nil {
		a.sim = simulate.New(*row, cfg.Sources.Simulate.Seed)
		var sim Source = simulate.NewSource(a.sim, cfg.Sources.Simulate.Interval, log)
		if len(cfg.Sources.Simulate.Streams) > 0 {
			sim = onlyStreams(sim, cfg.Sources.Simulate.Streams)
		}
		a.sources = append(a.sources, sim)
	}
	if len(cfg.Sources.Modbus.Buses) > 0 {
		src, err := modbus.New(cfg.Facility, cfg.Sources.Modbus,
			filepath.Join(cfg.Outbox.Dir, modbus.StateFile), m.Modbus, log)
		if err != nil {
			ob.Close()
			return nil, err
		}
		a.sources = append(a.sources, src)
	}
	m.outboxes.add(ob)
	return a, nil
}

// openFigures opens the facility's daily sums beside the outbox. Beds and
// PV kWp come from figures.beds and figures.pv_kwp, else from the
// registry row of a simulated facility.
func openFigures(cfg config.Config, row *registry.Facility, m *Metrics, log *slog.Logger) (*figures.Store, error) {
	loc, err := cfg.Figures.Location()
	if err != nil {
		return nil, err
	}
	beds, kwp := cfg.Figures.Beds, cfg.Figures.PVkWp
	if row != nil {
		if beds == 0 {
			beds = row.Beds
		}
		if kwp == 0 {
			kwp = row.PVkWp
		}
	}
	return figures.Open(cfg.Outbox.Dir, figures.Options{
		Facility: cfg.Facility, Location: loc, Params: cfg.Figures.Params(), Beds: beds, PVkWp: kwp,
		SaveInterval: cfg.Figures.SaveInterval, SaveFailed: m.figuresSaveErrors.Inc,
	}, log)
}

// Simulator returns the facility model of a simulated agent, or nil.
func (a *Agent) Simulator() *simulate.Sim { return a.sim }

func facilityRow(path, id string) (registry.Facility, error) {
	reg, err := registry.Load(path)
	if err != nil {
		return registry.Facility{}, fmt.Errorf("sources.simulate.registry %s: %w", path, err)
	}
	f, ok := reg.Lookup(id)
	if !ok {
		return registry.Facility{}, fmt.Errorf("facility %q is not in the registry %s", id, path)
	}
	return f, nil
}

// Close writes the figures' file and closes the outbox. Call it after Run
// returned.
func (a *Agent) Close() error {
	return errors.Join(a.figures.Flush(), a.outbox.Close())
}

// Outbox returns the agent's outbox, for tools that inspect or fill it.
func (a *Agent) Outbox() *outbox.Outbox { return a.outbox }

// Publisher returns the agent's publisher.
func (a *Agent) Publisher() *publish.Publisher { return a.pub }

// Record stores readings of source in the outbox with one disk sync.
func (a *Agent) Record(source string, rs []reading.Reading) error {
	_, err := a.record(source, rs)
	return err
}

// RecordWaste stores a waste reading that staff entered, as Record does for
// source "manual", then adds it with note to the list of recent entries.
// Once the reading is stored the entry counts as recorded: a list that
// cannot be written is logged, not returned.
func (a *Agent) RecordWaste(r reading.Reading, note string) error {
	a.wasteMu.Lock()
	defer a.wasteMu.Unlock()
	seq, err := a.record("manual", []reading.Reading{r})
	if err != nil {
		return err
	}
	if err := a.waste.Add(wastelog.FromReading(seq, r, note)); err != nil {
		a.log.Warn("waste entry stored but not listed", "err", err)
	}
	return nil
}

// takeAlerts keeps a message of the alerts topic as the facility's list.
func (a *Agent) takeAlerts(payload []byte, received time.Time) {
	if err := a.alerts.Update(payload, received); err != nil {
		a.log.Warn("alert list from the collector not kept", "err", err)
	}
}

// takeFigures keeps a message of the figures topic as the official
// figures of its month.
func (a *Agent) takeFigures(payload []byte, received time.Time) {
	if err := a.official.Update(payload, received); err != nil {
		a.log.Warn("figures from the collector not kept", "err", err)
	}
}

// Figures returns the facility's figures for period kind (today and
// yesterday, or this month and the previous one), computed on the agent
// from the readings it took; the collector's official month figures as
// they last arrived, newest month first; and whether the link to the
// broker is up now.
func (a *Agent) Figures(kind indicators.Kind) (figures.Report, []officialfigures.Month, bool) {
	return a.figures.Report(kind), a.official.Months(), a.pub.Connected()
}

// Alerts returns the facility's alerts as the collector last sent them,
// and whether the link to the broker is up now (when it is not, the list
// may be out of date).
func (a *Agent) Alerts() (alertlist.View, bool) { return a.alerts.View(), a.pub.Connected() }

// RecentWaste returns the last waste entries, newest first, each with
// whether its reading still waits in the outbox.
func (a *Agent) RecentWaste() ([]wastelog.Listed, error) { return a.waste.List(a.outbox) }

// record is Record returning the sequence number of the first reading.
func (a *Agent) record(source string, rs []reading.Reading) (uint64, error) {
	if len(rs) == 0 {
		return 0, nil
	}
	a.mu.Lock()
	recs := make([]outbox.Record, len(rs))
	for i := range rs {
		start := len(a.buf)
		a.buf = reading.AppendJSON(a.buf, &rs[i])
		recs[i] = outbox.Record{Stream: rs[i].Stream, Data: a.buf[start:len(a.buf):len(a.buf)]}
	}
	first, err := a.outbox.AppendSeq(recs)
	a.buf = a.buf[:0]
	a.appendErr = err
	a.mu.Unlock()
	if err != nil {
		a.metrics.appendErrors.Inc()
		return 0, fmt.Errorf("store %d %s readings: %w", len(rs), source, err)
	}
	// Stored readings only: the figures count what the collector will
	// get. Outside a.mu, so the outbox is free while the sums are added
	// (and, after waste or every figures.save_interval, saved: see
	// agents/figures).
	a.figures.Add(rs)
	a.metrics.countReadings(source, rs)
	return first, nil
}

// Healthy reports the last outbox error, or nil: an agent that cannot store
// readings is unhealthy, one that cannot reach the broker is merely offline.
func (a *Agent) Healthy() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.appendErr
}

// Run starts the publisher, then the sources, and runs until ctx ends or a
// source fails. Sources stop first; the publisher then goes offline.
func (a *Agent) Run(ctx context.Context) error {
	pubCtx, stopPub := context.WithCancel(context.WithoutCancel(ctx))
	pubDone := make(chan error, 1)
	go func() { pubDone <- a.pub.Run(pubCtx) }()

	srcCtx, stopSources := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, len(a.sources))
	for _, s := range a.sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			emit := func(rs []reading.Reading) error { return a.Record(s.Name(), rs) }
			if err := s.Run(srcCtx, emit); err != nil && !errors.Is(err, context.Canceled) {
				errs <- fmt.Errorf("source %s: %w", s.Name(), err)
				stopSources()
			}
		}()
	}
	a.log.Info("agent running", "sources", len(a.sources), "outbox", a.cfg.Outbox.Dir, "broker", a.cfg.MQTT.Servers())
	<-srcCtx.Done()
	wg.Wait()
	stopSources()
	// Give the publisher a moment to send what the last tick produced.
	a.drain(2 * time.Second)
	stopPub()
	pubErr := <-pubDone
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(append(all, pubErr)...)
}

// drain waits up to d for the outbox to empty while connected.
func (a *Agent) drain(d time.Duration) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) && a.pub.Connected() && a.outbox.Stats().Readings > 0 {
		time.Sleep(50 * time.Millisecond)
	}
}

// Status is the agent's current status, as it publishes it.
func (a *Agent) Status() reading.AgentStatus { return a.pub.Status(a.pub.Connected()) }

// OutboxDir is the folder of the agent's outbox.
func (a *Agent) OutboxDir() string { return a.cfg.Outbox.Dir }
