package simulate

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
)

// maxCatchUp bounds the waste events one tick hands over after the clock
// jumped forward (a box resumed from suspend, NTP fixing a dead RTC): those
// of the last two days, not of every day since 1970.
const maxCatchUp = 48 * time.Hour

// Source is the live simulated meter set of one facility for the agent. It
// is not safe for concurrent use: run it once.
type Source struct {
	// Now is the clock. It defaults to time.Now; tests replace it with a
	// fake one so that ticks come without waiting.
	Now func() time.Time

	sim      *Sim
	interval time.Duration
	log      *slog.Logger
}

// NewSource returns a source that samples s every interval. A nil log
// discards messages.
func NewSource(s *Sim, interval time.Duration, log *slog.Logger) *Source {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Source{Now: time.Now, sim: s, interval: interval, log: log}
}

// Name returns the source's name for logs and metrics.
func (src *Source) Name() string { return "simulate" }

// Run emits at every tick of the clock aligned to the interval (the tick
// now.Truncate(interval), the first one at once) the samples at the tick
// and the waste events with ts in (previous tick, tick], as one batch, so
// that the outbox syncs its disk once per tick. It returns ctx.Err() when
// ctx ends and the wrapped error of emit when emit fails. A clock stepped
// back restarts the ticks from the new time: the readings it repeats are
// the same as before, so storing them again changes nothing.
func (src *Source) Run(ctx context.Context, emit func([]reading.Reading) error) error {
	if src.interval <= 0 {
		return fmt.Errorf("simulate %s: interval %s, want > 0", src.sim.f.ID, src.interval)
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var prev time.Time // the last tick emitted
	unset := false     // the clock reads before 2000: logged once, not every tick
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		now := src.Now()
		tick := now.Truncate(src.interval)
		if !prev.IsZero() && tick.Before(prev) {
			src.log.Warn("clock stepped back; restarting ticks", "facility", src.sim.f.ID,
				"from", prev, "to", tick)
			prev = time.Time{}
		}
		switch {
		case beforeContract(tick):
			if !unset {
				src.log.Warn("clock not set; waiting for it", "facility", src.sim.f.ID, "now", now)
			}
			unset = true
		case prev.IsZero() || tick.After(prev):
			unset = false
			from := prev
			if from.IsZero() {
				from = tick.Add(-src.interval)
			}
			from = maxTime(from, tick.Add(-maxCatchUp))
			batch := append(src.sim.Samples(tick), src.events(from, tick)...)
			if err := emit(batch); err != nil {
				src.log.Error("emit simulated readings", "facility", src.sim.f.ID,
					"tick", tick, "readings", len(batch), "err", err)
				return fmt.Errorf("simulate %s: emit tick %s: %w", src.sim.f.ID, tick.Format(time.RFC3339), err)
			}
			prev = tick
			continue // the clock may have passed the next tick while emit ran
		}
		// Wake at the next tick of the clock as it reads now, so that a
		// clock stepped back is noticed within one interval.
		timer.Reset(tick.Add(src.interval).Sub(now))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// events returns the waste events with ts in (from, to], in time order.
func (src *Source) events(from, to time.Time) []reading.Reading {
	var out []reading.Reading
	for d := localDay(from); d <= localDay(to); d++ {
		for _, e := range src.sim.wasteDay(d) {
			if e.Time.After(from) && !e.Time.After(to) {
				out = append(out, e)
			}
		}
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
