package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/dhis2"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/users"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/registry"
)

// backupSecret is the collector's admin token in the test's config: the
// scripts copy the config into the backup but must never print it.
const backupSecret = "backup-test-admin-token-5f1c9e"

// TestBackupRestoreSameAnswers backs up a collector with simulated, rolled
// up readings, an acknowledged alert and a DHIS2 push log with
// scripts/backup.sh, restores it with scripts/restore.sh onto a fresh
// InfluxDB and a new config folder, and expects a collector there to give
// the same API answers.
func TestBackupRestoreSameAnswers(t *testing.T) {
	s := teststack.Start(t)
	influxd, err := testenv.InfluxdPath()
	if err != nil {
		testenv.Unavailable(t, "%v", err)
	}
	root := filepath.Join("..", "..")
	oldDir := t.TempDir()
	copyFile(t, filepath.Join(root, "configs", "facilities.csv"), filepath.Join(oldDir, "facilities.csv"), 0o644)
	oldCfgPath := writeBackupConfig(t, oldDir, s.Broker.URL(), s.Influx.URL(), "backup-old")
	oldCfg, err := config.Load(oldCfgPath)
	if err != nil {
		t.Fatal(err)
	}
	loc, err := oldCfg.Rollup.Location()
	if err != nil {
		t.Fatal(err)
	}
	reg, err := registry.Load(oldCfg.Registry)
	if err != nil {
		t.Fatal(err)
	}

	// Three days of readings for three facilities in two governorates,
	// and the two full days rolled up.
	now := time.Now().In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	first := today.AddDate(0, 0, -2)
	days := indicators.Periods(indicators.Day, first, today, loc)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := influx.New(oldCfg.InfluxDB, log)
	t.Cleanup(store.Close)
	if err := store.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	ids := []string{"BG-H-001", "BG-H-002", reg.Facilities()[reg.Len()-1].ID}
	for _, id := range ids {
		f, ok := reg.Lookup(id)
		if !ok {
			t.Fatalf("%s not in the registry", id)
		}
		teststack.WriteReadings(t, store, simulate.New(f, 7).Readings(first.AddDate(0, 0, -1), today, 15*time.Minute))
	}
	r, rstore := collector.NewRollup(oldCfg, loc, reg, log)
	t.Cleanup(rstore.Close)
	teststack.RollUp(t, r, days, nil)
	writeJSONFile(t, oldCfg.Rollup.StateFile, map[string]any{"done_until": today.UTC()})
	if err := dhis2.NewLog(oldCfg.DHIS2.PushLog).Append(dhis2.Record{Time: now.UTC().Truncate(time.Second),
		Period: first.Format("200601"), Trigger: "command", Values: 42, Sent: 42, Requests: 1}); err != nil {
		t.Fatal(err)
	}

	// A user who signs in after the restore with the same password.
	if err := users.Add(oldCfg.Access.UsersFile, "amal", users.Officer, "IQ-BG", backupUserPassword); err != nil {
		t.Fatal(err)
	}

	// An open-burning alert, acknowledged, so that the alerts state holds
	// more than the rule's defaults.
	stopOld := teststack.RunCollector(t, oldCfg)
	oldAPI := "http://" + oldCfg.HTTP.Listen
	pub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(s.Broker.URL()).SetClientID("backup-agent-BG-H-001"))
	if tok := pub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect publisher: %v", tok.Error())
	}
	tok := pub.Publish("greenpulse/BG-H-001/waste", 1, false,
		fmt.Sprintf(`{"ts":%d,"category":"infectious","treatment":"open_burning","mass_kg":7.5,"id":"ev-backup"}`, time.Now().UnixMilli()))
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish: %v", tok.Error())
	}
	pub.Disconnect(100)
	teststack.Eventually(t, 30*time.Second, "open-burning alert", func() (bool, string) {
		body := apiGet(t, oldAPI+"/api/v1/alerts?state=active")
		return strings.Contains(body, "open_burning.BG-H-001"), body
	})
	ack, _ := http.NewRequest(http.MethodPost, oldAPI+"/api/v1/alerts/open_burning.BG-H-001/ack",
		strings.NewReader(`{"by":"backup test","comment":"before the backup"}`))
	ack.Header.Set("Content-Type", "application/json")
	ack.Header.Set("Authorization", "Bearer "+backupSecret)
	resp, err := http.DefaultClient.Do(ack)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("ack: %s", resp.Status)
	}

	from, to := first.Format("2006-01-02"), today.Format("2006-01-02")
	paths := []string{
		"/api/v1/indicators?" + url.Values{"period": {"day"}, "from": {from}, "to": {to}, "level": {"national"}}.Encode(),
		"/api/v1/indicators?" + url.Values{"period": {"day"}, "from": {from}, "to": {to}, "level": {"facility"}, "area": {"BG-H-001"}}.Encode(),
		"/api/v1/indicators?" + url.Values{"period": {"day"}, "from": {from}, "to": {to}}.Encode(),
		"/api/v1/alerts",
		"/api/v1/facilities",
	}
	before := map[string]string{}
	for _, p := range paths {
		body := apiGet(t, oldAPI+p)
		before[p] = normalJSON(t, body)
		if p == "/api/v1/facilities" && !strings.Contains(body, `"last_reading":"`) {
			t.Fatalf("GET %s: no facility has a last reading; the test would not show that it is left out", p)
		}
		if len(before[p]) < 50 {
			t.Fatalf("GET %s before the backup: %s; want real answers to compare", p, before[p])
		}
		t.Logf("GET %s: %d bytes", p, len(before[p]))
	}

	// The backup, with the collector running.
	oldRPC, err := s.Influx.RPCAddr()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "backup")
	start := time.Now()
	runScript(t, root, "backup.sh", "--config", oldCfgPath, "--out", out, "--influx-host", oldRPC, "--influxd", influxd)
	t.Logf("backup.sh took %s", time.Since(start).Round(time.Millisecond))
	checkBackupModes(t, out)
	if err := stopOld(); err != nil {
		t.Fatal(err)
	}
	if msg, err := scriptErr(root, "backup.sh", "--config", oldCfgPath, "--out", out, "--influx-host", oldRPC, "--influxd", influxd); err == nil ||
		!strings.Contains(msg, "not empty") {
		t.Errorf("backup.sh into a non-empty folder: %v: %s", err, msg)
	}

	// A damaged backup restores nothing.
	damaged := filepath.Join(t.TempDir(), "damaged")
	copyTree(t, out, damaged)
	f, err := os.OpenFile(filepath.Join(damaged, "files", "registry.facilities.csv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("XX-H-999,tampered\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// A fresh InfluxDB (new folder, new ports) and a new config folder.
	fresh := testenv.StartInfluxDB(t)
	freshRPC, err := fresh.RPCAddr()
	if err != nil {
		t.Fatal(err)
	}
	newDir := t.TempDir()
	newCfgPath := writeBackupConfig(t, newDir, s.Broker.URL(), fresh.URL(), "backup-new")
	if msg, err := scriptErr(root, "restore.sh", "--from", damaged, "--config", newCfgPath, "--influx-host", freshRPC, "--influxd", influxd); err == nil ||
		!strings.Contains(msg, "sha256 does not match") {
		t.Fatalf("restore.sh of a damaged backup: %v: %s", err, msg)
	}
	start = time.Now()
	runScript(t, root, "restore.sh", "--from", out, "--config", newCfgPath, "--influx-host", freshRPC, "--influxd", influxd)
	t.Logf("restore.sh took %s", time.Since(start).Round(time.Millisecond))
	newCfg, err := config.Load(newCfgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{oldCfg.Registry, newCfg.Registry}, {oldCfg.Rollup.StateFile, newCfg.Rollup.StateFile},
		{oldCfg.Alerts.StateFile, newCfg.Alerts.StateFile}, {oldCfg.DHIS2.PushLog, newCfg.DHIS2.PushLog},
		{oldCfg.Access.UsersFile, newCfg.Access.UsersFile}} {
		sameFile(t, pair[0], pair[1])
	}
	// influxd refuses to restore over the databases it now has.
	if msg, err := scriptErr(root, "restore.sh", "--from", out, "--config", newCfgPath, "--influx-host", freshRPC, "--influxd", influxd, "--force"); err == nil ||
		!strings.Contains(msg, "DROP DATABASE") {
		t.Errorf("restore.sh over existing databases: %v: %s", err, msg)
	}

	for _, id := range ids {
		if o, n := teststack.CountPoints(t, s.Influx.URL(), "energy", "kwh_total", id), teststack.CountPoints(t, fresh.URL(), "energy", "kwh_total", id); o == 0 || o != n {
			t.Errorf("%s: %d raw energy points restored, want %d", id, n, o)
		}
	}
	teststack.RunCollector(t, newCfg)
	newAPI := "http://" + newCfg.HTTP.Listen
	for _, p := range paths {
		if got := normalJSON(t, apiGet(t, newAPI+p)); got != before[p] {
			t.Errorf("GET %s after the restore differs:\nbefore %.600s\nafter  %.600s\n%s", p, before[p], got, firstDiff(before[p], got))
		}
	}
	login, err := http.Post(newAPI+"/api/v1/login", "application/json",
		strings.NewReader(fmt.Sprintf(`{"user":"amal","password":%q}`, backupUserPassword)))
	if err != nil {
		t.Fatal(err)
	}
	login.Body.Close()
	if login.StatusCode != http.StatusOK {
		t.Errorf("sign-in of a restored user: %s", login.Status)
	}
}

// backupUserPassword is the restored user's; the scripts never see it.
const backupUserPassword = "restored-user-password"

// writeBackupConfig writes a collector config into dir with every state
// path relative to it, under state/, and returns its path.
func writeBackupConfig(t *testing.T, dir, broker, influxURL, clientID string) string {
	t.Helper()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`log:
  level: warn
http:
  listen: "127.0.0.1:%d"
  admin_token: %q   # a secret: never printed
mqtt:
  broker: %s
  client_id: %s
influxdb:
  url: %s
  bucket: greenpulse
  indicator_bucket: greenpulse_indicators
rollup:
  enabled: false
  state_file: state/rollup-state.json
dhis2:
  push_log: state/dhis2-pushes.jsonl
alerts:
  state_file: 'state/alerts-state.json'
access:
  mode: users
  users_file: state/users.json
registry: facilities.csv
`, port, backupSecret, broker, clientID, influxURL)
	if err := os.MkdirAll(filepath.Join(dir, "state"), 0o750); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "collector.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// runScript runs scripts/name and fails the test if it fails or prints the
// secret.
func runScript(t *testing.T, root, name string, args ...string) {
	t.Helper()
	msg, err := scriptErr(root, name, args...)
	t.Logf("%s:\n%s", name, msg)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// scriptErr runs scripts/name and returns its combined output and error; a
// printed admin token is an error even when the script succeeded.
func scriptErr(root, name string, args ...string) (string, error) {
	cmd := exec.Command("bash", append([]string{filepath.Join(root, "scripts", name)}, args...)...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if strings.Contains(buf.String(), backupSecret) {
		return buf.String(), fmt.Errorf("%s printed the admin token", name)
	}
	return buf.String(), err
}

// checkBackupModes expects folders 0700 and files 0600 in the backup.
func checkBackupModes(t *testing.T, dir string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		} else {
			n++
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, info.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "MANIFEST"))
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"registry", "rollup_state", "alerts_state", "push_log", "config", "influxdb"} {
		if !bytes.Contains(manifest, []byte("file\t"+role+"\t")) {
			t.Errorf("MANIFEST lists no %s file:\n%s", role, manifest)
		}
	}
	t.Logf("backup: %d files", n)
}

