package config

import (
	"math"
	"strings"
	"testing"
	"time"
)

// modbusYAML is an agent config whose one bus holds the given device.
func modbusYAML(bus, device string) string {
	return "facility: F\nsources:\n  modbus:\n    buses:\n      - " + bus + "\n        devices:\n          - " + device + "\n"
}

func TestModbusValidationNamesTheKey(t *testing.T) {
	const tcp = "url: tcp://127.0.0.1:502"
	const grid = "{name: grid, unit: 1, preset: sdm630, stream: energy, source: grid}"
	tests := []struct {
		name, bus, device, key string
	}{
		{"no url", "timeout: 1s", grid, "sources.modbus.buses[0].url"},
		{"udp scheme", "url: udp://x:502", grid, "sources.modbus.buses[0]: url"},
		{"tcp with a path", "url: tcp://meter/x", grid, "sources.modbus.buses[0]: url"},
		{"rtu without path", "url: 'rtu://'", grid, "sources.modbus.buses[0]: url"},
		{"rtu parity", "url: 'rtu:///dev/ttyUSB0'\n        parity: mark", grid, "sources.modbus.buses[0]: parity"},
		{"rtu baud", "url: 'rtu:///dev/ttyUSB0'\n        baud: 12", grid, "sources.modbus.buses[0]: baud"},
		{"negative timeout", tcp + "\n        timeout: -1s", grid, "sources.modbus.buses[0]: timeout"},
		{"unknown preset", tcp, "{name: m, unit: 1, preset: sdm999, stream: energy, source: grid}", "devices[0].preset"},
		{"preset and registers", tcp, "{name: m, unit: 1, preset: sdm630, stream: energy, source: grid, registers: [{field: kwh_total, register: input, address: 72, type: float32}]}", "devices[0].registers"},
		{"neither", tcp, "{name: m, unit: 1, stream: energy, source: grid}", "devices[0]: give a preset"},
		{"unit too high", tcp, "{name: m, unit: 300, preset: sdm630, stream: energy, source: grid}", "devices[0].unit"},
		{"broadcast unit on rs-485", "url: 'rtu:///dev/ttyUSB0'", "{name: m, unit: 0, preset: sdm630, stream: energy, source: grid}", "devices[0].unit: must be 1 to 247"},
		{"no source", tcp, "{name: m, unit: 1, preset: sdm630, stream: energy}", "devices[0].source"},
		{"meter on solar", tcp, "{name: m, unit: 1, preset: sdm120, stream: solar}", "devices[0].stream"},
		{"gencomm needs a tank", tcp, "{name: g, unit: 1, preset: gencomm, stream: energy, source: generator}", "devices[0].tank_litres"},
		{"bad device name", tcp, "{name: 'a b', unit: 1, preset: sdm630, stream: energy, source: grid}", "devices[0].name"},
		{"interval too short", tcp, "{name: m, unit: 1, preset: sdm630, stream: energy, source: grid, interval: 10ms}", "devices[0].interval"},
		{"bad register type", tcp, "{name: m, unit: 1, stream: energy, source: grid, registers: [{field: kwh_total, register: input, address: 72, type: float33}]}", "registers[0]: type"},
		{"bad register table", tcp, "{name: m, unit: 1, stream: energy, source: grid, registers: [{field: kwh_total, register: coil, address: 72, type: float32}]}", "registers[0]: register"},
		{"bad order", tcp, "{name: m, unit: 1, stream: energy, source: grid, registers: [{field: kwh_total, register: input, address: 72, type: float32, order: ACBD}]}", "registers[0]: order"},
		{"address out of range", tcp, "{name: m, unit: 1, stream: energy, source: grid, registers: [{field: kwh_total, register: input, address: 70000, type: float32}]}", "registers[0]: address"},
		{"field of another stream", tcp, "{name: m, unit: 1, stream: solar, registers: [{field: kwh_total, register: input, address: 0, type: float32}, {field: fuel_l_total, register: input, address: 2, type: float32}]}", "registers[1].field"},
		{"no counter", tcp, "{name: m, unit: 1, stream: energy, source: grid, registers: [{field: power_w, register: input, address: 52, type: float32}]}", "must read kwh_total"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(modbusYAML(tt.bus, tt.device)))
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("error %v does not name %q", err, tt.key)
			}
		})
	}
}

func TestModbusDuplicateDeviceNames(t *testing.T) {
	y := "facility: F\nsources:\n  modbus:\n    buses:\n" +
		"      - {url: tcp://127.0.0.1:502, devices: [{name: grid, unit: 1, preset: sdm630, stream: energy, source: grid}]}\n" +
		"      - {url: tcp://127.0.0.1:503, devices: [{name: grid, unit: 2, preset: sdm120, stream: energy, source: grid}]}\n"
	_, err := Parse([]byte(y))
	if err == nil || !strings.Contains(err.Error(), "buses[1].devices[0].name") || !strings.Contains(err.Error(), "buses[0].devices[0]") {
		t.Fatalf("error %v does not name both devices", err)
	}
}

