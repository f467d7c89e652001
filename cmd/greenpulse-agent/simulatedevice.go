package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"syscall"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/devicesim"
	"github.com/greenpulse-health/greenpulse/internal/logconf"
	"github.com/greenpulse-health/greenpulse/registry"
)

// simulateDevice runs `greenpulse-agent simulate-device` until SIGINT or
// SIGTERM.
func simulateDevice(args []string, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveDevice(ctx, args, stderr, nil)
}

// serveDevice serves a facility's simulated Modbus devices until ctx ends;
// started, if set, is called once the server listens.
func serveDevice(ctx context.Context, args []string, stderr io.Writer, started func(*devicesim.Server)) error {
	fs := flag.NewFlagSet("simulate-device", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: greenpulse-agent simulate-device --facility ID [flags]

Serves one facility's simulated devices over Modbus TCP, with the values of
the simulator (sources.simulate) at the time they are read: unit 1 a SunSpec
inverter (holding registers, SunS at 40000; models 1, 103 and 124 with a
battery), unit 2 an SDM630-like grid meter (input registers, float32), unit 3
a Deep Sea GenComm generator controller when the facility has one (holding
registers: fuel level, watts, run time, kWh; read it with preset gencomm and
the same tank_litres). Other units do not answer.

`)
		fs.PrintDefaults()
	}
	listen := fs.String("listen", "127.0.0.1:1502", "Modbus TCP address to listen on")
	id := fs.String("facility", "", "facility id in the registry (required)")
	regPath := fs.String("registry", "configs/facilities.csv", "registry CSV")
	seed := fs.Int64("seed", 1, "simulator seed (the agent's sources.simulate.seed)")
	tank := fs.Float64("tank-litres", devicesim.DefaultTankLitres, "the generator's fuel tank, litres (the agent's tank_litres)")
	level := fs.String("log-level", "info", "debug | info | warn | error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !(*tank > 0) || math.IsInf(*tank, 0) {
		return fmt.Errorf("simulate-device: --tank-litres: %v must be a number > 0", *tank)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("simulate-device: unexpected argument %q", fs.Arg(0))
	}
	if *id == "" {
		return errors.New("simulate-device: --facility is required")
	}
	lc := logconf.Default()
	lc.Level = *level
	if err := lc.Validate("log"); err != nil {
		return fmt.Errorf("--log-level: %q is not one of debug, info, warn, error", *level)
	}
	log := lc.New(stderr)
	reg, err := registry.Load(*regPath)
	if err != nil {
		return fmt.Errorf("--registry %s: %w", *regPath, err)
	}
	f, ok := reg.Lookup(*id)
	if !ok {
		return fmt.Errorf("--facility: %q is not in the registry %s", *id, *regPath)
	}

	srv := devicesim.New(f, devicesim.Options{Seed: *seed, Log: log, Version: version, TankLitres: *tank})
	if err := srv.Start(*listen); err != nil {
		return err
	}
	defer srv.Close()
	for _, u := range srv.Units() {
		attrs := []any{"unit", u.ID, "device", u.Kind, "table", u.Table.String()}
		if u.Models != nil {
			attrs = append(attrs, "sunspec_models", fmt.Sprint(u.Models))
		}
		if u.ID == devicesim.UnitGenerator {
			attrs = append(attrs, "tank_litres", srv.TankLitres())
		}
		log.Info("serving unit", attrs...)
	}
	log.Info("simulating devices", "facility", f.ID, "url", srv.URL(), "seed", *seed)
	if started != nil {
		started(srv)
	}
	<-ctx.Done()
	log.Info("stopping device simulator", "facility", f.ID)
	return srv.Close()
}
