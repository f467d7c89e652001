package rollup

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// Querier runs Flux.
type Querier interface {
	Query(ctx context.Context, flux string) (*api.QueryTableResult, error)
}

// reduceFlux is one Flux script that reduces a period's raw readings in the
// database, per series, to what the indicator formulas need, so that no raw
// point reaches the collector: counter increases (SPEC's rule, with resets
// and the 48 h look-back), grid availability (each sample holds until the
// next, at most 15 min, clipped to the period), waste mass and events by
// facility, category and treatment, and storage-limit breaches. The
// readings at the period's edges (the last before it, the first and last
// in it) come back as they are and Go finishes them with the reference
// rules of package indicators. A facility reported when any counter or
// waste reading falls in the period.
//
// It runs on InfluxDB 1.8's Flux (0.65) and on 2.x: no timezone package,
// no window offsets; the period's bounds are absolute times.
const reduceFlux = `
S = %[2]s
E = %[3]s
hold = %[4]d
// A function, not a shared from(): 1.8's planner bounds a from() only when
// range() is its one successor. Each pipeline filters on measurement and
// field first, which 1.8 pushes down into the storage read, and then on
// _time < stop, because 1.8's storage read returns a point stamped exactly
// at stop (measured: a reading at the next local midnight was counted in
// this day); a _time predicate in the first filter would stop the push-down.
raw = (start, stop, fn) => from(bucket: %[1]q) |> range(start: start, stop: stop) |> filter(fn: fn) |> filter(fn: (r) => r._time < stop)

counters = (start, stop) => raw(start: start, stop: stop,
  fn: (r) => (r._measurement == "energy" or r._measurement == "solar") and (r._field == "kwh_total" or r._field == "fuel_l_total"))

// Counter increase without a map() over every reading (in 1.8 a map costs
// ~15 us a row, a built-in under 2 us): over the period's own pairs,
// sum(d) - sum(negative d) + sum(value after a reset); the pair across the
// period's start (the last reading before it, up to 48 h older, and the
// first in it) is finished in Go.
pairs = counters(start: S, stop: E)
  |> duplicate(column: "_value", as: "cur")
  |> difference(nonNegative: false)
pairs
  |> sum()
  |> keep(columns: ["_measurement", "_field", "facility", "meter", "source", "inverter", "_value"])
  |> yield(name: "dsum")
pairs
  |> filter(fn: (r) => r._value < 0.0)
  |> reduce(identity: {neg: 0.0, after: 0.0}, fn: (r, accumulator) => ({neg: accumulator.neg + r._value, after: accumulator.after + r.cur}))
  |> keep(columns: ["_measurement", "_field", "facility", "meter", "source", "inverter", "neg", "after"])
  |> yield(name: "resets")
counters(start: %[5]s, stop: S)
  |> last()
  |> keep(columns: ["_measurement", "_field", "facility", "meter", "source", "inverter", "_value", "_time"])
  |> yield(name: "before")
counters(start: S, stop: E)
  |> first()
  |> keep(columns: ["_measurement", "_field", "facility", "meter", "source", "inverter", "_value", "_time"])
  |> yield(name: "first")

// Grid availability, again without map(): on the period's samples sorted
// newest first, elapsed() gives each sample (but the newest) minus the gap
// to the next one, beside its own state; a sample holds min(gap, 15 min),
// summed as the short gaps plus 15 min per long one, by state. The sample
// before the period and the period's newest, which are clipped to its
// bounds, are finished in Go.
grid = (start, stop) => raw(start: start, stop: stop, fn: (r) => r._measurement == "energy" and r.source == "grid" and r._field == "available")
gaps = grid(start: S, stop: E)
  |> sort(columns: ["_time"], desc: true)
  |> elapsed(unit: 1ns)
gaps
  |> filter(fn: (r) => r.elapsed > -hold)
  |> group(columns: ["facility", "_value"])
  |> sum(column: "elapsed")
  |> yield(name: "short")
gaps
  |> filter(fn: (r) => r.elapsed <= -hold)
  |> group(columns: ["facility", "_value"])
  |> count(column: "elapsed")
  |> yield(name: "long")
grid(start: %[6]s, stop: S)
  |> last()
  |> keep(columns: ["facility", "meter", "_time", "_value"])
  |> yield(name: "gridbefore")
grid(start: S, stop: E)
  |> first()
  |> keep(columns: ["facility", "meter", "_time", "_value"])
  |> yield(name: "gridfirst")
grid(start: S, stop: E)
  |> last()
  |> keep(columns: ["facility", "meter", "_time", "_value"])
  |> yield(name: "gridlast")

waste = raw(start: S, stop: E, fn: (r) => r._measurement == "waste" and (r._field == "mass_kg" or r._field == "stored_hours"))

waste
  |> filter(fn: (r) => r._field == "mass_kg")
  |> group(columns: ["facility", "category", "treatment"])
  |> reduce(identity: {kg: 0.0, events: 0}, fn: (r, accumulator) => ({kg: r._value + accumulator.kg, events: accumulator.events + 1}))
  |> yield(name: "waste")

waste
  |> filter(fn: (r) => r._field == "stored_hours" and r._value > %[7]s)
  |> group(columns: ["facility", "category", "treatment"])
  |> count()
  |> yield(name: "stored")

`

