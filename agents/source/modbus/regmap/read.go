package regmap

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// Reader reads qty registers from addr on of a unit's table. A bus
// implements it; tests use an in-memory image.
type Reader interface {
	ReadRegisters(ctx context.Context, unit uint8, table Table, addr, qty uint16) ([]uint16, error)
}

// Request limits: a Modbus read carries at most 125 registers, and a gap of
// up to maxGap unused registers is cheaper to read than a second request.
const (
	maxWords = 125
	maxGap   = 8
)

// span is one read request and the registers it serves.
type span struct {
	table Table
	addr  uint16
	qty   uint16
	regs  []Register
}

// plan groups registers of the same table that are contiguous or near
// (a gap of at most maxGap words) into requests of at most maxWords words.
func plan(regs []Register) []span {
	sorted := append([]Register(nil), regs...)
	sort.SliceStable(sorted, func(i, j int) bool {
		if sorted[i].Table != sorted[j].Table {
			return sorted[i].Table < sorted[j].Table
		}
		return sorted[i].Address < sorted[j].Address
	})
	var spans []span
	for _, r := range sorted {
		start, end := int(r.Address), int(r.Address)+r.Words() // end exclusive
		if n := len(spans); n > 0 {
			s := &spans[n-1]
			sEnd := int(s.addr) + int(s.qty)
			if s.table == r.Table && start-sEnd <= maxGap && max(end, sEnd)-int(s.addr) <= maxWords {
				s.qty = uint16(max(end, sEnd) - int(s.addr))
				s.regs = append(s.regs, r)
				continue
			}
		}
		spans = append(spans, span{table: r.Table, addr: r.Address, qty: uint16(end - start), regs: []Register{r}})
	}
	return spans
}

// Read reads regs from a unit in few requests (see plan) and decodes them.
// values holds each decoded value by Field; skipped lists, in address
// order, the Fields whose registers held a "not implemented" sentinel.
// Read stops at the first failed request and returns what it decoded
// before it with the error, which names the table and address range; a
// dead unit thus costs one timeout, not one per request. A request the
// device refuses with "illegal data address" is asked again register by
// register, and a register it refuses alone is listed in skipped. An invalid
// register (see Register.Validate) is an error before any request. Read
// is safe for concurrent use if r is.
func Read(ctx context.Context, r Reader, unit uint8, regs []Register) (values map[string]float64, skipped []string, err error) {
	for _, reg := range regs {
		if err := reg.Validate(); err != nil {
			return nil, nil, err
		}
	}
	values = make(map[string]float64, len(regs))
	for _, s := range plan(regs) {
		if err := ctx.Err(); err != nil {
			return values, skipped, err
		}
		words, err := readSpan(ctx, r, unit, s)
		if err != nil && len(s.regs) > 1 && refusedAddress(err) {
			// A device with holes in its map refuses a read across them
			// ("illegal data address"): ask for each register alone. One
			// it refuses alone it does not have, which is what "not
			// implemented" means too: skipped, and the others kept.
			for _, reg := range s.regs {
				one := span{table: s.table, addr: reg.Address, qty: uint16(reg.Words()), regs: []Register{reg}}
				w, err := readSpan(ctx, r, unit, one)
				switch {
				case err != nil && refusedAddress(err):
					skipped = append(skipped, reg.Field)
				case err != nil:
					return values, skipped, err
				default:
					decodeInto(values, &skipped, one, w)
				}
			}
			continue
		}
		if err != nil {
			return values, skipped, err
		}
		decodeInto(values, &skipped, s, words)
	}
	return values, skipped, nil
}

// readSpan asks for one span; the error names the unit, table and range.
func readSpan(ctx context.Context, r Reader, unit uint8, s span) ([]uint16, error) {
	words, err := r.ReadRegisters(ctx, unit, s.table, s.addr, s.qty)
	if err == nil && len(words) != int(s.qty) {
		err = fmt.Errorf("got %d registers, asked for %d", len(words), s.qty)
	}
	if err != nil {
		return nil, fmt.Errorf("read unit %d %s registers %d-%d: %w",
			unit, s.table, s.addr, int(s.addr)+int(s.qty)-1, err)
	}
	return words, nil
}

// refusedAddress reports whether err is a device's "illegal data address"
// exception; the bus's exception errors say so.
func refusedAddress(err error) bool {
	var e interface{ RefusedAddress() bool }
	return errors.As(err, &e) && e.RefusedAddress()
}

// decodeInto decodes the words read for s into values, listing
// not-implemented fields in skipped.
func decodeInto(values map[string]float64, skipped *[]string, s span, words []uint16) {
	for _, reg := range s.regs {
		off := int(reg.Address - s.addr)
		if v, ok := reg.Decode(words[off : off+reg.Words()]); ok {
			values[reg.Field] = v
		} else {
			*skipped = append(*skipped, reg.Field)
		}
	}
}
