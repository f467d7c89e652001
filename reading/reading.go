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
	err    *Error

	// Build hands out each reading's Tags and Fields from these, so that a
	// builder making many readings allocates once a chunk of them instead
	// of twice a reading. chunk is the readings a slab holds; it doubles up
	// to maxChunk so that a builder made for one reading allocates no more
	// than it needs.
	tagSlab   []Tag
	fieldSlab []Field
	chunk     int

	recent []recentNames // by schema index: free-form tag values seen lately
}

// maxChunk bounds the readings that share one slab, and so the memory that
// one reading kept for long holds on to.
const maxChunk = 32

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
		recent: make([]recentNames, len(sc.Tags)),
	}, true
}

// Reset forgets the keys set so far.
func (b *Builder) Reset() {
	clear(b.tags)
	// A field's Kind says whether it is set, and setting one writes it
	// whole, so the rest need not be cleared pointer by pointer.
	for i := range b.fields {
		b.fields[i].Kind = 0
	}
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
	if i, spec := b.fieldSpec(key, KindFloat); spec != nil {
		if !spec.inRange(v) {
			b.err = errorf(ReasonOutOfRange, key, "%s is outside %s", formatNum(v), rangeText(spec))
			return
		}
		b.fields[i] = Field{Key: spec.Name, Kind: KindFloat, Num: v}
	}
}

// SetBool records a boolean field.
func (b *Builder) SetBool(key string, v bool) {
	if i, spec := b.fieldSpec(key, KindBool); spec != nil {
		b.fields[i] = Field{Key: spec.Name, Kind: KindBool, Bool: v}
	}
}

// SetString records a string field.
func (b *Builder) SetString(key, v string) {
	if i, spec := b.fieldSpec(key, KindString); spec != nil {
		if len(v) > spec.MaxLen {
			b.err = errorf(ReasonOutOfRange, key, "longer than %d bytes", spec.MaxLen)
			return
		}
		if !utf8.ValidString(v) {
			b.err = errorf(ReasonMalformed, key, "not valid UTF-8")
			return
		}
		b.fields[i] = Field{Key: spec.Name, Kind: KindString, Str: v}
	}
}

// Fail records an error found by the decoder, such as a value of the wrong
// type, so that Build reports it; the first error wins.
func (b *Builder) Fail(e *Error) {
	if b.err == nil {
		b.err = e
	}
}

// fieldSpec returns the schema index and spec of field key, or a nil spec
// when the key is refused or an earlier one was.
func (b *Builder) fieldSpec(key string, kind Kind) (int, *FieldSpec) {
	if b.err != nil {
		return 0, nil
	}
	i, ok := b.schema.field(key)
	if !ok {
		b.err = errorf(ReasonUnknownField, key, "not a field of stream %s", b.schema.Stream)
		return 0, nil
	}
	spec := &b.schema.Fields[i]
	if spec.Kind != kind {
		b.err = errorf(ReasonMalformed, key, "want a %s, got a %s", spec.Kind, kind)
		return 0, nil
	}
	return i, spec
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
// applies tag defaults and returns the reading. Readings of one builder share
// backing arrays, but each one's Tags and Fields have no spare capacity, so
// appending to them never touches another reading's.
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
	// The spare room of the slabs is filled first and handed out only once
	// the reading is complete, so a refused reading takes none of it.
	tags, fields := b.spare()
	for i, spec := range b.schema.Tags {
		v := b.tags[i]
		if v == "" {
			v = spec.Default
		}
		if v == "" {
			return Reading{}, errorf(ReasonMissingField, spec.Name, "required: one of %v", spec.Values)
		}
		tags = append(tags, Tag{Key: spec.Name, Value: v})
	}
	for i, spec := range b.schema.Fields {
		f := b.fields[i]
		if f.Kind == 0 {
			if spec.Required {
				return Reading{}, errorf(ReasonMissingField, spec.Name, "required")
			}
			continue
		}
		fields = append(fields, f)
	}
	b.tagSlab = b.tagSlab[:len(b.tagSlab)+len(tags)]
	b.fieldSlab = b.fieldSlab[:len(b.fieldSlab)+len(fields)]
	return Reading{Facility: facility, Stream: b.schema.Stream, Time: ts,
		Tags: slices.Clip(tags), Fields: slices.Clip(fields)}, nil
}

// spare returns the unused ends of the slabs, empty but with room for every
// tag and field of the schema, starting new slabs when they have not.
func (b *Builder) spare() ([]Tag, []Field) {
	nt, nf := len(b.schema.Tags), len(b.schema.Fields)
	// Every reading has all the tags, so the tag slab counts readings; a
	// reading has some of the fields, so that slab lasts longer.
	tagsOut, fieldsOut := cap(b.tagSlab)-len(b.tagSlab) < nt, cap(b.fieldSlab)-len(b.fieldSlab) < nf
	if tagsOut || fieldsOut {
		b.chunk = min(max(2*b.chunk, 1), maxChunk)
	}
	if tagsOut {
		b.tagSlab = make([]Tag, 0, b.chunk*nt)
	}
	if fieldsOut {
		b.fieldSlab = make([]Field, 0, b.chunk*nf)
	}
	return b.tagSlab[len(b.tagSlab):], b.fieldSlab[len(b.fieldSlab):]
}

func formatNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func rangeText(f *FieldSpec) string {
	lo := "["
	if f.MinExclusive {
		lo = "("
	}
	return lo + formatNum(f.Min) + ", " + formatNum(f.Max) + "]"
}
