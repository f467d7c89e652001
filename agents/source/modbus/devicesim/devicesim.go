// Package devicesim is a Modbus TCP server that plays one facility's
// devices, for tests and the demo: a SunSpec inverter, an SDM630-like grid
// meter and a Deep Sea generator controller whose values come from the
// facility's simulator model
// (package simulate) at the moment they are asked for, so that an agent
// reading them through Modbus sees the same counters as the in-process
// simulator would give.
//
//	unit 1  SunSpec inverter, holding registers: "SunS" at 40000, common model 1,
//	        inverter model 103 (W, WH with scale factors), storage model 124 with a
//	        battery, end marker 0xFFFF; only when the facility has PV
//	unit 2  SDM630-like grid meter, input registers (float32, high word first):
//	        phase voltages 0x0000/2/4 (230 V while the mains are live, else 0),
//	        total power 0x0034, import kWh 0x0048
//	unit 3  Deep Sea GenComm controller of the generator, when the facility
//	        has one: holding registers of pages 4–7 (1024–2047), with the
//	        registers the gencomm preset reads (fuel level %, total watts,
//	        engine run time s, positive kWh × 0.1) encoded from the preset's
//	        own register list; the rest read 0xFFFF, "not implemented"
//
// The controller's values: kWh and W are the model generator's; the run
// time is its kWh divided by its typical load (GeneratorLoadW), since the
// model keeps no run-hour counter; the fuel level is a tank of
// Options.TankLitres that falls as the model's fuel_l_total grows and is
// refilled to full whenever it would fall below 20 % (FuelLevel).
//
// The requests are decoded and answered by github.com/simonvetter/modbus's
// server, which answers every request it is handed, if only with an
// exception. A unit on RS-485 that is dead or absent answers nothing, so
// a small relay in front of that server reads each request's MBAP header
// and drops the requests for units that are dead or not served: the
// client times out, as it does on a real bus behind a transparent gateway,
// and the other units on the same connection go on answering. With
// Options.Gateway set, such requests are passed on and answered with
// exception 0x0B (gateway target device failed to respond) instead, as a
// TCP-to-RS-485 gateway with its own timeout does.
//
// Test hooks: SetDead silences a unit; GoDark stops listening and drops
// every connection, as an inverter that switches its network off at
// night, and Restart listens again on the same address; Override fixes
// registers to given words (a counter that goes backwards, a sentinel).
package devicesim

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Options configure a Server.
type Options struct {
	// Seed is the simulator's seed: the agent's sources.simulate.seed, so
	// that both tell the same history.
	Seed int64
	// Now is the clock every request reads; nil means time.Now.
	Now func() time.Time
	// Log receives what the server does; nil discards it.
	Log *slog.Logger
	// Version goes into the common model's Vr; "" means "devicesim".
	Version string
	// Gateway makes dead and unknown units answer exception 0x0B at once
	// instead of staying silent.
	Gateway bool
	// TankLitres is the generator's fuel tank in litres; 0 means
	// DefaultTankLitres. A negative or non-finite value is a caller bug
	// and New panics.
	TankLitres float64
}

// Unit describes one device the server plays.
type Unit struct {
	ID     uint8
	Kind   string       // "sunspec inverter", "sdm630 grid meter", "gencomm generator controller"
	Table  regmap.Table // the table its values are in
	Models []uint16     // SunSpec models in chain order; nil for a meter
}

// Server serves one facility's simulated devices over Modbus TCP. Its
// methods are safe for concurrent use.
type Server struct {
	sim     *simulate.Sim
	id      string
	now     func() time.Time
	log     *slog.Logger
	version string
	gateway bool
	units   []Unit
	scales  scales
	battery bool
	tankL   float64
	genW    float64 // the generator's typical load, W
	gencomm gencommPages

	backend     *modbus.ModbusServer
	backendAddr string

	mu        sync.Mutex
	addr      string // the front address, fixed by the first Start
	ln        net.Listener
	conns     map[net.Conn]struct{}
	dead      map[uint8]bool
	overrides map[regKey]uint16
	closed    bool
	wg        sync.WaitGroup
}

type regKey struct {
	unit  uint8
	table regmap.Table
	addr  uint16
}

