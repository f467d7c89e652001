package agents_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// TestLoginAndACL runs the broker as configs/mosquitto/ documents for
// production: no anonymous clients, a password per agent and for the
// collector, and the shipped per-facility ACL. An agent with its password
// delivers; one with a wrong password says so in its status and keeps its
// readings.
func TestLoginAndACL(t *testing.T) {
	s := teststack.Start(t)
	if err := s.Broker.Stop(); err != nil {
		t.Fatal(err)
	}
	users := map[string]string{"greenpulse-collector": "collector-pw", facility: "agent-pw", "BG-H-002": "other-pw"}
	if err := s.Broker.RequireLogin(users, filepath.Join("..", "configs", "mosquitto", "acl.example")); err != nil {
		t.Fatal(err)
	}
	if err := s.Broker.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ccfg := s.CollectorConfig(t, "..")
	ccfg.MQTT.Username, ccfg.MQTT.Password = "greenpulse-collector", "collector-pw"
	teststack.RunCollector(t, ccfg) // ready means logged in and subscribed under the ACL

	good := agentConfig(t, s, t.TempDir())
	good.MQTT.Username, good.MQTT.Password = facility, "agent-pw"
	a, _, _ := runAgent(t, good)
	if err := a.Record("test", solarReadings(t, facility, time.Now().Add(-15*time.Minute).Truncate(time.Minute), 10)); err != nil {
		t.Fatal(err)
	}
	teststack.Eventually(t, 30*time.Second, "readings of the logged-in agent stored", func() (bool, string) {
		n := teststack.CountPoints(t, s.Influx.URL(), "solar", "kwh_total", facility)
		return n == 10, fmt.Sprintf("%d of 10", n)
	})

	bad := agentConfig(t, s, t.TempDir())
	bad.Facility, bad.MQTT.ClientID = "BG-H-002", "greenpulse-agent-BG-H-002"
	bad.MQTT.Username, bad.MQTT.Password = "BG-H-002", "wrong"
	b, _, _ := runAgent(t, bad)
	if err := b.Record("test", solarReadings(t, "BG-H-002", time.Now().Add(-10*time.Minute).Truncate(time.Minute), 5)); err != nil {
		t.Fatal(err)
	}
	teststack.Eventually(t, 15*time.Second, "refused login reported", func() (bool, string) {
		e := b.Publisher().LastError()
		return strings.Contains(strings.ToLower(e), "not authori"), e
	})
	if b.Publisher().Connected() || b.Outbox().Stats().Readings != 5 {
		t.Errorf("agent with a wrong password: connected %v, outbox %d readings; want offline holding 5",
			b.Publisher().Connected(), b.Outbox().Stats().Readings)
	}
	if st := b.Status(); st.LastError == "" {
		t.Errorf("status does not carry the login error: %+v", st)
	}
}
