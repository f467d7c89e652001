package dhis2test

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// This file holds the checks of the metadata importer's validation phase
// (dhis2-core dxf2/metadata/objectbundle/validation) that matter for the
// objects GreenPulse imports, with the ErrorCode messages of
// feedback/ErrorCode.java:
//
//	E4000 Missing required property `{0}`.                      (SchemaCheck)
//	E4001 Maximum length of property `{0}`is {1}, but given length was {2}.
//	E4014 Invalid UID `{0}` for property `{1}`                  (UidFormatCheck)
//	E5000 Found matching object for reference, but import mode is CREATE. …
//	E5001 No matching object for reference. …                  (CreationCheck/UpdateCheck)
//	E5002 Invalid reference {0} on object {1} for association `{2}`. (ReferencesCheck)
//	E5003 Property `{0}` with value `{1}` on object {2} already exists on object {3}. (UniquenessCheck)
//
// Objects are named as PreheatIdentifier.UID.getIdentifiersWithName does:
// "Name [uid] (Class)", or "[uid] (Class)" when the object has no name.
//
// DHIS2 does not validate indicator numerator and denominator expressions
// on import (an indicator naming a missing data element imports fine), so
// neither does the double; Server.BrokenIndicatorExpressions reports them.

// required are the properties whose absence is E4000, per the schemas
// (/api/schemas/<type>): DataElement, IndicatorType, Indicator, DataSet.
var required = map[string][]string{
	"dataElements":   {"name", "shortName", "domainType", "valueType", "aggregationType"},
	"indicatorTypes": {"name"},
	"indicators":     {"name", "shortName", "numerator", "denominator", "indicatorType"},
	"dataSets":       {"name", "periodType"},
}

// maxLength are the schema length limits checked for E4001.
var maxLength = map[string]int{"name": 230, "shortName": 50, "code": 50, "formName": 230}

// unique are the properties UniquenessCheck holds unique per type.
var unique = []string{"code", "name", "shortName"}

// validation checks the objects of one payload in import order.
type validation struct {
	s *Server
	p importParams
	// seen maps kind → property → value → UID, seeded with the stored
	// objects as the preheat uniqueness map is.
	seen map[string]map[string]map[string]string
	// inPayload holds every UID of the payload by kind.
	inPayload map[string]map[string]bool
}

func newValidation(s *Server, payload map[string][]map[string]any, p importParams) *validation {
	v := &validation{s: s, p: p, seen: map[string]map[string]map[string]string{}, inPayload: map[string]map[string]bool{}}
	for _, k := range metadataKinds {
		byProp := map[string]map[string]string{}
		for _, prop := range unique {
			byProp[prop] = map[string]string{}
		}
		for _, id := range slices.Sorted(maps.Keys(s.objects[k.plural])) {
			for _, prop := range unique {
				if val, ok := s.objects[k.plural][id][prop].(string); ok && val != "" {
					byProp[prop][val] = id
				}
			}
		}
		v.seen[k.plural] = byProp
		ids := map[string]bool{}
		for _, o := range payload[k.plural] {
			if id, ok := o["id"].(string); ok {
				ids[id] = true
			}
		}
		v.inPayload[k.plural] = ids
	}
	return v
}

// named is getIdentifiersWithName for an object of kind k.
func named(k *kind, o map[string]any) string {
	id, _ := o["id"].(string)
	if name, _ := o["name"].(string); name != "" {
		return fmt.Sprintf("%s [%s] (%s)", name, id, k.singular)
	}
	return fmt.Sprintf("[%s] (%s)", id, k.singular)
}

// newErrorReport is an ErrorReport about an object of kind k: its message,
// errorCode, errorProperty and the arguments of the message.
func newErrorReport(k *kind, code, prop, msg string, args ...string) errorReport {
	return errorReport{Message: msg, MainKlass: k.klass, ErrorCode: code, ErrorProperty: prop, ErrorProperties: append([]string{}, args...)}
}

