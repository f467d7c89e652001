package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/collector/partition"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/registry"
)

type clusterOptions struct {
	collector     ingestOptions // the collector binary, registry and ingest settings
	setups        []string
	rates         []int
	step          time.Duration
	readings      int
	publishers    int
	window        int
	drainTimeout  time.Duration
	natsConfigs   string
	influxWriters int
	keepDir       bool
}

func runClusterBench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	var o clusterOptions
	fs.StringVar(&o.collector.collector, "collector", "bin/greenpulse-collector", "collector binary to measure")
	fs.StringVar(&o.collector.registry, "registry", "configs/facilities.csv", "facility registry; messages go round-robin over its facilities")
	fs.StringVar(&o.collector.ingest, "ingest", "", `collector ingest settings to try, as YAML, e.g. "{writers: 4}"`)
	setups := fs.String("setups", "influxdb,mosquitto-1,nats-1,nats-3", "setups to measure: influxdb (InfluxDB alone), mosquitto-1, nats-1, nats-3, nats-3-filters")
	rates := fs.String("rates", "250,500,1000,2000,4000,8000,16000", "offered load ladder in messages/s; the climb stops at the first saturated step")
	fs.DurationVar(&o.step, "step", 15*time.Second, "how long each step publishes (and each InfluxDB-alone run writes)")
	fs.IntVar(&o.readings, "readings", 5, "readings a message (the agent's JSON)")
	fs.IntVar(&o.publishers, "publishers", 6, "publishing clients, spread over the broker nodes")
	fs.IntVar(&o.window, "window", 200, "unacknowledged publishes per client")
	fs.DurationVar(&o.drainTimeout, "drain-timeout", time.Minute, "how long after the last publish to wait for the step's readings in InfluxDB")
	fs.StringVar(&o.natsConfigs, "nats-configs", "configs/nats", "folder of greenpulse-mqtt.conf and greenpulse-partitions.conf")
	fs.IntVar(&o.influxWriters, "influx-writers", 4, "InfluxDB alone: measure 1 to this many concurrent writers")
	fs.BoolVar(&o.keepDir, "keep-dir", false, "keep the run's folder (configs, logs, the servers' files)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.rates, err = positiveInts(*rates); err != nil {
		return fmt.Errorf("--rates: %w", err)
	}
	for _, s := range strings.Split(*setups, ",") {
		s = strings.TrimSpace(s)
		if _, ok := clusterSetupNamed(s); !ok && s != "influxdb" {
			return fmt.Errorf("--setups: unknown setup %q", s)
		}
		o.setups = append(o.setups, s)
	}
	if o.readings < 1 || o.publishers < 1 || o.window < 1 || o.step < time.Second {
		return fmt.Errorf("--readings, --publishers and --window must be at least 1, --step at least 1s")
	}
	return benchCluster(ctx, o, out)
}

// clusterSetup is one arrangement of broker and collectors to measure.
type clusterSetup struct {
	name, about  string
	nats         bool // a 3-node NATS cluster; otherwise one Mosquitto
	mapping      bool // the NATS partition mapping included
	collectors   int
	method       string // partition method, with more than one collector
	readyTimeout time.Duration
}

// clusterSetupNamed returns the setup of a --setups word.
func clusterSetupNamed(name string) (clusterSetup, bool) {
	switch name {
	case "mosquitto-1":
		return clusterSetup{name, "one Mosquitto, 1 collector", false, false, 1, "", time.Minute}, true
	case "nats-1":
		return clusterSetup{name, "3-node NATS cluster without the partition mapping, 1 collector", true, false, 1, "", time.Minute}, true
	case "nats-3":
		return clusterSetup{name, "3-node NATS cluster with the partition mapping, 3 collectors (nats_mapping)",
			true, true, 3, partition.NATSMapping, time.Minute}, true
	case "nats-3-filters":
		// About 80 filters a collector here, with max_ack_pending lowered
		// to fit them; 667 have been seen to take 90-110 s to subscribe.
		return clusterSetup{name, "3-node NATS cluster without the partition mapping, 3 collectors (facility_filters)",
			true, false, 3, partition.FacilityFilters, 3 * time.Minute}, true
	}
	return clusterSetup{}, false
}

