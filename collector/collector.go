// Package collector wires the collector's parts: the facility registry, the
// InfluxDB store, the ingest pipeline fed by the MQTT subscriber, and the HTTP
// server. Consumers start before producers and stop after them.
package collector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/greenpulse-health/greenpulse/collector/access"
	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/collector/alerts/topic"
	"github.com/greenpulse-health/greenpulse/collector/api"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/dhis2"
	"github.com/greenpulse-health/greenpulse/collector/httpapi"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/ingest"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/dashboards/web"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Run runs the collector until ctx ends, then writes and acknowledges what it
// holds and disconnects.
func Run(ctx context.Context, cfg config.Config, version string, log *slog.Logger) error {
	facilities, err := registry.Load(cfg.Registry)
	if err != nil {
		return fmt.Errorf("load facility registry: %w", err)
	}
	log.Info("facility registry loaded", "path", cfg.Registry, "facilities", facilities.Len())
	if err := cfg.Events.CheckAreas(facilities); err != nil {
		return fmt.Errorf("config events: %w", err)
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "greenpulse_collector_build_info", Help: "Always 1; the version label says which build runs.",
	}, []string{"version"})
	buildInfo.WithLabelValues(version).Set(1)
	reg.MustRegister(buildInfo)
	metrics := ingest.NewMetrics(reg)

	store := influx.New(cfg.InfluxDB, log)
	defer store.Close()

	queue := make(chan ingest.Message, cfg.Ingest.QueueMessages)
	sub, err := ingest.NewSubscriber(cfg.MQTT, facilities.IDs(), queue, metrics, log)
	if err != nil {
		return err
	}
	loc, err := cfg.Rollup.Location()
	if err != nil {
		return err
	}
	dashboard := web.Assets()
	if cfg.HTTP.DashboardDir != "" {
		dashboard = os.DirFS(cfg.HTTP.DashboardDir)
		log.Info("dashboard served from a folder", "dashboard_dir", cfg.HTTP.DashboardDir)
	}
	statuses := ingest.NewStatusBook()
	guard, err := NewGuard(cfg, facilities, access.NewMetrics(reg), log)
	if err != nil {
		return err
	}
	apiHandlers := api.New(indicatorReader{store}, statuses, facilities, loc)
	apiHandlers.SetViewer(func(r *http.Request) api.Viewer { return access.ViewOf(r.Context()) })
	var roll *rollup.Rollup
	if cfg.Rollup.Enabled {
		var rstore *influx.Store
		roll, rstore = NewRollup(cfg, loc, facilities, log)
		defer rstore.Close()
		apiHandlers.EnableRollup(roll)
	}
	events, surgeStore := NewSurge(cfg, loc, facilities, roll, reg, log)
	defer surgeStore.Close()
	apiHandlers.EnableSurge(events)
	// One push log for the API and the schedule, so that its lock orders
	// the schedule's appends and the dashboard's reads.
	pushLog := dhis2.NewLog(cfg.DHIS2.PushLog)
	apiHandlers.EnableDHIS2(dhis2Export{reader: indicatorReader{store}, reg: facilities,
		mapping: DHIS2Mapping(cfg.DHIS2), log: pushLog, warn: log})
	var facilityAlerts *alertsPart
	if cfg.Alerts.Enabled {
		// Each facility's active alerts, retained on its alerts topic for
		// its agent's page, and published again at every connect.
		var alertsTopic *topic.Notifier
		toTopic := func(s *alerts.Store) alerts.Notify {
			alertsTopic = topic.New(s, sub, cfg.MQTT.TopicRoot, topic.Options{}, topic.NewMetrics(reg), log)
			return alertsTopic
		}
		if facilityAlerts, err = startAlerts(cfg.Alerts, alertInputs{indicators: indicatorReader{store}, agents: statuses, loc: loc, storageLimit: cfg.Rollup.StorageLimitHours, listening: sub.ListeningSince, owns: cfg.MQTT.Partition.Owns}, facilities, reg, log, toTopic); err != nil {
			return err
		}
		defer facilityAlerts.stop()
		sub.OnConnect(alertsTopic.Reconnected)
		stopTopic := goRun(alertsTopic.Run)
		defer stopTopic()
		apiHandlers.EnableAlerts(alertsAPI{Store: facilityAlerts.store, eval: facilityAlerts.eval})
	}
	if roll != nil {
		// Each facility's month figures, retained on its figures topic
		// for its agent's page, after every roll-up of the month and
		// again at every connect.
		stopFigures := startFigures(roll, sub, cfg.MQTT.TopicRoot, loc, cfg.Rollup.RecentDays, reg, log)
		defer stopFigures()
	}
	server := httpapi.New(cfg.HTTP.Listen, cfg.HTTP.PProf, reg, map[string]httpapi.Check{
		"mqtt": func(context.Context) error {
			if !sub.Ready() {
				return errors.New("not connected and subscribed to " + cfg.MQTT.Servers())
			}
			return nil
		},
		"influxdb": store.Ping,
	}, log, apiHandlers.Register, guard.Register, web.Handler(dashboard))
	server.Guard(guard.Wrap)
	if cfg.HTTP.TLSCertFile != "" {
		server.UseTLS(cfg.HTTP.TLSCertFile, cfg.HTTP.TLSKeyFile)
	}
	ln, err := server.Listen()
	if err != nil {
		return err
	}
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	httpDone := make(chan error, 1)
	go func() { httpDone <- server.Serve(httpCtx, ln) }()
	defer func() {
		stopHTTP()
		if err := <-httpDone; err != nil {
			log.Error("http server", "err", err)
		}
	}()

	if err := bootstrap(ctx, store, log); err != nil {
		return err
	}
	if facilityAlerts != nil {
		facilityAlerts.startWindowed()
	}
	// The events' answers are computed once now, so that the dashboard's
	// first look at an event of thousands of facilities need not wait.
	stopWarm := goRun(func(ctx context.Context) error { events.Warm(ctx); return nil })
	defer stopWarm()

	pipeline := ingest.NewPipeline(cfg.Ingest, cfg.MQTT.TopicRoot, facilities, store, sub, statuses, metrics, log)
	if facilityAlerts != nil {
		var stored ingest.Stored = facilityAlerts.eval
		if cfg.MQTT.Partition.Enabled() {
			stored = ownedReadings{next: facilityAlerts.eval, owns: cfg.MQTT.Partition.Owns}
		}
		pipeline.OnStored(stored)
		pipeline.OnRejected(facilityAlerts.rejections)
	}
	pipelineDone := make(chan error, 1)
	go func() { pipelineDone <- pipeline.Run(ctx, queue) }()

	var rollSched *rollup.Scheduler
	if roll != nil {
		rollSched, err = rollup.NewScheduler(roll, rollup.Schedule{Today: cfg.Rollup.Today, Recent: cfg.Rollup.Recent,
			RecentDays: cfg.Rollup.RecentDays, StateFile: cfg.Rollup.StateFile}, reg, log)
		if err != nil {
			return err
		}
		rollSched.Start()
		defer rollSched.Stop()
	}

	if cfg.DHIS2.Enabled {
		stopPush, err := startDHIS2Schedule(cfg, version, loc, indicatorReader{store}, facilities, rollSched, pushLog, reg, log)
		if err != nil {
			return err
		}
		defer stopPush()
	}

	if err := sub.Connect(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	<-ctx.Done()
	log.Info("shutting down: writing and acknowledging buffered messages")
	sub.StopReceiving()
	perr := <-pipelineDone
	sub.Disconnect()
	if perr != nil {
		return perr
	}
	log.Info("stopped cleanly")
	return nil
}

