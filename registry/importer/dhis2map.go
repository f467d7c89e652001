package importer

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/greenpulse-health/greenpulse/registry"
)

// DHIS2Mapping says which DHIS2 levels hold the governorates, districts and
// facilities, and how to read the units there.
type DHIS2Mapping struct {
	// Root is the UID of the org unit under which facilities are read:
	// the country, or one governorate.
	Root string
	// Governorate, District and Facility are DHIS2 level numbers
	// (1 is the top), strictly increasing.
	Governorate, District, Facility int
	// Governorates maps a governorate-level org unit's UID to the
	// ISO 3166-2:IQ code to use, over any match by code or name.
	Governorates map[string]string
	// Now decides which closedDate lies in the past.
	Now time.Time
}

// Validate checks the mapping before any request is sent.
func (m DHIS2Mapping) Validate() error {
	if !registry.IsDHIS2UID(m.Root) {
		return fmt.Errorf("root: want a DHIS2 org unit UID (11 letters and digits, starting with a letter), got %q", m.Root)
	}
	if m.Governorate < 1 || m.District <= m.Governorate || m.Facility <= m.District {
		return fmt.Errorf("levels: want 1 ≤ governorate < district < facility, got governorate=%d, district=%d, facility=%d", m.Governorate, m.District, m.Facility)
	}
	gm := NewGovernorateMatcher()
	for uid, code := range m.Governorates {
		if !registry.IsDHIS2UID(uid) {
			return fmt.Errorf("governorates: %q is not a DHIS2 UID", uid)
		}
		if gm.LookupCode(code) != code {
			return fmt.Errorf("governorates: %s=%s: want an ISO 3166-2:IQ code such as IQ-BG", uid, code)
		}
	}
	return nil
}

// govUnit is a governorate-level org unit and the code it matched.
type govUnit struct {
	u         OrgUnit
	code, how string
}

