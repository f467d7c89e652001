package collector

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/figurestopic"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
)

// figuresBroker is the subscriber as the figures topic uses it:
// *ingest.Subscriber is one.
type figuresBroker interface {
	figurestopic.Broker
	// OnConnect adds f to what runs at every (re)connect.
	OnConnect(f func())
}

// startFigures publishes each facility's official month figures, retained,
// on <root>/<facility>/figures for its agent's page: after every roll-up
// of the current month (and in a month's first days of the previous one)
// the facilities whose values changed, and at every connect all of them
// again. Call it before roll runs and before broker connects; stop, after
// the roll-up has stopped, waits for the publisher to end.
//
// recentDays is rollup.recent_days: the previous month is recomputed, and
// so published, for as many first days of a month.
func startFigures(roll *rollup.Rollup, broker figuresBroker, root string, loc *time.Location, recentDays int, reg prometheus.Registerer, log *slog.Logger) (stop func()) {
	p := figurestopic.New(broker, root, figurestopic.Options{Location: loc, PreviousMonthDays: recentDays}, figurestopic.NewMetrics(reg), log)
	roll.OnMonth(func(m rollup.MonthWritten) { p.Month(m.Period, m.At, m.Values) })
	broker.OnConnect(p.Reconnected)
	return goRun(p.Run)
}
