// Package regmap describes where a device keeps a value in its Modbus
// registers and how to turn the words read into a number: the register map
// of a config file or of a preset. It reads nothing itself; Read asks a
// Reader (a bus) for the words.
package regmap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Table is the Modbus register table a value lives in.
type Table uint8

// The register tables GreenPulse reads (function codes 3 and 4).
const (
	Holding Table = iota + 1
	Input
)

// String returns the table's config name, "holding" or "input".
func (t Table) String() string {
	switch t {
	case Holding:
		return "holding"
	case Input:
		return "input"
	}
	return fmt.Sprintf("table(%d)", uint8(t))
}

// ParseTable parses a table's config name, "holding" or "input", in any case.
func ParseTable(s string) (Table, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "holding":
		return Holding, nil
	case "input":
		return Input, nil
	}
	return 0, fmt.Errorf("%q is not one of holding, input", s)
}

// Type is how a value is encoded in its registers.
type Type string

// The value types of a register map.
const (
	Int16   Type = "int16"
	Uint16  Type = "uint16"
	Int32   Type = "int32"
	Uint32  Type = "uint32"
	Float32 Type = "float32"
	Float64 Type = "float64"
)

var types = []Type{Int16, Uint16, Int32, Uint32, Float32, Float64}

// ParseType parses a value type ("int16", "FLOAT32", …) in any case.
func ParseType(s string) (Type, error) {
	for _, t := range types {
		if strings.EqualFold(strings.TrimSpace(s), string(t)) {
			return t, nil
		}
	}
	return "", fmt.Errorf("%q is not one of int16, uint16, int32, uint32, float32, float64", s)
}

// Words returns how many 16-bit registers a value of type t takes, or 0
// for an unknown type.
func (t Type) Words() int {
	switch t {
	case Int16, Uint16:
		return 1
	case Int32, Uint32, Float32:
		return 2
	case Float64:
		return 4
	}
	return 0
}

// Order is the byte order of a value's words as Telegraf's modbus input
// spells it: ABCD is big-endian with the high word first, CDAB swaps the
// words, BADC swaps the bytes of each word, DCBA is little-endian. For a
// 64-bit value the same two swaps apply (CDAB is GHEFCDAB). For a 16-bit
// value only the byte swap matters: BADC and DCBA swap its two bytes.
// The empty Order means ABCD.
type Order string

// The byte orders.
const (
	ABCD Order = "ABCD"
	CDAB Order = "CDAB"
	BADC Order = "BADC"
	DCBA Order = "DCBA"
)

// ParseOrder parses a byte order ("ABCD", "cdab", …) in any case.
func ParseOrder(s string) (Order, error) {
	for _, o := range []Order{ABCD, CDAB, BADC, DCBA} {
		if strings.EqualFold(strings.TrimSpace(s), string(o)) {
			return o, nil
		}
	}
	return "", fmt.Errorf("%q is not one of ABCD, CDAB, BADC, DCBA", s)
}

func (o Order) swaps() (words, bytes bool, ok bool) {
	switch o {
	case ABCD, "":
		return false, false, true
	case CDAB:
		return true, false, true
	case BADC:
		return false, true, true
	case DCBA:
		return true, true, true
	}
	return false, false, false
}

// Register is one value of a device: the stream field it feeds and where
// and how it is stored. Address is the 0-based address on the wire (a
// manual's register 30001 or 40001 is address 0).
type Register struct {
	Field   string
	Table   Table
	Address uint16
	Type    Type
	Order   Order
	Scale   float64 // multiplies the raw value; 0 means 1
	Offset  float64 // added after Scale
}

// Words returns how many 16-bit registers the value takes (0 for an
// unknown type).
func (r Register) Words() int { return r.Type.Words() }

// Validate reports the first thing wrong with r; the error names the
// config key (field, table, type, order, address, scale, offset).
func (r Register) Validate() error {
	if strings.TrimSpace(r.Field) == "" {
		return errors.New("field: must not be empty")
	}
	wrap := func(err error) error { return fmt.Errorf("register %q: %w", r.Field, err) }
	if r.Table != Holding && r.Table != Input {
		return wrap(fmt.Errorf("table: %s is not one of holding, input", r.Table))
	}
	if r.Words() == 0 {
		return wrap(fmt.Errorf("type: %q is not one of int16, uint16, int32, uint32, float32, float64", string(r.Type)))
	}
	if _, _, ok := r.Order.swaps(); !ok {
		return wrap(fmt.Errorf("order: %q is not one of ABCD, CDAB, BADC, DCBA", string(r.Order)))
	}
	if int(r.Address)+r.Words() > 0x10000 {
		return wrap(fmt.Errorf("address: %d: a %s there runs past register 65535", r.Address, r.Type))
	}
	if math.IsNaN(r.Scale) || math.IsInf(r.Scale, 0) {
		return wrap(fmt.Errorf("scale: %v is not a finite number", r.Scale))
	}
	if math.IsNaN(r.Offset) || math.IsInf(r.Offset, 0) {
		return wrap(fmt.Errorf("offset: %v is not a finite number", r.Offset))
	}
	return nil
}

