package fleet

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/greenpulse-health/greenpulse/registry/events"
)

const goodEvents = `
registry: facilities.csv
rollup:
  timezone: Asia/Baghdad
  some_future_key: {anything: [goes]}
events:
  baseline_weeks: 3
  list:
    - id: arbaeen-2025
      name: "Arba'een 2025"
      name_ar: "الأربعينية ٢٠٢٥"
      series: arbaeen
      areas: [IQ-KA, IQ-NA]
      first_day: 2025-08-06
      last_day: "2025-08-16"
      source: "estimate"
    - id: small
      name: Small
      name_ar: صغير
      areas: [KA-H-001]
      first_day: 2026-01-01
      last_day: 2026-01-01
      baseline_weeks: 2
`

func TestParseEvents(t *testing.T) {
	ev, err := ParseEvents([]byte(goodEvents))
	if err != nil {
		t.Fatalf("ParseEvents: %v", err)
	}
	if ev.BaselineWeeks != 3 || len(ev.List) != 2 {
		t.Fatalf("got %d baseline weeks and %d events, want 3 and 2", ev.BaselineWeeks, len(ev.List))
	}
	e := ev.List[0]
	if e.ID != "arbaeen-2025" || e.Name != "Arba'een 2025" || e.NameAr != "الأربعينية ٢٠٢٥" || e.Series != "arbaeen" ||
		strings.Join(e.Areas, ",") != "IQ-KA,IQ-NA" || e.First.String() != "2025-08-06" || e.Last.String() != "2025-08-16" || e.Source != "estimate" {
		t.Errorf("first event decoded as %+v", e)
	}
	if s := ev.List[1]; s.First != s.Last || s.Series != "" {
		t.Errorf("second event decoded as %+v", s)
	}
	if ev.Weeks(0) != 3 || ev.Weeks(1) != 2 {
		t.Errorf("baseline weeks %d and %d, want the section's 3 and the event's 2", ev.Weeks(0), ev.Weeks(1))
	}
}

func TestParseEventsEmpty(t *testing.T) {
	for _, doc := range []string{"", "registry: x.csv\n", "events:\n", "events: {baseline_weeks: 2}\n", "events: {list: []}\n"} {
		ev, err := ParseEvents([]byte(doc))
		if err != nil || len(ev.List) != 0 {
			t.Errorf("ParseEvents(%q) = %d events, %v; want none, no error", doc, len(ev.List), err)
		}
		if ev.BaselineWeeks == 0 {
			t.Errorf("ParseEvents(%q): baseline weeks 0, want the default or the file's", doc)
		}
	}
}

