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
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/internal/mqtttls"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Config is the common part of an mqtt section. Embed it with
// `yaml:",inline"`.
type Config struct {
	Broker               string         `yaml:"broker"`
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
	if u, err := url.Parse(c.Broker); err != nil || u.Host == "" {
		bad("broker", "want a URL such as tcp://127.0.0.1:1883, got %q", c.Broker)
	} else if !slices.Contains(schemes, u.Scheme) {
		bad("broker", "scheme %q is not one of tcp, mqtt, ssl, tls, mqtts", u.Scheme)
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

// ClientOptions are the paho options both sides set alike: broker, id,
// login, keepalive, timeouts, reconnection and TLS.
func (c Config) ClientOptions() (*mqtt.ClientOptions, error) {
	opts := mqtt.NewClientOptions().
		AddBroker(c.Broker).
		SetClientID(c.ClientID).
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