// bigEndian puts the value's words into big-endian (ABCD) byte order.
func (r Register) bigEndian(words []uint16) []byte {
	wordSwap, byteSwap, _ := r.Order.swaps()
	n := len(words)
	b := make([]byte, 2*n)
	for i, w := range words {
		if byteSwap {
			w = w<<8 | w>>8
		}
		j := i
		if wordSwap {
			j = n - 1 - i
		}
		binary.BigEndian.PutUint16(b[2*j:], w)
	}
	return b
}

// raw decodes the words into the value as stored, before scale and offset;
// ok is false for a "not implemented" sentinel.
func (r Register) raw(words []uint16) (v float64, ok bool) {
	n := r.Words()
	if n == 0 || len(words) < n {
		return 0, false
	}
	b := r.bigEndian(words[:n])
	switch r.Type {
	case Int16:
		x := int16(binary.BigEndian.Uint16(b))
		return float64(x), x != math.MinInt16
	case Uint16:
		x := binary.BigEndian.Uint16(b)
		return float64(x), x != math.MaxUint16
	case Int32:
		x := int32(binary.BigEndian.Uint32(b))
		return float64(x), x != math.MinInt32
	case Uint32:
		x := binary.BigEndian.Uint32(b)
		return float64(x), x != math.MaxUint32
	case Float32:
		x := float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case Float64:
		x := math.Float64frombits(binary.BigEndian.Uint64(b))
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	return 0, false
}

// Decode turns the words read from r.Address on into the value, with
// Scale and Offset applied. ok is false when the raw value is the type's
// "not implemented" sentinel (int16 0x8000, uint16 0xFFFF, int32
// 0x80000000, uint32 0xFFFFFFFF, a NaN or infinite float), when words is
// shorter than r.Words(), or when the type is unknown; such a value must
// be skipped, never stored as 0. Extra words are ignored.
func (r Register) Decode(words []uint16) (v float64, ok bool) {
	x, ok := r.raw(words)
	if !ok {
		return 0, false
	}
	scale := r.Scale
	if scale == 0 {
		scale = 1
	}
	v = x*scale + r.Offset
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// Encode is the inverse of Decode, for simulators and tests: it turns v
// into the r.Words() words a device would hold. Integer types round to the
// nearest integer and saturate just inside the type's range, so a finite v
// never encodes as the sentinel; a NaN v encodes as the type's sentinel.
func (r Register) Encode(v float64) []uint16 {
	n := r.Words()
	if n == 0 {
		return nil
	}
	scale := r.Scale
	if scale == 0 {
		scale = 1
	}
	x := (v - r.Offset) / scale
	b := make([]byte, 2*n)
	nan := math.IsNaN(x)
	switch r.Type {
	case Int16:
		w := uint16(0x8000)
		if !nan {
			w = uint16(int16(clamp(x, math.MinInt16+1, math.MaxInt16)))
		}
		binary.BigEndian.PutUint16(b, w)
	case Uint16:
		w := uint16(math.MaxUint16)
		if !nan {
			w = uint16(clamp(x, 0, math.MaxUint16-1))
		}
		binary.BigEndian.PutUint16(b, w)
	case Int32:
		w := uint32(0x80000000)
		if !nan {
			w = uint32(int32(clamp(x, math.MinInt32+1, math.MaxInt32)))
		}
		binary.BigEndian.PutUint32(b, w)
	case Uint32:
		w := uint32(math.MaxUint32)
		if !nan {
			w = uint32(clamp(x, 0, math.MaxUint32-1))
		}
		binary.BigEndian.PutUint32(b, w)
	case Float32:
		binary.BigEndian.PutUint32(b, math.Float32bits(float32(x)))
	case Float64:
		binary.BigEndian.PutUint64(b, math.Float64bits(x))
	}
	// Both swaps are their own inverse, so undoing the order is applying it.
	words := make([]uint16, n)
	for i := range words {
		words[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return bytesToWords(r.bigEndian(words))
}

func bytesToWords(b []byte) []uint16 {
	w := make([]uint16, len(b)/2)
	for i := range w {
		w[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return w
}

func clamp(x, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, math.Round(x)))
}
