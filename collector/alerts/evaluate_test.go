package alerts

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

type oneFacility struct{}

func (oneFacility) Lookup(id string) (registry.Facility, bool) {
	return registry.Facility{ID: id, District: "BG-KRK", Governorate: "IQ-BG"}, id == "F1"
}

type recorder struct {
	mu              sync.Mutex
	firing, cleared []string
}

func (r *recorder) Firing(a Alert)   { r.mu.Lock(); r.firing = append(r.firing, a.ID); r.mu.Unlock() }
func (r *recorder) Resolved(a Alert) { r.mu.Lock(); r.cleared = append(r.cleared, a.ID); r.mu.Unlock() }

func defaultOptions() Options {
	return Options{EventRules: EventRules{OpenBurning: Rule{true, Critical}, OpenDumping: Rule{true, Critical},
		StorageExceeded: Rule{true, Warning}, StorageHours: 48}, EventWindow: 7 * 24 * time.Hour}
}

func waste(t *testing.T, at time.Time, treatment string, storedHours float64) reading.Reading {
	t.Helper()
	b, _ := reading.NewBuilder(reading.Waste)
	b.SetTag("category", "infectious")
	b.SetTag("treatment", treatment)
	b.SetFloat("mass_kg", 4.5)
	if storedHours > 0 {
		b.SetFloat("stored_hours", storedHours)
	}
	r, err := b.Build("F1", at, at, reading.Limits{MaxFuture: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func solar(t *testing.T, at time.Time) reading.Reading {
	t.Helper()
	b, _ := reading.NewBuilder(reading.Solar)
	b.SetFloat("kwh_total", 10)
	r, err := b.Build("F1", at, at, reading.Limits{MaxFuture: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEventRules(t *testing.T) {
	tests := []struct {
		name     string
		opts     func(*Options)
		readings func(t *testing.T) []reading.Reading
		want     map[string]Severity // alert id → severity
	}{
		{"open burning", nil, func(t *testing.T) []reading.Reading {
			return []reading.Reading{waste(t, t0, "open_burning", 0)}
		}, map[string]Severity{"open_burning.F1": Critical}},
		{"open dumping stored too long", nil, func(t *testing.T) []reading.Reading {
			return []reading.Reading{waste(t, t0, "open_dumping", 72)}
		}, map[string]Severity{"open_dumping.F1": Critical, "storage_exceeded.F1": Warning}},
		{"safe treatment within the limit", nil, func(t *testing.T) []reading.Reading {
			return []reading.Reading{waste(t, t0, "autoclave", 48), solar(t, t0)}
		}, map[string]Severity{}},
		{"a lower limit", func(o *Options) { o.StorageHours = 24 }, func(t *testing.T) []reading.Reading {
			return []reading.Reading{waste(t, t0, "autoclave", 30)}
		}, map[string]Severity{"storage_exceeded.F1": Warning}},
		{"rule off, severity changed", func(o *Options) { o.OpenBurning.Enabled = false; o.OpenDumping.Severity = Info },
			func(t *testing.T) []reading.Reading {
				return []reading.Reading{waste(t, t0, "open_burning", 0), waste(t, t0, "open_dumping", 0)}
			}, map[string]Severity{"open_dumping.F1": Info}},
		{"reported after its window", nil, func(t *testing.T) []reading.Reading {
			return []reading.Reading{waste(t, t0.Add(-8*24*time.Hour), "open_burning", 0)}
		}, map[string]Severity{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := defaultOptions()
			if tt.opts != nil {
				tt.opts(&opts)
			}
			s := openStore(t, filepath.Join(t.TempDir(), "state.json"))
			rec := &recorder{}
			e := NewEvaluator(s, oneFacility{}, opts, quiet(), rec)
			e.now = func() time.Time { return t0.Add(time.Minute) }
			e.Stored(tt.readings(t))
			got := map[string]Severity{}
			for _, a := range s.List(Filter{}) {
				got[a.ID] = a.Severity
				if a.District != "BG-KRK" || a.Governorate != "IQ-BG" || a.Message == "" || a.MessageAr == "" {
					t.Errorf("alert %+v lacks its area or a message", a)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("alerts %v, want %v", got, tt.want)
			}
			for id, sev := range tt.want {
				if got[id] != sev {
					t.Errorf("alert %s severity %q, want %q", id, got[id], sev)
				}
			}
			if len(rec.firing) != len(tt.want) {
				t.Errorf("notified firing %v, want %d alerts", rec.firing, len(tt.want))
			}
		})
	}
}

// TestEventMessagesInBothLanguages: the Arabic message names the waste
// category in Arabic, as the dashboard does.
func TestEventMessagesInBothLanguages(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "state.json"))
	e := NewEvaluator(s, oneFacility{}, defaultOptions(), quiet())
	e.now = func() time.Time { return t0 }
	e.Stored([]reading.Reading{waste(t, t0, "open_burning", 50)})
	for id, want := range map[string][2]string{
		"open_burning.F1":     {"Open burning of infectious waste (4.5 kg)", "حرق مكشوف لنفايات معدية (4.5 كغ)"},
		"storage_exceeded.F1": {"infectious waste stored 50 h before treatment, beyond the 48 h limit", "نفايات معدية لمدة 50 ساعة"},
	} {
		a, _ := s.Get(id)
		if !strings.Contains(a.Message, want[0]) || !strings.Contains(a.MessageAr, want[1]) {
			t.Errorf("%s: %q / %q, want %q / %q", id, a.Message, a.MessageAr, want[0], want[1])
		}
	}
}

// TestEventAlertClearsAfterItsWindow: an alert stays while events come
// and clears a window after the last.
func TestEventAlertClearsAfterItsWindow(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "state.json"))
	rec := &recorder{}
	e := NewEvaluator(s, oneFacility{}, defaultOptions(), quiet(), rec)
	now := t0
	e.now = func() time.Time { return now }
	e.Stored([]reading.Reading{waste(t, t0, "open_burning", 0)})
	now = t0.Add(5 * 24 * time.Hour)
	e.Stored([]reading.Reading{waste(t, now, "open_burning", 0)})
	e.Expire(t0.Add(8 * 24 * time.Hour))
	if a, _ := s.Get("open_burning.F1"); a.State != ActiveUnacknowledged || a.Count != 2 {
		t.Fatalf("8 days after the first event, 3 after the second: %+v", a)
	}
	e.Expire(t0.Add(12 * 24 * time.Hour))
	if a, _ := s.Get("open_burning.F1"); a.State != Cleared || !a.ClearedAt.Equal(t0.Add(12*24*time.Hour)) {
		t.Fatalf("a week after the last event: %+v", a)
	}
	if strings.Join(rec.cleared, ",") != "open_burning.F1" {
		t.Errorf("notified resolved %v", rec.cleared)
	}
}

func TestFiringMetric(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "state.json"))
	opts := defaultOptions()
	opts.OpenDumping.Enabled = false
	e := NewEvaluator(s, oneFacility{}, opts, quiet())
	e.now = func() time.Time { return t0 }
	e.Stored([]reading.Reading{waste(t, t0, "open_burning", 50)})
	reg := prometheus.NewRegistry()
	reg.MustRegister(e)
	want := `
# HELP greenpulse_collector_alerts_firing Active facility alerts (acknowledged or not), by rule and severity.
# TYPE greenpulse_collector_alerts_firing gauge
greenpulse_collector_alerts_firing{rule="open_burning",severity="critical"} 1
greenpulse_collector_alerts_firing{rule="storage_exceeded",severity="warning"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if _, _, err := s.Clear("open_burning.F1", t0); err != nil {
		t.Fatal(err)
	}
	want = strings.Replace(want, `severity="critical"} 1`, `severity="critical"} 0`, 1)
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
}
