package modbus

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/preset"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/sunspec"
	"github.com/greenpulse-health/greenpulse/reading"
)

// errWrongDevice is a device that answers but has nothing for its stream:
// a configuration mistake, not a fault to retry.
var errWrongDevice = errors.New("device has nothing for this stream")

// poller reads one device's values for its stream, by field name
// (available as 1 or 0), and the fields it skipped as "not implemented".
type poller interface {
	poll(ctx context.Context, r regmap.Reader, unit uint8) (values map[string]float64, skipped []string, err error)
	// identity is the device's serial number where it tells one, so that
	// a counter that restarts on a new serial counts as a meter replaced.
	identity() string
	// lost tells the poller that the device stopped answering, so that
	// what it learnt of the device (SunSpec's model chain) is learnt again.
	lost()
}

// newPoller returns the poller of a configured device.
func newPoller(d config.ModbusDevice) (poller, error) {
	stream := reading.Stream(d.Stream)
	switch d.Preset {
	case "":
		regs := make([]regmap.Register, len(d.Registers))
		for i, r := range d.Registers {
			reg, err := r.Regmap()
			if err != nil {
				return nil, fmt.Errorf("registers[%d]: %w", i, err)
			}
			regs[i] = reg
		}
		return registerPoller(regs), nil
	case "sunspec":
		return &sunspecPoller{stream: stream}, nil
	}
	p, ok := preset.Lookup(d.Preset)
	if !ok {
		return nil, fmt.Errorf("preset %q is not one of %v", d.Preset, preset.Names())
	}
	pp := &presetPoller{preset: p, opt: preset.Options{TankLitres: d.TankLitres, MinVoltage: d.MinVoltage}}
	return pp, nil
}

// registerPoller reads a register map from the config.
type registerPoller []regmap.Register

func (p registerPoller) poll(ctx context.Context, r regmap.Reader, unit uint8) (map[string]float64, []string, error) {
	return regmap.Read(ctx, r, unit, p)
}
func (registerPoller) identity() string { return "" }
func (registerPoller) lost()            {}

// presetPoller reads a known device. A Deep Sea controller gives its fuel
// level; the litres burned are counted here from its drops.
type presetPoller struct {
	preset preset.Preset
	opt    preset.Options
	fuel   preset.FuelCounter
}

func (p *presetPoller) poll(ctx context.Context, r regmap.Reader, unit uint8) (map[string]float64, []string, error) {
	values, skipped, err := p.preset.Poll(ctx, r, unit, p.opt)
	if err != nil {
		return nil, nil, err
	}
	if level, ok := values[preset.FuelLevelField]; ok && p.opt.TankLitres > 0 {
		values["fuel_l_total"] = p.fuel.Observe(level, p.opt.TankLitres)
	}
	return values, skipped, nil
}
func (p *presetPoller) identity() string { return "" }
func (p *presetPoller) lost()            {}

// sunspecPoller discovers a SunSpec device once, then reads the models
// that feed its stream: inverters and storage for solar, meters for energy.
type sunspecPoller struct {
	stream reading.Stream
	dev    *sunspec.Device
}

func (p *sunspecPoller) poll(ctx context.Context, r regmap.Reader, unit uint8) (map[string]float64, []string, error) {
	if p.dev == nil {
		dev, err := sunspec.Discover(ctx, r, unit)
		if err != nil {
			return nil, nil, err
		}
		p.dev = &dev
	}
	v, err := p.dev.Read(ctx, r, unit)
	if err != nil {
		return nil, nil, err
	}
	values, skipped := v.Stream(p.stream)
	if len(values) == 0 && len(skipped) == 0 {
		return nil, nil, fmt.Errorf("sunspec device %s has no %s model (its models: %v; inverters and storage feed solar, meters energy): %w",
			p.dev.Common.Serial, p.stream, p.dev.ModelIDs(), errWrongDevice)
	}
	return maps.Clone(values), skipped, nil
}

func (p *sunspecPoller) identity() string {
	if p.dev == nil {
		return ""
	}
	return p.dev.Common.Manufacturer + "/" + p.dev.Common.Model + "/" + p.dev.Common.Serial
}

func (p *sunspecPoller) lost() { p.dev = nil }
