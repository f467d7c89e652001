package surge

import (
	"slices"

	"github.com/greenpulse-health/greenpulse/registry"
)

// Scope is what a viewer may see, as collector/access decides;
// api.Viewer has these methods.
type Scope interface {
	// SeesRow: an aggregate of area at level (national, governorate,
	// district, facility).
	SeesRow(level, area string) bool
	// SeesFacility: a facility's own figures.
	SeesFacility(id string) bool
}

// place is a registry area: a level and its code; level national has an
// empty code, the country's.
type place struct{ level, area string }

// containing is the smallest registry area holding every facility of
// facs: an event-level sum is that area's figures (one facility's, for an
// event of one facility), so whoever sees the event's row must be allowed
// to see that area.
func containing(facs []registry.Facility) place {
	if len(facs) == 0 {
		return place{level: "national"}
	}
	same := func(key func(registry.Facility) string) bool {
		return !slices.ContainsFunc(facs, func(f registry.Facility) bool { return key(f) != key(facs[0]) })
	}
	switch {
	case len(facs) == 1:
		return place{"facility", facs[0].ID}
	case same(func(f registry.Facility) string { return f.District }):
		return place{"district", facs[0].District}
	case same(func(f registry.Facility) string { return f.Governorate }):
		return place{"governorate", facs[0].Governorate}
	}
	return place{level: "national"}
}

// Scoped is a narrowed to what sc sees: each row (the event's, its
// governorates' and districts', and the year before) when sc sees the
// registry area its facilities make up, the facilities whose figures sc
// may read (facility false: none, as in public mode).
func (a *Answer) Scoped(sc Scope, facility bool) *Answer {
	out := *a
	sees := func(p place) bool {
		if p.level == "national" {
			return sc.SeesRow("national", a.country)
		}
		return sc.SeesRow(p.level, p.area)
	}
	out.Areas = make([]Area, 0, len(a.Areas))
	for _, x := range a.Areas {
		if sees(x.within) {
			out.Areas = append(out.Areas, x)
		}
	}
	out.Facilities = make([]Facility, 0, len(a.Facilities))
	seen := map[string]bool{}
	for _, f := range a.Facilities {
		if facility && sc.SeesFacility(f.Facility) {
			out.Facilities = append(out.Facilities, f)
			seen[f.Facility] = true
		}
	}
	out.Exceeded = make([]string, 0, len(a.Exceeded))
	for _, id := range a.Exceeded {
		if seen[id] {
			out.Exceeded = append(out.Exceeded, id)
		}
	}
	if a.Previous != nil && !sees(a.Previous.within) {
		out.Previous = nil
	}
	return &out
}
