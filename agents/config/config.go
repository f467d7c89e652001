// Package config loads and validates the facility agent's YAML
// configuration. Unknown keys are errors, every option has a default except
// the facility id, the MQTT and web page passwords can come from the
// environment, and
// Validate names the key at fault before any network I/O happens.
package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/internal/logconf"
	"github.com/greenpulse-health/greenpulse/internal/mqttconn"
	"github.com/greenpulse-health/greenpulse/internal/yamlfile"
	"github.com/greenpulse-health/greenpulse/reading"
)

// EnvMQTTPassword overrides mqtt.password, so the file can be shared
// without the secret.
const EnvMQTTPassword = "GREENPULSE_MQTT_PASSWORD"

// EnvHTTPPassword overrides http.password, the password of the waste entry
// page, for the same reason.
const EnvHTTPPassword = "GREENPULSE_AGENT_PASSWORD"

// MinPasswordLen is the shortest http.password accepted.
const MinPasswordLen = 8

// Config is the agent's whole configuration.
type Config struct {
	// Facility is this facility's id in the registry: the topic level the
	// agent publishes under.
	Facility string         `yaml:"facility"`
	Log      logconf.Config `yaml:"log"`
	HTTP     HTTP           `yaml:"http"`
	MQTT     MQTT           `yaml:"mqtt"`
	Outbox   Outbox         `yaml:"outbox"`
	Publish  Publish        `yaml:"publish"`
	Sources  Sources        `yaml:"sources"`
	Figures  Figures        `yaml:"figures"`
}

// HTTP configures the agent's web server: waste entry, /metrics, /healthz.
type HTTP struct {
	Listen string `yaml:"listen"`
	// Password guards the waste entry page and API (a login form, or
	// HTTP Basic or Bearer for tools); empty leaves them open to anyone
	// who can reach Listen. /metrics and /healthz are always open.
	Password string `yaml:"password"`
}

// MQTT configures the broker connection: the keys the collector has too,
// and how long a publish may wait for the broker.
type MQTT struct {
	mqttconn.Config `yaml:",inline"`
	AckTimeout      time.Duration `yaml:"ack_timeout"`
}

// Outbox configures the on-disk queue of readings not yet acknowledged.
type Outbox struct {
	Dir      string `yaml:"dir"`
	MaxBytes int64  `yaml:"max_bytes"`
}

// Publish tunes how the outbox is drained.
type Publish struct {
	MaxReadings     int           `yaml:"max_readings"`
	MaxMessageBytes int           `yaml:"max_message_bytes"`
	InFlight        int           `yaml:"in_flight"`
	StatusInterval  time.Duration `yaml:"status_interval"`
	RetryMax        time.Duration `yaml:"retry_max"`
}

// Sources lists the configured sources of readings.
type Sources struct {
	Simulate Simulate `yaml:"simulate"`
	Manual   Manual   `yaml:"manual"`
	Modbus   Modbus   `yaml:"modbus"`
}

// Simulate configures the simulated meters of this facility.
type Simulate struct {
	Enabled  bool          `yaml:"enabled"`
	Interval time.Duration `yaml:"interval"`
	Seed     int64         `yaml:"seed"`
	Registry string        `yaml:"registry"`
	// Streams limits the simulator to some of its streams (energy, solar,
	// waste), so that a facility whose meters are read over Modbus can
	// still have simulated waste in a demo. Empty: all of them.
	Streams []string `yaml:"streams"`
}

// Manual configures waste events and meter readings entered by people
// (log-waste, log-meter, web page).
type Manual struct {
	Enabled bool `yaml:"enabled"`
	// Meters bounds typed meter readings and says how engine hours and
	// tank levels become counters (agents/README.md, "Meter readings
	// typed by staff").
	Meters manual.MeterLimits `yaml:"meters"`
}

// Default returns the configuration used for every key the file leaves out.
func Default() Config {
	return Config{
		Log:  logconf.Default(),
		HTTP: HTTP{Listen: "127.0.0.1:8081"},
		MQTT: MQTT{
			Config: mqttconn.Config{
				Broker:               "tcp://127.0.0.1:1883",
				TopicRoot:            "greenpulse",
				KeepAlive:            30 * time.Second,
				ConnectTimeout:       10 * time.Second,
				MaxReconnectInterval: 2 * time.Minute,
			},
			AckTimeout: 30 * time.Second,
		},
		Outbox: Outbox{Dir: "outbox", MaxBytes: 256 << 20},
		Publish: Publish{
			MaxReadings:     500,
			MaxMessageBytes: 128 << 10,
			InFlight:        8,
			StatusInterval:  time.Minute,
			RetryMax:        time.Minute,
		},
		Sources: Sources{
			Simulate: Simulate{Interval: time.Minute, Seed: 1, Registry: "facilities.csv"},
			Manual:   Manual{Enabled: true},
		},
		Figures: DefaultFigures(),
	}
}

