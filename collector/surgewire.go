package collector

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/collector/surge"
	"github.com/greenpulse-health/greenpulse/registry"
)

// surgeReadTimeout bounds one read of an event's points: 2,000 facilities
// over 39 days take seconds, not the milliseconds of a write.
const surgeReadTimeout = 2 * time.Minute

// NewSurge returns the comparisons of cfg's events with their baselines
// over the facilities of reg, local days in loc, and the store it reads,
// which the caller closes. With roll, each month a roll-up writes makes
// the answers of the events that overlap it stale.
func NewSurge(cfg config.Config, loc *time.Location, reg *registry.Registry, roll *rollup.Rollup, prom prometheus.Registerer, log *slog.Logger) (*surge.Surge, *influx.Store) {
	icfg := cfg.InfluxDB
	icfg.Timeout = max(icfg.Timeout, surgeReadTimeout)
	store := influx.New(icfg, log)
	list := make([]surge.Event, len(cfg.Events.List))
	for i, e := range cfg.Events.List {
		list[i] = surge.Event{Event: e.Event, BaselineWeeks: cfg.Events.Weeks(i)}
	}
	s := surge.New(surge.StoreReader{Store: store}, reg, list, surge.Options{Location: loc, Country: cfg.Rollup.Country,
		Metrics: surge.NewMetrics(prom)}, log.With("part", "surge"))
	if roll != nil {
		// A month is written after its days, by every run (the schedule's,
		// POST /api/v1/rollup, the rollup command's own process aside).
		roll.OnMonth(func(m rollup.MonthWritten) { s.Invalidate(m.Period.Start, m.Period.End) })
	}
	return s, store
}
