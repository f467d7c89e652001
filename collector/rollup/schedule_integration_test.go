package rollup

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// TestSchedulerCatchesUpFromTheWatermark starts a scheduler whose state
// file says roll-ups stopped two days ago: the catch-up computes the days
// since (including the one it stopped in), saves a new watermark and counts
// what it did in its metrics.
func TestSchedulerCatchesUpFromTheWatermark(t *testing.T) {
	s := startStore(t)
	r, _ := newRollup(t, s)
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, baghdad)
	g := "energy,facility=BG-H-001,meter=main,source=grid "
	write(t, s, []point{
		{g + "kwh_total=100", "2026-11-24T06:00:00Z"},
		{g + "kwh_total=120", "2026-11-24T08:00:00Z"}, // 24 November: +20
		{g + "kwh_total=150", "2026-11-26T06:00:00Z"}, // 26 November: +30 (the 24th's reading is 46 h older)
	})
	state := filepath.Join(t.TempDir(), "rollup-state.json")
	if err := os.WriteFile(state, []byte(`{"done_until":"2026-11-24T05:00:00Z"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	promReg := prometheus.NewRegistry()
	sched, err := NewScheduler(r, Schedule{Today: "*/15 * * * *", Recent: "5 * * * *", RecentDays: 3, StateFile: state},
		promReg, discard)
	if err != nil {
		t.Fatal(err)
	}
	sched.now = func() time.Time { return now }
	sched.runJob("catch_up")

	for day, want := range map[string]float64{"2026-11-24": 20, "2026-11-26": 30} {
		d, _ := time.ParseInLocation("2006-01-02", day, baghdad)
		vals, _ := stored(t, s, indicators.PeriodOf(indicators.Day, d, baghdad))
		if got := vals["grid_kwh facility BG-H-001"]; got != want {
			t.Errorf("%s grid_kwh %v, want %v", day, got, want)
		}
	}
	if vals, _ := stored(t, s, indicators.PeriodOf(indicators.Month, now, baghdad)); vals["grid_kwh facility BG-H-001"] != 50 {
		t.Errorf("November grid_kwh %v, want 50", vals["grid_kwh facility BG-H-001"])
	}
	b, err := os.ReadFile(state)
	if err != nil || !strings.Contains(string(b), now.UTC().Format(time.RFC3339)) {
		t.Errorf("state file %q (%v), want the watermark moved to %s", b, err, now.UTC().Format(time.RFC3339))
	}
	// 24, 25 and 26 November, and November.
	if got := testutil.ToFloat64(sched.metrics.periods.WithLabelValues("day")); got != 3 {
		t.Errorf("%v days rolled up, want 3", got)
	}
	if got := testutil.ToFloat64(sched.metrics.errors.WithLabelValues("catch_up")); got != 0 {
		t.Errorf("%v catch-up errors", got)
	}
	sched.Stop()
}

func TestScheduleRejectsABadSpec(t *testing.T) {
	r := New(nil, nil, Options{Location: time.UTC}, discard)
	_, err := NewScheduler(r, Schedule{Today: "every 15 minutes", Recent: "5 * * * *", RecentDays: 3},
		prometheus.NewRegistry(), discard)
	if err == nil || !strings.Contains(err.Error(), "today") {
		t.Fatalf("error %v, want one naming the today schedule", err)
	}
}
