// Command greenpulse-bench measures GreenPulse end to end against real
// Mosquitto and InfluxDB processes that it starts on free loopback ports.
//
//	greenpulse-bench ingest --collector bin/greenpulse-collector [--telegraf ~/.cache/greenpulse/bin/telegraf]
//	greenpulse-bench cluster --collector bin/greenpulse-collector [--setups influxdb,mosquitto-1,nats-1,nats-3]
//	greenpulse-bench agent --agent bin/greenpulse-agent
//	greenpulse-bench rollup --facilities 500,1000,2000 --days 1,30
//	greenpulse-bench dashboard --facilities 2000 [--screenshots docs/screenshots]
//	greenpulse-bench dashboard --url http://127.0.0.1:8080 --screenshots docs/screenshots
//
// scripts/bench.sh builds the binaries and runs it; scripts/bench-cluster.sh
// runs the cluster bench (the capacity model's measurements: a load ladder
// per broker and collector setup until each saturates).
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
		case "cluster":
			bench = runClusterBench
		case "agent":
			bench = runAgentBench
		case "rollup":
			bench = runRollupBench
		case "dashboard":
			bench = runDashboardBench
		}
	}
	if bench == nil {
		return fmt.Errorf("usage: greenpulse-bench ingest|cluster|agent|rollup|dashboard [flags]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return bench(ctx, args[1:], out)
}

func runIngestBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	var o ingestOptions
	fs.StringVar(&o.collector, "collector", "bin/greenpulse-collector", "collector binary to measure")
	fs.StringVar(&o.telegraf, "telegraf", "", "Telegraf binary to measure beside it (scripts/bench.sh builds one); empty: none")
	fs.StringVar(&o.registry, "registry", "configs/facilities.csv", "facility registry")
	fs.IntVar(&o.messages, "messages", 200000, "messages in a 1-reading run")
	fs.IntVar(&o.batchedMessages, "batched-messages", 20000, "messages in a 50-reading run")
	fs.IntVar(&o.publishers, "publishers", 4, "concurrent publishing clients")
	fs.IntVar(&o.window, "window", 500, "unacknowledged publishes per client")
	fs.IntVar(&o.rounds, "rounds", 1, "times to measure every format and size")
	formats := fs.String("formats", "lp,json", "payload formats: lp (line protocol), json (the agent's JSON)")
	sizes := fs.String("sizes", "1,50", "readings a message")
	fs.IntVar(&o.telegrafBatch, "telegraf-batch", 0, "Telegraf's metric_batch_size (0: 2000 at 1 reading a message, 5000 at more)")
	fs.IntVar(&o.telegrafWriters, "telegraf-writers", 1, "Telegraf's influxdb_v2 concurrent_writes (more than 1 loses data in Telegraf 1.36.4)")
	fs.StringVar(&o.ingest, "ingest", "", `collector ingest settings to try, as YAML, e.g. "{idle_flush: 100ms}"`)
	fs.StringVar(&o.profileDir, "profile-dir", "", "save a 5-second CPU profile of the collector during each of its runs into this folder")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on a run after this long")
	fs.BoolVar(&o.keepDir, "keep-dir", false, "keep the run's folder (the consumers' configs and logs, the broker's and database's files)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, f := range strings.Split(*formats, ",") {
		format, ok := formatsByFlag[strings.TrimSpace(f)]
		if !ok {
			return fmt.Errorf("--formats: %q is neither lp nor json", f)
		}
		o.formats = append(o.formats, format)
	}
	var err error
	if o.sizes, err = positiveInts(*sizes); err != nil {
		return fmt.Errorf("--sizes: %w", err)
	}
	if o.rounds < 1 {
		return fmt.Errorf("--rounds: want at least 1, got %d", o.rounds)
	}
	return benchIngest(ctx, o, out)
}

// positiveInts parses a comma-separated list of positive numbers.
func positiveInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
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
	var err error
	if o.facilities, err = positiveInts(*facilities); err != nil {
		return fmt.Errorf("--facilities: %w", err)
	}
	if o.days, err = positiveInts(*days); err != nil {
		return fmt.Errorf("--days: %w", err)
	}
	return benchRollup(ctx, o, out)
}
