package config

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/preset"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Modbus lists the Modbus buses of the facility and the devices on them.
type Modbus struct {
	Buses []ModbusBus `yaml:"buses"`
}

// ModbusBus is one Modbus TCP connection or one RS-485 line. Devices on a
// bus are asked one at a time, with Pause between them.
type ModbusBus struct {
	// Config is the link: url (tcp://host:502 or rtu:///dev/ttyUSB0),
	// the serial settings of an rtu:// bus, timeout and pause.
	bus.Config `yaml:",inline"`
	Devices    []ModbusDevice `yaml:"devices"`
}

// ModbusDevice is one meter, inverter or controller on a bus: its unit id,
// what it is (a preset or a register map) and the stream its values feed.
type ModbusDevice struct {
	// Name labels the device's metrics and logs; unique in the agent.
	Name     string        `yaml:"name"`
	Unit     int           `yaml:"unit"`
	Preset   string        `yaml:"preset"`
	Stream   string        `yaml:"stream"`
	Meter    string        `yaml:"meter"`    // energy: the meter tag
	Source   string        `yaml:"source"`   // energy: grid, generator, battery or other
	Inverter string        `yaml:"inverter"` // solar: the inverter tag
	Interval time.Duration `yaml:"interval"`
	// TankLitres is a generator's fuel tank size, from which a Deep Sea
	// controller's fuel level in % becomes litres burned.
	TankLitres float64 `yaml:"tank_litres"`
	// MinVoltage is the phase voltage from which a meter's source counts
	// as live (mains present); default 100 V.
	MinVoltage float64 `yaml:"min_voltage"`
	// MaxKW bounds how fast the device's counter may rise: a rise of more
	// than MaxKW × the hours since the last reading is a garbled read,
	// held back; default 10000 kW, far above any health facility.
	MaxKW     float64          `yaml:"max_kw"`
	Registers []ModbusRegister `yaml:"registers"`
}

// ModbusRegister is one entry of a register map, in Telegraf's terms.
type ModbusRegister struct {
	Field    string  `yaml:"field"`
	Register string  `yaml:"register"` // holding | input
	Address  int     `yaml:"address"`  // 0-based, as on the wire
	Type     string  `yaml:"type"`
	Order    string  `yaml:"order"`
	Scale    float64 `yaml:"scale"`
	Offset   float64 `yaml:"offset"`
}

// modbusPresets returns the device presets the agent knows.
func modbusPresets() []string { return append(preset.Names(), "sunspec") }

// Modbus bus and device defaults, applied by Normalize.
const (
	DefaultModbusTimeout  = bus.DefaultTimeout
	DefaultModbusPause    = 20 * time.Millisecond
	DefaultModbusInterval = 10 * time.Second
	DefaultMinVoltage     = preset.DefaultMinVoltage
	DefaultMaxKW          = 10000
)

// Normalize fills the keys a bus or device leaves out.
func (m *Modbus) Normalize() {
	for i := range m.Buses {
		b := &m.Buses[i]
		if b.Timeout == 0 {
			b.Timeout = DefaultModbusTimeout
		}
		if b.Pause == 0 {
			b.Pause = DefaultModbusPause
		}
		for j := range b.Devices {
			d := &b.Devices[j]
			if d.Interval == 0 {
				d.Interval = DefaultModbusInterval
			}
			if d.MinVoltage == 0 {
				d.MinVoltage = DefaultMinVoltage
			}
			if d.MaxKW == 0 {
				d.MaxKW = DefaultMaxKW
			}
			switch d.Stream {
			case string(reading.Energy):
				d.Meter = orString(d.Meter, "main")
			case string(reading.Solar):
				d.Inverter = orString(d.Inverter, "main")
			}
			if d.Stream == "" && d.Preset == "sunspec" {
				d.Stream = string(reading.Solar)
				d.Inverter = orString(d.Inverter, "main")
			}
		}
	}
}