// New returns a server for facility f that is not listening yet.
func New(f registry.Facility, opt Options) *Server {
	if opt.TankLitres < 0 || math.IsNaN(opt.TankLitres) || math.IsInf(opt.TankLitres, 0) {
		panic(fmt.Sprintf("devicesim: tank litres %v is not a number ≥ 0", opt.TankLitres))
	}
	s := &Server{
		tankL:     opt.TankLitres,
		sim:       simulate.New(f, opt.Seed),
		id:        f.ID,
		now:       opt.Now,
		log:       opt.Log,
		version:   opt.Version,
		gateway:   opt.Gateway,
		scales:    newScales(f.PVkWp),
		conns:     make(map[net.Conn]struct{}),
		dead:      make(map[uint8]bool),
		overrides: make(map[regKey]uint16),
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.version == "" {
		s.version = "devicesim"
	}
	if s.tankL == 0 {
		s.tankL = DefaultTankLitres
	}
	if f.PVkWp > 0 {
		u := Unit{ID: UnitInverter, Kind: "sunspec inverter", Table: regmap.Holding, Models: []uint16{1, 103}}
		if s.sim.HasBattery() {
			s.battery = true
			u.Models = append(u.Models, 124)
		}
		s.units = append(s.units, u)
	}
	s.units = append(s.units, Unit{ID: UnitGridMeter, Kind: "sdm630 grid meter", Table: regmap.Input})
	if s.sim.HasGenerator() {
		s.units = append(s.units, Unit{ID: UnitGenerator, Kind: "gencomm generator controller", Table: regmap.Holding})
		s.genW = typicalLoad(s.sim)
		s.gencomm = newGencommPages()
	}
	return s
}

// typicalLoad returns the mean power of the model's generator while it
// runs, sampled every 15 minutes over one week of each season of 2025 (a
// fixed span, so that run hours derived from it never go backwards); 1 kW
// if it never ran then.
func typicalLoad(sim *simulate.Sim) float64 {
	var sum float64
	var n int
	for _, month := range []time.Month{time.January, time.April, time.July, time.October} {
		from := time.Date(2025, month, 1, 0, 0, 0, 0, time.UTC)
		for i := range 7 * 96 {
			g := newSnapshot(from, sim.Samples(from.Add(time.Duration(i)*15*time.Minute))).gen
			if g.live && g.powerW > 0 {
				sum += g.powerW
				n++
			}
		}
	}
	if n == 0 {
		return 1000
	}
	return sum / float64(n)
}

// GeneratorLoadW returns the generator's typical load in W, from which the
// simulated controller derives its engine run time (kWh / load); 0 for a
// facility without a generator.
func (s *Server) GeneratorLoadW() float64 { return s.genW }

// TankLitres returns the size of the simulated generator's fuel tank.
func (s *Server) TankLitres() float64 { return s.tankL }

// generator returns what the controller measures given the model's
// generator readings.
func (s *Server) generator(m meterValues) generatorValues {
	return generatorValues{
		meterValues: m,
		engineHours: m.kwh * 1000 / s.genW,
		levelPct:    FuelLevel(m.fuelL, s.tankL),
	}
}

// Units returns the devices the server plays, by unit id.
func (s *Server) Units() []Unit { return slices.Clone(s.units) }

// Sim returns the facility model the values come from.
func (s *Server) Sim() *simulate.Sim { return s.sim }

// Start starts the Modbus server and listens on addr (host:port; port 0
// picks a free one, see Addr). Start once; after GoDark use Restart.
func (s *Server) Start(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.backend != nil {
		return fmt.Errorf("devicesim %s: already started", s.id)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("devicesim %s: listen %s: %w", s.id, addr, err)
	}
	if err := s.startBackend(); err != nil {
		ln.Close()
		return err
	}
	s.addr = ln.Addr().String()
	s.serve(ln)
	s.log.Info("modbus device simulator listening", "facility", s.id, "addr", s.addr)
	return nil
}

// startBackend starts the library's server on a free loopback port that
// only the relay dials. The port is found by listening and closing, so
// another process may take it in between: a few tries make that harmless.
func (s *Server) startBackend() error {
	var errs []error
	for range 5 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fmt.Errorf("devicesim %s: find a port for the modbus server: %w", s.id, err)
		}
		addr := ln.Addr().String()
		ln.Close()
		srv, err := modbus.NewServer(&modbus.ServerConfiguration{
			URL:        "tcp://" + addr,
			Timeout:    10 * time.Minute,
			MaxClients: 64,
			Logger:     slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		}, &handler{s})
		if err != nil {
			return fmt.Errorf("devicesim %s: modbus server: %w", s.id, err)
		}
		if err := srv.Start(); err != nil {
			errs = append(errs, err)
			continue
		}
		s.backend, s.backendAddr = srv, addr
		return nil
	}
	return fmt.Errorf("devicesim %s: start the modbus server: %w", s.id, errors.Join(errs...))
}

// Addr returns the address the server listens on (host:port), also while
// it is dark; "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL returns the bus URL an agent's config names, tcp://host:port.
func (s *Server) URL() string { return "tcp://" + s.Addr() }

