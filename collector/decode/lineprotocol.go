package decode

import (
	"strconv"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/greenpulse-health/greenpulse/reading"
)

// decodeLineProtocol decodes one reading per entry. Tags that are not in the
// stream's schema are ignored, because Telegraf adds its own (host, and any
// global tags); unknown fields are rejected, because a misspelt field would
// otherwise vanish. Timestamps are nanoseconds, Telegraf's default precision.
func (d *Decoder) decodeLineProtocol(res *Result, b *reading.Builder, facility string, stream reading.Stream, payload []byte, now time.Time) {
	dec := lineprotocol.NewDecoderWithBytes(payload)
	for index := 0; dec.Next(); index++ {
		r, err := d.decodeEntry(dec, b, facility, stream, now)
		if err != nil {
			err.Detail = "entry " + strconv.Itoa(index+1) + ": " + err.Detail
			res.reject(index, err)
			continue
		}
		res.Readings = append(res.Readings, r)
	}
	if len(res.Readings) == 0 && len(res.Rejected) == 0 {
		res.reject(-1, &reading.Error{Reason: reading.ReasonMalformed, Detail: "no line-protocol entries"})
	}
}

func (d *Decoder) decodeEntry(dec *lineprotocol.Decoder, b *reading.Builder, facility string, stream reading.Stream, now time.Time) (reading.Reading, *reading.Error) {
	malformed := func(err error) *reading.Error {
		return &reading.Error{Reason: reading.ReasonMalformed, Detail: err.Error()}
	}
	m, err := dec.Measurement()
	if err != nil {
		return reading.Reading{}, malformed(err)
	}
	if string(m) != string(stream) {
		return reading.Reading{}, &reading.Error{Reason: reading.ReasonUnknownStream, Field: "measurement",
			Detail: strconv.Quote(string(m)) + " is not the topic's stream " + string(stream)}
	}
	b.Reset()
	var mismatch *reading.Error
	for {
		key, val, err := dec.NextTag()
		if err != nil {
			return reading.Reading{}, malformed(err)
		}
		if key == nil {
			break
		}
		if string(key) == "facility" {
			if string(val) != facility && mismatch == nil {
				mismatch = &reading.Error{Reason: reading.ReasonFacilityMismatch, Field: "facility",
					Detail: strconv.Quote(string(val)) + " is not the topic's facility " + strconv.Quote(facility)}
			}
		} else if k, ok := b.TagName(key); ok {
			b.SetTagBytes(k, val)
		}
	}
	for {
		key, val, err := dec.NextField()
		if err != nil {
			return reading.Reading{}, malformed(err)
		}
		if key == nil {
			break
		}
		k, ok := b.FieldName(key)
		if !ok {
			k = string(key) // for the builder's error
		}
		switch val.Kind() {
		case lineprotocol.Float:
			b.SetFloat(k, val.FloatV())
		case lineprotocol.Int:
			b.SetFloat(k, float64(val.IntV()))
		case lineprotocol.Uint:
			b.SetFloat(k, float64(val.UintV()))
		case lineprotocol.Bool:
			b.SetBool(k, val.BoolV())
		case lineprotocol.String:
			b.SetString(k, val.StringV())
		}
	}
	ts, err := dec.Time(lineprotocol.Nanosecond, time.Time{})
	if err != nil {
		return reading.Reading{}, &reading.Error{Reason: reading.ReasonMalformed, Field: "timestamp", Detail: err.Error()}
	}
	if mismatch != nil {
		return reading.Reading{}, mismatch
	}
	if ts.IsZero() {
		ts = now
	}
	r, berr := b.Build(facility, ts, now, d.limits)
	if berr != nil {
		return reading.Reading{}, asReadingError(berr)
	}
	return r, nil
}
