// Command greenpulse-bench measures GreenPulse end to end against real
// Mosquitto and InfluxDB processes that it starts on free loopback ports.
//
//	greenpulse-bench ingest --collector bin/greenpulse-collector
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
	if len(args) == 0 || args[0] != "ingest" {
		return fmt.Errorf("usage: greenpulse-bench ingest [flags]")
	}
	fs := flag.NewFlagSet("ingest", flag.ContinueOnError)
	var o ingestOptions
	fs.StringVar(&o.collector, "collector", "bin/greenpulse-collector", "collector binary to measure")
	fs.StringVar(&o.registry, "registry", "configs/facilities.csv", "facility registry")
	fs.IntVar(&o.messages, "messages", 200000, "messages per single-reading run (and for the bare subscriber)")
	fs.IntVar(&o.batchedMessages, "batched-messages", 20000, "messages in the 50-readings-per-message run")
	fs.IntVar(&o.publishers, "publishers", 4, "concurrent publishing clients")
	fs.IntVar(&o.window, "window", 500, "unacknowledged publishes per client")
	fs.StringVar(&o.profileDir, "profile-dir", "", "save a CPU profile of the collector during each run into this folder")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on a run after this long")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return benchIngest(ctx, o, out)
}
