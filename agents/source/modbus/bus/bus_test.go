package bus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
)

// request is one request a test server answered.
type request struct {
	unit   uint8
	table  regmap.Table
	addr   uint16
	qty    uint16
	client string // the client's address: a new one means a new connection
	at     time.Time
}

// devices is a RequestHandler serving registers whose value is derived
// from the address (table holding: addr, input: addr+1000), with per-unit
// faults, and recording each request.
type devices struct {
	mu       sync.Mutex
	requests []request
	inFlight int
	overlap  bool // two requests were handled at once

	exception map[uint8]error // unit → exception it answers with
	slow      map[uint8]bool  // unit → answers after the client gave up
	release   chan struct{}   // closed at cleanup, to let slow handlers end
}

func newDevices(t *testing.T) *devices {
	t.Helper()
	d := &devices{exception: map[uint8]error{}, slow: map[uint8]bool{}, release: make(chan struct{})}
	t.Cleanup(func() { close(d.release) })
	return d
}

func (d *devices) handle(unit uint8, table regmap.Table, addr, qty uint16, client string) ([]uint16, error) {
	d.mu.Lock()
	d.requests = append(d.requests, request{unit, table, addr, qty, client, time.Now()})
	d.inFlight++
	if d.inFlight > 1 {
		d.overlap = true
	}
	exc, slow := d.exception[unit], d.slow[unit]
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		d.inFlight--
		d.mu.Unlock()
	}()
	if slow {
		select {
		case <-d.release:
		case <-time.After(2 * time.Second):
		}
	}
	if exc != nil {
		return nil, exc
	}
	out := make([]uint16, qty)
	for i := range out {
		out[i] = addr + uint16(i)
		if table == regmap.Input {
			out[i] += 1000
		}
	}
	return out, nil
}

func (d *devices) log() []request {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]request(nil), d.requests...)
}

