// Package rollup turns raw readings into indicator points: for each period
// it reduces the raw bucket in the database (reduce.go), computes every
// facility's indicators, sums facilities into districts, governorates and
// the nation, and writes one point per indicator, level, area and period to
// the indicator bucket. A point is identified by its tags and the period's
// start, so running a period again overwrites it.
package rollup

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/influxdata/influxdb-client-go/v2/api"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Store is the database as the roll-up uses it.
type Store interface {
	Query(ctx context.Context, flux string) (*api.QueryTableResult, error)
	WriteIndicators(ctx context.Context, lineProtocol []byte) error
	Buckets() (raw, indicators string)
}

// Options configure a Rollup.
type Options struct {
	Params   indicators.Params
	Location *time.Location // local days and months
	Country  string         // the national area code, e.g. IQ
}

// Rollup computes and stores indicators. It is safe for concurrent use
// over different periods.
type Rollup struct {
	store Store
	reg   *registry.Registry
	opt   Options
	log   *slog.Logger

	// days caches each reduced day's inputs, so that the month of today is
	// rebuilt every few minutes from its days without reducing them again.
	mu   sync.Mutex
	days map[time.Time]map[string]*indicators.FacilityInput
	// onMonth are told of each month written (OnMonth).
	onMonth []func(MonthWritten)
}

// cacheDays bounds the day cache: a month and the look-back before it.
const cacheDays = 70

// New returns a Rollup over the facilities of reg.
func New(store Store, reg *registry.Registry, opt Options, log *slog.Logger) *Rollup {
	return &Rollup{store: store, reg: reg, opt: opt, log: log, days: map[time.Time]map[string]*indicators.FacilityInput{}}
}

// MonthWritten is one month as a roll-up just wrote it.
type MonthWritten struct {
	Period indicators.Period
	// At is when the roll-up computed it.
	At time.Time
	// Values holds every registry facility's facility-level values, in
	// catalog order (none for a facility without any). Observers share
	// it and must not change it.
	Values map[string][]indicators.Value
}

// OnMonth makes r call f after each month it writes, with what it wrote:
// the month of every run, scheduled, by hand (POST /api/v1/rollup) or
// before a DHIS2 push, from the goroutine that ran it, so f must return
// at once. A month whose write failed is not told. Call it before the
// first roll-up.
func (r *Rollup) OnMonth(f func(MonthWritten)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onMonth = append(r.onMonth, f)
}

// Result says what one period's roll-up did.
type Result struct {
	Period    indicators.Period
	Reporting int // facilities with any reading
	Points    int // indicator points written
}

// Period computes and stores every indicator of day p. A month is computed
// from its days (see Range), because the database reduces a day cheaply and
// SPEC's rules make a month exactly the sum of its days.
func (r *Rollup) Period(ctx context.Context, p indicators.Period) (Result, error) {
	if p.Kind != indicators.Day {
		return r.month(ctx, p)
	}
	inputs, err := r.reduceDay(ctx, p)
	if err != nil {
		return Result{Period: p}, err
	}
	return r.write(ctx, p, inputs)
}

// reduceDay reduces day p in the database and caches the result.
func (r *Rollup) reduceDay(ctx context.Context, p indicators.Period) (map[string]*indicators.FacilityInput, error) {
	raw, _ := r.store.Buckets()
	inputs, err := Reduce(ctx, r.store, raw, p, r.opt.Params.StorageLimitHours)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.days[p.Start] = inputs
	for d := range r.days {
		if d.Before(p.Start.AddDate(0, 0, -cacheDays)) {
			delete(r.days, d)
		}
	}
	return inputs, nil
}

// cachedDay returns day d's inputs if a roll-up reduced it before.
func (r *Rollup) cachedDay(d time.Time) (map[string]*indicators.FacilityInput, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	in, ok := r.days[d]
	return in, ok
}

// month computes month p from its days, reducing those not in the cache.
func (r *Rollup) month(ctx context.Context, p indicators.Period) (Result, error) {
	merged := map[string]*indicators.FacilityInput{}
	for _, d := range indicators.Periods(indicators.Day, p.Start, p.End, r.opt.Location) {
		inputs, ok := r.cachedDay(d.Start)
		if !ok {
			var err error
			if inputs, err = r.reduceDay(ctx, d); err != nil {
				return Result{Period: p}, err
			}
		}
		for id, in := range inputs {
			m, ok := merged[id]
			if !ok {
				m = &indicators.FacilityInput{}
				merged[id] = m
			}
			m.Merge(*in)
		}
	}
	return r.write(ctx, p, merged)
}

