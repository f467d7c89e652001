package collector_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// stream publishes numbered energy readings, perMessage to a message, as fast
// as the broker acknowledges them, until stop is closed; it returns how many
// readings the broker acknowledged. Each reading has its own timestamp, so
// each is one point and the count in InfluxDB must match exactly.
func stream(t *testing.T, c mqtt.Client, facility string, perMessage int, interval time.Duration, stop <-chan struct{}, sent *atomic.Int64) <-chan int {
	t.Helper()
	done := make(chan int, 1)
	base := time.Now().Add(-24 * time.Hour).Truncate(time.Second)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				done <- n
				return
			case <-time.After(interval):
			}
			items := make([]string, perMessage)
			for i := range items {
				items[i] = fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":%d}`, base.Add(time.Duration(n+i)*time.Millisecond).UnixMilli(), n+i)
			}
			tok := c.Publish("greenpulse/"+facility+"/energy", 1, false, "["+strings.Join(items, ",")+"]")
			if !tok.WaitTimeout(60*time.Second) || tok.Error() != nil {
				t.Errorf("publish: %v", tok.Error())
				done <- n
				return
			}
			n += perMessage
			sent.Store(int64(n))
		}
	}()
	return done
}

// TestInfluxDBOutage stops InfluxDB for 20 s in the middle of a stream; the
// collector pauses (acknowledging nothing), the broker holds the messages,
// and after the restart every published reading is stored, exactly once.
func TestInfluxDBOutage(t *testing.T) {
	t.Parallel() // mostly the outage's 20 s of waiting
	s := startStack(t)
	runCollector(t, s.config(t))
	influxOutageLosesNothing(t, publisher(t, s.broker.URL(), "agent-outage"), s.influx, 20*time.Second)
}

// influxOutageLosesNothing streams readings through pub to a running
// collector, stops influx for outage in the middle, and checks that every
// reading is stored afterwards, exactly once.
func influxOutageLosesNothing(t *testing.T, pub mqtt.Client, influx *testenv.InfluxDB, outage time.Duration) {
	t.Helper()
	stop := make(chan struct{})
	var sent atomic.Int64
	done := stream(t, pub, "BA-H-001", 10, 5*time.Millisecond, stop, &sent)

	eventually(t, 20*time.Second, "first readings stored", func() (bool, string) {
		n := countPoints(t, influx.URL(), "energy", "kwh_total", "BA-H-001")
		return n > 0, fmt.Sprint(n)
	})
	if err := influx.Stop(); err != nil {
		t.Fatalf("stop influxdb: %v", err)
	}
	before := sent.Load()
	<-time.After(outage) // the outage itself, not a synchronisation
	during := sent.Load() - before
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := influx.Start(ctx); err != nil {
		t.Fatalf("restart influxdb: %v", err)
	}
	<-time.After(2 * time.Second)
	close(stop)
	total := <-done
	if during == 0 {
		t.Fatalf("nothing was published during the outage; the test proves nothing")
	}
	t.Logf("published %d readings, %d of them while InfluxDB was down", total, during)

	eventually(t, 120*time.Second, "every reading stored", func() (bool, string) {
		n := countPoints(t, influx.URL(), "energy", "kwh_total", "BA-H-001")
		return n == total, fmt.Sprintf("%d of %d", n, total)
	})
}

