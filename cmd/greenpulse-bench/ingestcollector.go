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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// consumer is one MQTT-to-InfluxDB process under measurement: the
// collector or its peer, started fresh for each run so that its peak
// memory is that run's.
type consumer interface {
	pid() int
	stop()
	// afterRun prints what the consumer itself says about the run, if
	// anything (to stderr: it is not the measurement).
	afterRun()
}

type collectorProc struct {
	child
	metrics string
	// client polls /metrics uncompressed: gzip on every poll would be
	// collector CPU that the measurement itself adds.
	client *http.Client
}

// startCollector starts the collector with its shipped ingest defaults (and
// o.ingest over them), its own session on the broker and its roll-up off.
func startCollector(ctx context.Context, o ingestOptions, dir, clientID, brokerURL, influxURL string) (*collectorProc, error) {
	return startCollectorWith(ctx, o, dir, collectorSetup{clientID: clientID, brokers: []string{brokerURL}}, influxURL)
}

// collectorSetup is what differs between the collectors the bench starts:
// the session, the brokers tried in order, and extra keys.
type collectorSetup struct {
	clientID string
	brokers  []string
	// mqtt is more keys of the mqtt section, as YAML flow items (e.g.
	// "partition: {count: 3, index: 0, method: nats_mapping}"); extra is
	// more top-level YAML lines. Both may be empty.
	mqtt, extra string
}

// startCollectorWith starts the collector as startCollector does, with
// the session, brokers and extra keys of s.
func startCollectorWith(ctx context.Context, o ingestOptions, dir string, s collectorSetup, influxURL string) (*collectorProc, error) {
	port, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	reg, err := filepath.Abs(o.registry)
	if err != nil {
		return nil, err
	}
	brokers := fmt.Sprintf("broker: %q", s.brokers[0])
	if len(s.brokers) > 1 {
		quoted := make([]string, len(s.brokers))
		for i, b := range s.brokers {
			quoted[i] = strconv.Quote(b)
		}
		brokers = "brokers: [" + strings.Join(quoted, ", ") + "]"
	}
	mqttKeys := brokers + fmt.Sprintf(", client_id: %q", s.clientID)
	if s.mqtt != "" {
		mqttKeys += ", " + s.mqtt
	}
	cfg := filepath.Join(dir, s.clientID+".yaml")
	yaml := fmt.Sprintf("log: {level: warn}\nhttp: {listen: \"127.0.0.1:%d\", pprof: true}\nmqtt: {%s}\ninfluxdb: {url: %q}\nregistry: %q\nrollup: {enabled: false}\naccess: {mode: open}\n",
		port, mqttKeys, influxURL, reg)
	if o.ingest != "" {
		yaml += "ingest: " + o.ingest + "\n"
	}
	yaml += s.extra
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, o.collector, "serve", "--config", cfg)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// COLLECTOR_GOMEMLIMIT and COLLECTOR_GOGC try Go runtime settings on the
	// collector alone, not on the bench's own load generator.
	cmd.Env = os.Environ()
	for _, name := range []string{"GOMEMLIMIT", "GOGC"} {
		if v := os.Getenv("COLLECTOR_" + name); v != "" {
			cmd.Env = append(cmd.Env, name+"="+v)
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start collector %s: %w", o.collector, err)
	}
	return &collectorProc{child: child{cmd}, metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", port),
		client: &http.Client{Transport: &http.Transport{DisableCompression: true}}}, nil
}

// profile saves a 5-second CPU profile of the collector.
func (p *collectorProc) profile(path string) {
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Get(strings.TrimSuffix(p.metrics, "/metrics") + "/debug/pprof/profile?seconds=5")
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

// afterRun prints the collector's mean write latency and batch size, from
// its own histograms.
func (p *collectorProc) afterRun() {
	sum, _ := p.metric("greenpulse_collector_write_duration_seconds_sum")
	n, _ := p.metric("greenpulse_collector_write_duration_seconds_count")
	points, _ := p.metric("greenpulse_collector_write_batch_points_sum")
	ack, _ := p.metric("greenpulse_collector_ack_delay_seconds_sum")
	acks, _ := p.metric("greenpulse_collector_ack_delay_seconds_count")
	if n > 0 && acks > 0 {
		fmt.Fprintf(os.Stderr, "    (collector: %.0f writes, mean %.1f ms, mean %.0f points; mean ack delay %.1f ms)\n",
			n, 1000*sum/n, points/n, 1000*ack/acks)
	}
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
