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
// and the 48 h look-back, from one difference over value and time), grid
// availability (each sample holds until the next, at most 15 min, clipped
// to the period, computed from pairs of consecutive samples plus each
// series' last sample), waste mass and events by facility, category and
// treatment, storage-limit breaches, and which facilities reported.
//
// It runs on InfluxDB 1.8's Flux (0.65) and on 2.x: no timezone package,
// no window offsets; the period's bounds are absolute times.
const reduceFlux = `
S = %[2]s
E = %[3]s
Sns = int(v: S)
Ens = int(v: E)
hold = %[4]d
// A function, not a shared from(): 1.8's planner bounds a from() only when
// range() is its one successor. The filter repeats the stop because 1.8's
// storage read returns a point stamped exactly at stop (measured: a reading
// at the next local midnight was counted in this day).
raw = (start, stop) => from(bucket: %[1]q) |> range(start: start, stop: stop) |> filter(fn: (r) => r._time < stop)

raw(start: %[5]s, stop: E)
  |> filter(fn: (r) => (r._measurement == "energy" or r._measurement == "solar") and (r._field == "kwh_total" or r._field == "fuel_l_total"))
  |> map(fn: (r) => ({r with cur: r._value, dt: int(v: r._time)}))
  |> difference(nonNegative: false, columns: ["_value", "dt"])
  |> filter(fn: (r) => r._time >= S and r.dt <= %[6]d)
  |> map(fn: (r) => ({r with _value: if r._value < 0.0 then r.cur else r._value}))
  |> sum()
  |> keep(columns: ["_measurement", "_field", "facility", "meter", "source", "inverter", "_value"])
  |> yield(name: "counter")

grid = raw(start: %[7]s, stop: E)
  |> filter(fn: (r) => r._measurement == "energy" and r.source == "grid" and r._field == "available")
  |> map(fn: (r) => ({r with v: if r._value then 1.0 else 0.0, cur: if r._value then 1.0 else 0.0, t: int(v: r._time), tc: int(v: r._time)}))

grid
  |> difference(nonNegative: false, columns: ["v", "t"])
  |> map(fn: (r) => {
      tprev = r.tc - r.t
      start = if tprev > Sns then tprev else Sns
      h = tprev + hold
      stop0 = if r.tc < h then r.tc else h
      stop = if stop0 < Ens then stop0 else Ens
      dur = if stop > start then float(v: stop - start) / 1000000000.0 else 0.0
      return {facility: r.facility, covered: dur, live: if r.cur - r.v > 0.5 then dur else 0.0}
    })
  |> group(columns: ["facility"])
  |> reduce(identity: {covered: 0.0, live: 0.0}, fn: (r, accumulator) => ({covered: r.covered + accumulator.covered, live: r.live + accumulator.live}))
  |> yield(name: "held")

grid
  |> last(column: "tc")
  |> map(fn: (r) => {
      start = if r.tc > Sns then r.tc else Sns
      h = r.tc + hold
      stop = if h < Ens then h else Ens
      dur = if stop > start then float(v: stop - start) / 1000000000.0 else 0.0
      return {facility: r.facility, covered: dur, live: if r.cur > 0.5 then dur else 0.0}
    })
  |> group(columns: ["facility"])
  |> reduce(identity: {covered: 0.0, live: 0.0}, fn: (r, accumulator) => ({covered: r.covered + accumulator.covered, live: r.live + accumulator.live}))
  |> yield(name: "last")

waste = raw(start: S, stop: E)
  |> filter(fn: (r) => r._measurement == "waste" and (r._field == "mass_kg" or r._field == "stored_hours"))

waste
  |> filter(fn: (r) => r._field == "mass_kg")
  |> group(columns: ["facility", "category", "treatment"])
  |> reduce(identity: {kg: 0.0, events: 0}, fn: (r, accumulator) => ({kg: r._value + accumulator.kg, events: accumulator.events + 1}))
  |> yield(name: "waste")

waste
  |> filter(fn: (r) => r._field == "stored_hours" and r._value > %[8]s)
  |> group(columns: ["facility", "category", "treatment"])
  |> count()
  |> yield(name: "stored")

raw(start: S, stop: E)
  |> filter(fn: (r) => r._field == "kwh_total" or r._field == "mass_kg")
  |> group(columns: ["facility"])
  |> count()
  |> yield(name: "reported")
`

// Reduce runs the reduction for period p against bucket and returns each
// facility's indicator input; facilities without any reading are absent.
// Beds and Days are left for the caller, who has the registry.
func Reduce(ctx context.Context, q Querier, bucket string, p indicators.Period, storageLimitHours float64) (map[string]*indicators.FacilityInput, error) {
	flux := fmt.Sprintf(reduceFlux, bucket,
		p.Start.UTC().Format(time.RFC3339), p.End.UTC().Format(time.RFC3339),
		indicators.AvailabilityHold.Nanoseconds(),
		p.Start.Add(-indicators.CounterLookback).UTC().Format(time.RFC3339),
		indicators.CounterLookback.Nanoseconds(),
		p.Start.Add(-indicators.AvailabilityHold).UTC().Format(time.RFC3339),
		strconv.FormatFloat(storageLimitHours, 'f', -1, 64))
	res, err := q.Query(ctx, flux)
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
	// A generator's kwh_total and fuel_l_total arrive as separate series;
	// they are joined by meter here.
	type meterKey struct{ facility, measurement, meter, source string }
	meters := map[meterKey]*indicators.Meter{}
	var order []meterKey
	for res.Next() {
		r := res.Record()
		fac, _ := r.ValueByKey("facility").(string)
		if fac == "" {
			continue
		}
		switch r.Result() {
		case "counter":
			k := meterKey{facility: fac, measurement: r.Measurement()}
			k.source, _ = r.ValueByKey("source").(string)
			k.meter, _ = r.ValueByKey("meter").(string)
			if k.measurement == "solar" {
				k.meter, _ = r.ValueByKey("inverter").(string)
			}
			m, ok := meters[k]
			if !ok {
				m = &indicators.Meter{Source: k.source}
				meters[k] = m
				order = append(order, k)
			}
			c := indicators.Counter{Increase: toFloat(r.Value()), OK: true}
			if r.Field() == "fuel_l_total" {
				m.Fuel = c
			} else {
				m.KWh = c
			}
		case "held", "last":
			m, ok := grid[fac]
			if !ok {
				m = &indicators.Meter{Source: "grid"}
				grid[fac] = m
			}
			m.Covered += seconds(r.ValueByKey("covered"))
			m.Live += seconds(r.ValueByKey("live"))
		case "waste":
			cat, _ := r.ValueByKey("category").(string)
			treat, _ := r.ValueByKey("treatment").(string)
			get(fac).Waste = append(get(fac).Waste, indicators.WasteClass{Category: cat, Treatment: treat,
				Kg: toFloat(r.ValueByKey("kg")), Events: int(toFloat(r.ValueByKey("events")))})
		case "stored":
			cat, _ := r.ValueByKey("category").(string)
			treat, _ := r.ValueByKey("treatment").(string)
			stored[class{fac, cat, treat}] = int(toFloat(r.Value()))
		case "reported":
			if toFloat(r.Value()) > 0 {
				get(fac).Reported = true
			}
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("reduce %s: read result: %w", p, err)
	}
	for _, k := range order {
		in, m := get(k.facility), meters[k]
		if k.measurement == "solar" {
			in.Solar = append(in.Solar, m.KWh)
		} else {
			in.Meters = append(in.Meters, *m)
		}
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

func seconds(v any) time.Duration { return time.Duration(toFloat(v) * float64(time.Second)) }
