package bus

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/simonvetter/modbus"
)

// The kinds of a failed request, as Kind returns them; a fixed set, fit
// for a metric label.
const (
	KindTimeout    = "timeout"    // no (complete) answer within Timeout
	KindException  = "exception"  // the device answered with a Modbus exception
	KindConnection = "connection" // the link could not be opened or broke
	KindCRC        = "crc"        // an RTU frame with a bad checksum
	KindProtocol   = "protocol"   // a malformed or unexpected answer
	KindOther      = "other"
)

// Kinds returns every kind Kind can return, to initialise metric labels.
func Kinds() []string {
	return []string{KindTimeout, KindException, KindConnection, KindCRC, KindProtocol, KindOther}
}

// ExceptionError is a Modbus exception response: the device understood the
// request and refused it. Code is the exception code of the spec.
type ExceptionError struct {
	Code uint8
	err  error // the library's error, for errors.Is(err, modbus.ErrIllegalDataAddress)
}

// exceptionNames are the exception codes of the Modbus application
// protocol spec v1.1b3, section 7.
var exceptionNames = map[uint8]string{
	0x01: "illegal function",
	0x02: "illegal data address",
	0x03: "illegal data value",
	0x04: "server device failure",
	0x05: "acknowledge",
	0x06: "server device busy",
	0x08: "memory parity error",
	0x0A: "gateway path unavailable",
	0x0B: "gateway target device failed to respond",
}

// Name returns the exception's name from the spec, e.g. "illegal data
// address".
func (e *ExceptionError) Name() string {
	if n, ok := exceptionNames[e.Code]; ok {
		return n
	}
	return fmt.Sprintf("exception code %d", e.Code)
}

func (e *ExceptionError) Error() string {
	return fmt.Sprintf("modbus exception %d (%s)", e.Code, e.Name())
}

func (e *ExceptionError) Unwrap() error { return e.err }

// RefusedAddress reports whether the device said it has no such register
// (exception 2), so that regmap can read a map with holes register by
// register.
func (e *ExceptionError) RefusedAddress() bool { return e.Code == 0x02 }

// libraryExceptions maps the library's exception errors back to codes.
var libraryExceptions = map[error]uint8{
	modbus.ErrIllegalFunction:         0x01,
	modbus.ErrIllegalDataAddress:      0x02,
	modbus.ErrIllegalDataValue:        0x03,
	modbus.ErrServerDeviceFailure:     0x04,
	modbus.ErrAcknowledge:             0x05,
	modbus.ErrServerDeviceBusy:        0x06,
	modbus.ErrMemoryParityError:       0x08,
	modbus.ErrGWPathUnavailable:       0x0A,
	modbus.ErrGWTargetFailedToRespond: 0x0B,
}

// asException turns the library's error for an exception response into an
// *ExceptionError and returns other errors as they are.
func asException(err error) error {
	var me modbus.Error
	if errors.As(err, &me) {
		if code, ok := libraryExceptions[me]; ok {
			return &ExceptionError{Code: code, err: err}
		}
		return err
	}
	// The library reports codes it does not know with a formatted string.
	var code uint8
	if _, scanErr := fmt.Sscanf(err.Error(), "unknown exception code (%d)", &code); scanErr == nil {
		return &ExceptionError{Code: code, err: err}
	}
	return err
}

// ExceptionName returns the name of the Modbus exception err holds (e.g.
// "illegal data address"), or "" when err is not an exception response.
func ExceptionName(err error) string {
	var e *ExceptionError
	if errors.As(err, &e) {
		return e.Name()
	}
	return ""
}

// connectError is a failure to open the link; whatever the cause (a dial
// timeout included), its kind is connection.
type connectError struct{ err error }

func (e *connectError) Error() string { return "connect: " + e.err.Error() }
func (e *connectError) Unwrap() error { return e.err }

// errClosed is returned by a Bus after Close.
var errClosed = errors.New("bus closed")

// Kind classifies a request's error into one of Kinds: "timeout",
// "exception", "connection", "crc", "protocol" or "other".
func Kind(err error) string {
	var ce *connectError
	var ex *ExceptionError
	var ne net.Error
	var pe *os.PathError
	var oe *net.OpError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ex):
		return KindException
	case errors.As(err, &ce):
		return KindConnection
	case errors.Is(err, modbus.ErrRequestTimedOut), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return KindTimeout
	case errors.Is(err, modbus.ErrBadCRC):
		return KindCRC
	case errors.Is(err, modbus.ErrProtocolError), errors.Is(err, modbus.ErrShortFrame),
		errors.Is(err, modbus.ErrBadUnitId), errors.Is(err, modbus.ErrBadTransactionId),
		errors.Is(err, modbus.ErrUnknownProtocolId):
		return KindProtocol
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.EIO), errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.ENODEV),
		errors.As(err, &oe), errors.As(err, &pe):
		return KindConnection
	}
	// A library error we do not know stays other; so do a cancelled ctx and
	// a closed Bus.
	return KindOther
}
