package collector_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// stack is a real broker and database for one test.
type stack struct {
	broker *testenv.Mosquitto
	influx *testenv.InfluxDB
}

func startStack(t *testing.T) *stack {
	t.Helper()
	testenv.RequireIntegration(t)
	return &stack{broker: testenv.StartMosquitto(t), influx: testenv.StartInfluxDB(t)}
}

// config returns a collector configuration for the stack, with short retry
// intervals so that outage tests recover quickly.
func (s *stack) config(t *testing.T) config.Config {
	t.Helper()
	cfg := config.Default()
	cfg.Log.Level = "warn"
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg.HTTP.Listen = fmt.Sprintf("127.0.0.1:%d", port)
	cfg.MQTT.Broker = s.broker.URL()
	cfg.MQTT.ClientID = "collector-" + strings.ReplaceAll(t.Name(), "/", "-")
	cfg.InfluxDB.URL = s.influx.URL()
	cfg.Ingest.RetryInitial = 100 * time.Millisecond
	cfg.Ingest.RetryMax = time.Second
	cfg.Registry = filepath.Join("..", "configs", "facilities.csv")
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test config: %v", err)
	}
	return cfg
}

// runCollector runs the collector in this process until the returned stop
// function is called or the test ends.
func runCollector(t *testing.T, cfg config.Config) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
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
	waitReady(t, cfg.HTTP.Listen)
	return stop
}

// waitReady waits until the collector at listen answers /readyz with 200:
// connected, subscribed, and InfluxDB reachable. Messages published before
// the first subscription would reach no session.
func waitReady(t *testing.T, listen string) {
	t.Helper()
	eventually(t, 30*time.Second, "collector ready", func() (bool, string) {
		resp, err := http.Get("http://" + listen + "/readyz")
		if err != nil {
			return false, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode == http.StatusOK, string(body)
	})
}

// testWriter sends log lines to the test log, so they show only on failure.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// publisher connects a QoS 1 client, as an agent would.
func publisher(t *testing.T, brokerURL, id string) mqtt.Client {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID(id).
		SetAutoReconnect(true).SetConnectRetry(true).SetMaxReconnectInterval(time.Second))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect publisher: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

// publish sends one message at QoS 1 and waits for the broker's ack.
func publish(t *testing.T, c mqtt.Client, topic, payload string) {
	t.Helper()
	tok := c.Publish(topic, 1, false, payload)
	if !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// subscribe collects the messages of filter.
func subscribe(t *testing.T, brokerURL, filter string) *collected {
	t.Helper()
	col := &collected{}
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID("watch-" + fmt.Sprint(time.Now().UnixNano())))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect watcher: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) {
		col.mu.Lock()
		defer col.mu.Unlock()
		col.msgs = append(col.msgs, mqttMessage{m.Topic(), m.Payload()})
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", filter, tok.Error())
	}
	return col
}

type mqttMessage struct {
	topic   string
	payload []byte
}

type collected struct {
	mu   sync.Mutex
	msgs []mqttMessage
}

func (c *collected) snapshot() []mqttMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]mqttMessage(nil), c.msgs...)
}

// influxQL runs a query against the raw database and returns the rows of
// the first series, keyed by column.
func influxQL(t *testing.T, influxURL, q string) []map[string]any {
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

// countPoints counts the points of measurement for facility.
func countPoints(t *testing.T, influxURL, measurement, field, facility string) int {
	t.Helper()
	rows := influxQL(t, influxURL, fmt.Sprintf(`SELECT count(%q) FROM %q WHERE facility='%s'`, field, measurement, facility))
	if len(rows) == 0 {
		return 0
	}
	n, err := rows[0]["count"].(json.Number).Int64()
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	return int(n)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
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
