package manual

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/greenpulse-health/greenpulse/reading"
)

// Meter readings typed by staff.
//
// A person reads a counter off a display (the grid meter's kWh, the
// generator's kWh or engine hours, the inverter's total yield, the fuel
// tank's gauge) and types it with the time it was read. MeterEntry.Check
// compares it with what earlier entries left (MeterState) and turns it
// into the same counter reading a device would send:
//
//	grid_kwh         energy  meter=M source=grid       kwh_total
//	generator_kwh    energy  meter=M source=generator  kwh_total (+ fuel_l_total once the tank is followed)
//	generator_hours  energy  meter=M source=generator  kwh_total = hours × generator_kwh_per_hour, when that is set;
//	                 otherwise kept on the agent only: the energy stream has no engine-hours field
//	fuel_delivered_l (none)  added to the litres delivered since the last tank level
//	tank_level       energy  meter=M source=generator  fuel_l_total = litres burned since counting began,
//	                 burned = previous level + delivered since − this level (never negative),
//	                 with kwh_total = the generator's last kWh; a generator with no kWh counter
//	                 sends it as meter=M-fuel with kwh_total 0 (see fuelOnlySuffix)
//	solar_kwh        solar   inverter=M                kwh_total
//
// A reading below the previous one of its counter is taken only as a new
// meter (Replaced): it is published as is, which the roll-up counts as a
// counter reset. An increase more than the facility could plausibly use
// since the previous reading (MeterLimits) is taken only when confirmed
// (Confirm). Both come back as a *Question naming the flag that answers it.

// Counter names what a typed meter reading counts.
type Counter string

// The counters staff can type.
const (
	GridKWh        Counter = "grid_kwh"
	GeneratorKWh   Counter = "generator_kwh"
	GeneratorHours Counter = "generator_hours"
	FuelDelivered  Counter = "fuel_delivered_l"
	TankLevel      Counter = "tank_level"
	SolarKWh       Counter = "solar_kwh"
)

// Counters returns the counters in the order the page offers them, in a
// new slice each time.
func Counters() []Counter {
	return []Counter{GridKWh, GeneratorKWh, GeneratorHours, FuelDelivered, TankLevel, SolarKWh}
}

// CounterNames returns the names of Counters, in the same order.
func CounterNames() []string {
	cs := Counters()
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = string(c)
	}
	return names
}

// Unit is the unit the counter is typed in: kWh, h or L (a tank level may
// also be typed in %, see MeterEntry.Unit).
func (c Counter) Unit() string {
	switch c {
	case GeneratorHours:
		return "h"
	case FuelDelivered, TankLevel:
		return UnitLitres
	}
	return "kWh"
}

// Units of a tank level.
const (
	UnitLitres  = "L"
	UnitPercent = "%"
)

// DefaultMeter is the meter (or inverter) name when an entry gives none,
// the contract's default tag.
const DefaultMeter = "main"

// maxMeterName bounds meter names, leaving room for fuelOnlySuffix in the
// contract's 64 characters.
const maxMeterName = 32

// fuelOnlySuffix is added to the meter tag of the fuel counter of a
// generator that has no kWh counter. The energy stream requires kwh_total,
// so such readings carry 0; on their own series that 0 never meets a real
// kWh reading, whose first value would otherwise count as a day's use.
const fuelOnlySuffix = "-fuel"

// GapWithoutIncrease is the longest time between two readings of a counter
// across which the collector's roll-up still counts the increase (SPEC:
// "the earlier one may be up to 48 h older").
const GapWithoutIncrease = 48 * time.Hour

// litresPerKWh bounds a diesel generator's burn: about 0.3 L/kWh at full
// load; 0.4 leaves room for a worn engine.
const litresPerKWh = 0.4

// MeterEntry is one meter reading as a person types it.
type MeterEntry struct {
	Counter string `json:"counter"`
	// Value is the number on the display; nil when it was left out.
	Value *float64 `json:"value"`
	// Unit is "L" (the default) or "%" for a tank level; other counters
	// take only their own unit, which may be left out.
	Unit string `json:"unit,omitempty"`
	// Time is when it was read; zero means now.
	Time time.Time `json:"ts,omitzero"`
	// Meter names the meter, generator or inverter; empty means "main".
	Meter string `json:"meter,omitempty"`
	// Replaced says the meter was replaced (or its counter reset), so a
	// reading below the previous one is right.
	Replaced bool `json:"replaced,omitempty"`
	// Confirm says an unusually large increase was checked and is right.
	Confirm bool `json:"confirm,omitempty"`
	// Note stays on the agent, like a waste entry's.
	Note string `json:"note,omitempty"`
}

