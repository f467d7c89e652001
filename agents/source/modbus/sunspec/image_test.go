package sunspec

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/devicesim"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/internal/modbustest"
)

// image is a register image: holding registers by address. An address not
// in the map answers "illegal data address", as a real device does.
type image map[uint16]uint16

// serve serves units with internal/modbustest, as holding registers (a
// SunSpec map is in holding registers only), and returns a connected
// reader and the server (for request counts).
func serve(t testing.TB, units map[uint8]image) (regmap.Reader, *modbustest.Server) {
	t.Helper()
	imgs := make(map[uint8]modbustest.Image, len(units))
	for id, img := range units {
		imgs[id] = modbustest.Image{Holding: modbustest.Registers(img)}
	}
	srv := modbustest.Start(t, imgs)
	return srv.Reader(t), srv
}

// memReader is an in-memory regmap.Reader over one image, for the fuzz
// test and for failure injection.
type memReader struct {
	img      image
	err      error // returned for every request when set
	requests int
}

func (m *memReader) ReadRegisters(_ context.Context, _ uint8, table regmap.Table, addr, qty uint16) ([]uint16, error) {
	m.requests++
	if m.err != nil {
		return nil, m.err
	}
	if table != regmap.Holding {
		return nil, modbus.ErrIllegalDataAddress
	}
	if qty == 0 || qty > 125 {
		return nil, fmt.Errorf("bad quantity %d", qty)
	}
	return modbustest.Registers(m.img).Read(addr, qty)
}

// A chain describes a SunSpec register map to build an image from.
type chain struct {
	base   uint16
	models []block
	noEnd  bool // leave out the end model
}

// block is one model: its ID and data registers (L = len(data)).
type block struct {
	id   uint16
	data []uint16
}

func (c chain) image() image {
	img := image{}
	a := int(c.base)
	put := func(ws ...uint16) {
		for _, w := range ws {
			img[uint16(a)] = w
			a++
		}
	}
	put(markerHi, markerLo)
	for _, m := range c.models {
		put(m.id, uint16(len(m.data)))
		put(m.data...)
	}
	if !c.noEnd {
		put(endID, 0)
	}
	return img
}

// data returns n registers of zeros with vals written at their offsets.
func data(n int, vals map[int][]uint16) []uint16 {
	d := make([]uint16, n)
	for off, ws := range vals {
		copy(d[off:], ws)
	}
	return d
}

// str is a SunSpec string point of the given words, as a device holds it.
var str = devicesim.StringWords

func i16(v int) []uint16    { return []uint16{uint16(v)} }
func u16(v uint16) []uint16 { return []uint16{v} }
func u32(v uint32) []uint16 { return []uint16{uint16(v >> 16), uint16(v)} }
func f32(v float32) []uint16 {
	b := math.Float32bits(v)
	return []uint16{uint16(b >> 16), uint16(b)}
}

const ni16 = 0x8000 // int16 and sunssf "not implemented"

func common(mn, md, vr, sn string) block {
	return block{id: 1, data: data(66, map[int][]uint16{
		0: str(mn, 16), 16: str(md, 16), 32: str("opt", 8), 40: str(vr, 8), 48: str(sn, 16), 64: u16(1),
	})}
}

func inv103(w, wSF int, wh uint32, whSF int) block {
	return block{id: 103, data: data(50, map[int][]uint16{12: i16(w), 13: i16(wSF), 22: u32(wh), 24: i16(whSF)})}
}

func inv113(w, wh float32) block {
	return block{id: 113, data: data(60, map[int][]uint16{20: f32(w), 30: f32(wh)})}
}

func meter203(w, wSF int, imp uint32, whSF int) block {
	return block{id: 203, data: data(105, map[int][]uint16{16: i16(w), 20: i16(wSF), 36: u32(999), 44: u32(imp), 52: i16(whSF)})}
}

func meter213(w, imp float32) block {
	return block{id: 213, data: data(124, map[int][]uint16{26: f32(w), 58: f32(999), 66: f32(imp)})}
}
