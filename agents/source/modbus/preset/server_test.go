package preset

import (
	"context"
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

// image is a unit's register image; an address not in a map answers
// "illegal data address", as a real device does.
type image struct {
	holding, input map[uint16]uint16
}

// handler serves one image per unit id through simonvetter/modbus's
// server; an unknown unit gets "gateway target failed to respond".
type handler struct {
	mu    sync.Mutex
	units map[uint8]*image
}

func (h *handler) HandleCoils(*modbus.CoilsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h *handler) HandleDiscreteInputs(*modbus.DiscreteInputsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h *handler) HandleInputRegisters(req *modbus.InputRegistersRequest) ([]uint16, error) {
	return h.read(req.UnitId, false, req.Addr, req.Quantity)
}

func (h *handler) HandleHoldingRegisters(req *modbus.HoldingRegistersRequest) ([]uint16, error) {
	if req.IsWrite {
		return nil, modbus.ErrIllegalFunction
	}
	return h.read(req.UnitId, true, req.Addr, req.Quantity)
}

func (h *handler) read(unit uint8, holding bool, addr, qty uint16) ([]uint16, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	img, ok := h.units[unit]
	if !ok {
		return nil, modbus.ErrGWTargetFailedToRespond
	}
	m := img.input
	if holding {
		m = img.holding
	}
	out := make([]uint16, qty)
	for i := range out {
		v, ok := m[addr+uint16(i)]
		if !ok {
			return nil, modbus.ErrIllegalDataAddress
		}
		out[i] = v
	}
	return out, nil
}

// set changes registers of a unit while the server runs.
func (h *handler) set(unit uint8, holding bool, addr uint16, ws ...uint16) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.units[unit].input
	if holding {
		m = h.units[unit].holding
	}
	for i, w := range ws {
		m[addr+uint16(i)] = w
	}
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

// serve starts a Modbus TCP server on a free loopback port and returns a
// connected reader and the handler.
func serve(t testing.TB, units map[uint8]*image) (*tcpReader, *handler) {
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
