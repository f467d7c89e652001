// Package config loads and validates the collector's YAML configuration.
// Unknown keys are errors, every option has a default, secrets can come from
// the environment, and Validate names the key at fault before any network
// I/O happens.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/dhis2/catalog"
	"github.com/greenpulse-health/greenpulse/collector/partition"
	"github.com/greenpulse-health/greenpulse/internal/logconf"
	"github.com/greenpulse-health/greenpulse/internal/mqttconn"
	"github.com/greenpulse-health/greenpulse/internal/yamlfile"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Environment variables that override secrets in the file, so that the file
// can be committed or shared without them.
const (
	EnvInfluxToken  = "GREENPULSE_INFLUXDB_TOKEN"
	EnvAdminToken   = "GREENPULSE_ADMIN_TOKEN"
	EnvMQTTPassword = "GREENPULSE_MQTT_PASSWORD"
)

// Config is the collector's whole configuration.
type Config struct {
	Log      logconf.Config `yaml:"log"`
	HTTP     HTTP           `yaml:"http"`
	MQTT     MQTT           `yaml:"mqtt"`
	InfluxDB InfluxDB       `yaml:"influxdb"`
	Ingest   Ingest         `yaml:"ingest"`
	Rollup   Rollup         `yaml:"rollup"`
	DHIS2    DHIS2          `yaml:"dhis2"`
	Alerts   Alerts         `yaml:"alerts"`
	Access   Access         `yaml:"access"`
	Events   Events         `yaml:"events"`
	Registry string         `yaml:"registry"`
	// MemoryLimitMB is the Go runtime's soft memory limit in MiB (0: none).
	// Below it the garbage collector runs only as often as throughput needs;
	// near it, it works harder instead of letting the heap grow, which keeps
	// a busy collector small on a shared host. GOMEMLIMIT, when set, wins.
	MemoryLimitMB int `yaml:"memory_limit_mb"`
}

// HTTP configures the collector's HTTP server.
type HTTP struct {
	Listen string `yaml:"listen"`
	// PProf serves Go's profiler under /debug/pprof/ for diagnosing CPU or
	// memory use; off by default because profiles reveal internals.
	PProf bool `yaml:"pprof"`
	// AdminToken guards operator actions such as POST /api/v1/rollup
	// (Authorization: Bearer <token>); empty turns them off.
	AdminToken string `yaml:"admin_token"`
	// DashboardDir serves the dashboard from this folder instead of the
	// copy built into the binary: for working on the dashboard (edit,
	// reload) or for a site's own version of it. Empty: the built-in one.
	DashboardDir string `yaml:"dashboard_dir"`
	// TLSCertFile and TLSKeyFile (PEM) make the listener speak HTTPS.
	TLSCertFile string `yaml:"tls_cert_file"`
	TLSKeyFile  string `yaml:"tls_key_file"`
}

// MQTT configures the broker connection and subscription: the keys the
// agent has too, and how collectors share the facilities: a shared
// subscription group (brokers with $share), or a partition of them.
type MQTT struct {
	mqttconn.Config `yaml:",inline"`
	SharedGroup     string              `yaml:"shared_group"`
	Partition       partition.Partition `yaml:"partition"`
}

// InfluxDB configures the database connection and buckets.
type InfluxDB struct {
	URL             string        `yaml:"url"`
	Token           string        `yaml:"token"`
	Org             string        `yaml:"org"`
	Bucket          string        `yaml:"bucket"`
	IndicatorBucket string        `yaml:"indicator_bucket"`
	Timeout         time.Duration `yaml:"timeout"`
	CreateBuckets   bool          `yaml:"create_buckets"`
}

// Ingest tunes validation, batching and retries.
type Ingest struct {
	MaxPayloadBytes int           `yaml:"max_payload_bytes"`
	MaxFuture       time.Duration `yaml:"max_future"`
	BatchPoints     int           `yaml:"batch_points"`
	BatchMessages   int           `yaml:"batch_messages"`
	FlushInterval   time.Duration `yaml:"flush_interval"`
	IdleFlush       time.Duration `yaml:"idle_flush"`
	Writers         int           `yaml:"writers"`
	QueueMessages   int           `yaml:"queue_messages"`
	RetryInitial    time.Duration `yaml:"retry_initial"`
	RetryMax        time.Duration `yaml:"retry_max"`
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
}

// Limits returns the reading limits of the ingest section.
func (i Ingest) Limits() reading.Limits { return reading.Limits{MaxFuture: i.MaxFuture} }

