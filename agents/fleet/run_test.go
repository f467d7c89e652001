package fleet

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// TestRunEventHistory runs a fleet of a Karbala hospital and a Baghdad one
// with an event and no broker to reach: the Karbala outbox receives the
// event window of its surged model, the Baghdad one nothing of it.
func TestRunEventHistory(t *testing.T) {
	dir := t.TempDir()
	csv, err := os.ReadFile("../../configs/facilities.csv")
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for i, l := range strings.Split(string(csv), "\n") {
		if i == 0 || strings.HasPrefix(l, "KA-H-002,") || strings.HasPrefix(l, "BG-H-001,") {
			rows = append(rows, l)
		}
	}
	regPath := filepath.Join(dir, "facilities.csv")
	if err := os.WriteFile(regPath, []byte(strings.Join(rows, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ev := arbaeen2025(t)
	ev.BaselineWeeks = 1
	cfg := config.Default()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	// Nothing listens there: the readings stay in the outboxes.
	cfg.MQTT.Broker = fmt.Sprintf("tcp://127.0.0.1:%d", port)
	opt := Options{
		Registry: regPath, Seed: 1, HistoryStep: time.Hour, Interval: time.Hour, Dir: filepath.Join(dir, "fleet"),
		MQTT: cfg.MQTT, Publish: cfg.Publish, OutboxBytes: cfg.Outbox.MaxBytes, Events: ev, EventHistory: true,
	}
	var logs testenv.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, opt, "test", agents.NewMetricsDiscard(), slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(logs.String(), "history generated") {
		if time.Now().After(deadline) {
			t.Fatalf("no history after 30 s; log:\n%s", logs.String())
		}
		select {
		case err := <-done:
			t.Fatalf("fleet ended: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	<-done
	for _, w := range []string{`msg="event played" event=arbaeen-2025 first_day=2025-08-06 last_day=2025-08-16 facilities=1`,
		`msg="event history" event=arbaeen-2025`, "from=2025-07-28 to=2025-08-18 facilities=1"} {
		if !strings.Contains(logs.String(), w) {
			t.Errorf("log lacks %q:\n%s", w, logs.String())
		}
	}

	reg, err := registry.Load(regPath)
	if err != nil {
		t.Fatal(err)
	}
	from, to := ev.Window(0)
	for _, f := range reg.Facilities() {
		sim := simulate.New(f, 1)
		if err := sim.SetSurges([]simulate.Surge{{Event: ev.List[0], Factors: simulate.DefaultFactors()}}); err != nil {
			t.Fatal(err)
		}
		var want []string
		if ev.List[0].Includes(f) {
			for _, r := range sim.Readings(from.In(local()), to.In(local()), time.Hour) {
				want = append(want, string(reading.AppendJSON(nil, &r)))
			}
		}
		got := stored(t, filepath.Join(opt.Dir, f.ID), to.In(local()))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: the outbox holds %d readings of the window, want the surged model's %d", f.ID, len(got), len(want))
		}
	}
}

// stored returns the payloads in the outbox at dir with ts before end, in
// order: the history, not the live ticks.
func stored(t *testing.T, dir string, end time.Time) []string {
	t.Helper()
	ob, err := outbox.Open(dir, outbox.Options{})
	if err != nil {
		t.Fatalf("open outbox %s: %v", dir, err)
	}
	defer ob.Close()
	items, err := ob.Oldest(1<<20, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		var v struct{ TS int64 }
		if err := json.Unmarshal(it.Data, &v); err != nil {
			t.Fatalf("item %d: %v", it.Seq, err)
		}
		if v.TS < end.UnixMilli() {
			out = append(out, string(it.Data))
		}
	}
	return out
}
