package influx

import (
	"fmt"
	"slices"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/greenpulse-health/greenpulse/reading"
)

// Batch accumulates readings as line protocol for one write. It is not safe
// for concurrent use.
type Batch struct {
	enc    lineprotocol.Encoder
	points int
	tags   []reading.Tag
}

// NewBatch returns an empty batch.
func NewBatch() *Batch {
	b := &Batch{}
	b.enc.SetPrecision(lineprotocol.Nanosecond)
	return b
}

// Add appends r as one point: measurement = stream, tags = facility and the
// stream's tags, timestamp = the reading's time. The decoder has already
// refused non-finite numbers and invalid UTF-8, so an error here is a broken
// invariant that the caller reports rather than a bad message.
func (b *Batch) Add(r *reading.Reading) error {
	// Line protocol wants tags in key order; InfluxDB would sort them anyway,
	// at a cost on every write.
	b.tags = append(b.tags[:0], reading.Tag{Key: "facility", Value: r.Facility})
	b.tags = append(b.tags, r.Tags...)
	slices.SortFunc(b.tags, func(x, y reading.Tag) int {
		switch {
		case x.Key < y.Key:
			return -1
		case x.Key > y.Key:
			return 1
		}
		return 0
	})
	b.enc.StartLine(string(r.Stream))
	for _, t := range b.tags {
		b.enc.AddTag(t.Key, t.Value)
	}
	for _, f := range r.Fields {
		v, ok := fieldValue(f)
		if !ok {
			b.enc.ClearErr()
			return fmt.Errorf("encode %s field %s of %s: value not representable", r.Stream, f.Key, r.Facility)
		}
		b.enc.AddField(f.Key, v)
	}
	b.enc.EndLine(r.Time)
	if err := b.enc.Err(); err != nil {
		b.enc.ClearErr()
		return fmt.Errorf("encode %s reading of %s: %w", r.Stream, r.Facility, err)
	}
	b.points++
	return nil
}

func fieldValue(f reading.Field) (lineprotocol.Value, bool) {
	switch f.Kind {
	case reading.KindFloat:
		return lineprotocol.FloatValue(f.Num)
	case reading.KindBool:
		return lineprotocol.BoolValue(f.Bool), true
	case reading.KindString:
		return lineprotocol.StringValue(f.Str)
	}
	return lineprotocol.Value{}, false
}

// Points is the number of points in the batch.
func (b *Batch) Points() int { return b.points }

// Bytes is the batch's line protocol; valid until the next Add or Reset.
func (b *Batch) Bytes() []byte { return b.enc.Bytes() }

// Reset empties the batch, keeping its buffer.
func (b *Batch) Reset() {
	b.enc.Reset()
	b.points = 0
}
