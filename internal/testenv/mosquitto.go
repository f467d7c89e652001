package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Mosquitto is a broker process listening on 127.0.0.1:Port with its
// configuration, persistence and logs in Dir. Stop followed by Start keeps
// the port and the persisted sessions, which is how tests simulate a broker
// outage. Its methods are safe for concurrent use; Port and Dir must not be
// changed.
type Mosquitto struct {
	Port int
	Dir  string
	proc *process
}

// NewMosquitto writes a broker configuration for port into dir (created if
// missing) and returns the broker, not yet started. The delivery settings
// are those of configs/mosquitto/mosquitto.conf that matter for GreenPulse:
// a wide inflight window for the collector's manual acknowledgements and a
// queue that does not drop messages for a persistent session that is away.
func NewMosquitto(dir string, port int) (*Mosquitto, error) {
	bin, err := MosquittoPath()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create mosquitto dir %q: %w", dir, err)
	}
	// Started as root, Mosquitto switches to user "mosquitto", which cannot
	// write to a test's 0700 temp dir: persistence and the log would fail
	// (the log silently, the persistence only at the first save). Started
	// by anyone else it stays who it is and ignores "user".
	userLine := ""
	if os.Geteuid() == 0 {
		userLine = "user root\n"
	}
	logPath := filepath.Join(dir, "mosquitto.log")
	// max_queued_messages is a large number, not 0 ("no limit"): 0 works in
	// 2.0.11, but other 2.0.x releases mishandle it (2.0.16-2.0.17 drop
	// every outgoing message, 2.0.21 refuses incoming QoS 1 publishes with
	// "quota exceeded").
	conf := fmt.Sprintf(`# Written by greenpulse internal/testenv for one test broker.
# See configs/mosquitto/mosquitto.conf for why each limit is set.
%slistener %d 127.0.0.1
allow_anonymous true
persistence true
persistence_location %s/
autosave_interval 5
max_inflight_messages 4000
max_queued_messages 1000000
max_queued_bytes 0
max_packet_size 16777216
log_dest file %s
log_type error
log_type warning
log_type notice
log_timestamp_format %%Y-%%m-%%dT%%H:%%M:%%S
`, userLine, port, dir, logPath)
	confPath := filepath.Join(dir, "mosquitto.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return nil, fmt.Errorf("write mosquitto config %q: %w", confPath, err)
	}
	outPath := filepath.Join(dir, "stderr.log")
	return &Mosquitto{Port: port, Dir: dir, proc: &process{
		name:     "mosquitto",
		bin:      bin,
		args:     []string{"-c", confPath},
		addr:     fmt.Sprintf("127.0.0.1:%d", port),
		outPath:  outPath,
		logPaths: []string{outPath, logPath},
	}}, nil
}

// Pid returns the broker's process id, or 0 when it is not running.
func (m *Mosquitto) Pid() int { return m.proc.pid() }

// URL returns the broker's address for MQTT clients, tcp://127.0.0.1:<port>.
func (m *Mosquitto) URL() string { return fmt.Sprintf("tcp://127.0.0.1:%d", m.Port) }

// Start starts the broker and waits, for at most 15 s or until ctx ends,
// until it accepts TCP connections. It fails if another process already
// listens on the port. On failure the broker is killed and the error holds
// the end of its logs.
func (m *Mosquitto) Start(ctx context.Context) error {
	return m.proc.start(ctx, 15*time.Second, func(context.Context) error {
		return dialable(m.proc.addr)
	})
}

// Stop ends the broker with SIGTERM and waits until it has exited, which
// includes writing its persistence file; after 30 s it is killed. Stopping
// a broker that is not running does nothing.
func (m *Mosquitto) Stop() error { return m.proc.stop(syscall.SIGTERM, 30*time.Second) }

// Kill ends the broker with SIGKILL, as a crash would: what changed since its
// last autosave (at most 5 s ago) is lost.
func (m *Mosquitto) Kill() error { return m.proc.stop(syscall.SIGKILL, 10*time.Second) }

// RequireLogin makes the broker refuse anonymous clients: it accepts the
// given users with their passwords (hashed with mosquitto_passwd, as an
// operator would) and applies the ACL file at aclPath when it is not "".
// Call it while the broker is stopped; it takes effect at the next Start.
func (m *Mosquitto) RequireLogin(users map[string]string, aclPath string) error {
	passwd, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		return fmt.Errorf("mosquitto_passwd: %w", ErrNotInstalled)
	}
	pwPath := filepath.Join(m.Dir, "passwd")
	var plain strings.Builder
	for u, p := range users {
		fmt.Fprintf(&plain, "%s:%s\n", u, p)
	}
	if err := os.WriteFile(pwPath, []byte(plain.String()), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", pwPath, err)
	}
	if out, err := exec.Command(passwd, "-U", pwPath).CombinedOutput(); err != nil {
		return fmt.Errorf("mosquitto_passwd -U %s: %w: %s", pwPath, err, out)
	}
	confPath := filepath.Join(m.Dir, "mosquitto.conf")
	conf, err := os.ReadFile(confPath)
	if err != nil {
		return fmt.Errorf("read mosquitto config: %w", err)
	}
	extra := "password_file " + pwPath + "\n"
	if aclPath != "" {
		abs, err := filepath.Abs(aclPath)
		if err != nil {
			return err
		}
		extra += "acl_file " + abs + "\n"
	}
	out := strings.Replace(string(conf), "allow_anonymous true\n", "allow_anonymous false\n"+extra, 1)
	if err := os.WriteFile(confPath, []byte(out), 0o644); err != nil {
		return fmt.Errorf("write mosquitto config: %w", err)
	}
	return nil
}
