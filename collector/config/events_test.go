package config

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

const goodEvent = `
    - id: arbaeen-2025
      name: "Arba'een 2025"
      name_ar: "الأربعينية ٢٠٢٥"
      series: arbaeen
      areas: [IQ-KA, IQ-NA]
      first_day: 2025-08-05
      last_day: 2025-08-17
      source: "test"
`

func TestEventsDecode(t *testing.T) {
	cfg, err := Parse([]byte("events:\n  baseline_weeks: 3\n  list:" + goodEvent + "      baseline_weeks: 2\n"))
	if err != nil {
		t.Fatal(err)
	}
	ev := cfg.Events
	if ev.BaselineWeeks != 3 || len(ev.List) != 1 || ev.Weeks(0) != 2 {
		t.Fatalf("events %+v, want baseline 3 and one event of 2 weeks", ev)
	}
	e := ev.Events()[0]
	want := events.Event{ID: "arbaeen-2025", Name: "Arba'een 2025", NameAr: "الأربعينية ٢٠٢٥", Series: "arbaeen",
		Areas: []string{"IQ-KA", "IQ-NA"}, First: events.Date{Year: 2025, Month: time.August, Day: 5},
		Last: events.Date{Year: 2025, Month: time.August, Day: 17}, Source: "test"}
	if e.ID != want.ID || e.Name != want.Name || e.NameAr != want.NameAr || e.Series != want.Series ||
		strings.Join(e.Areas, ",") != "IQ-KA,IQ-NA" || e.First != want.First || e.Last != want.Last || e.Source != want.Source {
		t.Errorf("event %+v, want %+v", e, want)
	}
	cfg.Events.List[0].BaselineWeeks = 0
	if cfg.Events.Weeks(0) != 3 {
		t.Errorf("an event without baseline_weeks takes %d weeks, want the section's 3", cfg.Events.Weeks(0))
	}
	if d, _ := Parse(nil); d.Events.BaselineWeeks != DefaultBaselineWeeks || len(d.Events.List) != 0 {
		t.Errorf("default events %+v, want %d weeks and none", d.Events, DefaultBaselineWeeks)
	}
}

func TestEventsValidationNamesTheKey(t *testing.T) {
	list := func(extra string) string { return "events:\n  list:" + goodEvent + extra }
	tests := []struct{ yaml, want string }{
		{"events: {baseline_weeks: 0}", "events.baseline_weeks: must be 1 to 13 weeks, got 0"},
		{"events: {baseline_weeks: 14}", "events.baseline_weeks"},
		{list("      baseline_weeks: -1\n"), "events.list[0].baseline_weeks"},
		{list(strings.Replace(goodEvent, "first_day: 2025-08-05", "first_day: 2025-08-20", 1)),
			"events.list[1].last_day: 2025-08-17 is before first_day 2025-08-20"},
		{list(strings.Replace(goodEvent, "arbaeen-2025", "Arbaeen 2025", 1)), "events.list[1].id"},
		{list(goodEvent), `events.list[1].id: "arbaeen-2025" is also the id of events.list[0]`},
		{list(strings.Replace(goodEvent, `name_ar: "الأربعينية ٢٠٢٥"`, `name_ar: ""`, 1)), "events.list[1].name_ar: missing"},
		{list(strings.Replace(goodEvent, "last_day: 2025-08-17", "last_day: 2025-10-17", 1)), "events.list[1].last_day: the event lasts"},
		{list(strings.Replace(goodEvent, "first_day: 2025-08-05", "first_day: 2025-08-32", 1)), `"2025-08-32" is not a date written YYYY-MM-DD`},
		{list("      days: 3\n"), "field days not found"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) = %v, want an error with %q", tt.yaml, err, tt.want)
			}
		})
	}
}

func TestEventsCheckAreas(t *testing.T) {
	reg := testRegistry(t)
	cfg, err := Parse([]byte("events:\n  list:" + goodEvent + strings.Replace(strings.Replace(goodEvent, "2025", "2026", -1),
		"[IQ-KA, IQ-NA]", "[IQ-KA, IQ-XX, KA-H-001]", 1)))
	if err != nil {
		t.Fatalf("the areas are checked only against the registry: %v", err)
	}
	err = cfg.Events.CheckAreas(reg)
	if err == nil || !strings.Contains(err.Error(), `events.list[1].areas[1]: "IQ-XX" is no governorate, district or facility of the registry`) ||
		strings.Contains(err.Error(), "areas[0]") || strings.Contains(err.Error(), "areas[2]") {
		t.Errorf("CheckAreas: %v, want only events.list[1].areas[1] named", err)
	}
	if err := (Events{BaselineWeeks: 4}).CheckAreas(reg); err != nil {
		t.Errorf("no events: %v", err)
	}
}

// TestShippedEvents keeps configs/collector.yaml's Arba'een examples
// valid against configs/facilities.csv, a year apart.
func TestShippedEvents(t *testing.T) {
	cfg, err := Load(filepath.Join("..", "..", "configs", "collector.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Events.CheckAreas(testRegistry(t)); err != nil {
		t.Error(err)
	}
	list := cfg.Events.Events()
	if len(list) != 2 || list[0].ID != "arbaeen-2025" || list[1].ID != "arbaeen-2026" {
		t.Fatalf("events %+v, want Arba'een 2025 and 2026", list)
	}
	if p, ok := events.Previous(list, list[1]); !ok || p.ID != "arbaeen-2025" {
		t.Errorf("arbaeen-2026's year before: %v %v", p.ID, ok)
	}
	for _, e := range list {
		if !strings.Contains(e.Source, "https://") || len(e.Days()) < 10 {
			t.Errorf("%s: %d days, source %q", e.ID, len(e.Days()), e.Source)
		}
	}
}

func testRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}
