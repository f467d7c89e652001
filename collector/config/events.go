package config

import (
	"errors"
	"fmt"
	"regexp"
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

// Baseline limits. A baseline shorter than a week has no weekday to
// compare with; one longer than a quarter drifts with the seasons.
const (
	DefaultBaselineWeeks = 4
	MaxBaselineWeeks     = 13
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
	return renameEventKeys(events.Validate(e.Events(), reg))
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
	if err := renameEventKeys(events.Validate(e.Events(), nil)); err != nil {
		for line := range strings.SplitSeq(err.Error(), "\n") {
			key, msg, _ := strings.Cut(line, ": ")
			bad(key, "%s", msg)
		}
	}
}

// eventKey is how registry/events names an event: events[i].
var eventKey = regexp.MustCompile(`(^|\W)events\[(\d+)\]`)

// renameEventKeys rewrites registry/events' keys (events[1].first_day)
// into this file's (events.list[1].first_day), one error a problem.
func renameEventKeys(err error) error {
	if err == nil {
		return nil
	}
	var out []error
	for line := range strings.SplitSeq(err.Error(), "\n") {
		out = append(out, errors.New(eventKey.ReplaceAllString(line, "${1}events.list[$2]")))
	}
	return errors.Join(out...)
}
