package sunspec

import (
	"context"
	"fmt"
	"io"
	"log"
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
)

// image is a register image: holding registers by address. An address not
// in the map answers "illegal data address", as a real device does.
type image map[uint16]uint16

// handler serves one image per unit id through simonvetter/modbus's
// server; an unknown unit gets "gateway target failed to respond".
type handler struct {
	mu       sync.Mutex
	units    map[uint8]image
	requests int
}

func (h *handler) HandleCoils(*modbus.CoilsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h *handler) HandleDiscreteInputs(*modbus.DiscreteInputsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h *handler) HandleInputRegisters(*modbus.InputRegistersRequest) ([]uint16, error) {
	return nil, modbus.ErrIllegalDataAddress
}

func (h *handler) HandleHoldingRegisters(req *modbus.HoldingRegistersRequest) ([]uint16, error) {
	if req.IsWrite {
		return nil, modbus.ErrIllegalFunction
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests++
	img, ok := h.units[req.UnitId]
	if !ok {
		return nil, modbus.ErrGWTargetFailedToRespond
	}
	return img.read(req.Addr, req.Quantity)
}

func (img image) read(addr, qty uint16) ([]uint16, error) {
	out := make([]uint16, qty)
	for i := range out {
		a := int(addr) + i
		v, ok := img[uint16(a)]
		if !ok || a > 0xFFFF {
			return nil, modbus.ErrIllegalDataAddress
		}
		out[i] = v
	}
	return out, nil
}

func (h *handler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests
}

// tcpReader is a minimal regmap.Reader over a simonvetter/modbus TCP
// client, standing in for the bus package in these tests.
type tcpReader struct {
	mu sync.Mutex
	c  *modbus.ModbusClient
}

func (t *tcpReader) ReadRegisters(_ context.Context, unit uint8, table regmap.Table, addr, qty uint16) ([]uint16, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.c.SetUnitId(unit); err != nil {
		return nil, err
	}
	rt := modbus.HOLDING_REGISTER
	if table == regmap.Input {
		rt = modbus.INPUT_REGISTER
	}
	return t.c.ReadRegisters(addr, qty, rt)
}

// serve starts a Modbus TCP server on a free loopback port serving units,
// and returns a connected reader and the handler (for request counts).
func serve(t testing.TB, units map[uint8]image) (*tcpReader, *handler) {
	t.Helper()
	h := &handler{units: units}
	quiet := log.New(io.Discard, "", 0)
	var srv *modbus.ModbusServer
	var url string
	var err error
	for range 5 {
		url = "tcp://" + freeAddr(t)
		srv, err = modbus.NewServer(&modbus.ServerConfiguration{URL: url, Timeout: 30 * time.Second, Logger: quiet}, h)
		if err == nil {
			if err = srv.Start(); err == nil {
				break
			}
		}
	}
	if err != nil {
		t.Fatalf("start modbus server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Stop() })
	c, err := modbus.NewClient(&modbus.ClientConfiguration{URL: url, Timeout: 2 * time.Second, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Open(); err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &tcpReader{c: c}, h
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
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
	return m.img.read(addr, qty)
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

func str(s string, words int) []uint16 {
	b := make([]byte, 2*words)
	copy(b, s)
	w := make([]uint16, words)
	for i := range w {
		w[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return w
}

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
