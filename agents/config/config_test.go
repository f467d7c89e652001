package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestValidationNamesTheKey(t *testing.T) {
	tests := []struct {
		yaml, key string
	}{
		{"log: {level: loud}", "facility"}, // facility missing is reported too
		{"facility: 'BG H'", "facility"},
		{"facility: F\nhttp: {listen: 8081}", "http.listen"},
		{"facility: F\nhttp: {password: short}", "http.password"},
		{"facility: F\nmqtt: {broker: 'x:1'}", "mqtt.broker"},
		{"facility: F\nmqtt: {broker: 'ws://x:1'}", "mqtt.broker"},
		{"facility: F\nmqtt: {ack_timeout: 0s}", "mqtt.ack_timeout"},
		{"facility: F\nmqtt: {tls: {ca_file: /nonexistent}}", "mqtt.tls.ca_file"},
		{"facility: F\noutbox: {max_bytes: 100}", "outbox.max_bytes"},
		{"facility: F\noutbox: {dir: ''}", "outbox.dir"},
		{"facility: F\npublish: {max_message_bytes: 2000000}", "publish.max_message_bytes"},
		{"facility: F\npublish: {in_flight: 0}", "publish.in_flight"},
		{"facility: F\nsources: {simulate: {enabled: false}, manual: {enabled: false}}", "sources"},
		{"facility: F\nsources: {simulate: {enabled: true, interval: 0s}}", "sources.simulate.interval"},
		{"facility: F\nsource: {}", "field source not found"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("error %v does not name %q", err, tt.key)
			}
		})
	}
}

func TestDefaultsAndEnvironment(t *testing.T) {
	t.Setenv(EnvMQTTPassword, "s3cret")
	t.Setenv(EnvHTTPPassword, "page-s3cret")
	cfg, err := Parse([]byte("facility: BG-H-001\nhttp: {password: from-the-file}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MQTT.ClientID != "greenpulse-agent-BG-H-001" || cfg.MQTT.Password != "s3cret" || cfg.Outbox.MaxBytes != 256<<20 {
		t.Errorf("defaults: %+v", cfg)
	}
	if cfg.HTTP.Password != "page-s3cret" {
		t.Errorf("http.password %q, want %s's", cfg.HTTP.Password, EnvHTTPPassword)
	}
	t.Setenv(EnvHTTPPassword, "")
	if cfg, err := Parse([]byte("facility: BG-H-001\nhttp: {password: from-the-file}\n")); err != nil || cfg.HTTP.Password != "from-the-file" {
		t.Errorf("http.password %q (%v), want the file's when the variable is empty", cfg.HTTP.Password, err)
	}
}

func TestShippedConfigLoads(t *testing.T) {
	path := filepath.Join("..", "..", "configs", "agent.yaml")
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("..", "..", "configs", "facilities.csv"); cfg.Sources.Simulate.Registry != want {
		t.Errorf("registry %q, want %q (relative to the file)", cfg.Sources.Simulate.Registry, want)
	}
	def := Default()
	def.Facility = cfg.Facility
	def.MQTT.ClientID = cfg.MQTT.ClientID
	def.Sources.Simulate.Enabled = cfg.Sources.Simulate.Enabled
	def.Outbox.Dir, def.Sources.Simulate.Registry = cfg.Outbox.Dir, cfg.Sources.Simulate.Registry
	if !reflect.DeepEqual(cfg, def) {
		t.Errorf("configs/agent.yaml departs from the defaults it documents:\n file %+v\n code %+v", cfg, def)
	}
}

// TestTLSPathsAreTheConfigFiles: a config copied with its certificates
// beside it (as greenpulse-registry provision writes them) loads from any
// working directory.
func TestTLSPathsAreTheConfigFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"ca.crt", "agent.crt", "agent.key"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "agent.yaml")
	yaml := "facility: BG-H-001\nmqtt:\n  broker: ssl://127.0.0.1:8883\n  tls: {ca_file: ca.crt, cert_file: agent.crt, key_file: agent.key}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	cfg, err := Load(path)
	if err != nil {
		t.Fatalf("Load from another folder: %v", err)
	}
	if want := filepath.Join(dir, "ca.crt"); cfg.MQTT.TLS.CAFile != want {
		t.Errorf("ca_file = %q, want %q", cfg.MQTT.TLS.CAFile, want)
	}
	if want := filepath.Join(dir, "agent.key"); cfg.MQTT.TLS.KeyFile != want {
		t.Errorf("key_file = %q, want %q", cfg.MQTT.TLS.KeyFile, want)
	}
}
