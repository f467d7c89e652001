package config

import (
	"fmt"
	"strings"

	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// Events configures the mass gatherings that GET /api/v1/surge compares
// with their baseline (package collector/surge).
type Events struct {
	// BaselineWeeks is how many weeks before an event's first day its
	// baseline covers, read by weekday: each event day is compared with
	// the same weekday of each of those weeks.
	BaselineWeeks int     `yaml:"baseline_weeks"`
	List          []Event `yaml:"list"`
}

// Event is one gathering of the list: registry/events' fields, and an
// optional baseline length of its own.
type Event struct {
	events.Event `yaml:",inline"`
	// BaselineWeeks overrides the section's for this event (0: the
	// section's), e.g. to keep another gathering out of the baseline.
	BaselineWeeks int `yaml:"baseline_weeks"`
}

// Baseline limits (registry/events says why).
const (
	DefaultBaselineWeeks = events.DefaultBaselineWeeks
	MaxBaselineWeeks     = events.MaxBaselineWeeks
)

// DefaultEvents is the section's defaults: four weeks of baseline, no
// events.
func DefaultEvents() Events { return Events{BaselineWeeks: DefaultBaselineWeeks} }

// Events returns the list as registry/events' events.
func (e Events) Events() []events.Event {
	out := make([]events.Event, len(e.List))
	for i, x := range e.List {
		out[i] = x.Event
	}
	return out
}

// Weeks is the baseline length of the event of list index i.
func (e Events) Weeks(i int) int {
	if w := e.List[i].BaselineWeeks; w > 0 {
		return w
	}
	return e.BaselineWeeks
}

// CheckAreas checks that every event's areas name governorates, districts
// or facilities of reg: what Validate cannot know without the registry,
// which the collector loads at start and check-config loads too. Each
// problem names its key, e.g. events.list[1].areas[0].
func (e Events) CheckAreas(reg *registry.Registry) error {
	return events.ValidateAt("events.list", e.Events(), reg)
}

func (e Events) validate(bad func(key, format string, args ...any)) {
	if e.BaselineWeeks < 1 || e.BaselineWeeks > MaxBaselineWeeks {
		bad("events.baseline_weeks", "must be 1 to %d weeks, got %d", MaxBaselineWeeks, e.BaselineWeeks)
	}
	for i, x := range e.List {
		if x.BaselineWeeks < 0 || x.BaselineWeeks > MaxBaselineWeeks {
			bad(fmt.Sprintf("events.list[%d].baseline_weeks", i), "must be 0 (events.baseline_weeks) or 1 to %d weeks, got %d",
				MaxBaselineWeeks, x.BaselineWeeks)
		}
	}
	if err := events.ValidateAt("events.list", e.Events(), nil); err != nil {
		for line := range strings.SplitSeq(err.Error(), "\n") {
			key, msg, _ := strings.Cut(line, ": ")
			bad(key, "%s", msg)
		}
	}
}
