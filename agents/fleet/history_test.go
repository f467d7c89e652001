package fleet

import (
	"bytes"
	"context"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// fakeAgent records what history generation stores, in order.
type fakeAgent struct {
	sim *simulate.Sim
	dir string
	mu  sync.Mutex
	got []reading.Reading
}

func (a *fakeAgent) Simulator() *simulate.Sim { return a.sim }
func (a *fakeAgent) OutboxDir() string        { return a.dir }
func (a *fakeAgent) Record(_ string, rs []reading.Reading) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.got = append(a.got, rs...)
	return nil
}

func arbaeen2025(t *testing.T) Events {
	t.Helper()
	ev, err := ParseEvents([]byte(`events:
  list:
    - {id: arbaeen-2025, name: "Arba'een 2025", name_ar: الأربعينية, series: arbaeen, areas: [IQ-KA, IQ-NA],
       first_day: 2025-08-06, last_day: 2025-08-16}
`))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// newAgent returns a fake agent of registry facility id, playing ev.
func newAgent(t *testing.T, id string, ev Events) *fakeAgent {
	t.Helper()
	reg, err := registry.Load("../../configs/facilities.csv")
	if err != nil {
		t.Fatal(err)
	}
	f, ok := reg.Lookup(id)
	if !ok {
		t.Fatalf("no facility %s", id)
	}
	s := simulate.New(f, 1)
	var surges []simulate.Surge
	for _, e := range ev.List {
		surges = append(surges, simulate.Surge{Event: e, Factors: simulate.DefaultFactors()})
	}
	if err := s.SetSurges(surges); err != nil {
		t.Fatal(err)
	}
	return &fakeAgent{sim: s, dir: t.TempDir()}
}

func TestSpans(t *testing.T) {
	ev := arbaeen2025(t)
	at := func(s string) time.Time {
		d, err := events.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d.In(local())
	}
	end := time.Date(2025, 12, 3, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		facility string
		history  time.Duration
		events   bool
		now      time.Time
		want     []span
	}{
		{"event facility", "KA-H-001", 30 * 24 * time.Hour, true, end, []span{
			{"arbaeen-2025", at("2025-07-07"), at("2025-08-18"), "event-arbaeen-2025-until"},
			{"", end.Add(-30 * 24 * time.Hour), end, "history-until"},
		}},
		{"elsewhere", "BG-H-001", 30 * 24 * time.Hour, true, end, []span{
			{"", end.Add(-30 * 24 * time.Hour), end, "history-until"},
		}},
		{"no event history", "KA-H-001", 24 * time.Hour, false, end, []span{
			{"", end.Add(-24 * time.Hour), end, "history-until"},
		}},
		{"event history alone", "NA-P-001", 0, true, end, []span{
			{"arbaeen-2025", at("2025-07-07"), at("2025-08-18"), "event-arbaeen-2025-until"},
		}},
		{"the regular history covers its end", "KA-H-001", 120 * 24 * time.Hour, true, end, []span{
			{"arbaeen-2025", at("2025-07-07"), end.Add(-120 * 24 * time.Hour), "event-arbaeen-2025-until"},
			{"", end.Add(-120 * 24 * time.Hour), end, "history-until"},
		}},
		{"the regular history covers it all", "KA-H-001", 160 * 24 * time.Hour, true, end, []span{
			{"", end.Add(-160 * 24 * time.Hour), end, "history-until"},
		}},
		{"under way", "KA-H-001", 0, true, at("2025-08-10").Add(5 * time.Hour), []span{
			{"arbaeen-2025", at("2025-07-07"), at("2025-08-10").Add(5 * time.Hour), "event-arbaeen-2025-until"},
		}},
		{"not yet begun", "KA-H-001", 0, true, at("2025-07-01"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := Options{History: tt.history, EventHistory: tt.events, Events: ev}
			got := spans(newAgent(t, tt.facility, ev), opt, tt.now)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("spans =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// TestGenerateHistory checks that an event facility stores its regular
// history and its event window, exactly the surged model's readings, that
// a facility elsewhere stores only the regular history, that a second run
// stores nothing more, and that the log names the window.
func TestGenerateHistory(t *testing.T) {
	ev := arbaeen2025(t)
	now := time.Date(2025, 12, 3, 8, 7, 0, 0, time.UTC)
	step := time.Hour
	opt := Options{History: 2 * 24 * time.Hour, HistoryStep: step, EventHistory: true, Events: ev}
	in, out := newAgent(t, "KA-H-001", ev), newAgent(t, "BG-H-001", ev)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	n, err := generateHistory(context.Background(), []target{in, out}, opt, now, log)
	if err != nil {
		t.Fatal(err)
	}
	end := now.Truncate(step)
	from, to := ev.Window(0)
	// Oldest first: the event window, then the regular history.
	wantIn := append(in.sim.Readings(from.In(local()), to.In(local()), step), in.sim.Readings(end.Add(-opt.History), end, step)...)
	wantOut := out.sim.Readings(end.Add(-opt.History), end, step)
	if !reflect.DeepEqual(in.got, wantIn) {
		t.Errorf("KA-H-001 stored %d readings, want the %d of its history and event window", len(in.got), len(wantIn))
	}
	if !reflect.DeepEqual(out.got, wantOut) {
		t.Errorf("BG-H-001 stored %d readings, want the %d of its history", len(out.got), len(wantOut))
	}
	if n != len(wantIn)+len(wantOut) {
		t.Errorf("generateHistory counted %d readings, stored %d", n, len(wantIn)+len(wantOut))
	}
	// The event window holds surged days: more waste at the peak than on
	// the same weekday two weeks before, in the baseline.
	kg := func(day string) float64 {
		var sum float64
		for _, r := range in.got {
			if f, ok := r.Field("mass_kg"); ok && events.DateOf(r.Time, local()).String() == day {
				sum += f.Num
			}
		}
		return sum
	}
	if peak, before := kg("2025-08-14"), kg("2025-07-31"); !(peak > 1.5*before) || before == 0 {
		t.Errorf("waste on the peak day %.1f kg, a week before %.1f kg", peak, before)
	}
	line := ""
	for _, l := range strings.Split(logs.String(), "\n") {
		if strings.Contains(l, `msg="event history"`) {
			line = l
		}
	}
	for _, w := range []string{"event=arbaeen-2025", "first_day=2025-08-06", "last_day=2025-08-16", "baseline_weeks=4",
		"from=2025-07-07", "to=2025-08-18", "facilities=1"} {
		if !strings.Contains(line, w) {
			t.Errorf("log line %q lacks %s", line, w)
		}
	}

	// Again: the markers say it is all there.
	in.got, out.got = nil, nil
	if n, err := generateHistory(context.Background(), []target{in, out}, opt, now, log); err != nil || n != 0 {
		t.Errorf("second run stored %d readings, %v; want none", n, err)
	}
}
