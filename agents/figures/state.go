package figures

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// FileName is the name of the store's file in the outbox directory.
const FileName = "figures.json"

const formatVersion = 1

// Bounds of a file the store accepts: a facility has a handful of meters,
// and two months are at most 62 days.
const (
	maxSeries = 256
	maxDays   = 70
	// maxValue bounds a counter reading (the reading contract's 1e12)
	// and maxSum a day's sum of one series or class, far above any
	// facility's, so that sums stay finite.
	maxValue = 1e12
	maxSum   = 1e15
	// maxEvents bounds a day's hand-overs of one class.
	maxEvents = 1 << 20
)

// file is the store's state, in memory and as the JSON document on disk.
type file struct {
	Format   int    `json:"format"`
	Timezone string `json:"timezone"`
	// Counters holds each counter series' last reading, by counterKey.
	Counters map[string]sample `json:"counters"`
	// Grid holds each grid meter's last availability sample, by meter.
	Grid map[string]sample        `json:"grid"`
	Days map[events.Date]*daySums `json:"days"`
	// Since is the time of the oldest reading counted in the days kept:
	// the page says from when this agent's figures run, since readings
	// that reached the collector by another route (an earlier agent, a
	// history sent from elsewhere) are in its figures but not in these.
	Since time.Time `json:"since,omitzero"`
}

// sample is a series' last reading: its time (to the millisecond, as the
// reading is published) and its value (a counter, or 1 live and 0 down).
type sample struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

// daySums are one local day's reductions.
type daySums struct {
	Reported bool `json:"reported"`
	// Counters holds the increase of each counter series that had a
	// difference in the day, by counterKey.
	Counters map[string]*counterSum `json:"counters,omitempty"`
	// Grid holds each grid meter's held availability, by meter.
	Grid  map[string]*heldSum `json:"grid,omitempty"`
	Waste []*wasteSum         `json:"waste,omitempty"`
}

// counterSum is one counter series' increase in a day.
type counterSum struct {
	Stream   reading.Stream `json:"stream"` // energy or solar
	Meter    string         `json:"meter"`  // the meter, or the solar inverter
	Source   string         `json:"source,omitempty"`
	Field    string         `json:"field"` // kwh_total or fuel_l_total
	Increase float64        `json:"increase"`
}

// heldSum is a grid meter's live and covered time in a day, in
// milliseconds: readings are published to the millisecond, so sums of
// them are exact.
type heldSum struct {
	LiveMS    int64 `json:"live_ms"`
	CoveredMS int64 `json:"covered_ms"`
}

// wasteSum is a day's waste of one category and treatment.
type wasteSum struct {
	Category        string  `json:"category"`
	Treatment       string  `json:"treatment"`
	Kg              float64 `json:"kg"`
	Events          int     `json:"events"`
	StorageExceeded int     `json:"storage_exceeded"`
}

// counterKey names a counter series: the stream, its meter (or inverter)
// and source tags, and the field.
func counterKey(stream reading.Stream, meter, source, field string) string {
	return string(stream) + "|" + meter + "|" + source + "|" + field
}

// Check reports whether f is a state the store could have written;
// jsonstate.Load sets aside a file that fails it, so that a damaged or
// hand-edited file never reaches the formulas.
func (f *file) Check() error {
	if len(f.Counters) > maxSeries || len(f.Grid) > maxSeries {
		return fmt.Errorf("more than %d series", maxSeries)
	}
	if len(f.Days) > maxDays {
		return fmt.Errorf("days: %d, more than %d", len(f.Days), maxDays)
	}
	for k, s := range f.Counters {
		if err := checkCounterKey(k); err != nil {
			return fmt.Errorf("counters %q: %w", k, err)
		}
		if err := s.check(false); err != nil {
			return fmt.Errorf("counters %q: %w", k, err)
		}
	}
	for m, s := range f.Grid {
		if !reading.ValidName(m) {
			return fmt.Errorf("grid %q: not a meter name", m)
		}
		if err := s.check(true); err != nil {
			return fmt.Errorf("grid %q: %w", m, err)
		}
	}
	for d, day := range f.Days {
		if d.IsZero() || day == nil {
			return fmt.Errorf("days: an empty entry")
		}
		if err := day.check(); err != nil {
			return fmt.Errorf("days %s: %w", d, err)
		}
	}
	return nil
}