// MapOrgUnits turns the org units read under m.Root into candidates: the
// units at the facility level become facilities, placed in the governorate
// and district their path passes through. It never fails on the units'
// content: what it cannot map is a Problem. It fails only if the root lies
// below the governorate level or an override names no governorate unit.
func MapOrgUnits(units []OrgUnit, m DHIS2Mapping, gm *GovernorateMatcher) (Source, error) {
	src := Source{Name: "DHIS2"}
	byID := make(map[string]*OrgUnit, len(units))
	for i := range units {
		byID[units[i].ID] = &units[i]
	}
	ancestor := func(u *OrgUnit, level int) *OrgUnit {
		if parts := strings.Split(strings.Trim(u.Path, "/"), "/"); u.Path != "" && len(parts) >= level && level > 0 {
			return byID[parts[level-1]]
		}
		for p, hops := u, 0; p != nil && hops < 64; hops++ {
			if p.Level == level {
				return p
			}
			if p.Parent == nil {
				return nil
			}
			p = byID[p.Parent.ID]
		}
		return nil
	}
	outside := 0
	govs := map[string]*govUnit{}
	var districts, facilities []*OrgUnit
	for i := range units {
		u := &units[i]
		if u.Path != "" && !slices.Contains(strings.Split(u.Path, "/"), m.Root) {
			outside++ // path:like matched part of another UID
			continue
		}
		if parts := strings.Split(strings.Trim(u.Path, "/"), "/"); u.Path != "" {
			if at := slices.Index(parts, m.Root) + 1; at > m.Governorate {
				return src, fmt.Errorf("root %s is at level %d, below the governorate level %d: give the country or a governorate as --root", m.Root, at, m.Governorate)
			}
		}
		switch u.Level {
		case m.Governorate:
			govs[u.ID] = &govUnit{u: *u}
		case m.District:
			districts = append(districts, u)
		case m.Facility:
			facilities = append(facilities, u)
		}
	}
	for uid := range m.Governorates {
		if govs[uid] == nil {
			return src, fmt.Errorf("governorates: %s is not a governorate-level (level %d) org unit under root %s", uid, m.Governorate, m.Root)
		}
	}
	if outside > 0 {
		src.Notes = append(src.Notes, fmt.Sprintf("ignored %d org units whose path does not pass through the root", outside))
	}

	govIDs := make([]string, 0, len(govs))
	for id, g := range govs {
		govIDs = append(govIDs, id)
		switch {
		case m.Governorates[id] != "":
			g.code, g.how = m.Governorates[id], MatchOverride
		case gm.LookupCode(g.u.Code) != "":
			g.code, g.how = gm.LookupCode(g.u.Code), MatchCode
		default:
			names := []string{g.u.Name}
			for _, t := range g.u.Translations {
				if strings.EqualFold(t.Property, "NAME") {
					names = append(names, t.Value)
				}
			}
			g.code, g.how = gm.LookupName(names...)
		}
	}
	slices.Sort(govIDs)
	src.Notes = append(src.Notes, fmt.Sprintf("governorates: %d org units at level %d", len(govIDs), m.Governorate))
	for _, id := range govIDs {
		g := govs[id]
		if g.code == "" {
			src.Notes = append(src.Notes, fmt.Sprintf("  %q (%s, code %q): UNKNOWN — matches no governorate; add --governorates %s=IQ-XX", g.u.Name, id, g.u.Code, id))
		} else {
			src.Notes = append(src.Notes, fmt.Sprintf("  %q (%s): %s by %s", g.u.Name, id, g.code, g.how))
		}
	}

	hasChild := map[string]bool{}
	for _, f := range facilities {
		if d := ancestor(f, m.District); d != nil {
			hasChild[d.ID] = true
		}
		if g := ancestor(f, m.Governorate); g != nil {
			hasChild[g.ID] = true
		}
		src.addFacility(f, m, govs, ancestor)
	}
	for _, d := range districts {
		if g := ancestor(d, m.Governorate); g != nil {
			hasChild[g.ID] = true
		}
	}
	empty := 0
	check := slices.Clone(districts)
	for _, id := range govIDs {
		check = append(check, &govs[id].u)
	}
	for _, u := range check {
		if hasChild[u.ID] {
			continue
		}
		if GuessType(u.Name) != registry.TypeOther {
			src.Problems = append(src.Problems, Problem{Where: where(u), OrgUnit: u.ID, Name: u.Name,
				Reason: fmt.Sprintf("looks like a facility but is at level %d, not the facility level %d, and has no units under it; not imported (move it in DHIS2, or add it to the merge file by hand)", u.Level, m.Facility)})
		} else {
			empty++
		}
	}
	if empty > 0 {
		src.Notes = append(src.Notes, fmt.Sprintf("%d governorate or district org units have no facilities under them", empty))
	}
	return src, nil
}

// where names an org unit in messages.
func where(u *OrgUnit) string { return fmt.Sprintf("org unit %q (%s)", u.Name, u.ID) }

