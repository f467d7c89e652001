package surge

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/greenpulse-health/greenpulse/registry/events"
)

// nMeasures: an area's day holds one Cell a measure.
const nMeasures = len(Measures)

// Answer is the answer of GET /api/v1/surge?event=ID (docs/api.md).
type Answer struct {
	Event    Entry         `json:"event"`
	Measures []string      `json:"measures"`
	Days     []events.Date `json:"days"`
	Baseline Baseline      `json:"baseline"`
	// Areas are the whole event first, then its governorates, then its
	// districts.
	Areas      []Area     `json:"areas"`
	Facilities []Facility `json:"facilities"`
	// Exceeded are the facilities whose hazardous waste over the event
	// exceeded what they treated safely, most untreated first.
	Exceeded   []string  `json:"exceeded"`
	Previous   *Previous `json:"previous"`
	ComputedAt time.Time `json:"computed_at"`
	// country is the national area code, for Scoped.
	country string
}

// Baseline says which days the baseline covers.
type Baseline struct {
	Weeks  int         `json:"weeks"`
	From   events.Date `json:"from"`
	To     events.Date `json:"to"` // inclusive: the day before the event
	Method string      `json:"method"`
}

// Area is the whole event, a governorate or a district: the sums of its
// facilities.
type Area struct {
	Level      string `json:"level"` // event, governorate or district
	Area       string `json:"area"`
	Facilities int    `json:"facilities"`
	Days       []Day  `json:"days"`
	Total      Totals `json:"total"`
	// within is the registry area that the event-level row stands for
	// when judging who may see it (scope.go).
	within place
}

// Facility is one facility of the event.
type Facility struct {
	Facility    string  `json:"facility"`
	Name        string  `json:"name"`
	NameAr      string  `json:"name_ar"`
	Governorate string  `json:"governorate"`
	District    string  `json:"district"`
	Lat         float64 `json:"lat"`
	Lon         float64 `json:"lon"`
	Days        []Day   `json:"days"`
	Total       Totals  `json:"total"`
	// SurgeFactor is the total waste_kg value over its baseline; nil when
	// the baseline is 0.
	SurgeFactor *float64 `json:"surge_factor"`
	// Over the event's days.
	HazardousKg     float64 `json:"hazardous_kg"`
	SafelyTreatedKg float64 `json:"safely_treated_kg"`
	UntreatedKg     float64 `json:"untreated_kg"`
}

// Previous is the same event a year before: the whole event's totals.
type Previous struct {
	Event string        `json:"event"`
	Days  []events.Date `json:"days"`
	Total Totals        `json:"total"`
	// within: as Area's.
	within place
}

// Day is one event day's values, one Cell a measure in Measures order.
type Day struct {
	Day    events.Date
	Values [nMeasures]Cell
}

// Totals are the sums over the event's days, one Cell a measure; a
// total has no band.
type Totals [nMeasures]Cell

// Cell is one measure's value and baseline. Has says whether each is
// known: a missing one is JSON null.
type Cell struct {
	Value, Baseline, Min, Max float64
	HasValue, HasBaseline     bool
}

// Ratio is Value / Baseline; false when either is unknown or the
// baseline is 0.
func (c Cell) Ratio() (float64, bool) {
	if !c.HasValue || !c.HasBaseline || c.Baseline == 0 {
		return 0, false
	}
	return c.Value / c.Baseline, true
}

// Round rounds x to the answer's 3 decimals.
func Round(x float64) float64 {
	r := math.Round(x*1000) / 1000
	if r == 0 {
		return 0 // not -0
	}
	return r
}

// appendNum appends x rounded, or null.
func appendNum(b []byte, x float64, ok bool) []byte {
	if !ok || math.IsNaN(x) || math.IsInf(x, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, Round(x), 'f', -1, 64)
}

// appendCell appends c as {"value","baseline","baseline_min",
// "baseline_max","ratio"}, or without the band for a total.
func appendCell(b []byte, c Cell, band bool) []byte {
	b = append(b, `{"value":`...)
	b = appendNum(b, c.Value, c.HasValue)
	b = append(b, `,"baseline":`...)
	b = appendNum(b, c.Baseline, c.HasBaseline)
	if band {
		b = append(b, `,"baseline_min":`...)
		b = appendNum(b, c.Min, c.HasBaseline)
		b = append(b, `,"baseline_max":`...)
		b = appendNum(b, c.Max, c.HasBaseline)
	}
	r, ok := c.Ratio()
	b = append(b, `,"ratio":`...)
	b = appendNum(b, r, ok)
	return append(b, '}')
}