// goRun runs run in a goroutine of its own until the returned stop is
// called, which waits for it to return.
func goRun(run func(context.Context) error) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = run(ctx) }()
	return func() { cancel(); <-done }
}

// NewRollup returns the roll-up that cfg describes, over the facilities of
// reg with local days in loc (cfg.Rollup.Location()), and the store it
// queries, which the caller closes. The store is a client of its own whose
// timeout fits a query that reduces a day of every facility's readings:
// seconds, not the milliseconds of a write.
func NewRollup(cfg config.Config, loc *time.Location, reg *registry.Registry, log *slog.Logger) (*rollup.Rollup, *influx.Store) {
	icfg := cfg.InfluxDB
	icfg.Timeout = max(icfg.Timeout, 5*time.Minute)
	store := influx.New(icfg, log)
	r := rollup.New(store, reg, rollup.Options{Params: cfg.Rollup.Params(), Location: loc, Country: cfg.Rollup.Country}, log)
	return r, store
}

// indicatorReader reads stored indicators for the API.
type indicatorReader struct{ store *influx.Store }

func (r indicatorReader) Read(ctx context.Context, q rollup.Query) ([]rollup.Row, error) {
	return rollup.Read(ctx, r.store, q)
}

// FacilityMonth reads every facility's values of month, for the DHIS2
// push.
func (r indicatorReader) FacilityMonth(ctx context.Context, month indicators.Period, ids []indicators.ID) ([]rollup.FacilityValue, error) {
	return rollup.FacilityMonth(ctx, r.store, month, ids)
}

func (r indicatorReader) Waste(ctx context.Context, facility string, from, to time.Time) ([]rollup.WasteRow, error) {
	return rollup.Waste(ctx, r.store, facility, from, to)
}

// bootstrap waits for InfluxDB to answer (a collector started with its
// database, or before it, should not give up) and prepares the buckets.
func bootstrap(ctx context.Context, store *influx.Store, log *slog.Logger) error {
	wait := time.Second
	for {
		err := store.Ping(ctx)
		if err == nil {
			return store.Bootstrap(ctx)
		}
		log.Warn("waiting for influxdb", "err", err, "retry_in", wait)
		select {
		case <-ctx.Done():
			return fmt.Errorf("influxdb never answered: %w", err)
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}