// GoDark stops listening and drops every connection, as an inverter does
// that switches Modbus off at night: clients see their connection close
// and new ones refused until Restart.
func (s *Server) GoDark() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.darkLocked("modbus device simulator dark")
}

// darkLocked closes the listener and every connection and logs msg.
func (s *Server) darkLocked(msg string) error {
	if s.ln == nil {
		return nil
	}
	err := s.ln.Close()
	s.ln = nil
	for c := range s.conns {
		c.Close()
	}
	s.log.Info(msg, "facility", s.id, "addr", s.addr)
	if err != nil {
		return fmt.Errorf("devicesim %s: close listener: %w", s.id, err)
	}
	return nil
}

// Restart listens again on the address of Start after GoDark. It fails if
// another process took the port meanwhile.
func (s *Server) Restart() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return fmt.Errorf("devicesim %s: closed", s.id)
	case s.addr == "":
		return fmt.Errorf("devicesim %s: restart before start", s.id)
	case s.ln != nil:
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("devicesim %s: listen again on %s: %w", s.id, s.addr, err)
	}
	s.serve(ln)
	s.log.Info("modbus device simulator back", "facility", s.id, "addr", s.addr)
	return nil
}

// Close stops the server for good and waits for its connections to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.darkLocked("modbus device simulator stopped")
	if s.backend != nil {
		err = errors.Join(err, s.backend.Stop())
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// SetDead makes unit stop answering (dead true) or answer again.
func (s *Server) SetDead(unit uint8, dead bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if dead {
		s.dead[unit] = true
	} else {
		delete(s.dead, unit)
	}
}

// Override fixes the registers of unit from addr on to words, whatever
// the model says, until ClearOverrides. An override only shows through
// inside a unit's served range; the table is the one its values are in.
func (s *Server) Override(unit uint8, table regmap.Table, addr uint16, words ...uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, w := range words {
		s.overrides[regKey{unit, table, addr + uint16(i)}] = w
	}
}

// ClearOverrides removes every override.
func (s *Server) ClearOverrides() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.overrides)
}

func (s *Server) servedLocked(unit uint8) bool {
	if s.dead[unit] {
		return false
	}
	for _, u := range s.units {
		if u.ID == unit {
			return true
		}
	}
	return false
}

// handler answers the requests the relay passed on. Values are computed
// from the model at the time of each request.
type handler struct{ s *Server }

func (h *handler) HandleCoils(*modbus.CoilsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h *handler) HandleDiscreteInputs(*modbus.DiscreteInputsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (h *handler) HandleHoldingRegisters(req *modbus.HoldingRegistersRequest) ([]uint16, error) {
	if req.IsWrite {
		return nil, modbus.ErrIllegalFunction // the devices are read-only
	}
	return h.s.read(req.UnitId, regmap.Holding, req.Addr, req.Quantity)
}

func (h *handler) HandleInputRegisters(req *modbus.InputRegistersRequest) ([]uint16, error) {
	return h.s.read(req.UnitId, regmap.Input, req.Addr, req.Quantity)
}

// read returns qty registers of unit's table from addr, as the unit shows
// them now.
func (s *Server) read(unit uint8, table regmap.Table, addr, qty uint16) ([]uint16, error) {
	s.mu.Lock()
	served := s.servedLocked(unit)
	s.mu.Unlock()
	if !served {
		return nil, modbus.ErrGWTargetFailedToRespond
	}
	base, img := s.image(unit, table, s.now())
	if img == nil || addr < base || int(addr-base)+int(qty) > len(img) {
		return nil, modbus.ErrIllegalDataAddress
	}
	out := slices.Clone(img[addr-base : int(addr-base)+int(qty)])
	s.mu.Lock()
	for i := range out {
		if w, ok := s.overrides[regKey{unit, table, addr + uint16(i)}]; ok {
			out[i] = w
		}
	}
	s.mu.Unlock()
	return out, nil
}

// image returns the registers of unit's table at t and the address of the
// first; nil for a table the unit does not serve.
func (s *Server) image(unit uint8, table regmap.Table, t time.Time) (uint16, []uint16) {
	snap := newSnapshot(t, s.sim.Samples(t))
	switch {
	case unit == UnitInverter && table == regmap.Holding && snap.hasSolar:
		return SunSpecBase, sunspecImage(s.id, s.version, unit, s.scales, snap.solar, s.battery)
	case unit == UnitGridMeter && table == regmap.Input:
		return 0, sdmImage(snap.grid)
	case unit == UnitGenerator && table == regmap.Holding && snap.hasGen:
		return s.gencomm.base, s.gencomm.image(s.generator(snap.gen))
	}
	return 0, nil
}
