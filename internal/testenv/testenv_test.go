package testenv

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestFreePort(t *testing.T) {
	port, err := FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("FreePort gave %d, which cannot be listened on: %v", port, err)
	}
	ln.Close()
}

func TestQuoteIdent(t *testing.T) {
	for in, want := range map[string]string{
		"greenpulse": `"greenpulse"`,
		`a"b`:        `"a\"b"`,
		`a\b`:        `"a\\b"`,
	} {
		if got := quoteIdent(in); got != want {
			t.Errorf("quoteIdent(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestMosquitto proves the broker keeps a persistent session's messages
// across a restart, beyond Mosquitto's default queue limit of 1000.
func TestMosquitto(t *testing.T) {
	RequireIntegration(t)
	m := StartMosquitto(t)
	if m.Port == 1883 {
		t.Fatal("test broker on 1883, where a hand-started broker may listen")
	}
	if m.Pid() == 0 {
		t.Fatal("Pid() = 0 for a running broker")
	}
	if _, err := exec.LookPath("mosquitto_pub"); err != nil {
		t.Skip("mosquitto_pub/mosquitto_sub not installed (scripts/install-deps.sh installs them); the broker accepts connections")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	host, port := "127.0.0.1", strconv.Itoa(m.Port)

	// Register a persistent QoS 1 session, then leave.
	sub := func(count int) ([]string, error) {
		out, err := exec.CommandContext(ctx, "mosquitto_sub", "-h", host, "-p", port,
			"-i", "away", "-c", "-q", "1", "-t", "t/#", "-C", strconv.Itoa(count), "-W", "20").Output()
		return strings.Fields(string(out)), err
	}
	if out, err := exec.CommandContext(ctx, "mosquitto_sub", "-h", host, "-p", port,
		"-i", "away", "-c", "-q", "1", "-t", "t/#", "-E").CombinedOutput(); err != nil {
		t.Fatalf("register session: %v: %s", err, out)
	}

	const n = 2500 // beyond Mosquitto's default max_queued_messages of 1000
	var lines strings.Builder
	for i := range n {
		fmt.Fprintln(&lines, i)
	}
	pub := exec.CommandContext(ctx, "mosquitto_pub", "-h", host, "-p", port, "-q", "1", "-t", "t/x", "-l")
	pub.Stdin = strings.NewReader(lines.String())
	if out, err := pub.CombinedOutput(); err != nil {
		t.Fatalf("publish: %v: %s", err, out)
	}

	// A graceful stop saves the queue; the restarted broker delivers it.
	if err := m.Stop(); err != nil {
		t.Fatal(err)
	}
	if m.Pid() != 0 {
		t.Fatal("Pid() != 0 for a stopped broker")
	}
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := sub(n)
	if len(got) != n {
		t.Fatalf("after restart the session received %d of %d queued messages (%v)", len(got), n, err)
	}
	for i, s := range got {
		if s != strconv.Itoa(i) {
			t.Fatalf("message %d is %q, want %d (order or loss)", i, s, i)
		}
	}
}

func TestStartRefusesBusyPort(t *testing.T) {
	RequireIntegration(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	m, err := NewMosquitto(t.TempDir(), ln.Addr().(*net.TCPAddr).Port)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	err = m.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("Start on a busy port: got %v, want an 'already in use' error", err)
	}
}

// TestInfluxDB proves that Flux and the /api/v2 compatibility endpoints are
// on, and that data survives a restart.
func TestInfluxDB(t *testing.T) {
	RequireIntegration(t)
	begin := time.Now()
	db := StartInfluxDB(t)
	t.Logf("influxd started (answered /ping) in %s", time.Since(begin).Round(time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	for range 2 { // the second time, it exists
		if err := db.CreateDatabase(ctx, "gp_test"); err != nil {
			t.Fatal(err)
		}
	}
	do(t, ctx, db.URL()+"/api/v2/write?bucket=gp_test/autogen&precision=s", "text/plain",
		"energy,facility=BG-H-001,source=grid kwh_total=42.5 1700000000", http.StatusNoContent)
	if got := kwhTotal(t, ctx, db); got != "42.5" {
		t.Fatalf("Flux read kwh_total = %q, want 42.5", got)
	}

	if err := db.Stop(); err != nil {
		t.Fatal(err)
	}
	begin = time.Now()
	if err := db.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("influxd restarted in %s", time.Since(begin).Round(time.Millisecond))
	if got := kwhTotal(t, ctx, db); got != "42.5" {
		t.Fatalf("after restart, kwh_total = %q, want 42.5", got)
	}

	// A crash loses no acknowledged write.
	do(t, ctx, db.URL()+"/api/v2/write?bucket=gp_test/autogen&precision=s", "text/plain",
		"energy,facility=BG-H-001,source=grid kwh_total=43.5 1700000060", http.StatusNoContent)
	if err := db.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := db.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if got := kwhTotal(t, ctx, db); got != "43.5" {
		t.Fatalf("after kill, last kwh_total = %q, want 43.5", got)
	}
}

func TestCreateDatabaseReportsStatementError(t *testing.T) {
	RequireIntegration(t)
	db := StartInfluxDB(t)
	err := db.CreateDatabase(context.Background(), "")
	if err == nil {
		t.Fatal("CreateDatabase(\"\") succeeded")
	}
	t.Log(err)
}

// kwhTotal reads the last kwh_total with Flux through /api/v2/query.
func kwhTotal(t *testing.T, ctx context.Context, db *InfluxDB) string {
	t.Helper()
	body := do(t, ctx, db.URL()+"/api/v2/query", "application/vnd.flux", `from(bucket: "gp_test/autogen")
  |> range(start: 2023-01-01T00:00:00Z, stop: 2024-01-01T00:00:00Z)
  |> filter(fn: (r) => r._measurement == "energy" and r._field == "kwh_total")
  |> last()`, http.StatusOK)
	// Annotated CSV: a header row naming _value, then one row per point.
	r := csv.NewReader(strings.NewReader(body))
	r.FieldsPerRecord = -1
	col := -1
	var values []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("Flux answer is not CSV: %v\n%s", err, body)
		}
		switch {
		case len(rec) == 0 || strings.HasPrefix(rec[0], "#"):
		case col < 0:
			for i, name := range rec {
				if name == "_value" {
					col = i
				}
			}
		case col < len(rec) && rec[col] != "_value":
			values = append(values, rec[col])
		}
	}
	if len(values) != 1 {
		t.Fatalf("Flux returned %d values, want 1:\n%s", len(values), body)
	}
	return values[0]
}

func do(t *testing.T, ctx context.Context, url, contentType, body string, want int) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/csv")
	// Ignored with auth off, but what the v2 client library sends.
	req.Header.Set("Authorization", "Token x:y")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: HTTP %d, want %d: %s", url, resp.StatusCode, want, answer)
	}
	return string(answer)
}
