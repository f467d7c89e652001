package decode

import (
	"errors"
	"strconv"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
)

// jsonItem collects the members of one JSON reading as the scanner meets
// them; the builder rejects keys that do not belong to the topic's stream.
type jsonItem struct {
	b        *reading.Builder
	ts       jsonValue
	facility []byte
	hasFac   bool
}

func (it *jsonItem) visit(key []byte, v jsonValue) {
	switch string(key) {
	case "ts":
		it.ts = v
	case "facility":
		if v.kind != kindNull {
			if v.kind != kindString {
				it.b.Fail(typeError("facility", "string", v))
				return
			}
			it.facility, it.hasFac = v.raw, true
		}
	// Each key is passed on as a constant, so that it costs no string.
	case "meter":
		it.tag("meter", v)
	case "source":
		it.tag("source", v)
	case "inverter":
		it.tag("inverter", v)
	case "category":
		it.tag("category", v)
	case "treatment":
		it.tag("treatment", v)
	case "kwh_total":
		it.number("kwh_total", v)
	case "power_w":
		it.number("power_w", v)
	case "fuel_l_total":
		it.number("fuel_l_total", v)
	case "battery_soc_pct":
		it.number("battery_soc_pct", v)
	case "mass_kg":
		it.number("mass_kg", v)
	case "stored_hours":
		it.number("stored_hours", v)
	case "available":
		switch v.kind {
		case kindNull:
		case kindTrue, kindFalse:
			it.b.SetBool("available", v.kind == kindTrue)
		default:
			it.b.Fail(typeError("available", "boolean", v))
		}
	case "id":
		switch v.kind {
		case kindNull:
		case kindString:
			it.b.SetString("id", string(v.raw))
		default:
			it.b.Fail(typeError("id", "string", v))
		}
	default:
		it.b.Fail(&reading.Error{Reason: reading.ReasonUnknownField, Field: string(key), Detail: "not a field of any stream"})
	}
}

func (it *jsonItem) tag(key string, v jsonValue) {
	switch v.kind {
	case kindNull:
	case kindString:
		it.b.SetTagBytes(key, v.raw)
	default:
		it.b.Fail(typeError(key, "string", v))
	}
}

func (it *jsonItem) number(key string, v jsonValue) {
	switch v.kind {
	case kindNull:
	case kindNumber:
		f, err := parseFloat(v.raw)
		if err != nil {
			// Only a literal beyond float64's range gets here.
			it.b.Fail(&reading.Error{Reason: reading.ReasonOutOfRange, Field: key, Detail: string(v.raw) + " is too large"})
			return
		}
		it.b.SetFloat(key, f)
	default:
		it.b.Fail(typeError(key, "number", v))
	}
}

func typeError(key, want string, got jsonValue) *reading.Error {
	return &reading.Error{Reason: reading.ReasonMalformed, Field: key, Detail: "want a " + want + ", got a JSON " + got.kind.String()}
}

func (d *Decoder) decodeJSONObject(res *Result, b *reading.Builder, facility string, payload []byte, now time.Time) {
	s := &scanner{data: payload}
	r, rerr, serr := d.decodeJSONItem(s, b, facility, now)
	if serr == nil && !s.atEnd() {
		serr = s.fail("data after the object")
	}
	switch {
	case serr != nil:
		res.reject(-1, malformedJSON(serr))
	case rerr != nil:
		res.reject(-1, rerr)
	default:
		res.Readings = append(res.Readings, r)
	}
}

func (d *Decoder) decodeJSONArray(res *Result, b *reading.Builder, facility string, payload []byte, now time.Time) {
	s := &scanner{data: payload}
	items := 0
	serr := s.array(func(i int) *syntaxError {
		items++
		if s.peek() != '{' {
			if _, err := s.value(); err != nil {
				return err
			}
			res.reject(i, &reading.Error{Reason: reading.ReasonMalformed, Detail: "want a JSON object"})
			return nil
		}
		r, rerr, serr := d.decodeJSONItem(s, b, facility, now)
		switch {
		case serr != nil:
			return serr
		case rerr != nil:
			res.reject(i, rerr)
		default:
			res.Readings = append(res.Readings, r)
		}
		return nil
	})
	if serr == nil && !s.atEnd() {
		serr = s.fail("data after the array")
	}
	if serr != nil {
		// Past a syntax error there is no telling where items start, so
		// the whole message is rejected, good items too.
		// The decoder's scratch slice is kept for the next payload.
		clear(res.Readings)
		*res = Result{Readings: res.Readings[:0], Rejected: []Rejection{{Index: -1, Err: malformedJSON(serr)}}}
		return
	}
	if items == 0 {
		res.reject(-1, &reading.Error{Reason: reading.ReasonMalformed, Detail: "empty batch"})
	}
}

// decodeJSONItem scans one object at s: a syntax error ends the payload, a
// reading error rejects only this item.
func (d *Decoder) decodeJSONItem(s *scanner, b *reading.Builder, facility string, now time.Time) (reading.Reading, *reading.Error, *syntaxError) {
	b.Reset()
	it := jsonItem{b: b}
	if serr := s.object(it.visit); serr != nil {
		return reading.Reading{}, nil, serr
	}
	if it.hasFac && string(it.facility) != facility {
		return reading.Reading{}, &reading.Error{Reason: reading.ReasonFacilityMismatch, Field: "facility",
			Detail: strconv.Quote(string(it.facility)) + " is not the topic's facility " + strconv.Quote(facility)}, nil
	}
	ts, terr := jsonTime(it.ts, now)
	if terr != nil {
		return reading.Reading{}, terr, nil
	}
	r, err := b.Build(facility, ts, now, d.limits)
	if err != nil {
		return reading.Reading{}, asReadingError(err), nil
	}
	return r, nil, nil
}

func malformedJSON(err *syntaxError) *reading.Error {
	return &reading.Error{Reason: reading.ReasonMalformed, Detail: err.Error()}
}

// jsonTime reads ts: an RFC 3339 string or integer Unix milliseconds.
func jsonTime(v jsonValue, now time.Time) (time.Time, *reading.Error) {
	switch v.kind {
	case 0, kindNull:
		return now, nil
	case kindString:
		t, err := time.Parse(time.RFC3339Nano, string(v.raw))
		if err != nil {
			return time.Time{}, &reading.Error{Reason: reading.ReasonMalformed, Field: "ts",
				Detail: strconv.Quote(string(v.raw)) + " is not an RFC 3339 time such as 2026-03-01T08:30:00+03:00"}
		}
		return t, nil
	case kindNumber:
		ms, err := parseInt(v.raw)
		if err != nil {
			return time.Time{}, &reading.Error{Reason: reading.ReasonMalformed, Field: "ts",
				Detail: string(truncate(v.raw, 40)) + " is not whole Unix milliseconds"}
		}
		return time.UnixMilli(ms), nil
	}
	return time.Time{}, typeError("ts", "string or number", v)
}

func asReadingError(err error) *reading.Error {
	var re *reading.Error
	if errors.As(err, &re) {
		return re
	}
	return &reading.Error{Reason: reading.ReasonMalformed, Detail: err.Error()}
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}
