package web_test

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// surgeAnswer is GET /api/v1/surge?event=ID as the tests read it
// (docs/api.md); nulls stay nil.
type surgeAnswer struct {
	Event struct {
		ID, Name   string
		NameAr     string  `json:"name_ar"`
		Facilities int     `json:"facilities"`
		Previous   *string `json:"previous"`
	} `json:"event"`
	Measures []string `json:"measures"`
	Days     []string `json:"days"`
	Baseline struct {
		Weeks    int
		From, To string
	} `json:"baseline"`
	Areas      []surgeRow `json:"areas"`
	Facilities []surgeRow `json:"facilities"`
	Exceeded   []string   `json:"exceeded"`
	Previous   *struct {
		Event string               `json:"event"`
		Days  []string             `json:"days"`
		Total map[string]surgeCell `json:"total"`
	} `json:"previous"`
}

// surgeRow is an area or a facility of the answer.
type surgeRow struct {
	Level, Area string
	Facilities  int
	Facility    string
	Name        string
	NameAr      string `json:"name_ar"`
	Days        []struct {
		Day    string
		Values map[string]surgeCell
	}
	Total           map[string]surgeCell
	SurgeFactor     *float64 `json:"surge_factor"`
	HazardousKg     float64  `json:"hazardous_kg"`
	SafelyTreatedKg float64  `json:"safely_treated_kg"`
	UntreatedKg     float64  `json:"untreated_kg"`
}

type surgeCell struct {
	Value    *float64 `json:"value"`
	Baseline *float64 `json:"baseline"`
	Min      *float64 `json:"baseline_min"`
	Max      *float64 `json:"baseline_max"`
	Ratio    *float64 `json:"ratio"`
}

// code is the row's area code or facility id.
func (r surgeRow) code() string { return r.Area + r.Facility }

func (a surgeAnswer) row(code string) (surgeRow, bool) {
	for _, r := range append(slices.Clone(a.Areas), a.Facilities...) {
		if r.code() == code {
			return r, true
		}
	}
	return surgeRow{}, false
}

// checkShown says whether text shows v (nil: the dash of no value) as
// the page writes a figure of unit.
func checkShown(text string, v *float64, unit string) error {
	if v == nil {
		if text != "–" {
			return fmt.Errorf("shows %q, the API has no value", text)
		}
		return nil
	}
	return checkFigure(text, *v, unit)
}

// checkRatio says whether text shows ratio r as the view writes ratios:
// two decimals and a times sign, or the dash.
func checkRatio(text string, r *float64) error {
	if r == nil {
		if text != "–" {
			return fmt.Errorf("shows %q, the API has no ratio", text)
		}
		return nil
	}
	num, ok := strings.CutSuffix(text, "×")
	got, dec, err := shown(num)
	if !ok || err != nil || dec != 2 || math.Abs(got-*r) > 0.005+1e-9 {
		return fmt.Errorf("shows %q, the API's ratio is %v (2 decimals and ×)", text, *r)
	}
	return nil
}

// eventPage is what the Events view shows of one answer, read from the
// page in one go.
type eventPage struct {
	Title   string
	Dir     string
	Totals  map[string]struct{ Value, Baseline, Ratio string } // by measure
	Area    string                                             // whose totals
	Areas   map[string]map[string]string                       // area → data-col → text
	Order   []string                                           // areas in table order
	Exceed  []map[string]string                                // rows of #exceeded, in order
	Count   string                                             // #exceeded-card's data-count
	Prev    map[string]map[string]string                       // measure → data-col → text
	NoPrev  string
	Markers string
	Govs    string
	// Timeline is the chart's data: its area and measure, and the
	// datasets (band low, band high, baseline, value) day by day.
	Timeline struct {
		Area, Measure string
		Labels        []string
		Data          [][]*float64
	}
	CSV string // the API CSV link
	// Strays are elements showing the text null or undefined.
	Strays []string
}

