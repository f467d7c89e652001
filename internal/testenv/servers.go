package testenv

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Mosquitto is a broker process with persistence in its own folder. Stop and
// Start again keep the port and the persisted sessions, which is how tests
// simulate a broker restart. Methods are safe for concurrent use.
type Mosquitto struct {
	Port int
	Dir  string
	proc *process
}

// MosquittoPath finds the mosquitto binary: $GREENPULSE_MOSQUITTO, Debian's
// /usr/sbin, then PATH.
func MosquittoPath() (string, error) {
	return findBinary("mosquitto", "GREENPULSE_MOSQUITTO", "/usr/sbin", "/usr/local/sbin")
}

// NewMosquitto writes a broker configuration into dir for port. The limits
// are those of configs/mosquitto/mosquitto.conf that matter for delivery: a
// large inflight window and no queue limit for a persistent session.
func NewMosquitto(dir string, port int) (*Mosquitto, error) {
	bin, err := MosquittoPath()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create mosquitto dir: %w", err)
	}
	// Run as whoever runs the tests: started as root, Mosquitto would
	// otherwise switch to user mosquitto, which cannot write to dir, and
	// persistence would fail.
	conf := fmt.Sprintf(`user %s
listener %d 127.0.0.1
allow_anonymous true
persistence true
persistence_location %s/
autosave_interval 60
max_inflight_messages 1000
max_queued_messages 0
max_queued_bytes 0
log_dest file %s
log_type error
log_type warning
`, currentUser(), port, dir, filepath.Join(dir, "mosquitto.log"))
	confPath := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("write mosquitto config: %w", err)
	}
	return &Mosquitto{Port: port, Dir: dir, proc: &process{name: "mosquitto", bin: bin,
		args: []string{"-c", confPath}, logPath: filepath.Join(dir, "stderr.log")}}, nil
}

// URL is the broker's address for MQTT clients.
func (m *Mosquitto) URL() string { return fmt.Sprintf("tcp://127.0.0.1:%d", m.Port) }

// Start runs the broker and waits until it accepts connections.
func (m *Mosquitto) Start(ctx context.Context) error {
	if err := m.proc.start(); err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", m.Port)
	return m.proc.waitUntil(ctx, 15*time.Second, func() error { return dialable(addr) })
}

// Stop ends the broker with SIGTERM, which makes it save its sessions.
func (m *Mosquitto) Stop() error { return m.proc.signal(syscall.SIGTERM, 15*time.Second) }

// Kill ends the broker with SIGKILL.
func (m *Mosquitto) Kill() error { return m.proc.signal(syscall.SIGKILL, 5*time.Second) }

// InfluxDB is an InfluxDB 1.8 process with Flux and the /api/v2
// compatibility endpoints on, authentication off, and its data in its own
// folder. Stop and Start again keep the port and the data. Methods are safe
// for concurrent use.
type InfluxDB struct {
	Port int
	Dir  string
	proc *process
}

// InfluxdPath finds influxd 1.8: $GREENPULSE_INFLUXD, the cache that
// scripts/install-deps.sh fills, GOPATH/bin, then PATH.
func InfluxdPath() (string, error) {
	cache := os.Getenv("GREENPULSE_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "greenpulse")
	}
	dirs := []string{filepath.Join(cache, "bin")}
	if gp := os.Getenv("GOPATH"); gp != "" {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	if home, err := os.UserHomeDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	return findBinary("influxd", "GREENPULSE_INFLUXD", dirs...)
}

// NewInfluxDB writes an influxd configuration into dir for the HTTP port,
// with the RPC service on another free port.
func NewInfluxDB(dir string, port int) (*InfluxDB, error) {
	bin, err := InfluxdPath()
	if err != nil {
		return nil, err
	}
	rpc, err := FreePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create influxdb dir: %w", err)
	}
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = "127.0.0.1:%d"
[meta]
  dir = %q
[data]
  dir = %q
  wal-dir = %q
  wal-fsync-delay = "0s"
  query-log-enabled = false
[coordinator]
  log-queries-after = "0s"
[http]
  bind-address = "127.0.0.1:%d"
  auth-enabled = false
  flux-enabled = true
  log-enabled = false
  max-body-size = 0
[logging]
  level = "warn"
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
[subscriber]
  enabled = false
`, rpc, filepath.Join(dir, "meta"), filepath.Join(dir, "data"), filepath.Join(dir, "wal"), port)
	confPath := filepath.Join(dir, "influxdb.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("write influxdb config: %w", err)
	}
	return &InfluxDB{Port: port, Dir: dir, proc: &process{name: "influxd", bin: bin,
		args: []string{"-config", confPath}, logPath: filepath.Join(dir, "influxd.log")}}, nil
}

// URL is the HTTP API's address.
func (i *InfluxDB) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", i.Port) }

// Start runs influxd and waits until /ping answers 204.
func (i *InfluxDB) Start(ctx context.Context) error {
	if err := i.proc.start(); err != nil {
		return err
	}
	client := &http.Client{Timeout: time.Second}
	return i.proc.waitUntil(ctx, 60*time.Second, func() error {
		resp, err := client.Get(i.URL() + "/ping")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			return fmt.Errorf("ping: HTTP %d", resp.StatusCode)
		}
		return nil
	})
}

// Stop ends influxd with SIGTERM.
func (i *InfluxDB) Stop() error { return i.proc.signal(syscall.SIGTERM, 30*time.Second) }

// Kill ends influxd with SIGKILL.
func (i *InfluxDB) Kill() error { return i.proc.signal(syscall.SIGKILL, 5*time.Second) }

// CreateDatabase creates a database; it is a no-op when it exists.
func (i *InfluxDB) CreateDatabase(ctx context.Context, name string) error {
	form := url.Values{"q": {fmt.Sprintf("CREATE DATABASE %q", name)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, i.URL()+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("create database %s: HTTP %d", name, resp.StatusCode)
	}
	return nil
}

// RequireIntegration skips the test under go test -short.
func RequireIntegration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts Mosquitto and InfluxDB (skipped with -short)")
	}
}

// StartMosquitto starts a broker for the test and stops it at the end.
func StartMosquitto(t testing.TB) *Mosquitto {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMosquitto(t.TempDir(), port)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Stop() })
	return m
}

// StartInfluxDB starts InfluxDB for the test and stops it at the end.
func StartInfluxDB(t testing.TB) *InfluxDB {
	t.Helper()
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	i, err := NewInfluxDB(t.TempDir(), port)
	if err != nil {
		t.Fatal(err)
	}
	if err := i.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = i.Stop() })
	return i
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "root"
}
