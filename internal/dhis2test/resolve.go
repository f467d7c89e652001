package dhis2test

import (
	"maps"
	"slices"
	"strings"
	"time"
)

// normScheme reads an id scheme (metadata.md "Identifier schemes"): UID
// (alias ID), CODE, NAME or ATTRIBUTE:<uid>, case-insensitively.
func normScheme(s string) string {
	up := strings.ToUpper(strings.TrimSpace(s))
	switch {
	case up == "ID" || up == "":
		return "UID"
	case strings.HasPrefix(up, "ATTRIBUTE:"):
		return "ATTRIBUTE:" + strings.TrimSpace(s)[len("ATTRIBUTE:"):]
	}
	return up
}

// schemeKey returns the identifier of o under scheme.
func schemeKey(o map[string]any, scheme string) string {
	switch {
	case scheme == "CODE":
		s, _ := o["code"].(string)
		return s
	case scheme == "NAME":
		s, _ := o["name"].(string)
		return s
	case strings.HasPrefix(scheme, "ATTRIBUTE:"):
		attr := scheme[len("ATTRIBUTE:"):]
		for _, av := range asSlice(o["attributeValues"]) {
			m, _ := av.(map[string]any)
			if refID(m["attribute"]) == attr {
				s, _ := m["value"].(string)
				return s
			}
		}
	}
	return ""
}

// index returns identifier → UID for a non-UID scheme, built once per
// import so that a value costs a map lookup.
func (imp *dvImport) index(kind, scheme string, each func(func(uid string, o map[string]any))) map[string]string {
	if imp.byScheme == nil {
		imp.byScheme = map[string]map[string]string{}
	}
	key := kind + "|" + scheme
	if m, ok := imp.byScheme[key]; ok {
		return m
	}
	m := map[string]string{}
	each(func(uid string, o map[string]any) {
		if k := schemeKey(o, scheme); k != "" {
			if _, dup := m[k]; !dup {
				m[k] = uid
			}
		}
	})
	imp.byScheme[key] = m
	return m
}

// lookup resolves a metadata identifier to a UID, "" when unknown.
func (imp *dvImport) lookup(kind, scheme, id string) string {
	if id == "" {
		return ""
	}
	stored := imp.s.objects[kind]
	if scheme == "UID" {
		if _, ok := stored[id]; ok {
			return id
		}
		return ""
	}
	return imp.index(kind, scheme, func(f func(string, map[string]any)) {
		for _, uid := range slices.Sorted(maps.Keys(stored)) {
			f(uid, stored[uid])
		}
	})[id]
}

// orgUnit resolves an org unit identifier with the org unit id scheme.
func (imp *dvImport) orgUnit(id string) *orgUnit {
	if id == "" {
		return nil
	}
	if imp.ouScheme == "UID" {
		return imp.s.units[id]
	}
	uid := imp.index("organisationUnits", imp.ouScheme, func(f func(string, map[string]any)) {
		for _, ou := range imp.s.unitList {
			f(ou.ID, ou.render(""))
		}
	})[id]
	return imp.s.units[uid]
}

// optionCombo resolves a category option combo identifier. The double
// knows the default combo only: UID HllvX50cXC0, code and name "default".
func (imp *dvImport) optionCombo(id string) string {
	switch imp.cocScheme {
	case "UID":
		if id == DefaultCategoryOptionComboUID {
			return id
		}
	case "CODE", "NAME":
		if id == "default" {
			return DefaultCategoryOptionComboUID
		}
	}
	return ""
}

// userName is the logged-in username 2.37 conflicts name.
func (s *Server) userName() string {
	if s.opt.Username != "" {
		return s.opt.Username
	}
	return "admin"
}

// unitHasDataElement is OrganisationUnit.hasDataElement: a data set
// assigned to the unit holds the data element.
func (s *Server) unitHasDataElement(ou, de string) bool {
	for _, ds := range s.dataSetsOf[de] {
		if s.dataSetUnits[ds][ou] {
			return true
		}
	}
	return false
}

// latestOpenPeriod is DataElement.getLatestOpenFuturePeriod over the
// data sets holding the data element: the latest of each data set's
// current period moved openFuturePeriods ahead.
func (s *Server) latestOpenPeriod(de string, now time.Time) (string, time.Time, bool) {
	var iso string
	var end time.Time
	found := false
	for _, id := range s.dataSetsOf[de] {
		ds := s.objects["dataSets"][id]
		pt, _ := ds["periodType"].(string)
		n, _ := number(ds["openFuturePeriods"])
		if i, e, ok := latestOpenEnd(pt, int(n), now); ok && (!found || e.After(end)) {
			iso, end, found = i, e, true
		}
	}
	return iso, end, found
}