// Default returns the configuration used for every key the file leaves out:
// SPEC's defaults, working as-is against the dev stack.
func Default() Config {
	return Config{
		Log:  logconf.Default(),
		HTTP: HTTP{Listen: "127.0.0.1:8080"},
		MQTT: MQTT{Config: mqttconn.Config{
			Broker:               "tcp://127.0.0.1:1883",
			ClientID:             "greenpulse-collector",
			TopicRoot:            "greenpulse",
			KeepAlive:            30 * time.Second,
			ConnectTimeout:       10 * time.Second,
			MaxReconnectInterval: 30 * time.Second,
		}, Partition: partition.Partition{Method: partition.FacilityFilters}},
		InfluxDB: InfluxDB{
			URL:             "http://127.0.0.1:8086",
			Org:             "greenpulse",
			Bucket:          "greenpulse",
			IndicatorBucket: "greenpulse_indicators",
			Timeout:         10 * time.Second,
			CreateBuckets:   true,
		},
		Ingest: Ingest{
			MaxPayloadBytes: 1 << 20,
			MaxFuture:       10 * time.Minute,
			BatchPoints:     5000,
			BatchMessages:   2000,
			FlushInterval:   100 * time.Millisecond,
			IdleFlush:       10 * time.Millisecond,
			Writers:         3,
			QueueMessages:   4200,
			RetryInitial:    500 * time.Millisecond,
			RetryMax:        30 * time.Second,
			ShutdownTimeout: 15 * time.Second,
		},
		Rollup:        DefaultRollup(),
		DHIS2:         DefaultDHIS2(catalog.DefaultDataSet()),
		Alerts:        DefaultAlerts(),
		Access:        DefaultAccess(),
		Events:        DefaultEvents(),
		Registry:      "facilities.csv",
		MemoryLimitMB: 45,
	}
}

