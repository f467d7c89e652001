package decode

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// scanAll scans data as one JSON value and reports whether it is valid; for
// an object it also returns the last value of each key, as encoding/json's
// map decoding keeps it.
func scanAll(data []byte) (map[string]jsonValue, bool) {
	s := &scanner{data: data}
	var members map[string]jsonValue
	var err *syntaxError
	if s.peek() == '{' {
		members = map[string]jsonValue{}
		err = s.object(func(k []byte, v jsonValue) { members[string(k)] = v })
	} else {
		_, err = s.value()
	}
	return members, err == nil && s.atEnd()
}

func FuzzJSONScanAgreesWithEncodingJSON(f *testing.F) {
	for _, seed := range []string{
		`{"a":1,"b":"x\u00e9\ud83d\ude00","c":[1,{"d":null}],"e":true,"f":false,"a":-0.5e+3}`,
		`{"s":"\ud800","t":"\"\\\/\b\f\n\r\t"}`, `[1,2]`, `{}`, `{"a":01}`, `{"a":1.}`, `{"a":"\x01"}`,
		`{"a" : 1 , }`, ` {"a":1} x`, `"str"`, `-`, `{"a":1e}`, "{\"a\":\"\xff\"}",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		members, ok := scanAll(data)
		if want := json.Valid(data); ok != want {
			// We refuse invalid UTF-8 in strings; encoding/json replaces it.
			if !(want && !ok && !utf8.Valid(data)) {
				t.Fatalf("scanner says valid=%v, encoding/json says %v for %q", ok, want, data)
			}
			return
		}
		if !ok || members == nil {
			return
		}
		var ref map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&ref); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if len(ref) != len(members) {
			t.Fatalf("%d members, encoding/json has %d: %q", len(members), len(ref), data)
		}
		for k, want := range ref {
			got, found := members[k]
			if !found {
				t.Fatalf("key %q missing in %q", k, data)
			}
			var same bool
			switch w := want.(type) {
			case string:
				same = got.kind == kindString && string(got.raw) == w
			case json.Number:
				same = got.kind == kindNumber && string(got.raw) == string(w)
			case bool:
				same = (got.kind == kindTrue) == w && (got.kind == kindTrue || got.kind == kindFalse)
			case nil:
				same = got.kind == kindNull
			case map[string]any:
				same = got.kind == kindObject
			case []any:
				same = got.kind == kindArray
			}
			if !same {
				t.Fatalf("key %q: scanner %v %q, encoding/json %#v, in %q", k, got.kind, got.raw, want, data)
			}
		}
	})
}
