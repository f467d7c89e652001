package regmap

import (
	"math"
	"strings"
	"testing"
)

func TestDecode(t *testing.T) {
	f32 := float64(float32(123.456))
	tests := []struct {
		name   string
		reg    Register
		words  []uint16
		want   float64
		wantOK bool
	}{
		{"float32 ABCD", Register{Type: Float32, Order: ABCD}, []uint16{0x42F6, 0xE979}, f32, true},
		{"float32 CDAB", Register{Type: Float32, Order: CDAB}, []uint16{0xE979, 0x42F6}, f32, true},
		{"float32 BADC", Register{Type: Float32, Order: BADC}, []uint16{0xF642, 0x79E9}, f32, true},
		{"float32 DCBA", Register{Type: Float32, Order: DCBA}, []uint16{0x79E9, 0xF642}, f32, true},
		{"float32 empty order is ABCD", Register{Type: Float32}, []uint16{0x42F6, 0xE979}, f32, true},
		{"float64 ABCD", Register{Type: Float64, Order: ABCD}, []uint16{0x405E, 0xDD2F, 0x1A9F, 0xBE77}, 123.456, true},
		{"float64 CDAB", Register{Type: Float64, Order: CDAB}, []uint16{0xBE77, 0x1A9F, 0xDD2F, 0x405E}, 123.456, true},
		{"float64 BADC", Register{Type: Float64, Order: BADC}, []uint16{0x5E40, 0x2FDD, 0x9F1A, 0x77BE}, 123.456, true},
		{"float64 DCBA", Register{Type: Float64, Order: DCBA}, []uint16{0x77BE, 0x9F1A, 0x2FDD, 0x5E40}, 123.456, true},
		{"int32 negative ABCD", Register{Type: Int32, Order: ABCD}, []uint16{0xFFFE, 0x1DC0}, -123456, true},
		{"int32 negative CDAB", Register{Type: Int32, Order: CDAB}, []uint16{0x1DC0, 0xFFFE}, -123456, true},
		{"int32 negative BADC", Register{Type: Int32, Order: BADC}, []uint16{0xFEFF, 0xC01D}, -123456, true},
		{"int32 negative DCBA", Register{Type: Int32, Order: DCBA}, []uint16{0xC01D, 0xFEFF}, -123456, true},
		{"uint32 CDAB", Register{Type: Uint32, Order: CDAB}, []uint16{0x0002, 0x0001}, 0x00010002, true},
		{"uint16 ABCD", Register{Type: Uint16, Order: ABCD}, []uint16{0x1234}, 0x1234, true},
		{"uint16 CDAB ignores word swap", Register{Type: Uint16, Order: CDAB}, []uint16{0x1234}, 0x1234, true},
		{"uint16 BADC swaps bytes", Register{Type: Uint16, Order: BADC}, []uint16{0x3412}, 0x1234, true},
		{"uint16 DCBA swaps bytes", Register{Type: Uint16, Order: DCBA}, []uint16{0x3412}, 0x1234, true},
		{"int16 negative", Register{Type: Int16}, []uint16{0xFFFE}, -2, true},
		{"int16 negative DCBA", Register{Type: Int16, Order: DCBA}, []uint16{0xFEFF}, -2, true},
		{"scale", Register{Type: Uint16, Scale: 0.1}, []uint16{2305}, 230.5, true},
		{"scale and offset", Register{Type: Int16, Scale: 0.5, Offset: -40}, []uint16{100}, 10, true},
		{"extra words ignored", Register{Type: Uint16}, []uint16{7, 8}, 7, true},
		{"int16 sentinel", Register{Type: Int16}, []uint16{0x8000}, 0, false},
		{"int16 sentinel before scaling", Register{Type: Int16, Scale: 0.01, Offset: 5}, []uint16{0x8000}, 0, false},
		{"int16 sentinel after byte swap", Register{Type: Int16, Order: BADC}, []uint16{0x0080}, 0, false},
		{"uint16 sentinel", Register{Type: Uint16}, []uint16{0xFFFF}, 0, false},
		{"int32 sentinel", Register{Type: Int32}, []uint16{0x8000, 0x0000}, 0, false},
		{"int32 sentinel CDAB", Register{Type: Int32, Order: CDAB}, []uint16{0x0000, 0x8000}, 0, false},
		{"uint32 sentinel", Register{Type: Uint32}, []uint16{0xFFFF, 0xFFFF}, 0, false},
		{"float32 NaN", Register{Type: Float32}, []uint16{0x7FC0, 0x0000}, 0, false},
		{"float32 +Inf", Register{Type: Float32}, []uint16{0x7F80, 0x0000}, 0, false},
		{"float32 -Inf", Register{Type: Float32}, []uint16{0xFF80, 0x0000}, 0, false},
		{"float64 NaN", Register{Type: Float64}, []uint16{0x7FF8, 0, 0, 0}, 0, false},
		{"too few words", Register{Type: Float32}, []uint16{0x42F6}, 0, false},
		{"unknown type", Register{Type: "int8"}, []uint16{1}, 0, false},
		{"uint16 0x7FFF is a value", Register{Type: Uint16}, []uint16{0x7FFF}, 0x7FFF, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.reg.Decode(tt.words)
			if ok != tt.wantOK || (ok && math.Abs(got-tt.want) > 1e-9*math.Max(1, math.Abs(tt.want))) {
				t.Errorf("Decode(%04x) = %v, %v; want %v, %v", tt.words, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, typ := range types {
		for _, order := range []Order{ABCD, CDAB, BADC, DCBA} {
			reg := Register{Field: "x", Table: Holding, Type: typ, Order: order, Scale: 0.5, Offset: 10}
			words := reg.Encode(1234.5)
			if len(words) != reg.Words() {
				t.Fatalf("%s %s: Encode gave %d words, want %d", typ, order, len(words), reg.Words())
			}
			if v, ok := reg.Decode(words); !ok || v != 1234.5 {
				t.Errorf("%s %s: Decode(Encode(1234.5)) = %v, %v", typ, order, v, ok)
			}
			if _, ok := reg.Decode(reg.Encode(math.NaN())); ok {
				t.Errorf("%s %s: Encode(NaN) is not a sentinel", typ, order)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	ok := Register{Field: "power_w", Table: Input, Address: 0x34, Type: Float32, Order: ABCD}
	tests := []struct {
		name    string
		edit    func(*Register)
		wantErr string // substring; "" means valid
	}{
		{"valid", func(*Register) {}, ""},
		{"empty order is ABCD", func(r *Register) { r.Order = "" }, ""},
		{"no field", func(r *Register) { r.Field = " " }, "field: must not be empty"},
		{"no table", func(r *Register) { r.Table = 0 }, `register "power_w": table: table(0) is not one of holding, input`},
		{"bad type", func(r *Register) { r.Type = "float33" }, `register "power_w": type: "float33" is not one of int16, uint16, int32, uint32, float32, float64`},
		{"bad order", func(r *Register) { r.Order = "ABDC" }, `order: "ABDC" is not one of ABCD, CDAB, BADC, DCBA`},
		{"lowercase order is not parsed", func(r *Register) { r.Order = "abcd" }, `order: "abcd"`},
		{"past the end", func(r *Register) { r.Address = 0xFFFF }, "address: 65535"},
		{"last word", func(r *Register) { r.Address = 0xFFFE }, ""},
		{"NaN scale", func(r *Register) { r.Scale = math.NaN() }, "scale: NaN"},
		{"Inf offset", func(r *Register) { r.Offset = math.Inf(1) }, "offset: +Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.edit(&r)
			err := r.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestParse(t *testing.T) {
	if got, err := ParseTable(" Holding"); err != nil || got != Holding {
		t.Errorf("ParseTable(Holding) = %v, %v", got, err)
	}
	if got, err := ParseTable("INPUT"); err != nil || got != Input {
		t.Errorf("ParseTable(INPUT) = %v, %v", got, err)
	}
	if _, err := ParseTable("coil"); err == nil || err.Error() != `"coil" is not one of holding, input` {
		t.Errorf("ParseTable(coil) error = %v", err)
	}
	for _, typ := range types {
		if got, err := ParseType(strings.ToUpper(string(typ))); err != nil || got != typ {
			t.Errorf("ParseType(%s) = %v, %v", strings.ToUpper(string(typ)), got, err)
		}
	}
	if _, err := ParseType("float33"); err == nil || !strings.Contains(err.Error(), `"float33" is not one of int16,`) {
		t.Errorf("ParseType(float33) error = %v", err)
	}
	for _, o := range []Order{ABCD, CDAB, BADC, DCBA} {
		if got, err := ParseOrder(strings.ToLower(string(o))); err != nil || got != o {
			t.Errorf("ParseOrder(%s) = %v, %v", strings.ToLower(string(o)), got, err)
		}
	}
	if _, err := ParseOrder(""); err == nil {
		t.Error("ParseOrder(\"\") = nil error")
	}
	if Holding.String() != "holding" || Input.String() != "input" {
		t.Errorf("Table.String() = %s, %s", Holding, Input)
	}
}

// FuzzDecode checks that Decode and Validate never panic on any register
// map a config file could hold, and that raw words round-trip through
// Decode and Encode.
func FuzzDecode(f *testing.F) {
	f.Add("float32", "ABCD", 1.0, 0.0, uint16(0), []byte{0x42, 0xF6, 0xE9, 0x79})
	f.Add("int16", "dcba", 0.1, -40.0, uint16(65535), []byte{0x80, 0x00})
	f.Add("float64", "CDAB", 0.0, 0.0, uint16(65532), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add("uint32", "BADC", 1e300, 1e308, uint16(7), []byte{0xFF})
	f.Fuzz(func(t *testing.T, typ, order string, scale, offset float64, addr uint16, data []byte) {
		words := make([]uint16, len(data)/2)
		for i := range words {
			words[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
		}
		reg := Register{Field: "f", Table: Input, Address: addr, Type: Type(typ), Order: Order(order), Scale: scale, Offset: offset}
		_ = reg.Validate()
		if v, ok := reg.Decode(words); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("Decode(%04x) = %v, true", words, v)
		}
		if pt, err := ParseType(typ); err == nil {
			reg.Type = pt
		}
		if po, err := ParseOrder(order); err == nil {
			reg.Order = po
		}
		reg.Scale, reg.Offset = 1, 0
		n := reg.Words()
		if n == 0 || len(words) < n {
			return
		}
		if _, _, ok := reg.Order.swaps(); !ok {
			return
		}
		v, ok := reg.Decode(words)
		if !ok {
			return
		}
		got := reg.Encode(v)
		if v == 0 {
			// A float's negative zero decodes as 0 (the offset is added)
			// and encodes back as positive zero: the same reading.
			if back, ok := reg.Decode(got); !ok || back != 0 {
				t.Fatalf("%s %s: zero from %04x encodes as %04x, which decodes to %v", reg.Type, reg.Order, words[:n], got, back)
			}
			return
		}
		for i := range got {
			if got[i] != words[i] {
				t.Fatalf("%s %s: Encode(Decode(%04x)) = %04x (value %v)", reg.Type, reg.Order, words[:n], got, v)
			}
		}
	})
}
