package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/registry"
)

type ingestOptions struct {
	collector, telegraf, registry string
	messages                      int // a 1-reading run
	batchedMessages               int // a 50-reading run
	publishers, window            int
	rounds                        int
	formats                       []payloadFormat
	sizes                         []int
	telegrafBatch                 int
	telegrafWriters               int
	timeout                       time.Duration
	profileDir                    string
	keepDir                       bool
	ingest                        string
}

// cell is one kind of load: a payload format and readings a message.
type cell struct {
	format     payloadFormat
	perMessage int
}

func (c cell) String() string { return fmt.Sprintf("%s, %d/msg", c.format, c.perMessage) }

// runResult is one consumer's run. CPU seconds are per process, from the
// start of the load to the last point counted.
type runResult struct {
	rate    float64 // readings/s
	cpu     cpuUse
	peakRSS int64
}

type cellResult struct {
	cell
	round                      int
	bare, greenpulse, telegraf runResult
}

// ingestBench holds what the runs share: the broker, the database, the
// registry and a client for warm-up messages.
type ingestBench struct {
	o          ingestOptions
	dir        string
	facilities []registry.Facility
	broker     *testenv.Mosquitto
	influx     *testenv.InfluxDB
	counter    *influxCounter
	warm       mqtt.Client
	nextMs     int64 // timestamps of the next run's readings start here
	runs       int
	stored     []*messageSet // what both consumers were given, for the final check
}

// benchIngest measures, on one broker and one database, a bare subscriber
// and the collector and Telegraf end to end, for each payload format and
// size, in rounds; it prints each run and then a summary against the
// targets.
func benchIngest(ctx context.Context, o ingestOptions, out io.Writer) error {
	reg, err := registry.Load(o.registry)
	if err != nil {
		return err
	}
	if o.profileDir != "" {
		if err := os.MkdirAll(o.profileDir, 0o755); err != nil {
			return err
		}
	}
	dir, err := os.MkdirTemp("", "greenpulse-bench-")
	if err != nil {
		return err
	}
	if o.keepDir {
		fmt.Fprintf(os.Stderr, "greenpulse-bench: keeping the run's folder %s (configs and logs)\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	broker, influx, err := startServices(ctx, dir)
	if err != nil {
		return err
	}
	defer broker.Stop()
	defer influx.Stop()
	if o.telegraf != "" {
		if err := influx.CreateDatabase(ctx, "telegraf"); err != nil {
			return err
		}
	}
	b := &ingestBench{o: o, dir: dir, facilities: reg.Facilities(), broker: broker, influx: influx,
		counter: newInfluxCounter(influx.URL()), nextMs: time.Now().Add(-60 * 24 * time.Hour).UnixMilli()}
	b.warm = mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker.URL()).SetClientID("bench-warm-up"))
	if tok := b.warm.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return fmt.Errorf("connect warm-up client: %v", tok.Error())
	}
	defer b.warm.Disconnect(250)

	fmt.Fprintf(out, "machine: %s, %d CPUs, %s/%s\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(out, "broker %s, influxdb %s, %d publishers x window %d; a run ends when InfluxDB's own SHOW STATS httpd pointsWrittenOK has counted every reading\n",
		broker.URL(), influx.URL(), o.publishers, o.window)
	if o.telegraf != "" {
		fmt.Fprintf(out, "peer: Telegraf %s (%s), metric_batch_size %s, concurrent_writes %d (more loses data in 1.36.4)\n",
			telegrafVersion(o.telegraf), o.telegraf, telegrafBatchText(o), o.telegrafWriters)
	}
	var results []cellResult
	for round := 1; round <= o.rounds; round++ {
		index := 0
		for _, format := range o.formats {
			for _, size := range o.sizes {
				// Who goes first alternates from cell to cell and, for each
				// cell, from round to round, so that the machine's drift
				// favours neither consumer.
				telegrafFirst := (round+index)%2 == 0
				index++
				r, err := b.measureCell(ctx, round, cell{format, size}, telegrafFirst)
				if err != nil {
					return fmt.Errorf("round %d, %s: %w", round, cell{format, size}, err)
				}
				printCell(out, r, o)
				results = append(results, r)
			}
		}
	}
	printSummary(out, results, o)
	if o.telegraf != "" {
		printSchemaCheck(ctx, out, b.counter)
		printContentCheck(ctx, out, b.counter, b.stored)
	}
	return nil
}

// measureCell runs the bare subscriber, then the collector and Telegraf in
// turn on the same messages.
func (b *ingestBench) measureCell(ctx context.Context, round int, c cell, telegrafFirst bool) (cellResult, error) {
	n := b.o.messages
	if c.perMessage > 1 {
		n = b.o.batchedMessages
	}
	res := cellResult{cell: c, round: round}
	bareSet := b.messages(c, n)
	cpu := newCPUMeter(map[string]int{"mosquitto": b.broker.Pid(), "influxd": b.influx.Pid(), "load": os.Getpid()})
	rate, err := bareSubscriber(ctx, b.broker.URL(), bareSet, b.o)
	if err != nil {
		return res, fmt.Errorf("bare subscriber: %w", err)
	}
	res.bare = runResult{rate: rate, cpu: cpu.since()}

	// One set for both consumers: the same bytes, into their own databases.
	set := b.messages(c, n)
	b.stored = append(b.stored, set)
	runs := []func() error{
		func() (err error) {
			res.greenpulse, err = b.measure(ctx, set, "collector", func(id string) (consumer, error) {
				return startCollector(ctx, b.o, b.dir, id, b.broker.URL(), b.influx.URL())
			})
			return err
		},
	}
	if b.o.telegraf != "" {
		runs = append(runs, func() (err error) {
			res.telegraf, err = b.measure(ctx, set, "telegraf", func(id string) (consumer, error) {
				return startTelegraf(ctx, b.o, b.dir, id, b.broker.URL(), b.influx.URL(), c)
			})
			return err
		})
		if telegrafFirst {
			runs[0], runs[1] = runs[1], runs[0]
		}
	}
	b.runs++
	for _, run := range runs {
		if err := run(); err != nil {
			return res, err
		}
	}
	return res, nil
}

