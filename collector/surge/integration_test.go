package surge

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// startStore starts InfluxDB 1.8 for the test and returns a store over it
// with its buckets made.
func startStore(t testing.TB) *influx.Store {
	t.Helper()
	testenv.RequireIntegration(t)
	db := testenv.StartInfluxDB(t)
	cfg := config.Default().InfluxDB
	cfg.URL = db.URL()
	cfg.Timeout = 5 * time.Minute
	s := influx.New(cfg, discard)
	t.Cleanup(s.Close)
	if err := s.Bootstrap(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// storeReader reads the store's indicator points, as the collector does.
type storeReader struct{ s *influx.Store }

func (r storeReader) Read(ctx context.Context, q rollup.Query) ([]rollup.Row, error) {
	return rollup.Read(ctx, r.s, q)
}

// TestSurgeFromRolledUpReadings writes raw readings of an event and its
// baseline week, rolls them up with the real roll-up and checks the
// answer against the readings' arithmetic.
func TestSurgeFromRolledUpReadings(t *testing.T) {
	s := startStore(t)
	reg := testRegistry(t)
	e := testEvent()
	e.BaselineWeeks = 1 // baseline 27 July to 2 August
	var lp strings.Builder
	at := func(day string, hour int) int64 {
		return date(day).In(baghdad).Add(time.Duration(hour) * time.Hour).UnixNano()
	}
	line := func(day string, hour int, format string, args ...any) {
		fmt.Fprintf(&lp, format+" %d\n", append(args, at(day, hour))...)
	}
	// KA-H-001's grid meter, read at noon: +100 kWh on Monday 27 July,
	// +250 on Monday 3 August, +80 on Tuesday 4 August (no baseline
	// Tuesday reading: the meter starts on the 26th).
	kwh := map[string]float64{"2026-07-26": 1000, "2026-07-27": 1100, "2026-08-02": 1500, "2026-08-03": 1750, "2026-08-04": 1830}
	for day, v := range kwh {
		line(day, 12, "energy,facility=KA-H-001,meter=main,source=grid kwh_total=%g", v)
	}
	w := "waste,facility=%s,category=%s,treatment=%s mass_kg=%g"
	// Monday 27 July: 12 kg; Monday 3 August: 20 kg autoclaved sharps and
	// 10 kg infectious burnt in the open (30 kg hazardous, 20 safely
	// treated).
	line("2026-07-27", 9, w, "KA-H-001", "sharps", "autoclave", 12.0)
	line("2026-08-03", 9, w, "KA-H-001", "sharps", "autoclave", 20.0)
	line("2026-08-03", 10, w, "KA-H-001", "infectious", "open_burning", 10.0)
	// Tuesday 4 August: general waste held 30 h, beyond the 24 h limit.
	line("2026-08-04", 9, w+",stored_hours=30", "KA-H-001", "general", "landfill", 5.0)
	// NA-H-001: the same 8 kg on both Wednesdays, all safely treated.
	line("2026-07-29", 9, w, "NA-H-001", "pathological", "incineration", 8.0)
	line("2026-08-05", 9, w, "NA-H-001", "pathological", "incineration", 8.0)
	// BG-H-001, outside the event.
	line("2026-08-03", 9, w, "BG-H-001", "sharps", "autoclave", 500.0)
	if err := s.Write(context.Background(), []byte(lp.String())); err != nil {
		t.Fatal(err)
	}
	roll := rollup.New(s, reg, rollup.Options{Params: indicators.DefaultParams(), Location: baghdad, Country: "IQ"}, discard)
	if _, err := roll.Range(context.Background(), date("2026-07-26").In(baghdad), date("2026-08-06").In(baghdad)); err != nil {
		t.Fatal(err)
	}

	checkStoreReader(t, s, reg.Facilities()[0].ID, e)
	a := answer(t, New(StoreReader{s}, reg, []Event{e}, Options{Location: baghdad, Country: "IQ"}, discard), e.ID)
	mw, mh := measure(t, indicators.WasteKg), measure(t, indicators.HazardousWasteKg)
	me, ms := measure(t, indicators.EnergyKWh), measure(t, indicators.StorageExceededCount)
	mf := measure(t, indicators.GeneratorFuelL)
	ka, kp, na := facility(t, a, "KA-H-001"), facility(t, a, "KA-P-001"), facility(t, a, "NA-H-001")
	ev, krb := area(t, a, "event", e.ID), area(t, a, "district", "KA-KRB")
	tests := []struct {
		what string
		cell Cell
		want want
		band bool
	}{
		{"KA-H-001 waste Monday", ka.Days[0].Values[mw], want{30, 12, 12, 12, 2.5}, true},
		{"KA-H-001 hazardous Monday", ka.Days[0].Values[mh], want{30, 12, 12, 12, 2.5}, true},
		{"KA-H-001 energy Monday", ka.Days[0].Values[me], want{250, 100, 100, 100, 2.5}, true},
		{"KA-H-001 energy Tuesday: no baseline Tuesday", ka.Days[1].Values[me], want{80, null, null, null, null}, true},
		{"KA-H-001 energy Wednesday: no reading", ka.Days[2].Values[me], want{null, null, null, null, null}, true},
		{"KA-H-001 fuel: no generator", ka.Days[0].Values[mf], want{null, null, null, null, null}, true},
		{"KA-H-001 storage breaches Tuesday", ka.Days[1].Values[ms], want{1, 0, 0, 0, null}, true},
		{"KA-P-001 waste Monday: nothing reported", kp.Days[0].Values[mw], want{0, 0, 0, 0, null}, true},
		{"NA-H-001 waste Wednesday", na.Days[2].Values[mw], want{8, 8, 8, 8, 1}, true},
		{"KA-KRB energy total: Monday only", krb.Total[me], want{250, 100, 0, 0, 2.5}, false},
		{"event waste total", ev.Total[mw], want{43, 20, 0, 0, 2.15}, false},
	}
	for _, tt := range tests {
		checkCell(t, tt.what, tt.cell, tt.want, tt.band)
	}
	if ka.HazardousKg != 30 || ka.SafelyTreatedKg != 20 || ka.UntreatedKg != 10 || na.UntreatedKg != 0 {
		t.Errorf("KA-H-001 %v/%v/%v, NA-H-001 untreated %v", ka.HazardousKg, ka.SafelyTreatedKg, ka.UntreatedKg, na.UntreatedKg)
	}
	if strings.Join(a.Exceeded, ",") != "KA-H-001" {
		t.Errorf("exceeded %v, want KA-H-001", a.Exceeded)
	}
	if ka.SurgeFactor == nil || *ka.SurgeFactor != Round(35.0/12) {
		t.Errorf("KA-H-001 surge factor %v, want %v", ka.SurgeFactor, Round(35.0/12))
	}
}

// checkStoreReader compares StoreReader's rows with rollup.Read's for the
// points around e: with areas filtered by the database (few) and here
// (many), and with and without a ratio's terms.
func checkStoreReader(t *testing.T, s *influx.Store, first string, e Event) {
	t.Helper()
	reg := testRegistry(t)
	var all []string
	for _, f := range reg.Facilities() {
		all = append(all, f.ID)
	}
	if len(all) <= manyAreas {
		t.Fatalf("the registry's %d facilities do not exercise the filter of many areas", len(all))
	}
	key := func(r rollup.Row) string {
		return fmt.Sprintf("%s %s %s %s %s %g %d %g %g %v", r.Indicator, r.Level, r.Area, r.Period, r.Start.UTC(), r.Value, r.Facilities,
			r.Numerator, r.Denominator, r.HasTerms)
	}
	for _, tc := range []struct {
		name  string
		areas []string
		terms bool
		ids   []indicators.ID
	}{
		{"few areas", e.Areas, false, Measures[:]},
		{"many areas", all, false, Measures[:]},
		{"many areas with terms", all, true, []indicators.ID{indicators.SafelyTreatedPct}},
		{"few areas with terms", []string{"KA-H-001", "NA-H-001", first}, true, []indicators.ID{indicators.SafelyTreatedPct}},
		{"no area", []string{}, false, Measures[:]},
	} {
		q := rollup.Query{Indicators: tc.ids, Level: "facility", Areas: tc.areas, Period: indicators.Day,
			From: date("2026-07-26").In(baghdad), To: date("2026-08-06").In(baghdad), Terms: tc.terms}
		want, err := rollup.Read(context.Background(), s, q)
		if err != nil {
			t.Fatal(err)
		}
		got, err := StoreReader{s}.Read(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		var w, g []string
		for _, r := range want {
			w = append(w, key(r))
		}
		for _, r := range got {
			g = append(g, key(r))
		}
		slices.Sort(w)
		slices.Sort(g)
		if len(w) == 0 && tc.name != "no area" || !slices.Equal(w, g) {
			t.Errorf("%s: StoreReader\n%s\nrollup.Read\n%s", tc.name, strings.Join(g, "\n"), strings.Join(w, "\n"))
		}
	}
	if _, err := (StoreReader{s}).Read(context.Background(), rollup.Query{Level: "district", Period: indicators.Day}); err == nil {
		t.Error("StoreReader answered a district query")
	}
}
