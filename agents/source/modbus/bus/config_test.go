package bus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/simonvetter/modbus"
)

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // substring; "" means valid
	}{
		{"tcp", Config{URL: "tcp://192.168.1.20:502"}, ""},
		{"tcp default port", Config{URL: "tcp://inverter.local"}, ""},
		{"tcp ipv6", Config{URL: "tcp://[::1]:1502", Timeout: 3 * time.Second}, ""},
		{"tcp scheme in capitals", Config{URL: "TCP://10.0.0.1:502"}, ""},
		{"rtu", Config{URL: "rtu:///dev/ttyUSB0", Baud: 9600, Parity: "Even", StopBits: 1, DataBits: 8, Pause: 50 * time.Millisecond}, ""},
		{"rtu defaults", Config{URL: "rtu:///dev/serial/by-id/usb-FTDI-if00"}, ""},
		{"no url", Config{}, `url: "" is not tcp://host:port`},
		{"no scheme", Config{URL: "192.168.1.20:502"}, "url:"},
		{"bad scheme", Config{URL: "udp://1.2.3.4:502"}, `scheme "udp" is not tcp or rtu`},
		{"tcp no host", Config{URL: "tcp://:502"}, "has no host"},
		{"tcp bad port", Config{URL: "tcp://host:http"}, `port "http" is not a number`},
		{"tcp port 0", Config{URL: "tcp://host:0"}, "port"},
		{"tcp path", Config{URL: "tcp://host:502/x"}, "want tcp://host:port"},
		{"rtu relative path", Config{URL: "rtu://dev/ttyUSB0"}, "absolute path"},
		{"rtu no path", Config{URL: "rtu://"}, "absolute path"},
		{"baud on tcp", Config{URL: "tcp://h:502", Baud: 9600}, "baud: is a serial setting"},
		{"parity on tcp", Config{URL: "tcp://h:502", Parity: "none"}, "parity: is a serial setting"},
		{"bad baud", Config{URL: "rtu:///dev/ttyS0", Baud: 9601}, "baud: 9601 is not one of"},
		{"bad data bits", Config{URL: "rtu:///dev/ttyS0", DataBits: 9}, "data_bits: 9"},
		{"bad parity", Config{URL: "rtu:///dev/ttyS0", Parity: "mark"}, `parity: "mark" is not one of none, even, odd`},
		{"bad stop bits", Config{URL: "rtu:///dev/ttyS0", StopBits: 3}, "stop_bits: 3"},
		{"negative timeout", Config{URL: "tcp://h:502", Timeout: -time.Second}, "timeout: -1s"},
		{"huge timeout", Config{URL: "tcp://h:502", Timeout: time.Hour}, "timeout: 1h0m0s"},
		{"negative pause", Config{URL: "tcp://h:502", Pause: -1}, "pause:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.wantErr)
			}
			if _, err2 := Open(tt.cfg, nil); (err2 == nil) != (err == nil) {
				t.Errorf("Open() = %v, Validate() = %v", err2, err)
			}
		})
	}
}

