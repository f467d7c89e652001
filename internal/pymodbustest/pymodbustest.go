// Package pymodbustest serves Modbus register images from a peer that nobody
// on the GreenPulse team wrote: Debian's python3-pymodbus 3.0, run with
// /usr/bin/python3, over TCP on a free loopback port or over RTU through a
// socat pty pair. Tests of the Modbus source read real devices' registers
// from it, so a misreading of the protocol that our own simulator shares
// with our client shows up here.
//
// pymodbus's packaged server command needs prompt_toolkit, which Debian does
// not install, so the harness runs a short script of ours (server.py,
// embedded) that builds the server from pymodbus's classes. The script
// serves each unit with zero_mode=True: without it pymodbus 3.0 takes wire
// addresses as 1-based register numbers and address 0 would read the word
// stored at 1.
//
// What pymodbus 3.0 does for a unit id that is not in the image, over TCP
// and RTU alike: nothing. Its framer drops the request before it reaches
// the datastore, the client times out, and a TCP connection stays open for
// the next request. The exception is an image that has unit 0 or 255: then
// pymodbus lets every unit id through and answers a missing one with
// exception 0x0B, gateway target device failed to respond, as a TCP gateway
// in front of a dead RS-485 device would.
//
// Registers that are not in a unit's image answer exception 2, illegal data
// address, also when a read only partly covers them: fill a gap with zeros
// to read across it.
//
// When /usr/bin/python3 cannot import pymodbus 3.0, or socat is missing for
// RTU, the test is skipped with a message saying what to install; when the
// environment variable CI is set, it fails instead, so that CI never passes
// by skipping. Under go test -short the harness skips too, as other
// integration tests do. scripts/install-deps.sh installs what it needs.
package pymodbustest

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

//go:embed server.py
var script []byte

// Python is Debian's interpreter, which sees the python3-pymodbus package; a
// python3 earlier on PATH (pyenv, a virtualenv) usually does not.
// GREENPULSE_PYMODBUS_PYTHON overrides it.
const Python = "/usr/bin/python3"

// Table is a register table of a unit.
type Table string

// The register tables the harness serves.
const (
	Holding Table = "holding"
	Input   Table = "input"
)

// Unit is what one unit id serves: its registers by 0-based wire address,
// and how late it answers.
type Unit struct {
	Holding map[uint16]uint16
	Input   map[uint16]uint16
	// Delay holds every answer of the unit back this long, for a device
	// that answers slower than the client's timeout. The answer reads the
	// registers as they are when it is sent; over TCP it is dropped if the
	// client closed the connection meanwhile, over RTU it reaches the line
	// whenever it is due, as a slow device's would.
	Delay time.Duration
}

// Image is a register image by unit id. Unit ids that are not in it do not
// answer (see the package comment for units 0 and 255).
type Image map[uint8]Unit

// Serial is the line setting of an RTU server. A pty has no real line, so
// the setting only has to be accepted by both ends.
type Serial struct {
	Baud     int
	DataBits int
	Parity   string // "none", "even" or "odd"
	StopBits int
}

// rtuSerial is what StartRTU serves: 9600 baud, 8N1, as many meters ship.
func rtuSerial() Serial { return Serial{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1} }

// Server is one pymodbus server with its image. Its methods are safe for
// concurrent use, but Set, SetDelay, Stop and Restart fail the test with
// t.Fatal, so call them from the test's goroutine.
type Server struct {
	t      testing.TB
	dir    string
	python string
	rtu    bool

	mu    sync.Mutex
	image Image    // what the server serves now, Set included; a restart serves it
	port  int      // TCP: 0 until the first start chose one, then kept
	proc  *process // nil while stopped
	socat *process // RTU: the pty pair, which lives as long as the Server
}

// StartTCP serves img over Modbus TCP on a free port of 127.0.0.1 until the
// test ends. The port is below the kernel's ephemeral range, so that it is
// still free when Restart needs it again (see candidatePort).
func StartTCP(t testing.TB, img Image) *Server {
	t.Helper()
	s := newServer(t, img, false)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.startLocked()
	return s
}

// StartRTU serves img over Modbus RTU until the test ends: socat joins two
// ptys, linked as a and b in a temp dir, pymodbus listens on a, and URL
// names b. The line setting is Serial's.
func StartRTU(t testing.TB, img Image) *Server {
	t.Helper()
	socat, err := exec.LookPath("socat")
	if err != nil {
		testenv.Unavailable(t, "pymodbustest: socat is not installed (apt-get install socat)")
	}
	s := newServer(t, img, true)
	s.mu.Lock()
	defer s.mu.Unlock()
	pair := &process{
		name: "socat",
		cmd: exec.Command(socat, "-d", "-d",
			"pty,raw,echo=0,link="+s.serverEnd(),
			"pty,raw,echo=0,link="+s.clientEnd()),
		logPath: filepath.Join(s.dir, "socat.log"),
	}
	if err := pair.start(); err != nil {
		t.Fatal(err)
	}
	s.socat = pair
	if err := s.socat.waitFor(5*time.Second, func() bool {
		return exists(s.serverEnd()) && exists(s.clientEnd())
	}); err != nil {
		t.Fatalf("socat pty pair in %s: %v", s.dir, err)
	}
	s.startLocked()
	return s
}

