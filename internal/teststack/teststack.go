// Package teststack starts what an end-to-end test needs: a real Mosquitto
// and InfluxDB on free loopback ports (through testenv), the collector in
// process, and helpers to query what was stored and to wait for it. Both the
// collector's and the agent's integration tests use it.
package teststack

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Stack is a real broker and database for one test.
type Stack struct {
	Broker *testenv.Mosquitto
	Influx *testenv.InfluxDB
}

// Start starts both, or skips the test when integration tests are off.
func Start(t testing.TB) *Stack {
	t.Helper()
	testenv.RequireIntegration(t)
	return &Stack{Broker: testenv.StartMosquitto(t), Influx: testenv.StartInfluxDB(t)}
}

// CollectorConfig returns a collector configuration for the stack, with
// short retry intervals so that outage tests recover quickly. repoRoot is
// the path from the test's package to the repository root.
func (s *Stack) CollectorConfig(t testing.TB, repoRoot string) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Log.Level = "warn"
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	if s.Broker != nil { // nil: the test brings its own broker (a NATS cluster)
		cfg.MQTT.Broker = s.Broker.URL()
	}
	cfg.MQTT.ClientID = "collector-" + strings.ReplaceAll(t.Name(), "/", "-")
	cfg.InfluxDB.URL = s.Influx.URL()
	cfg.Ingest.RetryInitial = 100 * time.Millisecond
	cfg.Ingest.RetryMax = time.Second
	cfg.Registry = filepath.Join(repoRoot, "configs", "facilities.csv")
	// Ingest tests count points and time outages; a roll-up catching up in
	// the background would only load the database. Roll-up tests turn it on.
	cfg.Rollup.Enabled = false
	cfg.Rollup.StateFile = filepath.Join(t.TempDir(), "rollup-state.json")
	cfg.Alerts.StateFile = filepath.Join(t.TempDir(), "alerts-state.json")
	// Most tests read the API as anyone on the loopback port may in open
	// mode; tests of sign-in and scopes set users or public mode and a
	// users file of their own.
	cfg.Access.Mode = config.AccessOpen
	cfg.Access.UsersFile = filepath.Join(t.TempDir(), "users.json")
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	return cfg
}

