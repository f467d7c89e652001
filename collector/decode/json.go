package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
)

// jsonReading holds every key a JSON reading of any stream may carry; the
// builder then rejects the keys that do not belong to the topic's stream.
// Pointers tell an absent key from a zero value.
type jsonReading struct {
	TS       json.RawMessage `json:"ts"`
	Facility *string         `json:"facility"`

	Meter     *string `json:"meter"`
	Source    *string `json:"source"`
	Inverter  *string `json:"inverter"`
	Category  *string `json:"category"`
	Treatment *string `json:"treatment"`

	KWhTotal      *float64 `json:"kwh_total"`
	PowerW        *float64 `json:"power_w"`
	FuelLTotal    *float64 `json:"fuel_l_total"`
	Available     *bool    `json:"available"`
	BatterySOCPct *float64 `json:"battery_soc_pct"`
	MassKg        *float64 `json:"mass_kg"`
	StoredHours   *float64 `json:"stored_hours"`
	ID            *string  `json:"id"`
}

func (d *Decoder) decodeJSONObject(res *Result, b *reading.Builder, facility string, payload []byte, now time.Time) {
	r, err := d.decodeJSONItem(b, facility, payload, now)
	if err != nil {
		res.reject(-1, err)
		return
	}
	res.Readings = append(res.Readings, r)
}

func (d *Decoder) decodeJSONArray(res *Result, b *reading.Builder, facility string, payload []byte, now time.Time) {
	var items []json.RawMessage
	if err := json.Unmarshal(payload, &items); err != nil {
		res.reject(-1, jsonError(err))
		return
	}
	if len(items) == 0 {
		res.reject(-1, &reading.Error{Reason: reading.ReasonMalformed, Detail: "empty batch"})
		return
	}
	res.Readings = make([]reading.Reading, 0, len(items))
	for i, item := range items {
		r, err := d.decodeJSONItem(b, facility, item, now)
		if err != nil {
			res.reject(i, err)
			continue
		}
		res.Readings = append(res.Readings, r)
	}
}

func (d *Decoder) decodeJSONItem(b *reading.Builder, facility string, item []byte, now time.Time) (reading.Reading, *reading.Error) {
	if firstByte(item) != '{' {
		return reading.Reading{}, &reading.Error{Reason: reading.ReasonMalformed, Detail: "want a JSON object"}
	}
	var w jsonReading
	dec := json.NewDecoder(bytes.NewReader(item))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return reading.Reading{}, jsonError(err)
	}
	if w.Facility != nil && *w.Facility != facility {
		return reading.Reading{}, &reading.Error{Reason: reading.ReasonFacilityMismatch, Field: "facility",
			Detail: strconv.Quote(*w.Facility) + " is not the topic's facility " + strconv.Quote(facility)}
	}
	ts, terr := jsonTime(w.TS, now)
	if terr != nil {
		return reading.Reading{}, terr
	}
	b.Reset()
	setTag(b, "meter", w.Meter)
	setTag(b, "source", w.Source)
	setTag(b, "inverter", w.Inverter)
	setTag(b, "category", w.Category)
	setTag(b, "treatment", w.Treatment)
	setFloat(b, "kwh_total", w.KWhTotal)
	setFloat(b, "power_w", w.PowerW)
	setFloat(b, "fuel_l_total", w.FuelLTotal)
	setFloat(b, "battery_soc_pct", w.BatterySOCPct)
	setFloat(b, "mass_kg", w.MassKg)
	setFloat(b, "stored_hours", w.StoredHours)
	if w.Available != nil {
		b.SetBool("available", *w.Available)
	}
	if w.ID != nil {
		b.SetString("id", *w.ID)
	}
	r, err := b.Build(facility, ts, now, d.limits)
	if err != nil {
		return reading.Reading{}, asReadingError(err)
	}
	return r, nil
}

func setTag(b *reading.Builder, key string, v *string) {
	if v != nil {
		b.SetTag(key, *v)
	}
}

func setFloat(b *reading.Builder, key string, v *float64) {
	if v != nil {
		b.SetFloat(key, *v)
	}
}

// jsonTime reads ts: an RFC 3339 string or integer Unix milliseconds.
func jsonTime(raw json.RawMessage, now time.Time) (time.Time, *reading.Error) {
	if len(raw) == 0 || string(raw) == "null" {
		return now, nil
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return time.Time{}, &reading.Error{Reason: reading.ReasonMalformed, Field: "ts", Detail: err.Error()}
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, &reading.Error{Reason: reading.ReasonMalformed, Field: "ts",
				Detail: strconv.Quote(s) + " is not an RFC 3339 time such as 2026-03-01T08:30:00+03:00"}
		}
		return t, nil
	}
	ms, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return time.Time{}, &reading.Error{Reason: reading.ReasonMalformed, Field: "ts",
			Detail: string(truncate(raw, 40)) + " is neither an RFC 3339 string nor whole Unix milliseconds"}
	}
	return time.UnixMilli(ms), nil
}

// jsonError names the key at fault where encoding/json tells it.
func jsonError(err error) *reading.Error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return &reading.Error{Reason: reading.ReasonMalformed, Field: typeErr.Field,
			Detail: "want a " + jsonKind(typeErr.Type.Kind().String()) + ", got a JSON " + typeErr.Value}
	case errors.As(err, &syntaxErr):
		return &reading.Error{Reason: reading.ReasonMalformed,
			Detail: "invalid JSON at byte " + strconv.FormatInt(syntaxErr.Offset, 10) + ": " + syntaxErr.Error()}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		key, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return &reading.Error{Reason: reading.ReasonUnknownField, Field: key, Detail: "not a field of any stream"}
	}
	return &reading.Error{Reason: reading.ReasonMalformed, Detail: "invalid JSON: " + err.Error()}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "float64":
		return "number"
	case "bool":
		return "boolean"
	case "ptr", "string":
		return "string"
	case "slice":
		return "array"
	}
	return goKind
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
