// Package reading is the contract shared by the agents and the collector: the
// streams a facility publishes, the tags and fields each stream carries with
// their allowed values and ranges, and the validation every reading passes
// before it is stored. Both sides import it so that a reading an agent accepts
// is a reading the collector stores.
package reading

import (
	"math"
)

// Stream names one kind of reading; it is the last topic level and the
// InfluxDB measurement.
type Stream string

// The streams of SPEC's MQTT contract.
const (
	Energy Stream = "energy"
	Solar  Stream = "solar"
	Waste  Stream = "waste"
	Status Stream = "status"
)

// AlertsLevel is the last level of <root>/<facility>/alerts, where the
// collector keeps each facility's active alerts (retained) for its agent:
// a topic of the MQTT contract, but not a stream of readings, so
// ParseStream does not know it.
const AlertsLevel = "alerts"

// AlertsTopic returns facility's alerts topic under root.
func AlertsTopic(root, facility string) string { return root + "/" + facility + "/" + AlertsLevel }

// FiguresLevel is the last level of <root>/<facility>/figures, where the
// collector keeps each facility's official month figures (retained) for
// its agent's page: like AlertsLevel, a topic but not a stream.
const FiguresLevel = "figures"

// FiguresTopic returns facility's figures topic under root.
func FiguresTopic(root, facility string) string { return root + "/" + facility + "/" + FiguresLevel }

// DataStreams lists the streams that carry readings, in topic order;
// Status carries the agent's state instead.
func DataStreams() []Stream { return []Stream{Energy, Solar, Waste} }

// ParseStream returns the stream named s, or false when s names none.
func ParseStream(s string) (Stream, bool) {
	switch Stream(s) {
	case Energy, Solar, Waste, Status:
		return Stream(s), true
	}
	return "", false
}

// Kind is the type of a field's value.
type Kind uint8

// Field kinds, matching the InfluxDB field types of SPEC's schema.
const (
	KindFloat Kind = iota + 1
	KindBool
	KindString
)

func (k Kind) String() string {
	switch k {
	case KindFloat:
		return "number"
	case KindBool:
		return "boolean"
	case KindString:
		return "string"
	}
	return "unknown"
}

// TagSpec describes one tag of a stream. A tag with no Values is a free-form
// name (a meter or inverter name) that must pass ValidName.
type TagSpec struct {
	Name     string
	Default  string // used when the tag is absent; "" means the tag is required
	Values   []string
	Optional bool
}

// FieldSpec describes one field of a stream with its allowed range.
type FieldSpec struct {
	Name         string
	Kind         Kind
	Required     bool
	Min, Max     float64 // for KindFloat; inclusive unless MinExclusive
	MinExclusive bool
	MaxLen       int // for KindString
}

// Schema is the tags and fields of one stream. Schemas are immutable.
type Schema struct {
	Stream Stream
	Tags   []TagSpec
	Fields []FieldSpec
}

// Allowed values of the enumerated tags, in SPEC's order.
var (
	EnergySources   = []string{"grid", "generator", "battery", "other"}
	WasteCategories = []string{"infectious", "sharps", "pathological", "pharmaceutical",
		"chemical", "radioactive", "general"}
	WasteTreatments = []string{"autoclave", "microwave", "incineration", "chemical",
		"encapsulation", "offsite", "landfill", "open_burning", "open_dumping", "other"}
)

// maxNameLen is the longest name ValidName admits.
const maxNameLen = 64

// ValidName reports whether s may be a facility id, meter or inverter name:
// 1 to 64 of [A-Za-z0-9_-]. Names become topic levels and InfluxDB tag
// values, so they stay short and plain; the collector's encoder relies on
// this to write them without escaping.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// maxPowerW bounds power readings: a hospital draws at most a few MW, so a
// larger figure is a unit mistake (W vs mW), not a reading.
const maxPowerW = 1e8

// maxCounter bounds cumulative counters well above any real meter (1e12 kWh)
// while keeping them exactly representable.
const maxCounter = 1e12

var schemas = map[Stream]*Schema{
	Energy: {
		Stream: Energy,
		Tags: []TagSpec{
			{Name: "meter", Default: "main"},
			{Name: "source", Values: EnergySources},
		},
		Fields: []FieldSpec{
			{Name: "kwh_total", Kind: KindFloat, Required: true, Min: 0, Max: maxCounter},
			{Name: "power_w", Kind: KindFloat, Min: -maxPowerW, Max: maxPowerW},
			{Name: "fuel_l_total", Kind: KindFloat, Min: 0, Max: maxCounter},
			{Name: "available", Kind: KindBool},
		},
	},
	Solar: {
		Stream: Solar,
		Tags:   []TagSpec{{Name: "inverter", Default: "main"}},
		Fields: []FieldSpec{
			{Name: "kwh_total", Kind: KindFloat, Required: true, Min: 0, Max: maxCounter},
			{Name: "power_w", Kind: KindFloat, Min: -maxPowerW, Max: maxPowerW},
			{Name: "battery_soc_pct", Kind: KindFloat, Min: 0, Max: 100},
		},
	},
	Waste: {
		Stream: Waste,
		Tags: []TagSpec{
			{Name: "category", Values: WasteCategories},
			{Name: "treatment", Values: WasteTreatments},
		},
		Fields: []FieldSpec{
			{Name: "mass_kg", Kind: KindFloat, Required: true, Min: 0, MinExclusive: true, Max: 10000},
			// A year: anything longer is a typo for minutes or a wrong unit.
			{Name: "stored_hours", Kind: KindFloat, Min: 0, Max: 8760},
			{Name: "id", Kind: KindString, MaxLen: 128},
		},
	},
}

// SchemaOf returns the schema of a stream that carries stored readings; the
// status stream has none.
func SchemaOf(s Stream) (*Schema, bool) {
	sc, ok := schemas[s]
	return sc, ok
}

func (s *Schema) tag(name string) (int, bool) {
	for i := range s.Tags {
		if s.Tags[i].Name == name {
			return i, true
		}
	}
	return 0, false
}

func (s *Schema) field(name string) (int, bool) {
	for i := range s.Fields {
		if s.Fields[i].Name == name {
			return i, true
		}
	}
	return 0, false
}

func (f *FieldSpec) inRange(v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return false
	}
	if f.MinExclusive && v <= f.Min || v < f.Min {
		return false
	}
	return v <= f.Max
}
