package mqttconn

import (
	"strings"
	"testing"
	"time"
)

func valid() Config {
	return Config{Broker: "tcp://127.0.0.1:1883", ClientID: "c", TopicRoot: "greenpulse",
		KeepAlive: 30 * time.Second, ConnectTimeout: 10 * time.Second, MaxReconnectInterval: time.Minute}
}

func TestValidateNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) {}, ""},
		{func(c *Config) { c.Broker = "127.0.0.1:1883" }, "mqtt.broker: want a URL"},
		{func(c *Config) { c.Broker = "ws://127.0.0.1:9001" }, `mqtt.broker: scheme "ws"`},
		{func(c *Config) { c.TopicRoot = "a/b" }, "mqtt.topic_root"},
		{func(c *Config) { c.KeepAlive = 0 }, "mqtt.keepalive"},
		{func(c *Config) { c.ConnectTimeout = -time.Second }, "mqtt.connect_timeout"},
		{func(c *Config) { c.MaxReconnectInterval = 0 }, "mqtt.max_reconnect_interval"},
		{func(c *Config) { c.TLS.CertFile = "x.pem" }, "mqtt.tls"},
		{func(c *Config) { c.Brokers = []string{"tcp://127.0.0.1:1884", "tcp://127.0.0.1:1885"} }, ""},
		// brokers replaces broker, so a bad broker beside a good list is not checked.
		{func(c *Config) { c.Broker = "nonsense"; c.Brokers = []string{"tcp://127.0.0.1:1884"} }, ""},
		{func(c *Config) { c.Brokers = []string{"tcp://127.0.0.1:1884", "ws://127.0.0.1:9001"} }, `mqtt.brokers[1]: scheme "ws"`},
		{func(c *Config) { c.Brokers = []string{"127.0.0.1:1884"} }, "mqtt.brokers[0]: want a URL"},
		{func(c *Config) { c.Brokers = []string{"tcp://a:1", "tcp://b:1", "tcp://a:1"} }, `mqtt.brokers[2]: "tcp://a:1" is listed twice`},
	} {
		c := valid()
		tc.change(&c)
		err := c.Validate("mqtt")
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: got %v, want %q", c, err, tc.want)
		}
	}
}

func TestClientOptions(t *testing.T) {
	c := valid()
	c.Username, c.Password = "u", "p"
	opts, err := c.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if len(opts.Servers) != 1 || opts.Servers[0].String() != c.Broker || opts.ClientID != "c" || opts.Username != "u" ||
		opts.Password != "p" || opts.KeepAlive != 30 || opts.ConnectTimeout != c.ConnectTimeout ||
		!opts.AutoReconnect || opts.MaxReconnectInterval != time.Minute || opts.TLSConfig != nil {
		t.Errorf("options %+v", opts)
	}
}

func TestSeveralBrokersAreTriedInOrder(t *testing.T) {
	c := valid()
	c.Brokers = []string{"tcp://127.0.0.1:1884", "ssl://127.0.0.1:8884", "tcp://127.0.0.1:1886"}
	opts, err := c.ClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range opts.Servers {
		got = append(got, u.String())
	}
	if strings.Join(got, " ") != strings.Join(c.Brokers, " ") {
		t.Errorf("servers %v, want %v", got, c.Brokers)
	}
	if c.Servers() != "tcp://127.0.0.1:1884,ssl://127.0.0.1:8884,tcp://127.0.0.1:1886" {
		t.Errorf("Servers() = %q", c.Servers())
	}
	withPassword := valid()
	withPassword.Brokers = []string{"tcp://u:s3cret@127.0.0.1:1884", "tcp://127.0.0.1:1885"}
	if got := withPassword.Servers(); strings.Contains(got, "s3cret") || got != "tcp://u:xxxxx@127.0.0.1:1884,tcp://127.0.0.1:1885" {
		t.Errorf("Servers() = %q: a password in a URL must not reach the logs", got)
	}
	if one := valid(); one.Servers() != one.Broker {
		t.Errorf("one broker: Servers() = %q", one.Servers())
	}
}