func TestModbusTwoDevicesOnOneSeries(t *testing.T) {
	y := "facility: F\nsources:\n  modbus:\n    buses:\n" +
		"      - {url: tcp://127.0.0.1:502, devices: [{name: a, unit: 1, preset: sdm630, stream: energy, source: grid}]}\n" +
		"      - {url: tcp://127.0.0.1:503, devices: [{name: b, unit: 255, preset: sdm120, stream: energy, source: grid},\n" +
		"          {name: c, unit: 2, preset: sdm120, stream: energy, source: grid, meter: annex}]}\n"
	_, err := Parse([]byte(y))
	if err == nil || !strings.Contains(err.Error(), "buses[1].devices[0]: feeds the same series as sources.modbus.buses[0].devices[0]") {
		t.Fatalf("error %v does not name the two devices on the main grid meter's series", err)
	}
	if strings.Contains(err.Error(), "devices[1]") || strings.Contains(err.Error(), ".unit") {
		t.Errorf("error %v blames a device with its own meter tag, or unit 255 on TCP", err)
	}
}

func TestModbusDefaults(t *testing.T) {
	y := "facility: F\nsources:\n  modbus:\n    buses:\n" +
		"      - url: 'rtu:///dev/ttyUSB0'\n        devices:\n" +
		"          - {name: grid, unit: 1, preset: sdm630, stream: energy, source: grid}\n" +
		"          - {name: pv, unit: 2, preset: sunspec}\n"
	cfg, err := Parse([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Sources.Modbus.Buses[0]
	// The serial settings' defaults (9600 8N1) are the bus's own.
	if b.Timeout != DefaultModbusTimeout || b.Pause != DefaultModbusPause {
		t.Errorf("bus defaults: %+v", b)
	}
	grid, pv := b.Devices[0], b.Devices[1]
	if grid.Meter != "main" || grid.Interval != 10*time.Second || grid.MinVoltage != DefaultMinVoltage {
		t.Errorf("meter defaults: %+v", grid)
	}
	if pv.Stream != "solar" || pv.Inverter != "main" {
		t.Errorf("a sunspec device defaults to the solar stream's main inverter: %+v", pv)
	}
}

func TestSimulatorAndDevicesOnOneStream(t *testing.T) {
	devices := "  modbus:\n    buses:\n      - {url: tcp://127.0.0.1:502, devices: [{name: grid, unit: 1, preset: sdm630, stream: energy, source: grid}]}\n"
	tests := []struct {
		simulate string
		wantErr  bool
	}{
		{"{enabled: true}", true},
		{"{enabled: true, streams: [energy, waste]}", true},
		{"{enabled: true, streams: [waste, solar]}", false},
		{"{enabled: false}", false},
	}
	for _, tt := range tests {
		_, err := Parse([]byte("facility: F\nsources:\n  simulate: " + tt.simulate + "\n" + devices))
		if got := err != nil && strings.Contains(err.Error(), "sources.simulate.streams: the simulator and Modbus devices would both make energy readings"); got != tt.wantErr {
			t.Errorf("simulate %s: error %v, want the clash reported: %v", tt.simulate, err, tt.wantErr)
		}
	}
}

func TestSimulateStreams(t *testing.T) {
	_, err := Parse([]byte("facility: F\nsources: {simulate: {enabled: true, streams: [waste, water]}}"))
	if err == nil || !strings.Contains(err.Error(), "sources.simulate.streams[1]") {
		t.Fatalf("error %v does not name the bad stream", err)
	}
}

// FuzzModbusRegister feeds register map entries as a config file gives
// them: Regmap either names what is wrong or returns a register that
// validates and decodes any words without panicking.
func FuzzModbusRegister(f *testing.F) {
	f.Add("kwh_total", "input", 72, "float32", "ABCD", 1.0, 0.0)
	f.Add("power_w", "holding", 65535, "int32", "cdab", 0.1, -5.0)
	f.Add("x", "coil", -1, "float33", "ACBD", 0.0, 0.0)
	f.Fuzz(func(t *testing.T, field, table string, address int, typ, order string, scale, offset float64) {
		r := ModbusRegister{Field: field, Register: table, Address: address, Type: typ, Order: order, Scale: scale, Offset: offset}
		reg, err := r.Regmap()
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error with no words")
			}
			return
		}
		if err := reg.Validate(); err != nil {
			t.Fatalf("Regmap returned %+v, which does not validate: %v", reg, err)
		}
		words := make([]uint16, reg.Words())
		for i := range words {
			words[i] = uint16(address*31 + i*7919)
		}
		if v, ok := reg.Decode(words); ok && (math.IsNaN(v) || math.IsInf(v, 0)) {
			t.Fatalf("%+v decoded %v from %v as a value", reg, v, words)
		}
	})
}
