package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/fleet"
	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
)

// fleetArgs is a parsed `greenpulse-agent fleet` command line.
type fleetArgs struct {
	opt    fleet.Options
	cfg    config.Config // broker and logging; its facility is a placeholder
	listen string
}

// parseFleet parses the fleet command's flags and reads its events file;
// it starts nothing.
func parseFleet(args []string, stderr io.Writer) (fleetArgs, error) {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: greenpulse-agent fleet [flags]

Runs a simulated agent for each of the first --facilities rows of the
registry, in one process: each with its own outbox (DIR/<facility>), MQTT
client and simulator, sharing one /metrics. With --history it first
generates that much history into the outboxes while they are published,
then goes on live every --interval.

With --events (a collector configuration such as configs/collector.yaml,
of which only events.list and events.baseline_weeks are read) the
simulators of each event's facilities play it on its days: waste, load and
storage times rise toward the peak day (80 % of the way through) and fall
after it, by the --surge-* factors at the peak. With --event-history each of
those facilities also generates the event and its baseline weeks before it
(first_day - baseline_weeks - 2 days to last_day + 1), besides --history,
and the log's "event history" lines name each window.

`)
		fs.PrintDefaults()
	}
	def := config.Default()
	factors := simulate.DefaultFactors()
	regPath := fs.String("registry", "configs/facilities.csv", "registry CSV")
	n := fs.Int("facilities", 0, "how many registry facilities, from the top (0: all)")
	seed := fs.Int64("seed", 1, "simulator seed")
	hist := fs.String("history", "0", "generate this much history first, e.g. 30d")
	step := fs.Duration("history-step", 15*time.Minute, "meter sample spacing in the history")
	interval := fs.Duration("interval", time.Minute, "live sample interval")
	dir := fs.String("dir", ".devstack/fleet", "outboxes go to DIR/<facility>")
	broker := fs.String("broker", def.MQTT.Broker, "MQTT broker")
	listen := fs.String("listen", "127.0.0.1:8082", "address for /metrics")
	level := fs.String("log-level", "info", "debug | info | warn | error")
	eventsPath := fs.String("events", "", "play the mass gatherings of this collector config's events.list")
	eventHistory := fs.Bool("event-history", false, "also generate each event and its baseline weeks at its facilities (needs --events)")
	fs.Float64Var(&factors.Waste, "surge-waste", factors.Waste, "peak-day waste factor at hospitals and other facilities")
	fs.Float64Var(&factors.PHCWaste, "surge-waste-phc", factors.PHCWaste, "peak-day waste factor at PHC centres")
	fs.Float64Var(&factors.Energy, "surge-energy", factors.Energy, "peak-day load factor (grid import, generator kWh and fuel)")
	fs.Float64Var(&factors.Outages, "surge-outages", factors.Outages, "peak-day factor of the grid's outage hours")
	fs.Float64Var(&factors.Storage, "surge-storage", factors.Storage, "peak-day factor of the hours waste waits (storage breaches)")
	fs.Float64Var(&factors.Capacity, "surge-capacity", factors.Capacity,
		"on-site treatment capacity, in ordinary days of hazardous waste; the excess goes to landfill")
	if err := fs.Parse(args); err != nil {
		return fleetArgs{}, err
	}
	if fs.NArg() > 0 {
		return fleetArgs{}, fmt.Errorf("fleet: unexpected argument %q", fs.Arg(0))
	}
	history, err := fleet.ParseDuration(*hist)
	if err != nil {
		return fleetArgs{}, fmt.Errorf("--history: %w", err)
	}
	if *step <= 0 || *interval <= 0 {
		return fleetArgs{}, fmt.Errorf("--history-step and --interval must be positive")
	}
	if err := factors.Validate(); err != nil {
		return fleetArgs{}, fmt.Errorf("--surge-<factor>: %w", err)
	}
	var evs fleet.Events
	switch {
	case *eventsPath != "":
		if evs, err = fleet.LoadEvents(*eventsPath); err != nil {
			return fleetArgs{}, fmt.Errorf("--events: %w", err)
		}
	case *eventHistory:
		return fleetArgs{}, fmt.Errorf("--event-history needs --events FILE, e.g. --events configs/collector.yaml")
	}
	cfg := config.Default()
	cfg.Facility = "fleet"
	cfg.MQTT.Broker = *broker
	cfg.Log.Level = *level
	if err := cfg.Validate(); err != nil {
		return fleetArgs{}, err
	}
	return fleetArgs{
		opt: fleet.Options{
			Registry: *regPath, Facilities: *n, Seed: *seed, History: history, HistoryStep: *step,
			Interval: *interval, Dir: *dir, MQTT: cfg.MQTT, Publish: cfg.Publish, OutboxBytes: cfg.Outbox.MaxBytes,
			Events: evs, Factors: factors, EventHistory: *eventHistory,
		},
		cfg:    cfg,
		listen: *listen,
	}, nil
}

func runFleet(args []string, stderr io.Writer) error {
	fa, err := parseFleet(args, stderr)
	if err != nil {
		return err
	}
	log := fa.cfg.Log.New(stderr)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := agents.NewMetrics(reg)
	ln, err := net.Listen("tcp", fa.listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", fa.listen, err)
	}
	srv := &http.Server{Handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	defer srv.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return fleet.Run(ctx, fa.opt, version, m, slog.New(log.Handler()))
}
