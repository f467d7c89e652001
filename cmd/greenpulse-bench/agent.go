package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/agents/web"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

type agentOptions struct {
	agent    string
	registry string
	facility string
	steady   time.Duration
	interval time.Duration
	offline  time.Duration
}

// benchAgent measures the agent against its own Mosquitto: resident memory
// and CPU at steady state, then how fast it drains the outbox of a facility
// that was offline for a week.
func benchAgent(ctx context.Context, o agentOptions, out io.Writer) error {
	dir, err := os.MkdirTemp("", "greenpulse-bench-agent-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	broker, err := startBroker(ctx, filepath.Join(dir, "mosquitto"))
	if err != nil {
		return err
	}
	defer broker.Stop()
	if st, err := os.Stat(o.agent); err == nil {
		fmt.Fprintf(out, "agent binary (%s): %.1f MB\n", o.agent, float64(st.Size())/1e6)
	}
	reg, err := registry.Load(o.registry)
	if err != nil {
		return err
	}
	f, ok := reg.Lookup(o.facility)
	if !ok {
		return fmt.Errorf("facility %s not in %s", o.facility, o.registry)
	}
	regAbs, _ := filepath.Abs(o.registry)

	// Steady state: the simulator at the given interval, publishing live.
	steadyDir := filepath.Join(dir, "steady")
	p, err := startAgent(ctx, o.agent, steadyDir, broker.URL(), f.ID, simulateSources(true, o.interval, regAbs))
	if err != nil {
		return err
	}
	st, err := steadyState(ctx, p.pid(), o.steady)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "steady state (1 facility, %s interval, %s)%s\n", o.interval, st.elapsed.Round(time.Second), st)
	p.stop()

	if err := benchModbus(ctx, o, dir, broker.URL(), f, out); err != nil {
		return err
	}

	// Drain: a week offline at one reading a minute per series.
	drainDir := filepath.Join(dir, "drain")
	sim := simulate.New(f, 1)
	end := time.Now().Truncate(time.Minute)
	readings := sim.Readings(end.Add(-o.offline), end, time.Minute)
	if err := fillOutbox(filepath.Join(drainDir, "outbox"), readings); err != nil {
		return err
	}
	fmt.Fprintf(out, "outbox after %s offline: %d readings\n", o.offline, len(readings))
	start := time.Now()
	p, err = startAgent(ctx, o.agent, drainDir, broker.URL(), f.ID, simulateSources(false, o.interval, regAbs))
	if err != nil {
		return err
	}
	defer p.stop()
	for {
		depth, err := p.outboxDepth()
		if err == nil && depth == 0 {
			break
		}
		if time.Since(start) > 10*time.Minute {
			return fmt.Errorf("outbox not drained after 10 minutes (depth %d, %v)", depth, err)
		}
		if !sleepCtx(ctx, 20*time.Millisecond) {
			return ctx.Err()
		}
	}
	took := time.Since(start)
	fmt.Fprintf(out, "drained %d readings in %s (including start-up): %.0f readings/s; agent peak RSS %.1f MB\n",
		len(readings), took.Round(time.Millisecond), float64(len(readings))/took.Seconds(),
		float64(peakRSS(p.pid()))/1e6)
	return nil
}

// steady is what an agent used while it ran undisturbed.
type steady struct {
	elapsed         time.Duration
	rssMean, rssHWM float64 // bytes
	cpu             float64 // seconds
}

func (s steady) String() string {
	return fmt.Sprintf(": resident memory mean %.1f MB, peak %.1f MB; CPU %.2f%% of one core (%.2f CPU-s)",
		s.rssMean/1e6, s.rssHWM/1e6, 100*s.cpu/s.elapsed.Seconds(), s.cpu)
}

// steadyState lets the process pid warm up for 5 s, then samples its
// resident memory every second for d and measures its CPU.
func steadyState(ctx context.Context, pid int, d time.Duration) (steady, error) {
	if !sleepCtx(ctx, 5*time.Second) {
		return steady{}, ctx.Err()
	}
	cpu0, t0 := cpuSeconds(pid), time.Now()
	var rssSum, rssN int64
	for time.Since(t0) < d {
		if !sleepCtx(ctx, time.Second) {
			return steady{}, ctx.Err()
		}
		rssSum += procStatusBytes(pid, "VmRSS:")
		rssN++
	}
	return steady{elapsed: time.Since(t0), rssMean: float64(rssSum) / float64(max(rssN, 1)),
		rssHWM: float64(peakRSS(pid)), cpu: cpuSeconds(pid) - cpu0}, nil
}

func fillOutbox(dir string, rs []reading.Reading) error {
	ob, err := outbox.Open(dir, outbox.Options{})
	if err != nil {
		return err
	}
	defer ob.Close()
	const day = 1440 * 4
	for start := 0; start < len(rs); start += day {
		var recs []outbox.Record
		for i := start; i < min(start+day, len(rs)); i++ {
			recs = append(recs, outbox.Record{Stream: rs[i].Stream, Data: reading.AppendJSON(nil, &rs[i])})
		}
		if err := ob.Append(recs); err != nil {
			return err
		}
	}
	return nil
}

type agentProc struct {
	child
	listen string
}

// simulateSources is the sources section of an agent with the simulator
// on or off.
func simulateSources(on bool, interval time.Duration, registry string) string {
	return fmt.Sprintf("  simulate: {enabled: %t, interval: %s, registry: %q}\n", on, interval, registry)
}

// startAgent runs the agent binary with sources (YAML lines under
// sources:) until stop.
func startAgent(ctx context.Context, bin, dir, brokerURL, facility, sources string) (*agentProc, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	port, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf(`facility: %s
log: {level: warn}
http: {listen: %q}
mqtt: {broker: %q}
outbox: {dir: outbox}
sources:
%s`, facility, listen, brokerURL, sources)
	path := filepath.Join(dir, "agent.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "run", "--config", path)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start agent %s: %w", bin, err)
	}
	p := &agentProc{child: child{cmd}, listen: listen}
	for i := 0; ; i++ {
		if _, err := p.outboxDepth(); err == nil {
			return p, nil
		}
		if i > 200 {
			p.stop()
			return nil, fmt.Errorf("agent did not answer on %s", listen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *agentProc) outboxDepth() (int64, error) { return web.OutboxDepth(p.listen) }

func sleepCtx(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
