// Package sweep runs the windowed alert rules on a schedule: it builds a
// snapshot of every facility (the daily indicators that the roll-up
// stored, the agent's last reading and status, its recent rejections),
// has windowed.Evaluate judge it, and hands the verdicts to the alert
// evaluator, which opens, updates and clears the alerts.
//
//	cron ─► Sweep ─► rollup.Read (daily indicators) ┐
//	                 status book, rejection counts ──┴► windowed.Evaluate ─► Judge (alerts)
package sweep

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/collector/alerts/windowed"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/internal/logconf"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Indicators reads stored indicator points.
type Indicators interface {
	Read(ctx context.Context, q rollup.Query) ([]rollup.Row, error)
}

// Agents is what the collector heard from each facility's agent since it
// started.
type Agents interface {
	LastReading(facility string) (time.Time, bool)
	Status(facility string) (reading.AgentStatus, time.Time, bool)
}

// Judge applies verdicts to the alerts.
type Judge interface {
	Judge(vs []alerts.Verdict)
}

// Options are a sweeper's settings.
type Options struct {
	// Schedule is a cron line (or "@every 5m") in Location.
	Schedule string
	Location *time.Location
	// Settings returns the windowed rules' settings of a governorate.
	Settings func(governorate string) windowed.Settings
	// Governorates are the codes that have settings of their own; with
	// the country's, they bound how far back the sweep reads.
	Governorates []string
	// Started is when the collector started (see windowed.Snapshot).
	Started time.Time
	// Listening, when set, says since when the collector has been
	// connected and subscribed, or false while it is not; silence is
	// counted from then instead of from Started, so that the collector's
	// own outage does not make every agent silent.
	Listening func() (time.Time, bool)
	// Owns, when set, limits the verdicts to the facilities it owns: a
	// collector of a partition (mqtt.partition) hears only its own
	// facilities' agents, while every facility stays in the snapshot as a
	// peer of the solar rule.
	Owns func(facility string) bool
}

// Sweeper runs the windowed rules.
type Sweeper struct {
	opts       Options
	reg        *registry.Registry
	indicators Indicators
	agents     Agents
	rejections *Rejections
	judge      Judge
	log        *slog.Logger
	metrics    metrics
}

// New returns a sweeper of reg's facilities.
func New(opts Options, reg *registry.Registry, ind Indicators, agents Agents, rej *Rejections, judge Judge,
	prom prometheus.Registerer, log *slog.Logger) *Sweeper {
	return &Sweeper{opts: opts, reg: reg, indicators: ind, agents: agents, rejections: rej, judge: judge,
		log: log, metrics: newMetrics(prom)}
}

// Result is what one sweep found.
type Result struct {
	Facilities int
	Firing     int // firing verdicts
	// Took is the whole sweep; Read the part spent reading InfluxDB.
	Took, Read time.Duration
}

// Sweep judges every facility at now.
func (s *Sweeper) Sweep(ctx context.Context, now time.Time) (Result, error) {
	start := time.Now()
	snap, err := s.snapshot(ctx, now)
	if err != nil {
		s.metrics.errors.Inc()
		return Result{}, err
	}
	read := time.Since(start)
	findings := windowed.Evaluate(snap, s.opts.Settings)
	verdicts := make([]alerts.Verdict, 0, len(findings))
	firing := 0
	for _, f := range findings {
		if s.opts.Owns != nil && !s.opts.Owns(f.Facility) {
			continue
		}
		fac, _ := s.reg.Lookup(f.Facility)
		v := alerts.Verdict{Firing: f.Firing, Event: alerts.Event{Rule: f.Rule, Facility: f.Facility,
			District: fac.District, Governorate: fac.Governorate, Severity: alerts.Severity(f.Severity),
			Message: f.Message, MessageAr: f.MessageAr, At: f.Since}}
		if f.Firing {
			firing++
		}
		verdicts = append(verdicts, v)
	}
	s.judge.Judge(verdicts)
	res := Result{Facilities: len(snap.Facilities), Firing: firing, Took: time.Since(start), Read: read}
	s.metrics.duration.Observe(res.Took.Seconds())
	s.metrics.lastSuccess.SetToCurrentTime()
	return res, nil
}