// TestCollectorKilled kills the collector process with SIGKILL in the middle
// of a stream and starts it again: every published reading is stored.
func TestCollectorKilled(t *testing.T) {
	s := startStack(t)
	bin := buildCollector(t)
	cfgPath, listen := writeConfig(t, s)
	pub := publisher(t, s.broker.URL(), "agent-kill")

	first := startProcess(t, bin, cfgPath)
	waitReady(t, listen)
	stop := make(chan struct{})
	var sent atomic.Int64
	done := stream(t, pub, "NI-H-001", 5, 2*time.Millisecond, stop, &sent)

	eventually(t, 20*time.Second, "first readings stored", func() (bool, string) {
		n := countPoints(t, s.influx.URL(), "energy", "kwh_total", "NI-H-001")
		return n > 500, fmt.Sprint(n)
	})
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill collector: %v", err)
	}
	_ = first.Wait()
	killedAt := sent.Load()
	<-time.After(3 * time.Second) // publishing goes on while no collector runs
	startProcess(t, bin, cfgPath)
	<-time.After(2 * time.Second)
	close(stop)
	total := <-done
	if int64(total) <= killedAt {
		t.Fatalf("nothing was published after the kill; the test proves nothing")
	}
	t.Logf("published %d readings, %d after the kill", total, int64(total)-killedAt)

	eventually(t, 60*time.Second, "every reading stored", func() (bool, string) {
		n := countPoints(t, s.influx.URL(), "energy", "kwh_total", "NI-H-001")
		return n == total, fmt.Sprintf("%d of %d", n, total)
	})
}

func buildCollector(t *testing.T) string {
	t.Helper()
	return teststack.BuildBinary(t, "../cmd/greenpulse-collector")
}

func writeConfig(t *testing.T, s *stack) (path, listen string) {
	t.Helper()
	registry, err := filepath.Abs(filepath.Join("..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`log: {level: warn}
http: {listen: "127.0.0.1:%d"}
mqtt: {broker: %q, client_id: collector-killed}
influxdb: {url: %q}
ingest: {retry_initial: 100ms, retry_max: 1s}
rollup: {enabled: false}
registry: %q
`, port, s.broker.URL(), s.influx.URL(), registry)
	path = filepath.Join(t.TempDir(), "collector.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, fmt.Sprintf("127.0.0.1:%d", port)
}

// startProcess starts the collector binary; the test's cleanup kills it.
func startProcess(t *testing.T, bin, cfgPath string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Stderr = testWriter{T: t}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start collector: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		waited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return cmd
}

// TestBrokerRestart restarts the broker twice: once while the collector is
// away, with readings queued for its session (they must survive in the
// broker's persistence), and once while it is connected (it must reconnect
// and resubscribe on its own).
func TestBrokerRestart(t *testing.T) {
	s := startStack(t)
	cfg := s.config(t)
	publishBatch := func(from, n int) {
		t.Helper()
		pub := publisher(t, s.broker.URL(), fmt.Sprintf("agent-restart-%d", from))
		base := time.Now().Add(-6 * time.Hour).Truncate(time.Second)
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":%d}`, base.Add(time.Duration(from+i)*time.Second).UnixMilli(), from+i)
		}
		for i := 0; i < n; i += 50 {
			publish(t, pub, "greenpulse/KA-H-001/energy", "["+strings.Join(items[i:min(i+50, n)], ",")+"]")
		}
		pub.Disconnect(100)
	}
	restartBroker := func() {
		t.Helper()
		if err := s.broker.Stop(); err != nil {
			t.Fatalf("stop broker: %v", err)
		}
		if err := s.broker.Start(context.Background()); err != nil {
			t.Fatalf("start broker: %v", err)
		}
	}
	stored := func(want int) {
		t.Helper()
		eventually(t, 60*time.Second, fmt.Sprintf("%d readings stored", want), func() (bool, string) {
			n := countPoints(t, s.influx.URL(), "energy", "kwh_total", "KA-H-001")
			return n == want, fmt.Sprint(n)
		})
	}

	stop := runCollector(t, cfg)
	publishBatch(0, 500)
	stored(500)
	if err := stop(); err != nil {
		t.Fatalf("stop collector: %v", err)
	}

	publishBatch(500, 1000) // queued by the broker for the collector's session
	restartBroker()
	runCollector(t, cfg)
	stored(1500)

	restartBroker() // with the collector connected
	waitReady(t, cfg.HTTP.Listen)
	publishBatch(1500, 500)
	stored(2000)
}
