package reading

import (
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Reading is one validated measurement of one facility: an InfluxDB point of
// measurement Stream with the facility and the stream's tags.
type Reading struct {
	Facility string
	Stream   Stream
	Time     time.Time
	Tags     []Tag   // every tag of the stream's schema, in schema order
	Fields   []Field // the fields present, in schema order
}

// Tag is one tag of a reading.
type Tag struct {
	Key, Value string
}

// Field is one field of a reading; Kind says which value is set.
type Field struct {
	Key  string
	Kind Kind
	Num  float64
	Bool bool
	Str  string
}

// Tag returns the value of the tag named key, or "".
func (r *Reading) Tag(key string) string {
	for _, t := range r.Tags {
		if t.Key == key {
			return t.Value
		}
	}
	return ""
}

// Series names the reading's series within its facility: the stream and
// its tags in schema order, "energy meter=main source=grid". Two sources
// that feed one series make each other's counter look reset.
func (r *Reading) Series() string {
	out := string(r.Stream)
	for _, t := range r.Tags {
		out += " " + t.Key + "=" + t.Value
	}
	return out
}

// Field returns the field named key.
func (r *Reading) Field(key string) (Field, bool) {
	for _, f := range r.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// Reason is why a reading or payload was rejected. Reasons are a small fixed
// set so that they can label metrics.
type Reason string

// The rejection reasons of SPEC's MQTT contract.
const (
	ReasonUnknownFacility  Reason = "unknown_facility"
	ReasonMalformed        Reason = "malformed_payload"
	ReasonUnknownStream    Reason = "unknown_stream"
	ReasonUnknownValue     Reason = "unknown_field_value"
	ReasonUnknownField     Reason = "unknown_field"
	ReasonMissingField     Reason = "missing_field"
	ReasonOutOfRange       Reason = "out_of_range"
	ReasonFutureTimestamp  Reason = "timestamp_in_future"
	ReasonFacilityMismatch Reason = "facility_mismatch"
	ReasonTooLarge         Reason = "payload_too_large"
	ReasonBadTopic         Reason = "bad_topic"
)

// Reasons lists every Reason, for metrics that start each label at zero.
func Reasons() []Reason {
	return []Reason{ReasonUnknownFacility, ReasonMalformed, ReasonUnknownStream,
		ReasonUnknownValue, ReasonUnknownField, ReasonMissingField, ReasonOutOfRange,
		ReasonFutureTimestamp, ReasonFacilityMismatch, ReasonTooLarge, ReasonBadTopic}
}

// Error is a rejected reading: the reason, the field at fault and what is
// wrong with it, in words a person fixing the sender understands.
type Error struct {
	Reason Reason
	Field  string
	Detail string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Detail
	}
	return e.Field + ": " + e.Detail
}

func errorf(reason Reason, field, format string, args ...any) *Error {
	return &Error{Reason: reason, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// Builder assembles one reading of a stream from decoded keys and checks each
// against the schema as it arrives. It is not safe for concurrent use; Reset
// lets a decoder reuse one for every item of a batch.
type Builder struct {
	schema *Schema
	tags   []string // by schema index; "" = absent
	fields []Field  // by schema index; Kind 0 = absent
	seen   []bool
	err    *Error
}

// NewBuilder returns a builder for readings of stream s, or false when s
// carries no stored readings.
func NewBuilder(s Stream) (*Builder, bool) {
	sc, ok := SchemaOf(s)
	if !ok {
		return nil, false
	}
	return &Builder{
		schema: sc,
		tags:   make([]string, len(sc.Tags)),
		fields: make([]Field, len(sc.Fields)),
	}, true
}

// Reset forgets the keys set so far.
func (b *Builder) Reset() {
	clear(b.tags)
	clear(b.fields)
	b.err = nil
}

// HasTag reports whether the stream has a tag named key.
func (b *Builder) HasTag(key string) bool {
	_, ok := b.schema.tag(key)
	return ok
}

// HasField reports whether the stream has a field named key.
func (b *Builder) HasField(key string) bool {
	_, ok := b.schema.field(key)
	return ok
}

// SetTag records tag key. Keys that are not tags of the stream are an error;
// the first error is kept and returned by Build.
func (b *Builder) SetTag(key, value string) {
	if b.err != nil {
		return
	}
	i, ok := b.schema.tag(key)
	if !ok {
		b.err = errorf(ReasonUnknownField, key, "not a tag of stream %s", b.schema.Stream)
		return
	}
	spec := &b.schema.Tags[i]
	switch {
	case spec.Values != nil && !slices.Contains(spec.Values, value):
		b.err = errorf(ReasonUnknownValue, key, "%q is not one of %v", value, spec.Values)
	case spec.Values == nil && !ValidName(value):
		b.err = errorf(ReasonUnknownValue, key, "%q must be 1-64 letters, digits, '_' or '-'", value)
	default:
		b.tags[i] = value
	}
}

// SetFloat records a numeric field. Integers of line protocol arrive here too.
func (b *Builder) SetFloat(key string, v float64) {
	if spec := b.fieldSpec(key, KindFloat); spec != nil {
		if !spec.inRange(v) {
			b.err = errorf(ReasonOutOfRange, key, "%s is outside %s", formatNum(v), rangeText(spec))
			return
		}
		b.set(key, Field{Key: spec.Name, Kind: KindFloat, Num: v})
	}
}

// SetBool records a boolean field.
func (b *Builder) SetBool(key string, v bool) {
	if spec := b.fieldSpec(key, KindBool); spec != nil {
		b.set(key, Field{Key: spec.Name, Kind: KindBool, Bool: v})
	}
}

// SetString records a string field.
func (b *Builder) SetString(key, v string) {
	if spec := b.fieldSpec(key, KindString); spec != nil {
		if len(v) > spec.MaxLen {
			b.err = errorf(ReasonOutOfRange, key, "longer than %d bytes", spec.MaxLen)
			return
		}
		if !utf8.ValidString(v) {
			b.err = errorf(ReasonMalformed, key, "not valid UTF-8")
			return
		}
		b.set(key, Field{Key: spec.Name, Kind: KindString, Str: v})
	}
}

// Fail records an error found by the decoder, such as a value of the wrong
// type, so that Build reports it; the first error wins.
func (b *Builder) Fail(e *Error) {
	if b.err == nil {
		b.err = e
	}
}

func (b *Builder) fieldSpec(key string, kind Kind) *FieldSpec {
	if b.err != nil {
		return nil
	}
	i, ok := b.schema.field(key)
	if !ok {
		b.err = errorf(ReasonUnknownField, key, "not a field of stream %s", b.schema.Stream)
		return nil
	}
	spec := &b.schema.Fields[i]
	if spec.Kind != kind {
		b.err = errorf(ReasonMalformed, key, "want a %s, got a %s", spec.Kind, kind)
		return nil
	}
	return spec
}

func (b *Builder) set(key string, f Field) {
	i, _ := b.schema.field(key)
	b.fields[i] = f
}

// Limits are the collector's bounds on a reading's timestamp.
type Limits struct {
	// MaxFuture is how far ahead of the receiver's clock a timestamp may be;
	// agents' clocks drift, so a little is tolerated.
	MaxFuture time.Duration
}

// EarliestUnix is the oldest timestamp accepted, 2000-01-01T00:00:00Z in
// Unix seconds: older ones are almost always Unix seconds sent as
// milliseconds, or a box whose clock reset to 1970.
const EarliestUnix = 946684800

// Build checks that every required key is present and the time is plausible,
// applies tag defaults and returns the reading.
func (b *Builder) Build(facility string, ts, now time.Time, lim Limits) (Reading, error) {
	if b.err != nil {
		return Reading{}, b.err
	}
	if ts.Unix() < EarliestUnix {
		return Reading{}, errorf(ReasonOutOfRange, "ts", "%s is before 2000-01-01 (Unix seconds sent as milliseconds, or a clock that reset?)", ts.UTC().Format(time.RFC3339))
	}
	if ts.After(now.Add(lim.MaxFuture)) {
		return Reading{}, errorf(ReasonFutureTimestamp, "ts", "%s is more than %s ahead of the collector's clock", ts.UTC().Format(time.RFC3339), lim.MaxFuture)
	}
	r := Reading{Facility: facility, Stream: b.schema.Stream, Time: ts,
		Tags: make([]Tag, 0, len(b.tags)), Fields: make([]Field, 0, len(b.fields))}
	for i, spec := range b.schema.Tags {
		v := b.tags[i]
		if v == "" {
			v = spec.Default
		}
		if v == "" {
			return Reading{}, errorf(ReasonMissingField, spec.Name, "required: one of %v", spec.Values)
		}
		r.Tags = append(r.Tags, Tag{Key: spec.Name, Value: v})
	}
	for i, spec := range b.schema.Fields {
		f := b.fields[i]
		if f.Kind == 0 {
			if spec.Required {
				return Reading{}, errorf(ReasonMissingField, spec.Name, "required")
			}
			continue
		}
		r.Fields = append(r.Fields, f)
	}
	return r, nil
}

func formatNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func rangeText(f *FieldSpec) string {
	lo := "["
	if f.MinExclusive {
		lo = "("
	}
	return lo + formatNum(f.Min) + ", " + formatNum(f.Max) + "]"
}
