package sunspec

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/regmap"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Values is what one Read of a device gives. Solar holds the inverter's
// and battery's fields (kwh_total, power_w, battery_soc_pct), Energy the
// meter's (kwh_total, power_w); a map is nil when the device has no model
// for that stream. Skipped lists "<stream>.<field>" for each point the
// device reported as not implemented (or whose scale factor was), or whose
// value was implausible (a negative energy total, a state of charge
// outside 0–100): those fields are absent from the maps.
type Values struct {
	Solar   map[string]float64
	Energy  map[string]float64
	Skipped []string
}

// Stream returns the values of one stream and the names of its skipped
// fields, without the "<stream>." prefix: what a device configured for
// that stream publishes.
func (v Values) Stream(s reading.Stream) (map[string]float64, []string) {
	m := v.Solar
	if s == reading.Energy {
		m = v.Energy
	}
	var skipped []string
	prefix := string(s) + "."
	for _, f := range v.Skipped {
		if name, ok := strings.CutPrefix(f, prefix); ok {
			skipped = append(skipped, name)
		}
	}
	return m, skipped
}

// The point types of the models read here.
type ptype uint8

const (
	tInt16 ptype = iota + 1
	tUint16
	tAcc32
	tFloat32
)

func (t ptype) words() int {
	if t == tAcc32 || t == tFloat32 {
		return 2
	}
	return 1
}

// regType returns the regmap type that decodes t, "not implemented" value
// included (0x8000, 0xFFFF, NaN); "" for acc32, whose "not implemented" is
// 0, not uint32's 0xFFFFFFFF.
func (t ptype) regType() regmap.Type {
	switch t {
	case tInt16:
		return regmap.Int16
	case tUint16:
		return regmap.Uint16
	case tFloat32:
		return regmap.Float32
	}
	return ""
}

// point is one value of a model: where it is (offset into the model's
// data), how it is stored, its scale factor point (sf < 0: none) and a
// multiplier to the stream's unit (Wh → kWh). optSF: a model too short to
// hold the scale factor point means no scale factor (the 713 draft).
type point struct {
	field string
	off   int
	typ   ptype
	sf    int
	mul   float64
	optSF bool
}

// layout is what GreenPulse reads from one family of models.
type layout struct {
	kind   string // "inverter", "meter", "storage": one model of each kind is read
	stream reading.Stream
	points []point
}

const whToKWh = 1.0 / 1000

// Inverter models 101 (single phase), 102 (split phase) and 103 (three
// phase) share one layout (json/model_101.json, smdx/smdx_00103.xml):
// W int16 at 12 with W_SF at 13; WH acc32 at 22 with WH_SF at 24.
var inverterInt = layout{kind: "inverter", stream: reading.Solar, points: []point{
	{field: "power_w", off: 12, typ: tInt16, sf: 13, mul: 1},
	{field: "kwh_total", off: 22, typ: tAcc32, sf: 24, mul: whToKWh},
}}

// Inverter models 111–113 are the float32 forms of 101–103
// (json/model_111.json): W at 20, WH at 30, no scale factors.
var inverterFloat = layout{kind: "inverter", stream: reading.Solar, points: []point{
	{field: "power_w", off: 20, typ: tFloat32, sf: -1, mul: 1},
	{field: "kwh_total", off: 30, typ: tFloat32, sf: -1, mul: whToKWh},
}}

// Meter models 201–204 share one layout (json/model_201.json,
// smdx/smdx_00203.xml): W int16 at 16 with W_SF at 20; TotWhImp acc32 at
// 44 with TotWh_SF at 52. Imported energy, as the energy stream's
// kwh_total is what the source delivered.
var meterInt = layout{kind: "meter", stream: reading.Energy, points: []point{
	{field: "power_w", off: 16, typ: tInt16, sf: 20, mul: 1},
	{field: "kwh_total", off: 44, typ: tAcc32, sf: 52, mul: whToKWh},
}}

// Meter models 211–214 are the float32 forms of 201–204
// (json/model_211.json): W at 26, TotWhImp at 66.
var meterFloat = layout{kind: "meter", stream: reading.Energy, points: []point{
	{field: "power_w", off: 26, typ: tFloat32, sf: -1, mul: 1},
	{field: "kwh_total", off: 66, typ: tFloat32, sf: -1, mul: whToKWh},
}}

// Storage model 124 (json/model_124.json): ChaState uint16 at 6 (% of
// AhrRtg) with ChaState_SF at 20.
var storage124 = layout{kind: "storage", stream: reading.Solar, points: []point{
	{field: "battery_soc_pct", off: 6, typ: tUint16, sf: 20, mul: 1},
}}