func TestClientConfig(t *testing.T) {
	tests := []struct {
		cfg  Config
		want modbus.ClientConfiguration
	}{
		{Config{URL: "tcp://inverter:1502"}, modbus.ClientConfiguration{URL: "tcp://inverter:1502", Timeout: time.Second}},
		{Config{URL: "tcp://inverter"}, modbus.ClientConfiguration{URL: "tcp://inverter:502", Timeout: time.Second}},
		{Config{URL: "rtu:///dev/ttyUSB0"}, modbus.ClientConfiguration{URL: "rtu:///dev/ttyUSB0", Timeout: time.Second,
			Speed: 9600, DataBits: 8, Parity: modbus.PARITY_NONE, StopBits: 1}},
		{Config{URL: "rtu:///dev/ttyAMA0", Baud: 19200, DataBits: 7, Parity: "EVEN", StopBits: 2, Timeout: 300 * time.Millisecond},
			modbus.ClientConfiguration{URL: "rtu:///dev/ttyAMA0", Timeout: 300 * time.Millisecond,
				Speed: 19200, DataBits: 7, Parity: modbus.PARITY_EVEN, StopBits: 2}},
		{Config{URL: "rtu:///dev/pts/7", Parity: "odd"}, modbus.ClientConfiguration{URL: "rtu:///dev/pts/7", Timeout: time.Second,
			Speed: 9600, DataBits: 8, Parity: modbus.PARITY_ODD, StopBits: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.cfg.URL, func(t *testing.T) {
			if got := tt.cfg.clientConfig(); fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("clientConfig() = %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestKind(t *testing.T) {
	opErr := &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{asException(modbus.ErrIllegalDataValue), KindException},
		{asException(fmt.Errorf("unknown exception code (%v)", 12)), KindException},
		{fmt.Errorf("wrapped: %w", asException(modbus.ErrServerDeviceBusy)), KindException},
		{modbus.ErrRequestTimedOut, KindTimeout},
		{os.ErrDeadlineExceeded, KindTimeout},
		{context.DeadlineExceeded, KindTimeout},
		{&connectError{err: os.ErrDeadlineExceeded}, KindConnection},
		{modbus.ErrBadCRC, KindCRC},
		{modbus.ErrShortFrame, KindProtocol},
		{modbus.ErrProtocolError, KindProtocol},
		{modbus.ErrBadUnitId, KindProtocol},
		{modbus.ErrBadTransactionId, KindProtocol},
		{io.EOF, KindConnection},
		{io.ErrUnexpectedEOF, KindConnection},
		{opErr, KindConnection},
		{syscall.EPIPE, KindConnection},
		{syscall.EIO, KindConnection},
		{context.Canceled, KindOther},
		{modbus.ErrUnexpectedParameters, KindOther},
		{errClosed, KindOther},
		{errors.New("something"), KindOther},
	}
	for _, tt := range tests {
		if got := Kind(tt.err); got != tt.want {
			t.Errorf("Kind(%v) = %q, want %q", tt.err, got, tt.want)
		}
		if got := Kind(tt.err); got != "" && !slices.Contains(Kinds(), got) {
			t.Errorf("Kind(%v) = %q is not in Kinds()", tt.err, got)
		}
	}
}

func TestExceptionName(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{asException(modbus.ErrIllegalFunction), "illegal function"},
		{asException(modbus.ErrIllegalDataAddress), "illegal data address"},
		{asException(modbus.ErrAcknowledge), "acknowledge"},
		{asException(modbus.ErrGWPathUnavailable), "gateway path unavailable"},
		{asException(fmt.Errorf("unknown exception code (%v)", 12)), "exception code 12"},
		{modbus.ErrRequestTimedOut, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := ExceptionName(tt.err); got != tt.want {
			t.Errorf("ExceptionName(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// FuzzValidate checks that a bus URL from a config file never panics the
// parser, and that a valid one reaches the library as a URL that is valid
// too.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{"tcp://192.168.1.20:502", "tcp://[::1]", "rtu:///dev/ttyUSB0", "rtu://", "tcp://:0", "x://y", "tcp://[::1"} {
		f.Add(s, 9600, "even")
	}
	f.Fuzz(func(t *testing.T, url string, baud int, parity string) {
		cfg := Config{URL: url}
		if strings.HasPrefix(strings.ToLower(url), "rtu") {
			cfg.Baud, cfg.Parity = baud, parity
		}
		if cfg.Validate() != nil {
			return
		}
		cc := cfg.clientConfig()
		if err := (Config{URL: cc.URL}).Validate(); err != nil {
			t.Fatalf("%q is valid but becomes %q: %v", url, cc.URL, err)
		}
		if _, err := modbus.NewClient(&cc); err != nil {
			t.Fatalf("%q is valid but the library refuses %q: %v", url, cc.URL, err)
		}
	})
}