func newServer(t testing.TB, img Image, rtu bool) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts pymodbus (skipped with -short)")
	}
	python := Python
	if p := os.Getenv("GREENPULSE_PYMODBUS_PYTHON"); p != "" {
		python = p
	}
	if _, err := os.Stat(python); err != nil {
		testenv.Unavailable(t, "pymodbustest: %s: %v (apt-get install python3-pymodbus python3-serial-asyncio)", python, err)
	}
	s := &Server{t: t, dir: t.TempDir(), python: python, rtu: rtu, image: copyImage(img)}
	if err := os.WriteFile(s.scriptPath(), script, 0o644); err != nil {
		t.Fatalf("write pymodbus server script: %v", err)
	}
	// Registered before anything starts, so that nothing outlives a
	// failed start.
	t.Cleanup(s.cleanup)
	return s
}

// URL returns the address for a Modbus client: tcp://127.0.0.1:PORT, or
// rtu:// and the path of the client's pty. It stays the same across
// restarts.
func (s *Server) URL() string {
	if s.rtu {
		return "rtu://" + s.clientEnd()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("tcp://127.0.0.1:%d", s.port)
}

// Serial returns the line setting of an RTU server (9600 baud, 8N1).
func (s *Server) Serial() Serial { return rtuSerial() }

// Set writes words into table of unit from addr on, as the device itself
// would when its readings change. While the server is stopped it changes
// only what the next Restart serves. The unit must be in the image;
// addresses that were not become readable.
func (s *Server) Set(unit uint8, table Table, addr uint16, words ...uint16) {
	s.t.Helper()
	if err := s.set(unit, table, addr, words); err != nil {
		s.t.Fatal(err)
	}
}

func (s *Server) set(unit uint8, table Table, addr uint16, words []uint16) error {
	if table != Holding && table != Input {
		return fmt.Errorf("pymodbustest: set unit %d: unknown table %q", unit, table)
	}
	if int(addr)+len(words) > 1<<16 {
		return fmt.Errorf("pymodbustest: set unit %d %s %d: %d words run past address 65535", unit, table, addr, len(words))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.image[unit]
	if !ok {
		return fmt.Errorf("pymodbustest: set unit %d: not in the image", unit)
	}
	if s.proc != nil {
		err := s.proc.command(map[string]any{
			"op": "set", "unit": unit, "table": table, "addr": addr, "words": words,
		})
		if err != nil {
			return fmt.Errorf("pymodbustest: set unit %d %s %d: %w", unit, table, addr, err)
		}
	}
	regs := u.Holding
	if table == Input {
		regs = u.Input
	}
	for i, w := range words {
		regs[addr+uint16(i)] = w
	}
	return nil
}

// SetDelay makes unit answer d late from now on (0: at once), as Unit.Delay.
func (s *Server) SetDelay(unit uint8, d time.Duration) {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.image[unit]
	if !ok {
		s.t.Fatalf("pymodbustest: set delay of unit %d: not in the image", unit)
	}
	if s.proc != nil {
		if err := s.proc.command(map[string]any{"op": "delay", "unit": unit, "seconds": d.Seconds()}); err != nil {
			s.t.Fatalf("pymodbustest: set delay of unit %d: %v", unit, err)
		}
	}
	u.Delay = d
	s.image[unit] = u
}

// Stop ends pymodbus, as an inverter that switches Modbus off at night:
// TCP connections close and the port refuses new ones; on RTU the pty
// stays and requests go unanswered. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stopLocked(); err != nil {
		s.t.Fatal(err)
	}
}

// Restart stops pymodbus if it runs and starts it again on the same port or
// pty, serving the image with every Set so far, as the inverter in the
// morning.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.stopLocked(); err != nil {
		s.t.Fatal(err)
	}
	s.startLocked()
}

