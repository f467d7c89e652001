package fleet

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/greenpulse-health/greenpulse/registry/events"
)

// Events are the mass gatherings the fleet plays, as a collector
// configuration's `events:` section lists them.
type Events struct {
	// BaselineWeeks is how many weeks before each event the collector
	// compares it with (events.baseline_weeks, default 4): the fleet's
	// event history covers them.
	BaselineWeeks int
	List          []events.Event
	// ListWeeks holds each event's own baseline_weeks, 0 (or missing):
	// BaselineWeeks.
	ListWeeks []int
}

// eventKeys are the keys of one event, in the order the errors list them.
var eventKeys = []string{"id", "name", "name_ar", "series", "areas", "first_day", "last_day", "source", "baseline_weeks"}

// Weeks is the baseline length of event i of the list.
func (ev Events) Weeks(i int) int {
	if i < len(ev.ListWeeks) && ev.ListWeeks[i] > 0 {
		return ev.ListWeeks[i]
	}
	return ev.BaselineWeeks
}

// LoadEvents reads the events section of the collector configuration at
// path (see ParseEvents).
func LoadEvents(path string) (Events, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Events{}, fmt.Errorf("read events: %w", err)
	}
	ev, err := ParseEvents(data)
	if err != nil {
		return Events{}, fmt.Errorf("%s: %w", path, err)
	}
	return ev, nil
}

// ParseEvents decodes events.list and events.baseline_weeks of a collector
// configuration. The rest of the file is the collector's to check (its
// check-config does), so other keys are left alone; inside each event
// every key must be known, and each problem is named by its key, e.g.
// events.list[1].first_day. A file without events gives none.
func ParseEvents(data []byte) (Events, error) {
	out := Events{BaselineWeeks: events.DefaultBaselineWeeks}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return out, fmt.Errorf("parse YAML: %w", err)
	}
	if len(root.Content) == 0 {
		return out, nil // an empty file
	}
	sec := lookup(root.Content[0], "events")
	if sec == nil || sec.Tag == "!!null" {
		return out, nil
	}
	if sec.Kind != yaml.MappingNode {
		return out, fmt.Errorf("events: line %d: want a mapping with list and baseline_weeks", sec.Line)
	}
	if n := lookup(sec, "baseline_weeks"); n != nil {
		if err := n.Decode(&out.BaselineWeeks); err != nil || out.BaselineWeeks < 1 || out.BaselineWeeks > events.MaxBaselineWeeks {
			return out, fmt.Errorf("events.baseline_weeks: line %d: %q: want a whole number of weeks from 1 to %d",
				n.Line, n.Value, events.MaxBaselineWeeks)
		}
	}
	list := lookup(sec, "list")
	if list == nil || list.Tag == "!!null" {
		return out, nil
	}
	if list.Kind != yaml.SequenceNode {
		return out, fmt.Errorf("events.list: line %d: want a list of events", list.Line)
	}
	var errs []error
	for i, item := range list.Content {
		e, weeks, err := decodeEvent(item, fmt.Sprintf("events.list[%d]", i))
		errs = append(errs, err...)
		out.List = append(out.List, e)
		out.ListWeeks = append(out.ListWeeks, weeks)
	}
	if len(errs) == 0 {
		// Areas are not checked against a registry: a fleet may run a
		// part of it, where an area names no facility and so plays none.
		if err := events.ValidateAt("events.list", out.List, nil); err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// decodeEvent decodes one event and its own baseline weeks (0: the
// section's), key by key, so that each error names its key.
func decodeEvent(n *yaml.Node, at string) (events.Event, int, []error) {
	var e events.Event
	weeks := 0
	if n.Kind != yaml.MappingNode {
		return e, 0, []error{fmt.Errorf("%s: line %d: want a mapping of %s", at, n.Line, strings.Join(eventKeys, ", "))}
	}
	var errs []error
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		var err error
		switch k.Value {
		case "id":
			err = scalar(v, &e.ID)
		case "name":
			err = scalar(v, &e.Name)
		case "name_ar":
			err = scalar(v, &e.NameAr)
		case "series":
			err = scalar(v, &e.Series)
		case "source":
			err = scalar(v, &e.Source)
		case "areas":
			if v.Kind != yaml.SequenceNode {
				err = fmt.Errorf("want a list of governorate codes, district codes or facility ids")
				break
			}
			e.Areas = make([]string, len(v.Content))
			for j, a := range v.Content {
				if err = scalar(a, &e.Areas[j]); err != nil {
					err = fmt.Errorf("[%d]: %w", j, err)
					break
				}
			}
		case "first_day":
			err = date(v, &e.First)
		case "last_day":
			err = date(v, &e.Last)
		case "baseline_weeks":
			if v.Decode(&weeks) != nil || weeks < 0 || weeks > events.MaxBaselineWeeks {
				err = fmt.Errorf("%q: want 0 (events.baseline_weeks) or a whole number of weeks from 1 to %d", v.Value, events.MaxBaselineWeeks)
			}
		default:
			err = fmt.Errorf("unknown key; an event has %s", strings.Join(eventKeys, ", "))
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s.%s: line %d: %w", at, k.Value, v.Line, err))
		}
	}
	return e, weeks, errs
}

// scalar decodes a string value; a list or a mapping where a string
// belongs is an error rather than a silent empty string.
func scalar(n *yaml.Node, s *string) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a single value")
	}
	*s = n.Value
	return nil
}

// date decodes a YYYY-MM-DD value, quoted or not.
func date(n *yaml.Node, d *events.Date) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a date written YYYY-MM-DD")
	}
	v, err := events.ParseDate(n.Value)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// lookup returns the value of key in mapping n, or nil.
func lookup(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// local is the simulator's local time, Asia/Baghdad: UTC+3 all year.
func local() *time.Location { return time.FixedZone("Asia/Baghdad", 3*3600) }

// Window is the span of local days, from inclusive to to exclusive, that
// the fleet generates for event i of the list at its facilities: the
// baseline weeks before it and two days more, so that the first baseline
// day's counters have readings before them, through the day after it,
// which holds the last day's closing midnight sample.
func (ev Events) Window(i int) (from, to events.Date) {
	e := ev.List[i]
	return e.First.AddDays(-7*ev.Weeks(i) - 2), e.Last.AddDays(2)
}
