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
	tags := b.sortedTags(r)
	for _, t := range tags {
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
	for _, t := range tags {
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
			buf = appendFloat(buf, f.Num)
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

// sortedTags returns r's tags with the facility's, which the reading does
// not carry, in key order, as InfluxDB would otherwise sort them on every
// write. A reading's tags come in schema order, which is sorted for every
// stream, so the facility usually only needs its place found; anything else
// is sorted whole.
func (b *Batch) sortedTags(r *reading.Reading) []reading.Tag {
	facility := reading.Tag{Key: "facility", Value: r.Facility}
	b.tags = b.tags[:0]
	placed := false
	for i, t := range r.Tags {
		if t.Key == facility.Key || i > 0 && r.Tags[i-1].Key >= t.Key {
			b.tags = append(append(b.tags[:0], facility), r.Tags...)
			slices.SortFunc(b.tags, func(x, y reading.Tag) int { return strings.Compare(x.Key, y.Key) })
			return b.tags
		}
		if !placed && t.Key > facility.Key {
			b.tags = append(b.tags, facility)
			placed = true
		}
		b.tags = append(b.tags, t)
	}
	if !placed {
		b.tags = append(b.tags, facility)
	}
	return b.tags
}

// appendFloat is strconv.AppendFloat(buf, v, 'g', -1, 64), the shortest
// text that reads back as v, with a short cut for what meters send: numbers
// of a few decimals between 1e-4 and 1e6, which 'g' writes without an
// exponent. The general algorithm was most of the encoder's time.
//
// When some integer m below 1e15 divided by 10^k is v (division rounds
// correctly and 10^k is exact), m·10^-k reads back as v; with at most 15
// digits no other decimal of as few digits does, so, less trailing zeros,
// it is the shortest text and the one strconv writes.
func appendFloat(buf []byte, v float64) []byte {
	a := math.Abs(v)
	if a < 1e-4 || a >= 1e6 {
		if v == 0 && !math.Signbit(v) {
			return append(buf, '0')
		}
		return strconv.AppendFloat(buf, v, 'g', -1, 64)
	}
	for k, p := 0, 1.0; k <= 8; k, p = k+1, p*10 {
		m := a * p
		if m >= 1e15 {
			break
		}
		if m != math.Trunc(m) || m/p != a {
			continue
		}
		mant, pow := uint64(m), uint64(p)
		for pow > 1 && mant%10 == 0 {
			mant, pow = mant/10, pow/10
		}
		if v < 0 {
			buf = append(buf, '-')
		}
		buf = strconv.AppendUint(buf, mant/pow, 10)
		if pow == 1 {
			return buf
		}
		// pow plus the fraction has the fraction's digits, leading zeros
		// included, after a 1 that becomes the point.
		point := len(buf)
		buf = strconv.AppendUint(buf, pow+mant%pow, 10)
		buf[point] = '.'
		return buf
	}
	return strconv.AppendFloat(buf, v, 'g', -1, 64)
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
