package dhis2

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"strings"

	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/registry"
)

// lookupChunk is how many identifiers one GET filters on: about 1.3 KB of
// UIDs in the URL, well under what proxies in front of DHIS2 accept.
const lookupChunk = 100

// resolveOrgUnits returns the UIDs of the org units ids name in scheme
// (uid, code or attribute:<UID>), in the order given and without
// duplicates, and the identifiers DHIS2 does not have.
func resolveOrgUnits(ctx context.Context, c *dhis2api.Client, ids []string, scheme string) (uids, notFound []string, err error) {
	var uniq []string
	seen := map[string]bool{}
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 {
		return nil, nil, nil
	}
	var uidOf map[string]string // identifier → org unit UID
	switch {
	case scheme == "uid":
		uidOf, err = orgUnitsByField(ctx, c, "id", uniq)
	case scheme == "code":
		uidOf, err = orgUnitsByField(ctx, c, "code", uniq)
	default:
		uidOf, err = orgUnitsByAttribute(ctx, c, strings.TrimPrefix(scheme, "attribute:"))
	}
	if err != nil {
		return nil, nil, err
	}
	added := map[string]bool{}
	for _, id := range uniq {
		u, ok := uidOf[id]
		switch {
		case !ok:
			notFound = append(notFound, id)
		case !added[u]: // two identifiers of one org unit assign it once
			added[u] = true
			uids = append(uids, u)
		}
	}
	return uids, notFound, nil
}

// orgUnitsByField returns the UID of each org unit whose field (id or
// code) is one of values.
func orgUnitsByField(ctx context.Context, c *dhis2api.Client, field string, values []string) (map[string]string, error) {
	if field == "id" {
		// A malformed UID cannot exist; leaving it out also keeps it out
		// of the filter's syntax.
		var ok []string
		for _, v := range values {
			if registry.IsDHIS2UID(v) {
				ok = append(ok, v)
			}
		}
		values = ok
	}
	found, err := lookup(ctx, c, "organisationUnits", field, values, url.Values{"fields": {"id,code"}})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for v, objs := range found {
		if len(objs) > 1 {
			return nil, fmt.Errorf("org unit %s %q: %d org units have it", field, v, len(objs))
		}
		if id, _ := objs[0]["id"].(string); id != "" {
			out[v] = id
		}
	}
	return out, nil
}

// orgUnitsByAttribute returns the UID of each org unit that has a value
// for the attribute, by that value. It asks only for the org units that
// have the attribute (metadata.md, "Metadata object filter": "filter=
// attributeValues.attribute.id:eq:<UID>") and matches the values here, so
// it is right also where the filter is ignored. The attribute should be
// unique (as metadata.md's ATTRIBUTE id scheme requires); a value two org
// units share is an error.
func orgUnitsByAttribute(ctx context.Context, c *dhis2api.Client, attr string) (map[string]string, error) {
	q := url.Values{
		"filter": {"attributeValues.attribute.id:eq:" + attr},
		"fields": {"id,attributeValues[attribute[id],value]"},
		"paging": {"false"},
	}
	objs, err := getList(ctx, c, "organisationUnits", q)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, ob := range objs {
		id, _ := ob["id"].(string)
		avs, _ := ob["attributeValues"].([]any)
		for _, av := range avs {
			m, _ := av.(map[string]any)
			if memberID(m, "attribute") != attr {
				continue
			}
			v, _ := m["value"].(string)
			if v == "" || id == "" {
				continue
			}
			if prev, dup := out[v]; dup && prev != id {
				return nil, fmt.Errorf("org unit attribute %s value %q: held by both %s and %s; make the attribute unique", attr, v, prev, id)
			}
			out[v] = id
		}
	}
	return out, nil
}

// lookup returns the objects of GET /api/<collection>?q whose field (id or
// code) equals one of values, by that value, asking in chunks with
// filter=<field>:in:[…] and paging=false; q holds the other parameters,
// such as fields. A value the in operator cannot carry (it holds a comma
// or a bracket) is asked for alone with <field>:eq:. With no values it
// sends nothing.
func lookup(ctx context.Context, c *dhis2api.Client, collection, field string, values []string, q url.Values) (map[string][]map[string]any, error) {
	var plain, odd []string
	for _, v := range values {
		if strings.ContainsAny(v, ",[]") {
			odd = append(odd, v)
		} else {
			plain = append(plain, v)
		}
	}
	var filters []string
	for i := 0; i < len(plain); i += lookupChunk {
		filters = append(filters, field+":in:["+strings.Join(plain[i:min(i+lookupChunk, len(plain))], ",")+"]")
	}
	for _, v := range odd {
		filters = append(filters, field+":eq:"+v)
	}
	want := map[string]bool{}
	for _, v := range values {
		want[v] = true
	}
	out := map[string][]map[string]any{}
	for _, f := range filters {
		fq := url.Values{}
		maps.Copy(fq, q)
		fq.Set("filter", f)
		fq.Set("paging", "false")
		objs, err := getList(ctx, c, collection, fq)
		if err != nil {
			return nil, err
		}
		for _, ob := range objs {
			// Match here too: DHIS2's filter is the coarse cut, this the
			// exact one (e.g. if a server ignored the filter).
			if v, _ := ob[field].(string); want[v] {
				out[v] = append(out[v], ob)
			}
		}
	}
	return out, nil
}