// check returns the error reports of one object.
func (v *validation) check(k *kind, o map[string]any) []errorReport {
	var errs []errorReport
	id, _ := o["id"].(string)
	_, exists := v.s.objects[k.plural][id]
	switch {
	case v.p.strategy == "CREATE" && exists:
		errs = append(errs, newErrorReport(k, "E5000", "", fmt.Sprintf(
			"Found matching object for reference, but import mode is CREATE. Identifier was UID, and object was %s.", named(k, o)), "UID", named(k, o)))
		return errs
	case (v.p.strategy == "UPDATE" || v.p.strategy == "DELETE") && !exists:
		errs = append(errs, newErrorReport(k, "E5001", "", fmt.Sprintf(
			"No matching object for reference. Identifier was UID, and object was %s.", named(k, o)), "UID", named(k, o)))
		return errs
	case v.p.strategy == "DELETE":
		return nil
	}
	if !exists && !isUID(id) {
		errs = append(errs, newErrorReport(k, "E4014", "", fmt.Sprintf("Invalid UID `%s` for property `%s`", id, k.singular), id, k.singular))
	}
	for _, prop := range required[k.plural] {
		if isBlank(o[prop]) {
			errs = append(errs, newErrorReport(k, "E4000", prop, fmt.Sprintf("Missing required property `%s`.", prop), prop))
		}
	}
	for _, prop := range []string{"name", "shortName", "code", "formName"} {
		if s, ok := o[prop].(string); ok && utf8.RuneCountInString(s) > maxLength[prop] {
			n := utf8.RuneCountInString(s)
			errs = append(errs, newErrorReport(k, "E4001", prop, fmt.Sprintf(
				"Maximum length of property `%s`is %d, but given length was %d.", prop, maxLength[prop], n),
				prop, fmt.Sprint(maxLength[prop]), fmt.Sprint(n)))
		}
	}
	for _, prop := range unique {
		val, ok := o[prop].(string)
		if !ok || val == "" {
			continue
		}
		if owner, taken := v.seen[k.plural][prop][val]; taken && owner != id {
			e := newErrorReport(k, "E5003", prop, fmt.Sprintf(
				"Property `%s` with value `%s` on object %s already exists on object %s.", prop, val, named(k, o), owner),
				prop, val, named(k, o), owner)
			e.MainID = owner
			errs = append(errs, e)
		} else if !taken {
			v.seen[k.plural][prop][val] = id
		}
	}
	return append(errs, v.references(k, o)...)
}

// references checks the references ReferencesCheck resolves against the
// payload and the stored objects.
func (v *validation) references(k *kind, o map[string]any) []errorReport {
	var errs []errorReport
	ref := func(target, assoc string, r any) {
		id := refID(r)
		if r == nil || v.exists(target, id) {
			return
		}
		tk := kindByPlural(target)
		class := ""
		switch {
		case tk != nil:
			class = tk.singular
		case target == "organisationUnits":
			class = "OrganisationUnit"
		case target == "categoryCombos":
			class = "CategoryCombo"
		}
		refName := fmt.Sprintf("[%s] (%s)", id, class)
		errs = append(errs, newErrorReport(k, "E5002", assoc, fmt.Sprintf(
			"Invalid reference %s on object %s for association `%s`.", refName, named(k, o), assoc), refName, named(k, o), assoc))
	}
	switch k.plural {
	case "dataElements":
		ref("categoryCombos", "categoryCombo", o["categoryCombo"])
	case "indicators":
		ref("indicatorTypes", "indicatorType", o["indicatorType"])
	case "dataSets":
		ref("categoryCombos", "categoryCombo", o["categoryCombo"])
		for _, e := range asSlice(o["dataSetElements"]) {
			m, _ := e.(map[string]any)
			ref("dataElements", "dataElement", m["dataElement"])
		}
		for _, r := range asSlice(o["indicators"]) {
			ref("indicators", "indicators", r)
		}
		for _, r := range asSlice(o["organisationUnits"]) {
			ref("organisationUnits", "organisationUnits", r)
		}
	}
	return errs
}

// exists reports whether a referenced UID is stored or in the payload.
// The double knows one category combo, the default one.
func (v *validation) exists(target, id string) bool {
	switch target {
	case "organisationUnits":
		_, ok := v.s.units[id]
		return ok
	case "categoryCombos":
		return id == DefaultCategoryComboUID
	}
	if _, ok := v.s.objects[target][id]; ok {
		return true
	}
	return v.inPayload[target][id]
}

func isBlank(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case map[string]any:
		return refID(x) == ""
	}
	return false
}
