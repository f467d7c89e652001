package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/preset"
)

// scan tells an installer what answers on a Modbus bus: each unit that
// replies, its SunSpec models and what a preset reads from it now.
func scan(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("scan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("bus", "", "the bus: tcp://host:502 or rtu:///dev/ttyUSB0 (required)")
	unitList := fs.String("units", "1-247", "unit ids to ask: a range such as 1-247 (TCP devices may also be 0 or 255), or a list such as 1,2,10-12")
	timeout := fs.Duration("timeout", 300*time.Millisecond, "how long to wait for each unit")
	pause := fs.Duration("pause", config.DefaultModbusPause, "pause between requests to different units")
	baud := fs.Int("baud", bus.DefaultBaud, "rtu: baud rate")
	dataBits := fs.Int("data-bits", 8, "rtu: data bits")
	parity := fs.String("parity", "none", "rtu: parity, none, even or odd")
	stopBits := fs.Int("stop-bits", 1, "rtu: stop bits")
	presetName := fs.String("preset", "", "also read this preset from each unit that answers: "+strings.Join(preset.Names(), ", "))
	minVoltage := fs.Float64("min-voltage", preset.DefaultMinVoltage, "meters: the phase voltage from which the source counts as live")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *url == "" {
		fs.Usage()
		return fmt.Errorf("scan: --bus is required, e.g. --bus tcp://192.168.1.50:502")
	}
	units, err := modbus.ParseUnits(*unitList)
	if err != nil {
		return fmt.Errorf("scan: --%w", err)
	}
	cfg := bus.Config{URL: *url, Timeout: *timeout, Pause: *pause}
	if cfg.Serial() {
		cfg.Baud, cfg.DataBits, cfg.Parity, cfg.StopBits = *baud, *dataBits, *parity, *stopBits
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b, err := bus.Open(cfg, log)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	defer b.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Fprintf(stdout, "scanning %s, units %s, %s per unit (up to %s)\n", *url, *unitList, *timeout,
		(time.Duration(len(units)) * (*timeout + *pause)).Round(100*time.Millisecond))
	started := time.Now()
	found, err := modbus.Scan(ctx, b, modbus.ScanOptions{
		Units:  units,
		Preset: *presetName,
		Opt:    preset.Options{MinVoltage: *minVoltage},
		Found:  func(rep modbus.UnitReport) { modbus.WriteReport(stdout, rep) },
	})
	fmt.Fprintf(stdout, "%d of %d units answered in %s\n", len(found), len(units), time.Since(started).Round(time.Millisecond))
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	return nil
}
