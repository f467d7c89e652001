// Package bus is one Modbus link (a TCP connection or an RS-485 serial
// line) shared by the devices on it: it serialises their requests, keeps
// the pause RS-485 units need between them, and reconnects after the link
// dropped. It is the regmap.Reader the presets and SunSpec read through.
//
// The library underneath, github.com/simonvetter/modbus, has neither a
// context nor reconnection; the Bus adds both. Its policy after a failed
// request: an exception answer leaves the link as it is (the device is in
// step); any other failure closes it, and the next request opens it again.
// That resynchronises an RTU line a late answer would otherwise poison
// (the library takes a stray frame as the answer to the next request), and
// it ends a TCP connection a device silently abandoned (an inverter that
// switched Modbus off at night) instead of timing out on it forever.
package bus

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
)

// Bus is an open Modbus bus. It is safe for concurrent use: requests wait
// for each other, one at a time on the wire.
type Bus struct {
	cfg    Config
	client modbus.ClientConfiguration
	log    *slog.Logger

	// sem holds the right to use the fields below and the wire; a channel
	// rather than a mutex so that waiting for it honours a context.
	sem      chan struct{}
	conn     *modbus.ModbusClient // nil while the link is closed
	down     bool                 // the link is known to be broken (logged once)
	used     bool                 // a request was sent before
	lastUnit uint8
	lastEnd  time.Time
	closed   bool
}

// Open checks cfg and returns a Bus for it. It does not connect: the first
// request does, and a device that is off when the agent starts is only a
// failed request, not a failed start. log may be nil.
func Open(cfg Config, log *slog.Logger) (*Bus, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("bus %q: %w", cfg.URL, err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("bus", cfg.URL)
	cc := cfg.clientConfig()
	// The library logs every failure; those go to debug, the Bus logs the
	// state changes.
	cc.Logger = slog.NewLogLogger(log.Handler(), slog.LevelDebug)
	return &Bus{cfg: cfg, client: cc, log: log, sem: make(chan struct{}, 1)}, nil
}

// URL returns the bus's URL as configured.
func (b *Bus) URL() string { return b.cfg.URL }

// ReadRegisters reads qty (1–125) registers from addr on of a unit's
// table. It waits its turn on the bus, and then Pause if the previous
// request went to another unit; it gives up while waiting when ctx ends,
// but a request once sent runs to its answer or Timeout. The error names
// the bus, unit and register range; Kind and ExceptionName classify it.
func (b *Bus) ReadRegisters(ctx context.Context, unit uint8, table regmap.Table, addr, qty uint16) ([]uint16, error) {
	fail := func(err error) ([]uint16, error) {
		return nil, fmt.Errorf("modbus %s unit %d %s registers %d-%d: %w",
			b.cfg.URL, unit, table, addr, int(addr)+int(qty)-1, err)
	}
	var regType modbus.RegType
	switch table {
	case regmap.Holding:
		regType = modbus.HOLDING_REGISTER
	case regmap.Input:
		regType = modbus.INPUT_REGISTER
	default:
		return fail(fmt.Errorf("unknown register table %d", table))
	}
	if qty == 0 || qty > 125 || int(addr)+int(qty) > 0x10000 {
		return fail(fmt.Errorf("cannot read %d registers from %d in one request", qty, addr))
	}

	select {
	case b.sem <- struct{}{}:
	case <-ctx.Done():
		return fail(ctx.Err())
	}
	defer func() { <-b.sem }()
	if b.closed {
		return fail(errClosed)
	}
	if b.used && unit != b.lastUnit && b.cfg.Pause > 0 {
		if wait := time.Until(b.lastEnd.Add(b.cfg.Pause)); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return fail(ctx.Err())
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if err := b.connect(); err != nil {
		return fail(err)
	}

	words, err := b.read(unit, addr, qty, regType)
	b.used, b.lastUnit, b.lastEnd = true, unit, time.Now()
	if err != nil {
		err = asException(err)
		switch Kind(err) {
		case KindException:
		case KindConnection:
			b.disconnect()
			b.setDown(err)
		default:
			b.disconnect()
		}
		return fail(err)
	}
	return words, nil
}

// read runs one request on the open link.
func (b *Bus) read(unit uint8, addr, qty uint16, regType modbus.RegType) ([]uint16, error) {
	if err := b.conn.SetUnitId(unit); err != nil {
		return nil, err
	}
	return b.conn.ReadRegisters(addr, qty, regType)
}

// connect opens the link if it is closed. The caller holds sem.
func (b *Bus) connect() error {
	if b.conn != nil {
		return nil
	}
	cc := b.client
	c, err := modbus.NewClient(&cc)
	if err == nil {
		err = c.Open()
	}
	if err != nil {
		err = &connectError{err: err}
		b.setDown(err)
		return err
	}
	b.conn = c
	if b.down || !b.used {
		b.log.Info("modbus bus connected")
	}
	b.down = false
	return nil
}

// disconnect closes the link; the next request reopens it.
func (b *Bus) disconnect() {
	if b.conn != nil {
		_ = b.conn.Close() // the link is being dropped because it failed
		b.conn = nil
	}
}

// setDown logs a broken link once, not on every failed retry.
func (b *Bus) setDown(err error) {
	if !b.down {
		b.log.Warn("modbus bus unreachable", "err", err)
	}
	b.down = true
}

// Close closes the link, after any request under way. Requests after Close
// fail.
func (b *Bus) Close() error {
	b.sem <- struct{}{}
	defer func() { <-b.sem }()
	b.closed = true
	if b.conn != nil {
		err := b.conn.Close()
		b.conn = nil
		if err != nil {
			return fmt.Errorf("close modbus %s: %w", b.cfg.URL, err)
		}
	}
	return nil
}
