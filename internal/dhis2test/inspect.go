package dhis2test

import (
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"sort"
)

// LockPeriod locks a period (e.g. "202611") for data entry: values in it
// get E7640 "Current date is past expiry days for period …", the conflict
// DHIS2 raises when a data set's expiry days have passed. As in DHIS2 the
// check needs a data set for the value (the payload's dataSet, or one
// holding the data element); a data element in no data set is never
// locked.
func (s *Server) LockPeriod(period string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locked[period] = true
}

// DataValues returns the stored, not deleted, data values sorted by data
// element, period, org unit, category option combo and attribute option
// combo.
func (s *Server) DataValues() []DataValue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]DataValue, 0, len(s.values))
	for _, v := range s.values {
		if !v.deleted {
			out = append(out, v.DataValue)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		for _, c := range [][2]string{{a.DataElement, b.DataElement}, {a.Period, b.Period}, {a.OrgUnit, b.OrgUnit},
			{a.CategoryOptionCombo, b.CategoryOptionCombo}, {a.AttributeOptionCombo, b.AttributeOptionCombo}} {
			if c[0] != c[1] {
				return c[0] < c[1]
			}
		}
		return false
	})
	return out
}

// Value returns the stored value of a data element in a period and org
// unit for the default category and attribute option combos.
func (s *Server) Value(dataElementUID, period, orgUnitUID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.values[valueKey{dataElementUID, period, orgUnitUID, DefaultCategoryOptionComboUID, DefaultCategoryOptionComboUID}]
	if !ok || v.deleted {
		return "", false
	}
	return v.Value, true
}

// Object returns a stored metadata object or seeded org unit by UID, as
// it was imported plus what DHIS2 fills in (default category combo,
// displayName, created, lastUpdated …). The map is a deep copy.
func (s *Server) Object(uid string) (map[string]any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ou, ok := s.units[uid]; ok {
		return deepCopy(ou.render("")), true
	}
	kind, ok := s.kindOf[uid]
	if !ok {
		return nil, false
	}
	return deepCopy(s.objects[kind][uid]), true
}

// Objects returns the stored objects of a kind ("dataElements",
// "indicators", "indicatorTypes", "dataSets" or "organisationUnits")
// sorted by UID, as deep copies.
func (s *Server) Objects(kind string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	if kind == "organisationUnits" {
		for _, id := range slices.Sorted(maps.Keys(s.units)) {
			out = append(out, deepCopy(s.units[id].render("")))
		}
		return out
	}
	for _, id := range slices.Sorted(maps.Keys(s.objects[kind])) {
		out = append(out, deepCopy(s.objects[kind][id]))
	}
	return out
}

// operandRef matches #{deUID} and #{deUID.cocUID} in an expression.
var operandRef = regexp.MustCompile(`#\{([A-Za-z][A-Za-z0-9]{10})(?:\.[A-Za-z0-9*]+){0,2}\}`)

// BrokenIndicatorExpressions returns, per indicator UID, the data element
// UIDs its numerator or denominator references as #{UID} or #{UID.COC}
// that are not stored. DHIS2 imports such indicators without complaint
// (they only fail in analytics), so the import does not reject them;
// tests assert on this instead.
func (s *Server) BrokenIndicatorExpressions() map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]string{}
	for _, id := range slices.Sorted(maps.Keys(s.objects["indicators"])) {
		ind := s.objects["indicators"][id]
		for _, prop := range []string{"numerator", "denominator"} {
			expr, _ := ind[prop].(string)
			for _, m := range operandRef.FindAllStringSubmatch(expr, -1) {
				if _, ok := s.objects["dataElements"][m[1]]; !ok {
					out[id] = append(out[id], m[1])
				}
			}
		}
	}
	return out
}

// deepCopy copies a JSON-shaped value so callers cannot change the store.
func deepCopy(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		panic("dhis2test: copy object: " + err.Error())
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic("dhis2test: copy object: " + err.Error())
	}
	return out
}