// sameFile expects b to hold a's bytes and mode.
func sameFile(t *testing.T, a, b string) {
	t.Helper()
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatalf("restored file: %v", err)
	}
	if !bytes.Equal(da, db) {
		t.Errorf("%s differs from %s", b, a)
	}
	ia, _ := os.Stat(a)
	ib, _ := os.Stat(b)
	if ia.Mode().Perm() != ib.Mode().Perm() {
		t.Errorf("%s: mode %v, want %v as %s", b, ib.Mode().Perm(), ia.Mode().Perm(), a)
	}
}

func apiGet(t *testing.T, u string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+backupSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", u, resp.Status, body)
	}
	return string(body)
}

// normalJSON re-encodes a JSON document so that formatting cannot differ,
// without the facilities' last_reading and agent_status: the collector
// keeps those in memory from live MQTT traffic, so any restart, restored
// or not, begins without them.
func normalJSON(t *testing.T, s string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %.200q: %v", s, err)
	}
	if list, ok := v.([]any); ok {
		for _, x := range list {
			if m, ok := x.(map[string]any); ok {
				delete(m, "last_reading")
				delete(m, "agent_status")
			}
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := os.WriteFile(path, append(b, '\n'), 0o640); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, src, dst string, mode fs.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatal(err)
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// firstDiff shows where two strings first differ.
func firstDiff(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-200)
	return fmt.Sprintf("at byte %d: before …%s… after …%s…", i, a[lo:min(len(a), i+200)], b[lo:min(len(b), i+200)])
}
