// Package fleet runs many simulated facility agents in one process, for
// demos and load: each has its own outbox folder, MQTT connection and
// simulator, exactly as a real agent would, and all share one /metrics.
// History is generated at full speed into each outbox while the publishers
// already drain it, then the agents go on live.
//
// With events (a collector configuration's events.list, LoadEvents) the
// simulators of the event's facilities play each mass gathering on its
// days (simulate.Surge), and with EventHistory each of those facilities
// also generates the event and its baseline weeks (Events.Window), so a
// demo started in December shows August's Arba'een against the weeks
// before it without simulating four months for every facility.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Options configure a fleet.
type Options struct {
	Registry    string        // registry CSV
	Facilities  int           // how many registry rows, from the top; 0: all
	Seed        int64         // simulator seed
	History     time.Duration // how far back to generate readings; 0: none
	HistoryStep time.Duration // meter sample spacing in the history
	Interval    time.Duration // live sample interval
	Dir         string        // outboxes go to Dir/<facility>
	MQTT        config.MQTT   // broker settings; client ids are per facility
	Publish     config.Publish
	OutboxBytes int64

	// Events are played by the simulators of their facilities, with
	// Factors (zero: simulate.DefaultFactors). With EventHistory each of
	// those facilities also generates each event's Events.Window, up to
	// now and less what History covers.
	Events       Events
	Factors      simulate.Factors
	EventHistory bool
}

// ParseDuration accepts Go durations plus a day suffix ("30d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	if days, rest, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.Atoi(days)
		// A century is more history than anyone simulates, and keeps the
		// sum far from time.Duration's limit of 292 years.
		if err != nil || n < 0 || n > 36500 {
			return 0, fmt.Errorf("duration %q: want a form such as 30d, 12h or 1d12h", s)
		}
		d := time.Duration(n) * 24 * time.Hour
		if rest == "" {
			return d, nil
		}
		r, err := time.ParseDuration(rest)
		if err != nil || r < 0 || r > 24*36500*time.Hour {
			return 0, fmt.Errorf("duration %q: want a form such as 30d, 12h or 1d12h", s)
		}
		return d + r, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("duration %q: want a form such as 30d, 12h or 1d12h", s)
	}
	return d, nil
}

