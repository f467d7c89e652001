package modbus

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/preset"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus/sunspec"
)

// UnitReport is what a scan found at one unit id.
type UnitReport struct {
	Unit uint8
	// Answers is true when the unit replied, even with an exception: a
	// device is there.
	Answers bool
	// SunSpec is the device's SunSpec description, nil when it has none.
	SunSpec *sunspec.Device
	// SunSpecValues is what its models read now.
	SunSpecValues *sunspec.Values
	// Preset holds what the scan's preset reads now, if one was given.
	Preset        map[string]float64
	PresetSkipped []string
	// Err is the last error met at this unit (a failed read after it
	// answered), for the installer to see.
	Err error
}

// ScanOptions say which units to ask and what to read from those that
// answer.
type ScanOptions struct {
	Units  []uint8
	Preset string // "" for none
	Opt    preset.Options
	// Found, if set, is called for each unit that answers as soon as it
	// has been read, so that a long scan shows progress.
	Found func(UnitReport)
}

// Scan asks each unit whether it answers (a read of holding register 0; an
// exception counts as an answer), then looks for SunSpec and reads the
// preset from those that do. It returns the units that answered.
func Scan(ctx context.Context, r regmap.Reader, opt ScanOptions) ([]UnitReport, error) {
	var p preset.Preset
	if opt.Preset != "" {
		var ok bool
		if p, ok = preset.Lookup(opt.Preset); !ok {
			return nil, fmt.Errorf("preset %q is not one of %s", opt.Preset, strings.Join(preset.Names(), ", "))
		}
	}
	var found []UnitReport
	for _, u := range opt.Units {
		if err := ctx.Err(); err != nil {
			return found, err
		}
		if !answers(ctx, r, u) {
			continue
		}
		rep := UnitReport{Unit: u, Answers: true}
		if dev, err := sunspec.Discover(ctx, r, u); err == nil {
			rep.SunSpec = &dev
			if v, err := dev.Read(ctx, r, u); err == nil {
				rep.SunSpecValues = &v
			} else {
				rep.Err = err
			}
		}
		if p != nil {
			values, skipped, err := p.Poll(ctx, r, u, opt.Opt)
			if err != nil {
				rep.Err = err
			}
			rep.Preset, rep.PresetSkipped = values, skipped
		}
		if opt.Found != nil {
			opt.Found(rep)
		}
		found = append(found, rep)
	}
	return found, nil
}

// answers reports whether unit u replied at all. Holding register 0 and
// input register 0 are tried: a meter with input registers only answers
// the first with an exception, which is an answer too.
func answers(ctx context.Context, r regmap.Reader, u uint8) bool {
	for _, t := range []regmap.Table{regmap.Holding, regmap.Input} {
		_, err := r.ReadRegisters(ctx, u, t, 0, 1)
		if err == nil || bus.Kind(err) == bus.KindException {
			return true
		}
		if bus.Kind(err) == bus.KindTimeout {
			return false // nobody there: do not wait twice
		}
	}
	return false
}

// ParseUnits reads a unit list such as "1-247" or "1,2,10-12". Unit ids
// run from 0 to 255: RS-485 devices use 1-247, Modbus TCP devices and
// gateways also 0 and 255.
func ParseUnits(s string) ([]uint8, error) {
	var units []uint8
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		from, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil || from < 0 || from > 255 {
			return nil, fmt.Errorf("units %q: %q is not a unit id 0-255", s, lo)
		}
		to := from
		if isRange {
			if to, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || to < from || to > 255 {
				return nil, fmt.Errorf("units %q: %q is not a unit id from %d to 255", s, hi, from)
			}
		}
		for u := from; u <= to; u++ {
			units = append(units, uint8(u))
		}
	}
	slices.Sort(units)
	return slices.Compact(units), nil
}

// WriteReport prints a unit's report for an installer.
func WriteReport(w io.Writer, rep UnitReport) {
	fmt.Fprintf(w, "unit %d: answers\n", rep.Unit)
	if d := rep.SunSpec; d != nil {
		fmt.Fprintf(w, "  SunSpec at %d: %s %s, serial %s, version %s\n", d.Base,
			orDash(d.Common.Manufacturer), orDash(d.Common.Model), orDash(d.Common.Serial), orDash(d.Common.Version))
		ids := make([]string, len(d.Models))
		for i, m := range d.Models {
			ids[i] = strconv.Itoa(int(m.ID))
		}
		fmt.Fprintf(w, "  models: %s\n", strings.Join(ids, ", "))
		if v := rep.SunSpecValues; v != nil {
			writeValues(w, "  solar now", v.Solar, nil)
			writeValues(w, "  energy now", v.Energy, nil)
			if len(v.Skipped) > 0 {
				fmt.Fprintf(w, "  not implemented: %s\n", strings.Join(v.Skipped, ", "))
			}
		}
	} else {
		fmt.Fprintln(w, "  no SunSpec marker at 40000, 50000 or 0")
	}
	if rep.Preset != nil || rep.PresetSkipped != nil {
		writeValues(w, "  preset now", rep.Preset, rep.PresetSkipped)
	}
	if rep.Err != nil {
		fmt.Fprintf(w, "  error: %v\n", rep.Err)
	}
}

func writeValues(w io.Writer, label string, values map[string]float64, skipped []string) {
	if len(values) == 0 && len(skipped) == 0 {
		return
	}
	parts := make([]string, 0, len(values)+len(skipped))
	for _, k := range slices.Sorted(maps.Keys(values)) {
		parts = append(parts, k+" "+strconv.FormatFloat(values[k], 'f', -1, 64))
	}
	for _, k := range skipped {
		parts = append(parts, k+" (not implemented)")
	}
	fmt.Fprintf(w, "%s: %s\n", label, strings.Join(parts, ", "))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
