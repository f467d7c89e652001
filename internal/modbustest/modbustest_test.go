package modbustest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
)

func TestServer(t *testing.T) {
	holding := Registers{0: 1, 1: 2}
	s := Start(t, map[uint8]Image{7: {Holding: holding, Input: Registers{10: 0xABCD}}})
	holding[0] = 99 // Start served a copy
	r := s.Reader(t)
	ctx := context.Background()

	read := func(unit uint8, table regmap.Table, addr, qty uint16, want []uint16, wantErr error) {
		t.Helper()
		got, err := r.ReadRegisters(ctx, unit, table, addr, qty)
		if !errors.Is(err, wantErr) || !slices.Equal(got, want) {
			t.Errorf("unit %d %s %d+%d: %v, %v; want %v, %v", unit, table, addr, qty, got, err, want, wantErr)
		}
	}
	read(7, regmap.Holding, 0, 2, []uint16{1, 2}, nil)
	read(7, regmap.Input, 10, 1, []uint16{0xABCD}, nil)
	read(7, regmap.Holding, 1, 2, nil, modbus.ErrIllegalDataAddress) // partly outside
	read(7, regmap.Input, 0, 1, nil, modbus.ErrIllegalDataAddress)
	read(8, regmap.Holding, 0, 1, nil, modbus.ErrGWTargetFailedToRespond)

	s.Set(7, regmap.Holding, 1, 5, 6)
	s.Set(9, regmap.Input, 0, 3) // a unit not served yet
	read(7, regmap.Holding, 0, 3, []uint16{1, 5, 6}, nil)
	read(9, regmap.Input, 0, 1, []uint16{3}, nil)
	if n := s.Requests(); n != 7 {
		t.Errorf("Requests() = %d, want 7", n)
	}
}

func TestRegistersRead(t *testing.T) {
	r := Registers{0xFFFF: 1, 0: 2}
	if _, err := r.Read(0xFFFF, 2); !errors.Is(err, modbus.ErrIllegalDataAddress) {
		t.Errorf("a read past 0xFFFF gave %v, want illegal data address (no wrap to 0)", err)
	}
	if got, err := r.Read(0xFFFF, 1); err != nil || !slices.Equal(got, []uint16{1}) {
		t.Errorf("Read(0xFFFF, 1) = %v, %v", got, err)
	}
}
