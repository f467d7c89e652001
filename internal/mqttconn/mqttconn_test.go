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