// TestParseEventsErrors checks that each problem inside an event is
// reported, named by its key as the file places it.
func TestParseEventsErrors(t *testing.T) {
	event := func(body string) string {
		return "events:\n  list:\n    - id: arbaeen-2025\n      name: A\n      name_ar: ا\n      areas: [IQ-KA]\n" +
			"      first_day: 2025-08-06\n      last_day: 2025-08-16\n" + body
	}
	tests := []struct {
		name, doc string
		want      []string
	}{
		{"not YAML", "events: [", []string{"parse YAML"}},
		{"events a list", "events: [a]", []string{"events: line 1: want a mapping"}},
		{"list a mapping", "events: {list: {id: x}}", []string{"events.list: line 1: want a list"}},
		{"bad weeks", "events: {baseline_weeks: many}", []string{"events.baseline_weeks", "1 to 13"}},
		{"too many weeks", "events: {baseline_weeks: 14}", []string{"events.baseline_weeks"}},
		{"bad event weeks", event("      baseline_weeks: -1\n"), []string{"events.list[0].baseline_weeks: line 9"}},
		{"zero weeks", "events: {baseline_weeks: 0}", []string{"events.baseline_weeks"}},
		{"event not a mapping", "events:\n  list: [arbaeen]", []string{"events.list[0]: line 2: want a mapping"}},
		{"unknown key", event("      first_dya: 2025-08-07\n"), []string{"events.list[0].first_dya: line 9: unknown key"}},
		{"bad date", event("      source: x\n    - {id: b, name: B, name_ar: ب, areas: [IQ-NA], first_day: 2025-13-01, last_day: 2025-08-01}\n"),
			[]string{`events.list[1].first_day: line 10: "2025-13-01" is not a date`}},
		{"areas not a list", "events:\n  list:\n    - {id: a, areas: IQ-KA}\n", []string{"events.list[0].areas: line 3: want a list"}},
		{"area a mapping", "events:\n  list:\n    - {id: a, areas: [{x: 1}]}\n", []string{"events.list[0].areas: line 3: [0]: want a single value"}},
		{"name a list", event("      series: [a]\n"), []string{"events.list[0].series: line 9: want a single value"}},
		{"validated", "events:\n  list:\n    - {id: A, name_ar: ا, areas: [IQ-KA], first_day: 2025-08-06, last_day: 2025-08-01}\n",
			[]string{"events.list[0].id", "events.list[0].name: missing", "events.list[0].last_day: 2025-08-01 is before first_day"}},
		{"duplicate ids", event("    - {id: arbaeen-2025, name: B, name_ar: ب, areas: [IQ-NA], first_day: 2025-08-06, last_day: 2025-08-07}\n"),
			[]string{"events.list[1].id", "also the id of events.list[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEvents([]byte(tt.doc))
			if err == nil {
				t.Fatalf("ParseEvents accepted:\n%s", tt.doc)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

func TestLoadEvents(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "collector.yaml")
	if err := os.WriteFile(path, []byte("events: {list: [{id: x}]}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadEvents(path); err == nil || !strings.Contains(err.Error(), path+": events.list[0].name") {
		t.Errorf("LoadEvents = %v, want the file and the key named", err)
	}
	if _, err := LoadEvents(filepath.Join(dir, "missing.yaml")); err == nil || !strings.Contains(err.Error(), "read events") {
		t.Errorf("LoadEvents of a missing file = %v", err)
	}
	// The example configuration's events, whatever they are, load.
	if _, err := LoadEvents("../../configs/collector.yaml"); err != nil {
		t.Errorf("configs/collector.yaml: %v", err)
	}
}

func TestWindow(t *testing.T) {
	d := func(s string) events.Date {
		v, err := events.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	e := events.Event{First: d("2025-08-06"), Last: d("2025-08-16")}
	tests := []struct {
		weeks, own int
		from, to   string
	}{
		{4, 0, "2025-07-07", "2025-08-18"},
		{1, 0, "2025-07-28", "2025-08-18"},
		{4, 2, "2025-07-21", "2025-08-18"}, // the event's own baseline_weeks
	}
	for _, tt := range tests {
		ev := Events{BaselineWeeks: tt.weeks, List: []events.Event{e}, ListWeeks: []int{tt.own}}
		from, to := ev.Window(0)
		if from.String() != tt.from || to.String() != tt.to {
			t.Errorf("%d weeks, the event's %d: window %s to %s, want %s to %s", tt.weeks, tt.own, from, to, tt.from, tt.to)
		}
	}
}

// FuzzParseEvents: the file is written by people; a bad one is an error,
// never a panic, and a good one holds only valid events.
func FuzzParseEvents(f *testing.F) {
	f.Add(goodEvents)
	f.Add("events: {list: [{id: a, areas: [x], first_day: 2025-01-01, last_day: 2025-01-02}]}")
	f.Add("events:\n  list:\n    - [1, 2]\n")
	f.Add("events: {baseline_weeks: -3}")
	f.Fuzz(func(t *testing.T, doc string) {
		ev, err := ParseEvents([]byte(doc))
		if err != nil {
			return
		}
		if ev.BaselineWeeks < 1 || ev.BaselineWeeks > events.MaxBaselineWeeks {
			t.Fatalf("accepted %d baseline weeks", ev.BaselineWeeks)
		}
		for i := range ev.List {
			if w := ev.Weeks(i); w < 1 || w > events.MaxBaselineWeeks {
				t.Fatalf("accepted %d baseline weeks for event %d", w, i)
			}
		}
		if err := events.Validate(ev.List, nil); err != nil {
			t.Fatalf("accepted invalid events: %v", err)
		}
	})
}
