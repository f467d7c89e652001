package dhis2test

import "strings"

// field is one entry of a fields= parameter (metadata.md "Metadata field
// filter"): a property, a preset (":all", "*", ":identifiable", …), an
// exclusion ("!name"), nested fields in [..], and transformers
// (metadata.md "Field transformers": rename, size, isEmpty, isNotEmpty;
// others are ignored).
type field struct {
	name      string
	exclude   bool
	sub       []field
	hasSub    bool
	rename    string
	transform string
}

// parseFields parses a fields= value; it never fails, ignoring what it
// cannot read as DHIS2 ignores unknown fields.
func parseFields(s string) []field {
	fs, _ := parseFieldList(s, 0)
	return fs
}

// parseFieldList parses from s[i:] up to a closing bracket or the end and
// returns the fields and the index after them.
func parseFieldList(s string, i int) ([]field, int) {
	var out []field
	for i < len(s) {
		switch s[i] {
		case ',', ' ':
			i++
			continue
		case ']', ')':
			return out, i + 1
		}
		var f field
		if s[i] == '!' {
			f.exclude = true
			i++
		}
		start := i
		for i < len(s) && !strings.ContainsRune(",[]()~", rune(s[i])) {
			i++
		}
		f.name = s[start:i]
		for i < len(s) && s[i] == '~' {
			i++
			start = i
			for i < len(s) && !strings.ContainsRune(",[]()~", rune(s[i])) {
				i++
			}
			name, arg := s[start:i], ""
			if i < len(s) && s[i] == '(' {
				end := strings.IndexByte(s[i:], ')')
				if end < 0 {
					end = len(s) - i - 1
				}
				arg = s[i+1 : i+end]
				i += end + 1
			}
			switch name {
			case "rename":
				f.rename = arg
			case "size", "isEmpty", "isNotEmpty":
				f.transform = name
			}
		}
		if i < len(s) && (s[i] == '[' || s[i] == '(') {
			f.sub, i = parseFieldList(s, i+1)
			f.hasSub = true
		}
		if f.name != "" {
			out = append(out, f)
		}
	}
	return out, i
}

// presets are the field presets of the "Field presets" table.
var presets = map[string][]string{
	":identifiable": {"id", "name", "code", "created", "lastUpdated", "lastUpdatedBy"},
	":nameable":     {"id", "name", "shortName", "code", "description", "created", "lastUpdated"},
}

// resolver finds a stored object by UID, so that a reference {"id": …}
// can be expanded when nested fields ask for more than its id.
type resolver func(uid string) (map[string]any, bool)

// selectFields returns the fields fs of obj.
func selectFields(obj map[string]any, fs []field, resolve resolver) map[string]any {
	out := map[string]any{}
	for _, f := range fs {
		if f.exclude {
			continue
		}
		switch f.name {
		case "*", ":all", ":owner", ":persisted":
			for k, v := range obj {
				out[k] = v
			}
			continue
		}
		if names, ok := presets[f.name]; ok {
			for _, k := range names {
				if v, ok := obj[k]; ok {
					out[k] = v
				}
			}
			continue
		}
		v, ok := obj[f.name]
		if !ok && isUID(f.name) {
			// A custom attribute's value by the attribute's UID.
			for _, av := range asSlice(obj["attributeValues"]) {
				m, _ := av.(map[string]any)
				if refID(m["attribute"]) == f.name {
					v, ok = m["value"], true
				}
			}
		}
		if !ok {
			continue
		}
		if f.hasSub {
			v = selectNested(v, f.sub, resolve)
		}
		switch f.transform {
		case "size":
			if arr, isArr := v.([]any); isArr {
				v = len(arr)
			} else if str, isStr := v.(string); isStr {
				v = len(str)
			}
		case "isEmpty", "isNotEmpty":
			empty := v == nil || v == "" || (isSlice(v) && len(asSlice(v)) == 0)
			v = empty == (f.transform == "isEmpty")
		}
		name := f.name
		if f.rename != "" {
			name = f.rename
		}
		out[name] = v
	}
	for _, f := range fs {
		if f.exclude {
			delete(out, f.name)
		}
	}
	return out
}

func isSlice(v any) bool {
	_, ok := v.([]any)
	return ok
}

// selectNested applies nested fields to an object or to every object of a
// collection, expanding references through resolve.
func selectNested(v any, fs []field, resolve resolver) any {
	switch x := v.(type) {
	case map[string]any:
		return selectFields(expand(x, fs, resolve), fs, resolve)
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, selectNested(e, fs, resolve))
		}
		return out
	}
	return v
}

// expand replaces a reference by the object it names when fs asks for a
// property the reference lacks.
func expand(ref map[string]any, fs []field, resolve resolver) map[string]any {
	id, _ := ref["id"].(string)
	if id == "" || resolve == nil {
		return ref
	}
	for _, f := range fs {
		if f.exclude {
			continue
		}
		if _, ok := ref[f.name]; !ok {
			if full, ok := resolve(id); ok {
				return full
			}
			return ref
		}
	}
	return ref
}
