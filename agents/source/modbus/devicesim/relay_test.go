package devicesim

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/simonvetter/modbus"
)

// TestDeadUnit: a dead or absent unit does not answer, and the units
// after it on the same connection do; in gateway mode it answers
// exception 0x0B.
func TestDeadUnit(t *testing.T) {
	f := bghospital(t)
	tests := []struct {
		name    string
		gateway bool
		wantErr error
	}{
		{"silent", false, modbus.ErrRequestTimedOut},
		{"gateway", true, modbus.ErrGWTargetFailedToRespond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, f, Options{Seed: 1, Gateway: tt.gateway})
			c := dial(t, srv, 300*time.Millisecond)
			read := func(unit uint8) error {
				t.Helper()
				c.SetUnitId(unit)
				_, err := c.ReadRegisters(SDMVoltageL1, 2, modbus.INPUT_REGISTER)
				return err
			}
			if err := read(UnitGridMeter); err != nil {
				t.Fatalf("grid meter: %v", err)
			}
			srv.SetDead(UnitGridMeter, true)
			for _, unit := range []uint8{UnitGridMeter, 9} {
				if err := read(unit); !errors.Is(err, tt.wantErr) {
					t.Fatalf("unit %d: %v, want %v", unit, err, tt.wantErr)
				}
				// The inverter on the same connection answers at once.
				start := time.Now()
				readRegs(t, c, UnitInverter, SunSpecBase, 2, modbus.HOLDING_REGISTER)
				if d := time.Since(start); d > 200*time.Millisecond {
					t.Errorf("the inverter took %s after unit %d", d, unit)
				}
			}
			srv.SetDead(UnitGridMeter, false)
			if err := read(UnitGridMeter); err != nil {
				t.Fatalf("grid meter back: %v", err)
			}
		})
	}
}

// TestNight: the server goes dark (connections dropped, new ones refused)
// and comes back on the same address.
func TestNight(t *testing.T) {
	srv := startServer(t, bghospital(t), Options{Seed: 1})
	addr := srv.Addr()
	c := dial(t, srv, 300*time.Millisecond)
	readRegs(t, c, UnitInverter, SunSpecBase, 2, modbus.HOLDING_REGISTER)

	if err := srv.GoDark(); err != nil {
		t.Fatal(err)
	}
	c.SetUnitId(UnitInverter)
	if _, err := c.ReadRegisters(SunSpecBase, 2, modbus.HOLDING_REGISTER); err == nil {
		t.Fatal("read on a dropped connection succeeded")
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("a dark server accepted a connection")
	}
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if srv.Addr() != addr {
		t.Fatalf("back on %s, want %s", srv.Addr(), addr)
	}
	c.Close()
	if err := c.Open(); err != nil {
		t.Fatalf("reconnect: %v", err)
	}
	if w := readRegs(t, c, UnitInverter, SunSpecBase, 2, modbus.HOLDING_REGISTER); w[0] != 0x5375 {
		t.Fatalf("after restart the marker reads %#04x", w[0])
	}
}
