package dhis2

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/greenpulse-health/greenpulse/collector/dhis2/catalog"
	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
)

// Properties of the objects setup creates that are not in the catalog
// (catalog/catalog.go).
const (
	dataSetDescription = "Monthly energy and health-care waste figures of the facilities GreenPulse monitors, pushed by the GreenPulse collector."
	percentDecimals    = 1
	ratioDecimals      = 2
)

// wanted is one object as setup wants it: the properties it owns. The
// collections of the data set are the members GreenPulse needs; others'
// members are kept (see mergeDataSet).
type wanted struct {
	Object
	props map[string]any
}

// ref is a DHIS2 reference to another object, as the import reads it.
func ref(uid string) map[string]any { return map[string]any{"id": uid} }

// desired returns the objects setup owns, by kind, with the properties it
// sets. mapped holds the ministry's data elements by key; units are the
// org units' UIDs.
func desired(dataSet string, mapped map[string]MappedElement, units []string) map[Kind][]wanted {
	out := map[Kind][]wanted{}
	deUID := map[string]string{}  // element key → the UID pushed to
	deName := map[string]string{} // element key → its name in DHIS2
	var members []any
	for _, e := range catalog.Elements() {
		if m, ok := mapped[e.Key]; ok {
			deUID[e.Key], deName[e.Key] = m.UID, m.Name
		} else {
			deUID[e.Key], deName[e.Key] = e.UID(), e.Name
			out[KindDataElement] = append(out[KindDataElement], wanted{
				Object: Object{Kind: KindDataElement, UID: e.UID(), Code: e.Code, Name: e.Name},
				props: map[string]any{
					"id": e.UID(), "code": e.Code, "name": e.Name, "shortName": e.ShortName,
					"formName": formName(e.Name), "description": e.Description,
					"domainType": "AGGREGATE", "valueType": e.ValueType, "aggregationType": "SUM",
					// Every value GreenPulse pushes is a measurement, so a 0
					// must be stored, not dropped as DHIS2 does by default.
					"zeroIsSignificant": true,
				},
			})
		}
		members = append(members, map[string]any{"dataElement": ref(deUID[e.Key]), "dataSet": ref(dataSet)})
	}
	for _, t := range []struct {
		code, name string
		factor     int
		number     bool
	}{{catalog.PercentTypeCode, catalog.PercentTypeName, 100, false}, {catalog.NumberTypeCode, catalog.NumberTypeName, 1, true}} {
		uid := catalog.StableUID(t.code)
		out[KindIndicatorType] = append(out[KindIndicatorType], wanted{
			Object: Object{Kind: KindIndicatorType, UID: uid, Code: t.code, Name: t.name},
			props:  map[string]any{"id": uid, "code": t.code, "name": t.name, "factor": t.factor, "number": t.number},
		})
	}
	var inds []any
	for _, r := range catalog.Ratios() {
		typ, dec := catalog.NumberTypeCode, ratioDecimals
		if r.Percent {
			typ, dec = catalog.PercentTypeCode, percentDecimals
		}
		out[KindIndicator] = append(out[KindIndicator], wanted{
			Object: Object{Kind: KindIndicator, UID: r.UID(), Code: r.Code, Name: r.Name},
			props: map[string]any{
				"id": r.UID(), "code": r.Code, "name": r.Name, "shortName": r.ShortName, "description": r.Description,
				"indicatorType": ref(catalog.StableUID(typ)), "annualized": false, "decimals": dec,
				"numerator": "#{" + deUID[r.Numerator] + "}", "numeratorDescription": deName[r.Numerator],
				"denominator": "#{" + deUID[r.Denominator] + "}", "denominatorDescription": deName[r.Denominator],
			},
		})
		inds = append(inds, ref(r.UID()))
	}
	ous := make([]any, 0, len(units))
	for _, u := range units {
		ous = append(ous, ref(u))
	}
	out[KindDataSet] = []wanted{{
		Object: Object{Kind: KindDataSet, UID: dataSet, Code: catalog.DataSetCode, Name: catalog.DataSetName},
		props: map[string]any{
			"id": dataSet, "code": catalog.DataSetCode, "name": catalog.DataSetName, "shortName": catalog.DataSetShortName,
			"description": dataSetDescription, "periodType": "Monthly",
			// No lock and no future periods: whether and when to close
			// data entry is the ministry's call.
			"openFuturePeriods": 0, "expiryDays": 0,
			"dataSetElements": members, "indicators": inds, "organisationUnits": ous,
		},
	}}
	return out
}

