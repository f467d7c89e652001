// Command greenpulse-agent takes a facility's readings, keeps them in a
// durable outbox and publishes them to the GreenPulse broker.
//
//	greenpulse-agent run --config configs/agent.yaml
//	greenpulse-agent check-config --config configs/agent.yaml
//	greenpulse-agent log-waste --config configs/agent.yaml --category sharps --kg 12.5 --treatment autoclave
//	greenpulse-agent log-meter --config configs/agent.yaml --counter grid_kwh --value 12400
//	greenpulse-agent version
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: greenpulse-agent <command> [flags]

commands:
  run --config PATH           run the agent
  check-config --config PATH  validate the configuration, start nothing
  log-waste --config PATH --category C --treatment T --kg N [--stored-hours H] [--at TIME] [--id ID] [--note TEXT]
                              record a waste hand-over (run with -h for details)
  log-meter --config PATH --counter C --value N [--unit L|%] [--at TIME] [--meter NAME] [--replaced] [--confirm] [--note TEXT]
                              record a meter reading typed from a display (run with -h for details)
  fleet [flags]               run many simulated facilities, optionally playing the collector's events (demo and load; -h for flags)
  simulate-device --facility ID [--listen 127.0.0.1:1502] [--registry PATH] [--seed N]
                              serve a facility's simulated Modbus devices (-h for details)
  scan --bus URL [--units 1-247] [--preset P]
                              list the Modbus units that answer, their SunSpec models and
                              what a preset reads now (for installers; -h for flags)
  version                     print the version
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "greenpulse-agent:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "greenpulse-agent", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "log-waste":
		return logWaste(args, stdout, stderr)
	case "log-meter":
		return logMeter(args, stdout, stderr)
	case "fleet":
		return runFleet(args, stderr)
	case "simulate-device":
		return simulateDevice(args, stderr)
	case "scan":
		return scan(args, stdout, stderr)
	case "run", "check-config":
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	cfg, path, err := loadConfig(cmd, args, stderr)
	if err != nil {
		return err
	}
	if cmd == "check-config" {
		fmt.Fprintf(stdout, "%s: ok (facility %s, outbox %s, broker %s)\n", path, cfg.Facility, cfg.Outbox.Dir, cfg.MQTT.Servers())
		for _, b := range cfg.Sources.Modbus.Buses {
			fmt.Fprintf(stdout, "modbus %s:\n", b.URL)
			for _, d := range b.Devices {
				what := d.Preset
				if what == "" {
					what = fmt.Sprintf("a register map (%d registers)", len(d.Registers))
				}
				fmt.Fprintf(stdout, "  %s: unit %d, %s, every %s -> %s\n", d.Name, d.Unit, what, d.Interval, d.Series())
			}
		}
		return nil
	}
	log := cfg.Log.New(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("starting greenpulse-agent", "version", version, "config", path, "facility", cfg.Facility)
	return agents.Serve(ctx, cfg, version, log)
}

// loadConfig reads --config for run and check-config.
func loadConfig(cmd string, args []string, stderr io.Writer) (config.Config, string, error) {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "configs/agent.yaml", "configuration file")
	if err := fs.Parse(args); err != nil {
		return config.Config{}, "", err
	}
	cfg, err := config.Load(*path)
	return cfg, *path, err
}
