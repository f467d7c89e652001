// Package sunspec finds a SunSpec device's register map and reads what
// GreenPulse needs from it: an inverter's yield and power (solar stream), a
// meter's imported energy and power (energy stream) and a battery's state
// of charge (solar stream).
//
// Discovery follows the SunSpec Modbus specification: the marker "SunS"
// (0x5375 0x6e53) at holding register 40000, 50000 or 0, then a chain of
// models, each a header of two registers (ID, L) followed by L registers of
// data, ending with ID 0xFFFF. The first model is the common model 1
// (maker, model, version, serial).
//
// Point offsets below are offsets into a model's data (after ID and L) and
// come from the SunSpec model definitions in github.com/sunspec/models
// (json/model_<id>.json and smdx/smdx_<id>.xml). "Not implemented" values
// are those of the SunSpec Information Model: int16 0x8000, uint16 0xFFFF,
// acc32 0, sunssf 0x8000, float32 NaN (0x7FC00000); such a point is
// skipped, never read as 0.
package sunspec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
)

// The marker words "Su" "nS" that open a SunSpec register map.
const (
	markerHi = 0x5375
	markerLo = 0x6e53
)

// endID is the model ID that ends the model chain.
const endID = 0xFFFF

// maxModels bounds the chain walk: a real device has a few dozen models at
// most, so a longer chain is broken (or a register image of garbage).
const maxModels = 256

// maxRead is the most registers one Modbus read request may carry.
const maxRead = 125

// Bases lists the holding register addresses where Discover looks for the
// marker, in the order the SunSpec specification gives them.
func Bases() []uint16 { return []uint16{40000, 50000, 0} }

// ErrNotSunSpec is returned (wrapped) by Discover when no base holds the
// SunS marker.
var ErrNotSunSpec = errors.New("no SunS marker at holding register 40000, 50000 or 0")

// ErrBrokenChain is returned (wrapped) by Discover when the model chain does
// not end properly: a model ID 0, a model that runs past register 65535, or
// more than maxModels models. The Device returned with it holds the models
// found before the break.
var ErrBrokenChain = errors.New("broken SunSpec model chain")

// Common is the identity of a device from common model 1.
type Common struct {
	Manufacturer string // Mn
	Model        string // Md
	Version      string // Vr
	Serial       string // SN
}

// Model is one model of a device's chain.
type Model struct {
	ID   uint16
	Addr uint16 // first data register, just after the ID and L header
	Len  uint16 // L: registers of data
}

// Device is a discovered SunSpec register map. It is a plain value, safe
// for concurrent use once built.
type Device struct {
	Base   uint16 // where the SunS marker is
	Common Common
	Models []Model // in chain order, common model 1 first
}

// ModelIDs lists the IDs of the device's models in chain order.
func (d Device) ModelIDs() []uint16 {
	ids := make([]uint16, len(d.Models))
	for i, m := range d.Models {
		ids[i] = m.ID
	}
	return ids
}

// Discover finds the SunS marker of a unit and walks its model chain. A
// base that the device refuses with a Modbus exception (illegal data
// address and the like) is not SunSpec; any other read error (a timeout, a
// dropped connection) ends the discovery at once, so a dead unit costs one
// timeout, not three. A chain that ends with such an exception instead of
// the end model is accepted as ended: some devices omit the end marker.
// See ErrNotSunSpec and ErrBrokenChain for the other outcomes. Discover is
// safe for concurrent use if r is.
func Discover(ctx context.Context, r regmap.Reader, unit uint8) (Device, error) {
	for _, base := range Bases() {
		w, err := r.ReadRegisters(ctx, unit, regmap.Holding, base, 2)
		if err != nil {
			if refused(err) {
				continue
			}
			return Device{}, fmt.Errorf("sunspec unit %d: probe holding register %d: %w", unit, base, err)
		}
		if len(w) == 2 && w[0] == markerHi && w[1] == markerLo {
			return walk(ctx, r, unit, base)
		}
	}
	return Device{}, fmt.Errorf("sunspec unit %d: %w", unit, ErrNotSunSpec)
}