// formName returns the label of an element in the data entry form: its
// name without our prefix, since the form is ours already.
func formName(name string) string {
	s := strings.TrimPrefix(name, "GreenPulse ")
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// retiredElements returns the UIDs of our own data elements whose key is
// now mapped to a ministry element: they leave the data set (they are not
// deleted; DHIS2 may hold data for them).
func retiredElements(mapped map[string]MappedElement) map[string]bool {
	out := map[string]bool{}
	for _, e := range catalog.Elements() {
		if m, ok := mapped[e.Key]; ok && m.UID != e.UID() {
			out[e.UID()] = true
		}
	}
	return out
}

// readExisting returns the objects of want that DHIS2 has, by UID, with
// every property the object owns (fields=:owner, which metadata.md's field
// presets describe as "this payload can be used to update through the
// API"). Translations are read untranslated (translate=false) so that all
// locales come back, not only the user's.
func readExisting(ctx context.Context, c *dhis2api.Client, want map[Kind][]wanted) (map[string]map[string]any, error) {
	have := map[string]map[string]any{}
	for _, k := range setupKinds() {
		uids := make([]string, 0, len(want[k]))
		for _, w := range want[k] {
			uids = append(uids, w.UID)
		}
		found, err := lookup(ctx, c, string(k), "id", uids, url.Values{"fields": {":owner"}, "translate": {"false"}})
		if err != nil {
			return nil, err
		}
		for id, objs := range found {
			have[id] = objs[0]
		}
	}
	return have, nil
}

// getList sends GET /api/<collection>?query and returns the objects of the
// answer's collection, numbers kept as json.Number so that an object sent
// back is what was read.
func getList(ctx context.Context, c *dhis2api.Client, collection string, q url.Values) ([]map[string]any, error) {
	path := "/api/" + collection
	var raw map[string]json.RawMessage
	if err := c.GetJSON(ctx, path, q, &raw); err != nil {
		return nil, err
	}
	list, ok := raw[collection]
	if !ok {
		return nil, fmt.Errorf("GET %s: the answer has no %q list", path, collection)
	}
	dec := json.NewDecoder(bytes.NewReader(list))
	dec.UseNumber()
	var objs []map[string]any
	if err := dec.Decode(&objs); err != nil {
		return nil, fmt.Errorf("GET %s: the %q list is not a list of objects: %w", path, collection, err)
	}
	return objs, nil
}

// setupPlan is what to import and what the report says of each object.
type setupPlan struct {
	payload                map[string][]map[string]any
	created, updated, left []Object
	unitsAdded, unitsKept  int
}

// plan compares what setup wants with what DHIS2 has and returns the
// objects to send.
//
// A metadata import replaces the whole object: metadata.md says "When
// updating objects, all property values will be overwritten even if the
// new values are null", and CREATE_AND_UPDATE updates whatever exists. So
// an object that exists is sent as DHIS2's own :owner view of it with our
// properties laid over it: the sharing, translations, attribute values,
// legend sets, aggregation levels, category combination and anything else
// the ministry set survive. An object is sent only when a property we own
// differs.
func plan(want map[Kind][]wanted, have map[string]map[string]any, retired map[string]bool) setupPlan {
	p := setupPlan{payload: map[string][]map[string]any{}}
	for _, k := range setupKinds() {
		for _, w := range want[k] {
			old, exists := have[w.UID]
			var obj map[string]any
			changed := true
			switch {
			case k == KindDataSet:
				var added, kept int
				obj, changed, added, kept = mergeDataSet(old, w.props, retired)
				p.unitsAdded, p.unitsKept = added, kept
			case exists:
				obj, changed = overlay(old, w.props)
			default:
				obj = w.props
			}
			switch {
			case !exists:
				p.created = append(p.created, w.Object)
			case changed:
				p.updated = append(p.updated, w.Object)
			default:
				p.left = append(p.left, w.Object)
				continue
			}
			p.payload[string(k)] = append(p.payload[string(k)], obj)
		}
	}
	return p
}

// overlay returns old with props laid over it, and whether any of props
// differed from old.
func overlay(old, props map[string]any) (map[string]any, bool) {
	out := make(map[string]any, len(old)+len(props))
	for k, v := range old {
		out[k] = v
	}
	changed := false
	for k, v := range props {
		if !sameValue(old[k], v) {
			changed = true
		}
		out[k] = v
	}
	return out, changed
}

// dataSetCollections returns the collections of the data set whose
// members are merged, with the property of a member that holds the
// reference.
func dataSetCollections() []struct{ name, member string } {
	return []struct{ name, member string }{
		{"dataSetElements", "dataElement"},
		{"indicators", ""},
		{"organisationUnits", ""},
	}
}

// mergeDataSet returns the data set to send: old (nil when it does not
// exist) with our simple properties laid over it and each collection the
// union of its members and ours, less our retired data elements. It also
// returns whether anything differs, how many of our org units were added,
// and how many others' org units are kept.
func mergeDataSet(old, props map[string]any, retired map[string]bool) (obj map[string]any, changed bool, added, kept int) {
	simple := map[string]any{}
	for k, v := range props {
		simple[k] = v
	}
	for _, c := range dataSetCollections() {
		delete(simple, c.name)
	}
	if old == nil {
		obj = props
		ous, _ := props["organisationUnits"].([]any)
		return obj, true, len(ous), 0
	}
	obj, changed = overlay(old, simple)
	for _, c := range dataSetCollections() {
		ours, _ := props[c.name].([]any)
		theirs, _ := old[c.name].([]any)
		mine := map[string]bool{}
		for _, m := range ours {
			mine[memberID(m, c.member)] = true
		}
		var merged []any
		present := map[string]bool{}
		for _, m := range theirs {
			id := memberID(m, c.member)
			if c.name == "dataSetElements" && retired[id] {
				changed = true
				continue
			}
			present[id] = true
			merged = append(merged, m) // as it is: keeps e.g. a category combo override
			if c.name == "organisationUnits" && !mine[id] {
				kept++
			}
		}
		for _, m := range ours {
			if id := memberID(m, c.member); !present[id] {
				merged = append(merged, m)
				changed = true
				if c.name == "organisationUnits" {
					added++
				}
			}
		}
		if merged == nil {
			merged = []any{}
		}
		obj[c.name] = merged
	}
	return obj, changed, added, kept
}

// memberID returns the UID a collection member refers to: m.id, or
// m.<member>.id for a member that wraps its reference (dataSetElements).
func memberID(m any, member string) string {
	o, _ := m.(map[string]any)
	if member != "" {
		o, _ = o[member].(map[string]any)
	}
	id, _ := o["id"].(string)
	return id
}

// sameValue reports whether DHIS2's value a equals ours b: a reference is
// compared by its id (DHIS2 may add other fields to it), anything else as
// JSON, so that 100 and json.Number("100") are the same.
func sameValue(a, b any) bool {
	if rb, ok := b.(map[string]any); ok && len(rb) == 1 && rb["id"] != nil {
		ra, _ := a.(map[string]any)
		return ra != nil && ra["id"] == rb["id"]
	}
	return reflect.DeepEqual(canonical(a), canonical(b))
}

// canonical returns v as encoding/json decodes it into an any.
func canonical(v any) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if json.Unmarshal(data, &out) != nil {
		return v
	}
	return out
}

