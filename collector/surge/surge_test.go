package surge

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

var (
	baghdad = mustZone("Asia/Baghdad")
	discard = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// fakeReader answers Read from its points as rollup.Read would: the
// query's indicators, level, areas and days; the ratio's parts only with
// Terms.
type fakeReader struct {
	mu    sync.Mutex
	rows  []rollup.Row
	reads int
}

// point adds a facility day point: day is a local date in Baghdad.
func (f *fakeReader) point(id indicators.ID, facility, day string, v float64) *rollup.Row {
	d, err := events.ParseDate(day)
	if err != nil {
		panic(err)
	}
	f.rows = append(f.rows, rollup.Row{Indicator: id, Level: "facility", Area: facility, Period: indicators.Day,
		Start: d.In(baghdad), Value: v, Facilities: 1})
	return &f.rows[len(f.rows)-1]
}

func (f *fakeReader) Read(_ context.Context, q rollup.Query) ([]rollup.Row, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	var out []rollup.Row
	for _, r := range f.rows {
		if len(q.Indicators) > 0 && !slices.Contains(q.Indicators, r.Indicator) || q.Level != "" && r.Level != q.Level ||
			q.Areas != nil && !slices.Contains(q.Areas, r.Area) || r.Period != q.Period || r.Start.Before(q.From) || !r.Start.Before(q.To) {
			continue
		}
		if !q.Terms {
			r.Numerator, r.Denominator, r.HasTerms = 0, 0, false
		}
		out = append(out, r)
	}
	return out, nil
}

func testRegistry(t testing.TB) *registry.Registry {
	t.Helper()
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func date(s string) events.Date {
	d, err := events.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// testEvent is three facilities (two in Karbala's district KA-KRB, one in
// Najaf's NA-NJF) over Monday 3 to Wednesday 5 August 2026, with two
// weeks of baseline: 20 July to 2 August.
func testEvent() Event {
	return Event{Event: events.Event{ID: "test-2026", Name: "Test", NameAr: "اختبار", Series: "test",
		Areas: []string{"KA-H-001", "KA-P-001", "NA-H-001"}, First: date("2026-08-03"), Last: date("2026-08-05")}, BaselineWeeks: 2}
}

func newSurge(t *testing.T, r Reader, list ...Event) *Surge {
	t.Helper()
	if len(list) == 0 {
		list = []Event{testEvent()}
	}
	return New(r, testRegistry(t), list, Options{Location: baghdad, Country: "IQ"}, discard)
}

func answer(t testing.TB, s *Surge, id string) *Answer {
	t.Helper()
	a, err := s.Answer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func measure(t *testing.T, id indicators.ID) int {
	t.Helper()
	i := slices.Index(Measures[:], id)
	if i < 0 {
		t.Fatalf("%s is no measure", id)
	}
	return i
}

func area(t *testing.T, a *Answer, level, code string) Area {
	t.Helper()
	for _, x := range a.Areas {
		if x.Level == level && x.Area == code {
			return x
		}
	}
	t.Fatalf("no area %s %s in %d areas", level, code, len(a.Areas))
	return Area{}
}

func facility(t *testing.T, a *Answer, id string) Facility {
	t.Helper()
	for _, x := range a.Facilities {
		if x.Facility == id {
			return x
		}
	}
	t.Fatalf("no facility %s", id)
	return Facility{}
}

// want is an expected cell; NaN: null.
type want struct{ value, baseline, lo, hi, ratio float64 }

var null = math.NaN()

func checkCell(t *testing.T, what string, c Cell, w want, band bool) {
	t.Helper()
	got := func(x float64, ok bool) float64 {
		if !ok {
			return null
		}
		return Round(x)
	}
	r, rok := c.Ratio()
	g := want{got(c.Value, c.HasValue), got(c.Baseline, c.HasBaseline), got(c.Min, c.HasBaseline), got(c.Max, c.HasBaseline), got(r, rok)}
	if !band {
		g.lo, g.hi, w.lo, w.hi = 0, 0, 0, 0
	}
	same := func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }
	if !same(g.value, w.value) || !same(g.baseline, w.baseline) || !same(g.lo, w.lo) || !same(g.hi, w.hi) || !same(g.ratio, w.ratio) {
		t.Errorf("%s: got %+v, want %+v", what, g, w)
	}
}

func TestSurgeCells(t *testing.T) {
	r := &fakeReader{}
	w := indicators.WasteKg
	e := indicators.EnergyKWh
	// KA-H-001 waste on Monday 3 August: 30 kg; the Mondays before: 10 and 20.
	r.point(w, "KA-H-001", "2026-08-03", 30)
	r.point(w, "KA-H-001", "2026-07-20", 10)
	r.point(w, "KA-H-001", "2026-07-27", 20)
	// a Tuesday of the baseline, not Monday's
	r.point(w, "KA-H-001", "2026-07-21", 100)
	// a point of the week before the baseline, not in it
	r.point(w, "KA-H-001", "2026-07-13", 1000)
	// KA-P-001: 10 on the Monday, 10 and 10 before: ratio 1.
	r.point(w, "KA-P-001", "2026-08-03", 10)
	r.point(w, "KA-P-001", "2026-07-20", 10)
	r.point(w, "KA-P-001", "2026-07-27", 10)
	// A facility outside the event.
	r.point(w, "BG-H-001", "2026-08-03", 5000)
	// Energy: KA-H-001 has no point on Monday; its Mondays before: 200 and none.
	r.point(e, "KA-H-001", "2026-07-20", 200)
	// KA-P-001: 90 on Monday, baseline 60 and 30 (mean 45, band 30–60).
	r.point(e, "KA-P-001", "2026-08-03", 90)
	r.point(e, "KA-P-001", "2026-07-20", 60)
	r.point(e, "KA-P-001", "2026-07-27", 30)
	// KA-P-001 on Tuesday: a value, no baseline.
	r.point(e, "KA-P-001", "2026-08-04", 7)
	// NA-H-001: a third of a kg, to round.
	r.point(w, "NA-H-001", "2026-08-05", 1.0/3)
	r.point(w, "NA-H-001", "2026-07-22", 1.0/7)

	a := answer(t, newSurge(t, r), "test-2026")
	mw, me := measure(t, w), measure(t, e)
	ka := facility(t, a, "KA-H-001")
	kp := facility(t, a, "KA-P-001")
	tests := []struct {
		what string
		cell Cell
		want want
		band bool
	}{
		{"KA-H-001 waste Monday: same weekday baseline", ka.Days[0].Values[mw], want{30, 15, 10, 20, 2}, true},
		{"KA-H-001 waste Tuesday: missing is 0", ka.Days[1].Values[mw], want{0, 50, 0, 100, 0}, true},
		{"KA-H-001 waste Wednesday: nothing at all", ka.Days[2].Values[mw], want{0, 0, 0, 0, null}, true},
		{"KA-H-001 energy Monday: missing meter is null", ka.Days[0].Values[me], want{null, 200, 200, 200, null}, true},
		{"KA-P-001 energy Monday", kp.Days[0].Values[me], want{90, 45, 30, 60, 2}, true},
		{"KA-P-001 energy Tuesday: no baseline", kp.Days[1].Values[me], want{7, null, null, null, null}, true},
		{"KA-H-001 waste total", ka.Total[mw], want{30, 65, 0, 0, Round(30.0 / 65)}, false},
		{"KA-H-001 energy total: no paired day", ka.Total[me], want{null, null, 0, 0, null}, false},
		{"KA-P-001 energy total: Tuesday left out", kp.Total[me], want{90, 45, 0, 0, 2}, false},
		// (30 + 10) / (15 + 10) = 1.6, not the mean of 2 and 1
		{"IQ-KA waste Monday: ratio from sums", area(t, a, "governorate", "IQ-KA").Days[0].Values[mw], want{40, 25, 20, 30, 1.6}, true},
		{"KA-KRB waste Monday", area(t, a, "district", "KA-KRB").Days[0].Values[mw], want{40, 25, 20, 30, 1.6}, true},
		{"event waste Monday", area(t, a, "event", "test-2026").Days[0].Values[mw], want{40, 25, 20, 30, 1.6}, true},
		// KA-H-001's missing Monday is left out; KA-P-001's 90/45 stays.
		{"event energy Monday: like with like", area(t, a, "event", "test-2026").Days[0].Values[me], want{90, 45, 30, 60, 2}, true},
		{"event energy Wednesday: nobody", area(t, a, "event", "test-2026").Days[2].Values[me], want{null, null, null, null, null}, true},
		{"NA-H-001 waste Wednesday: rounded", facility(t, a, "NA-H-001").Days[2].Values[mw], want{0.333, 0.071, 0, 0.143, Round((1.0 / 3) / (1.0 / 14))}, true},
		{"IQ-NA waste total", area(t, a, "governorate", "IQ-NA").Total[mw], want{0.333, 0.071, 0, 0, Round((1.0 / 3) / (1.0 / 14))}, false},
		{"event waste total", area(t, a, "event", "test-2026").Total[mw], want{Round(40 + 1.0/3), Round(75 + 1.0/14), 0, 0, Round((40 + 1.0/3) / (75 + 1.0/14))}, false},
	}
	for _, tt := range tests {
		checkCell(t, tt.what, tt.cell, tt.want, tt.band)
	}
	if got := *ka.SurgeFactor; got != Round(30.0/65) {
		t.Errorf("KA-H-001 surge factor %v, want %v", got, Round(30.0/65))
	}
	if f := facility(t, a, "NA-H-001"); f.SurgeFactor == nil || *f.SurgeFactor != Round((1.0/3)/(1.0/14)) {
		t.Errorf("NA-H-001 surge factor %v", f.SurgeFactor)
	}
	var order []string
	for _, x := range a.Areas {
		order = append(order, x.Level+" "+x.Area+" "+string(rune('0'+x.Facilities)))
	}
	if got := strings.Join(order, ", "); got != "event test-2026 3, governorate IQ-KA 2, governorate IQ-NA 1, district KA-KRB 2, district NA-NJF 1" {
		t.Errorf("areas: %s", got)
	}
	// In registry order.
	if len(a.Facilities) != 3 || a.Facilities[0].Facility != "NA-H-001" || a.Facilities[1].Facility != "KA-H-001" {
		t.Errorf("facilities: %+v", a.Facilities)
	}
	if a.Baseline != (Baseline{Weeks: 2, From: date("2026-07-20"), To: date("2026-08-02"), Method: "weekday"}) {
		t.Errorf("baseline %+v", a.Baseline)
	}
	if a.Event.Facilities != 3 || a.Event.Previous != nil || len(a.Days) != 3 || strings.Join(a.Measures, ",") !=
		"waste_kg,hazardous_waste_kg,energy_kwh,generator_fuel_l,storage_exceeded_count" {
		t.Errorf("event %+v, days %v, measures %v", a.Event, a.Days, a.Measures)
	}
}

// TestSurgeBaselineZeroHasNoRatio: a facility that reported no waste in
// the baseline has a baseline of 0, so neither a ratio nor a surge factor.
func TestSurgeBaselineZeroHasNoRatio(t *testing.T) {
	r := &fakeReader{}
	r.point(indicators.WasteKg, "KA-H-001", "2026-08-03", 30)
	a := answer(t, newSurge(t, r), "test-2026")
	f := facility(t, a, "KA-H-001")
	checkCell(t, "waste Monday", f.Days[0].Values[0], want{30, 0, 0, 0, null}, true)
	if f.SurgeFactor != nil {
		t.Errorf("surge factor %v, want none", *f.SurgeFactor)
	}
}

func TestSurgeExceeded(t *testing.T) {
	r := &fakeReader{}
	h := indicators.HazardousWasteKg
	s := indicators.SafelyTreatedPct
	terms := func(row *rollup.Row, num, den float64) {
		row.Numerator, row.Denominator, row.HasTerms = num, den, true
	}
	// KA-H-001: 10 + 6 kg hazardous, 4 + 6 safely treated: 6 untreated.
	r.point(h, "KA-H-001", "2026-08-03", 10)
	terms(r.point(s, "KA-H-001", "2026-08-03", 40), 4, 10)
	r.point(h, "KA-H-001", "2026-08-04", 6)
	terms(r.point(s, "KA-H-001", "2026-08-04", 100), 6, 6)
	// KA-P-001: 8 kg, 50 % safely treated by a point without its parts.
	r.point(h, "KA-P-001", "2026-08-05", 8)
	r.point(s, "KA-P-001", "2026-08-05", 50)
	// NA-H-001: all of its 20 kg safely treated.
	r.point(h, "NA-H-001", "2026-08-03", 20)
	terms(r.point(s, "NA-H-001", "2026-08-03", 100), 20, 20)
	// and untreated kg in the baseline do not count.
	r.point(h, "NA-H-001", "2026-07-27", 50)
	a := answer(t, newSurge(t, r), "test-2026")
	if got := strings.Join(a.Exceeded, ","); got != "KA-H-001,KA-P-001" {
		t.Errorf("exceeded %s, want KA-H-001 (6 kg) then KA-P-001 (4 kg)", got)
	}
	for _, tt := range []struct {
		id                   string
		haz, safe, untreated float64
	}{{"KA-H-001", 16, 10, 6}, {"KA-P-001", 8, 4, 4}, {"NA-H-001", 20, 20, 0}} {
		f := facility(t, a, tt.id)
		if f.HazardousKg != tt.haz || f.SafelyTreatedKg != tt.safe || f.UntreatedKg != tt.untreated {
			t.Errorf("%s: hazardous %v, safely treated %v, untreated %v; want %v, %v, %v", tt.id,
				f.HazardousKg, f.SafelyTreatedKg, f.UntreatedKg, tt.haz, tt.safe, tt.untreated)
		}
	}
	// Ties go by id.
	r.point(h, "KA-P-001", "2026-08-04", 4)
	a = answer(t, New(r, testRegistry(t), []Event{testEvent()}, Options{Location: baghdad}, discard), "test-2026")
	if got := strings.Join(a.Exceeded, ","); got != "KA-P-001,KA-H-001" {
		t.Errorf("exceeded %s, want KA-P-001 (8 kg) then KA-H-001 (6 kg)", got)
	}
}

func TestSurgePrevious(t *testing.T) {
	prev := testEvent()
	prev.ID, prev.First, prev.Last = "test-2025", date("2025-08-14"), date("2025-08-16")
	older := testEvent()
	older.ID, older.First, older.Last = "test-2023", date("2023-08-14"), date("2023-08-16")
	other := testEvent()
	other.ID, other.Series, other.First, other.Last = "other-2025", "other", date("2025-08-10"), date("2025-08-12")
	list := []Event{older, prev, testEvent(), other}

	r := &fakeReader{}
	a := answer(t, newSurge(t, r, list...), "test-2026")
	if a.Event.Previous == nil || *a.Event.Previous != "test-2025" {
		t.Errorf("event.previous %v, want test-2025", a.Event.Previous)
	}
	if a.Previous != nil {
		t.Errorf("previous %+v without any data in it, want null", a.Previous)
	}
	r.point(indicators.WasteKg, "KA-H-001", "2025-08-15", 12)
	r.point(indicators.WasteKg, "KA-H-001", "2025-08-08", 4) // the Friday a week before
	a = answer(t, newSurge(t, r, list...), "test-2026")
	if a.Previous == nil || a.Previous.Event != "test-2025" || len(a.Previous.Days) != 3 || a.Previous.Days[0] != date("2025-08-14") {
		t.Fatalf("previous %+v, want test-2025's three days", a.Previous)
	}
	checkCell(t, "previous waste total", a.Previous.Total[0], want{12, 2, 0, 0, 6}, false)
	if got := answer(t, newSurge(t, r, list...), "test-2025"); got.Event.Previous != nil || got.Previous != nil {
		t.Errorf("test-2025 has no event a year before (2023 is two): %+v", got.Event.Previous)
	}
}

func TestSurgeUnknownEvent(t *testing.T) {
	_, err := newSurge(t, &fakeReader{}).Answer(context.Background(), "nope")
	if err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Answer(nope) = %v", err)
	}
}

// TestSurgeJSON checks the encoded answer: nulls where nothing is known,
// every measure on every day, totals without a band, dates as
// YYYY-MM-DD.
func TestSurgeJSON(t *testing.T) {
	r := &fakeReader{}
	r.point(indicators.WasteKg, "KA-H-001", "2026-08-03", 30.12345)
	r.point(indicators.WasteKg, "KA-H-001", "2026-07-27", 10)
	data, err := json.Marshal(answer(t, newSurge(t, r), "test-2026"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Event struct {
			ID         string  `json:"id"`
			FirstDay   string  `json:"first_day"`
			Facilities int     `json:"facilities"`
			Previous   *string `json:"previous"`
		} `json:"event"`
		Days     []string `json:"days"`
		Baseline struct {
			From, To string
		} `json:"baseline"`
		Areas []struct {
			Days []struct {
				Day    string                                `json:"day"`
				Values map[string]map[string]json.RawMessage `json:"values"`
			} `json:"days"`
			Total map[string]map[string]json.RawMessage `json:"total"`
		} `json:"areas"`
		Facilities []struct {
			Facility    string          `json:"facility"`
			SurgeFactor json.RawMessage `json:"surge_factor"`
		} `json:"facilities"`
		Exceeded   []string        `json:"exceeded"`
		Previous   json.RawMessage `json:"previous"`
		ComputedAt time.Time       `json:"computed_at"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%v in %s", err, data)
	}
	if doc.Event.ID != "test-2026" || doc.Event.FirstDay != "2026-08-03" || doc.Event.Facilities != 3 || doc.Days[0] != "2026-08-03" ||
		doc.Baseline.From != "2026-07-20" || string(doc.Previous) != "null" || doc.ComputedAt.IsZero() || doc.Exceeded == nil {
		t.Errorf("answer: %s", data)
	}
	ev := doc.Areas[0]
	v := ev.Days[0].Values
	if len(v) != nMeasures || string(v["waste_kg"]["value"]) != "30.123" || string(v["waste_kg"]["baseline"]) != "5" ||
		string(v["waste_kg"]["baseline_min"]) != "0" || string(v["waste_kg"]["baseline_max"]) != "10" || string(v["waste_kg"]["ratio"]) != "6.025" ||
		string(v["energy_kwh"]["value"]) != "null" || string(v["energy_kwh"]["ratio"]) != "null" {
		t.Errorf("event's Monday: %v", v)
	}
	if tot := ev.Total["waste_kg"]; len(tot) != 3 || string(tot["value"]) != "30.123" {
		t.Errorf("total: %v, want value, baseline and ratio only", tot)
	}
	if string(doc.Facilities[2].SurgeFactor) != "null" {
		t.Errorf("a facility with no baseline: surge_factor %s, want null", doc.Facilities[2].SurgeFactor)
	}
}

// TestSurgeAreaBand: an area's band is the least and greatest of its
// weekly sums, not the sum of its facilities' bands: two facilities whose
// busy weeks alternate make a flat area.
func TestSurgeAreaBand(t *testing.T) {
	r := &fakeReader{}
	w, e := indicators.WasteKg, indicators.EnergyKWh
	r.point(w, "KA-H-001", "2026-08-03", 50)
	r.point(w, "KA-H-001", "2026-07-20", 10)
	r.point(w, "KA-H-001", "2026-07-27", 30)
	r.point(w, "KA-P-001", "2026-08-03", 50)
	r.point(w, "KA-P-001", "2026-07-20", 30)
	r.point(w, "KA-P-001", "2026-07-27", 10)
	// Energy: KA-P-001 lacks its first baseline Monday, which counts as
	// its mean (60): weeks 100+60 and 200+60.
	r.point(e, "KA-H-001", "2026-08-03", 300)
	r.point(e, "KA-H-001", "2026-07-20", 100)
	r.point(e, "KA-H-001", "2026-07-27", 200)
	r.point(e, "KA-P-001", "2026-08-03", 90)
	r.point(e, "KA-P-001", "2026-07-27", 60)
	a := answer(t, newSurge(t, r), "test-2026")
	mw, me := measure(t, w), measure(t, e)
	checkCell(t, "KA-KRB waste Monday", area(t, a, "district", "KA-KRB").Days[0].Values[mw], want{100, 40, 40, 40, 2.5}, true)
	checkCell(t, "KA-KRB energy Monday", area(t, a, "district", "KA-KRB").Days[0].Values[me], want{390, 210, 160, 260, Round(390.0 / 210)}, true)
	checkCell(t, "KA-H-001 keeps its own band", facility(t, a, "KA-H-001").Days[0].Values[mw], want{50, 20, 10, 30, 2.5}, true)
}