// benchCluster measures each setup on fresh servers and prints each step
// and a summary.
func benchCluster(ctx context.Context, o clusterOptions, out io.Writer) error {
	reg, err := registry.Load(o.collector.registry)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "greenpulse-bench-cluster-")
	if err != nil {
		return err
	}
	if o.keepDir {
		fmt.Fprintf(os.Stderr, "greenpulse-bench: keeping the run's folder %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	sample := buildMessages(reg.Facilities(), agentJSON, 1000, o.readings, time.Now().UnixMilli())
	fmt.Fprintf(out, "machine: %s, %d CPUs, %s/%s; every process below shares them\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(out, "load: %d readings a message (agent JSON, %.0f bytes on average), QoS 1, one facility a message round-robin over %d; %d publishers x window %d; steps of %s\n",
		o.readings, meanBytes(sample), len(reg.Facilities()), o.publishers, o.window, o.step)
	fmt.Fprintf(out, "stored rd/s: InfluxDB's pointsWrittenOK, least-squares rate from 2 s into the step to its end; drain: last publish to every acknowledged reading stored; cores: CPU s / step s\n")
	b := &clusterBench{o: o, facilities: reg.Facilities(), nextMs: time.Now().Add(-60 * 24 * time.Hour).UnixMilli()}
	for _, name := range o.setups {
		sub := filepath.Join(dir, name)
		if name == "influxdb" {
			if b.influxAlone, err = b.benchInfluxAlone(ctx, sub, out); err != nil {
				return fmt.Errorf("influxdb alone: %w", err)
			}
			continue
		}
		s, _ := clusterSetupNamed(name)
		steps, err := b.benchSetup(ctx, s, sub, out)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		b.results = append(b.results, setupResult{setup: s, steps: steps})
	}
	printClusterSummary(out, b.results, b.influxAlone)
	return nil
}

// clusterBench holds what the setups share.
type clusterBench struct {
	o           clusterOptions
	facilities  []registry.Facility
	nextMs      int64 // the next message's readings start here: no two readings share a timestamp
	results     []setupResult
	influxAlone []influxWriteResult
}

// clusterEnv is one setup's running servers, collectors and publishers.
type clusterEnv struct {
	influx     *testenv.InfluxDB
	counter    *influxCounter
	nodes      []string       // MQTT URL of each broker node
	pids       map[string]int // every measured process by name: "nats n1", "collector 0", "influxd", "bench"
	collectors []*collectorProc
	clients    []mqtt.Client
	stops      []func() // in the order to stop: the last started first
}

// onStop makes f the first thing stop does.
func (e *clusterEnv) onStop(f func()) { e.stops = append([]func(){f}, e.stops...) }

func (e *clusterEnv) stop() {
	for _, f := range e.stops {
		f()
	}
}

// startEnv starts the database, the brokers and the collectors, waits
// until every collector has stored a warm-up reading, then connects the
// publishers (consumers before producers).
func (b *clusterBench) startEnv(ctx context.Context, s clusterSetup, dir string) (*clusterEnv, error) {
	e := &clusterEnv{pids: map[string]int{"bench": os.Getpid()}}
	influx, err := startInfluxDB(ctx, filepath.Join(dir, "influxdb"))
	if err != nil {
		return e, err
	}
	e.onStop(func() { _ = influx.Stop() })
	e.influx, e.counter, e.pids["influxd"] = influx, newInfluxCounter(influx.URL()), influx.Pid()
	var collectorBrokers func(i int) []string
	if s.nats {
		opt := testenv.NATSOptions{MQTTInclude: filepath.Join(b.o.natsConfigs, "greenpulse-mqtt.conf")}
		if s.method == partition.FacilityFilters {
			if opt.MQTTInclude, err = b.filtersMQTTConf(dir, s.collectors); err != nil {
				return e, err
			}
		}
		if s.mapping {
			opt.Include = []string{filepath.Join(b.o.natsConfigs, "greenpulse-partitions.conf")}
		}
		cluster, err := testenv.NewNATSCluster(filepath.Join(dir, "nats"), opt)
		if err != nil {
			return e, err
		}
		e.onStop(func() { _ = cluster.Stop() })
		if err := cluster.Start(ctx); err != nil {
			return e, err
		}
		for _, n := range cluster.Nodes {
			e.nodes = append(e.nodes, n.MQTTURL())
			e.pids["nats "+n.Name] = n.Pid()
		}
		collectorBrokers = cluster.MQTTURLs
	} else {
		broker, err := startBroker(ctx, filepath.Join(dir, "mosquitto"))
		if err != nil {
			return e, err
		}
		e.onStop(func() { _ = broker.Stop() })
		e.nodes, e.pids["mosquitto"] = []string{broker.URL()}, broker.Pid()
		collectorBrokers = func(int) []string { return []string{broker.URL()} }
	}
	for i := range s.collectors {
		cs := collectorSetup{clientID: fmt.Sprintf("bench-%s-%d", s.name, i), brokers: collectorBrokers(i),
			mqtt:  "max_reconnect_interval: 1s",
			extra: fmt.Sprintf("alerts: {state_file: %q}\n", filepath.Join(dir, fmt.Sprintf("alerts-%d.json", i)))}
		if s.collectors > 1 {
			cs.mqtt += fmt.Sprintf(", partition: {count: %d, index: %d, method: %s}", s.collectors, i, s.method)
		}
		c, err := startCollectorWith(ctx, b.o.collector, dir, cs, influx.URL())
		if err != nil {
			return e, err
		}
		e.onStop(c.stop)
		e.collectors = append(e.collectors, c)
		e.pids[fmt.Sprintf("collector %d", i)] = c.pid()
	}
	for p := range b.o.publishers {
		url := e.nodes[p%len(e.nodes)]
		c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(url).
			SetClientID(fmt.Sprintf("bench-%s-load-%d", s.name, p)).SetWriteTimeout(30 * time.Second))
		// A NATS node busy making the collectors' subscriptions may drop a
		// new connection: a few tries.
		for try := 1; ; try++ {
			tok := c.Connect()
			if tok.WaitTimeout(10*time.Second) && tok.Error() == nil {
				break
			} else if try == 5 {
				return e, fmt.Errorf("connect publisher to %s: %v", url, tok.Error())
			}
			time.Sleep(time.Second)
		}
		e.clients = append(e.clients, c)
		e.onStop(func() { c.Disconnect(250) })
	}
	return e, b.warmUp(ctx, e, s)
}