// names returns the objects sent, by kind and by UID and by position in
// the payload, for naming the objects of an import report's errors.
func (p setupPlan) names() objectNames {
	n := objectNames{byUID: map[string]Object{}, byIndex: map[Kind][]Object{}}
	for _, ob := range append(append([]Object(nil), p.created...), p.updated...) {
		n.byUID[ob.UID] = ob
	}
	for _, k := range setupKinds() {
		for _, obj := range p.payload[string(k)] {
			id, _ := obj["id"].(string)
			n.byIndex[k] = append(n.byIndex[k], n.byUID[id])
		}
	}
	return n
}

// resolveMapped looks up the ministry's data elements of o.DataElements
// and returns them by element key. An identifier DHIS2 does not know is an
// error naming the key and the identifier.
func resolveMapped(ctx context.Context, c *dhis2api.Client, o SetupOptions) (map[string]MappedElement, error) {
	out := map[string]MappedElement{}
	if len(o.DataElements) == 0 {
		return out, nil
	}
	field := "id"
	if o.DataElementIDScheme == "code" {
		field = "code"
	}
	var ids []string
	for _, e := range catalog.Elements() {
		if id, ok := o.DataElements[e.Key]; ok {
			ids = append(ids, id)
		}
	}
	found, err := lookup(ctx, c, "dataElements", field, ids, url.Values{"fields": {"id,code,name"}})
	if err != nil {
		return nil, err
	}
	for _, e := range catalog.Elements() {
		id, ok := o.DataElements[e.Key]
		if !ok {
			continue
		}
		objs := found[id]
		switch len(objs) {
		case 0:
			return nil, fmt.Errorf("data element %s: DHIS2 has no data element with %s %q", e.Key, field, id)
		case 1:
		default:
			return nil, fmt.Errorf("data element %s: %d data elements have %s %q", e.Key, len(objs), field, id)
		}
		uid, _ := objs[0]["id"].(string)
		name, _ := objs[0]["name"].(string)
		out[e.Key] = MappedElement{Key: e.Key, Identifier: id, UID: uid, Name: name}
	}
	return out, nil
}
