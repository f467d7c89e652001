package agents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/agents/web"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/reading"
)

const facility = "BG-H-001"

// agentConfig is an agent configuration for the stack: no simulator unless
// the test turns it on, waste entry on, small messages so that a backlog
// takes many rounds.
func agentConfig(t *testing.T, s *teststack.Stack, dir string) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Facility = facility
	cfg.MQTT.ClientID = "greenpulse-agent-" + facility
	cfg.Log.Level = "warn"
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	cfg.MQTT.Broker = s.Broker.URL()
	cfg.MQTT.MaxReconnectInterval = time.Second
	cfg.MQTT.AckTimeout = 5 * time.Second
	cfg.Outbox.Dir = filepath.Join(dir, "outbox")
	cfg.Publish.MaxReadings = 100
	cfg.Publish.InFlight = 2
	cfg.Publish.RetryMax = time.Second
	cfg.Sources.Simulate.Registry = filepath.Join("..", "configs", "facilities.csv")
	if err := cfg.Validate(); err != nil {
		t.Fatalf("agent config: %v", err)
	}
	return cfg
}

// fillOutbox stores n solar readings a minute apart, as an agent that was
// offline for a while would hold them.
func fillOutbox(t *testing.T, dir string, n int) {
	t.Helper()
	ob, err := outbox.Open(dir, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ob.Close()
	var recs []outbox.Record
	for i, r := range solarReadings(t, facility, time.Now().Add(-time.Duration(n+10)*time.Minute).Truncate(time.Minute), n) {
		recs = append(recs, outbox.Record{Stream: reading.Solar, Data: reading.AppendJSON(nil, &r)})
		if len(recs) == 1000 || i == n-1 {
			if err := ob.Append(recs); err != nil {
				t.Fatal(err)
			}
			recs = nil
		}
	}
}

// wasteLogger posts waste entries to the agent's web endpoint until stopped
// and counts the ones the agent acknowledged with 201: those it promised to
// deliver. Each has its own timestamp, so each is its own point.
type wasteLogger struct {
	acked atomic.Int64
	// unanswered counts entries sent without an answer: a kill between the
	// agent's commit and its 201 leaves an entry stored but not
	// acknowledged, which at-least-once delivery may still bring.
	unanswered atomic.Int64
	stop       chan struct{}
	done       chan struct{}
}

func logWaste(t *testing.T, listen func() string) *wasteLogger {
	t.Helper()
	w := &wasteLogger{stop: make(chan struct{}), done: make(chan struct{})}
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	go func() {
		defer close(w.done)
		for i := 0; ; i++ {
			select {
			case <-w.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			body, _ := json.Marshal(map[string]any{"category": "sharps", "treatment": "autoclave",
				"mass_kg": 1 + float64(i%10), "ts": base.Add(time.Duration(i) * 100 * time.Millisecond)})
			resp, err := client.Post("http://"+listen()+"/api/v1/waste", "application/json", bytes.NewReader(body))
			if err != nil {
				w.unanswered.Add(1) // nothing was promised, but it may have been kept
				continue
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusCreated {
				w.acked.Add(1)
			}
		}
	}()
	t.Cleanup(w.halt)
	return w
}

func (w *wasteLogger) halt() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

func writeYAML(t *testing.T, cfg config.Config, path string) {
	t.Helper()
	y := fmt.Sprintf(`facility: %s
log: {level: warn}
http: {listen: %q}
mqtt: {broker: %q, client_id: %q, max_reconnect_interval: 1s, ack_timeout: 5s}
outbox: {dir: %q}
publish: {max_readings: %d, in_flight: %d, retry_max: 1s}
sources:
  simulate: {enabled: false}
  manual: {enabled: true}
`, cfg.Facility, cfg.HTTP.Listen, cfg.MQTT.Broker, cfg.MQTT.ClientID, cfg.Outbox.Dir, cfg.Publish.MaxReadings, cfg.Publish.InFlight)
	if err := os.WriteFile(path, []byte(y), 0o644); err != nil {
		t.Fatal(err)
	}
}

func startAgentProcess(t *testing.T, bin, cfgPath string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "run", "--config", cfgPath)
	cmd.Stderr = teststack.TestWriter{T: t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

// TestAgentKilledWhilePublishing kills the agent process with SIGKILL while
// it drains a backlog and while staff enter waste, restarts it, and checks
// that every reading it held or acknowledged is in InfluxDB exactly once.
func TestAgentKilledWhilePublishing(t *testing.T) {
	s := teststack.Start(t)
	ccfg := s.CollectorConfig(t, "..")
	teststack.RunCollector(t, ccfg)

	dir := t.TempDir()
	cfg := agentConfig(t, s, dir)
	const backlog = 20000
	fillOutbox(t, cfg.Outbox.Dir, backlog)
	cfgPath := filepath.Join(dir, "agent.yaml")
	writeYAML(t, cfg, cfgPath)
	bin := teststack.BuildBinary(t, "../cmd/greenpulse-agent")

	status := teststack.Subscribe(t, s.Broker.URL(), "greenpulse/"+facility+"/status")
	first := startAgentProcess(t, bin, cfgPath)
	waste := logWaste(t, func() string { return cfg.HTTP.Listen })
	// Fresh readings (the waste entries) must not wait behind the backlog.
	teststack.Eventually(t, 60*time.Second, "agent mid-backlog, fresh readings stored", func() (bool, string) {
		n := teststack.CountPoints(t, s.Influx.URL(), "solar", "kwh_total", facility)
		w := teststack.CountPoints(t, s.Influx.URL(), "waste", "mass_kg", facility)
		return n > backlog/10 && w > 0, fmt.Sprintf("%d solar, %d waste points stored", n, w)
	})
	lastStatus := func() reading.AgentStatus {
		msgs := status.Snapshot()
		var st reading.AgentStatus
		if len(msgs) > 0 {
			_ = json.Unmarshal(msgs[len(msgs)-1].Payload, &st)
		}
		return st
	}
	if st := lastStatus(); st.Online == nil || !*st.Online || st.OutboxDepth == nil || st.Version == "" {
		t.Errorf("retained status while running: %+v, want online with version and outbox depth", st)
	}
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	stored := teststack.CountPoints(t, s.Influx.URL(), "solar", "kwh_total", facility)
	if stored >= backlog {
		t.Fatalf("the whole backlog (%d) was stored before the kill; the test proves nothing", stored)
	}
	// The broker publishes the will for a connection that died.
	teststack.Eventually(t, 10*time.Second, "will published", func() (bool, string) {
		st := lastStatus()
		return st.Online != nil && !*st.Online && st.Version == "", fmt.Sprintf("last status %+v", st)
	})
	t.Logf("killed with %d of %d backlog readings stored, %d waste entries acknowledged", stored, backlog, waste.acked.Load())

	second := startAgentProcess(t, bin, cfgPath)
	time.Sleep(500 * time.Millisecond) // let staff enter a little more after the restart
	waste.halt()
	teststack.Eventually(t, 90*time.Second, "outbox drained", func() (bool, string) {
		d, err := web.OutboxDepth(cfg.HTTP.Listen)
		return d == 0, fmt.Sprintf("depth %d, %v", d, err)
	})
	want := int(waste.acked.Load())
	maybe := int(waste.unanswered.Load())
	teststack.Eventually(t, 30*time.Second, "every reading stored", func() (bool, string) {
		solar := teststack.CountPoints(t, s.Influx.URL(), "solar", "kwh_total", facility)
		w := teststack.CountPoints(t, s.Influx.URL(), "waste", "mass_kg", facility)
		// Every acknowledged entry, plus at most those cut off unanswered.
		return solar == backlog && w >= want && w <= want+maybe,
			fmt.Sprintf("solar %d of %d, waste %d of %d acknowledged (+ up to %d unanswered)", solar, backlog, w, want, maybe)
	})
	if want == 0 {
		t.Fatal("no waste entry was acknowledged; the test proves nothing about live readings")
	}
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil {
		t.Errorf("agent exit after SIGTERM: %v", err)
	}
}

// TestBrokerDownForAMinute stops the broker for 60 s while the simulator
// and staff keep producing readings, and checks that once it is back every
// reading the agent took reaches InfluxDB.
func TestBrokerDownForAMinute(t *testing.T) {
	if testing.Short() {
		t.Skip("takes over a minute")
	}
	s := teststack.Start(t)
	ccfg := s.CollectorConfig(t, "..")
	teststack.RunCollector(t, ccfg)

	cfg := agentConfig(t, s, t.TempDir())
	cfg.Sources.Simulate.Enabled = true
	cfg.Sources.Simulate.Interval = 250 * time.Millisecond
	a, reg, stop := runAgent(t, cfg)
	teststack.Eventually(t, 30*time.Second, "first readings stored", func() (bool, string) {
		n := teststack.CountPoints(t, s.Influx.URL(), "energy", "kwh_total", facility)
		return n > 0, fmt.Sprintf("%d energy points", n)
	})
	if err := s.Broker.Stop(); err != nil {
		t.Fatal(err)
	}
	downAt := a.Outbox().Stats().Appended
	time.Sleep(60 * time.Second) // the outage itself is what is under test
	heldDuringOutage := a.Outbox().Stats().Appended - downAt
	if err := s.Broker.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Logf("broker down 60 s; the agent took %d readings meanwhile (outbox %+v)", heldDuringOutage, a.Outbox().Stats())
	if heldDuringOutage < 200 {
		t.Fatalf("only %d readings taken during the outage; the test proves little", heldDuringOutage)
	}
	teststack.Eventually(t, 60*time.Second, "agent reconnected", func() (bool, string) {
		return a.Publisher().Connected(), "not connected"
	})
	if err := stop(); err != nil {
		t.Fatalf("agent run: %v", err)
	}
	if st := a.Outbox().Stats(); st.Readings != 0 {
		t.Fatalf("outbox still holds %d readings after the drain at shutdown", st.Readings)
	}
	taken := counterSum(t, reg, "greenpulse_agent_readings_total")
	teststack.Eventually(t, 60*time.Second, "every reading stored", func() (bool, string) {
		e := teststack.CountPoints(t, s.Influx.URL(), "energy", "kwh_total", facility)
		so := teststack.CountPoints(t, s.Influx.URL(), "solar", "kwh_total", facility)
		w := teststack.CountPoints(t, s.Influx.URL(), "waste", "mass_kg", facility)
		return e+so+w == int(taken), fmt.Sprintf("energy %d + solar %d + waste %d of %d", e, so, w, int(taken))
	})
}

// runAgent runs an agent in this process until stop is called or the test
// ends; stop returns Run's error.
func runAgent(t *testing.T, cfg config.Config) (a *agents.Agent, reg *prometheus.Registry, stop func() error) {
	t.Helper()
	reg = prometheus.NewRegistry()
	log := slog.New(slog.NewTextHandler(teststack.TestWriter{T: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := agents.New(cfg, "test", agents.NewMetrics(reg), log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	var runErr error
	stop = func() error {
		once.Do(func() {
			cancel()
			runErr = <-done
		})
		return runErr
	}
	t.Cleanup(func() {
		_ = stop()
		a.Close()
	})
	return a, reg, stop
}

func counterSum(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}