// refused reports whether err is a Modbus exception by which the device
// says it has no such registers: the device is alive, the address is not
// there.
func refused(err error) bool {
	for _, e := range []error{
		modbus.ErrIllegalDataAddress, modbus.ErrIllegalFunction,
		modbus.ErrIllegalDataValue, modbus.ErrServerDeviceFailure,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func walk(ctx context.Context, r regmap.Reader, unit uint8, base uint16) (Device, error) {
	d := Device{Base: base}
	broken := func(format string, a ...any) (Device, error) {
		return d, fmt.Errorf("sunspec unit %d (base %d): %w: %s", unit, base, ErrBrokenChain, fmt.Sprintf(format, a...))
	}
	addr := int(base) + 2
	for {
		if len(d.Models) == maxModels {
			return broken("more than %d models", maxModels)
		}
		if addr+2 > 0x10000 {
			return broken("model header at %d runs past register 65535", addr)
		}
		h, err := r.ReadRegisters(ctx, unit, regmap.Holding, uint16(addr), 2)
		if err == nil && len(h) != 2 {
			err = fmt.Errorf("got %d registers, asked for 2", len(h))
		}
		if err != nil {
			if refused(err) && len(d.Models) > 0 {
				break // no end marker; the map simply stops here
			}
			return d, fmt.Errorf("sunspec unit %d: read model header at %d: %w", unit, addr, err)
		}
		id, l := h[0], h[1]
		if id == endID {
			break
		}
		if id == 0 {
			return broken("model ID 0 at %d", addr)
		}
		if len(d.Models) == 0 && id != 1 {
			return d, fmt.Errorf("sunspec unit %d: first model at %d is %d, not common model 1", unit, addr, id)
		}
		data := addr + 2
		if data+int(l) > 0x10000 {
			return broken("model %d at %d with length %d runs past register 65535", id, addr, l)
		}
		d.Models = append(d.Models, Model{ID: id, Addr: uint16(data), Len: l})
		addr = data + int(l)
	}
	if len(d.Models) == 0 {
		return broken("end model right after the marker, no common model")
	}
	c, err := readCommon(ctx, r, unit, d.Models[0])
	if err != nil {
		return d, err
	}
	d.Common = c
	return d, nil
}

// Common model 1 data offsets and sizes (json/model_1.json): Mn 0 (16
// registers), Md 16 (16), Opt 32 (8), Vr 40 (8), SN 48 (16), DA 64, Pad 65.
// L is 66, or 65 on devices without the pad (e.g. SolarEdge).
const commonWords = 64

func readCommon(ctx context.Context, r regmap.Reader, unit uint8, m Model) (Common, error) {
	n := min(int(m.Len), commonWords)
	if n == 0 {
		return Common{}, nil
	}
	w, err := r.ReadRegisters(ctx, unit, regmap.Holding, m.Addr, uint16(n))
	if err == nil && len(w) != n {
		err = fmt.Errorf("got %d registers, asked for %d", len(w), n)
	}
	if err != nil {
		return Common{}, fmt.Errorf("sunspec unit %d: read common model at %d: %w", unit, m.Addr, err)
	}
	str := func(off, size int) string {
		if off >= len(w) {
			return ""
		}
		return decodeString(w[off:min(off+size, len(w))])
	}
	return Common{
		Manufacturer: str(0, 16),
		Model:        str(16, 16),
		Version:      str(40, 8),
		Serial:       str(48, 16),
	}, nil
}

// decodeString turns a SunSpec string point (two bytes a register, high
// byte first, padded with NULs or spaces) into text.
func decodeString(words []uint16) string {
	b := make([]byte, 0, 2*len(words))
	for _, w := range words {
		b = append(b, byte(w>>8), byte(w))
	}
	if i := strings.IndexByte(string(b), 0); i >= 0 {
		b = b[:i]
	}
	s := strings.TrimSpace(string(b))
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	return s
}
