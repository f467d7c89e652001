package dhis2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/internal/logconf"
)

// Scheduler pushes the previous month on its cron lines, and on start
// pushes it once if a scheduled push was missed while the collector was
// down. Start and Stop once each.
type Scheduler struct {
	pusher *Pusher
	roll   func(ctx context.Context, from, to time.Time) error
	log    *slog.Logger
	loc    *time.Location
	now    func() time.Time
	cron   *cron.Cron
	specs  []cron.Schedule
	latest func() ([]Record, error)

	retries    int
	retryAfter time.Duration

	mu     sync.Mutex // one push at a time
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

// SchedulerOptions configure a Scheduler. Roll, when set, recomputes a
// range of indicators before each push, so that late data from agents
// that were offline for days is in it; Latest reads the push log.
type SchedulerOptions struct {
	Specs    []string
	Location *time.Location
	Roll     func(ctx context.Context, from, to time.Time) error
	Latest   func() ([]Record, error)
	// Retries is how often a push that failed is tried again, RetryAfter
	// apart; 0 means 6, negative none; RetryAfter defaults to an hour. A
	// refused login is not retried.
	Retries    int
	RetryAfter time.Duration
}

// NewScheduler prepares the push schedule.
func NewScheduler(p *Pusher, o SchedulerOptions, log *slog.Logger) (*Scheduler, error) {
	s := &Scheduler{pusher: p, roll: o.Roll, log: log, loc: o.Location, now: time.Now, latest: o.Latest, done: make(chan struct{}),
		retries: o.Retries, retryAfter: o.RetryAfter}
	if s.retries == 0 {
		s.retries = 6
	}
	if s.retryAfter <= 0 {
		s.retryAfter = time.Hour
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	logger := logconf.CronLogger{Log: log.With("schedule", "dhis2 push")}
	s.cron = cron.New(cron.WithLocation(o.Location), cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	for _, spec := range o.Specs {
		sched, err := cron.ParseStandard(spec)
		if err != nil {
			return nil, fmt.Errorf("dhis2 schedule %q: %w", spec, err)
		}
		s.specs = append(s.specs, sched)
		s.cron.Schedule(sched, cron.FuncJob(func() { s.run("schedule") }))
	}
	return s, nil
}

// Start checks for a missed push in the background, then runs the
// schedule.
func (s *Scheduler) Start() {
	go func() {
		defer close(s.done)
		if s.missed() {
			s.run("catch_up")
		}
	}()
	s.cron.Start()
}

// Stop stops the schedule and cancels a running push; a month it did not
// finish is pushed again at the next scheduled time (values already sent
// are then "ignored", unchanged).
func (s *Scheduler) Stop() {
	s.cancel()
	<-s.cron.Stop().Done()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
}

// previousMonth is the month before the one now falls in, locally.
func (s *Scheduler) previousMonth() indicators.Period {
	this := indicators.PeriodOf(indicators.Month, s.now(), s.loc)
	return indicators.PeriodOf(indicators.Month, this.Start.AddDate(0, 0, -1), s.loc)
}

// missed reports whether the latest scheduled time of this month has
// passed without a push of the previous month since it.
func (s *Scheduler) missed() bool {
	if s.latest == nil {
		return false
	}
	now := s.now().In(s.loc)
	this := indicators.PeriodOf(indicators.Month, now, s.loc)
	var due time.Time
	for _, sc := range s.specs {
		for t := sc.Next(this.Start.Add(-time.Second)); !t.After(now) && t.Before(this.End); t = sc.Next(t) {
			if t.After(due) {
				due = t
			}
		}
	}
	if due.IsZero() {
		return false
	}
	records, err := s.latest()
	if err != nil {
		s.log.Warn("dhis2 schedule: cannot read the push log to look for a missed push", "err", err)
		return false
	}
	want := PeriodID(s.previousMonth())
	for _, r := range records {
		if r.Period == want && !r.DryRun && r.Error == "" && !r.Time.Before(due) {
			return false
		}
	}
	s.log.Info("dhis2 schedule: the push due at this time was missed; pushing now", "due", due, "period", want)
	return true
}

func (s *Scheduler) run(trigger string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return
	}
	p := s.previousMonth()
	if s.roll != nil {
		if err := s.roll(s.ctx, p.Start, p.End); err != nil {
			s.log.Error("dhis2 schedule: roll-up of the month before its push failed; pushing what is stored", "period", PeriodID(p), "err", err)
		}
	}
	// A push that stopped (DHIS2 down longer than the client's retries)
	// is tried again later instead of waiting for the next scheduled
	// day; values it had sent come back "ignored". Errors are logged and
	// recorded by Push.
	for attempt := 1; ; attempt++ {
		_, err := s.pusher.Push(s.ctx, p, trigger, false)
		if err == nil || errors.Is(err, dhis2api.ErrUnauthorized) || attempt > max(s.retries, 0) || s.ctx.Err() != nil {
			return
		}
		s.log.Warn("dhis2 schedule: the push failed; trying again", "period", PeriodID(p), "in", s.retryAfter, "retry", attempt, "of", s.retries)
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(s.retryAfter):
		}
		trigger = "retry"
	}
}