func (d *devices) HandleCoils(*modbus.CoilsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (d *devices) HandleDiscreteInputs(*modbus.DiscreteInputsRequest) ([]bool, error) {
	return nil, modbus.ErrIllegalFunction
}

func (d *devices) HandleHoldingRegisters(r *modbus.HoldingRegistersRequest) ([]uint16, error) {
	if r.IsWrite {
		return nil, modbus.ErrIllegalFunction
	}
	return d.handle(r.UnitId, regmap.Holding, r.Addr, r.Quantity, r.ClientAddr)
}

func (d *devices) HandleInputRegisters(r *modbus.InputRegistersRequest) ([]uint16, error) {
	return d.handle(r.UnitId, regmap.Input, r.Addr, r.Quantity, r.ClientAddr)
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// startServer serves d on addr with the library's own TCP server until
// the test ends; stop stops it earlier.
func startServer(t *testing.T, addr string, d *devices) (stop func()) {
	t.Helper()
	srv, err := modbus.NewServer(&modbus.ServerConfiguration{
		URL:    "tcp://" + addr,
		Logger: log.New(io.Discard, "", 0),
	}, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("start modbus server on %s: %v", addr, err)
	}
	var once sync.Once
	stop = func() { once.Do(func() { srv.Stop() }) }
	t.Cleanup(stop)
	return stop
}

// logBuffer collects a Bus's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.buf.String(), "msg=\""+msg+"\"")
}

func openBus(t *testing.T, cfg Config, logs io.Writer) *Bus {
	t.Helper()
	var lg *slog.Logger
	if logs != nil {
		lg = slog.New(slog.NewTextHandler(logs, nil))
	}
	b, err := Open(cfg, lg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func wantWords(t *testing.T, got []uint16, err error, want ...uint16) {
	t.Helper()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("read %v, want %v", got, want)
	}
}

func TestReadTables(t *testing.T) {
	addr := freeAddr(t)
	d := newDevices(t)
	startServer(t, addr, d)
	b := openBus(t, Config{URL: "tcp://" + addr, Timeout: time.Second}, nil)
	ctx := context.Background()

	tests := []struct {
		unit  uint8
		table regmap.Table
		addr  uint16
		qty   uint16
		want  []uint16
	}{
		{1, regmap.Holding, 40000, 3, []uint16{40000, 40001, 40002}},
		{1, regmap.Input, 0x48, 2, []uint16{1072, 1073}},
		{2, regmap.Input, 0, 1, []uint16{1000}},
		{247, regmap.Holding, 65535 - 124, 125, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("unit %d %s %d+%d", tt.unit, tt.table, tt.addr, tt.qty), func(t *testing.T) {
			got, err := b.ReadRegisters(ctx, tt.unit, tt.table, tt.addr, tt.qty)
			if tt.want == nil {
				if err != nil || len(got) != int(tt.qty) || got[124] != 65535 {
					t.Fatalf("read = %d words ending %v, %v", len(got), got[len(got)-1:], err)
				}
				return
			}
			wantWords(t, got, err, tt.want...)
		})
	}
	reqs := d.log()
	if len(reqs) != len(tests) {
		t.Fatalf("server saw %d requests, want %d", len(reqs), len(tests))
	}
	for i, r := range reqs {
		if r.unit != tests[i].unit || r.table != tests[i].table || r.addr != tests[i].addr || r.qty != tests[i].qty {
			t.Errorf("request %d = %+v, want %+v", i, r, tests[i])
		}
		if r.client != reqs[0].client {
			t.Errorf("request %d came on a new connection", i)
		}
	}
}

// The Bus is a regmap.Reader: a register map reads through it.
func TestRegmapRead(t *testing.T) {
	addr := freeAddr(t)
	startServer(t, addr, newDevices(t))
	b := openBus(t, Config{URL: "tcp://" + addr}, nil)
	var r regmap.Reader = b
	values, skipped, err := regmap.Read(context.Background(), r, 1, []regmap.Register{
		{Field: "a", Table: regmap.Holding, Address: 10, Type: regmap.Uint16},
		{Field: "b", Table: regmap.Holding, Address: 12, Type: regmap.Uint16, Scale: 0.5},
		{Field: "c", Table: regmap.Input, Address: 3, Type: regmap.Uint32},
	})
	if err != nil || len(skipped) != 0 {
		t.Fatalf("Read: %v, skipped %v", err, skipped)
	}
	if values["a"] != 10 || values["b"] != 6 || values["c"] != 1003<<16|1004 {
		t.Errorf("values = %v", values)
	}
}

func TestException(t *testing.T) {
	addr := freeAddr(t)
	d := newDevices(t)
	d.exception[3] = modbus.ErrIllegalDataAddress
	d.exception[4] = modbus.ErrGWTargetFailedToRespond
	startServer(t, addr, d)
	b := openBus(t, Config{URL: "tcp://" + addr}, nil)
	ctx := context.Background()

	_, err := b.ReadRegisters(ctx, 3, regmap.Holding, 100, 2)
	if Kind(err) != KindException || ExceptionName(err) != "illegal data address" {
		t.Fatalf("err = %v: kind %q, exception %q; want exception, illegal data address", err, Kind(err), ExceptionName(err))
	}
	want := fmt.Sprintf("modbus tcp://%s unit 3 holding registers 100-101: modbus exception 2 (illegal data address)", addr)
	if err.Error() != want {
		t.Errorf("err = %q, want %q", err, want)
	}
	if !errors.Is(err, modbus.ErrIllegalDataAddress) {
		t.Error("err does not wrap modbus.ErrIllegalDataAddress")
	}
	var ex *ExceptionError
	if !errors.As(err, &ex) || ex.Code != 2 {
		t.Errorf("err is not an *ExceptionError with code 2: %#v", ex)
	}

	_, err = b.ReadRegisters(ctx, 4, regmap.Input, 0, 1)
	if ExceptionName(err) != "gateway target device failed to respond" {
		t.Errorf("exception name = %q (%v)", ExceptionName(err), err)
	}

	// An exception leaves the link up: the next request uses the same connection.
	got, err := b.ReadRegisters(ctx, 1, regmap.Holding, 5, 1)
	wantWords(t, got, err, 5)
	reqs := d.log()
	if reqs[0].client != reqs[2].client {
		t.Errorf("the bus reconnected after an exception")
	}
}

func TestTimeout(t *testing.T) {
	addr := freeAddr(t)
	d := newDevices(t)
	d.slow[9] = true
	startServer(t, addr, d)
	b := openBus(t, Config{URL: "tcp://" + addr, Timeout: 200 * time.Millisecond}, nil)
	ctx := context.Background()

	start := time.Now()
	_, err := b.ReadRegisters(ctx, 9, regmap.Input, 0, 2)
	if Kind(err) != KindTimeout {
		t.Fatalf("err = %v, kind %q; want timeout", err, Kind(err))
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("timed out after %v, before Timeout", took)
	}
	if !strings.Contains(err.Error(), "unit 9 input registers 0-1") {
		t.Errorf("err = %q does not name unit and range", err)
	}
	// The other units on the bus go on.
	got, err := b.ReadRegisters(ctx, 1, regmap.Input, 0, 1)
	wantWords(t, got, err, 1000)
}

func TestReconnect(t *testing.T) {
	addr := freeAddr(t)
	d := newDevices(t)
	stop := startServer(t, addr, d)
	logs := &logBuffer{}
	b := openBus(t, Config{URL: "tcp://" + addr, Timeout: 500 * time.Millisecond}, logs)
	ctx := context.Background()

	got, err := b.ReadRegisters(ctx, 1, regmap.Holding, 0, 1)
	wantWords(t, got, err, 0)

	stop() // the inverter switches Modbus off for the night
	for i := range 3 {
		_, err = b.ReadRegisters(ctx, 1, regmap.Holding, 0, 1)
		if Kind(err) != KindConnection {
			t.Fatalf("read %d while the server is down: err = %v, kind %q; want connection", i, err, Kind(err))
		}
	}
	if n := logs.count("modbus bus unreachable"); n != 1 {
		t.Errorf("logged %d 'unreachable' lines for one outage, want 1:\n%s", n, logs.buf.String())
	}

	startServer(t, addr, d) // morning
	got, err = b.ReadRegisters(ctx, 1, regmap.Holding, 7, 1)
	wantWords(t, got, err, 7)
	if n := logs.count("modbus bus connected"); n != 2 {
		t.Errorf("logged %d 'connected' lines, want 2 (start, morning):\n%s", n, logs.buf.String())
	}
	reqs := d.log()
	if reqs[0].client == reqs[len(reqs)-1].client {
		t.Error("the last request came on the first connection")
	}
}

func TestOpenDoesNotConnect(t *testing.T) {
	addr := freeAddr(t) // nobody listens
	b := openBus(t, Config{URL: "tcp://" + addr}, nil)
	_, err := b.ReadRegisters(context.Background(), 1, regmap.Holding, 0, 1)
	if Kind(err) != KindConnection || !strings.Contains(err.Error(), "tcp://"+addr) {
		t.Fatalf("err = %v, kind %q; want a connection error naming the bus", err, Kind(err))
	}
}

func TestPause(t *testing.T) {
	const pause = 60 * time.Millisecond
	addr := freeAddr(t)
	d := newDevices(t)
	startServer(t, addr, d)
	b := openBus(t, Config{URL: "tcp://" + addr, Pause: pause}, nil)
	ctx := context.Background()
	for _, unit := range []uint8{1, 2, 2, 1, 3} {
		if _, err := b.ReadRegisters(ctx, unit, regmap.Holding, 0, 1); err != nil {
			t.Fatal(err)
		}
	}
	reqs := d.log()
	for i := 1; i < len(reqs); i++ {
		gap := reqs[i].at.Sub(reqs[i-1].at)
		if reqs[i].unit != reqs[i-1].unit && gap < pause {
			t.Errorf("request %d to unit %d came %v after unit %d's, want ≥ %v", i, reqs[i].unit, gap, reqs[i-1].unit, pause)
		}
	}
}

func TestContext(t *testing.T) {
	addr := freeAddr(t)
	d := newDevices(t)
	startServer(t, addr, d)
	b := openBus(t, Config{URL: "tcp://" + addr, Pause: 10 * time.Second}, nil)

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.ReadRegisters(cancelled, 1, regmap.Holding, 0, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(d.log()); n != 0 {
		t.Fatalf("a request was sent after ctx ended")
	}

	if _, err := b.ReadRegisters(context.Background(), 1, regmap.Holding, 0, 1); err != nil {
		t.Fatal(err)
	}
	// Unit 2 must wait 10 s of pause; the ctx ends long before.
	short, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	start := time.Now()
	_, err := b.ReadRegisters(short, 2, regmap.Holding, 0, 1)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("waited %v for the pause despite the ctx", took)
	}
	if n := len(d.log()); n != 1 {
		t.Errorf("server saw %d requests, want 1", n)
	}
}

func TestOneRequestAtATime(t *testing.T) {
	addr := freeAddr(t)
	d := newDevices(t)
	startServer(t, addr, d)
	b := openBus(t, Config{URL: "tcp://" + addr}, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			unit := uint8(i%4 + 1)
			got, err := b.ReadRegisters(context.Background(), unit, regmap.Input, uint16(i), 1)
			if err == nil && got[0] != uint16(1000+i) {
				err = fmt.Errorf("unit %d read %v, want %d", unit, got, 1000+i)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if d.overlap {
		t.Error("two requests were on the wire at once")
	}
}

func TestClose(t *testing.T) {
	addr := freeAddr(t)
	startServer(t, addr, newDevices(t))
	b := openBus(t, Config{URL: "tcp://" + addr}, nil)
	if _, err := b.ReadRegisters(context.Background(), 1, regmap.Holding, 0, 1); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ReadRegisters(context.Background(), 1, regmap.Holding, 0, 1); err == nil || Kind(err) != KindOther {
		t.Errorf("read after Close: err = %v, kind %q", err, Kind(err))
	}
}

func TestBadRequest(t *testing.T) {
	b := openBus(t, Config{URL: "tcp://127.0.0.1:1"}, nil)
	for _, tt := range []struct {
		table     regmap.Table
		addr, qty uint16
	}{{0, 0, 1}, {regmap.Holding, 0, 0}, {regmap.Holding, 0, 126}, {regmap.Input, 65535, 2}} {
		if _, err := b.ReadRegisters(context.Background(), 1, tt.table, tt.addr, tt.qty); err == nil || Kind(err) != KindOther {
			t.Errorf("ReadRegisters(%v, %d, %d): err = %v, kind %q", tt.table, tt.addr, tt.qty, err, Kind(err))
		}
	}
}
