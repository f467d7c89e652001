package sweep

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/collector/alerts/windowed"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

type fakeIndicators struct {
	rows []rollup.Row
	err  error

	mu      sync.Mutex // the sweep reads concurrently
	queries []rollup.Query
}

func (f *fakeIndicators) Read(_ context.Context, q rollup.Query) ([]rollup.Row, error) {
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	var out []rollup.Row
	for _, r := range f.rows {
		for _, id := range q.Indicators {
			if r.Indicator == id && !r.Start.Before(q.From) && r.Start.Before(q.To) {
				out = append(out, r)
			}
		}
	}
	return out, f.err
}

type fakeAgents map[string]time.Time

func (f fakeAgents) LastReading(id string) (time.Time, bool) { t, ok := f[id]; return t, ok }
func (f fakeAgents) Status(string) (reading.AgentStatus, time.Time, bool) {
	return reading.AgentStatus{}, time.Time{}, false
}

type judged struct{ verdicts []alerts.Verdict }

func (j *judged) Judge(vs []alerts.Verdict) { j.verdicts = append(j.verdicts, vs...) }

func (j *judged) of(rule, facility string) (alerts.Verdict, bool) {
	for _, v := range j.verdicts {
		if v.Rule == rule && v.Facility == facility {
			return v, true
		}
	}
	return alerts.Verdict{}, false
}

func testRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	csv := "id,name,name_ar,type,beds,governorate,district,lat,lon,pv_kwp,dhis2_org_unit\n" +
		"BG-1,A,أ,hospital,100,IQ-BG,BG-RSF,33.3,44.4,50,\n" +
		"BA-1,B,ب,phc,0,IQ-BA,BA-BSR,30.5,47.8,0,\n"
	reg, err := registry.Parse(strings.NewReader(csv), "test.csv")
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

