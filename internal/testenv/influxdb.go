package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// InfluxDB is an InfluxDB 1.8 process with its HTTP API on 127.0.0.1:Port,
// Flux and the /api/v2 compatibility endpoints on, authentication off, and
// its configuration, data and log in Dir. Stop followed by Start keeps the
// port and the data, which is how tests simulate a database outage. Its
// methods are safe for concurrent use; Port and Dir must not be changed.
type InfluxDB struct {
	Port int
	Dir  string
	proc *process
	http *http.Client
}

// NewInfluxDB writes an influxd configuration for the HTTP port into dir
// (created if missing), with the RPC (backup) service on another free
// loopback port, and returns the database, not yet started.
func NewInfluxDB(dir string, port int) (*InfluxDB, error) {
	bin, err := InfluxdPath()
	if err != nil {
		return nil, err
	}
	rpc, err := FreePort()
	for err == nil && rpc == port {
		rpc, err = FreePort()
	}
	if err != nil {
		return nil, fmt.Errorf("choose influxdb rpc port: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create influxdb dir %q: %w", dir, err)
	}
	conf := fmt.Sprintf(`# Written by greenpulse internal/testenv for one test database.
reporting-disabled = true
bind-address = "127.0.0.1:%d"

[meta]
  dir = %q

[data]
  dir = %q
  wal-dir = %q
  # Every write is on disk when InfluxDB answers it, as the collector's
  # acknowledgements assume.
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
		return nil, fmt.Errorf("write influxdb config %q: %w", confPath, err)
	}
	outPath := filepath.Join(dir, "influxd.log")
	return &InfluxDB{Port: port, Dir: dir, http: &http.Client{Timeout: 30 * time.Second},
		proc: &process{
			name: "influxd",
			bin:  bin,
			args: []string{"-config", confPath},
			// influxd lets INFLUXDB_* variables override its config file;
			// a developer's settings must not move our ports or folders.
			env:      environWithout("INFLUXDB_"),
			addr:     fmt.Sprintf("127.0.0.1:%d", port),
			outPath:  outPath,
			logPaths: []string{outPath},
		}}, nil
}

// Pid returns influxd's process id, or 0 when it is not running.
func (i *InfluxDB) Pid() int { return i.proc.pid() }

// URL returns the HTTP API's address, http://127.0.0.1:<port>.
func (i *InfluxDB) URL() string { return fmt.Sprintf("http://127.0.0.1:%d", i.Port) }

// Start starts influxd and waits, for at most 30 s or until ctx ends, until
// GET /ping answers 204. It fails if another process already listens on the
// port. On failure influxd is killed and the error holds the end of its log.
func (i *InfluxDB) Start(ctx context.Context) error {
	ping := &http.Client{Timeout: time.Second}
	return i.proc.start(ctx, 30*time.Second, func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, i.URL()+"/ping", nil)
		if err != nil {
			return err
		}
		resp, err := ping.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			return fmt.Errorf("GET /ping: HTTP %d", resp.StatusCode)
		}
		return nil
	})
}

// Stop ends influxd with SIGTERM and waits until it has exited; after 30 s
// it is killed. Stopping an InfluxDB that is not running does nothing.
func (i *InfluxDB) Stop() error { return i.proc.stop(syscall.SIGTERM, 30*time.Second) }

// Kill ends influxd with SIGKILL, as a crash would. Acknowledged writes
// survive it: the WAL is fsynced before each write is answered.
func (i *InfluxDB) Kill() error { return i.proc.stop(syscall.SIGKILL, 10*time.Second) }

// CreateDatabase creates the database name with InfluxQL (POST /query
// CREATE DATABASE). It succeeds when the database already exists.
func (i *InfluxDB) CreateDatabase(ctx context.Context, name string) error {
	form := url.Values{"q": {"CREATE DATABASE " + quoteIdent(name)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, i.URL()+"/query", strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("create influxdb database %q: %w", name, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := i.http.Do(req)
	if err != nil {
		return fmt.Errorf("create influxdb database %q: %w", name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("create influxdb database %q: read answer: %w", name, err)
	}
	// InfluxQL reports a failed statement with HTTP 200 and an error
	// inside the results, so the body must be read either way.
	var answer struct {
		Error   string `json:"error"`
		Results []struct {
			Error string `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &answer); err != nil && resp.StatusCode == http.StatusOK {
		return fmt.Errorf("create influxdb database %q: decode answer %.200q: %w", name, body, err)
	}
	if answer.Error == "" {
		for _, r := range answer.Results {
			if r.Error != "" {
				answer.Error = r.Error
				break
			}
		}
	}
	if resp.StatusCode != http.StatusOK || answer.Error != "" {
		return fmt.Errorf("create influxdb database %q: HTTP %d: %s", name, resp.StatusCode, firstNonEmpty(answer.Error, string(body)))
	}
	return nil
}

// quoteIdent quotes an InfluxQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// environWithout returns the environment without the variables whose names
// start with prefix.
func environWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}
