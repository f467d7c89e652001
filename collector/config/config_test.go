package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEmptyFileIsDefaults(t *testing.T) {
	cfg, err := Parse(nil)
	if err != nil {
		t.Fatalf("Parse(empty): %v", err)
	}
	if cfg.HTTP.Listen != "127.0.0.1:8080" || cfg.MQTT.Broker != "tcp://127.0.0.1:1883" ||
		cfg.InfluxDB.URL != "http://127.0.0.1:8086" || cfg.MQTT.TopicRoot != "greenpulse" {
		t.Errorf("defaults differ from SPEC: %+v", cfg)
	}
}

func TestValidationNamesTheKey(t *testing.T) {
	tests := []struct {
		yaml string
		key  string
	}{
		{"log: {level: loud}", "log.level"},
		{"http: {listen: 8080}", "http.listen"},
		{"mqtt: {broker: '127.0.0.1:1883'}", "mqtt.broker"},
		{"mqtt: {client_id: ''}", "mqtt.client_id"},
		{"mqtt: {topic_root: 'a/b'}", "mqtt.topic_root"},
		{"mqtt: {keepalive: 0s}", "mqtt.keepalive"},
		{"mqtt: {tls: {cert_file: /nonexistent}}", "mqtt.tls"},
		{"influxdb: {url: 'localhost:8086'}", "influxdb.url"},
		{"influxdb: {indicator_bucket: greenpulse}", "influxdb.indicator_bucket"},
		{"ingest: {batch_points: 0}", "ingest.batch_points"},
		{"ingest: {queue_messages: 10, batch_messages: 100}", "ingest.queue_messages"},
		{"ingest: {retry_initial: 10s, retry_max: 1s}", "ingest.retry_max"},
		{"registry: ''", "registry"},
		{"memory_limit_mb: 8", "memory_limit_mb"},
		{"rollup: {timezone: Mars/Olympus}", "rollup.timezone"},
		{"rollup: {timezone: Local}", `rollup.timezone: "Local" is the host's zone, which browsers cannot name: give an IANA timezone name such as Asia/Baghdad`},
		{"rollup: {timezone: ''}", "rollup.timezone: required: an IANA timezone name such as Asia/Baghdad"},
		{"rollup: {safe_treatments: [burning]}", "rollup.safe_treatments"},
		{"rollup: {factors: {grid_kg_per_kwh: {value: 0.5}}}", "rollup.factors.grid_kg_per_kwh: give its source and year"},
		{"rollup: {factors: {grid_kg_per_kwh: {value: 0.5, source: x, year: 2024, sorce: y}}}", "field sorce not found in a factor"},
		{"mqtt: {brokr: tcp://x:1}", "brokr"},
		{"mqtt: {brokers: [tcp://a:1883, 'b:1883']}", "mqtt.brokers[1]: want a URL"},
		{"mqtt: {partition: {count: 3, index: 3}}", "mqtt.partition.index: must be 0 to count-1 (2), got 3"},
		{"mqtt: {partition: {count: 3, method: share}}", "mqtt.partition.method"},
		{"mqtt: {shared_group: g, partition: {count: 3}}\nalerts: {enabled: false}", "mqtt.partition: a partition and mqtt.shared_group"},
		{"mqtt: {partition: {count: 3, index: 1}}", "rollup.enabled: only partition 0's collector rolls up every facility; set rollup.enabled: false on collector 1 of 3"},
		{"mqtt: {partition: {count: 3, index: 2}}\nrollup: {enabled: false}\ndhis2: {enabled: true, url: 'https://d.example.org', token: t}", "dhis2.enabled: only partition 0's collector pushes to DHIS2"},
		{"ingest: {flush_interval: soon}", "line 1: cannot unmarshal !!str `soon` into time.Duration"},
		{"dhis2: {enabled: true}", "dhis2.url: required when dhis2.enabled is true"},
		{"dhis2: {url: 'dhis2.example.org', token: t}", "dhis2.url: want an address"},
		{"dhis2: {url: 'https://admin:pw@dhis2.example.org', token: t}", "dhis2.url: must not hold a username or password"},
		{"dhis2: {url: 'admin:s3cret@dhis2.example.org', token: t}", `dhis2.url: want an address such as https://dhis2.moh.gov.iq, got "…@dhis2.example.org"`},
		{"dhis2: {url: 'https://dhis2.example.org'}", "dhis2.token: required"},
		{"dhis2: {url: 'https://dhis2.example.org', username: gp}", "dhis2.password: required with dhis2.username"},
		{"dhis2: {data_set: monthly}", "dhis2.data_set: want a DHIS2 UID"},
		{"dhis2: {org_unit_id_scheme: name}", "dhis2.org_unit_id_scheme"},
		{"dhis2: {org_unit_id_scheme: 'attribute:heramsid'}", "dhis2.org_unit_id_scheme"},
		{"dhis2: {data_element_id_scheme: name}", "dhis2.data_element_id_scheme"},
		{"dhis2: {data_elements: {solar_kw: AbCdEfGhIjK}}", "dhis2.data_elements.solar_kw: is not a pushed quantity"},
		{"dhis2: {data_elements: {solar_kwh: GP_SOLAR}}", "dhis2.data_elements.solar_kwh: want a DHIS2 UID"},
		{"dhis2: {schedule: ['at 2am']}", "dhis2.schedule[0]"},
		{"dhis2: {chunk_size: 0}", "dhis2.chunk_size"},
		{"dhis2: {retries: -1}", "dhis2.retries"},
		{"dhis2: {timeout: 0s}", "dhis2.timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("Parse(%q) = %v, want an error naming %s", tt.yaml, err, tt.key)
			}
		})
	}
}