// Load reads the file at path over the defaults, applies the environment
// overrides, resolves the registry path against the file's folder and
// validates the result.
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
	// (the TLS ones must exist).
	yamlfile.Resolve(path, &cfg.Registry, &cfg.Rollup.StateFile, &cfg.DHIS2.PushLog, &cfg.Alerts.StateFile,
		&cfg.Access.UsersFile, &cfg.HTTP.TLSCertFile, &cfg.HTTP.TLSKeyFile,
		&cfg.MQTT.TLS.CAFile, &cfg.MQTT.TLS.CertFile, &cfg.MQTT.TLS.KeyFile)
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes YAML over the defaults, applies the environment overrides and
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
	if v := os.Getenv(EnvAdminToken); v != "" {
		cfg.HTTP.AdminToken = v
	}
	if v := os.Getenv(EnvInfluxToken); v != "" {
		cfg.InfluxDB.Token = v
	}
	if v := os.Getenv(EnvMQTTPassword); v != "" {
		cfg.MQTT.Password = v
	}
	if v := os.Getenv(EnvDHIS2Token); v != "" {
		cfg.DHIS2.Token = v
	}
	if v := os.Getenv(EnvDHIS2Password); v != "" {
		cfg.DHIS2.Password = v
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

	if err := c.Log.Validate("log"); err != nil {
		errs = append(errs, err)
	}
	if _, _, err := net.SplitHostPort(c.HTTP.Listen); err != nil {
		bad("http.listen", "want host:port such as 127.0.0.1:8080: %v", err)
	}

	if err := c.MQTT.Config.Validate("mqtt"); err != nil {
		errs = append(errs, err)
	}
	if c.MQTT.ClientID == "" {
		// A fixed id is what makes the broker keep our session and queue
		// messages while we are away.
		bad("mqtt.client_id", "required: the broker keeps the session of this id while the collector is down")
	}
	if c.MQTT.SharedGroup != "" && !reading.ValidName(c.MQTT.SharedGroup) {
		bad("mqtt.shared_group", "%q must be 1-64 letters, digits, '_' or '-'", c.MQTT.SharedGroup)
	}
	if c.MQTT.SharedGroup != "" && c.Alerts.Enabled {
		// Each collector of a shared group receives a share of the
		// messages and keeps alerts of its own: its silent agents would be
		// the other's, its counts a fraction, and the collectors would
		// overwrite each other's retained alert lists.
		bad("alerts.enabled", "facility alerts need every facility's messages in one collector; with mqtt.shared_group %q "+
			"each collector receives only a share, so set alerts.enabled: false in a shared group", c.MQTT.SharedGroup)
	}
	errs = append(errs, c.MQTT.Partition.Validate("mqtt.partition")...)
	if p := c.MQTT.Partition; p.Enabled() {
		if c.MQTT.SharedGroup != "" {
			bad("mqtt.partition", "a partition and mqtt.shared_group %q are two ways of sharing the load: use one", c.MQTT.SharedGroup)
		}
		// The roll-up and the DHIS2 push read every facility from
		// InfluxDB: one collector does them for all, or each would do the
		// whole work again and push DHIS2 the same values n times.
		if p.Index != 0 && c.Rollup.Enabled {
			bad("rollup.enabled", "only partition 0's collector rolls up every facility; set rollup.enabled: false on collector %d of %d", p.Index, p.Count)
		}
		if p.Index != 0 && c.DHIS2.Enabled {
			bad("dhis2.enabled", "only partition 0's collector pushes to DHIS2; set dhis2.enabled: false on collector %d of %d", p.Index, p.Count)
		}
	}

	if u, err := url.Parse(c.InfluxDB.URL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		bad("influxdb.url", "want a URL such as http://127.0.0.1:8086, got %q", c.InfluxDB.URL)
	}
	if c.InfluxDB.Bucket == "" {
		bad("influxdb.bucket", "required")
	}
	if c.InfluxDB.IndicatorBucket == "" || c.InfluxDB.IndicatorBucket == c.InfluxDB.Bucket {
		bad("influxdb.indicator_bucket", "required, and not the raw bucket %q", c.InfluxDB.Bucket)
	}
	positive("influxdb.timeout", c.InfluxDB.Timeout)

	in := c.Ingest
	if in.MaxPayloadBytes < 1024 {
		bad("ingest.max_payload_bytes", "must be at least 1024, got %d", in.MaxPayloadBytes)
	}
	positive("ingest.max_future", in.MaxFuture)
	if in.BatchPoints < 1 {
		bad("ingest.batch_points", "must be at least 1, got %d", in.BatchPoints)
	}
	if in.BatchMessages < 1 {
		bad("ingest.batch_messages", "must be at least 1, got %d", in.BatchMessages)
	}
	if in.QueueMessages < in.BatchMessages {
		bad("ingest.queue_messages", "must be at least batch_messages (%d), got %d", in.BatchMessages, in.QueueMessages)
	}
	positive("ingest.flush_interval", in.FlushInterval)
	if in.IdleFlush <= 0 || in.IdleFlush > in.FlushInterval {
		bad("ingest.idle_flush", "must be positive and at most flush_interval (%s), got %s", in.FlushInterval, in.IdleFlush)
	}
	if in.Writers < 1 || in.Writers > 16 {
		bad("ingest.writers", "must be 1 to 16, got %d", in.Writers)
	}
	positive("ingest.retry_initial", in.RetryInitial)
	if in.RetryMax < in.RetryInitial {
		bad("ingest.retry_max", "must be at least retry_initial (%s), got %s", in.RetryInitial, in.RetryMax)
	}
	positive("ingest.shutdown_timeout", in.ShutdownTimeout)

	c.Rollup.validate(bad)
	c.DHIS2.validate(bad)
	c.Alerts.validate(bad)
	c.validateAccess(bad)
	c.Events.validate(bad)
	if c.MemoryLimitMB != 0 && c.MemoryLimitMB < 16 {
		bad("memory_limit_mb", "must be 0 (no limit) or at least 16, got %d", c.MemoryLimitMB)
	}
	if c.Registry == "" {
		bad("registry", "required: the facility registry CSV")
	}
	return errors.Join(errs...)
}

// LooseSecrets returns the keys of the file at path that hold a secret
// (a token or password) while the file may be read by other users than
// its owner: such a file should be mode 0600, or the secrets should come
// from the environment. It reads the file as written, without the
// environment's overrides.
func LooseSecrets(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if info.Mode().Perm()&0o077 == 0 {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	cfg := Default()
	if err := yamlfile.Decode(data, &cfg); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	var keys []string
	for key, v := range map[string]string{
		"influxdb.token": cfg.InfluxDB.Token, "mqtt.password": cfg.MQTT.Password, "http.admin_token": cfg.HTTP.AdminToken,
		"dhis2.token": cfg.DHIS2.Token, "dhis2.password": cfg.DHIS2.Password,
	} {
		if v != "" {
			keys = append(keys, key)
		}
	}
	if cfg.Alerts.Webhook.URL != "" {
		// Chat bots' webhook URLs carry their token in the path.
		keys = append(keys, "alerts.webhook.url (a chat bot's URL holds its token)")
	}
	for i, raw := range cfg.Alerts.Alertmanager.URLs {
		if u, err := url.Parse(raw); err == nil && u.User != nil {
			if _, set := u.User.Password(); set {
				keys = append(keys, fmt.Sprintf("alerts.alertmanager.urls[%d] (its password)", i))
			}
		}
	}
	slices.Sort(keys)
	return keys, nil
}
