package dhis2test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// OrgUnitLevel is one organisation unit level as /api/organisationUnitLevels
// serves it.
type OrgUnitLevel struct {
	ID, Name string
	Level    int
}

// Translation is one translation of an object's property, e.g.
// {"NAME", "ar", "مستشفى …"} (metadata.md "Translation").
type Translation struct{ Property, Locale, Value string }

// AttributeValue is the value of a custom attribute on an object.
type AttributeValue struct{ Attribute, Value string }

// OrgUnit is an organisation unit to seed the server with.
type OrgUnit struct {
	ID, Code, Name, ShortName string
	// Level is the unit's level, 1 for a root; 0 means: count it from the
	// path.
	Level int
	// Parent is the parent's UID, "" for a root.
	Parent string
	// Lat and Lon are served as the GeoJSON Point geometry
	// {"type":"Point","coordinates":[lon,lat]} when HasPoint is set.
	Lat, Lon float64
	HasPoint bool
	// Geometry, when set, is served as the geometry instead (e.g. a
	// Polygon), as GeoJSON.
	Geometry json.RawMessage
	// OpeningDate and ClosedDate are DHIS2 timestamps such as
	// "2010-01-01T00:00:00.000"; ClosedDate "" means open.
	OpeningDate, ClosedDate string
	Translations            []Translation
	Attributes              []AttributeValue
}

// orgUnit is a seeded unit with what the server derives from it.
type orgUnit struct {
	OrgUnit
	path  string
	level int
}

// AddOrgUnitLevels seeds organisation unit levels.
func (s *Server) AddOrgUnitLevels(levels ...OrgUnitLevel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.levels = append(s.levels, levels...)
}

// AddOrgUnits seeds organisation units, or replaces those with the same
// UID. Each unit's path is computed from the parents, which may be added
// in the same or a later call.
func (s *Server) AddOrgUnits(units ...OrgUnit) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range units {
		if old, ok := s.units[u.ID]; ok {
			old.OrgUnit = u
			continue
		}
		ou := &orgUnit{OrgUnit: u}
		s.units[u.ID] = ou
		s.unitList = append(s.unitList, ou)
	}
	for _, ou := range s.unitList {
		ou.path = s.pathOf(ou)
		ou.level = ou.Level
		if ou.level == 0 {
			ou.level = strings.Count(ou.path, "/")
		}
	}
}

// pathOf returns "/root/…/uid", stopping at a missing parent or a cycle.
func (s *Server) pathOf(ou *orgUnit) string {
	parts := []string{ou.ID}
	seen := map[string]bool{ou.ID: true}
	for p := ou.Parent; p != "" && !seen[p]; {
		seen[p] = true
		parts = append(parts, p)
		parent, ok := s.units[p]
		if !ok {
			break
		}
		p = parent.Parent
	}
	var b strings.Builder
	for i := len(parts) - 1; i >= 0; i-- {
		b.WriteString("/")
		b.WriteString(parts[i])
	}
	return b.String()
}

// inHierarchy reports whether the unit lies in the subtree of one of the
// user's data capture roots (RestrictUserTo); the caller holds s.mu.
func (s *Server) inHierarchy(ou *orgUnit) bool {
	if s.roots == nil {
		return true
	}
	path := ou.path + "/"
	for _, r := range s.roots {
		if strings.Contains(path, "/"+r+"/") {
			return true
		}
	}
	return false
}

// RestrictUserTo sets the user's data capture org units: values for units
// outside their subtrees get the "not in the user's hierarchy" conflict.
// With no call every unit is allowed.
func (s *Server) RestrictUserTo(orgUnitUIDs ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.roots = append([]string{}, orgUnitUIDs...)
}