// write computes the indicators of period p from each facility's input
// and writes them with their district, governorate and national values.
func (r *Rollup) write(ctx context.Context, p indicators.Period, inputs map[string]*indicators.FacilityInput) (Result, error) {
	res := Result{Period: p}
	r.mu.Lock()
	observers := r.onMonth
	r.mu.Unlock()
	var month map[string][]indicators.Value
	if p.Kind == indicators.Month && len(observers) > 0 {
		month = make(map[string][]indicators.Value, r.reg.Len())
	}
	var lp bytes.Buffer
	areas := map[[2]string]indicators.Terms{} // (level, area) -> terms
	add := func(level, area string, t indicators.Terms) {
		k := [2]string{level, area}
		if areas[k] == nil {
			areas[k] = indicators.Terms{}
		}
		areas[k].Add(t)
	}
	for _, f := range r.reg.Facilities() {
		in := indicators.FacilityInput{}
		if got := inputs[f.ID]; got != nil {
			in = *got
		}
		in.Beds, in.Days = f.Beds, p.Days()
		if in.Reported {
			res.Reporting++
		}
		terms := indicators.Facility(in, r.opt.Params)
		vals := terms.Values(false)
		res.Points += appendPoints(&lp, vals, "facility", f.ID, p)
		appendFacilityMonth(&lp, vals, f.ID, p)
		if month != nil {
			month[f.ID] = vals
		}
		add("district", f.District, terms)
		add("governorate", f.Governorate, terms)
		add("national", r.opt.Country, terms)
	}
	for k, terms := range areas {
		res.Points += appendPoints(&lp, terms.Values(true), k[0], k[1], p)
	}
	if lp.Len() > 0 {
		if err := r.store.WriteIndicators(ctx, lp.Bytes()); err != nil {
			return res, fmt.Errorf("roll-up %s: %w", p, err)
		}
	}
	if month != nil {
		done := MonthWritten{Period: p, At: time.Now(), Values: month}
		for _, f := range observers {
			f(done)
		}
	}
	r.log.Debug("roll-up done", "period", p.String(), "reporting", res.Reporting, "points", res.Points)
	return res, nil
}

// appendPoints writes one line per value, tags in key order. A ratio's
// line also holds its numerator and denominator, which the DHIS2 export
// pushes as data elements.
func appendPoints(b *bytes.Buffer, vals []indicators.Value, level, area string, p indicators.Period) int {
	ts := strconv.FormatInt(p.Start.UnixNano(), 10)
	for _, v := range vals {
		b.WriteString("indicator,area=")
		b.WriteString(area)
		b.WriteString(",indicator=")
		b.WriteString(string(v.ID))
		b.WriteString(",level=")
		b.WriteString(level)
		b.WriteString(",period=")
		b.WriteString(string(p.Kind))
		b.WriteString(" value=")
		b.WriteString(strconv.FormatFloat(v.Value, 'g', -1, 64))
		b.WriteString(",facilities=")
		b.WriteString(strconv.Itoa(v.Facilities))
		b.WriteString("i")
		if v.Ratio {
			b.WriteString(",numerator=")
			b.WriteString(strconv.FormatFloat(v.Num, 'g', -1, 64))
			b.WriteString(",denominator=")
			b.WriteString(strconv.FormatFloat(v.Den, 'g', -1, 64))
		}
		b.WriteByte(' ')
		b.WriteString(ts)
		b.WriteByte('\n')
	}
	return len(vals)
}

// Range rolls up every local day that overlaps [from, to), then every month
// that does, from the days just reduced (and cached).
func (r *Rollup) Range(ctx context.Context, from, to time.Time) ([]Result, error) {
	var out []Result
	for _, p := range indicators.Periods(indicators.Day, from, to, r.opt.Location) {
		res, err := r.Period(ctx, p)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	for _, p := range indicators.Periods(indicators.Month, from, to, r.opt.Location) {
		res, err := r.month(ctx, p)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}