// Last is a counter's last typed value and when it was read.
type Last struct {
	Value float64   `json:"value"`
	Time  time.Time `json:"time"`
	// FromHours marks a generator kWh counter computed from engine hours.
	FromHours bool `json:"from_hours,omitempty"`
}

// Fuel is what the agent knows of one generator's fuel.
type Fuel struct {
	// DeliveredL is the litres delivered since the last tank level.
	DeliveredL float64 `json:"delivered_l"`
	// LastDelivery is when the last delivery was made.
	LastDelivery time.Time `json:"last_delivery,omitzero"`
	// BurnedL is fuel_l_total: litres burned since the first tank level.
	BurnedL float64 `json:"burned_l"`
	// Counting is true once a tank level was recorded.
	Counting bool `json:"counting"`
}

// MeterState is what earlier entries left, which the next entry is checked
// against. The zero value is a facility with no entries yet.
type MeterState struct {
	// Last holds each counter's last value, by Key(counter, meter).
	Last map[string]Last `json:"last,omitempty"`
	// Fuel holds each generator's fuel, by meter.
	Fuel map[string]Fuel `json:"fuel,omitempty"`
	// Series holds the time of the last reading sent on each series of a
	// generator (by meter tag): the readings of one series must go in time
	// order, as the counters they carry are joined.
	Series map[string]time.Time `json:"series,omitempty"`
}

// Key is the key of counter c of meter in MeterState.Last.
func Key(c Counter, meter string) string { return string(c) + "/" + meter }

// Clone returns a copy of s that shares nothing with it.
func (s MeterState) Clone() MeterState {
	return MeterState{Last: maps.Clone(s.Last), Fuel: maps.Clone(s.Fuel), Series: maps.Clone(s.Series)}
}

// Question is an entry the agent takes only when the person answers it:
// Flag names the entry's field that does ("replaced" or "confirm").
type Question struct {
	Field   string // the entry field asked about: "value" or "ts"
	Flag    string // "replaced" or "confirm"
	Kind    string // what is asked: "new_meter", "big_jump", "tank_rose", "big_delivery"
	Message string
	// Last is the previous reading the question refers to, if any, in Unit.
	Last *Last
	Unit string
}

func (q *Question) Error() string { return q.Field + ": " + q.Message }

// The flags that answer a Question.
const (
	FlagReplaced = "replaced"
	FlagConfirm  = "confirm"
)

// MeterResult is what an accepted entry becomes.
type MeterResult struct {
	Counter Counter
	Meter   string
	Value   float64 // as typed
	Unit    string  // as typed: kWh, h, L or %
	Time    time.Time
	// Reading is the counter reading to send; nil when the entry is kept
	// on the agent only (a delivery, engine hours without a factor).
	Reading *reading.Reading
	// State is the state after the entry.
	State MeterState
	// Said tells, in plain words, what became of the entry; Warnings what
	// the person should know.
	Said     []string
	Warnings []string
}

// valueMax bounds what a display can show in unit (kWh, h, L or %).
func valueMax(unit string) float64 {
	switch unit {
	case "kWh":
		return 1e9
	case UnitPercent:
		return 100
	}
	return 1e6 // h, L
}

