package collector_test

import (
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// stack is a real broker and database for one test.
type stack struct {
	broker *testenv.Mosquitto
	influx *testenv.InfluxDB
	*teststack.Stack
}

func startStack(t *testing.T) *stack {
	t.Helper()
	s := teststack.Start(t)
	return &stack{broker: s.Broker, influx: s.Influx, Stack: s}
}

// config returns a collector configuration for the stack.
func (s *stack) config(t *testing.T) config.Config {
	t.Helper()
	return s.CollectorConfig(t, "..")
}

func runCollector(t *testing.T, cfg config.Config) (stop func() error) {
	t.Helper()
	return teststack.RunCollector(t, cfg)
}

func waitReady(t *testing.T, listen string) {
	t.Helper()
	teststack.WaitReady(t, listen)
}

type testWriter = teststack.TestWriter

// publisher connects a QoS 1 client, as an agent would.
func publisher(t testing.TB, brokerURL, id string) mqtt.Client {
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
func subscribe(t *testing.T, brokerURL, filter string) *teststack.Collected {
	t.Helper()
	return teststack.Subscribe(t, brokerURL, filter)
}

func influxQL(t *testing.T, influxURL, q string) []map[string]any {
	t.Helper()
	return teststack.InfluxQL(t, influxURL, q)
}

func countPoints(t *testing.T, influxURL, measurement, field, facility string) int {
	t.Helper()
	return teststack.CountPoints(t, influxURL, measurement, field, facility)
}

func eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	teststack.Eventually(t, within, what, cond)
}
