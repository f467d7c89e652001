// Package events describes mass gatherings, such as the Arba'een
// pilgrimage to Karbala and Najaf: a named span of local days over areas
// of the facility registry. The collector compares what the facilities of
// those areas report during the event with a baseline before it
// (collector/surge); the simulator makes the same days busier
// (agents/source/simulate), so both read their events from here.
package events

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/greenpulse-health/greenpulse/registry"
)

// MaxDays is the longest event: a gathering that lasts longer is a
// season, and its "baseline before" would no longer be comparable.
const MaxDays = 60

// Event is one configured gathering.
type Event struct {
	// ID names the event in the API and the dashboard, e.g. arbaeen-2026.
	ID     string `yaml:"id" json:"id"`
	Name   string `yaml:"name" json:"name"`
	NameAr string `yaml:"name_ar" json:"name_ar"`
	// Series links the same event across years, e.g. arbaeen, so that an
	// event can be compared with the one a year before.
	Series string `yaml:"series" json:"series,omitempty"`
	// Areas are governorate codes, district codes or facility ids of the
	// registry; a facility belongs to the event when any of them names
	// it, its district or its governorate.
	Areas []string `yaml:"areas" json:"areas"`
	First Date     `yaml:"first_day" json:"first_day"`
	Last  Date     `yaml:"last_day" json:"last_day"` // inclusive
	// Source says where the dates come from: they are often estimates
	// (a lunar date depends on the sighting of the moon).
	Source string `yaml:"source" json:"source,omitempty"`
}

// Days are the event's days, First to Last.
func (e Event) Days() []Date {
	var out []Date
	for d := e.First; !e.Last.Before(d) && len(out) < MaxDays; d = d.AddDays(1) {
		out = append(out, d)
	}
	return out
}

// Includes reports whether facility f is in one of the event's areas.
func (e Event) Includes(f registry.Facility) bool {
	return slices.Contains(e.Areas, f.ID) || slices.Contains(e.Areas, f.District) ||
		slices.Contains(e.Areas, f.Governorate)
}

// Facilities are the registry's facilities in the event's areas, in
// registry order.
func (e Event) Facilities(reg *registry.Registry) []registry.Facility {
	var out []registry.Facility
	for _, f := range reg.Facilities() {
		if e.Includes(f) {
			out = append(out, f)
		}
	}
	return out
}

var validID = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)

// The baseline a gathering is compared with (collector/surge): the N
// weeks before its first day, by weekday. Shorter than a week has no
// weekday to compare with; longer than a quarter drifts with the seasons.
const (
	DefaultBaselineWeeks = 4
	MaxBaselineWeeks     = 13
)

// Validate checks every event of list and returns every problem, each
// naming events[i] and the key at fault. With a registry it also checks
// that each area names a governorate, district or facility of it; reg nil
// skips that check.
func Validate(list []Event, reg *registry.Registry) error { return ValidateAt("events", list, reg) }

// ValidateAt is Validate for a list found at key of a file, such as
// events.list in the collector's configuration: each problem is named
// key[i].<field>.
func ValidateAt(key string, list []Event, reg *registry.Registry) error {
	var errs []error
	bad := func(i int, field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s[%d].%s: %s", key, i, field, fmt.Sprintf(format, args...)))
	}
	known := map[string]bool{}
	if reg != nil {
		for _, f := range reg.Facilities() {
			known[f.ID], known[f.District], known[f.Governorate] = true, true, true
		}
	}
	seen := map[string]int{}
	for i, e := range list {
		switch j, dup := seen[e.ID]; {
		case !validID.MatchString(e.ID):
			bad(i, "id", "%q: want 1 to 64 lower-case letters, digits or '-', e.g. arbaeen-2026", e.ID)
		case dup:
			bad(i, "id", "%q is also the id of %s[%d]", e.ID, key, j)
		default:
			seen[e.ID] = i
		}
		if e.Name == "" {
			bad(i, "name", "missing: the event's name in English")
		}
		if e.NameAr == "" {
			bad(i, "name_ar", "missing: the event's name in Arabic")
		}
		if e.Series != "" && !validID.MatchString(e.Series) {
			bad(i, "series", "%q: want lower-case letters, digits or '-', e.g. arbaeen", e.Series)
		}
		if len(e.Areas) == 0 {
			bad(i, "areas", "missing: list the governorate codes, district codes or facility ids the event covers")
		}
		for k, a := range e.Areas {
			if reg != nil && !known[a] {
				bad(i, fmt.Sprintf("areas[%d]", k), "%q is no governorate, district or facility of the registry", a)
			}
		}
		switch {
		case e.First.IsZero():
			bad(i, "first_day", "missing: the event's first local day, YYYY-MM-DD")
		case e.Last.IsZero():
			bad(i, "last_day", "missing: the event's last local day, YYYY-MM-DD")
		case e.Last.Before(e.First):
			bad(i, "last_day", "%s is before first_day %s", e.Last, e.First)
		case e.First.DaysUntil(e.Last)+1 > MaxDays:
			bad(i, "last_day", "the event lasts %d days; at most %d", e.First.DaysUntil(e.Last)+1, MaxDays)
		}
	}
	return errors.Join(errs...)
}

// Previous is the same event a year before e: of the events of e's series,
// the latest that starts 300 to 420 days before e does (a lunar year is
// 354 days, so a Hijri-dated event comes 11 days earlier each solar year).
func Previous(list []Event, e Event) (Event, bool) {
	var best Event
	found := false
	if e.Series == "" {
		return best, false
	}
	for _, o := range list {
		if o.Series != e.Series || o.ID == e.ID {
			continue
		}
		gap := o.First.DaysUntil(e.First)
		if gap < 300 || gap > 420 {
			continue
		}
		if !found || best.First.Before(o.First) {
			best, found = o, true
		}
	}
	return best, found
}

// Lookup is the event of list with id.
func Lookup(list []Event, id string) (Event, bool) {
	for _, e := range list {
		if e.ID == id {
			return e, true
		}
	}
	return Event{}, false
}
