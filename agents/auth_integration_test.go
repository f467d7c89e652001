package agents_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/reading"
)

// TestLoginAndACL runs the broker as configs/mosquitto/ documents for
// production: no anonymous clients, a password per agent and for the
// collector, and the shipped per-facility ACL. An agent with its password
// delivers, and receives its facility's alert list from the collector but
// cannot overwrite it; one with a wrong password says so in its status
// and keeps its readings.
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

	// Open burning: the collector writes the alert list on the facility's
	// alerts topic, which the agent may read.
	if err := a.Record("test", []reading.Reading{openBurning(t, facility, time.Now().Add(-time.Minute))}); err != nil {
		t.Fatal(err)
	}
	teststack.Eventually(t, 30*time.Second, "the alert list reaches the agent under the ACL", func() (bool, string) {
		v, _ := a.Alerts()
		return len(v.Alerts) == 1 && v.Alerts[0].ID == "open_burning."+facility, fmt.Sprintf("%+v", v)
	})
	// The agent's own user may not overwrite it: a forged empty list is
	// dropped by the broker, and the retained list stays the collector's.
	forger := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(s.Broker.URL()).SetClientID("forger").
		SetUsername(facility).SetPassword("agent-pw"))
	if tok := forger.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect as the facility: %v", tok.Error())
	}
	t.Cleanup(func() { forger.Disconnect(100) })
	if tok := forger.Publish(reading.AlertsTopic("greenpulse", facility), 1, true, "[]"); !tok.WaitTimeout(10 * time.Second) {
		t.Fatal("publish not acknowledged")
	}
	got := make(chan string, 1)
	watcher := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(s.Broker.URL()).SetClientID("watcher").
		SetUsername("greenpulse-collector").SetPassword("collector-pw"))
	if tok := watcher.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect the watcher: %v", tok.Error())
	}
	t.Cleanup(func() { watcher.Disconnect(100) })
	watcher.Subscribe(reading.AlertsTopic("greenpulse", facility), 1, func(_ mqtt.Client, m mqtt.Message) {
		select {
		case got <- string(m.Payload()):
		default:
		}
	})
	select {
	case list := <-got:
		if !strings.Contains(list, "open_burning."+facility) {
			t.Errorf("the retained alert list is %s: the facility's own user overwrote it", list)
		}
	case <-time.After(10 * time.Second):
		t.Error("no retained alert list")
	}

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

// openBurning is a waste reading of open burning at facility.
func openBurning(t *testing.T, facility string, at time.Time) reading.Reading {
	t.Helper()
	b, _ := reading.NewBuilder(reading.Waste)
	b.SetTag("category", "infectious")
	b.SetTag("treatment", "open_burning")
	b.SetFloat("mass_kg", 3)
	r, err := b.Build(facility, at, time.Now(), reading.Limits{MaxFuture: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
