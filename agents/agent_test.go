package agents_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/reading"
)

// TestOutboxBoundDropsOldestAndCounts fills an agent whose broker is
// unreachable past its outbox bound: the outbox stays within the bound, the
// oldest readings go, and the drops are logged and counted in /metrics.
func TestOutboxBoundDropsOldestAndCounts(t *testing.T) {
	cfg := offlineConfig(t.TempDir())
	cfg.Outbox.MaxBytes = 1 << 20
	var logs bytes.Buffer
	reg := prometheus.NewRegistry()
	a, err := agents.New(cfg, "test", agents.NewMetrics(reg), slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })

	const total = 30000
	rs := solarReadings(t, facility, time.Now().Add(-90*24*time.Hour).Truncate(time.Minute), total)
	for start := 0; start < total; start += 1000 {
		if err := a.Record("simulate", rs[start:start+1000]); err != nil {
			t.Fatalf("record: %v", err)
		}
		if st := a.Outbox().Stats(); st.Bytes > cfg.Outbox.MaxBytes {
			t.Fatalf("outbox holds %d bytes, bound %d", st.Bytes, cfg.Outbox.MaxBytes)
		}
	}
	st := a.Outbox().Stats()
	if st.Dropped == 0 || int64(st.Dropped)+st.Readings != total {
		t.Fatalf("dropped %d + kept %d, want %d in all with some dropped", st.Dropped, st.Readings, total)
	}
	newest, err := a.Outbox().Newest(1, 1<<20, time.Time{})
	if err != nil || len(newest) != 1 || !strings.Contains(string(newest[0].Data), `"kwh_total":29999`) {
		t.Fatalf("newest reading %+v (%v), want the last one taken", newest, err)
	}
	oldest, err := a.Outbox().Oldest(1, 1<<20)
	if err != nil || len(oldest) != 1 || !strings.Contains(string(oldest[0].Data), fmt.Sprintf(`"kwh_total":%d}`, st.Dropped)) {
		t.Fatalf("oldest reading %+v (%v), want number %d: exactly the oldest were dropped", oldest, err, st.Dropped)
	}
	if got := counterSum(t, reg, "greenpulse_agent_outbox_dropped_readings_total"); got != float64(st.Dropped) {
		t.Errorf("metric says %v dropped, outbox %d", got, st.Dropped)
	}
	if !strings.Contains(logs.String(), "dropped") {
		t.Errorf("no log line about the drop:\n%s", logs.String())
	}
}

// solarReadings returns n solar readings of facility a minute apart from
// from, reading number i with kwh_total i.
func solarReadings(t *testing.T, facility string, from time.Time, n int) []reading.Reading {
	t.Helper()
	b, _ := reading.NewBuilder(reading.Solar)
	rs := make([]reading.Reading, 0, n)
	for i := range n {
		b.Reset()
		b.SetFloat("kwh_total", float64(i))
		r, err := b.Build(facility, from.Add(time.Duration(i)*time.Minute), time.Now(), reading.Limits{MaxFuture: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	return rs
}
