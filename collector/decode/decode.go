// Package decode turns an MQTT payload into validated readings: a JSON object,
// a JSON array of objects (a batch), or InfluxDB line protocol as a stock
// Telegraf sends it. Each bad item of a batch is reported on its own with its
// index, and the good items are kept.
package decode

import (
	"bytes"
	"slices"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
)

// Rejection is one rejected payload or batch item. Index is the item's
// position in a JSON array or its entry number in line protocol, counting
// from 0, or -1 when the whole payload was rejected.
type Rejection struct {
	Index int
	Err   *reading.Error
}

// Result is what one payload decoded to.
type Result struct {
	Readings []reading.Reading
	Rejected []Rejection
}

func (r *Result) reject(index int, err *reading.Error) {
	r.Rejected = append(r.Rejected, Rejection{Index: index, Err: err})
}

// Decoder decodes payloads of any facility and stream. It keeps one builder a
// stream, so it is not safe for concurrent use: use one per goroutine.
type Decoder struct {
	limits   reading.Limits
	builders map[reading.Stream]*reading.Builder

	// readings collects a payload's readings, so that a batch's slice
	// grows once over the decoder's life rather than in every message;
	// each Result gets a copy of its own.
	readings []reading.Reading
}

// maxKeptReadings bounds the scratch slice kept between messages, so that
// one huge batch does not hold its memory for good.
const maxKeptReadings = 1024

// New returns a decoder that applies lim to every reading.
func New(lim reading.Limits) *Decoder {
	d := &Decoder{limits: lim, builders: map[reading.Stream]*reading.Builder{}}
	for _, s := range reading.DataStreams() {
		b, _ := reading.NewBuilder(s)
		d.builders[s] = b
	}
	return d
}

// Decode decodes payload, received at now on the topic of facility and
// stream. Readings without a timestamp take now. Stream must carry readings
// (not status); the caller has checked the topic. The Result is the caller's
// to keep: later calls do not change it or its readings.
func (d *Decoder) Decode(facility string, stream reading.Stream, payload []byte, now time.Time) Result {
	b, ok := d.builders[stream]
	if !ok {
		return Result{Rejected: []Rejection{{Index: -1, Err: &reading.Error{
			Reason: reading.ReasonUnknownStream, Detail: "stream " + string(stream) + " carries no readings"}}}}
	}
	res := Result{Readings: d.readings[:0]}
	switch firstByte(payload) {
	case '{':
		d.decodeJSONObject(&res, b, facility, payload, now)
	case '[':
		d.decodeJSONArray(&res, b, facility, payload, now)
	case 0:
		res.reject(-1, &reading.Error{Reason: reading.ReasonMalformed, Detail: "empty payload"})
	default:
		d.decodeLineProtocol(&res, b, facility, stream, payload, now)
	}
	scratch := res.Readings
	res.Readings = nil
	if len(scratch) > 0 {
		res.Readings = slices.Clone(scratch)
	}
	clear(scratch) // the readings' tags and fields are the caller's now
	if cap(scratch) > maxKeptReadings {
		scratch = nil
	}
	d.readings = scratch[:0]
	return res
}

func firstByte(p []byte) byte {
	p = bytes.TrimLeft(p, " \t\r\n")
	if len(p) == 0 {
		return 0
	}
	return p[0]
}
