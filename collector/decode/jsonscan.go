package decode

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// A reading is a flat JSON object of scalars, and the collector decodes
// hundreds of thousands a second on a small machine, so it scans them itself
// instead of through encoding/json's reflection (four times the CPU). The
// scanner accepts exactly RFC 8259 JSON; FuzzJSONScanAgreesWithEncodingJSON
// holds it to encoding/json's verdicts.

type valueKind uint8

const (
	kindString valueKind = iota + 1
	kindNumber
	kindTrue
	kindFalse
	kindNull
	kindObject // nested: never valid in a reading
	kindArray
)

func (k valueKind) String() string {
	switch k {
	case kindString:
		return "string"
	case kindNumber:
		return "number"
	case kindTrue, kindFalse:
		return "boolean"
	case kindNull:
		return "null"
	case kindObject:
		return "object"
	}
	return "array"
}

// jsonValue is one value; raw holds a string's unescaped text or a
// number's literal, and may point into the payload.
type jsonValue struct {
	kind valueKind
	raw  []byte
}

// syntaxError is a position in the payload where the JSON is invalid.
type syntaxError struct {
	offset int
	msg    string
}

func (e *syntaxError) Error() string {
	return "invalid JSON at byte " + strconv.Itoa(e.offset) + ": " + e.msg
}

type scanner struct {
	data []byte
	pos  int
}

func (s *scanner) fail(msg string) *syntaxError { return &syntaxError{offset: s.pos, msg: msg} }

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.skipSpace()
	if s.pos >= len(s.data) {
		return 0
	}
	return s.data[s.pos]
}

// atEnd reports whether only white space remains.
func (s *scanner) atEnd() bool { return s.peek() == 0 && s.pos >= len(s.data) }

// object scans one object, calling visit for each member. Nested values are
// scanned and passed with their kind, so the caller can reject them without
// losing its place.
func (s *scanner) object(visit func(key []byte, v jsonValue)) *syntaxError {
	if s.peek() != '{' {
		return s.fail("want '{'")
	}
	s.pos++
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.fail("want a string key")
		}
		key, err := s.string()
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return s.fail("want ':' after key")
		}
		s.pos++
		v, err := s.value()
		if err != nil {
			return err
		}
		visit(key, v)
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.fail("want ',' or '}'")
		}
	}
}

// array scans one array, calling item with the scanner positioned at each
// element; item must consume exactly one value.
func (s *scanner) array(item func(index int) *syntaxError) *syntaxError {
	if s.peek() != '[' {
		return s.fail("want '['")
	}
	s.pos++
	if s.peek() == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		if err := item(i); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return nil
		default:
			return s.fail("want ',' or ']'")
		}
	}
}

func (s *scanner) value() (jsonValue, *syntaxError) {
	switch c := s.peek(); {
	case c == '"':
		str, err := s.string()
		return jsonValue{kind: kindString, raw: str}, err
	case c == '-' || (c >= '0' && c <= '9'):
		lit, err := s.number()
		return jsonValue{kind: kindNumber, raw: lit}, err
	case c == '{':
		return jsonValue{kind: kindObject}, s.object(func([]byte, jsonValue) {})
	case c == '[':
		return jsonValue{kind: kindArray}, s.array(func(int) *syntaxError { _, err := s.value(); return err })
	default:
		for _, lit := range [...]struct {
			text string
			kind valueKind
		}{{"true", kindTrue}, {"false", kindFalse}, {"null", kindNull}} {
			if len(s.data)-s.pos >= len(lit.text) && string(s.data[s.pos:s.pos+len(lit.text)]) == lit.text {
				s.pos += len(lit.text)
				return jsonValue{kind: lit.kind}, nil
			}
		}
		return jsonValue{}, s.fail("want a value")
	}
}

// number scans a number literal per RFC 8259's grammar.
func (s *scanner) number() ([]byte, *syntaxError) {
	start := s.pos
	digits := func() int {
		n := 0
		for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
			s.pos++
			n++
		}
		return n
	}
	if s.data[s.pos] == '-' {
		s.pos++
	}
	if s.pos < len(s.data) && s.data[s.pos] == '0' {
		s.pos++
	} else if digits() == 0 {
		return nil, s.fail("want a digit")
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if digits() == 0 {
			return nil, s.fail("want a digit after '.'")
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if digits() == 0 {
			return nil, s.fail("want a digit in the exponent")
		}
	}
	return s.data[start:s.pos], nil
}

// string scans a string and returns its text, a slice of the payload when it
// has no escapes. Invalid UTF-8 is refused rather than replaced, so that what
// is stored is what was sent.
func (s *scanner) string() ([]byte, *syntaxError) {
	s.pos++ // opening quote
	start := s.pos
	// Fast path: no escapes. Keys and most values are ASCII, which needs
	// no UTF-8 check beyond noticing that no byte has its top bit set.
	var high byte
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c == '"' {
			raw := s.data[start:s.pos]
			s.pos++
			if high >= utf8.RuneSelf && !utf8.Valid(raw) {
				return nil, &syntaxError{offset: start, msg: "string is not valid UTF-8"}
			}
			return raw, nil
		}
		high |= c
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return nil, s.fail("control character in string")
		}
		s.pos++
	}
	buf := append([]byte(nil), s.data[start:s.pos]...)
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			if !utf8.Valid(buf) {
				return nil, &syntaxError{offset: start, msg: "string is not valid UTF-8"}
			}
			return buf, nil
		case c < 0x20:
			return nil, s.fail("control character in string")
		case c != '\\':
			buf = append(buf, c)
			s.pos++
			continue
		}
		s.pos++
		if s.pos >= len(s.data) {
			break
		}
		switch e := s.data[s.pos]; e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := s.hex4(s.pos + 1)
			if !ok {
				return nil, s.fail("bad \\u escape")
			}
			s.pos += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := s.hex4(s.pos + 3); ok && s.pos+2 < len(s.data) && s.data[s.pos+1] == '\\' && s.data[s.pos+2] == 'u' {
					if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
						r = dec
						s.pos += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return nil, s.fail("bad escape")
		}
		s.pos++
	}
	return nil, s.fail("unterminated string")
}

func (s *scanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.data) {
		return 0, false
	}
	var r rune
	for _, c := range s.data[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