func checkCounterKey(k string) error {
	parts := strings.Split(k, "|")
	if len(parts) != 4 {
		return fmt.Errorf("not a series key")
	}
	c := counterSum{Stream: reading.Stream(parts[0]), Meter: parts[1], Source: parts[2], Field: parts[3]}
	return c.checkSeries()
}

// checkSeries checks the series a counter sum belongs to.
func (c *counterSum) checkSeries() error {
	switch c.Stream {
	case reading.Energy:
		if !slices.Contains(reading.EnergySources, c.Source) {
			return fmt.Errorf("source %q is not one of %v", c.Source, reading.EnergySources)
		}
		if c.Field != "kwh_total" && c.Field != "fuel_l_total" {
			return fmt.Errorf("field %q is not kwh_total or fuel_l_total", c.Field)
		}
	case reading.Solar:
		if c.Source != "" || c.Field != "kwh_total" {
			return fmt.Errorf("a solar series has no source and only kwh_total")
		}
	default:
		return fmt.Errorf("stream %q is not energy or solar", c.Stream)
	}
	if !reading.ValidName(c.Meter) {
		return fmt.Errorf("meter %q is not a name", c.Meter)
	}
	return nil
}

func (s sample) check(availability bool) error {
	if s.T.IsZero() {
		return fmt.Errorf("t: missing")
	}
	if availability && s.V != 0 && s.V != 1 {
		return fmt.Errorf("v: %g, want 0 or 1", s.V)
	}
	if !finite(s.V) || s.V < 0 || s.V > maxValue {
		return fmt.Errorf("v: %g, want a number of 0 or more", s.V)
	}
	return nil
}

func (d *daySums) check() error {
	if len(d.Counters) > maxSeries || len(d.Grid) > maxSeries {
		return fmt.Errorf("more than %d series", maxSeries)
	}
	for k, c := range d.Counters {
		if c == nil {
			return fmt.Errorf("counters %q: empty", k)
		}
		if err := c.checkSeries(); err != nil {
			return fmt.Errorf("counters %q: %w", k, err)
		}
		if k != counterKey(c.Stream, c.Meter, c.Source, c.Field) {
			return fmt.Errorf("counters %q: the key does not match the series", k)
		}
		if !finite(c.Increase) || c.Increase < 0 || c.Increase > maxSum {
			return fmt.Errorf("counters %q: increase %g, want a number of 0 or more", k, c.Increase)
		}
	}
	const dayMS = 25 * 3600 * 1000 // a day of 25 hours, where DST ends
	for m, h := range d.Grid {
		if h == nil || !reading.ValidName(m) {
			return fmt.Errorf("grid %q: not a meter", m)
		}
		if h.CoveredMS < 0 || h.CoveredMS > dayMS || h.LiveMS < 0 || h.LiveMS > h.CoveredMS {
			return fmt.Errorf("grid %q: live %d ms of %d covered", m, h.LiveMS, h.CoveredMS)
		}
	}
	if len(d.Waste) > len(reading.WasteCategories)*len(reading.WasteTreatments) {
		return fmt.Errorf("waste: more classes than the contract has")
	}
	seen := map[[2]string]bool{}
	for i, w := range d.Waste {
		if w == nil {
			return fmt.Errorf("waste[%d]: empty", i)
		}
		k := [2]string{w.Category, w.Treatment}
		if seen[k] || !slices.Contains(reading.WasteCategories, w.Category) || !slices.Contains(reading.WasteTreatments, w.Treatment) {
			return fmt.Errorf("waste[%d]: class %s/%s is unknown or repeated", i, w.Category, w.Treatment)
		}
		seen[k] = true
		if !finite(w.Kg) || w.Kg <= 0 || w.Kg > maxSum || w.Events < 1 || w.Events > maxEvents || w.StorageExceeded < 0 || w.StorageExceeded > w.Events {
			return fmt.Errorf("waste[%d]: %g kg in %d events, %d stored too long", i, w.Kg, w.Events, w.StorageExceeded)
		}
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
