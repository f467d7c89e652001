package reading

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends r as one JSON object of the MQTT contract: "ts" in Unix
// milliseconds, then the tags and fields by their names. The facility is left
// out because the topic carries it. Readings come from a Builder, so numbers
// are finite and strings are valid UTF-8; the encoder relies on that.
func AppendJSON(dst []byte, r *Reading) []byte {
	dst = append(dst, `{"ts":`...)
	dst = strconv.AppendInt(dst, r.Time.UnixMilli(), 10)
	for _, t := range r.Tags {
		dst = appendKey(dst, t.Key)
		dst = appendString(dst, t.Value)
	}
	for _, f := range r.Fields {
		dst = appendKey(dst, f.Key)
		switch f.Kind {
		case KindFloat:
			dst = strconv.AppendFloat(dst, f.Num, 'g', -1, 64)
		case KindBool:
			dst = strconv.AppendBool(dst, f.Bool)
		case KindString:
			dst = appendString(dst, f.Str)
		}
	}
	return append(dst, '}')
}

func appendKey(dst []byte, k string) []byte {
	dst = append(dst, ',')
	dst = appendString(dst, k)
	return append(dst, ':')
}

// appendString writes s as a JSON string, escaping what JSON requires.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
			i++
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			i++
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			_, size := utf8.DecodeRuneInString(s[i:])
			dst = append(dst, s[i:i+size]...)
			i += size
		}
	}
	return append(dst, '"')
}