// Check validates the entry against st, the state earlier entries left,
// and returns what it becomes, with the state after it. Plain mistakes are
// reported together, each as a *FieldError; when there are none, an entry
// that needs an answer returns a *Question. st is not modified. It is safe
// for concurrent use.
func (e MeterEntry) Check(facility string, now time.Time, st MeterState, lim MeterLimits) (MeterResult, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	names := CounterNames()
	c := Counter(choice(bad, "counter", e.Counter, names, "choose which counter was read", "a counter"))
	meter := strings.TrimSpace(e.Meter)
	switch {
	case meter == "":
		meter = DefaultMeter
	case len(meter) > maxMeterName || !reading.ValidName(meter):
		bad("meter", "%q: the meter's name is 1 to %d letters, digits, '_' or '-'", e.Meter, maxMeterName)
	}
	unit := c.Unit()
	switch u := strings.TrimSpace(e.Unit); {
	case u == "":
	case c == TankLevel && (strings.EqualFold(u, "l") || strings.EqualFold(u, "litres") || strings.EqualFold(u, "liters")):
	case c == TankLevel && (u == "%" || strings.EqualFold(u, "pct") || strings.EqualFold(u, "percent")):
		unit = UnitPercent
		if lim.TankLitres <= 0 {
			bad("unit", "the tank's size is not configured (sources.manual.meters.tank_litres), so a level in %% cannot be turned into litres; type the level in litres")
		}
	case slices.Contains(names, string(c)) && strings.EqualFold(u, c.Unit()):
	case c == TankLevel:
		bad("unit", "%q: a tank level is typed in litres (L) or percent (%%)", e.Unit)
	case slices.Contains(names, string(c)):
		bad("unit", "%q: %s is typed in %s", e.Unit, c, c.Unit())
	}
	var v float64
	switch {
	case e.Value == nil:
		bad("value", "type the number shown on the display")
	case math.IsNaN(*e.Value) || math.IsInf(*e.Value, 0):
		bad("value", "type the number shown on the display")
	case *e.Value < 0:
		bad("value", "a reading cannot be negative (got %s)", num(*e.Value))
	case c == FuelDelivered && *e.Value == 0:
		bad("value", "type the litres delivered, more than 0")
	case *e.Value > valueMax(unit):
		bad("value", "%s %s is more than %s %s: check the number", num(*e.Value), unit, num(valueMax(unit)), unit)
	default:
		v = *e.Value
	}
	ts := e.Time
	if ts.IsZero() {
		ts = now
	}
	ts = ts.Truncate(time.Millisecond)
	switch {
	case ts.After(now.Add(5 * time.Minute)):
		bad("ts", "%s is in the future; check the date and the box's clock", when(ts))
	case ts.Before(now.Add(-maxAge)):
		bad("ts", "%s is more than two months ago; check the date", when(ts))
	}
	if n := utf8.RuneCountInString(e.Note); n > MaxNote {
		bad("note", "at most %d characters, got %d; keep it short", MaxNote, n)
	} else if !utf8.ValidString(e.Note) || strings.ContainsFunc(e.Note, unicode.IsControl) {
		bad("note", "write it on one line, without special characters")
	}
	if len(errs) > 0 {
		return MeterResult{}, errors.Join(errs...)
	}
	m := meterCheck{e: e, c: c, meter: meter, v: v, unit: unit, ts: ts, facility: facility, now: now,
		st: st.Clone(), lim: lim.WithDefaults(0, 0)}
	return m.run()
}

// meterCheck is one entry being checked against the state.
type meterCheck struct {
	e          MeterEntry
	c          Counter
	meter      string
	v          float64
	unit       string
	ts, now    time.Time
	facility   string
	st         MeterState
	lim        MeterLimits
	said, warn []string
}

func (m *meterCheck) run() (MeterResult, error) {
	var r *reading.Reading
	var err error
	switch m.c {
	case GridKWh, SolarKWh, GeneratorKWh:
		r, err = m.kwh()
	case GeneratorHours:
		r, err = m.hours()
	case FuelDelivered:
		err = m.delivered()
	case TankLevel:
		r, err = m.tank()
	}
	if err != nil {
		return MeterResult{}, err
	}
	if r == nil {
		m.said = append(m.said, "kept on this computer only")
	}
	return MeterResult{Counter: m.c, Meter: m.meter, Value: m.v, Unit: m.unit, Time: m.ts, Reading: r,
		State: m.st, Said: m.said, Warnings: m.warn}, nil
}

// last returns the last reading of counter c of this meter.
func (m *meterCheck) last(c Counter) (Last, bool) {
	l, ok := m.st.Last[Key(c, m.meter)]
	return l, ok
}

func (m *meterCheck) setLast(c Counter, l Last) {
	if m.st.Last == nil {
		m.st.Last = map[string]Last{}
	}
	m.st.Last[Key(c, m.meter)] = l
}

// inOrder refuses a reading of counter c not after its previous one.
func (m *meterCheck) inOrder(c Counter, prev Last, ok bool) error {
	if ok && !m.ts.After(prev.Time) {
		return &FieldError{Field: "ts", Message: fmt.Sprintf("the last %s reading was %s %s on %s; a reading taken at or before it (%s) cannot be added after it: check the date, or type the newest reading",
			c, num(prev.Value), c.Unit(), when(prev.Time), when(m.ts))}
	}
	return nil
}

// gap warns when the previous reading is too old for the roll-up to count
// the increase.
func (m *meterCheck) gap(prev Last) {
	if m.ts.Sub(prev.Time) > GapWithoutIncrease {
		m.warn = append(m.warn, fmt.Sprintf("the previous reading was on %s, more than 48 hours earlier: the use in between is not counted in the day figures; read the meter every day", when(prev.Time)))
	}
}