// addFacility maps one facility-level unit to a candidate, a skipped unit
// or a problem.
func (src *Source) addFacility(u *OrgUnit, m DHIS2Mapping, govs map[string]*govUnit, ancestor func(*OrgUnit, int) *OrgUnit) {
	problem := func(format string, args ...any) {
		src.Problems = append(src.Problems, Problem{Where: where(u), Name: u.Name, OrgUnit: u.ID, ID: u.Code, Reason: fmt.Sprintf(format, args...)})
	}
	if closed, when, err := isClosed(u.ClosedDate, m.Now); err != nil {
		problem("%v", err)
		return
	} else if closed {
		src.Skipped = append(src.Skipped, Problem{Where: where(u), Name: u.Name, OrgUnit: u.ID, ID: u.Code, Reason: "closed on " + when})
		return
	}
	name := strings.TrimSpace(u.Name)
	if name == "" || strings.ContainsFunc(name, unicode.IsControl) {
		problem("no usable name (%q)", u.Name)
		return
	}
	gu := ancestor(u, m.Governorate)
	if gu == nil || govs[gu.ID] == nil {
		problem("no governorate-level (level %d) org unit above it under the root", m.Governorate)
		return
	}
	g := govs[gu.ID]
	if g.code == "" {
		problem("its governorate org unit %q (%s) matches no governorate; add --governorates %s=IQ-XX", g.u.Name, g.u.ID, g.u.ID)
		return
	}
	du := ancestor(u, m.District)
	if du == nil {
		problem("no district-level (level %d) org unit above it", m.District)
		return
	}
	if !registry.IsDHIS2UID(u.ID) {
		problem("id %q is not a DHIS2 UID", u.ID)
		return
	}
	c := Candidate{
		Where: where(u), OrgUnit: u.ID, SourceID: strings.TrimSpace(u.Code), Name: name,
		NameAr:      arabicName(u.Translations, u.DisplayName, u.Name),
		Governorate: g.code,
		District: District{Key: du.ID, Name: du.Name, Code: strings.TrimSpace(du.Code),
			Derived: derivedDistrictCode(g.code, du.ID)},
	}
	c.Lat, c.Lon, c.HasCoords, c.NoCoords = point(u.Geometry)
	src.Candidates = append(src.Candidates, c)
}

// arabicName returns the unit's NAME translation in Arabic: locale "ar"
// first, then "ar_IQ", then any other Arabic locale, then the displayName
// DHIS2 translated for locale=ar if it differs from the name; "" if none.
func arabicName(ts []Translation, displayName, name string) string {
	best, rank := "", 99
	for _, t := range ts {
		v := strings.TrimSpace(t.Value)
		if !strings.EqualFold(t.Property, "NAME") || v == "" || strings.ContainsFunc(v, unicode.IsControl) {
			continue
		}
		loc := strings.ToLower(strings.ReplaceAll(t.Locale, "-", "_"))
		r := 99
		switch {
		case loc == "ar":
			r = 0
		case loc == "ar_iq":
			r = 1
		case strings.HasPrefix(loc, "ar_"):
			r = 2
		}
		if r < rank {
			best, rank = v, r
		}
	}
	if d := strings.TrimSpace(displayName); best == "" && d != strings.TrimSpace(name) && hasArabic(d) && !strings.ContainsFunc(d, unicode.IsControl) {
		return d
	}
	return best
}

// point returns the coordinates of a GeoJSON Point ([lon, lat]), or why
// there are none.
func point(g *Geometry) (lat, lon float64, ok bool, why string) {
	if g == nil || g.Type == "" {
		return 0, 0, false, "no geometry in DHIS2"
	}
	if g.Type != "Point" {
		return 0, 0, false, fmt.Sprintf("its geometry is a %s, not a Point", g.Type)
	}
	var c []float64
	if err := json.Unmarshal(g.Coordinates, &c); err != nil || len(c) < 2 {
		return 0, 0, false, fmt.Sprintf("its Point has no [lon, lat] coordinates (%.40s)", string(g.Coordinates))
	}
	if math.IsNaN(c[0]) || math.IsNaN(c[1]) || math.IsInf(c[0], 0) || math.IsInf(c[1], 0) {
		return 0, 0, false, "its Point's coordinates are not finite"
	}
	return c[1], c[0], true, ""
}

// dhis2Dates are the layouts DHIS2 writes dates in.
var dhis2Dates = []string{"2006-01-02T15:04:05.000", "2006-01-02T15:04:05", time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02"}

// isClosed reports whether closedDate lies at or before now, and the date.
func isClosed(closedDate string, now time.Time) (bool, string, error) {
	s := strings.TrimSpace(closedDate)
	if s == "" {
		return false, "", nil
	}
	for _, layout := range dhis2Dates {
		if t, err := time.Parse(layout, s); err == nil {
			return !t.After(now), t.Format("2006-01-02"), nil
		}
	}
	return false, "", fmt.Errorf("closedDate %q is not a date; not imported (fix it in DHIS2)", closedDate)
}