func appendCells(b []byte, cells *[nMeasures]Cell, band bool) []byte {
	b = append(b, '{')
	for i, m := range Measures {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, m...)
		b = append(b, `":`...)
		b = appendCell(b, cells[i], band)
	}
	return append(b, '}')
}

// MarshalJSON writes {"day": "YYYY-MM-DD", "values": {measure: cell}}.
func (d Day) MarshalJSON() ([]byte, error) { return appendDay(make([]byte, 0, 512), &d), nil }

func appendDay(b []byte, d *Day) []byte {
	b = append(b, `{"day":"`...)
	b = append(b, d.Day.String()...)
	b = append(b, `","values":`...)
	b = appendCells(b, &d.Values, true)
	return append(b, '}')
}

// MarshalJSON writes {measure: {"value", "baseline", "ratio"}}.
func (t Totals) MarshalJSON() ([]byte, error) {
	return appendCells(make([]byte, 0, 400), (*[nMeasures]Cell)(&t), false), nil
}

// WriteJSON writes a to w as JSON, area by area and facility by facility:
// the answer of 2,000 facilities is some 15 MB, which need not be held
// at once.
func (a *Answer) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	b := make([]byte, 0, 8<<10)
	var err error
	flush := func() {
		if err == nil {
			_, err = bw.Write(b)
		}
		b = b[:0]
	}
	field := func(name string, v any, first bool) {
		if !first {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, `":`...)
		data, merr := json.Marshal(v)
		if merr != nil && err == nil {
			err = merr
		}
		b = append(b, data...)
	}
	b = append(b, '{')
	field("event", a.Event, true)
	field("measures", a.Measures, false)
	field("days", a.Days, false)
	field("baseline", a.Baseline, false)
	b = append(b, `,"areas":[`...)
	for i := range a.Areas {
		if i > 0 {
			b = append(b, ',')
		}
		x := &a.Areas[i]
		b = append(b, '{')
		field("level", x.Level, true)
		field("area", x.Area, false)
		b = append(b, `,"facilities":`...)
		b = strconv.AppendInt(b, int64(x.Facilities), 10)
		b = appendDays(b, x.Days, x.Total)
		b = append(b, '}')
		flush()
	}
	b = append(b, `],"facilities":[`...)
	for i := range a.Facilities {
		if i > 0 {
			b = append(b, ',')
		}
		f := &a.Facilities[i]
		b = append(b, '{')
		field("facility", f.Facility, true)
		field("name", f.Name, false)
		field("name_ar", f.NameAr, false)
		field("governorate", f.Governorate, false)
		field("district", f.District, false)
		field("lat", f.Lat, false)
		field("lon", f.Lon, false)
		b = appendDays(b, f.Days, f.Total)
		b = append(b, `,"surge_factor":`...)
		if f.SurgeFactor != nil {
			b = appendNum(b, *f.SurgeFactor, true)
		} else {
			b = append(b, "null"...)
		}
		b = append(b, `,"hazardous_kg":`...)
		b = appendNum(b, f.HazardousKg, true)
		b = append(b, `,"safely_treated_kg":`...)
		b = appendNum(b, f.SafelyTreatedKg, true)
		b = append(b, `,"untreated_kg":`...)
		b = appendNum(b, f.UntreatedKg, true)
		b = append(b, '}')
		flush()
	}
	b = append(b, ']')
	field("exceeded", a.Exceeded, false)
	field("previous", a.Previous, false)
	field("computed_at", a.ComputedAt, false)
	b = append(b, "}\n"...)
	flush()
	if err != nil {
		return err
	}
	return bw.Flush()
}

// appendDays appends ,"days":[…],"total":{…}.
func appendDays(b []byte, days []Day, total Totals) []byte {
	b = append(b, `,"days":[`...)
	for i := range days {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendDay(b, &days[i])
	}
	b = append(b, `],"total":`...)
	return appendCells(b, (*[nMeasures]Cell)(&total), false)
}

// MarshalJSON is WriteJSON's document.
func (a *Answer) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	if err := a.WriteJSON(&buf); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