// filtersMQTTConf writes the shipped greenpulse-mqtt.conf with
// max_ack_pending lowered to what facility_filters needs (its comment
// says why): a session's subscriptions may hold 65,535 in all, and nats
// refuses a filter beyond (SUBACK 0x80).
func (b *clusterBench) filtersMQTTConf(dir string, collectors int) (string, error) {
	src := filepath.Join(b.o.natsConfigs, "greenpulse-mqtt.conf")
	data, err := os.ReadFile(src)
	if err != nil {
		return "", err
	}
	most := 0
	for i := range collectors {
		n := 0
		for _, f := range b.facilities {
			if partition.Of(f.ID, collectors) == i {
				n++
			}
		}
		most = max(most, n)
	}
	conf := regexp.MustCompile(`(?m)^max_ack_pending: \d+$`).ReplaceAll(data, fmt.Appendf(nil, "max_ack_pending: %d", 65535/most))
	path := filepath.Join(dir, "greenpulse-mqtt.conf")
	return path, os.WriteFile(path, conf, 0o644)
}

// warmUp publishes, every second, one reading for each facility that has
// none in InfluxDB yet, until every facility has: every collector is then
// connected and writing, and every subscription made (with one filter a
// facility they are made one by one; a message a broker got before a
// subscription that matches it existed is lost, and counted nowhere).
func (b *clusterBench) warmUp(ctx context.Context, e *clusterEnv, s clusterSetup) error {
	deadline := time.Now().Add(s.readyTimeout)
	waiting := b.facilities
	for {
		set := buildMessages(waiting, agentJSON, len(waiting), 1, b.nextMs)
		b.nextMs += set.readings() + 1000
		for i := range set.payloads {
			if tok := e.clients[i%len(e.clients)].Publish(set.topics[i], 1, false, set.payloads[i]); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				return fmt.Errorf("publish warm-up message: %v", tok.Error())
			}
		}
		time.Sleep(time.Second)
		series, err := e.counter.query(ctx, "greenpulse", `SHOW TAG VALUES FROM energy WITH KEY = "facility"`)
		seen := map[string]bool{}
		for _, sr := range series {
			for _, v := range sr.Values {
				if len(v) == 2 {
					seen[fmt.Sprint(v[1])] = true
				}
			}
		}
		waiting = slices.DeleteFunc(slices.Clone(waiting), func(f registry.Facility) bool { return seen[f.ID] })
		if len(waiting) == 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("%d of %d facilities have no warm-up reading in InfluxDB after %s (last error: %v)",
				len(waiting), len(b.facilities), s.readyTimeout, err)
		}
	}
}

