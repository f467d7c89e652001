// Command greenpulse-bench measures GreenPulse end to end against real
// Mosquitto and InfluxDB processes that it starts on free loopback ports.
//
//	greenpulse-bench ingest --collector bin/greenpulse-collector
//	greenpulse-bench agent --agent bin/greenpulse-agent
//	greenpulse-bench rollup --facilities 500,1000,2000 --days 1,30
//	greenpulse-bench dashboard --facilities 2000 [--screenshots docs/screenshots]
//	greenpulse-bench dashboard --url http://127.0.0.1:8080 --screenshots docs/screenshots
//
// scripts/bench.sh builds the binaries and runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "greenpulse-bench:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	var bench func(ctx context.Context, args []string, out io.Writer) error
	if len(args) > 0 {
		switch args[0] {
		case "ingest":
			bench = runIngestBench
		case "agent":
			bench = runAgentBench
		case "rollup":
			bench = runRollupBench
		case "dashboard":
			bench = runDashboardBench
		}
	}
	if bench == nil {
		return fmt.Errorf("usage: greenpulse-bench ingest|agent|rollup|dashboard [flags]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return bench(ctx, args[1:], out)
}

func runIngestBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	var o ingestOptions
	fs.StringVar(&o.collector, "collector", "bin/greenpulse-collector", "collector binary to measure")
	fs.StringVar(&o.registry, "registry", "configs/facilities.csv", "facility registry")
	fs.IntVar(&o.messages, "messages", 200000, "messages per single-reading run (and for the bare subscriber)")
	fs.IntVar(&o.batchedMessages, "batched-messages", 20000, "messages in the 50-readings-per-message run")
	fs.IntVar(&o.publishers, "publishers", 4, "concurrent publishing clients")
	fs.IntVar(&o.window, "window", 500, "unacknowledged publishes per client")
	fs.StringVar(&o.ingest, "ingest", "", `collector ingest settings to try, as YAML, e.g. "{idle_flush: 100ms}"`)
	fs.StringVar(&o.profileDir, "profile-dir", "", "save a CPU profile of the collector during each run into this folder")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on a run after this long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return benchIngest(ctx, o, out)
}

func runAgentBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("agent", flag.ContinueOnError)
	var o agentOptions
	fs.StringVar(&o.agent, "agent", "bin/greenpulse-agent", "agent binary to measure")
	fs.StringVar(&o.registry, "registry", "configs/facilities.csv", "facility registry")
	fs.StringVar(&o.facility, "facility", "BG-H-001", "facility to simulate")
	fs.DurationVar(&o.steady, "steady", time.Minute, "how long to measure the steady state")
	fs.DurationVar(&o.interval, "interval", 10*time.Second, "simulator interval at steady state")
	fs.DurationVar(&o.offline, "offline", 7*24*time.Hour, "offline period whose readings the drain run starts with")
	if err := fs.Parse(args); err != nil {
		return err
	}
	return benchAgent(ctx, o, out)
}

func runRollupBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("rollup", flag.ContinueOnError)
	facilities := fs.String("facilities", "500,1000,2000", "registry sizes to measure")
	days := fs.String("days", "1,30", "roll-up lengths in days; data is written for the longest")
	queries := fs.Int("queries", 100, "national monthly API queries to time")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o := rollupOptions{queries: *queries}
	for _, list := range []struct {
		s   string
		dst *[]int
	}{{*facilities, &o.facilities}, {*days, &o.days}} {
		for _, f := range strings.Split(list.s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 {
				return fmt.Errorf("%q is not a positive number", f)
			}
			*list.dst = append(*list.dst, n)
		}
	}
	return benchRollup(ctx, o, out)
}
