package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Baghdad on machines without the system zone database

	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/registry"
)

// runRollup computes the indicators of a range by hand: after a restore,
// a registry change, or to fill history.
func runRollup(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rollup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "configs/collector.yaml", "configuration file")
	fromS := fs.String("from", "", "first local date (YYYY-MM-DD) or RFC 3339 time")
	toS := fs.String("to", "", "end, exclusive: local date (YYYY-MM-DD) or RFC 3339 time; default now")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	loc, err := cfg.Rollup.Location()
	if err != nil {
		return err
	}
	if *fromS == "" {
		return fmt.Errorf("--from is required, e.g. --from 2026-11-01")
	}
	from, err := indicators.ParseTime(*fromS, loc)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	to := time.Now()
	if *toS != "" {
		if to, err = indicators.ParseTime(*toS, loc); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
	}
	if !to.After(from) {
		return fmt.Errorf("--to (%s) must be after --from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	reg, err := registry.Load(cfg.Registry)
	if err != nil {
		return fmt.Errorf("registry %s: %w", cfg.Registry, err)
	}
	log := cfg.Log.New(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, store := collector.NewRollup(cfg, loc, reg, log)
	defer store.Close()
	if err := store.Bootstrap(ctx); err != nil {
		return err
	}
	start := time.Now()
	results, err := r.Range(ctx, from, to)
	for _, res := range results {
		fmt.Fprintf(stdout, "%-5s %s  %4d of %d facilities reporting  %6d points\n",
			res.Period.Kind, res.Period.Start.Format("2006-01-02"), res.Reporting, reg.Len(), res.Points)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d periods in %s\n", len(results), time.Since(start).Round(time.Millisecond))
	return nil
}