// TestLocationIsNamed checks that the roll-up zone has a name browsers
// know: the dashboard formats dates in the zone /api/v1/areas names.
func TestLocationIsNamed(t *testing.T) {
	for _, tc := range []struct{ zone, want string }{
		{"Asia/Baghdad", "Asia/Baghdad"},
		{"UTC", "UTC"},
		{"Local", ""},
		{"", ""},
		{"Mars/Olympus", ""},
	} {
		loc, err := Rollup{Timezone: tc.zone}.Location()
		switch {
		case tc.want == "" && (err == nil || !strings.HasPrefix(err.Error(), "rollup.timezone: ")):
			t.Errorf("Location(%q) = %v, %v; want an error naming rollup.timezone", tc.zone, loc, err)
		case tc.want != "" && (err != nil || loc.String() != tc.want):
			t.Errorf("Location(%q) = %v, %v; want %s", tc.zone, loc, err, tc.want)
		}
	}
}

func TestEnvironmentOverridesSecrets(t *testing.T) {
	t.Setenv(EnvInfluxToken, "from-env")
	t.Setenv(EnvMQTTPassword, "pw-env")
	t.Setenv(EnvDHIS2Token, "d2pat_env")
	t.Setenv(EnvDHIS2Password, "dhis2-env")
	cfg, err := Parse([]byte("influxdb: {token: in-file}\nmqtt: {password: in-file}\ndhis2: {token: in-file, password: in-file}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.InfluxDB.Token != "from-env" || cfg.MQTT.Password != "pw-env" {
		t.Errorf("token %q password %q, want the environment's", cfg.InfluxDB.Token, cfg.MQTT.Password)
	}
	if cfg.DHIS2.Token != "d2pat_env" || cfg.DHIS2.Password != "dhis2-env" {
		t.Errorf("dhis2 token %q password %q, want the environment's", cfg.DHIS2.Token, cfg.DHIS2.Password)
	}
}

// TestShippedConfigLoads keeps configs/collector.yaml working as documented.
func TestShippedConfigLoads(t *testing.T) {
	path := filepath.Join("..", "..", "configs", "collector.yaml")
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	if cfg.Ingest.FlushInterval <= 0 || cfg.Ingest.FlushInterval > time.Second {
		t.Errorf("flush interval %s", cfg.Ingest.FlushInterval)
	}
	if _, err := os.Stat(cfg.Registry); err != nil {
		t.Errorf("registry %s: %v", cfg.Registry, err)
	}
}

func TestLooseSecrets(t *testing.T) {
	t.Setenv(EnvDHIS2Token, "from-env") // the file is judged as written
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name, body string
		mode       os.FileMode
		want       string
	}{
		{"readable with secrets", "dhis2: {token: d2pat_x}\nmqtt: {password: pw}\n", 0o644, "dhis2.token,mqtt.password"},
		{"private with secrets", "dhis2: {token: d2pat_x}\n", 0o600, ""},
		{"readable without secrets", "log: {level: info}\n", 0o644, ""},
		{"an Alertmanager URL with a password", "alerts: {alertmanager: {urls: ['http://am:9093', 'https://gp:s3cret@am2:9093']}}\n", 0o644,
			"alerts.alertmanager.urls[1] (its password)"},
		{"an Alertmanager URL with a user only", "alerts: {alertmanager: {urls: ['https://gp@am2:9093']}}\n", 0o644, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := LooseSecrets(write(strings.ReplaceAll(tt.name, " ", "-")+".yaml", tt.body, tt.mode))
			if err != nil || strings.Join(keys, ",") != tt.want {
				t.Errorf("LooseSecrets = %v, %v; want %q", keys, err, tt.want)
			}
		})
	}
}

// TestTLSPathsAreTheConfigFiles: the collector's client certificate
// beside its config loads from any working directory.
func TestTLSPathsAreTheConfigFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"ca.crt", "collector.crt", "collector.key"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "collector.yaml")
	yaml := "mqtt:\n  broker: ssl://127.0.0.1:8883\n  tls: {ca_file: ca.crt, cert_file: collector.crt, key_file: collector.key}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load from another folder: %v", err)
	}
	if want := filepath.Join(dir, "collector.crt"); cfg.MQTT.TLS.CertFile != want {
		t.Errorf("cert_file = %q, want %q", cfg.MQTT.TLS.CertFile, want)
	}
}
