// Package fleet runs many simulated facility agents in one process, for
// demos and load: each has its own outbox folder, MQTT connection and
// simulator, exactly as a real agent would, and all share one /metrics.
// History is generated at full speed into each outbox while the publishers
// already drain it, then the agents go on live.
package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
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
	}
	log.Info("fleet starting", "facilities", len(fleet), "history", opt.History, "interval", opt.Interval)

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
	if opt.History > 0 {
		start := time.Now()
		n, err := generateHistory(ctx, fleet, opt)
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

// generateHistory fills each agent's outbox with the readings of the
// history window, a day per disk sync. A marker file per facility records
// how far history went, so a restarted fleet only fills the gap.
func generateHistory(ctx context.Context, fleet []*agents.Agent, opt Options) (int, error) {
	end := time.Now().Truncate(opt.HistoryStep)
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var mu sync.Mutex
	total := 0
	var errs []error
	var wg sync.WaitGroup
	for _, a := range fleet {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			n, err := history(ctx, a, opt, end)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil {
				errs = append(errs, err)
			}
		}()
	}
	wg.Wait()
	return total, errors.Join(errs...)
}

func history(ctx context.Context, a *agents.Agent, opt Options, end time.Time) (int, error) {
	marker := filepath.Join(a.OutboxDir(), "history-until")
	from := end.Add(-opt.History)
	if b, err := os.ReadFile(marker); err == nil {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b))); err == nil && t.After(from) {
			from = t
		}
	}
	n := 0
	for day := from; day.Before(end); day = day.Add(24 * time.Hour) {
		if ctx.Err() != nil {
			return n, nil
		}
		to := day.Add(24 * time.Hour)
		if to.After(end) {
			to = end
		}
		rs := a.Simulator().Readings(day, to, opt.HistoryStep)
		if err := a.Record("simulate", rs); err != nil {
			return n, err
		}
		n += len(rs)
	}
	if err := os.WriteFile(marker, []byte(end.UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		return n, fmt.Errorf("write history marker: %w", err)
	}
	return n, nil
}