// messages builds the next run's messages, with timestamps no run has used.
func (b *ingestBench) messages(c cell, n int) *messageSet {
	set := buildMessages(b.facilities, c.format, n, c.perMessage, b.nextMs)
	b.nextMs += set.readings() + 1000
	return set
}

// measure starts a consumer, waits until a warm-up message of the set's
// format has reached InfluxDB through it (so it is subscribed and writing),
// then times the set from the first publish to the moment InfluxDB has
// counted all its readings.
func (b *ingestBench) measure(ctx context.Context, set *messageSet, name string, start func(clientID string) (consumer, error)) (runResult, error) {
	clientID := fmt.Sprintf("bench-%s-%d", name, b.runs)
	c, err := start(clientID)
	if err != nil {
		return runResult{}, err
	}
	defer func() {
		c.stop()
		if err := forgetSession(b.broker.URL(), clientID); err != nil {
			fmt.Fprintln(os.Stderr, "greenpulse-bench:", err)
		}
	}()
	if err := b.warmUp(ctx, set.format); err != nil {
		c.afterRun()
		return runResult{}, fmt.Errorf("%s: %w", name, err)
	}
	from, err := b.counter.settle(ctx, 300*time.Millisecond)
	if err != nil {
		c.afterRun()
		return runResult{}, err
	}
	if cp, ok := c.(*collectorProc); ok && b.o.profileDir != "" {
		go cp.profile(filepath.Join(b.o.profileDir, fmt.Sprintf("collector-%s-%d-per-message-%d.pprof",
			formatSlug(set.format), set.perMessage, b.runs)))
	}
	cpu := newCPUMeter(map[string]int{"consumer": c.pid(), "mosquitto": b.broker.Pid(), "influxd": b.influx.Pid(), "load": os.Getpid()})
	began := time.Now()
	loadErr := make(chan error, 1)
	go func() { loadErr <- load(ctx, b.broker.URL(), set, b.o) }()
	doneAt, err := b.counter.waitFor(ctx, from, set.readings(), began.Add(b.o.timeout))
	use := cpu.since()
	if err != nil {
		c.afterRun()
		return runResult{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := <-loadErr; err != nil {
		return runResult{}, err
	}
	r := runResult{rate: float64(set.readings()) / doneAt.Sub(began).Seconds(), cpu: use, peakRSS: peakRSS(c.pid())}
	c.afterRun()
	total, err := b.counter.settle(ctx, 300*time.Millisecond)
	if err != nil {
		return runResult{}, err
	}
	// Redelivered points count in pointsWrittenOK too, and would end a run
	// early: such a run measured something else.
	if extra := total - from - set.readings(); extra != 0 {
		return runResult{}, fmt.Errorf("%s: InfluxDB counted %+d points beyond the run's %d readings (redeliveries?); the run is void", name, extra, set.readings())
	}
	return r, nil
}

// warmUp publishes one-reading messages, one every 200 ms, until InfluxDB
// counts a point more than before: the consumer is then subscribed and
// writing.
func (b *ingestBench) warmUp(ctx context.Context, format payloadFormat) error {
	before, err := b.counter.pointsWrittenOK(ctx)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		set := b.messages(cell{format, 1}, 1)
		if tok := b.warm.Publish(set.topics[0], 1, false, set.payloads[0]); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
			return fmt.Errorf("publish warm-up message: %v", tok.Error())
		}
		time.Sleep(200 * time.Millisecond)
		n, err := b.counter.pointsWrittenOK(ctx)
		if err != nil {
			return err
		}
		if n > before {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return fmt.Errorf("no warm-up reading reached InfluxDB within 60s")
}

// formatSlug is the --formats word for f, as profile file names use it.
func formatSlug(f payloadFormat) string {
	for slug, format := range formatsByFlag {
		if format == f {
			return slug
		}
	}
	return string(f)
}

func startServices(ctx context.Context, dir string) (*testenv.Mosquitto, *testenv.InfluxDB, error) {
	broker, err := startBroker(ctx, filepath.Join(dir, "mosquitto"))
	if err != nil {
		return nil, nil, err
	}
	influx, err := startInfluxDB(ctx, filepath.Join(dir, "influxdb"))
	if err != nil {
		_ = broker.Stop()
		return nil, nil, err
	}
	return broker, influx, nil
}

// startBroker starts a Mosquitto on a free port with its files in dir.
func startBroker(ctx context.Context, dir string) (*testenv.Mosquitto, error) {
	port, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	b, err := testenv.NewMosquitto(dir, port)
	if err != nil {
		return nil, err
	}
	return b, b.Start(ctx)
}

// startInfluxDB starts an InfluxDB on a free port with its files in dir.
func startInfluxDB(ctx context.Context, dir string) (*testenv.InfluxDB, error) {
	port, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	db, err := testenv.NewInfluxDB(dir, port)
	if err != nil {
		return nil, err
	}
	return db, db.Start(ctx)
}