const readEventPage = `(() => {
	const cells = (tr) => Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map((td) => [td.dataset.col, td.textContent]));
	const canvas = document.querySelector('#timeline canvas');
	const chart = canvas && Chart.getChart(canvas);
	return {
		Title: document.querySelector('.view-title h2')?.textContent ?? '',
		Dir: document.documentElement.dir,
		Totals: Object.fromEntries([...document.querySelectorAll('#event-totals .tile')].map((e) => [e.dataset.measure,
			{Value: e.querySelector('.tile-value').textContent, Baseline: e.querySelector('.tile-baseline').textContent, Ratio: e.querySelector('.tile-ratio').textContent}])),
		Area: document.getElementById('event-totals')?.dataset.area ?? '',
		Areas: Object.fromEntries([...document.querySelectorAll('#areas tbody tr')].map((tr) => [tr.dataset.key, cells(tr)])),
		Order: [...document.querySelectorAll('#areas tbody tr')].map((tr) => tr.dataset.key),
		Exceed: [...document.querySelectorAll('#exceeded tbody tr[data-key]')].filter((tr) => tr.dataset.key).map((tr) => ({key: tr.dataset.key, ...cells(tr)})),
		Count: document.getElementById('exceeded-card')?.dataset.count ?? '',
		Prev: Object.fromEntries([...document.querySelectorAll('#previous tbody tr')].map((tr) => [tr.dataset.measure, cells(tr)])),
		NoPrev: document.getElementById('no-previous')?.textContent ?? '',
		Markers: document.getElementById('surge-map')?.dataset.markers ?? '',
		Govs: document.getElementById('surge-map')?.dataset.governorates ?? '',
		Timeline: chart ? {Area: document.getElementById('timeline').dataset.area, Measure: document.getElementById('timeline').dataset.measure,
			Labels: chart.data.labels, Data: chart.data.datasets.map((d) => d.data)} : {Area: '', Measure: '', Labels: [], Data: []},
		CSV: document.getElementById('events-csv')?.getAttribute('href') ?? '',
		Strays: [...document.querySelectorAll('main *')].filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && /\bnull\b|\bundefined\b|NaN/.test(n.textContent))).map((e) => e.tagName + '#' + e.id),
	};
})()`

