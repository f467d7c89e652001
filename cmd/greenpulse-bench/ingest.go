package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/registry"
)

type ingestOptions struct {
	collector, registry string
	messages            int
	batchedMessages     int
	publishers, window  int
	timeout             time.Duration
	profileDir          string
	ingest              string
}

// benchIngest measures three rates on one broker: a bare subscriber doing
// nothing with its messages, and the collector end to end into InfluxDB with
// 1 and with 50 readings a message, plus the collector's peak memory.
func benchIngest(ctx context.Context, o ingestOptions, out io.Writer) error {
	reg, err := registry.Load(o.registry)
	if err != nil {
		return err
	}
	facilities := reg.Facilities()
	dir, err := os.MkdirTemp("", "greenpulse-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	broker, influx, err := startServices(ctx, dir)
	if err != nil {
		return err
	}
	defer broker.Stop()
	defer influx.Stop()

	fmt.Fprintf(out, "machine: %s, %d CPUs, %s/%s\n", cpuModel(), runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(out, "broker %s, influxdb %s, %d publishers x window %d\n\n", broker.URL(), influx.URL(), o.publishers, o.window)

	cpu := cpuMeter{pids: map[string]int{"mosquitto": broker.Pid(), "influxd": influx.Pid(), "bench (load+subscriber)": os.Getpid()}}
	cpu.mark()
	bare, err := bareSubscriberRate(ctx, broker.URL(), facilities, o)
	if err != nil {
		return fmt.Errorf("bare subscriber: %w", err)
	}
	fmt.Fprintf(out, "bare subscriber (QoS 1, auto-ack, does nothing): %8.0f messages/s\n", bare)
	fmt.Fprintf(out, "    CPU seconds: %s\n", cpu.report())

	coll, err := startCollector(ctx, o, dir, broker.URL(), influx.URL())
	if err != nil {
		return err
	}
	defer coll.stop()
	cpu.pids["collector"] = coll.cmd.Process.Pid

	cpu.mark()
	single, err := endToEnd(ctx, coll, broker.URL(), facilities, o, o.messages, 1, 0)
	if err != nil {
		return fmt.Errorf("single-reading run: %w", err)
	}
	fmt.Fprintf(out, "collector, 1 reading/message:  %8.0f readings/s end to end (%.0f%% of bare subscriber; target >= 90%%)\n",
		single, 100*single/bare)
	fmt.Fprintf(out, "    CPU seconds: %s\n", cpu.report())
	cpu.mark()
	batched, err := endToEnd(ctx, coll, broker.URL(), facilities, o, o.batchedMessages, 50, int64(o.messages))
	if err != nil {
		return fmt.Errorf("batched run: %w", err)
	}
	fmt.Fprintf(out, "collector, 50 readings/message: %8.0f readings/s end to end (%.1fx the bare subscriber's message rate; target >= 150000)\n",
		batched, batched/bare)
	fmt.Fprintf(out, "    CPU seconds: %s\n", cpu.report())
	fmt.Fprintf(out, "collector peak resident memory: %.1f MB (VmHWM; target <= 60 MB)\n", float64(coll.peakRSS())/1e6)
	return nil
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

// load publishes messages round-robin over the facilities from several
// clients, each keeping up to window publishes unacknowledged.
func load(ctx context.Context, brokerURL string, facilities []registry.Facility, o ingestOptions,
	messages, perMessage int, tsOffset int64) error {
	base := time.Now().Add(-30 * 24 * time.Hour).UnixMilli()
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, o.publishers)
	for p := range o.publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).
				SetClientID(fmt.Sprintf("bench-load-%d-%d", p, time.Now().UnixNano())).SetMaxResumePubInFlight(o.window))
			if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				errc <- fmt.Errorf("connect load generator: %v", tok.Error())
				return
			}
			defer c.Disconnect(250)
			window := make([]mqtt.Token, 0, o.window)
			var sb strings.Builder
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(messages) {
					break
				}
				f := facilities[int(i)%len(facilities)]
				sb.Reset()
				if perMessage > 1 {
					sb.WriteByte('[')
				}
				for r := range perMessage {
					if r > 0 {
						sb.WriteByte(',')
					}
					// A distinct millisecond per reading: every reading is
					// its own point, so counts in InfluxDB are exact.
					ts := base + tsOffset + i*int64(perMessage) + int64(r)
					fmt.Fprintf(&sb, `{"ts":%d,"source":"grid","kwh_total":%d.5,"power_w":1200,"available":true}`, ts, i)
				}
				if perMessage > 1 {
					sb.WriteByte(']')
				}
				window = append(window, c.Publish("greenpulse/"+f.ID+"/energy", 1, false, sb.String()))
				if len(window) == cap(window) {
					if err := waitAll(window); err != nil {
						errc <- err
						return
					}
					window = window[:0]
				}
			}
			if err := waitAll(window); err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

