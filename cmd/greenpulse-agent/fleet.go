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
)

func runFleet(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := config.Default()
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
	if err := fs.Parse(args); err != nil {
		return err
	}
	history, err := fleet.ParseDuration(*hist)
	if err != nil {
		return fmt.Errorf("--history: %w", err)
	}
	if *step <= 0 || *interval <= 0 {
		return fmt.Errorf("--history-step and --interval must be positive")
	}
	cfg := config.Default()
	cfg.Facility = "fleet"
	cfg.MQTT.Broker = *broker
	cfg.Log.Level = *level
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := cfg.Log.New(stderr)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := agents.NewMetrics(reg)
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", *listen, err)
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
	return fleet.Run(ctx, fleet.Options{
		Registry: *regPath, Facilities: *n, Seed: *seed, History: history, HistoryStep: *step,
		Interval: *interval, Dir: *dir, MQTT: cfg.MQTT, Publish: cfg.Publish, OutboxBytes: cfg.Outbox.MaxBytes,
	}, version, m, slog.New(log.Handler()))
}
