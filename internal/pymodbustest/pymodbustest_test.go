package pymodbustest

import (
	"errors"
	"io"
	"log"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/simonvetter/modbus"
)

// client opens a simonvetter/modbus client on s for unit, closed when the
// test ends.
func client(t *testing.T, s *Server, unit uint8, timeout time.Duration) *modbus.ModbusClient {
	t.Helper()
	conf := &modbus.ClientConfiguration{
		URL:     s.URL(),
		Timeout: timeout,
		Logger:  log.New(io.Discard, "", 0),
	}
	if strings.HasPrefix(conf.URL, "rtu://") {
		line := s.Serial()
		conf.Speed = uint(line.Baud)
		conf.DataBits = uint(line.DataBits)
		conf.Parity = modbus.PARITY_NONE
		conf.StopBits = uint(line.StopBits)
	}
	c, err := modbus.NewClient(conf)
	if err != nil {
		t.Fatalf("modbus client for %s: %v", conf.URL, err)
	}
	if err := c.Open(); err != nil {
		t.Fatalf("open %s: %v", conf.URL, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetUnitId(unit); err != nil {
		t.Fatal(err)
	}
	return c
}

// read reads qty registers of table from addr and fails the test unless it
// gets want.
func read(t *testing.T, c *modbus.ModbusClient, table Table, addr, qty uint16, want ...uint16) {
	t.Helper()
	rt := modbus.HOLDING_REGISTER
	if table == Input {
		rt = modbus.INPUT_REGISTER
	}
	got, err := c.ReadRegisters(addr, qty, rt)
	if err != nil {
		t.Fatalf("read %s %d×%d: %v", table, addr, qty, err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("read %s %d×%d = %#04x, want %#04x", table, addr, qty, got, want)
	}
}

// meter is a two-unit image: a meter on unit 1 and an inverter on unit 3.
func meter() Image {
	return Image{
		1: {
			Holding: map[uint16]uint16{0: 0x1234, 1: 0x5678, 2: 0, 10: 7},
			Input:   map[uint16]uint16{0: 0x4365, 1: 0x8000, 0x48: 0x4479},
		},
		3: {Holding: map[uint16]uint16{0: 3, 40000: 0x5375, 40001: 0x6e53}},
	}
}

func TestTCPReadsHoldingAndInputFromAddressZero(t *testing.T) {
	t.Parallel()
	s := StartTCP(t, meter())
	if !strings.HasPrefix(s.URL(), "tcp://127.0.0.1:") {
		t.Errorf("URL() = %q, want tcp://127.0.0.1:PORT", s.URL())
	}
	c := client(t, s, 1, time.Second)
	// zero_mode: wire address 0 is the first word of the image, not the
	// second.
	read(t, c, Holding, 0, 3, 0x1234, 0x5678, 0)
	read(t, c, Holding, 10, 1, 7)
	read(t, c, Input, 0, 2, 0x4365, 0x8000)
	read(t, c, Input, 0x48, 1, 0x4479)

	// An address outside the image, even partly, is exception 2.
	for _, addr := range []uint16{3, 9, 11} {
		if _, err := c.ReadRegisters(addr, 1, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrIllegalDataAddress) {
			t.Errorf("read holding %d: %v, want %v", addr, err, modbus.ErrIllegalDataAddress)
		}
	}
	if _, err := c.ReadRegisters(1, 3, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrIllegalDataAddress) {
		t.Errorf("read holding 1×3 across a gap: %v, want %v", err, modbus.ErrIllegalDataAddress)
	}

	// Each unit has its own registers.
	if err := c.SetUnitId(3); err != nil {
		t.Fatal(err)
	}
	read(t, c, Holding, 0, 1, 3)
	read(t, c, Holding, 40000, 2, 0x5375, 0x6e53)
}

func TestSetChangesRegistersLive(t *testing.T) {
	t.Parallel()
	img := meter()
	s := StartTCP(t, img)
	c := client(t, s, 1, time.Second)
	read(t, c, Input, 0, 2, 0x4365, 0x8000)

	s.Set(1, Input, 0, 0x4366, 0x0001)
	read(t, c, Input, 0, 2, 0x4366, 0x0001)
	s.Set(1, Holding, 3, 9) // closes the gap at 3
	read(t, c, Holding, 0, 4, 0x1234, 0x5678, 0, 9)

	if img[1].Input[0] != 0x4365 {
		t.Errorf("Set changed the caller's image: input 0 = %#04x", img[1].Input[0])
	}
	if err := s.set(2, Holding, 0, []uint16{1}); err == nil || !strings.Contains(err.Error(), "not in the image") {
		t.Errorf("set on unit 2, which is not in the image: %v, want an error that says so", err)
	}
	if err := s.set(1, "coils", 0, []uint16{1}); err == nil {
		t.Error("set on table coils: no error")
	}
	if err := s.set(1, Holding, 65535, []uint16{1, 2}); err == nil {
		t.Error("set past address 65535: no error")
	}
}

// A unit that is not in the image gets no answer at all over TCP (pymodbus
// 3.0's framer drops the request), and the connection goes on serving the
// units that are there.
func TestTCPUnknownUnitDoesNotAnswer(t *testing.T) {
	t.Parallel()
	s := StartTCP(t, meter())
	c := client(t, s, 2, 300*time.Millisecond)
	start := time.Now()
	_, err := c.ReadRegisters(0, 1, modbus.HOLDING_REGISTER)
	if !errors.Is(err, modbus.ErrRequestTimedOut) {
		t.Fatalf("read from unit 2, not in the image: %v, want %v", err, modbus.ErrRequestTimedOut)
	}
	if waited := time.Since(start); waited < 250*time.Millisecond {
		t.Errorf("unit 2 failed after %s, before the client's timeout: an answer, not silence", waited)
	}
	if err := c.SetUnitId(1); err != nil {
		t.Fatal(err)
	}
	read(t, c, Holding, 0, 1, 0x1234)
}

// With unit 255 in the image pymodbus 3.0 lets every unit id through and
// answers a missing one with exception 0x0B, as a gateway would.
func TestTCPUnit255MakesAGateway(t *testing.T) {
	t.Parallel()
	img := meter()
	img[255] = Unit{Holding: map[uint16]uint16{0: 255}}
	s := StartTCP(t, img)
	c := client(t, s, 2, time.Second)
	if _, err := c.ReadRegisters(0, 1, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrGWTargetFailedToRespond) {
		t.Fatalf("read from unit 2 behind unit 255: %v, want %v", err, modbus.ErrGWTargetFailedToRespond)
	}
	if err := c.SetUnitId(1); err != nil {
		t.Fatal(err)
	}
	read(t, c, Holding, 0, 1, 0x1234)
}

func TestStopAndRestartKeepThePortAndTheSetValues(t *testing.T) {
	t.Parallel()
	s := StartTCP(t, meter())
	url := s.URL()
	c := client(t, s, 1, 500*time.Millisecond)
	read(t, c, Holding, 0, 1, 0x1234)

	s.Stop()
	if _, err := c.ReadRegisters(0, 1, modbus.HOLDING_REGISTER); err == nil {
		t.Fatal("read after Stop on the open connection: no error")
	}
	c.Close()
	if err := c.Open(); err == nil {
		t.Fatal("connect after Stop: no error, want the port refused")
	}
	s.Stop() // stopping a stopped server does nothing
	s.Set(1, Holding, 0, 0x4321)

	s.Restart()
	if s.URL() != url {
		t.Fatalf("URL after Restart = %s, want %s", s.URL(), url)
	}
	c = client(t, s, 1, 500*time.Millisecond)
	read(t, c, Holding, 0, 2, 0x4321, 0x5678)

	s.Restart() // while running: stops, then starts
	c = client(t, s, 1, 500*time.Millisecond)
	read(t, c, Holding, 0, 1, 0x4321)
}

func TestDelayedUnitAnswersAfterTheClientTimeout(t *testing.T) {
	t.Parallel()
	img := meter()
	u := img[3]
	u.Delay = 2 * time.Second
	img[3] = u
	s := StartTCP(t, img)

	slow := client(t, s, 3, 300*time.Millisecond)
	if _, err := slow.ReadRegisters(0, 1, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrRequestTimedOut) {
		t.Fatalf("read from unit 3, 2 s late: %v, want %v", err, modbus.ErrRequestTimedOut)
	}
	// The other unit answers at once meanwhile.
	read(t, client(t, s, 1, 300*time.Millisecond), Holding, 0, 1, 0x1234)

	// A fresh connection, so that the late answer, dropped with the old
	// one, cannot be taken for the next.
	slow.Close()
	s.SetDelay(3, 0)
	read(t, client(t, s, 3, 300*time.Millisecond), Holding, 0, 1, 3)

	s.SetDelay(3, 100*time.Millisecond)
	start := time.Now()
	read(t, client(t, s, 3, time.Second), Holding, 0, 1, 3)
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Errorf("unit 3 with a 100 ms delay answered after %s", waited)
	}
}

// RTU through the socat pty pair, 9600 baud 8N1: reads, silence for a unit
// that is not there, and a restart behind the same pty.
func TestRTU(t *testing.T) {
	t.Parallel()
	s := StartRTU(t, meter())
	if got, want := s.Serial(), (Serial{Baud: 9600, DataBits: 8, Parity: "none", StopBits: 1}); got != want {
		t.Errorf("Serial() = %+v, want %+v", got, want)
	}
	if !strings.HasPrefix(s.URL(), "rtu:///") || !strings.HasSuffix(s.URL(), "/b") {
		t.Errorf("URL() = %q, want rtu:// and the absolute path of pty b", s.URL())
	}
	c := client(t, s, 1, 500*time.Millisecond)
	read(t, c, Holding, 0, 2, 0x1234, 0x5678)
	read(t, c, Input, 0x48, 1, 0x4479)
	s.Set(1, Input, 0x48, 0x447a)
	read(t, c, Input, 0x48, 1, 0x447a)
	if _, err := c.ReadRegisters(3, 1, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrIllegalDataAddress) {
		t.Errorf("read holding 3: %v, want %v", err, modbus.ErrIllegalDataAddress)
	}

	// On a serial line too, pymodbus 3.0 ignores a frame for another unit.
	if err := c.SetUnitId(2); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ReadRegisters(0, 1, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrRequestTimedOut) {
		t.Fatalf("read from unit 2, not on the line: %v, want %v", err, modbus.ErrRequestTimedOut)
	}
	if err := c.SetUnitId(3); err != nil {
		t.Fatal(err)
	}
	read(t, c, Holding, 40000, 2, 0x5375, 0x6e53)

	// Night: the pty stays, nobody answers; morning: the same client
	// reads again without reopening.
	s.Stop()
	if _, err := c.ReadRegisters(0, 1, modbus.HOLDING_REGISTER); !errors.Is(err, modbus.ErrRequestTimedOut) {
		t.Fatalf("read after Stop: %v, want %v", err, modbus.ErrRequestTimedOut)
	}
	s.Restart()
	read(t, c, Holding, 0, 1, 3)
}

// startLocked retries another port when pymodbus exits with status 5; this
// holds pymodbus to that.
func TestTakenPortExitsWithStatus5(t *testing.T) {
	t.Parallel()
	s := StartTCP(t, meter())
	s.Stop()
	addr := strings.TrimPrefix(s.URL(), "tcp://")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("take the stopped server's port: %v", err)
	}
	defer ln.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, _, err := s.launchLocked()
	if err == nil {
		_ = p.stop()
		t.Fatalf("pymodbus started on %s, which another socket holds", addr)
	}
	if code := p.exitCode(); code != 5 {
		t.Fatalf("pymodbus on a taken port: exit status %d, want 5\n%s", code, p.logTail())
	}
}
