package influx

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/greenpulse-health/greenpulse/reading"
)

// Batch accumulates readings as line protocol for one write. It is not safe
// for concurrent use.
//
// It writes line protocol directly rather than through a generic encoder,
// which escapes and checks every key and value: here measurement and keys
// are fixed names, and the reading package admits only tag values made of
// letters, digits, '_' and '-', so nothing needs escaping but string fields.
type Batch struct {
	buf    []byte
	points int
	tags   []reading.Tag
}

// NewBatch returns an empty batch.
func NewBatch() *Batch { return &Batch{buf: make([]byte, 0, 64<<10)} }

// Add appends r as one point: measurement = stream, tags = facility and the
// stream's tags, timestamp = the reading's time in nanoseconds. The decoder
// has already refused non-finite numbers and unsafe names, so an error here
// is a broken invariant that the caller reports, and the batch is unchanged.
func (b *Batch) Add(r *reading.Reading) error {
	if len(r.Fields) == 0 {
		return fmt.Errorf("encode %s reading of %s: no fields", r.Stream, r.Facility)
	}
	// Tags in key order, as InfluxDB would otherwise sort them on every write.
	b.tags = append(b.tags[:0], reading.Tag{Key: "facility", Value: r.Facility})
	b.tags = append(b.tags, r.Tags...)
	slices.SortFunc(b.tags, func(x, y reading.Tag) int { return strings.Compare(x.Key, y.Key) })
	for _, t := range b.tags {
		if !reading.ValidName(t.Value) {
			return fmt.Errorf("encode %s reading of %s: tag %s=%q is not a plain name", r.Stream, r.Facility, t.Key, t.Value)
		}
	}
	for _, f := range r.Fields {
		if f.Kind == reading.KindFloat && (math.IsNaN(f.Num) || math.IsInf(f.Num, 0)) {
			return fmt.Errorf("encode %s field %s of %s: %v is not a finite number", r.Stream, f.Key, r.Facility, f.Num)
		}
	}
	buf := append(b.buf, r.Stream...)
	for _, t := range b.tags {
		buf = append(buf, ',')
		buf = append(buf, t.Key...)
		buf = append(buf, '=')
		buf = append(buf, t.Value...)
	}
	for i, f := range r.Fields {
		if i == 0 {
			buf = append(buf, ' ')
		} else {
			buf = append(buf, ',')
		}
		buf = append(buf, f.Key...)
		buf = append(buf, '=')
		switch f.Kind {
		case reading.KindFloat:
			buf = strconv.AppendFloat(buf, f.Num, 'g', -1, 64)
		case reading.KindBool:
			buf = strconv.AppendBool(buf, f.Bool)
		case reading.KindString:
			buf = appendQuoted(buf, f.Str)
		}
	}
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, r.Time.UnixNano(), 10)
	b.buf = append(buf, '\n')
	b.points++
	return nil
}

// appendQuoted writes a line-protocol string field value: quotes and
// backslashes are escaped, everything else (valid UTF-8) is literal.
func appendQuoted(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\\' {
			buf = append(buf, '\\')
		}
		buf = append(buf, s[i])
	}
	return append(buf, '"')
}

// Points is the number of points in the batch.
func (b *Batch) Points() int { return b.points }

// Bytes is the batch's line protocol; valid until the next Add or Reset.
func (b *Batch) Bytes() []byte { return b.buf }

// Reset empties the batch, keeping its buffer.
func (b *Batch) Reset() {
	b.buf = b.buf[:0]
	b.points = 0
}
