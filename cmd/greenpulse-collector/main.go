// Command greenpulse-collector receives facility readings from MQTT, stores
// them in InfluxDB and serves metrics and health endpoints.
//
//	greenpulse-collector serve --config configs/collector.yaml
//	greenpulse-collector check-config --config configs/collector.yaml
//	greenpulse-collector user add amal --role officer --scope IQ-BG
//	greenpulse-collector version
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/registry"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: greenpulse-collector <command> [flags]

commands:
  serve --config PATH         run the collector
  check-config --config PATH  validate the configuration and registry, start nothing
  rollup --config PATH --from DATE --to DATE
                              compute the indicators of every local day and month in [from, to)
  dhis2 setup --config PATH [--dry-run]
                              create or update GreenPulse's data elements, indicators and data set in DHIS2
  dhis2 push --config PATH --period YYYYMM [--dry-run] [--rollup]
                              push one month's indicators to DHIS2
  user add|passwd|remove|list NAME [--role R] [--scope S] [--config PATH]
                              manage who signs in to the dashboard and API
  token add|remove|list NAME [--scope S] [--out FILE] [--config PATH]
                              manage read-only API tokens for scripts
  version                     print the version
`

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "greenpulse-collector:", err)
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "version":
		fmt.Fprintln(stdout, "greenpulse-collector", version)
		return nil
	case "serve", "check-config":
	case "rollup":
		return runRollup(args, stdout, stderr)
	case "dhis2":
		return runDHIS2(args, stdout, stderr)
	case "user":
		return runUser(args, stdin, stdout, stderr)
	case "token":
		return runToken(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}

	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "configs/collector.yaml", "configuration file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	if cmd == "check-config" {
		reg, err := registry.Load(cfg.Registry)
		if err != nil {
			return fmt.Errorf("registry %s: %w", cfg.Registry, err)
		}
		if err := cfg.Events.CheckAreas(reg); err != nil {
			return fmt.Errorf("%s: %w", *path, err)
		}
		var share strings.Builder
		if err := checkPartition(&share, cfg, reg); err != nil {
			return fmt.Errorf("%s: %w", *path, err)
		}
		fmt.Fprintf(stdout, "%s: ok (registry %s: %d facilities; %d events)\n", *path, cfg.Registry, reg.Len(), len(cfg.Events.List))
		io.WriteString(stdout, share.String())
		printDHIS2Check(stdout, cfg, reg)
		if err := printAccessCheck(stdout, cfg); err != nil {
			return err
		}
		if keys, err := config.LooseSecrets(*path); err == nil && len(keys) > 0 {
			fmt.Fprintf(stdout, "warning: %s holds %s and other users may read it: chmod 600 it, or set the secrets in the environment (see the file's comments)\n",
				*path, strings.Join(keys, ", "))
		}
		return nil
	}

	log := cfg.Log.New(stderr)
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && cfg.MemoryLimitMB > 0 {
		debug.SetMemoryLimit(int64(cfg.MemoryLimitMB) << 20)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Info("starting greenpulse-collector", "version", version, "config", *path)
	if keys, err := config.LooseSecrets(*path); err == nil && len(keys) > 0 {
		log.Warn("the config file holds secrets and other users may read it: chmod 600 it, or set them in the environment",
			"config", *path, "keys", keys)
	}
	return collector.Run(ctx, cfg, version, log)
}
