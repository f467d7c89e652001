package agents_test

import (
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// TestMetricsGolden diffs the agent's metric names, types and help against
// testdata/metrics.golden, so that a renamed or dropped metric, which would
// break operators' dashboards and alerts, is a deliberate change.
func TestMetricsGolden(t *testing.T) {
	cfg := offlineConfig(t.TempDir())
	reg := prometheus.NewRegistry()
	a, err := agents.New(cfg, "test", agents.NewMetrics(reg), discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, mf := range mfs {
		var labels []string
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
		}
		lines = append(lines, mf.GetName()+" "+mf.GetType().String()+" ["+strings.Join(labels, ",")+"] "+mf.GetHelp())
	}
	sort.Strings(lines)
	got := strings.Join(lines, "\n") + "\n"
	golden := filepath.Join("testdata", "metrics.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestMetricsGolden -update ./agents/ to create it)", err)
	}
	if got != string(want) {
		t.Errorf("agent metrics changed; if on purpose, run with -update and review the diff.\ngot:\n%s\nwant:\n%s", got, want)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