// render returns the unit as DHIS2 serves it with fields=:all, following
// the OrganisationUnit schema (/api/schemas/organisationUnit): geometry is
// GeoJSON since 2.32, parent a reference {"id"}, translations and
// attributeValues are always arrays. displayName and displayShortName
// are translated to locale when a NAME or SHORT_NAME translation exists
// (metadata.md "Translation").
func (ou *orgUnit) render(locale string) map[string]any {
	m := map[string]any{
		"id":               ou.ID,
		"name":             ou.Name,
		"shortName":        ou.ShortName,
		"displayName":      ou.Name,
		"displayShortName": ou.ShortName,
		"level":            ou.level,
		"path":             ou.path,
	}
	if ou.Code != "" {
		m["code"] = ou.Code
	}
	if ou.Parent != "" {
		m["parent"] = map[string]any{"id": ou.Parent}
	}
	switch {
	case len(ou.Geometry) > 0:
		var g any
		if json.Unmarshal(ou.Geometry, &g) == nil {
			m["geometry"] = g
		}
	case ou.HasPoint:
		m["geometry"] = map[string]any{"type": "Point", "coordinates": []any{ou.Lon, ou.Lat}}
	}
	if ou.OpeningDate != "" {
		m["openingDate"] = ou.OpeningDate
	}
	if ou.ClosedDate != "" {
		m["closedDate"] = ou.ClosedDate
	}
	tr := []any{}
	for _, t := range ou.Translations {
		tr = append(tr, map[string]any{"property": t.Property, "locale": t.Locale, "value": t.Value})
		if locale != "" && t.Locale == locale {
			switch t.Property {
			case "NAME":
				m["displayName"] = t.Value
			case "SHORT_NAME":
				m["displayShortName"] = t.Value
			}
		}
	}
	m["translations"] = tr
	av := []any{}
	for _, a := range ou.Attributes {
		av = append(av, map[string]any{"value": a.Value, "attribute": map[string]any{"id": a.Attribute}})
	}
	m["attributeValues"] = av
	return m
}

// getOrgUnits answers GET /api/organisationUnits[/uid] (metadata.md:
// the list parameters; the list is {"pager", "organisationUnits"}).
func (s *Server) getOrgUnits(w http.ResponseWriter, r *http.Request, uid string) {
	lq, err := parseListQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	resolve := s.resolver(lq.locale)
	if uid != "" {
		ou, ok := s.units[uid]
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Sprintf("OrganisationUnit with id %s could not be found.", uid))
			return
		}
		writeJSON(w, http.StatusOK, selectFields(ou.render(lq.locale), lq.fields, resolve))
		return
	}
	objs := make([]map[string]any, 0, len(s.unitList))
	for _, ou := range s.unitList {
		objs = append(objs, ou.render(lq.locale))
	}
	s.writeList(w, r, lq, "organisationUnits", objs, func(o map[string]any) map[string]any {
		return selectFields(o, lq.fields, resolve)
	})
}

// getLevels answers GET /api/organisationUnitLevels[/uid] with
// {"organisationUnitLevels": [{"id","name","displayName","level"}]}.
func (s *Server) getLevels(w http.ResponseWriter, r *http.Request, uid string) {
	lq, err := parseListQuery(r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	objs := make([]map[string]any, 0, len(s.levels))
	for _, l := range s.levels {
		o := map[string]any{"id": l.ID, "name": l.Name, "displayName": l.Name, "level": l.Level}
		if uid == l.ID {
			writeJSON(w, http.StatusOK, selectFields(o, lq.fields, nil))
			return
		}
		objs = append(objs, o)
	}
	if uid != "" {
		writeError(w, http.StatusNotFound, fmt.Sprintf("OrganisationUnitLevel with id %s could not be found.", uid))
		return
	}
	s.writeList(w, r, lq, "organisationUnitLevels", objs, func(o map[string]any) map[string]any {
		return selectFields(o, lq.fields, nil)
	})
}

// resolver finds org units and imported metadata by UID, for nested
// fields such as parent[id,name]; the caller holds s.mu.
func (s *Server) resolver(locale string) resolver {
	return func(uid string) (map[string]any, bool) {
		if ou, ok := s.units[uid]; ok {
			return ou.render(locale), true
		}
		if kind, ok := s.kindOf[uid]; ok {
			return s.objects[kind][uid], true
		}
		return nil, false
	}
}
