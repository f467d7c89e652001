package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/registry"
)

// due is how many messages a publisher paced at rate messages/s should
// have sent elapsed after its start: the first at once, then one every
// 1/rate seconds.
func due(elapsed time.Duration, rate float64) int {
	if elapsed < 0 || rate <= 0 {
		return 0
	}
	return int(elapsed.Seconds()*rate) + 1
}

// dueAt is when message k (from 0) of a publisher paced at rate is due.
func dueAt(k int, rate float64) time.Duration {
	return time.Duration(float64(k) / rate * float64(time.Second))
}

// pacedLoad is one step's publishing: the step's messages spread over
// the clients, client p sending messages p, p+P, p+2P... at rate/P each,
// QoS 1, with at most window publishes unacknowledged by the broker.
type pacedLoad struct {
	clients []mqtt.Client
	set     *messageSet
	rate    float64 // messages/s over all clients
	window  int
}

// loadResult is what the broker made of a step's publishing.
type loadResult struct {
	sent, acked, failed int
	lastSend, lastAck   time.Time
	latencies           []time.Duration // publish to PUBACK, of the acked ones
	firstErr            error
}

// run publishes from start until every message is sent or until is
// reached, whichever is first, then waits for the outstanding PUBACKs.
// A latency is measured when the waiting goroutine sees the PUBACK, in
// sending order: a PUBACK that overtakes an earlier one is counted late,
// by at most the earlier one's wait.
func (l pacedLoad) run(ctx context.Context, start, until time.Time) loadResult {
	type pending struct {
		tok  mqtt.Token
		sent time.Time
	}
	results := make([]loadResult, len(l.clients))
	var wg sync.WaitGroup
	for p, c := range l.clients {
		wg.Go(func() {
			r := &results[p]
			rate := l.rate / float64(len(l.clients))
			total := (len(l.set.payloads) - p + len(l.clients) - 1) / len(l.clients)
			inFlight := make(chan pending, max(l.window-1, 1))
			acks := make(chan struct{})
			go func() {
				defer close(acks)
				for q := range inFlight {
					if !q.tok.WaitTimeout(30*time.Second) || q.tok.Error() != nil {
						r.failed++
						if r.firstErr == nil {
							r.firstErr = fmt.Errorf("publish: no PUBACK within 30s (%v)", q.tok.Error())
						}
						continue
					}
					now := time.Now()
					r.acked++
					r.lastAck = now
					r.latencies = append(r.latencies, now.Sub(q.sent))
				}
			}()
			time.Sleep(time.Until(start))
			for k := 0; k < total && ctx.Err() == nil; {
				now := time.Now()
				if !now.Before(until) {
					break
				}
				for want := min(due(now.Sub(start), rate), total); k < want; k++ {
					i := p + k*len(l.clients)
					sent := time.Now()
					inFlight <- pending{c.Publish(l.set.topics[i], 1, false, l.set.payloads[i]), sent}
					r.sent++
					r.lastSend = sent
				}
				if k < total {
					// Sleep until the next is due, but at least 2 ms: a
					// wake-up per message would be the bench's CPU, not the
					// broker's; the next wake-up sends what fell due.
					time.Sleep(max(time.Until(start.Add(dueAt(k, rate))), 2*time.Millisecond))
				}
			}
			close(inFlight)
			<-acks
		})
	}
	wg.Wait()
	var all loadResult
	for _, r := range results {
		all.sent += r.sent
		all.acked += r.acked
		all.failed += r.failed
		all.latencies = append(all.latencies, r.latencies...)
		if r.lastSend.After(all.lastSend) {
			all.lastSend = r.lastSend
		}
		if r.lastAck.After(all.lastAck) {
			all.lastAck = r.lastAck
		}
		if all.firstErr == nil {
			all.firstErr = r.firstErr
		}
	}
	return all
}

// percentile returns the q-quantile (0..1) of d by the nearest-rank
// method, 0 for none. It sorts d.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// sample is a count seen at a time.
type sample struct {
	at time.Time
	n  int64
}

// slope is the least-squares rate, per second, of the samples taken in
// [from, to]: a steady rate that a batching consumer's steps (a write of
// thousands of points at once) do not bias as a difference of two counts
// would. It is 0 with fewer than two samples there.
func slope(samples []sample, from, to time.Time) float64 {
	var n, sx, sy, sxx, sxy float64
	for _, s := range samples {
		if s.at.Before(from) || s.at.After(to) {
			continue
		}
		x := s.at.Sub(from).Seconds()
		y := float64(s.n)
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	if n < 2 || n*sxx-sx*sx == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / (n*sxx - sx*sx)
}

// sampleCounts polls InfluxDB's count every 250 ms until ctx ends and
// returns what it saw, less from.
func sampleCounts(ctx context.Context, counter *influxCounter, from int64) []sample {
	var out []sample
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		// The poll must not be cut short by ctx: the last sample counts.
		n, err := counter.pointsWrittenOK(context.Background())
		if err == nil {
			out = append(out, sample{time.Now(), n - from})
		}
		select {
		case <-ctx.Done():
			return out
		case <-tick.C:
		}
	}
}

