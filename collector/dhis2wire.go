package collector

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/dhis2"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/registry"
)

// DHIS2Client returns the client for the configured DHIS2 server.
func DHIS2Client(cfg config.DHIS2, version string) (*dhis2api.Client, error) {
	if !cfg.Configured() {
		return nil, fmt.Errorf("dhis2.url: no DHIS2 server is configured")
	}
	return dhis2api.New(dhis2api.Config{
		URL: cfg.URL, Token: cfg.Token, Username: cfg.Username, Password: cfg.Password,
		Timeout: cfg.Timeout, Retries: cfg.Retries, RetryInitial: cfg.RetryInitial,
		UserAgent: "greenpulse-collector/" + version,
	})
}

// DHIS2Mapping returns how facilities and quantities are named in DHIS2.
func DHIS2Mapping(cfg config.DHIS2) dhis2.Mapping {
	return dhis2.Mapping{DataSet: cfg.DataSet, OrgUnitIDScheme: cfg.OrgUnitIDScheme,
		DataElementIDScheme: cfg.DataElementIDScheme, DataElements: cfg.DataElements}
}

// NewDHIS2Pusher returns the pusher of cfg over the facilities of reg,
// reading indicators through reader, recording into pushLog.
func NewDHIS2Pusher(cfg config.Config, version string, reader dhis2.Reader, reg *registry.Registry,
	pushLog *dhis2.Log, metrics *dhis2.Metrics, log *slog.Logger) (*dhis2.Pusher, error) {
	client, err := DHIS2Client(cfg.DHIS2, version)
	if err != nil {
		return nil, err
	}
	return dhis2.NewPusher(client, reader, reg, dhis2.PusherOptions{
		Mapping: DHIS2Mapping(cfg.DHIS2), ChunkSize: cfg.DHIS2.ChunkSize, Recorder: pushLog, Metrics: metrics,
	}, log), nil
}

// NewIndicatorReader returns the reader of stored indicators in store.
func NewIndicatorReader(store *influx.Store) dhis2.Reader { return indicatorReader{store} }

// dhis2Export serves the export and the push log to the API.
type dhis2Export struct {
	reader  dhis2.Reader
	reg     *registry.Registry
	mapping dhis2.Mapping
	log     *dhis2.Log
	warn    *slog.Logger
}

func (d dhis2Export) Document(ctx context.Context, month indicators.Period) (dhis2.Document, error) {
	return dhis2.Build(ctx, d.reader, d.reg, d.mapping, month)
}

func (d dhis2Export) Pushes(n int) ([]dhis2.Record, error) {
	recs, skipped, err := d.log.Latest(n)
	if skipped > 0 {
		d.warn.Warn("dhis2 push log: lines that are not push records were skipped (a write cut short?)", "skipped", skipped)
	}
	return recs, err
}

// startDHIS2Schedule starts the monthly push; the returned func stops it.
// With roll-ups on, each push first rolls the month up again, between the
// roll-up scheduler's own jobs.
func startDHIS2Schedule(cfg config.Config, version string, loc *time.Location, reader dhis2.Reader,
	reg *registry.Registry, roll *rollup.Scheduler, pushLog *dhis2.Log, promReg prometheus.Registerer, log *slog.Logger) (func(), error) {
	pusher, err := NewDHIS2Pusher(cfg, version, reader, reg, pushLog, dhis2.NewMetrics(promReg), log)
	if err != nil {
		return nil, err
	}
	o := dhis2.SchedulerOptions{Specs: cfg.DHIS2.Schedule, Location: loc, Latest: func() ([]dhis2.Record, error) {
		recs, _, err := pushLog.Latest(50)
		return recs, err
	}}
	if roll != nil {
		o.Roll = func(ctx context.Context, from, to time.Time) error {
			_, err := roll.Range(ctx, from, to)
			return err
		}
	}
	sched, err := dhis2.NewScheduler(pusher, o, log)
	if err != nil {
		return nil, err
	}
	sched.Start()
	log.Info("dhis2 push scheduled", "url", cfg.DHIS2.URL, "schedule", cfg.DHIS2.Schedule, "data_set", cfg.DHIS2.DataSet)
	return sched.Stop, nil
}
