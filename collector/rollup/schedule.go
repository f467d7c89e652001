package rollup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/robfig/cron/v3"

	"github.com/greenpulse-health/greenpulse/internal/atomicfile"
	"github.com/greenpulse-health/greenpulse/internal/logconf"
)

// Schedule configures the roll-up jobs.
type Schedule struct {
	Today      string // cron spec for today's roll-up, in the roll-up's timezone
	Recent     string // cron spec for the last RecentDays days, to absorb late data
	RecentDays int
	StateFile  string // where the watermark is kept between runs
}

// Scheduler runs the roll-up on its schedule and catches up on start with
// the days missed since the watermark. Start and Stop once each.
type Scheduler struct {
	r       *Rollup
	sched   Schedule
	cron    *cron.Cron
	log     *slog.Logger
	now     func() time.Time
	metrics *scheduleMetrics
	mu      sync.Mutex // serialises runs: the jobs share the day cache
	// ctx ends on Stop, cancelling a running job's queries: a collector
	// shutting down must not wait for a month's catch-up.
	ctx    context.Context
	cancel context.CancelFunc
}

type scheduleMetrics struct {
	duration    *prometheus.HistogramVec
	periods     *prometheus.CounterVec
	errors      *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
}

// NewScheduler prepares the jobs and registers the roll-up metrics.
func NewScheduler(r *Rollup, sched Schedule, reg prometheus.Registerer, log *slog.Logger) (*Scheduler, error) {
	s := &Scheduler{r: r, sched: sched, log: log, now: time.Now}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.metrics = &scheduleMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "greenpulse_collector_rollup_duration_seconds",
			Help:    "Time a roll-up job took.",
			Buckets: prometheus.ExponentialBuckets(0.1, 2, 12),
		}, []string{"job"}),
		periods: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_rollup_periods_total",
			Help: "Days and months computed and written.",
		}, []string{"period"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_rollup_errors_total",
			Help: "Roll-up jobs that failed (they run again at their next time).",
		}, []string{"job"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "greenpulse_collector_rollup_last_success_timestamp_seconds",
			Help: "When each roll-up job last succeeded, Unix time.",
		}, []string{"job"}),
	}
	for _, job := range []string{"catch_up", "today", "recent"} {
		s.metrics.duration.WithLabelValues(job)
		s.metrics.errors.WithLabelValues(job)
	}
	s.metrics.periods.WithLabelValues("day")
	s.metrics.periods.WithLabelValues("month")
	reg.MustRegister(s.metrics.duration, s.metrics.periods, s.metrics.errors, s.metrics.lastSuccess)

	logger := logconf.CronLogger{Log: log}
	s.cron = cron.New(cron.WithLocation(r.opt.Location), cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	jobs := []struct{ name, spec string }{{"today", sched.Today}, {"recent", sched.Recent}}
	for _, j := range jobs {
		name := j.name
		if _, err := s.cron.AddFunc(j.spec, func() { s.runJob(name) }); err != nil {
			return nil, fmt.Errorf("rollup schedule %s %q: %w", name, j.spec, err)
		}
	}
	return s, nil
}

// Start catches up from the watermark in the background, then runs the
// jobs on their schedule.
func (s *Scheduler) Start() {
	go func() {
		s.runJob("catch_up")
		s.cron.Start()
	}()
}

// Stop stops the schedule, cancels a running job and waits for it; the
// periods it did not finish are caught up on the next start.
func (s *Scheduler) Stop() {
	s.cancel()
	<-s.cron.Stop().Done()
	s.mu.Lock() // a catch-up still running holds it
	defer s.mu.Unlock()
}

// window returns the range a job covers.
func (s *Scheduler) window(job string) (from, to time.Time) {
	now := s.now().In(s.r.opt.Location)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.r.opt.Location)
	switch job {
	case "today":
		return today, now
	case "recent":
		return today.AddDate(0, 0, -s.sched.RecentDays), now
	}
	// catch_up: from the watermark's day (it may have been partial), or
	// the recent window on a first start; a watermark older than the day
	// cache is clipped, and older gaps are for `rollup --from --to`.
	from = today.AddDate(0, 0, -s.sched.RecentDays)
	if w, err := s.watermark(); err == nil {
		w = w.In(s.r.opt.Location)
		wDay := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, s.r.opt.Location)
		from = wDay
		if limit := today.AddDate(0, 0, -cacheDays/2); from.Before(limit) {
			s.log.Warn("roll-ups were down longer than catch-up covers; run `greenpulse-collector rollup --from` for the rest",
				"watermark", w, "catching_up_from", limit)
			from = limit
		}
	}
	return from, now
}

// Range rolls up [from, to) between the scheduled jobs, never beside one:
// for other jobs that need a period rolled up again, such as the DHIS2
// push of a month.
func (s *Scheduler) Range(ctx context.Context, from, to time.Time) ([]Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Range(ctx, from, to)
}

func (s *Scheduler) runJob(job string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from, to := s.window(job)
	start := time.Now()
	if s.ctx.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, time.Hour)
	defer cancel()
	results, err := s.r.Range(ctx, from, to)
	s.metrics.duration.WithLabelValues(job).Observe(time.Since(start).Seconds())
	for _, res := range results {
		s.metrics.periods.WithLabelValues(string(res.Period.Kind)).Inc()
	}
	if err != nil {
		if s.ctx.Err() != nil {
			s.log.Info("roll-up interrupted by shutdown", "job", job, "periods_done", len(results))
			return
		}
		s.metrics.errors.WithLabelValues(job).Inc()
		s.log.Error("roll-up failed", "job", job, "from", from, "to", to, "err", err)
		return
	}
	s.metrics.lastSuccess.WithLabelValues(job).SetToCurrentTime()
	if err := s.setWatermark(to); err != nil {
		s.log.Warn("roll-up watermark not saved", "err", err)
	}
	s.log.Info("roll-up done", "job", job, "periods", len(results), "took", time.Since(start).Round(time.Millisecond))
}

type state struct {
	DoneUntil time.Time `json:"done_until"`
}

func (s *Scheduler) watermark() (time.Time, error) {
	if s.sched.StateFile == "" {
		return time.Time{}, fs.ErrNotExist
	}
	b, err := os.ReadFile(s.sched.StateFile)
	if err != nil {
		return time.Time{}, err
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil {
		return time.Time{}, fmt.Errorf("roll-up state %s: %w", s.sched.StateFile, err)
	}
	return st.DoneUntil, nil
}

// setWatermark records that everything before t is rolled up, atomically
// (temporary file, sync, rename), and never moves it back.
func (s *Scheduler) setWatermark(t time.Time) error {
	if s.sched.StateFile == "" {
		return nil
	}
	if w, err := s.watermark(); err == nil && !t.After(w) {
		return nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("roll-up state unreadable; replacing it", "err", err)
	}
	b, _ := json.Marshal(state{DoneUntil: t.UTC()})
	return atomicfile.Write(s.sched.StateFile, append(b, '\n'))
}