func waitAll(toks []mqtt.Token) error {
	for _, t := range toks {
		if !t.WaitTimeout(time.Minute) || t.Error() != nil {
			return fmt.Errorf("publish: %v", t.Error())
		}
	}
	return nil
}

// bareSubscriberRate is the message rate a subscriber that does nothing gets
// from this broker under the same load: the ceiling for the collector.
func bareSubscriberRate(ctx context.Context, brokerURL string, facilities []registry.Facility, o ingestOptions) (float64, error) {
	var got atomic.Int64
	var first, last atomic.Int64
	done := make(chan struct{})
	sub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("bench-bare").
		SetOrderMatters(true).
		SetDefaultPublishHandler(func(mqtt.Client, mqtt.Message) {
			now := time.Now().UnixNano()
			first.CompareAndSwap(0, now)
			last.Store(now)
			if got.Add(1) == int64(o.messages) {
				close(done)
			}
		}))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return 0, fmt.Errorf("connect: %v", tok.Error())
	}
	defer sub.Disconnect(250)
	if tok := sub.Subscribe("greenpulse/+/+", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return 0, fmt.Errorf("subscribe: %v", tok.Error())
	}
	start := time.Now()
	if err := load(ctx, brokerURL, facilities, o, o.messages, 1, 0); err != nil {
		return 0, err
	}
	select {
	case <-done:
	case <-time.After(o.timeout):
		return 0, fmt.Errorf("received %d of %d messages", got.Load(), o.messages)
	}
	return float64(o.messages) / time.Duration(last.Load()-start.UnixNano()).Seconds(), nil
}

type collectorProc struct {
	cmd     *exec.Cmd
	metrics string
	// client polls /metrics uncompressed: gzip on every poll would be
	// collector CPU that the measurement itself adds.
	client *http.Client
}