// rise checks a counter reading v against prev: below it only as a new
// meter, far above it only when confirmed. limitFor returns the largest
// plausible increase over the hours since prev; what words it for the
// question, with %s for the limit.
func (m *meterCheck) rise(c Counter, prev Last, v float64, limitFor func(hours float64) float64, what string) error {
	unit := c.Unit()
	from := ""
	if prev.FromHours {
		from = " (from the engine hours)"
	}
	switch {
	case v < prev.Value && !m.e.Replaced:
		return &Question{Field: "value", Flag: FlagReplaced, Kind: "new_meter", Last: &prev, Unit: unit,
			Message: fmt.Sprintf("%s %s is below the last reading: is this a new meter? The last reading was %s %s%s on %s. If the meter was replaced or reset, record it as a new meter",
				num(v), unit, num(prev.Value), unit, from, when(prev.Time))}
	case v < prev.Value:
		m.said = append(m.said, "recorded as a new meter: its reading starts again")
		return nil
	}
	if m.e.Replaced {
		m.warn = append(m.warn, fmt.Sprintf("not a new meter: %s %s is not below the last reading (%s %s), so the difference counts as use", num(v), unit, num(prev.Value), unit))
	}
	hours := m.ts.Sub(prev.Time).Hours()
	limit := limitFor(hours)
	if inc := v - prev.Value; inc > limit && !m.e.Confirm {
		return &Question{Field: "value", Flag: FlagConfirm, Kind: "big_jump", Last: &prev, Unit: unit,
			Message: fmt.Sprintf("that's a big jump: %s %s since the last reading (%s %s%s on %s, %s hours earlier) is more than %s; check the number, and confirm it if it is right",
				num(inc), unit, num(prev.Value), unit, from, when(prev.Time), num(math.Round(hours*10)/10), fmt.Sprintf(what, num(limit)))}
	}
	return nil
}

func (m *meterCheck) maxKW() float64 {
	switch m.c {
	case GridKWh:
		return m.lim.GridMaxKW
	case SolarKWh:
		return m.lim.SolarMaxKW
	}
	return m.lim.GeneratorMaxKW
}

func (m *meterCheck) kwh() (*reading.Reading, error) {
	prev, ok := m.last(m.c)
	if err := m.inOrder(m.c, prev, ok); err != nil {
		return nil, err
	}
	if m.c == GeneratorKWh {
		if err := m.seriesInOrder(m.meter); err != nil {
			return nil, err
		}
	}
	if ok {
		what := fmt.Sprintf("%%s kWh, what %s kW could give in that time (sources.manual.meters.%s_max_kw)", num(m.maxKW()), strings.TrimSuffix(string(m.c), "_kwh"))
		// Less than an hour counts as one: the times typed are rounded.
		perHour := func(hours float64) float64 { return m.maxKW() * math.Max(hours, 1) }
		if err := m.rise(m.c, prev, m.v, perHour, what); err != nil {
			return nil, err
		}
		m.gap(prev)
	} else {
		m.said = append(m.said, "the first reading of this counter: the use is counted from the next one")
	}
	m.setLast(m.c, Last{Value: m.v, Time: m.ts})
	switch m.c {
	case GridKWh:
		return m.energy("grid", m.meter, m.v, nil)
	case SolarKWh:
		b, _ := reading.NewBuilder(reading.Solar)
		b.SetTag("inverter", m.meter)
		b.SetFloat("kwh_total", m.v)
		return m.build(b)
	}
	return m.generator(m.v)
}

func (m *meterCheck) energy(source, tag string, kwh float64, fuel *float64) (*reading.Reading, error) {
	b, _ := reading.NewBuilder(reading.Energy)
	b.SetTag("meter", tag)
	b.SetTag("source", source)
	b.SetFloat("kwh_total", kwh)
	if fuel != nil {
		b.SetFloat("fuel_l_total", *fuel)
	}
	return m.build(b)
}

func (m *meterCheck) build(b *reading.Builder) (*reading.Reading, error) {
	r, err := b.Build(m.facility, m.ts, m.now, reading.Limits{MaxFuture: 5 * time.Minute})
	if err != nil {
		return nil, fmt.Errorf("meter entry: %w", err)
	}
	return &r, nil
}

// num writes v as the person typed it, without exponent for display-sized
// numbers. A difference of two typed numbers (12.4 − 12.1) is rounded to
// six decimals, more than any display shows, so that it reads 0.3 and not
// 0.3000000000000007.
func num(v float64) string {
	if math.Abs(v) < 1e9 {
		v = math.Round(v*1e6) / 1e6
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// when writes a reading's time for a message, in the agent's time zone.
func when(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }
