package provision

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	agentconfig "github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/registry"
)

// startProvisionedBroker starts a real Mosquitto on a free loopback port
// with the snippet provision wrote into out/broker, its paths pointed at
// that folder and its TLS listener (if any) bound to loopback.
func startProvisionedBroker(t *testing.T, out string) *testenv.Mosquitto {
	t.Helper()
	testenv.RequireIntegration(t)
	if _, err := testenv.MosquittoPath(); err != nil {
		testenv.Unavailable(t, "%v", err)
	}
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	m, err := testenv.NewMosquitto(t.TempDir(), port)
	if err != nil {
		t.Fatal(err)
	}
	snippet := string(readFile(t, filepath.Join(out, BrokerDir, BrokerConf)))
	snippet = strings.ReplaceAll(snippet, BrokerInstallDir, filepath.Join(out, BrokerDir))
	var lines []string
	for _, l := range strings.Split(snippet, "\n") {
		if strings.HasPrefix(l, "listener ") {
			l += " 127.0.0.1"
		}
		lines = append(lines, l)
	}
	if err := m.Include(strings.Join(lines, "\n")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Stop(); err != nil {
			t.Errorf("stop broker: %v", err)
		}
	})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m
}

// rawState reads the state without checking it, so that the broker, not
// this package's verifier, judges the hashes (the mutation check).
func rawState(t *testing.T, out string) *state {
	t.Helper()
	var s state
	if err := json.Unmarshal(readFile(t, filepath.Join(out, StateFile)), &s); err != nil {
		t.Fatal(err)
	}
	return &s
}

var clientSeq atomic.Int64

// dial connects an MQTT 3.1.1 client and returns it, or the broker's
// refusal.
func dial(t *testing.T, opts *mqtt.ClientOptions) (mqtt.Client, error) {
	t.Helper()
	return dialAs(t, opts, fmt.Sprintf("provision-test-%d", clientSeq.Add(1)), true)
}

// dialAs is dial with a given client id and clean-session flag.
func dialAs(t *testing.T, opts *mqtt.ClientOptions, clientID string, clean bool) (mqtt.Client, error) {
	t.Helper()
	opts.SetClientID(clientID).
		SetCleanSession(clean).SetAutoReconnect(false).SetConnectRetry(false).
		SetConnectTimeout(5 * time.Second).SetProtocolVersion(4)
	c := mqtt.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		return nil, fmt.Errorf("connect timed out")
	}
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c, nil
}

func login(broker, user, password string) *mqtt.ClientOptions {
	return mqtt.NewClientOptions().AddBroker(broker).SetUsername(user).SetPassword(password)
}

func mustDial(t *testing.T, opts *mqtt.ClientOptions) mqtt.Client {
	t.Helper()
	c, err := dial(t, opts)
	if err != nil {
		t.Fatalf("connect as %q: %v", opts.Username, err)
	}
	return c
}

func wait(t *testing.T, tok mqtt.Token, what string) {
	t.Helper()
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("%s: %v", what, tok.Error())
	}
}

// subscribe returns a channel of the messages on filter.
func subscribe(t *testing.T, c mqtt.Client, filter string, ch chan mqtt.Message) {
	t.Helper()
	wait(t, c.Subscribe(filter, 1, func(_ mqtt.Client, m mqtt.Message) { ch <- m }), "subscribe "+filter)
}

// until reads ch until a message on topic with payload arrives, failing on
// any message on a topic in forbidden first; after it, it watches for a
// further grace period (a denied message would have come before it: one
// publisher's messages arrive in order).
func until(t *testing.T, ch chan mqtt.Message, topic, payload string, forbidden ...string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	check := func(m mqtt.Message) {
		for _, f := range forbidden {
			if m.Topic() == f {
				t.Errorf("received %q on %s: the ACL should have stopped it", m.Payload(), m.Topic())
			}
		}
	}
	for {
		select {
		case m := <-ch:
			check(m)
			if m.Topic() == topic && string(m.Payload()) == payload {
				if len(forbidden) == 0 {
					return
				}
				grace := time.After(1500 * time.Millisecond)
				for {
					select {
					case m := <-ch:
						check(m)
					case <-grace:
						return
					}
				}
			}
		case <-deadline:
			t.Fatalf("no %q on %s within 10 s", payload, topic)
		}
	}
}

// TestBrokerEnforcesACL starts Mosquitto with the generated passwd and acl
// and checks what a facility may do with its own login.
func TestBrokerEnforcesACL(t *testing.T) {
	testenv.RequireIntegration(t)
	out := t.TempDir()
	fs := registry.Synthesize(2, 1)
	a, b := fs[0].ID, fs[1].ID
	provisionInto(t, Config{Out: out}, registryOf(t, fs))
	st := rawState(t, out)
	m := startProvisionedBroker(t, out)
	url := m.URL()

	col := mustDial(t, login(url, CollectorUser, st.Collector.Password))
	seen := make(chan mqtt.Message, 100)
	subscribe(t, col, "greenpulse/#", seen)
	agentA := mustDial(t, login(url, a, st.Facilities[a].Password))

	t.Run("own stream reaches the collector", func(t *testing.T) {
		for _, stream := range []string{"energy", "solar", "waste", "status"} {
			wait(t, agentA.Publish("greenpulse/"+a+"/"+stream, 1, false, "reading"), "publish")
			until(t, seen, "greenpulse/"+a+"/"+stream, "reading")
		}
	})
	t.Run("cannot publish as another facility", func(t *testing.T) {
		forged := []string{"greenpulse/" + b + "/energy", "greenpulse/" + a + "/alerts", "greenpulse/" + a + "/figures",
			"greenpulse/_rejected/" + a + "/energy", "greenpulse/" + a + "/other"}
		for _, topic := range forged {
			// MQTT 3.1.1: the broker acknowledges a denied publish.
			wait(t, agentA.Publish(topic, 1, false, "forged"), "publish "+topic)
		}
		wait(t, agentA.Publish("greenpulse/"+a+"/energy", 1, false, "marker"), "publish marker")
		until(t, seen, "greenpulse/"+a+"/energy", "marker", forged...)
	})
	// What the collector keeps for each facility, retained: its alerts
	// and its month figures.
	for _, level := range []string{"alerts", "figures"} {
		t.Run("reads its own "+level+" only", func(t *testing.T) {
			own, other := "greenpulse/"+a+"/"+level, "greenpulse/"+b+"/"+level
			wait(t, col.Publish(other, 1, true, level+" of "+b), "publish "+other)
			wait(t, col.Publish(own, 1, true, level+" of "+a), "publish "+own)
			got := make(chan mqtt.Message, 10)
			subscribe(t, agentA, other, got)
			subscribe(t, agentA, "greenpulse/"+b+"/energy", got)
			subscribe(t, agentA, own, got)
			wait(t, col.Publish(other, 1, true, level+" of "+b+" again"), "publish "+other)
			wait(t, col.Publish(own, 1, true, level+" of "+a+" again"), "publish "+own)
			until(t, got, own, level+" of "+a+" again", other, "greenpulse/"+b+"/energy")
		})
	}
	t.Run("collector writes rejections", func(t *testing.T) {
		wait(t, col.Publish("greenpulse/_rejected/"+a+"/energy", 1, false, "rejected"), "publish")
		until(t, seen, "greenpulse/_rejected/"+a+"/energy", "rejected")
	})
	t.Run("refused logins", func(t *testing.T) {
		for _, tc := range []struct{ name, user, password string }{
			{"wrong password", a, st.Facilities[a].Password + "x"},
			{"another facility's password", a, st.Facilities[b].Password},
			{"unknown user", "NOPE-1", st.Facilities[a].Password},
			{"anonymous", "", ""},
		} {
			if _, err := dial(t, login(url, tc.user, tc.password)); err == nil {
				t.Errorf("%s: the broker accepted the login", tc.name)
			}
		}
	})
}

// TestBrokerMutualTLS starts Mosquitto with the generated snippet's TLS
// listener: the agent's generated config connects, a client without a
// certificate is refused.
func TestBrokerMutualTLS(t *testing.T) {
	testenv.RequireIntegration(t)
	tlsPort, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	fs := registry.Synthesize(2, 1)
	a := fs[0].ID
	broker := fmt.Sprintf("ssl://127.0.0.1:%d", tlsPort)
	provisionInto(t, Config{Out: out, Broker: broker, TLS: tlsOn(), Now: time.Now}, registryOf(t, fs))
	st := rawState(t, out)
	m := startProvisionedBroker(t, out)

	// The collector on the plain loopback listener, with its password.
	col := mustDial(t, login(m.URL(), CollectorUser, st.Collector.Password))
	seen := make(chan mqtt.Message, 10)
	subscribe(t, col, "greenpulse/#", seen)

	// The agent exactly as its generated agent.yaml says.
	t.Setenv(agentconfig.EnvMQTTPassword, "")
	cfg, err := agentconfig.Load(filepath.Join(out, FacilitiesDir, a, "agent.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cfg.MQTT.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	agent := mustDial(t, opts)
	wait(t, agent.Publish("greenpulse/"+a+"/energy", 1, false, "over tls"), "publish")
	until(t, seen, "greenpulse/"+a+"/energy", "over tls")

	// The collector's own files work too. Its client id is its username
	// (use_username_as_clientid), so this login would replace col: end col
	// first.
	col.Disconnect(100)
	colTLS := tlsConfig(t, filepath.Join(out, CollectorDir, "ca.crt"), filepath.Join(out, CollectorDir, "client.crt"), filepath.Join(out, CollectorDir, "client.key"))
	mustDial(t, login(broker, CollectorUser, st.Collector.Password).SetTLSConfig(colTLS))

	// Without a client certificate, with the right password: refused.
	noCert := tlsConfig(t, filepath.Join(out, FacilitiesDir, a, "ca.crt"), "", "")
	if c, err := dial(t, login(broker, a, st.Facilities[a].Password).SetTLSConfig(noCert)); err == nil {
		c.Disconnect(0)
		t.Error("a client without a certificate connected")
	}
	// With a certificate from another CA: refused.
	other := t.TempDir()
	provisionInto(t, Config{Out: other, Broker: broker, TLS: tlsOn(), Now: time.Now}, registryOf(t, fs))
	foreign := tlsConfig(t, filepath.Join(out, FacilitiesDir, a, "ca.crt"), filepath.Join(other, FacilitiesDir, a, "client.crt"), filepath.Join(other, FacilitiesDir, a, "client.key"))
	if c, err := dial(t, login(broker, a, st.Facilities[a].Password).SetTLSConfig(foreign)); err == nil {
		c.Disconnect(0)
		t.Error("a client with another CA's certificate connected")
	}
}

// TestBrokerClientIDIsUsername: a facility that logs in with its own
// password but sends the collector's client id (or another agent's) does
// not disconnect that client (use_username_as_clientid).
func TestBrokerClientIDIsUsername(t *testing.T) {
	testenv.RequireIntegration(t)
	out := t.TempDir()
	fs := registry.Synthesize(2, 1)
	a, b := fs[0].ID, fs[1].ID
	provisionInto(t, Config{Out: out}, registryOf(t, fs))
	st := rawState(t, out)
	m := startProvisionedBroker(t, out)
	url := m.URL()

	// The collector as it runs: client id greenpulse-collector, a
	// persistent session.
	colOpts := login(url, CollectorUser, st.Collector.Password)
	col, err := dialAs(t, colOpts, CollectorUser, false)
	if err != nil {
		t.Fatalf("connect the collector: %v", err)
	}
	seen := make(chan mqtt.Message, 100)
	subscribe(t, col, "greenpulse/#", seen)
	// Agent B as it runs (its agent.yaml's default client id).
	agentB, err := dialAs(t, login(url, b, st.Facilities[b].Password), "greenpulse-agent-"+b, false)
	if err != nil {
		t.Fatalf("connect %s: %v", b, err)
	}

	for _, id := range []string{CollectorUser, "greenpulse-agent-" + b, b} {
		rogue, err := dialAs(t, login(url, a, st.Facilities[a].Password), id, true)
		if err != nil {
			t.Fatalf("%s with client id %q: %v", a, id, err)
		}
		// Give the broker time to (wrongly) kick the other client.
		time.Sleep(500 * time.Millisecond)
		if !col.IsConnectionOpen() {
			t.Fatalf("%s connecting with client id %q disconnected the collector", a, id)
		}
		if !agentB.IsConnectionOpen() {
			t.Fatalf("%s connecting with client id %q disconnected %s", a, id, b)
		}
		payload := "after " + id
		wait(t, rogue.Publish("greenpulse/"+a+"/energy", 1, false, payload), "publish")
		until(t, seen, "greenpulse/"+a+"/energy", payload)
		wait(t, agentB.Publish("greenpulse/"+b+"/energy", 1, false, payload), "publish")
		until(t, seen, "greenpulse/"+b+"/energy", payload)
		rogue.Disconnect(100)
	}
}

func tlsConfig(t *testing.T, caFile, certFile, keyFile string) *tls.Config {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(readFile(t, caFile)) {
		t.Fatalf("%s: no certificate", caFile)
	}
	c := &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	if certFile != "" {
		pair, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			t.Fatal(err)
		}
		c.Certificates = []tls.Certificate{pair}
	}
	return c
}
