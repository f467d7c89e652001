package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/simonvetter/modbus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/devicesim"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// TestSimulateDevice starts the command on a free port, reads the
// inverter's SunSpec marker and the grid meter's voltage, and stops it.
func TestSimulateDevice(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log testenv.SyncBuffer
	started := make(chan *devicesim.Server, 1)
	done := make(chan error, 1)
	go func() {
		done <- serveDevice(ctx, []string{"--listen", "127.0.0.1:0", "--facility", "BG-H-001",
			"--registry", "../../configs/facilities.csv"}, &log, func(s *devicesim.Server) { started <- s })
	}()
	var srv *devicesim.Server
	select {
	case srv = <-started:
	case err := <-done:
		t.Fatalf("simulate-device ended before listening: %v\n%s", err, log.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("simulate-device did not start\n%s", log.String())
	}

	c, err := modbus.NewClient(&modbus.ClientConfiguration{URL: srv.URL(), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetUnitId(devicesim.UnitInverter)
	if w, err := c.ReadRegisters(devicesim.SunSpecBase, 2, modbus.HOLDING_REGISTER); err != nil || w[0] != 0x5375 || w[1] != 0x6E53 {
		t.Fatalf("inverter marker %v (%v), want SunS", w, err)
	}
	c.SetUnitId(devicesim.UnitGridMeter)
	if v, err := c.ReadFloat32(devicesim.SDMVoltageL1, modbus.INPUT_REGISTER); err != nil || (v != 0 && v != 230) {
		t.Fatalf("grid voltage %v (%v), want 230 or 0", v, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("simulate-device: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("simulate-device did not stop")
	}
	for _, want := range []string{"unit=1 device=\"sunspec inverter\"", "unit=2 device=\"sdm630 grid meter\"", "facility=BG-H-001"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

func TestSimulateDeviceFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no facility", []string{"simulate-device"}, "--facility is required"},
		{"unknown facility", []string{"simulate-device", "--facility", "XX-H-999", "--registry", "../../configs/facilities.csv"},
			`"XX-H-999" is not in the registry`},
		{"bad level", []string{"simulate-device", "--facility", "BG-H-001", "--log-level", "loud"}, `--log-level: "loud"`},
		{"stray argument", []string{"simulate-device", "--facility", "BG-H-001", "now"}, `unexpected argument "now"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(tt.args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