// benchSetup climbs the load ladder on fresh servers until a step
// saturates.
func (b *clusterBench) benchSetup(ctx context.Context, s clusterSetup, dir string, out io.Writer) ([]stepResult, error) {
	fmt.Fprintf(out, "\n%s: %s\n", s.name, s.about)
	began := time.Now()
	e, err := b.startEnv(ctx, s, dir)
	defer e.stop()
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "  (servers started, collectors subscribed and writing in %.1f s)\n", time.Since(began).Seconds())
	printStepHeader(out)
	base, err := e.counter.settle(ctx, 300*time.Millisecond)
	if err != nil {
		return nil, err
	}
	var steps []stepResult
	var acked int64
	for _, rate := range b.o.rates {
		r, err := b.step(ctx, e, rate)
		if err != nil {
			return steps, err
		}
		printStep(out, r)
		steps = append(steps, r)
		acked += int64(r.load.acked * b.o.readings)
		if r.saturated {
			break
		}
	}
	total, err := e.counter.settle(ctx, 500*time.Millisecond)
	if err != nil {
		return steps, err
	}
	var written float64
	for _, c := range e.collectors {
		n, _ := c.metric("greenpulse_collector_points_written_total")
		written += n
	}
	fmt.Fprintf(out, "  check: InfluxDB pointsWrittenOK %s for %s acknowledged readings (%+d); collectors' points_written_total %s (warm-ups included)\n",
		thousands(float64(total-base)), thousands(float64(acked)), total-base-acked, thousands(written))
	return steps, nil
}

func meanBytes(s *messageSet) float64 {
	n := 0
	for _, p := range s.payloads {
		n += len(p)
	}
	return float64(n) / float64(len(s.payloads))
}

func printStepHeader(out io.Writer) {
	fmt.Fprintf(out, "  %7s %9s %7s %9s %13s %7s   %-43s %s\n", "offered", "", "acked", "stored", "ack ms", "drain",
		"cores: broker(max) collector(max) influxd bench all", "")
	fmt.Fprintf(out, "  %7s %9s %7s %9s %13s %7s\n", "msg/s", "rd/s", "msg/s", "rd/s", "p50 / p99", "s")
}