// appendPoint appends point j as line protocol, as the collector writes an
// energy reading of the agent's JSON (cluster_test.go checks it against
// collector/influx): kwh_total j+0.5, at baseMs+j milliseconds.
func appendPoint(buf []byte, facility string, j, baseMs int64) []byte {
	buf = append(buf, "energy,facility="...)
	buf = append(buf, facility...)
	buf = append(buf, ",meter=main,source=grid kwh_total="...)
	buf = strconv.AppendInt(buf, j, 10)
	buf = append(buf, ".5,power_w=1200,available=true "...)
	buf = strconv.AppendInt(buf, baseMs+j, 10)
	return append(buf, "000000\n"...)
}

// influxWriteResult is what InfluxDB alone took from concurrent writers.
type influxWriteResult struct {
	writers       int
	points        int64 // accepted (HTTP 204)
	elapsed       time.Duration
	failed        int
	firstErr      error
	influxd, load float64 // CPU seconds
	machine       float64 // busy CPU seconds of the whole machine
}

// writeInflux posts batches of batch points to InfluxDB's /write from
// writers goroutines for d, each point its own (a timestamp of its own,
// from next on), and returns how many were accepted.
func writeInflux(ctx context.Context, influxURL string, facilities []registry.Facility, writers, batch int, d time.Duration, baseMs int64, next *atomic.Int64) influxWriteResult {
	endpoint := influxURL + "/write?db=greenpulse&precision=ns"
	client := &http.Client{Timeout: time.Minute}
	var points, failed atomic.Int64
	var errOnce sync.Once
	var firstErr error
	began := time.Now()
	until := began.Add(d)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			buf := make([]byte, 0, batch*100)
			for time.Now().Before(until) && ctx.Err() == nil {
				first := next.Add(int64(batch)) - int64(batch)
				buf = buf[:0]
				for j := first; j < first+int64(batch); j++ {
					buf = appendPoint(buf, facilities[j%int64(len(facilities))].ID, j, baseMs)
				}
				err := postLines(ctx, client, endpoint, buf)
				if err != nil {
					failed.Add(1)
					errOnce.Do(func() { firstErr = err })
					continue
				}
				points.Add(int64(batch))
			}
		})
	}
	wg.Wait()
	return influxWriteResult{writers: writers, points: points.Load(), elapsed: time.Since(began),
		failed: int(failed.Load()), firstErr: firstErr}
}

// benchInfluxAlone writes line protocol straight to a fresh InfluxDB, in
// batches of 5,000 points, with 1 to --influx-writers concurrent writers.
func (b *clusterBench) benchInfluxAlone(ctx context.Context, dir string, out io.Writer) ([]influxWriteResult, error) {
	fmt.Fprintf(out, "\ninfluxdb: InfluxDB 1.8 alone, /write batches of 5,000 points (the collector's line protocol), %s a run\n", b.o.step)
	influx, err := startInfluxDB(ctx, filepath.Join(dir, "influxdb"))
	if err != nil {
		return nil, err
	}
	defer influx.Stop()
	if err := influx.CreateDatabase(ctx, "greenpulse"); err != nil {
		return nil, err
	}
	var next atomic.Int64
	var results []influxWriteResult
	fmt.Fprintf(out, "  %7s %10s %14s %11s %10s\n", "writers", "points/s", "influxd cores", "bench cores", "all cores")
	for w := 1; w <= b.o.influxWriters; w++ {
		cpu := newCPUMeter(map[string]int{"influxd": influx.Pid(), "bench": os.Getpid()})
		machine := machineBusySeconds()
		r := writeInflux(ctx, influx.URL(), b.facilities, w, 5000, b.o.step, b.nextMs, &next)
		use := cpu.since()
		r.influxd, r.load, r.machine = use["influxd"], use["bench"], machineBusySeconds()-machine
		s := r.elapsed.Seconds()
		fmt.Fprintf(out, "  %7d %10s %14.2f %11.2f %10.2f", w, thousands(float64(r.points)/s), r.influxd/s, r.load/s, r.machine/s)
		if r.failed > 0 {
			fmt.Fprintf(out, "   %d batches failed: %v", r.failed, r.firstErr)
		}
		fmt.Fprintln(out)
		results = append(results, r)
	}
	b.nextMs += next.Load() + 1000
	return results, nil
}