// reduceScript fills reduceFlux for one period.
func reduceScript(bucket string, p indicators.Period, storageLimitHours float64) string {
	return fmt.Sprintf(reduceFlux, bucket,
		p.Start.UTC().Format(time.RFC3339), p.End.UTC().Format(time.RFC3339),
		indicators.AvailabilityHold.Nanoseconds(),
		p.Start.Add(-indicators.CounterLookback).UTC().Format(time.RFC3339),
		p.Start.Add(-indicators.AvailabilityHold).UTC().Format(time.RFC3339),
		strconv.FormatFloat(storageLimitHours, 'f', -1, 64))
}

// Reduce runs the reduction for period p against bucket and returns each
// facility's indicator input; facilities without any reading are absent.
// Beds and Days are left for the caller, who has the registry.
func Reduce(ctx context.Context, q Querier, bucket string, p indicators.Period, storageLimitHours float64) (map[string]*indicators.FacilityInput, error) {
	res, err := q.Query(ctx, reduceScript(bucket, p, storageLimitHours))
	if err != nil {
		return nil, fmt.Errorf("reduce %s: %w", p, err)
	}
	defer res.Close()
	inputs := map[string]*indicators.FacilityInput{}
	get := func(id string) *indicators.FacilityInput {
		in, ok := inputs[id]
		if !ok {
			in = &indicators.FacilityInput{}
			inputs[id] = in
		}
		return in
	}
	// Storage breaches arrive per class after the class's mass; keyed here.
	type class struct{ facility, category, treatment string }
	stored := map[class]int{}
	grid := map[string]*indicators.Meter{}
	gridOf := func(fac string) *indicators.Meter {
		m, ok := grid[fac]
		if !ok {
			m = &indicators.Meter{Source: "grid"}
			grid[fac] = m
		}
		return m
	}
	edges := map[[2]string]gridEdges{}
	series := map[meterKey]*counterParts{}
	var order []meterKey
	for res.Next() {
		r := res.Record()
		fac, _ := r.ValueByKey("facility").(string)
		if fac == "" {
			continue
		}
		switch r.Result() {
		case "dsum", "resets", "before", "first":
			k := meterKey{facility: fac, measurement: r.Measurement(), field: r.Field()}
			k.source, _ = r.ValueByKey("source").(string)
			k.meter, _ = r.ValueByKey("meter").(string)
			if k.measurement == "solar" {
				k.meter, _ = r.ValueByKey("inverter").(string)
			}
			c, ok := series[k]
			if !ok {
				c = &counterParts{}
				series[k] = c
				order = append(order, k)
			}
			switch r.Result() {
			case "dsum":
				// The sum of no differences (a series with one reading in
				// the period) is null: no pair, no data.
				if r.Value() != nil {
					c.dsum, c.pairs = toFloat(r.Value()), true
				}
			case "resets":
				c.neg, c.after = toFloat(r.ValueByKey("neg")), toFloat(r.ValueByKey("after"))
			case "before":
				c.before, c.beforeAt, c.hasBefore = toFloat(r.Value()), r.Time(), true
			case "first":
				c.first, c.firstAt, c.hasFirst = toFloat(r.Value()), r.Time(), true
			}
		case "short", "long":
			m := gridOf(fac)
			live, _ := r.ValueByKey("_value").(bool)
			var d time.Duration
			if r.Result() == "short" {
				d = -time.Duration(toFloat(r.ValueByKey("elapsed")))
			} else {
				d = time.Duration(toFloat(r.ValueByKey("elapsed"))) * indicators.AvailabilityHold
			}
			m.Covered += d
			if live {
				m.Live += d
			}
		case "gridbefore", "gridfirst", "gridlast":
			meter, _ := r.ValueByKey("meter").(string)
			live, _ := r.Value().(bool)
			e := edges[[2]string{fac, meter}]
			x := indicators.Sample{Time: r.Time()}
			if live {
				x.Value = 1
			}
			switch r.Result() {
			case "gridbefore":
				e.before, e.hasBefore = x, true
			case "gridfirst":
				e.first, e.hasFirst = x, true
			case "gridlast":
				e.last, e.hasLast = x, true
			}
			edges[[2]string{fac, meter}] = e
		case "waste":
			cat, _ := r.ValueByKey("category").(string)
			treat, _ := r.ValueByKey("treatment").(string)
			get(fac).Reported = true
			get(fac).Waste = append(get(fac).Waste, indicators.WasteClass{Category: cat, Treatment: treat,
				Kg: toFloat(r.ValueByKey("kg")), Events: int(toFloat(r.ValueByKey("events")))})
		case "stored":
			cat, _ := r.ValueByKey("category").(string)
			treat, _ := r.ValueByKey("treatment").(string)
			stored[class{fac, cat, treat}] = int(toFloat(r.Value()))
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("reduce %s: read result: %w", p, err)
	}
	// A generator's kwh_total and fuel_l_total are separate series, joined
	// by meter here.
	type meterID struct{ facility, measurement, meter, source string }
	meters := map[meterID]*indicators.Meter{}
	var meterOrder []meterID
	for _, k := range order {
		c := series[k]
		inc, ok := c.increase()
		if c.hasFirst {
			get(k.facility).Reported = true
		}
		if !ok {
			continue
		}
		id := meterID{k.facility, k.measurement, k.meter, k.source}
		m, seen := meters[id]
		if !seen {
			m = &indicators.Meter{Source: k.source}
			meters[id] = m
			meterOrder = append(meterOrder, id)
		}
		if k.field == "fuel_l_total" {
			m.Fuel = indicators.Counter{Increase: inc, OK: true}
		} else {
			m.KWh = indicators.Counter{Increase: inc, OK: true}
		}
	}
	for _, id := range meterOrder {
		in, m := get(id.facility), meters[id]
		if id.measurement == "solar" {
			in.Solar = append(in.Solar, m.KWh)
		} else {
			in.Meters = append(in.Meters, *m)
		}
	}
	for k, e := range edges {
		live, covered := e.held(p)
		m := gridOf(k[0])
		m.Live += live
		m.Covered += covered
	}
	for fac, m := range grid {
		get(fac).Meters = append(get(fac).Meters, *m)
	}
	for c, n := range stored {
		in := get(c.facility)
		for i := range in.Waste {
			if in.Waste[i].Category == c.category && in.Waste[i].Treatment == c.treatment {
				in.Waste[i].StorageExceeded = n
			}
		}
	}
	return inputs, nil
}

// gridEdges are a grid meter's samples at the period's bounds: the last
// before it, and the first and last in it.
type gridEdges struct {
	before, first, last          indicators.Sample
	hasBefore, hasFirst, hasLast bool
}

// held is the availability the database's gap sums leave out: the sample
// before the period, holding into it until the first sample in it or for
// 15 min, and the period's last sample, holding for 15 min or to the end.
func (e gridEdges) held(p indicators.Period) (live, covered time.Duration) {
	if e.hasBefore {
		until := p.End
		if e.hasFirst {
			until = e.first.Time
		}
		l, c := indicators.Availability([]indicators.Sample{e.before}, p.Start, until)
		live, covered = live+l, covered+c
	}
	if e.hasLast {
		l, c := indicators.Availability([]indicators.Sample{e.last}, p.Start, p.End)
		live, covered = live+l, covered+c
	}
	return live, covered
}

// meterKey names one counter series.
type meterKey struct{ facility, measurement, field, meter, source string }

// counterParts are the database's partial results for one counter series.
type counterParts struct {
	dsum, neg, after  float64 // over pairs inside the period
	pairs             bool
	before, first     float64
	beforeAt, firstAt time.Time
	hasBefore         bool
	hasFirst          bool
}

// increase applies SPEC's rule: inside the period, the differences with a
// reset counting the value after it (sum d - sum negative d + sum values
// after resets); across the period's start, the first reading against the
// last one before it if that is at most 48 h older.
func (c *counterParts) increase() (float64, bool) {
	inc, ok := 0.0, c.pairs
	if c.pairs {
		inc = c.dsum - c.neg + c.after
	}
	if c.hasBefore && c.hasFirst {
		if d, counts := indicators.Difference(indicators.Sample{Time: c.beforeAt, Value: c.before},
			indicators.Sample{Time: c.firstAt, Value: c.first}); counts {
			inc += d
			ok = true
		}
	}
	return inc, ok
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	}
	return 0
}