// TestSweepReadsTheDaysBeforeToday: values stored at local midnights land
// on the right day back (also across a daylight-saving change), today's
// partial day is not read, each facility gets its governorate's settings,
// and the verdicts reach the judge with the facility's area.
func TestSweepReadsTheDaysBeforeToday(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin") // 2026-03-29 has 23 hours
	if err != nil {
		t.Skip("no tz data:", err)
	}
	now := time.Date(2026, 3, 30, 15, 0, 0, 0, loc)
	day := func(ago int) time.Time { return time.Date(2026, 3, 30-ago, 0, 0, 0, 0, loc) }
	ind := &fakeIndicators{rows: []rollup.Row{
		{Indicator: indicators.GridAvailabilityPct, Level: "facility", Area: "BG-1", Start: day(1), Value: 40},
		{Indicator: indicators.GridAvailabilityPct, Level: "facility", Area: "BA-1", Start: day(1), Value: 40},
		{Indicator: indicators.GridAvailabilityPct, Level: "facility", Area: "BG-1", Start: day(0), Value: 99},
	}}
	country := windowed.DefaultSettings()
	basra := windowed.DefaultSettings()
	basra.GridAvailabilityLow.BelowPct = 30
	settings := func(gov string) windowed.Settings {
		if gov == "IQ-BA" {
			return basra
		}
		return country
	}
	j := &judged{}
	s := New(Options{Schedule: "@every 1m", Location: loc, Settings: settings, Governorates: []string{"IQ-BA"},
		Started: now.Add(-time.Hour)}, testRegistry(t), ind, fakeAgents{"BG-1": now.Add(-time.Minute)}, nil, j,
		prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	res, err := s.Sweep(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if res.Facilities != 2 {
		t.Errorf("%d facilities swept", res.Facilities)
	}
	if v, ok := j.of(windowed.RuleGridAvailabilityLow, "BG-1"); !ok || !v.Firing || v.Governorate != "IQ-BG" || v.District != "BG-RSF" {
		t.Errorf("Baghdad's 40 %% below the country's 50 %%: %+v (found %v); today's 99 %% must not count", v, ok)
	}
	if v, ok := j.of(windowed.RuleGridAvailabilityLow, "BA-1"); !ok || v.Firing {
		t.Errorf("Basra's 40 %% is above its 30 %% override: %+v (found %v)", v, ok)
	}
	if v, ok := j.of(windowed.RuleAgentSilent, "BA-1"); ok {
		t.Errorf("BA-1, unheard for the hour since start, cannot be judged within 6 h: %+v", v)
	}
	if v, ok := j.of(windowed.RuleAgentSilent, "BG-1"); !ok || v.Firing {
		t.Errorf("BG-1, heard a minute ago: %+v (found %v), want clear", v, ok)
	}
	var waste rollup.Query
	for _, q := range ind.queries {
		if len(q.Indicators) == 1 && q.Indicators[0] == indicators.WasteKg {
			waste = q
		}
	}
	if want := day(31); !waste.From.Equal(want) || !waste.To.Equal(day(0)) {
		t.Errorf("waste read from %s to %s, want %s to %s", waste.From, waste.To, want, day(0))
	}
}

// TestSweepCountsSilenceFromWhenTheCollectorListens: while the collector
// is not connected no agent is judged silent, and after a reconnect
// silence counts from then, so its own outage opens no alerts.
func TestSweepCountsSilenceFromWhenTheCollectorListens(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		listening func() (time.Time, bool)
		firing    bool
	}{
		{"listening for a day", func() (time.Time, bool) { return now.Add(-24 * time.Hour), true }, true},
		{"disconnected", func() (time.Time, bool) { return time.Time{}, false }, false},
		{"reconnected an hour ago", func() (time.Time, bool) { return now.Add(-time.Hour), true }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := &judged{}
			s := New(Options{Schedule: "@every 1m", Location: time.UTC, Settings: func(string) windowed.Settings { return windowed.DefaultSettings() },
				Started: now.Add(-48 * time.Hour), Listening: tt.listening}, testRegistry(t), &fakeIndicators{},
				fakeAgents{"BG-1": now.Add(-12 * time.Hour)}, nil, j, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
			if _, err := s.Sweep(context.Background(), now); err != nil {
				t.Fatal(err)
			}
			v, _ := j.of(windowed.RuleAgentSilent, "BG-1")
			if v.Firing != tt.firing {
				t.Errorf("BG-1, last heard 12 h ago: firing %v, want %v (%+v)", v.Firing, tt.firing, v)
			}
		})
	}
}

// TestSweepJudgesOnlyTheFacilitiesItOwns: a collector of a partition
// hears only its own agents, so it must not judge the others silent, and
// it leaves their alerts to the collector that owns them.
func TestSweepJudgesOnlyTheFacilitiesItOwns(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		name   string
		owns   func(string) bool
		judged []string
	}{
		{"no partition", nil, []string{"BA-1", "BG-1"}},
		{"owns BG-1", func(id string) bool { return id == "BG-1" }, []string{"BG-1"}},
		{"owns BA-1", func(id string) bool { return id == "BA-1" }, []string{"BA-1"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			j := &judged{}
			s := New(Options{Schedule: "@every 1m", Location: time.UTC, Settings: func(string) windowed.Settings { return windowed.DefaultSettings() },
				Started: now.Add(-48 * time.Hour), Owns: tt.owns}, testRegistry(t), &fakeIndicators{},
				fakeAgents{}, nil, j, prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
			if _, err := s.Sweep(context.Background(), now); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, id := range []string{"BA-1", "BG-1"} {
				if v, ok := j.of(windowed.RuleAgentSilent, id); ok && v.Firing {
					got = append(got, id)
				}
			}
			if strings.Join(got, " ") != strings.Join(tt.judged, " ") {
				t.Errorf("silent alerts for %v, want %v (neither agent was heard for 48 h)", got, tt.judged)
			}
		})
	}
}

func TestSweepFailsWhenTheIndicatorsCannotBeRead(t *testing.T) {
	j := &judged{}
	s := New(Options{Schedule: "@every 1m", Location: time.UTC, Settings: func(string) windowed.Settings { return windowed.DefaultSettings() }},
		testRegistry(t), &fakeIndicators{err: errors.New("influxdb down")}, fakeAgents{}, nil, j,
		prometheus.NewRegistry(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := s.Sweep(context.Background(), time.Now()); err == nil || !strings.Contains(err.Error(), "influxdb down") {
		t.Fatalf("err = %v", err)
	}
	if len(j.verdicts) != 0 {
		t.Errorf("verdicts without data: %v", j.verdicts)
	}
}

func TestRejectionsCountsKnownFacilitiesInTheWindow(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	r := NewRejections(func(id string) bool { return id == "BG-1" }, time.Hour)
	for i := range 30 {
		r.Rejected("BG-1", t0.Add(time.Duration(i)*5*time.Minute)) // 10:00 … 12:25
		r.Rejected("made-up", t0)
	}
	tests := []struct {
		facility string
		since    time.Time
		want     int
	}{
		{"BG-1", t0.Add(125 * time.Minute), 5}, // 12:05 … 12:25
		{"BG-1", t0.Add(150 * time.Minute), 0},
		{"made-up", t0, 0},
	}
	for _, tt := range tests {
		if got := r.Count(tt.facility, tt.since); got != tt.want {
			t.Errorf("Count(%s, %s) = %d, want %d", tt.facility, tt.since.Format("15:04"), got, tt.want)
		}
	}
	if n := len(r.per["BG-1"]); n > 13 {
		t.Errorf("%d minutes kept, want at most an hour's", n)
	}
	if _, ok := r.per["made-up"]; ok {
		t.Error("a facility not in the registry is counted")
	}
}