// Load reads the file at path over the defaults, applies the environment,
// resolves relative paths against the file's folder and validates.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	cfg, err := decode(data)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	// Paths are the config file's, before validation looks at the files
	// (the TLS ones must exist), so that a config copied to
	// /etc/greenpulse with its certificates beside it works from anywhere.
	yamlfile.Resolve(path, &cfg.Outbox.Dir, &cfg.Sources.Simulate.Registry,
		&cfg.MQTT.TLS.CAFile, &cfg.MQTT.TLS.CertFile, &cfg.MQTT.TLS.KeyFile)
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML over the defaults, applies the environment and
// validates.
func Parse(data []byte) (Config, error) {
	cfg, err := decode(data)
	if err != nil {
		return Config{}, err
	}
	return cfg, cfg.Validate()
}

// decode is Parse without the validation.
func decode(data []byte) (Config, error) {
	cfg := Default()
	if err := yamlfile.Decode(data, &cfg); err != nil {
		return Config{}, err
	}
	if v := os.Getenv(EnvMQTTPassword); v != "" {
		cfg.MQTT.Password = v
	}
	if v := os.Getenv(EnvHTTPPassword); v != "" {
		cfg.HTTP.Password = v
	}
	cfg.Sources.Modbus.Normalize()
	if cfg.MQTT.ClientID == "" && cfg.Facility != "" {
		cfg.MQTT.ClientID = "greenpulse-agent-" + cfg.Facility
	}
	return cfg, nil
}

// Validate checks every key and reports every problem, each naming its key.
func (c Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{key}, args...)...))
	}
	positive := func(key string, d time.Duration) {
		if d <= 0 {
			bad(key, "must be a positive duration such as 30s, got %s", d)
		}
	}
	if !reading.ValidName(c.Facility) {
		bad("facility", "required: this facility's registry id, 1-64 letters, digits, '_' or '-' (got %q)", c.Facility)
	}
	if err := c.Log.Validate("log"); err != nil {
		errs = append(errs, err)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		bad("http.listen", "want host:port such as 127.0.0.1:8081: %v", err)
	}
	if n := utf8.RuneCountInString(c.HTTP.Password); n > 0 && n < MinPasswordLen {
		bad("http.password", "must be at least %d characters, or empty for no password (got %d)", MinPasswordLen, n)
	}
	if err := c.MQTT.Config.Validate("mqtt"); err != nil {
		errs = append(errs, err)
	}
	positive("mqtt.ack_timeout", c.MQTT.AckTimeout)
	if c.Outbox.Dir == "" {
		bad("outbox.dir", "required: the folder that keeps unsent readings")
	}
	if c.Outbox.MaxBytes < 1<<20 {
		bad("outbox.max_bytes", "must be at least 1048576 (1 MiB), got %d", c.Outbox.MaxBytes)
	}
	p := c.Publish
	if p.MaxReadings < 1 || p.MaxReadings > 10000 {
		bad("publish.max_readings", "must be 1 to 10000, got %d", p.MaxReadings)
	}
	if p.MaxMessageBytes < 1024 || p.MaxMessageBytes > 1<<20 {
		bad("publish.max_message_bytes", "must be 1024 to 1048576 (the collector's default payload limit), got %d", p.MaxMessageBytes)
	}
	if p.InFlight < 1 || p.InFlight > 100 {
		bad("publish.in_flight", "must be 1 to 100, got %d", p.InFlight)
	}
	positive("publish.status_interval", p.StatusInterval)
	positive("publish.retry_max", p.RetryMax)
	s := c.Sources
	if !s.Simulate.Enabled && !s.Manual.Enabled && len(s.Modbus.Buses) == 0 {
		bad("sources", "enable at least one source (simulate, manual, modbus)")
	}
	if s.Simulate.Enabled {
		positive("sources.simulate.interval", s.Simulate.Interval)
		if s.Simulate.Registry == "" {
			bad("sources.simulate.registry", "required: the registry CSV that describes this facility")
		}
		for i, st := range s.Simulate.Streams {
			if !slices.Contains(reading.DataStreams(), reading.Stream(st)) {
				bad(fmt.Sprintf("sources.simulate.streams[%d]", i), "must be energy, solar or waste, got %q", st)
			}
		}
	}
	s.Modbus.validate(bad)
	if s.Simulate.Enabled {
		for _, st := range []reading.Stream{reading.Energy, reading.Solar} {
			if s.Modbus.feeds(st) && (len(s.Simulate.Streams) == 0 || slices.Contains(s.Simulate.Streams, string(st))) {
				bad("sources.simulate.streams", "the simulator and Modbus devices would both make %s readings, and two sources on one series make each counter look reset: list only the simulator's other streams, e.g. streams: [waste]", st)
			}
		}
	}
	if err := s.Manual.Meters.Validate("sources.manual.meters"); err != nil {
		errs = append(errs, err)
	}
	c.Figures.validate(bad)
	return errors.Join(errs...)
}