// Run starts the fleet and runs it until ctx ends.
func Run(ctx context.Context, opt Options, version string, m *agents.Metrics, log *slog.Logger) error {
	reg, err := registry.Load(opt.Registry)
	if err != nil {
		return fmt.Errorf("registry %s: %w", opt.Registry, err)
	}
	rows := reg.Facilities()
	if opt.Facilities > 0 && opt.Facilities < len(rows) {
		rows = rows[:opt.Facilities]
	}
	if opt.Factors == (simulate.Factors{}) {
		opt.Factors = simulate.DefaultFactors()
	}
	surges := make([]simulate.Surge, len(opt.Events.List))
	for i, e := range opt.Events.List {
		surges[i] = simulate.Surge{Event: e, Factors: opt.Factors}
	}
	fleet := make([]*agents.Agent, 0, len(rows))
	defer func() {
		for _, a := range fleet {
			a.Close()
		}
	}()
	for _, f := range rows {
		cfg := config.Default()
		cfg.Facility = f.ID
		cfg.MQTT = opt.MQTT
		cfg.MQTT.ClientID = "greenpulse-sim-" + f.ID
		cfg.Publish = opt.Publish
		cfg.Outbox = config.Outbox{Dir: filepath.Join(opt.Dir, f.ID), MaxBytes: opt.OutboxBytes}
		cfg.Sources.Simulate = config.Simulate{Enabled: true, Interval: opt.Interval, Seed: opt.Seed}
		cfg.Sources.Manual.Enabled = false
		a, err := agents.NewSimulated(cfg, f, version, m, log)
		if err != nil {
			return fmt.Errorf("agent %s: %w", f.ID, err)
		}
		fleet = append(fleet, a)
		if err := a.Simulator().SetSurges(surges); err != nil {
			return fmt.Errorf("agent %s: events: %w", f.ID, err)
		}
	}
	log.Info("fleet starting", "facilities", len(fleet), "history", opt.History, "interval", opt.Interval)
	for _, e := range opt.Events.List {
		n := 0
		for _, f := range rows {
			if e.Includes(f) {
				n++
			}
		}
		log.Info("event played", "event", e.ID, "first_day", e.First, "last_day", e.Last, "facilities", n,
			"waste", opt.Factors.Waste, "waste_phc", opt.Factors.PHCWaste, "energy", opt.Factors.Energy)
	}

	var wg sync.WaitGroup
	errs := make(chan error, len(fleet)+1)
	for _, a := range fleet {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.Run(ctx); err != nil {
				errs <- err
			}
		}()
	}
	if opt.History > 0 || (opt.EventHistory && len(opt.Events.List) > 0) {
		start := time.Now()
		targets := make([]target, len(fleet))
		for i, a := range fleet {
			targets[i] = a
		}
		n, err := generateHistory(ctx, targets, opt, time.Now(), log)
		if err != nil && ctx.Err() == nil {
			errs <- err
		}
		log.Info("history generated", "readings", n, "took", time.Since(start).Round(time.Millisecond))
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

// target is what history generation needs of an agent.
type target interface {
	Simulator() *simulate.Sim
	Record(source string, rs []reading.Reading) error
	OutboxDir() string
}

// span is one stretch of history an agent generates, with the marker file
// that records how far it went, so that a restarted fleet only fills the
// gap.
type span struct {
	event    string // "" for the regular history
	from, to time.Time
	marker   string
}

// spans returns what agent a generates: the regular history up to end,
// and the window of each event that covers it and has begun, less what
// the regular history holds.
func spans(a target, opt Options, end time.Time) []span {
	var out []span
	regular := end
	if opt.History > 0 {
		regular = end.Add(-opt.History)
		out = append(out, span{from: regular, to: end, marker: "history-until"})
	}
	if !opt.EventHistory {
		return out
	}
	f := a.Simulator().Facility()
	for i, e := range opt.Events.List {
		if !e.Includes(f) {
			continue
		}
		first, last := opt.Events.Window(i)
		from, to := first.In(local()), last.In(local())
		if to.After(regular) {
			to = regular
		}
		if from.Before(to) {
			out = append(out, span{event: e.ID, from: from, to: to, marker: "event-" + e.ID + "-until"})
		}
	}
	// Oldest first: each counter's readings then reach the agent in time
	// order, as a real meter's would, and its daily sums (agents/figures)
	// count every one.
	slices.SortStableFunc(out, func(x, y span) int { return x.from.Compare(y.from) })
	return out
}

// generateHistory fills each agent's outbox with the readings of its
// spans, a day per disk sync, and logs what each event's windows took.
func generateHistory(ctx context.Context, fleet []target, opt Options, now time.Time, log *slog.Logger) (int, error) {
	end := now.Truncate(opt.HistoryStep)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var mu sync.Mutex
	total := 0
	byEvent := map[string][2]int{} // facilities, readings
	var errs []error
	var wg sync.WaitGroup
	for _, a := range fleet {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for _, sp := range spans(a, opt, end) {
				n, err := history(ctx, a, sp, opt.HistoryStep)
				mu.Lock()
				total += n
				if sp.event != "" {
					c := byEvent[sp.event]
					byEvent[sp.event] = [2]int{c[0] + 1, c[1] + n}
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", a.Simulator().Facility().ID, err))
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, e := range opt.Events.List {
		c, ok := byEvent[e.ID]
		if !ok {
			continue
		}
		// The demo reads these lines to roll up each event's window.
		from, to := opt.Events.Window(i)
		log.Info("event history", "event", e.ID, "first_day", e.First, "last_day", e.Last,
			"baseline_weeks", opt.Events.Weeks(i), "from", from, "to", to, "facilities", c[0], "readings", c[1])
	}
	return total, errors.Join(errs...)
}

// history generates span sp into a's outbox from where its marker says the
// last run stopped, and moves the marker to the span's end.
func history(ctx context.Context, a target, sp span, step time.Duration) (int, error) {
	marker := filepath.Join(a.OutboxDir(), sp.marker)
	from := sp.from
	if b, err := os.ReadFile(marker); err == nil {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b))); err == nil && t.After(from) {
			from = t
		}
	}
	if !from.Before(sp.to) {
		return 0, nil // done in an earlier run
	}
	n := 0
	for day := from; day.Before(sp.to); day = day.Add(24 * time.Hour) {
		if ctx.Err() != nil {
			return n, nil
		}
		to := day.Add(24 * time.Hour)
		if to.After(sp.to) {
			to = sp.to
		}
		rs := a.Simulator().Readings(day, to, step)
		if err := a.Record("simulate", rs); err != nil {
			return n, err
		}
		n += len(rs)
	}
	if err := os.WriteFile(marker, []byte(sp.to.UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return n, fmt.Errorf("write history marker: %w", err)
	}
	return n, nil
}
