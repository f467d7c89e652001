// Package alertmanagertest starts a real Prometheus Alertmanager (v0.35.0,
// built by scripts/install-deps.sh into ~/.cache/greenpulse/bin) for tests
// of what GreenPulse sends to it. Each Server is one Alertmanager on a free
// loopback port with its storage in a temp dir and gossip off
// (--cluster.listen-address=""), routing every alert to a webhook that the
// test itself serves on loopback, with send_resolved, so a test sees what
// Alertmanager would have told the ministry's email or chat gateway:
//
//	client ─► POST /api/v2/alerts ─► Alertmanager ─► webhook (Notifications)
//	                                      ▲
//	                   GET /api/v2/alerts (Alerts)
//
// Routing groups by every label (group_by: ['...']), so each alert is
// notified on its own; group_wait is 100 ms and group_interval 1 s, so a
// new alert is notified within about a second and a resolution within
// about a second of Alertmanager seeing it. repeat_interval is an hour: a
// notification means that something changed, not that time passed.
//
// When the binary is missing the test is skipped, or fails when CI is set
// (testenv.Unavailable); under go test -short it is skipped, as other
// integration tests are. $GREENPULSE_ALERTMANAGER names another binary.
package alertmanagertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// Server is one Alertmanager process and the webhook it notifies. Its
// methods are safe for concurrent use; those that take a testing.TB fail
// the test with t.Fatal, so call them from the test's goroutine.
type Server struct {
	url  string
	dir  string
	hook *httptest.Server

	mu      sync.Mutex
	notes   []Notification
	changed chan struct{} // closed and replaced when a notification arrives
	bad     []string      // webhook requests that could not be read

	cmd     *exec.Cmd
	done    chan struct{} // closed when cmd has exited
	waitErr error         // cmd.Wait's result, valid once done is closed
}

// Notification is one webhook call of Alertmanager: the status of its
// group (firing while any of its alerts fires, else resolved) and its
// alerts.
type Notification struct {
	Receiver string          `json:"receiver"`
	Status   string          `json:"status"`
	GroupKey string          `json:"groupKey"`
	Alerts   []NotifiedAlert `json:"alerts"`
	Received time.Time       `json:"-"`
}

// NotifiedAlert is an alert as the webhook receives it.
type NotifiedAlert struct {
	Status       string            `json:"status"` // firing or resolved
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// Alert is an alert as GET /api/v2/alerts lists it.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	UpdatedAt    time.Time         `json:"updatedAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
	Status       struct {
		State string `json:"state"` // active, suppressed or unprocessed
	} `json:"status"`
}

// Path finds the Alertmanager binary: $GREENPULSE_ALERTMANAGER, then the
// cache that scripts/install-deps.sh fills ($GREENPULSE_CACHE/bin, then
// $HOME/.cache/greenpulse/bin). It is safe for concurrent use.
func Path() (string, error) {
	if p := os.Getenv("GREENPULSE_ALERTMANAGER"); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("GREENPULSE_ALERTMANAGER=%s: not an executable file", p)
		}
		return p, nil
	}
	looked := testenv.CachedBinaries("alertmanager")
	for _, p := range looked {
		if isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("find alertmanager (looked at $GREENPULSE_ALERTMANAGER, %s): %w",
		strings.Join(looked, ", "), testenv.ErrNotInstalled)
}

// Start starts Alertmanager and its webhook and stops both when the test
// ends. It fails the test if Alertmanager cannot start, or had died on its
// own by the end of the test.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts Alertmanager (skipped with -short)")
	}
	bin, err := Path()
	if err != nil {
		testenv.Unavailable(t, "alertmanagertest: %v", err)
	}
	s := &Server{dir: t.TempDir(), changed: make(chan struct{})}
	s.hook = httptest.NewServer(http.HandlerFunc(s.receive))
	t.Cleanup(s.hook.Close)
	t.Cleanup(func() {
		if err := s.stop(); err != nil {
			t.Errorf("stop test alertmanager: %v", err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, b := range s.bad {
			t.Errorf("alertmanagertest webhook: %s", b)
		}
	})
	cfg := filepath.Join(s.dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte(config(s.hook.URL+"/hook")), 0o644); err != nil {
		t.Fatalf("write alertmanager config: %v", err)
	}
	// A free port may be taken by someone else before Alertmanager binds
	// it; try a few.
	var last error
	for range 3 {
		port, err := testenv.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if last = s.start(bin, cfg, port); last == nil {
			return s
		}
	}
	t.Fatal(last)
	return nil
}

// config routes every alert, one group per label set, to the webhook.
func config(hook string) string {
	return `route:
  receiver: test
  group_by: ['...']
  group_wait: 100ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: test
    webhook_configs:
      - url: ` + strconv.Quote(hook) + `
        send_resolved: true
`
}

func (s *Server) start(bin, cfg string, port int) error {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	logPath := filepath.Join(s.dir, "alertmanager.log")
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open alertmanager log: %w", err)
	}
	cmd := exec.Command(bin,
		"--config.file="+cfg,
		"--storage.path="+filepath.Join(s.dir, "data"),
		"--web.listen-address="+addr,
		"--cluster.listen-address=",
		"--log.level=debug",
	)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	// The parent-death signal belongs to the thread that forks.
	runtime.LockOSThread()
	err = cmd.Start()
	runtime.UnlockOSThread()
	if err != nil {
		out.Close()
		return fmt.Errorf("start alertmanager (%s): %w", bin, err)
	}
	done := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		out.Close()
		s.mu.Lock()
		s.waitErr = err
		s.mu.Unlock()
		close(done)
	}()
	url := "http://" + addr
	if err := waitReady(url, done, 15*time.Second); err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		s.mu.Lock()
		s.cmd = nil
		s.mu.Unlock()
		return fmt.Errorf("start alertmanager on %s: %w\n%s", addr, err, logTail(logPath))
	}
	s.url = url
	return nil
}