// checkEventPage compares everything the Events view shows with the
// answer a it was drawn from: the totals tiles, every area's cells, the
// exceeded facilities (same order, their kg), the comparison with the
// year before (or its note), the map's markers, and the timeline of
// timelineOf for measure.
func checkEventPage(t *testing.T, what string, p eventPage, a surgeAnswer, units map[string]string, timelineOf, measure string) {
	t.Helper()
	first := a.Areas
	if len(first) == 0 {
		t.Fatalf("%s: the answer has no area", what)
	}
	top := first[0]
	if len(p.Strays) > 0 {
		t.Errorf("%s: the page shows null, undefined or NaN in %v", what, p.Strays)
	}
	if p.Area != top.code() {
		t.Errorf("%s: totals of %q, want the answer's first area %q", what, p.Area, top.code())
	}
	if len(p.Totals) != len(a.Measures) {
		t.Errorf("%s: %d total tiles, the answer has %d measures", what, len(p.Totals), len(a.Measures))
	}
	for _, m := range a.Measures {
		c, s := top.Total[m], p.Totals[m]
		for _, err := range []error{checkShown(s.Value, c.Value, units[m]), checkShown(s.Baseline, c.Baseline, units[m]), checkRatio(s.Ratio, c.Ratio)} {
			if err != nil {
				t.Errorf("%s: total tile %s: %v", what, m, err)
			}
		}
	}
	var order []string
	for _, r := range a.Areas {
		order = append(order, r.code())
		cells, ok := p.Areas[r.code()]
		if !ok {
			t.Errorf("%s: area %s (%s) is not in the table", what, r.code(), r.Level)
			continue
		}
		if err := checkFigure(cells["facilities"], float64(r.Facilities), "events"); err != nil {
			t.Errorf("%s: area %s facilities: %v", what, r.code(), err)
		}
		for _, m := range a.Measures {
			c := r.Total[m]
			for _, err := range []error{checkShown(cells[m+".value"], c.Value, units[m]), checkShown(cells[m+".baseline"], c.Baseline, units[m]),
				checkRatio(cells[m+".ratio"], c.Ratio)} {
				if err != nil {
					t.Errorf("%s: area %s %s: %v", what, r.code(), m, err)
				}
			}
		}
	}
	if !slices.Equal(p.Order, order) {
		t.Errorf("%s: areas table lists %v, the answer %v", what, p.Order, order)
	}

	var exceeded []string
	for _, r := range p.Exceed {
		exceeded = append(exceeded, r["key"])
		f, ok := a.row(r["key"])
		if !ok {
			t.Errorf("%s: exceeded row %s is no facility of the answer", what, r["key"])
			continue
		}
		for col, v := range map[string]float64{"hazardous_kg": f.HazardousKg, "safely_treated_kg": f.SafelyTreatedKg, "untreated_kg": f.UntreatedKg} {
			if err := checkFigure(r[col], v, "kg"); err != nil {
				t.Errorf("%s: exceeded %s %s: %v", what, f.Facility, col, err)
			}
		}
	}
	if want := a.Exceeded[:min(len(a.Exceeded), 50)]; !slices.Equal(exceeded, want) {
		t.Errorf("%s: exceeded table lists %v, the answer %v", what, exceeded, want)
	}
	if p.Count != fmt.Sprint(len(a.Exceeded)) {
		t.Errorf("%s: exceeded count %q, the answer lists %d", what, p.Count, len(a.Exceeded))
	}

	switch {
	case a.Previous == nil:
		if p.NoPrev == "" || len(p.Prev) > 0 {
			t.Errorf("%s: no previous event in the answer, the page shows note %q and %d rows", what, p.NoPrev, len(p.Prev))
		}
	default:
		if p.NoPrev != "" || len(p.Prev) != len(a.Measures) {
			t.Errorf("%s: previous %s in the answer, the page shows note %q and %d rows", what, a.Previous.Event, p.NoPrev, len(p.Prev))
		}
		for _, m := range a.Measures {
			now, then, cells := top.Total[m], a.Previous.Total[m], p.Prev[m]
			var change *float64
			if now.Value != nil && then.Value != nil && *then.Value > 0 {
				change = new(*now.Value / *then.Value)
			}
			for _, err := range []error{checkShown(cells["value"], now.Value, units[m]), checkRatio(cells["ratio"], now.Ratio),
				checkShown(cells["prev_value"], then.Value, units[m]), checkRatio(cells["prev_ratio"], then.Ratio), checkRatio(cells["change"], change)} {
				if err != nil {
					t.Errorf("%s: previous %s: %v", what, m, err)
				}
			}
		}
	}

	if p.Markers != fmt.Sprint(len(a.Facilities)) {
		t.Errorf("%s: %s markers on the map, the answer has %d facilities", what, p.Markers, len(a.Facilities))
	}
	row, ok := a.row(timelineOf)
	if !ok {
		t.Fatalf("%s: %s is not in the answer", what, timelineOf)
	}
	tl := p.Timeline
	if tl.Area != timelineOf || tl.Measure != measure || len(tl.Labels) != len(a.Days) || len(tl.Data) != 4 {
		t.Fatalf("%s: timeline of %q %q with %d days and %d datasets, want %s %s, %d days, 4 datasets", what, tl.Area, tl.Measure, len(tl.Labels), len(tl.Data), timelineOf, measure, len(a.Days))
	}
	for j, d := range row.Days {
		c := d.Values[measure]
		for k, want := range []*float64{c.Min, c.Max, c.Baseline, c.Value} {
			if got := tl.Data[k][j]; (got == nil) != (want == nil) || got != nil && *got != *want {
				t.Errorf("%s: timeline %s %s dataset %d: %v, the answer %v", what, d.Day, measure, k, show(got), show(want))
			}
		}
	}
}

func show(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}