// RunCollector runs the collector in this process until the returned stop
// function is called or the test ends.
func RunCollector(t testing.TB, cfg config.Config) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(TestWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	go func() { done <- collector.Run(ctx, cfg, "test", log) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = fmt.Errorf("collector did not stop within 30s")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	if cfg.HTTP.TLSCertFile != "" {
		base, client := HTTPS(t, cfg)
		waitReady(t, client, base)
		return stop
	}
	WaitReady(t, cfg.HTTP.Listen)
	return stop
}

// HTTPS answers the base URL of a collector that serves HTTPS with cfg's
// certificate, and a client that trusts that certificate.
func HTTPS(t testing.TB, cfg config.Config) (string, *http.Client) {
	t.Helper()
	pem, err := os.ReadFile(cfg.HTTP.TLSCertFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no PEM certificate", cfg.HTTP.TLSCertFile)
	}
	return "https://" + cfg.HTTP.Listen, &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// WaitReady waits until the collector at listen answers /readyz with 200:
// connected, subscribed, and InfluxDB reachable. Messages published before
// the first subscription would reach no session.
func WaitReady(t testing.TB, listen string) {
	t.Helper()
	waitReady(t, http.DefaultClient, "http://"+listen)
}

func waitReady(t testing.TB, client *http.Client, base string) {
	t.Helper()
	Eventually(t, 30*time.Second, "collector ready", func() (bool, string) {
		resp, err := client.Get(base + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK, string(body)
	})
}

// TestWriter sends log lines to the test log, so they show only on failure.
type TestWriter struct{ T testing.TB }

func (w TestWriter) Write(p []byte) (int, error) {
	w.T.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// InfluxQL runs a query against the raw database and returns the rows of
// the first series, keyed by column.
func InfluxQL(t testing.TB, influxURL, q string) []map[string]any {
	t.Helper()
	resp, err := http.PostForm(influxURL+"/query?db=greenpulse&epoch=ns", url.Values{"q": {q}})
	if err != nil {
		t.Fatalf("query %q: %v", q, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		Results []struct {
			Error  string `json:"error"`
			Series []struct {
				Columns []string `json:"columns"`
				Values  [][]any  `json:"values"`
			} `json:"series"`
		} `json:"results"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil || len(out.Results) == 0 {
		t.Fatalf("query %q: %v: %s", q, err, body)
	}
	if out.Results[0].Error != "" {
		if strings.Contains(out.Results[0].Error, "database not found") {
			return nil
		}
		t.Fatalf("query %q: %s", q, out.Results[0].Error)
	}
	var rows []map[string]any
	for _, s := range out.Results[0].Series {
		for _, v := range s.Values {
			row := map[string]any{}
			for i, c := range s.Columns {
				row[c] = v[i]
			}
			rows = append(rows, row)
		}
	}
	return rows
}

// CountPoints counts the points of measurement for facility.
func CountPoints(t testing.TB, influxURL, measurement, field, facility string) int {
	t.Helper()
	rows := InfluxQL(t, influxURL, fmt.Sprintf(`SELECT count(%q) FROM %q WHERE facility='%s'`, field, measurement, facility))
	if len(rows) == 0 {
		return 0
	}
	n, err := rows[0]["count"].(json.Number).Int64()
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	return int(n)
}

// WriteReadings writes readings to the store's raw bucket as the
// collector does, in batches of at most 5,000 points, for tests that seed
// the database directly.
func WriteReadings(t testing.TB, store *influx.Store, rs []reading.Reading) {
	t.Helper()
	b := influx.NewBatch()
	flush := func() {
		if b.Points() == 0 {
			return
		}
		if err := store.Write(context.Background(), b.Bytes()); err != nil {
			t.Fatal(err)
		}
		b.Reset()
	}
	for i := range rs {
		if err := b.Add(&rs[i]); err != nil {
			t.Fatal(err)
		}
		if b.Points() >= 5000 {
			flush()
		}
	}
	flush()
}

// Eventually polls cond until it holds or the deadline passes.
func Eventually(t testing.TB, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	var last string
	for time.Now().Before(deadline) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not true within %s (last: %s)", what, within, last)
}

// MetricValue returns the value of one series (name and labels exactly as
// exposed) from the /metrics page at listen.
func MetricValue(t testing.TB, listen, series string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + listen + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", series, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in /metrics", series)
	return 0
}

// BuildBinary builds the command at pkg (a path such as ../cmd/greenpulse-agent)
// into the test's temporary folder, for tests that kill a real process.
func BuildBinary(t testing.TB, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput()
	if err != nil {
		t.Fatalf("build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// Subscribe collects the messages of filter.
func Subscribe(t testing.TB, brokerURL, filter string) *Collected {
	t.Helper()
	col := &Collected{}
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("watch-" + fmt.Sprint(time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect watcher: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) {
		col.mu.Lock()
		defer col.mu.Unlock()
		col.msgs = append(col.msgs, Message{Topic: m.Topic(), Payload: m.Payload()})
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", filter, tok.Error())
	}
	return col
}

// Message is one MQTT message a Subscribe received.
type Message struct {
	Topic   string
	Payload []byte
}

// Collected is what a Subscribe received so far. Safe for concurrent use.
type Collected struct {
	mu   sync.Mutex
	msgs []Message
}

// Snapshot returns a copy of the messages received so far.
func (c *Collected) Snapshot() []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Message(nil), c.msgs...)
}

// RollUp rolls up days, three at a time, then months. A month is computed
// from its days, which the roll-up reduces one by one in the database (on
// InfluxDB 1.8 about half a second each, data or not); reducing them first
// in parallel fills the roll-up's day cache, from which the months are
// then computed.
func RollUp(t testing.TB, r *rollup.Rollup, days, months []indicators.Period) {
	t.Helper()
	periods := make(chan indicators.Period)
	errs := make(chan error, len(days))
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range periods {
				if _, err := r.Period(context.Background(), p); err != nil {
					errs <- err
				}
			}
		}()
	}
	for _, p := range days {
		periods <- p
	}
	close(periods)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, p := range months {
		if _, err := r.Period(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
}

// AckAlert acknowledges an alert through the collector's API at url
// (…/api/v1/alerts/{id}/ack) with the admin token and a JSON body, and
// fails the test unless the answer is the alert, now acknowledged.
func AckAlert(t testing.TB, url, token, body string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusOK || out["state"] != "active_acknowledged" {
		t.Fatalf("POST %s: %d %v", url, resp.StatusCode, out)
	}
}
