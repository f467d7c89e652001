// Package mqttconn holds what the agent's and the collector's broker
// connections share: the keys of their mqtt sections, their validation,
// and the paho client options that follow from them. Each side adds its
// own keys and options (the agent's acknowledgement timeout and will, the
// collector's persistent session and shared subscription).
package mqttconn

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/internal/mqtttls"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Config is the common part of an mqtt section. Embed it with
// `yaml:",inline"`.
type Config struct {
	Broker string `yaml:"broker"`
	// Brokers, when given, replaces Broker: the nodes of a clustered
	// broker (or a standby), tried in order at every connect and
	// reconnect, so that a node that is down is passed over for the next.
	// List the nearest node first; spread clients by listing the nodes in
	// a different order for each.
	Brokers              []string       `yaml:"brokers"`
	ClientID             string         `yaml:"client_id"`
	Username             string         `yaml:"username"`
	Password             string         `yaml:"password"`
	TopicRoot            string         `yaml:"topic_root"`
	KeepAlive            time.Duration  `yaml:"keepalive"`
	ConnectTimeout       time.Duration  `yaml:"connect_timeout"`
	MaxReconnectInterval time.Duration  `yaml:"max_reconnect_interval"`
	TLS                  mqtttls.Config `yaml:"tls"`
}

// schemes are the broker URL schemes paho dials (no WebSocket: the
// collector opens the connection itself to buffer it).
var schemes = []string{"tcp", "mqtt", "ssl", "tls", "mqtts"}

// Validate checks the keys, naming each under prefix (such as "mqtt").
func (c Config) Validate(prefix string) error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: "+format, append([]any{prefix, key}, args...)...))
	}
	checkURL := func(key, raw string) {
		if u, err := url.Parse(raw); err != nil || u.Host == "" {
			bad(key, "want a URL such as tcp://127.0.0.1:1883, got %q", raw)
		} else if !slices.Contains(schemes, u.Scheme) {
			bad(key, "scheme %q is not one of tcp, mqtt, ssl, tls, mqtts", u.Scheme)
		}
	}
	if len(c.Brokers) == 0 {
		checkURL("broker", c.Broker)
	}
	for i, b := range c.Brokers {
		checkURL(fmt.Sprintf("brokers[%d]", i), b)
		if slices.Index(c.Brokers, b) < i {
			bad(fmt.Sprintf("brokers[%d]", i), "%q is listed twice", b)
		}
	}
	if !reading.ValidName(c.TopicRoot) {
		bad("topic_root", "%q must be 1-64 letters, digits, '_' or '-'", c.TopicRoot)
	}
	for _, d := range []struct {
		key string
		v   time.Duration
	}{{"keepalive", c.KeepAlive}, {"connect_timeout", c.ConnectTimeout}, {"max_reconnect_interval", c.MaxReconnectInterval}} {
		if d.v <= 0 {
			bad(d.key, "must be a positive duration such as 30s, got %s", d.v)
		}
	}
	if err := c.TLS.Validate(prefix + ".tls"); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// URLs are the broker URLs in the order they are tried: Brokers, or
// Broker alone.
func (c Config) URLs() []string {
	if len(c.Brokers) > 0 {
		return slices.Clone(c.Brokers)
	}
	return []string{c.Broker}
}

// Servers names the brokers for logs and errors: one URL, or the list
// joined with commas, with any password in a URL shown as xxxxx.
func (c Config) Servers() string {
	urls := c.URLs()
	for i, raw := range urls {
		if u, err := url.Parse(raw); err == nil {
			urls[i] = u.Redacted()
		}
	}
	return strings.Join(urls, ",")
}

// ClientOptions are the paho options both sides set alike: broker, id,
// login, keepalive, timeouts, reconnection and TLS.
func (c Config) ClientOptions() (*mqtt.ClientOptions, error) {
	opts := mqtt.NewClientOptions()
	for _, u := range c.URLs() {
		opts.AddBroker(u)
	}
	opts.SetClientID(c.ClientID).
		SetUsername(c.Username).
		SetPassword(c.Password).
		SetKeepAlive(c.KeepAlive).
		SetConnectTimeout(c.ConnectTimeout).
		SetAutoReconnect(true).
		SetMaxReconnectInterval(c.MaxReconnectInterval)
	tlsCfg, err := c.TLS.Build()
	if err != nil {
		return nil, err
	}
	if tlsCfg != nil {
		opts.SetTLSConfig(tlsCfg)
	}
	return opts, nil
}
