package bus

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// ptyPair starts socat joining two pseudo-terminals, a null-modem cable in
// software, and returns their paths: the bus opens one, a responder the
// other.
func ptyPair(t *testing.T) (busEnd, deviceEnd string) {
	t.Helper()
	if testing.Short() {
		t.Skip("RTU through socat: skipped with -short")
	}
	socat, err := exec.LookPath("socat")
	if err != nil {
		testenv.Unavailable(t, "socat is not installed (apt-get install socat): %v", err)
	}
	dir := t.TempDir()
	busEnd, deviceEnd = filepath.Join(dir, "bus"), filepath.Join(dir, "device")
	cmd := exec.Command(socat, "-d", "-d",
		"pty,raw,echo=0,link="+busEnd, "pty,raw,echo=0,link="+deviceEnd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start socat: %v", err)
	}
	var logs strings.Builder
	var logsMu sync.Mutex
	ready := make(chan struct{})
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			logsMu.Lock()
			logs.WriteString(s.Text() + "\n")
			logsMu.Unlock()
			if strings.Contains(s.Text(), "starting data transfer loop") {
				close(ready)
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		logsMu.Lock()
		defer logsMu.Unlock()
		t.Fatalf("socat did not start its transfer loop:\n%s", logs.String())
	}
	return busEnd, deviceEnd
}

// crc16 is the Modbus RTU checksum (CRC-16/MODBUS), sent low byte first.
func crc16(b []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, x := range b {
		crc ^= uint16(x)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0xA001
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func withCRC(b []byte) []byte {
	return binary.LittleEndian.AppendUint16(b, crc16(b))
}

// rtuResponder is a tiny Modbus RTU device on the other end of the line
// (the library has no RTU server): unit 1 answers reads like devices does,
// unit 2 with exception 2, unit 3 not at all, unit 4 with a bad CRC.
type rtuResponder struct {
	mu     sync.Mutex
	frames [][]byte // requests received with a good CRC
	badCRC int      // requests received with a bad one
}

func startResponder(t *testing.T, path string) *rtuResponder {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := &rtuResponder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.serve(f)
	}()
	t.Cleanup(func() {
		f.Close()
		<-done
	})
	return r
}

func (r *rtuResponder) serve(f io.ReadWriter) {
	req := make([]byte, 8) // unit, function, address, quantity, CRC
	for {
		if _, err := io.ReadFull(f, req); err != nil {
			return
		}
		if crc16(req[:6]) != binary.LittleEndian.Uint16(req[6:]) {
			r.mu.Lock()
			r.badCRC++
			r.mu.Unlock()
			continue
		}
		r.mu.Lock()
		r.frames = append(r.frames, append([]byte(nil), req...))
		r.mu.Unlock()
		unit, fc := req[0], req[1]
		addr, qty := binary.BigEndian.Uint16(req[2:]), binary.BigEndian.Uint16(req[4:])
		var res []byte
		switch unit {
		case 1:
			res = []byte{unit, fc, byte(2 * qty)}
			for i := range qty {
				w := addr + i
				if fc == 4 {
					w += 1000
				}
				res = binary.BigEndian.AppendUint16(res, w)
			}
			res = withCRC(res)
		case 2:
			res = withCRC([]byte{unit, fc | 0x80, 0x02})
		case 3:
			continue
		case 4:
			res = withCRC([]byte{unit, fc, 2, 0x12, 0x34})
			res[len(res)-1] ^= 0xFF
		}
		if _, err := f.Write(res); err != nil {
			return
		}
	}
}

// requests returns the frames received with a good CRC and the count of
// those with a bad one.
func (r *rtuResponder) requests() (good [][]byte, bad int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.frames...), r.badCRC
}

func TestRTU(t *testing.T) {
	busEnd, deviceEnd := ptyPair(t)
	dev := startResponder(t, deviceEnd)
	b := openBus(t, Config{URL: "rtu://" + busEnd, Baud: 115200, Parity: "even", Timeout: 300 * time.Millisecond}, nil)
	ctx := context.Background()

	got, err := b.ReadRegisters(ctx, 1, regmap.Holding, 40000, 3)
	wantWords(t, got, err, 40000, 40001, 40002)
	got, err = b.ReadRegisters(ctx, 1, regmap.Input, 0x48, 2)
	wantWords(t, got, err, 1072, 1073)

	_, err = b.ReadRegisters(ctx, 2, regmap.Holding, 7, 1)
	if Kind(err) != KindException || ExceptionName(err) != "illegal data address" {
		t.Errorf("unit 2: err = %v, kind %q; want exception illegal data address", err, Kind(err))
	}
	_, err = b.ReadRegisters(ctx, 3, regmap.Holding, 0, 1)
	if Kind(err) != KindTimeout || !strings.Contains(err.Error(), "rtu://"+busEnd+" unit 3 holding registers 0-0") {
		t.Errorf("unit 3: err = %v, kind %q; want timeout naming bus, unit and range", err, Kind(err))
	}
	_, err = b.ReadRegisters(ctx, 4, regmap.Holding, 0, 1)
	if Kind(err) != KindCRC {
		t.Errorf("unit 4: err = %v, kind %q; want crc", err, Kind(err))
	}
	// After a silent unit and a garbled answer the line is in step again.
	got, err = b.ReadRegisters(ctx, 1, regmap.Holding, 9, 1)
	wantWords(t, got, err, 9)

	reqs, bad := dev.requests()
	if len(reqs) != 6 || bad != 0 {
		t.Fatalf("responder got %d good and %d bad frames, want 6 and 0", len(reqs), bad)
	}
	if want := withCRC([]byte{1, 3, 0x9C, 0x40, 0, 3}); string(reqs[0]) != string(want) {
		t.Errorf("first frame % x, want % x", reqs[0], want)
	}
	if reqs[1][1] != 4 {
		t.Errorf("input registers read with function %d, want 4", reqs[1][1])
	}
}
