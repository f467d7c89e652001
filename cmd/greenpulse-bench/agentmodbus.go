package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/devicesim"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/sunspec"
	"github.com/greenpulse-health/greenpulse/registry"
)

// benchModbus measures the agent reading four Modbus devices every
// o.interval from the facility's simulated devices on loopback (package
// devicesim, as `greenpulse-agent simulate-device` serves them: a SunSpec
// inverter, the grid's SDM630, the generator's controller, and a register
// map): resident memory and CPU at steady state, then how long SunSpec
// discovery of the inverter takes. Only the agent's process is measured.
func benchModbus(ctx context.Context, o agentOptions, dir, brokerURL string, f registry.Facility, out io.Writer) error {
	sim := devicesim.New(f, devicesim.Options{Seed: 1})
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("device simulator: %w", err)
	}
	defer sim.Close()
	listen, facility := sim.Addr(), f.ID
	sources := fmt.Sprintf(`  simulate: {enabled: false}
  modbus:
    buses:
      - url: tcp://%[1]s
        devices:
          - {name: inverter, unit: 1, preset: sunspec, stream: solar, interval: %[2]s}
          - {name: grid, unit: 2, preset: sdm630, stream: energy, source: grid, interval: %[2]s}
          - {name: generator, unit: 3, preset: gencomm, stream: energy, source: generator, meter: gen1, tank_litres: 1000, interval: %[2]s}
          - name: grid-registers
            unit: 2
            stream: energy
            source: other
            meter: check
            interval: %[2]s
            registers:
              - {field: kwh_total, register: input, address: 72, type: float32}
              - {field: power_w, register: input, address: 52, type: float32}
`, listen, o.interval)
	p, err := startAgent(ctx, o.agent, filepath.Join(dir, "modbus"), brokerURL, facility, sources)
	if err != nil {
		return err
	}
	defer p.stop()
	st, err := steadyState(ctx, p.pid(), o.steady)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "modbus steady state (4 devices every %s over Modbus TCP, %s)%s\n", o.interval, st.elapsed.Round(time.Second), st)

	polls, errs, err := modbusTotals(p.listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "  in all %.0f polls, %.0f errors (every kind)\n", polls, errs)
	if polls == 0 || errs > 0 {
		return fmt.Errorf("the Modbus devices were not all read: %.0f polls, %.0f errors", polls, errs)
	}

	b, err := bus.Open(bus.Config{URL: "tcp://" + listen, Timeout: time.Second}, nil)
	if err != nil {
		return err
	}
	defer b.Close()
	var worst, total time.Duration
	const rounds = 20
	for range rounds {
		start := time.Now()
		d, err := sunspec.Discover(ctx, b, 1)
		took := time.Since(start)
		if err != nil {
			return fmt.Errorf("sunspec discovery: %w", err)
		}
		if len(d.Models) == 0 {
			return fmt.Errorf("sunspec discovery found no models")
		}
		worst, total = max(worst, took), total+took
	}
	fmt.Fprintf(out, "sunspec discovery of one device on loopback (%d rounds): mean %s, worst %s\n",
		rounds, (total / rounds).Round(time.Microsecond), worst.Round(time.Microsecond))
	return nil
}

// modbusTotals sums the agent's Modbus polls and errors over devices
// (and kinds) from its /metrics.
func modbusTotals(listen string) (polls, errs float64, err error) {
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		v, perr := strconv.ParseFloat(value, 64)
		switch {
		case perr != nil:
		case strings.HasPrefix(name, "greenpulse_agent_modbus_polls_total{"):
			polls += v
		case strings.HasPrefix(name, "greenpulse_agent_modbus_errors_total{"):
			errs += v
		}
	}
	return polls, errs, sc.Err()
}
