package collector_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// TestAlertsTopicRetainedAndCleared: an open-burning event puts the alert
// on the facility's retained alerts topic, which the collector's own
// subscription receives and leaves alone (no rejection); a restart whose
// event window has passed clears it, and the topic then holds [] for a
// client that subscribes afterwards.
func TestAlertsTopicRetainedAndCleared(t *testing.T) {
	s := startStack(t)
	cfg := s.config(t)
	const topic = "greenpulse/BG-H-001/alerts"
	stop := runCollector(t, cfg)
	pub := publisher(t, s.broker.URL(), "agent-BG-H-001")
	sent := time.Now()
	publish(t, pub, "greenpulse/BG-H-001/waste",
		fmt.Sprintf(`{"ts":%d,"category":"sharps","treatment":"open_burning","mass_kg":3}`, sent.UnixMilli()))

	watch := subscribe(t, s.broker.URL(), topic)
	var list []alerts.Alert
	eventually(t, 60*time.Second, "the alert on the topic", func() (bool, string) {
		msgs := watch.Snapshot()
		if len(msgs) == 0 {
			return false, "no message"
		}
		last := msgs[len(msgs)-1]
		list = nil
		err := json.Unmarshal(last.Payload, &list)
		return err == nil && len(list) == 1 && list[0].ID == "open_burning.BG-H-001", string(last.Payload)
	})
	if a := list[0]; a.State != alerts.ActiveUnacknowledged || a.Severity != alerts.Critical || !strings.Contains(a.Message, "3 kg") || a.MessageAr == "" {
		t.Errorf("alert on the topic %+v", a)
	}
	// The broker may deliver the list to a subscriber before its PUBACK
	// reaches the collector, which counts the publish only then.
	eventually(t, 10*time.Second, "the publish counted", func() (bool, string) {
		v := teststack.MetricValue(t, cfg.HTTP.Listen, `greenpulse_collector_alerts_topic_publishes_total{result="ok"}`)
		return v >= 1, fmt.Sprintf("publishes{ok} = %v", v)
	})
	// The collector received its own list and left it alone.
	eventually(t, 10*time.Second, "the collector's own list received", func() (bool, string) {
		v := teststack.MetricValue(t, cfg.HTTP.Listen, `greenpulse_collector_messages_total{stream="alerts"}`)
		return v >= 1, fmt.Sprint(v)
	})
	if v := teststack.MetricValue(t, cfg.HTTP.Listen, `greenpulse_collector_rejected_total{reason="unknown_stream"}`); v != 0 {
		t.Errorf("rejected{unknown_stream} = %v: the collector rejected its own alert list", v)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}

	cfg.Alerts.EventWindow = time.Since(sent) / 2
	cfg.Alerts.CheckEvery = 100 * time.Millisecond
	runCollector(t, cfg)
	eventually(t, 15*time.Second, "[] on the topic for a new subscriber", func() (bool, string) {
		msgs := subscribeOnce(t, s.broker.URL(), topic)
		return len(msgs) > 0 && string(msgs[len(msgs)-1].Payload) == "[]", fmt.Sprint(msgs)
	})
	if v := teststack.MetricValue(t, cfg.HTTP.Listen, `greenpulse_collector_rejected_total{reason="unknown_stream"}`); v != 0 {
		t.Errorf("after the restart rejected{unknown_stream} = %v", v)
	}
}

// subscribeOnce subscribes a new client to topic and returns what it got
// right away: the retained message, if any.
func subscribeOnce(t *testing.T, brokerURL, topic string) []teststack.Message {
	t.Helper()
	w := subscribe(t, brokerURL, topic)
	var got []teststack.Message
	eventually(t, 2*time.Second, "a retained message", func() (bool, string) {
		got = w.Snapshot()
		return len(got) > 0, ""
	})
	return got
}
