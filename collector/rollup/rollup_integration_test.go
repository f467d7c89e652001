package rollup

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
)

// stored reads back the indicator points of period p as "indicator level
// area" -> value, and how many facilities each says contributed.
func stored(t *testing.T, s *influx.Store, p indicators.Period) (map[string]float64, map[string]int64) {
	t.Helper()
	_, bucket := s.Buckets()
	res, err := s.Query(context.Background(), fmt.Sprintf(`from(bucket: %q)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => r._measurement == "indicator" and r.period == %q)
  |> filter(fn: (r) => r._time == %s)`,
		bucket, p.Start.UTC().Format(time.RFC3339), p.End.UTC().Format(time.RFC3339), p.Kind, p.Start.UTC().Format(time.RFC3339)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	vals, facs := map[string]float64{}, map[string]int64{}
	for res.Next() {
		r := res.Record()
		k := fmt.Sprintf("%s %s %s", r.ValueByKey("indicator"), r.ValueByKey("level"), r.ValueByKey("area"))
		switch r.Field() {
		case "value":
			vals[k] = r.Value().(float64)
		case "facilities":
			facs[k] = r.Value().(int64)
		}
	}
	if err := res.Err(); err != nil {
		t.Fatal(err)
	}
	return vals, facs
}

// TestPeriodWritesFacilityAndAreaIndicators rolls up a day with two Baghdad
// hospitals reporting and checks facility values, area values recomputed
// from sums, reporting completeness, and that a second run writes the same.
func TestPeriodWritesFacilityAndAreaIndicators(t *testing.T) {
	s := startStore(t)
	r, reg := newRollup(t, s)
	f1, _ := reg.Lookup("BG-H-001")
	f2, _ := reg.Lookup("BG-H-002")
	if f1.Governorate != f2.Governorate {
		t.Fatal("the test wants two facilities of one governorate")
	}
	write(t, s, []point{
		// BG-H-001: grid 900, solar 100 -> 10 % renewable
		{"energy,facility=BG-H-001,meter=main,source=grid kwh_total=1000", "2026-11-25T20:00:00Z"},
		{"energy,facility=BG-H-001,meter=main,source=grid kwh_total=1900", "2026-11-26T20:00:00Z"},
		{"solar,facility=BG-H-001,inverter=main kwh_total=500", "2026-11-25T20:00:00Z"},
		{"solar,facility=BG-H-001,inverter=main kwh_total=600", "2026-11-26T20:00:00Z"},
		// BG-H-002: grid 1950, solar 50 -> 2.5 %; waste 40 kg of which 8 hazardous, 6 safely treated
		{"energy,facility=BG-H-002,meter=main,source=grid kwh_total=10", "2026-11-25T20:00:00Z"},
		{"energy,facility=BG-H-002,meter=main,source=grid kwh_total=1960", "2026-11-26T20:00:00Z"},
		{"solar,facility=BG-H-002,inverter=main kwh_total=0", "2026-11-25T20:00:00Z"},
		{"solar,facility=BG-H-002,inverter=main kwh_total=50", "2026-11-26T20:00:00Z"},
		{"waste,facility=BG-H-002,category=general,treatment=landfill mass_kg=32", "2026-11-26T08:00:00Z"},
		{"waste,facility=BG-H-002,category=sharps,treatment=autoclave mass_kg=6", "2026-11-26T09:00:00Z"},
		{"waste,facility=BG-H-002,category=infectious,treatment=open_burning mass_kg=2", "2026-11-26T10:00:00Z"},
	})
	day := indicators.PeriodOf(indicators.Day, at("2026-11-26T12:00:00Z"), baghdad)
	first, err := r.Period(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	if first.Reporting != 2 {
		t.Errorf("reporting %d, want 2", first.Reporting)
	}
	vals, facs := stored(t, s, day)
	gov := f1.Governorate
	tests := []struct {
		key  string
		want float64
		facs int64
	}{
		{"renewable_share_pct facility BG-H-001", 10, 1},
		{"renewable_share_pct facility BG-H-002", 2.5, 1},
		// (100 + 50) / (1000 + 2000) = 5 %, not the mean of 10 % and 2.5 % (6.25 %)
		{"renewable_share_pct governorate " + gov, 5, 2},
		{"energy_kwh national IQ", 3000, 2},
		{"energy_per_bed_kwh facility BG-H-001", 1000.0 / float64(f1.Beds), 1},
		{"energy_per_bed_kwh governorate " + gov, 3000.0 / float64(f1.Beds+f2.Beds), 2},
		{"hazardous_share_pct facility BG-H-002", 20, 1},
		{"safely_treated_pct governorate " + gov, 75, 1},
		{"unsafe_disposal_kg national IQ", 2, 1},
		{"reporting_pct national IQ", 100 * 2.0 / float64(reg.Len()), int64(reg.Len())},
		{"co2e_avoided_kg facility BG-H-001", 100 * 0.689, 1},
	}
	for _, tt := range tests {
		got, ok := vals[tt.key]
		if !ok || math.Abs(got-tt.want) > 1e-9 || facs[tt.key] != tt.facs {
			t.Errorf("%s = %v (%v) from %d facilities, want %v from %d", tt.key, got, ok, facs[tt.key], tt.want, tt.facs)
		}
	}
	if _, ok := vals["reporting_pct facility BG-H-001"]; ok {
		t.Error("reporting_pct is for areas only")
	}
	if _, ok := vals["safely_treated_pct facility BG-H-001"]; ok {
		t.Error("BG-H-001 has no hazardous waste: safely_treated_pct must have no value")
	}

	rows, err := Read(context.Background(), s, Query{Indicators: []indicators.ID{indicators.RenewableSharePct}, Level: "governorate",
		Area: gov, Period: indicators.Day, From: day.Start, To: day.End})
	if err != nil || len(rows) != 1 || rows[0].Value != 5 || rows[0].Facilities != 2 || !rows[0].Start.Equal(day.Start) {
		t.Errorf("Read: %+v (%v), want one row of 5 %% from 2 facilities at %s", rows, err, day.Start)
	}
	if rows[0].HasTerms {
		t.Errorf("Read without Terms read the ratio's parts: %+v", rows[0])
	}
	// The parts of a ratio are stored beside it, so that DHIS2 can sum them.
	rows, err = Read(context.Background(), s, Query{Indicators: []indicators.ID{indicators.RenewableSharePct, indicators.EnergyKWh},
		Level: "governorate", Area: gov, Period: indicators.Day, From: day.Start, To: day.End, Terms: true})
	if err != nil || len(rows) != 2 || rows[0].Indicator != indicators.EnergyKWh || rows[0].HasTerms ||
		!rows[1].HasTerms || rows[1].Numerator != 150 || rows[1].Denominator != 3000 {
		t.Errorf("Read with Terms: %+v (%v), want energy alone and the share with 150 / 3000", rows, err)
	}
	for _, tc := range []struct {
		areas []string
		want  int
	}{{[]string{"BG-H-001"}, 1}, {[]string{"BG-H-001", "XX-H-999"}, 1}, {[]string{}, 0}} {
		rows, err := Read(context.Background(), s, Query{Indicators: []indicators.ID{indicators.EnergyKWh}, Level: "facility",
			Areas: tc.areas, Period: indicators.Day, From: day.Start, To: day.End})
		if err != nil || len(rows) != tc.want || (tc.want == 1 && rows[0].Area != "BG-H-001") {
			t.Errorf("Read within %v: %+v (%v), want %d row(s) of BG-H-001", tc.areas, rows, err, tc.want)
		}
	}
	if _, err := Read(context.Background(), s, Query{Period: indicators.Day, From: day.Start, To: day.End, MaxRows: 3}); !errors.Is(err, ErrTooManyRows) {
		t.Errorf("Read past MaxRows: %v, want ErrTooManyRows", err)
	}

	second, err := r.Period(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := stored(t, s, day)
	if second.Points != first.Points || fmt.Sprint(again) != fmt.Sprint(vals) {
		t.Errorf("second run wrote %d points (first %d) and changed values: idempotence broken", second.Points, first.Points)
	}
}

// TestRangeSplitsAtTheLocalMonthBoundary puts readings on either side of
// local midnight between November and December (21:00 UTC) and checks
// that days and months get their own increases, the months built from
// their days.
func TestRangeSplitsAtTheLocalMonthBoundary(t *testing.T) {
	s := startStore(t)
	r, _ := newRollup(t, s)
	g := "energy,facility=BG-H-001,meter=main,source=grid "
	write(t, s, []point{
		{g + "kwh_total=100", "2026-11-30T10:00:00Z"},
		{g + "kwh_total=130", "2026-11-30T20:00:00Z"}, // 23:00 local, 30 November: +30
		{g + "kwh_total=150", "2026-11-30T21:30:00Z"}, // 00:30 local, 1 December: +20
	})
	from := time.Date(2026, 11, 30, 0, 0, 0, 0, baghdad)
	results, err := r.Range(context.Background(), from, from.AddDate(0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 4 {
		t.Fatalf("%d periods, want 2 days and 2 months: %+v", len(results), results)
	}
	for _, tt := range []struct {
		p    indicators.Period
		want float64
	}{
		{indicators.PeriodOf(indicators.Day, from, baghdad), 30},
		{indicators.PeriodOf(indicators.Day, from.AddDate(0, 0, 1), baghdad), 20},
		{indicators.PeriodOf(indicators.Month, from, baghdad), 30},
		{indicators.PeriodOf(indicators.Month, from.AddDate(0, 0, 1), baghdad), 20},
	} {
		vals, _ := stored(t, s, tt.p)
		if got := vals["grid_kwh facility BG-H-001"]; got != tt.want {
			t.Errorf("%s: grid_kwh %v, want %v", tt.p, got, tt.want)
		}
	}
	// Each month also stands as one point per facility, for the DHIS2
	// export; it holds what the indicator points hold.
	nov := indicators.PeriodOf(indicators.Month, from, baghdad)
	all := make([]indicators.ID, len(indicators.Catalog))
	for i, d := range indicators.Catalog {
		all[i] = d.ID
	}
	fm, err := FacilityMonth(context.Background(), s, nov, all)
	if err != nil {
		t.Fatalf("FacilityMonth(November): %v", err)
	}
	rows, err := Read(context.Background(), s, Query{Level: "facility", Period: indicators.Month, From: nov.Start, To: nov.End, Terms: true})
	if err != nil || len(rows) == 0 || len(rows) != len(fm) {
		t.Fatalf("%d indicator points (%v), %d facility-month values", len(rows), err, len(fm))
	}
	byID := map[indicators.ID]FacilityValue{}
	for _, v := range fm {
		byID[v.Indicator] = v
	}
	for _, row := range rows {
		v := byID[row.Indicator]
		if v.Facility != row.Area || v.Value != row.Value || v.HasTerms != row.HasTerms || v.Numerator != row.Numerator || v.Denominator != row.Denominator {
			t.Errorf("%s: facility month %+v, indicator point %+v", row.Indicator, v, row)
		}
	}
	// A month rolled up before the facility-month points existed is read
	// from its indicator points, without ratio parts.
	old := indicators.PeriodOf(indicators.Month, from.AddDate(0, -3, 0), baghdad)
	line := fmt.Sprintf("indicator,area=BG-H-001,indicator=grid_kwh,level=facility,period=month value=42,facilities=1i %d\n"+
		"indicator,area=BG-H-001,indicator=renewable_share_pct,level=facility,period=month value=10,facilities=1i %[1]d\n", old.Start.UnixNano())
	if err := s.WriteIndicators(context.Background(), []byte(line)); err != nil {
		t.Fatal(err)
	}
	fm, err = FacilityMonth(context.Background(), s, old, []indicators.ID{indicators.GridKWh, indicators.RenewableSharePct})
	if err != nil || len(fm) != 2 || fm[0].Value != 42 || fm[0].HasTerms || fm[1].HasTerms {
		t.Errorf("FacilityMonth of an older month: %+v, %v; want grid_kwh 42 and the share without parts", fm, err)
	}
}

// TestLateDataChangesTheNextRun writes a reading that arrives late (an
// agent back online) for a day already rolled up: the next run over that
// day counts it.
func TestLateDataChangesTheNextRun(t *testing.T) {
	s := startStore(t)
	r, _ := newRollup(t, s)
	day := indicators.PeriodOf(indicators.Day, at("2026-11-26T12:00:00Z"), baghdad)
	w := "waste,facility=BG-H-001,category=sharps,treatment=autoclave mass_kg="
	write(t, s, []point{{w + "5", "2026-11-26T06:00:00Z"}})
	if _, err := r.Period(context.Background(), day); err != nil {
		t.Fatal(err)
	}
	before, _ := stored(t, s, day)
	write(t, s, []point{{w + "7", "2026-11-26T07:00:00Z"}}) // late
	if _, err := r.Period(context.Background(), day); err != nil {
		t.Fatal(err)
	}
	after, _ := stored(t, s, day)
	k := "waste_kg facility BG-H-001"
	if before[k] != 5 || after[k] != 12 {
		t.Errorf("waste_kg %v then %v, want 5 then 12", before[k], after[k])
	}
}
