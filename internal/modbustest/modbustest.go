// Package modbustest serves register images over Modbus TCP for the tests
// of the packages that read devices (preset, sunspec): a server built on
// github.com/simonvetter/modbus's on a free loopback port, read through
// the agent's own bus (Server.Reader), so that those tests meet the same
// error kinds and exception handling (a map with holes read register by
// register) as the agent.
//
// An address that is not in a unit's image answers exception 2, illegal
// data address, as a real device does, also when a read only partly covers
// it; a unit that is not in the image answers exception 0x0B, gateway
// target device failed to respond; coils, discrete inputs and writes are
// refused with exception 1, illegal function. For a peer that nobody here
// wrote, see package pymodbustest; for a facility's simulated devices,
// package devicesim.
package modbustest

import (
	"fmt"
	"io"
	"log"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// Registers are one register table of a unit: words by 0-based wire
// address.
type Registers map[uint16]uint16

// Read returns qty words from addr, or modbus.ErrIllegalDataAddress if any
// of them is not in r (or lies beyond address 0xFFFF).
func (r Registers) Read(addr, qty uint16) ([]uint16, error) {
	out := make([]uint16, qty)
	for i := range out {
		a := int(addr) + i
		v, ok := r[uint16(a)]
		if !ok || a > 0xFFFF {
			return nil, modbus.ErrIllegalDataAddress
		}
		out[i] = v
	}
	return out, nil
}

// Image is what one unit serves.
type Image struct {
	Holding, Input Registers
}

// Server is a Modbus TCP server of register images by unit id. Its methods
// are safe for concurrent use.
type Server struct {
	url string

	mu       sync.Mutex
	units    map[uint8]Image
	requests int
}

// quiet discards the library's logs.
func quiet() *log.Logger { return log.New(io.Discard, "", 0) }

// Start serves a copy of units on a free loopback port until the test ends.
func Start(t testing.TB, units map[uint8]Image) *Server {
	t.Helper()
	s := &Server{units: make(map[uint8]Image, len(units))}
	for id, img := range units {
		s.units[id] = Image{Holding: maps.Clone(img.Holding), Input: maps.Clone(img.Input)}
	}
	// The port is found by listening and closing, so another process may
	// take it in between: a few tries make that harmless.
	var srv *modbus.ModbusServer
	var err error
	for range 5 {
		s.url = "tcp://" + freeAddr(t)
		srv, err = modbus.NewServer(&modbus.ServerConfiguration{URL: s.url, Timeout: 30 * time.Second, Logger: quiet()}, handler{s})
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
	return s
}

func freeAddr(t testing.TB) string {
	t.Helper()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// URL returns the server's address, tcp://127.0.0.1:<port>.
func (s *Server) URL() string { return s.url }

// Set changes registers of unit's table from addr on while the server runs;
// a unit or table not served yet is added.
func (s *Server) Set(unit uint8, table regmap.Table, addr uint16, words ...uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	img := s.units[unit]
	m := &img.Holding
	if table == regmap.Input {
		m = &img.Input
	}
	if *m == nil {
		*m = Registers{}
	}
	for i, w := range words {
		(*m)[addr+uint16(i)] = w
	}
	s.units[unit] = img
}

// Requests returns how many register reads reached the server, answered
// or refused.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Reader returns the agent's own bus connected to the server, closed when
// the test ends, so that tests read through the retries, error kinds and
// exception handling the agent has. Its requests time out after 2 s.
func (s *Server) Reader(t testing.TB) *bus.Bus {
	t.Helper()
	b, err := bus.Open(bus.Config{URL: s.url, Timeout: 2 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// handler answers the library server's requests from the images.
type handler struct{ s *Server }

func (h handler) HandleCoils(*modbus.CoilsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h handler) HandleDiscreteInputs(*modbus.DiscreteInputsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h handler) HandleInputRegisters(req *modbus.InputRegistersRequest) ([]uint16, error) {
	return h.read(req.UnitId, regmap.Input, req.Addr, req.Quantity)
}

func (h handler) HandleHoldingRegisters(req *modbus.HoldingRegistersRequest) ([]uint16, error) {
	if req.IsWrite {
		return nil, modbus.ErrIllegalFunction
	}
	return h.read(req.UnitId, regmap.Holding, req.Addr, req.Quantity)
}

func (h handler) read(unit uint8, table regmap.Table, addr, qty uint16) ([]uint16, error) {
	h.s.mu.Lock()
	defer h.s.mu.Unlock()
	h.s.requests++
	img, ok := h.s.units[unit]
	if !ok {
		return nil, modbus.ErrGWTargetFailedToRespond
	}
	if table == regmap.Input {
		return img.Input.Read(addr, qty)
	}
	return img.Holding.Read(addr, qty)
}