func printStep(out io.Writer, r stepResult) {
	k := kindCores(r)
	broker := k["nats"]
	if _, ok := k["mosquitto"]; ok {
		broker = k["mosquitto"]
	}
	drain := fmt.Sprintf("%.1f", r.drainLag.Seconds())
	if !r.drained {
		drain = ">" + drain
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	verdict := "ok"
	if r.saturated {
		verdict = "SATURATED: " + strings.Join(r.why, ", ") + "; " + bottleneck(r, runtime.NumCPU())
	}
	fmt.Fprintf(out, "  %7s %9s %7s %9s %6.1f/%6.1f %7s   %4.2f(%4.2f) %4.2f(%4.2f) %7.2f %5.2f %4.2f   %s\n",
		thousands(float64(r.rate)), thousands(float64(r.rate*r.perMessage)), thousands(r.ackedRate()), thousands(r.stored),
		ms(percentile(r.load.latencies, 0.5)), ms(percentile(r.load.latencies, 0.99)), drain,
		broker[0], broker[1], k["collector"][0], k["collector"][1], k["influxd"][0], k["bench"][0], r.cores(r.machine), verdict)
	if r.extra != 0 || r.load.firstErr != nil {
		fmt.Fprintf(out, "          note: %+d points beyond the acknowledged readings (redelivered, or published without a PUBACK); %d sent, %d acked, %d failed %v\n",
			r.extra, r.load.sent, r.load.acked, r.load.failed, r.load.firstErr)
	}
}

// setupResult is one setup's ladder.
type setupResult struct {
	setup clusterSetup
	steps []stepResult
}

// best returns the highest offered rate that did not saturate (0 if the
// first step did) and the highest stored readings/s of any step.
func (s setupResult) best() (rate int, stored float64) {
	for _, r := range s.steps {
		if !r.saturated {
			rate = max(rate, r.rate)
		}
		stored = max(stored, r.stored)
	}
	return rate, stored
}

func printClusterSummary(out io.Writer, results []setupResult, influxAlone []influxWriteResult) {
	fmt.Fprintf(out, "\nsummary (%d CPUs; one reading a minute a facility = 1/60 reading/s):\n", runtime.NumCPU())
	for _, r := range influxAlone {
		fmt.Fprintf(out, "  influxdb alone, %d writer(s): %s points/s, influxd %.2f cores\n", r.writers,
			thousands(float64(r.points)/r.elapsed.Seconds()), r.influxd/r.elapsed.Seconds())
	}
	stored := map[string]float64{}
	what := map[string]string{}
	saturated := map[string]bool{}
	for _, s := range results {
		rate, st := s.best()
		stored[s.setup.name] = st
		line := fmt.Sprintf("  %s: highest unsaturated %s msg/s (%s readings/s); most stored %s readings/s = %s facilities at one reading a minute",
			s.setup.name, thousands(float64(rate)), thousands(float64(rate*s.steps[0].perMessage)), thousands(st), thousands(st*60))
		last := s.steps[len(s.steps)-1]
		saturated[s.setup.name] = last.saturated
		if last.saturated {
			what[s.setup.name] = bottleneck(last, runtime.NumCPU())
			line += fmt.Sprintf("; saturated at %s msg/s (%s): %s", thousands(float64(last.rate)), strings.Join(last.why, ", "), what[s.setup.name])
		} else {
			what[s.setup.name] = "nothing within the ladder"
			line += "; not saturated by the top of the ladder"
		}
		fmt.Fprintln(out, line)
	}
	if one, three := stored["nats-1"], stored["nats-3"]; one > 0 && three > 0 {
		ratio := three / one
		met := "not met"
		if ratio >= 2.5 {
			met = "met"
		}
		if !saturated["nats-1"] || !saturated["nats-3"] {
			met += " as measured (a setup the ladder did not saturate: its capacity is higher than it shows)"
		}
		fmt.Fprintf(out, "  nats-3 / nats-1: %.2fx of the most stored readings/s (target 2.5x): %s; what saturates first in nats-3: %s\n",
			ratio, met, what["nats-3"])
	}
}