// startLocked starts pymodbus on the image and waits until it serves,
// failing the test with pymodbus's log if it does not. The first TCP start
// tries a few ports (see candidatePort); later ones keep the port.
func (s *Server) startLocked() {
	s.t.Helper()
	fixed := s.rtu || s.port != 0
	for attempt := 1; ; attempt++ {
		if !fixed {
			s.port = candidatePort()
		}
		p, ready, err := s.launchLocked()
		if err == nil {
			if !s.rtu {
				port, perr := strconv.Atoi(strings.TrimPrefix(ready, "ready tcp "))
				if perr != nil {
					_ = p.stop()
					s.t.Fatalf("pymodbustest: pymodbus said %q, not on which port it serves", ready)
				}
				s.port = port
			}
			s.proc = p
			return
		}
		switch p.exitCode() {
		case 3, 4: // a module is missing, or pymodbus is not 3.0
			testenv.Unavailable(s.t, "pymodbustest: %s cannot serve with pymodbus 3.0:\n%s", s.python, p.logTail())
		case 5: // the port is taken
			if !fixed && attempt < 5 {
				continue
			}
		}
		s.t.Fatalf("pymodbustest: start pymodbus: %v\n%s", err, p.logTail())
	}
}

// launchLocked runs server.py once and waits for its "ready" line.
func (s *Server) launchLocked() (*process, string, error) {
	conf, err := json.Marshal(s.config())
	if err != nil {
		s.t.Fatalf("pymodbustest: encode the server configuration: %v", err)
	}
	confPath := filepath.Join(s.dir, "config.json")
	if err := os.WriteFile(confPath, conf, 0o644); err != nil {
		s.t.Fatalf("pymodbustest: write the server configuration: %v", err)
	}
	p := &process{
		name:    "pymodbus",
		cmd:     exec.Command(s.python, "-u", s.scriptPath(), confPath),
		logPath: filepath.Join(s.dir, "pymodbus.log"),
		control: true,
	}
	if err := p.start(); err != nil {
		s.t.Fatal(err)
	}
	ready, err := p.ready(10 * time.Second)
	return p, ready, err
}

// candidatePort returns a loopback port to serve on, below the kernel's
// ephemeral range (ip_local_port_range, usually from 32768): the server must
// come back on the same port after Stop, and a port from the ephemeral range
// could meanwhile become the local end of some client's connection, such as
// the reconnects of the very client under test. Another test may have chosen
// the same port; startLocked then tries another. 0 (the kernel chooses) when
// the range leaves no room.
func candidatePort() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil {
				low = n
			}
		}
	}
	const from = 10000
	if low <= from+100 {
		return 0
	}
	return from + rand.IntN(low-from)
}

func (s *Server) stopLocked() error {
	if s.proc == nil {
		return nil
	}
	p := s.proc
	s.proc = nil
	if err := p.stop(); err != nil {
		return fmt.Errorf("pymodbustest: %w", err)
	}
	return nil
}

// cleanup stops everything at the end of the test and reports a pymodbus
// or socat that died on its own; when the test failed it logs pymodbus's
// log, which shows every request it refused.
func (s *Server) cleanup() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.t.Failed() {
		if tail := tailOf(filepath.Join(s.dir, "pymodbus.log")); tail != "" {
			s.t.Logf("pymodbus log (%s):\n%s", s.dir, tail)
		}
	}
	if err := s.stopLocked(); err != nil {
		s.t.Error(err)
	}
	if s.socat != nil {
		if err := s.socat.stop(); err != nil {
			s.t.Errorf("pymodbustest: %v", err)
		}
		s.socat = nil
	}
}

// config is what server.py reads.
func (s *Server) config() map[string]any {
	units := map[string]any{}
	for id, u := range s.image {
		units[strconv.Itoa(int(id))] = map[string]any{
			"holding": u.Holding, "input": u.Input, "delay": u.Delay.Seconds(),
		}
	}
	line := rtuSerial()
	parity := map[string]string{"none": "N", "even": "E", "odd": "O"}[line.Parity]
	return map[string]any{
		"mode": map[bool]string{false: "tcp", true: "rtu"}[s.rtu],
		"host": "127.0.0.1", "port": s.port,
		"device": s.serverEnd(), "baud": line.Baud, "bytesize": line.DataBits,
		"parity": parity, "stopbits": line.StopBits,
		"units": units,
	}
}

func (s *Server) scriptPath() string { return filepath.Join(s.dir, "server.py") }
func (s *Server) serverEnd() string  { return filepath.Join(s.dir, "a") }
func (s *Server) clientEnd() string  { return filepath.Join(s.dir, "b") }

// copyImage copies img so that the caller's maps stay the caller's, with
// both tables present for Set to fill.
func copyImage(img Image) Image {
	out := make(Image, len(img))
	for id, u := range img {
		c := Unit{Holding: map[uint16]uint16{}, Input: map[uint16]uint16{}, Delay: u.Delay}
		for a, w := range u.Holding {
			c.Holding[a] = w
		}
		for a, w := range u.Input {
			c.Input[a] = w
		}
		out[id] = c
	}
	return out
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