func startCollector(ctx context.Context, o ingestOptions, dir, brokerURL, influxURL string) (*collectorProc, error) {
	port, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	reg, err := filepath.Abs(o.registry)
	if err != nil {
		return nil, err
	}
	cfg := filepath.Join(dir, "collector.yaml")
	yaml := fmt.Sprintf("log: {level: warn}\nhttp: {listen: \"127.0.0.1:%d\", pprof: true}\nmqtt: {broker: %q, client_id: bench-collector}\ninfluxdb: {url: %q}\nregistry: %q\nrollup: {enabled: false}\n",
		port, brokerURL, influxURL, reg)
	if o.ingest != "" {
		yaml += "ingest: " + o.ingest + "\n"
	}
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, o.collector, "serve", "--config", cfg)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if v := os.Getenv("COLLECTOR_GOMEMLIMIT"); v != "" {
		cmd.Env = append(os.Environ(), "GOMEMLIMIT="+v)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start collector %s: %w", o.collector, err)
	}
	p := &collectorProc{cmd: cmd, metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", port),
		client: &http.Client{Transport: &http.Transport{DisableCompression: true}}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if v, err := p.metric("greenpulse_collector_mqtt_connected"); err == nil && v == 1 {
			break
		}
		if time.Now().After(deadline) {
			p.stop()
			return nil, fmt.Errorf("collector did not connect within 30s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return p, nil
}

func (p *collectorProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Wait()
}

// profile saves a 5-second CPU profile of the collector.
func (p *collectorProc) profile(path string) {
	resp, err := http.Get(strings.TrimSuffix(p.metrics, "/metrics") + "/debug/pprof/profile?seconds=5")
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profile:", err)
		return
	}
	defer f.Close()
	_, _ = io.Copy(f, resp.Body)
}

// printWriteStats prints the collector's mean write latency and batch size
// so far, from its own histograms.
func (p *collectorProc) printWriteStats() {
	sum, _ := p.metric("greenpulse_collector_write_duration_seconds_sum")
	n, _ := p.metric("greenpulse_collector_write_duration_seconds_count")
	points, _ := p.metric("greenpulse_collector_write_batch_points_sum")
	ack, _ := p.metric("greenpulse_collector_ack_delay_seconds_sum")
	acks, _ := p.metric("greenpulse_collector_ack_delay_seconds_count")
	if n > 0 && acks > 0 {
		fmt.Fprintf(os.Stderr, "    (so far: %.0f writes, mean %.1f ms, mean %.0f points; mean ack delay %.1f ms; peak RSS %.1f MB)\n",
			n, 1000*sum/n, points/n, 1000*ack/acks, float64(p.peakRSS())/1e6)
	}
}

// peakRSS reads the kernel's high-water mark of the collector's resident set.
func (p *collectorProc) peakRSS() int64 {
	return procStatusBytes(p.cmd.Process.Pid, "VmHWM:")
}

func procStatusBytes(pid int, key string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// metric reads one unlabelled sample from the collector's /metrics.
func (p *collectorProc) metric(name string) (float64, error) {
	resp, err := p.client.Get(p.metrics)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(rest, 64)
		}
	}
	return 0, fmt.Errorf("metric %s not found", name)
}

// endToEnd publishes messages and waits until the collector reports every
// reading written to InfluxDB; it returns readings per second from the first
// publish to the last write.
func endToEnd(ctx context.Context, p *collectorProc, brokerURL string, facilities []registry.Facility, o ingestOptions,
	messages, perMessage int, already int64) (float64, error) {
	want := already + int64(messages*perMessage)
	if o.profileDir != "" {
		go p.profile(filepath.Join(o.profileDir, fmt.Sprintf("collector-%d-per-message.pprof", perMessage)))
	}
	start := time.Now()
	loadErr := make(chan error, 1)
	go func() { loadErr <- load(ctx, brokerURL, facilities, o, messages, perMessage, already) }()
	deadline := start.Add(o.timeout)
	for {
		written, err := p.metric("greenpulse_collector_points_written_total")
		if err == nil && int64(written) >= want {
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("%v of %d readings written after %s", written, want, o.timeout)
		}
		time.Sleep(50 * time.Millisecond)
	}
	elapsed := time.Since(start)
	if err := <-loadErr; err != nil {
		return 0, err
	}
	p.printWriteStats()
	return float64(messages*perMessage) / elapsed.Seconds(), nil
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
		}
	}
	return "unknown CPU"
}

// cpuMeter reports the CPU time each process used since mark, so that the
// figures show where a 2-core machine's time goes.
type cpuMeter struct {
	pids  map[string]int
	start map[string]float64
}

func (c *cpuMeter) mark() {
	c.start = map[string]float64{}
	for name, pid := range c.pids {
		c.start[name] = cpuSeconds(pid)
	}
}

func (c *cpuMeter) report() string {
	var parts []string
	for _, name := range []string{"collector", "influxd", "mosquitto", "bench (load+subscriber)"} {
		if pid, ok := c.pids[name]; ok {
			parts = append(parts, fmt.Sprintf("%s %.1f", name, cpuSeconds(pid)-c.start[name]))
		}
	}
	return strings.Join(parts, ", ")
}

// cpuSeconds reads utime+stime from /proc/<pid>/stat (clock ticks of 1/100 s
// on Linux).
func cpuSeconds(pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name, which may hold spaces.
	rest := string(data[strings.LastIndexByte(string(data), ')')+2:])
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100
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