// snapshot gathers what the rules look at.
func (s *Sweeper) snapshot(ctx context.Context, now time.Time) (windowed.Snapshot, error) {
	loc := s.opts.Location
	today := indicators.PeriodOf(indicators.Day, now, loc)
	recentDays, wasteDays := s.lookback()
	// Waste looks a month back, the energy rules a few days: two reads
	// keep the month to one indicator, and run side by side since each is
	// mostly InfluxDB's time.
	var energy []indicators.ID
	for _, id := range windowed.Indicators() {
		if id != indicators.WasteKg {
			energy = append(energy, id)
		}
	}
	reads := []struct {
		ids  []indicators.ID
		days int
		rows []rollup.Row
		err  error
	}{{ids: energy, days: recentDays}, {ids: []indicators.ID{indicators.WasteKg}, days: wasteDays}}
	var wg sync.WaitGroup
	for i := range reads {
		r := &reads[i]
		wg.Go(func() {
			r.rows, r.err = s.indicators.Read(ctx, rollup.Query{Indicators: r.ids, Level: "facility", Period: indicators.Day,
				From: today.Start.AddDate(0, 0, -r.days), To: today.Start})
		})
	}
	wg.Wait()
	days := map[string]map[indicators.ID]map[int]float64{}
	for _, r := range reads {
		if r.err != nil {
			return windowed.Snapshot{}, fmt.Errorf("windowed alert rules: read daily %v: %w", r.ids, r.err)
		}
		for _, row := range r.rows {
			ago := daysBetween(row.Start.In(loc), today.Start)
			if ago < 1 || ago > r.days {
				continue
			}
			byID := days[row.Area]
			if byID == nil {
				byID = map[indicators.ID]map[int]float64{}
				days[row.Area] = byID
			}
			if byID[row.Indicator] == nil {
				byID[row.Indicator] = map[int]float64{}
			}
			byID[row.Indicator][ago] = row.Value
		}
	}
	snap := windowed.Snapshot{Now: now, Started: s.opts.Started, Location: loc}
	if s.opts.Listening != nil {
		snap.Started = now // deaf: no agent can be judged silent
		if since, ok := s.opts.Listening(); ok {
			snap.Started = since
		}
	}
	for _, f := range s.reg.Facilities() {
		fs := windowed.Facility{ID: f.ID, District: f.District, Governorate: f.Governorate, PVkWp: f.PVkWp, Days: days[f.ID]}
		fs.LastReading, _ = s.agents.LastReading(f.ID)
		if st, at, ok := s.agents.Status(f.ID); ok {
			fs.Status, fs.StatusAt = &st, at
		}
		if s.rejections != nil {
			within := s.opts.Settings(f.Governorate).RejectionsRepeated.Within
			fs.Rejections = s.rejections.Count(f.ID, now.Add(-within))
		}
		snap.Facilities = append(snap.Facilities, fs)
	}
	return snap, nil
}

// lookback returns how many days back the energy indicators and waste are
// read: the most any governorate's settings need.
func (s *Sweeper) lookback() (recent, waste int) {
	recent, waste = 1, 1
	for _, gov := range append([]string{""}, s.opts.Governorates...) {
		st := s.opts.Settings(gov)
		recent = max(recent, st.SolarUnderperforming.Days)
		waste = max(waste, st.WasteNotReported.Days+st.WasteNotReported.UsualDays)
	}
	return recent, waste
}

// daysBetween counts calendar days from a to b (local midnights of the
// same location), so that a 23- or 25-hour day counts as one.
func daysBetween(a, b time.Time) int {
	da := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	db := time.Date(b.Year(), b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours()+12) / 24
}

// Run sweeps once at once and then on the schedule until ctx ends; a
// sweep still running when the next is due makes that one skip.
func (s *Sweeper) Run(ctx context.Context) error {
	logger := logconf.CronLogger{Log: s.log}
	c := cron.New(cron.WithLocation(s.opts.Location), cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	run := func() {
		res, err := s.Sweep(ctx, time.Now())
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("windowed alert rules", "err", err)
			}
			return
		}
		s.log.Debug("windowed alert rules", "facilities", res.Facilities, "firing", res.Firing, "took", res.Took)
	}
	if _, err := c.AddFunc(s.opts.Schedule, run); err != nil {
		return fmt.Errorf("alerts.windowed_schedule %q: %w", s.opts.Schedule, err)
	}
	// The first run, at once, under the same recovery as the scheduled
	// ones: a bug in a rule must not stop the collector.
	cron.Recover(logger)(cron.FuncJob(run)).Run()
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}