func orString(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// feeds reports whether any device feeds stream s.
func (m Modbus) feeds(s reading.Stream) bool {
	for _, b := range m.Buses {
		for _, d := range b.Devices {
			if reading.Stream(d.Stream) == s {
				return true
			}
		}
	}
	return false
}

// validate reports every problem of the modbus section, each naming its key.
func (m Modbus) validate(bad func(key, format string, args ...any)) {
	names := map[string]string{}
	series := map[string]string{} // a reading series → the device that feeds it
	for i, b := range m.Buses {
		key := fmt.Sprintf("sources.modbus.buses[%d]", i)
		if b.URL == "" {
			bad(key+".url", "required: tcp://host:502 or rtu:///dev/ttyUSB0")
		} else if err := b.Config.Validate(); err != nil {
			bad(key, "%v", err) // the bus names its key: "baud: …"
		}
		if len(b.Devices) == 0 {
			bad(key+".devices", "list at least one device on this bus")
		}
		for j, d := range b.Devices {
			dkey := fmt.Sprintf("%s.devices[%d]", key, j)
			if !reading.ValidName(d.Name) {
				bad(dkey+".name", "required: 1-64 letters, digits, '_' or '-' (got %q)", d.Name)
			} else if prev, dup := names[d.Name]; dup {
				bad(dkey+".name", "%q is also the name of %s", d.Name, prev)
			} else {
				names[d.Name] = dkey
			}
			validateDevice(bad, dkey, d, b.Serial())
			if id := d.Series(); id != "" {
				if prev, dup := series[id]; dup {
					bad(dkey, "feeds the same series as %s (%s): two devices on one counter series make every difference look like a reset; give one another %s", prev, id, seriesTag(d))
				} else {
					series[id] = dkey
				}
			}
		}
	}
}

// Series names the reading series the device feeds as reading.Series
// does ("energy meter=main source=grid"), "" when its stream is not
// energy or solar (reported by validation).
func (d ModbusDevice) Series() string {
	// A reading of the device, built as the source builds them, names its
	// series the way the readings it meets elsewhere do.
	b, ok := reading.NewBuilder(reading.Stream(d.Stream))
	if !ok || reading.Stream(d.Stream) == reading.Waste {
		return ""
	}
	for key, v := range map[string]string{"meter": d.Meter, "source": d.Source, "inverter": d.Inverter} {
		if b.HasTag(key) {
			b.SetTag(key, v)
		}
	}
	b.SetFloat("kwh_total", 0)
	t := time.Unix(reading.EarliestUnix, 0)
	r, err := b.Build("series", t, t, reading.Limits{})
	if err != nil {
		return ""
	}
	return r.Series()
}

// DeviceFeeding returns the name of the Modbus device that feeds series,
// if one does.
func (m Modbus) DeviceFeeding(series string) (string, bool) {
	for _, b := range m.Buses {
		for _, d := range b.Devices {
			if d.Series() == series {
				return d.Name, true
			}
		}
	}
	return "", false
}

func seriesTag(d ModbusDevice) string {
	if reading.Stream(d.Stream) == reading.Solar {
		return "inverter"
	}
	return "meter"
}

func validateDevice(bad func(key, format string, args ...any), key string, d ModbusDevice, rtu bool) {
	switch {
	case rtu && (d.Unit < 1 || d.Unit > 247):
		bad(key+".unit", "must be 1 to 247 on an RS-485 bus (0 is broadcast, which no device answers), got %d", d.Unit)
	case d.Unit < 0 || d.Unit > 255:
		bad(key+".unit", "must be 0 to 255, got %d", d.Unit)
	}
	if d.Interval < time.Second {
		bad(key+".interval", "must be at least 1s, got %s", d.Interval)
	}
	switch {
	case d.Preset == "" && len(d.Registers) == 0:
		bad(key, "give a preset (%s) or a register map (registers)", strings.Join(modbusPresets(), ", "))
	case d.Preset != "" && len(d.Registers) > 0:
		bad(key+".registers", "a device has a preset or a register map, not both (preset %q)", d.Preset)
	case d.Preset != "" && !slices.Contains(modbusPresets(), d.Preset):
		bad(key+".preset", "%q is not one of %s", d.Preset, strings.Join(modbusPresets(), ", "))
	}
	stream := reading.Stream(d.Stream)
	if stream != reading.Energy && stream != reading.Solar {
		bad(key+".stream", "must be energy or solar, got %q", d.Stream)
	}
	switch {
	case d.Preset == "sunspec" || d.Preset == "":
	case d.Preset == "gencomm" && (stream != reading.Energy || d.Source != "generator"):
		bad(key+".source", "a gencomm controller feeds stream energy with source generator")
	case d.Preset != "gencomm" && stream != reading.Energy:
		bad(key+".stream", "preset %s is an energy meter: use stream energy", d.Preset)
	}
	if stream == reading.Energy {
		if !slices.Contains(reading.EnergySources, d.Source) {
			bad(key+".source", "required for stream energy: grid, generator, battery or other (got %q)", d.Source)
		}
		if !reading.ValidName(d.Meter) {
			bad(key+".meter", "1-64 letters, digits, '_' or '-' (got %q)", d.Meter)
		}
	}
	if stream == reading.Solar && !reading.ValidName(d.Inverter) {
		bad(key+".inverter", "1-64 letters, digits, '_' or '-' (got %q)", d.Inverter)
	}
	if d.MaxKW < 0 || d.MaxKW > 1e6 {
		bad(key+".max_kw", "must be 0 (the default, %d kW) to 1000000, got %g", DefaultMaxKW, d.MaxKW)
	}
	if d.TankLitres < 0 || d.TankLitres > 100000 {
		bad(key+".tank_litres", "must be 0 to 100000, got %g", d.TankLitres)
	}
	if d.Preset == "gencomm" && d.TankLitres == 0 {
		bad(key+".tank_litres", "required for gencomm: the tank size in litres turns the fuel level (%%) into litres burned")
	}
	fields := map[string]int{}
	for i, r := range d.Registers {
		rkey := fmt.Sprintf("%s.registers[%d]", key, i)
		reg, err := r.Regmap()
		if err != nil {
			bad(rkey, "%v", err)
			continue
		}
		if !fieldOf(stream, reg.Field) {
			bad(rkey+".field", "%q is not a field of stream %s (%s)", r.Field, d.Stream, strings.Join(streamFields(stream), ", "))
		}
		if prev, dup := fields[r.Field]; dup {
			bad(rkey+".field", "%q is also read by registers[%d]", r.Field, prev)
		}
		fields[r.Field] = i
	}
	if _, ok := fields["kwh_total"]; len(d.Registers) > 0 && !ok {
		bad(key+".registers", "must read kwh_total: the counter every energy and solar indicator is computed from")
	}
}

// Regmap returns the register as the modbus source reads it.
func (r ModbusRegister) Regmap() (regmap.Register, error) {
	if r.Address < 0 || r.Address > 65535 {
		return regmap.Register{}, fmt.Errorf("address: must be 0 to 65535 (0-based, as on the wire), got %d", r.Address)
	}
	table, err := regmap.ParseTable(r.Register)
	if err != nil {
		return regmap.Register{}, fmt.Errorf("register: %w", err)
	}
	typ, err := regmap.ParseType(r.Type)
	if err != nil {
		return regmap.Register{}, fmt.Errorf("type: %w", err)
	}
	order := regmap.ABCD
	if r.Order != "" {
		if order, err = regmap.ParseOrder(r.Order); err != nil {
			return regmap.Register{}, fmt.Errorf("order: %w", err)
		}
	}
	reg := regmap.Register{Field: r.Field, Table: table, Address: uint16(r.Address), Type: typ,
		Order: order, Scale: r.Scale, Offset: r.Offset}
	return reg, reg.Validate()
}

// streamFields are the fields a device may feed, by stream: the stream's
// schema's; available (energy) is read as a number, non-zero meaning live.
func streamFields(s reading.Stream) []string {
	sc, ok := reading.SchemaOf(s)
	if !ok {
		return nil
	}
	names := make([]string, len(sc.Fields))
	for i, f := range sc.Fields {
		names[i] = f.Name
	}
	return names
}

func fieldOf(s reading.Stream, field string) bool { return slices.Contains(streamFields(s), field) }