// DER storage capacity model 713: SoC uint16 at 2 with Pct_SF at 6 (SunSpec
// DER Information Model v1.2, L = 7). The draft in json/model_713.json has
// L = 6 and no Pct_SF; Read then applies no scale factor (sf beyond L).
var storage713 = layout{kind: "storage", stream: reading.Solar, points: []point{
	{field: "battery_soc_pct", off: 2, typ: tUint16, sf: 6, mul: 1, optSF: true},
}}

// Battery base model 802 (json/model_802.json, smdx/smdx_00802.xml): SoC
// uint16 at 9 with SoC_SF at 54.
var storage802 = layout{kind: "storage", stream: reading.Solar, points: []point{
	{field: "battery_soc_pct", off: 9, typ: tUint16, sf: 54, mul: 1},
}}

// layoutOf returns the layout read from model id, if any.
func layoutOf(id uint16) (layout, bool) {
	switch id {
	case 101, 102, 103:
		return inverterInt, true
	case 111, 112, 113:
		return inverterFloat, true
	case 201, 202, 203, 204:
		return meterInt, true
	case 211, 212, 213, 214:
		return meterFloat, true
	case 124:
		return storage124, true
	case 713:
		return storage713, true
	case 802:
		return storage802, true
	}
	return layout{}, false
}

// Read reads the device's first inverter, first meter and first storage
// model, one request each (every model is read from its first data
// register up to the last point needed, at most 125 registers). It stops
// at the first failed request and returns the values read before it with
// the error. Read is safe for concurrent use if r is.
func (d Device) Read(ctx context.Context, r regmap.Reader, unit uint8) (Values, error) {
	var v Values
	seen := map[string]bool{}
	for _, m := range d.Models {
		lay, ok := layoutOf(m.ID)
		if !ok || seen[lay.kind] {
			continue
		}
		seen[lay.kind] = true
		if err := readModel(ctx, r, unit, m, lay, &v); err != nil {
			return v, err
		}
	}
	return v, nil
}

func readModel(ctx context.Context, r regmap.Reader, unit uint8, m Model, lay layout, v *Values) error {
	dst := &v.Solar
	if lay.stream == reading.Energy {
		dst = &v.Energy
	}
	if *dst == nil {
		*dst = map[string]float64{}
	}
	need := 0
	for _, p := range lay.points {
		need = max(need, p.off+p.typ.words(), p.sf+1)
	}
	n := min(need, int(m.Len), maxRead)
	var w []uint16
	if n > 0 {
		var err error
		w, err = r.ReadRegisters(ctx, unit, regmap.Holding, m.Addr, uint16(n))
		if err == nil && len(w) != n {
			err = fmt.Errorf("got %d registers, asked for %d", len(w), n)
		}
		if err != nil {
			return fmt.Errorf("sunspec unit %d: read model %d at %d: %w", unit, m.ID, m.Addr, err)
		}
	}
	for _, p := range lay.points {
		x, ok := p.value(w)
		if ok {
			x *= p.mul
			ok = plausible(p.field, x)
		}
		if ok {
			(*dst)[p.field] = x
		} else {
			v.Skipped = append(v.Skipped, string(lay.stream)+"."+p.field)
		}
	}
	return nil
}

// value decodes p from a model's data words. ok is false when the point
// lies beyond the data read, or it or its scale factor holds the "not
// implemented" value.
func (p point) value(w []uint16) (float64, bool) {
	if p.off+p.typ.words() > len(w) {
		return 0, false
	}
	var x float64
	switch p.typ {
	case tInt16, tUint16, tFloat32:
		var ok bool
		if x, ok = (regmap.Register{Type: p.typ.regType()}).Decode(w[p.off:]); !ok {
			return 0, false
		}
	case tAcc32:
		// acc32's "not implemented" is 0, not the uint32 0xFFFFFFFF.
		u := uint32(w[p.off])<<16 | uint32(w[p.off+1])
		if u == 0 {
			return 0, false
		}
		x = float64(u)
	default:
		return 0, false
	}
	switch {
	case p.sf < 0, p.sf >= len(w) && p.optSF:
		return x, true
	case p.sf >= len(w):
		return 0, false // the model is too short to hold the scale factor
	}
	sf := int16(w[p.sf])
	// sunssf is "not implemented" at 0x8000; the specification allows
	// -10..10, so anything else is a broken map, not a scale.
	if sf < -10 || sf > 10 {
		return 0, false
	}
	return x * math.Pow10(int(sf)), true
}

// plausible rejects values no device should report: a negative energy
// counter, a state of charge outside 0–100, a non-finite number.
func plausible(field string, x float64) bool {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return false
	}
	switch field {
	case "kwh_total":
		return x >= 0
	case "battery_soc_pct":
		return x >= 0 && x <= 100
	}
	return true
}