func waitReady(url string, done <-chan struct{}, within time.Duration) error {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(url + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /-/ready: %s", resp.Status)
		}
		select {
		case <-done:
			return fmt.Errorf("exited during start-up: last check: %w", err)
		case <-deadline.C:
			return fmt.Errorf("not ready within %s: last check: %w", within, err)
		case <-tick.C:
		}
	}
}

// stop ends Alertmanager with SIGTERM, then SIGKILL after 5 s. Finding
// that it had died on its own is an error.
func (s *Server) stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-done:
		return fmt.Errorf("alertmanager had exited on its own (%v)\n%s", s.exitErr(), logTail(filepath.Join(s.dir, "alertmanager.log")))
	default:
	}
	pid := cmd.Process.Pid
	if err := syscall.Kill(-pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("signal alertmanager process group %d: %w", pid, err)
	}
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Second):
	}
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	<-done
	return errors.New("alertmanager did not exit within 5s of SIGTERM; killed it")
}

func (s *Server) exitErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitErr
}

// URL returns Alertmanager's base URL, http://127.0.0.1:PORT, to which a
// client appends /api/v2/alerts.
func (s *Server) URL() string { return s.url }

// receive records one webhook notification.
func (s *Server) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var n Notification
	if err == nil {
		err = json.Unmarshal(body, &n)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.bad = append(s.bad, fmt.Sprintf("%s %s: %v", r.Method, r.URL.Path, err))
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	n.Received = time.Now()
	s.notes = append(s.notes, n)
	close(s.changed)
	s.changed = make(chan struct{})
}

// Notifications returns what the webhook received so far, oldest first.
func (s *Server) Notifications() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Notification(nil), s.notes...)
}

// WaitNotification waits up to within for a notified alert for which
// match returns true, in a notification that arrived at any time in the
// test, and returns it with its notification. It fails the test, listing
// what arrived, when none does.
func (s *Server) WaitNotification(t testing.TB, within time.Duration, match func(Notification, NotifiedAlert) bool) (Notification, NotifiedAlert) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		notes, changed := s.notes, s.changed
		s.mu.Unlock()
		for _, n := range notes {
			for _, a := range n.Alerts {
				if match(n, a) {
					return n, a
				}
			}
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("alertmanagertest: no matching notification within %s; received:\n%s", within, describe(notes))
			return Notification{}, NotifiedAlert{}
		}
	}
}

// Alerts returns the alerts that GET /api/v2/alerts lists: those not yet
// resolved.
func (s *Server) Alerts(t testing.TB) []Alert {
	t.Helper()
	alerts, err := s.alerts()
	if err != nil {
		t.Fatal(err)
	}
	return alerts
}

func (s *Server) alerts() ([]Alert, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(s.url + "/api/v2/alerts")
	if err != nil {
		return nil, fmt.Errorf("GET /api/v2/alerts: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET /api/v2/alerts: read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /api/v2/alerts: %s: %s", resp.Status, body)
	}
	var alerts []Alert
	if err := json.Unmarshal(body, &alerts); err != nil {
		return nil, fmt.Errorf("GET /api/v2/alerts: decode: %w", err)
	}
	return alerts, nil
}

// WaitAlerts polls GET /api/v2/alerts every 50 ms for up to within until
// ok accepts the list, and returns it. It fails the test with the last
// list when ok never does.
func (s *Server) WaitAlerts(t testing.TB, within time.Duration, ok func([]Alert) bool) []Alert {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		alerts, err := s.alerts()
		if err == nil && ok(alerts) {
			return alerts
		}
		select {
		case <-ctx.Done():
			if err != nil {
				t.Fatalf("alertmanagertest: alerts not as expected within %s: %v", within, err)
			}
			got, _ := json.MarshalIndent(alerts, "", "  ")
			t.Fatalf("alertmanagertest: alerts not as expected within %s; last list:\n%s", within, got)
			return nil
		case <-tick.C:
		}
	}
}

// Find returns the alert whose labels equal labels, if alerts has it.
func Find(alerts []Alert, labels map[string]string) (Alert, bool) {
	for _, a := range alerts {
		if sameLabels(a.Labels, labels) {
			return a, true
		}
	}
	return Alert{}, false
}

// Labeled returns a match for WaitNotification: an alert with these
// labels, in that status (firing or resolved).
func Labeled(status string, labels map[string]string) func(Notification, NotifiedAlert) bool {
	return func(_ Notification, a NotifiedAlert) bool {
		return a.Status == status && sameLabels(a.Labels, labels)
	}
}

func sameLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func describe(notes []Notification) string {
	if len(notes) == 0 {
		return "(nothing)"
	}
	var b strings.Builder
	for _, n := range notes {
		fmt.Fprintf(&b, "  %s %s:", n.Received.Format("15:04:05.000"), n.Status)
		for _, a := range n.Alerts {
			fmt.Fprintf(&b, " [%s %v]", a.Status, a.Labels)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func logTail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil || len(strings.TrimSpace(string(data))) == 0 {
		return "(its log is empty)"
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return "--- end of " + path + ":\n" + strings.Join(lines, "\n")
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode().Perm()&0o111 != 0
}