func postLines(ctx context.Context, client *http.Client, endpoint string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("write to influxdb: %w", err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("write to influxdb: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}

// stepResult is one step of a setup's load ladder.
type stepResult struct {
	rate, perMessage int // offered messages/s, readings a message
	step             time.Duration
	load             loadResult
	stored           float64       // steady readings/s into InfluxDB
	drainLag         time.Duration // last publish to every acknowledged reading stored
	drained          bool
	extra            int64  // points counted beyond the acknowledged readings
	cpu              cpuUse // CPU seconds over the step, by process
	machine          float64
	saturated        bool
	why              []string
}

func (r stepResult) ackedRate() float64 { return float64(r.load.acked) / r.step.Seconds() }

// cores is a process's (or the machine's) CPU seconds over the step in
// cores.
func (r stepResult) cores(seconds float64) float64 { return seconds / r.step.Seconds() }

// judge decides whether a step saturated: fewer than 95 % of the offered
// messages acknowledged within it, or fewer than 95 % of the offered
// readings stored per second, or more than 5 s to drain, or a publish
// failed.
func judge(r stepResult) (bool, []string) {
	var why []string
	offered := float64(r.rate)
	if a := r.ackedRate(); a < 0.95*offered {
		why = append(why, fmt.Sprintf("acked %.0f %% of offered", 100*a/offered))
	}
	if r.stored < 0.95*offered*float64(r.perMessage) {
		why = append(why, fmt.Sprintf("stored %.0f %% of offered", 100*r.stored/(offered*float64(r.perMessage))))
	}
	if !r.drained {
		why = append(why, "not drained")
	} else if r.drainLag > 5*time.Second {
		why = append(why, fmt.Sprintf("drain %.1f s", r.drainLag.Seconds()))
	}
	if r.load.failed > 0 {
		why = append(why, fmt.Sprintf("%d publishes failed", r.load.failed))
	}
	return len(why) > 0, why
}

// kindCores sums CPU seconds by process kind (the name's first word:
// nats, mosquitto, collector, influxd, bench) and returns each kind's
// cores and the busiest single process of that kind.
func kindCores(r stepResult) map[string][2]float64 {
	out := map[string][2]float64{}
	for name, s := range r.cpu {
		kind, _, _ := strings.Cut(name, " ")
		k := out[kind]
		k[0] += r.cores(s)
		k[1] = max(k[1], r.cores(s))
		out[kind] = k
	}
	return out
}

// bottleneck says what saturated a step: the machine when its cores are
// nearly all busy, else the busiest process when it is near one core (a
// process that cannot use more), else that nothing is, with the busiest.
func bottleneck(r stepResult, cpus int) string {
	busiest, most := "", 0.0
	for name, s := range r.cpu {
		if c := r.cores(s); c > most || (c == most && name < busiest) {
			busiest, most = name, c
		}
	}
	kinds := kindCores(r)
	kind, _, _ := strings.Cut(busiest, " ")
	var parts []string
	if m := r.cores(r.machine); m >= 0.9*float64(cpus) {
		parts = append(parts, fmt.Sprintf("the machine (%.1f of %d cores busy)", m, cpus))
	} else if most < 0.85 {
		parts = append(parts, fmt.Sprintf("no process near a core (machine %.1f of %d cores)", m, cpus))
	}
	name := busiest
	if kind == "nats" || kind == "collector" {
		name = fmt.Sprintf("%s x%d", kind, countKind(r.cpu, kind))
	}
	parts = append(parts, fmt.Sprintf("busiest: %s at %.2f cores (max one %.2f)", name, kinds[kind][0], most))
	return strings.Join(parts, "; ")
}

func countKind(cpu cpuUse, kind string) int {
	n := 0
	for name := range cpu {
		if strings.HasPrefix(name, kind+" ") {
			n++
		}
	}
	return n
}

// step offers rate messages/s for the step's duration and measures it.
func (b *clusterBench) step(ctx context.Context, e *clusterEnv, rate int) (stepResult, error) {
	r := stepResult{rate: rate, perMessage: b.o.readings, step: b.o.step}
	set := buildMessages(b.facilities, agentJSON, int(float64(rate)*b.o.step.Seconds()), b.o.readings, b.nextMs)
	b.nextMs += set.readings() + 1000
	from, err := e.counter.settle(ctx, 300*time.Millisecond)
	if err != nil {
		return r, err
	}
	sampling, stopSampling := context.WithCancel(ctx)
	samples := make(chan []sample, 1)
	go func() { samples <- sampleCounts(sampling, e.counter, from) }()
	start := time.Now().Add(50 * time.Millisecond)
	until := start.Add(b.o.step)
	loaded := make(chan loadResult, 1)
	go func() {
		loaded <- pacedLoad{clients: e.clients, set: set, rate: float64(rate), window: b.o.window}.run(ctx, start, until)
	}()
	time.Sleep(time.Until(start))
	cpu := newCPUMeter(e.pids)
	machine := machineBusySeconds()
	time.Sleep(time.Until(until))
	r.cpu, r.machine = cpu.since(), machineBusySeconds()-machine
	r.load = <-loaded
	want := int64(r.load.acked * b.o.readings)
	doneAt, err := e.counter.waitFor(ctx, from, want, r.load.lastSend.Add(b.o.drainTimeout))
	r.drained = err == nil
	r.drainLag = max(doneAt.Sub(r.load.lastSend), 0)
	stopSampling()
	r.stored = slope(<-samples, start.Add(2*time.Second), until)
	total, err := e.counter.settle(ctx, 500*time.Millisecond)
	if err != nil {
		return r, err
	}
	r.extra = total - from - want
	r.saturated, r.why = judge(r)
	return r, nil
}
