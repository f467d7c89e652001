package preset

import "math"

// The presets' tests build register images with these and serve them
// with internal/modbustest.

// zeros returns a register map holding 0 from addr for n registers.
func zeros(addr uint16, n int) map[uint16]uint16 {
	m := map[uint16]uint16{}
	for i := range n {
		m[addr+uint16(i)] = 0
	}
	return m
}

func with(m map[uint16]uint16, addr uint16, ws ...uint16) map[uint16]uint16 {
	for i, w := range ws {
		m[addr+uint16(i)] = w
	}
	return m
}

func f32(v float64) []uint16 {
	b := math.Float32bits(float32(v))
	return []uint16{uint16(b >> 16), uint16(b)}
}

func u32(v uint32) []uint16 { return []uint16{uint16(v >> 16), uint16(v)} }

// asF32 is v as an SDM stores it.
func asF32(v float64) float64 { return float64(float32(v)) }
