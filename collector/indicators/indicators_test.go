package indicators

import (
	"math"
	"testing"
	"time"
)

var baghdad = time.FixedZone("Asia/Baghdad", 3*3600) // Iraq has kept UTC+3 without DST since 2008

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCounterIncrease(t *testing.T) {
	// The local day 2026-11-26 in Baghdad is [2026-11-25T21:00Z, 2026-11-26T21:00Z).
	day := PeriodOf(Day, at("2026-11-26T12:00:00Z"), baghdad)
	s := func(ts string, v float64) Sample { return Sample{Time: at(ts), Value: v} }
	tests := []struct {
		name    string
		samples []Sample
		want    float64
		wantOK  bool
	}{
		{"plain: 110-100 + 125-110 = 25",
			[]Sample{s("2026-11-25T20:00:00Z", 100), s("2026-11-25T22:00:00Z", 110), s("2026-11-26T10:00:00Z", 125)}, 25, true},
		{"reset: 110-100, then 3 < 110 counts 3, then 8-3: 10 + 3 + 5 = 18",
			[]Sample{s("2026-11-25T20:00:00Z", 100), s("2026-11-25T22:00:00Z", 110), s("2026-11-26T01:00:00Z", 3), s("2026-11-26T02:00:00Z", 8)}, 18, true},
		{"22:30 UTC is 01:30 local of the next day: 100 -> 104 counts for 2026-11-26",
			[]Sample{s("2026-11-25T18:00:00Z", 100), s("2026-11-25T22:30:00Z", 104)}, 4, true},
		{"20:59 UTC is still 2026-11-25 local: nothing in the period",
			[]Sample{s("2026-11-25T18:00:00Z", 100), s("2026-11-25T20:59:00Z", 104)}, 0, false},
		{"the earlier reading may be 48 h older: 2026-11-24T00:00Z -> 2026-11-26T00:00Z counts 7",
			[]Sample{s("2026-11-24T00:00:00Z", 100), s("2026-11-26T00:00:00Z", 107)}, 7, true},
		{"but not 48 h 1 min: nothing",
			[]Sample{s("2026-11-23T23:59:00Z", 100), s("2026-11-26T00:00:00Z", 107)}, 0, false},
		{"a reading at the period's end belongs to the next day",
			[]Sample{s("2026-11-26T20:00:00Z", 100), s("2026-11-26T21:00:00Z", 130)}, 0, false},
		{"one reading: no difference, no data", []Sample{s("2026-11-26T10:00:00Z", 5)}, 0, false},
		{"a flat counter is a real zero", []Sample{s("2026-11-26T09:00:00Z", 5), s("2026-11-26T10:00:00Z", 5)}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CounterIncrease(tt.samples, day.Start, day.End)
			if !near(got, tt.want) || ok != tt.wantOK {
				t.Errorf("got %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestAvailability(t *testing.T) {
	day := PeriodOf(Day, at("2026-11-26T12:00:00Z"), baghdad) // [11-25T21:00Z, 11-26T21:00Z)
	s := func(ts string, live bool) Sample {
		v := 0.0
		if live {
			v = 1
		}
		return Sample{Time: at(ts), Value: v}
	}
	tests := []struct {
		name          string
		samples       []Sample
		live, covered time.Duration
	}{
		{"samples 5 min apart: live 10 of 15 covered minutes",
			// 21:00 live holds 5 min, 21:05 live 5 min, 21:10 down holds 15 min (no next sample).
			[]Sample{s("2026-11-25T21:00:00Z", true), s("2026-11-25T21:05:00Z", true), s("2026-11-25T21:10:00Z", false)},
			10 * time.Minute, 25 * time.Minute},
		{"a gap longer than 15 min is left out: 00:00 live holds 15 min, 01:00 down holds 15 min",
			[]Sample{s("2026-11-26T00:00:00Z", true), s("2026-11-26T01:00:00Z", false)},
			15 * time.Minute, 30 * time.Minute},
		{"a sample before midnight holds into the day: 20:55Z live covers 21:00-21:10Z",
			[]Sample{s("2026-11-25T20:55:00Z", true)},
			10 * time.Minute, 10 * time.Minute},
		{"the last sample stops at the period's end: 20:50Z holds 10 min of this day",
			[]Sample{s("2026-11-26T20:50:00Z", false)},
			0, 10 * time.Minute},
		{"no samples: nothing covered", nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, covered := Availability(tt.samples, day.Start, day.End)
			if live != tt.live || covered != tt.covered {
				t.Errorf("live %s covered %s; want %s and %s", live, covered, tt.live, tt.covered)
			}
		})
	}
}

func TestPeriods(t *testing.T) {
	tests := []struct {
		name      string
		kind      Kind
		t         string
		wantStart string
		days      int
	}{
		{"22:30 UTC belongs to the next local day", Day, "2026-11-25T22:30:00Z", "2026-11-26T00:00:00+03:00", 1},
		{"20:59 UTC is still today", Day, "2026-11-25T20:59:00Z", "2026-11-25T00:00:00+03:00", 1},
		{"21:30 UTC on 30 November is 1 December locally", Month, "2026-11-30T21:30:00Z", "2026-12-01T00:00:00+03:00", 31},
		{"20:30 UTC on 30 November is still November", Month, "2026-11-30T20:30:00Z", "2026-11-01T00:00:00+03:00", 30},
		{"February of a leap year", Month, "2028-02-10T10:00:00Z", "2028-02-01T00:00:00+03:00", 29},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := PeriodOf(tt.kind, at(tt.t), baghdad)
			if !p.Start.Equal(at(tt.wantStart)) || p.Days() != tt.days {
				t.Errorf("period %s (%d days), want start %s and %d days", p, p.Days(), tt.wantStart, tt.days)
			}
		})
	}
	if got := Periods(Day, at("2026-11-25T22:00:00Z"), at("2026-11-28T21:00:00Z"), baghdad); len(got) != 3 {
		t.Errorf("local days 26, 27, 28 November, got %v", got)
	}
}

func value(t *testing.T, terms Terms, id ID, areas bool) (float64, int, bool) {
	t.Helper()
	for _, v := range terms.Values(areas) {
		if v.ID == id {
			return v.Value, v.Facilities, true
		}
	}
	return 0, 0, false
}

func TestFacilityIndicators(t *testing.T) {
	p := DefaultParams()
	in := FacilityInput{
		Beds: 100, Days: 1, Reported: true,
		Meters: []Meter{
			{Source: "grid", KWh: Counter{600, true}, Live: 18 * time.Hour, Covered: 24 * time.Hour},
			{Source: "generator", KWh: Counter{300, true}, Fuel: Counter{90, true}},
			{Source: "generator", KWh: Counter{50, true}}, // an old generator without a fuel meter
			{Source: "battery", KWh: Counter{40, true}},   // stores, does not supply: left out
		},
		Solar: []Counter{{150, true}, {0, false}},
		Waste: []WasteClass{
			{Category: "general", Treatment: "landfill", Kg: 170, Events: 2},
			{Category: "infectious", Treatment: "autoclave", Kg: 20, Events: 1},
			{Category: "sharps", Treatment: "incineration", Kg: 4, Events: 1, StorageExceeded: 1},
			{Category: "pathological", Treatment: "open_burning", Kg: 6, Events: 1, StorageExceeded: 1},
		},
	}
	terms := Facility(in, p)
	// energy = 600 + 300 + 50 + 150 = 1100 (battery excluded).
	// co2e_energy = 600×0.689 + 90×2.68 + 50×0.80 = 413.4 + 241.2 + 40 = 694.6.
	// waste = 200, hazardous = 30, safe = 20 + 4 = 24, unsafe = 6.
	// co2e_waste = 170×0.271 + 4×1.074 = 46.07 + 4.296 = 50.366.
	want := map[ID]float64{
		GridKWh: 600, GeneratorKWh: 350, SolarKWh: 150, EnergyKWh: 1100,
		RenewableSharePct:   100 * 150.0 / 1100,
		EnergyPerBedKWh:     1100.0 / 100,
		GridAvailabilityPct: 75,
		GeneratorFuelL:      90,
		CO2eEnergyKg:        694.6,
		CO2eAvoidedKg:       150 * 0.689,
		WasteKg:             200, HazardousWasteKg: 30, HazardousSharePct: 15,
		WastePerBedKg:        2,
		SafelyTreatedPct:     100 * 24.0 / 30,
		UnsafeDisposalKg:     6,
		CO2eWasteKg:          50.366,
		StorageExceededCount: 2,
	}
	for id, w := range want {
		got, n, ok := value(t, terms, id, false)
		if !ok || !near(got, w) || n != 1 {
			t.Errorf("%s = %v (%v, %d facilities), want %v", id, got, ok, n, w)
		}
	}
	for _, id := range []ID{OtherKWh, ReportingPct} {
		if got, _, ok := value(t, terms, id, false); ok {
			t.Errorf("%s = %v for a facility, want no value", id, got)
		}
	}
}

func TestZeroDenominatorsHaveNoValue(t *testing.T) {
	terms := Facility(FacilityInput{
		Beds: 0, Days: 1,
		Meters: []Meter{{Source: "grid", KWh: Counter{0, true}}}, // a flat counter: energy 0
		Waste:  []WasteClass{{Category: "general", Treatment: "landfill", Kg: 12, Events: 1}},
	}, DefaultParams())
	for _, id := range []ID{RenewableSharePct, SafelyTreatedPct, EnergyPerBedKWh, WastePerBedKg, GridAvailabilityPct} {
		if got, _, ok := value(t, terms, id, false); ok {
			t.Errorf("%s = %v, want no value (zero denominator)", id, got)
		}
	}
	if got, _, ok := value(t, terms, HazardousSharePct, false); !ok || got != 0 {
		t.Errorf("hazardous share with only general waste = %v, %v; want a real 0", got, ok)
	}
	if got, _, ok := value(t, terms, GridKWh, false); !ok || got != 0 {
		t.Errorf("grid_kwh of a flat counter = %v, %v; want a real 0", got, ok)
	}
}

func TestAreaRatiosComeFromSums(t *testing.T) {
	p := DefaultParams()
	a := Facility(FacilityInput{Days: 1, Reported: true, Beds: 10,
		Meters: []Meter{{Source: "grid", KWh: Counter{90, true}, Live: 20 * time.Hour, Covered: 24 * time.Hour}},
		Solar:  []Counter{{10, true}}}, p) // 10 % renewable, 83.3 % available
	b := Facility(FacilityInput{Days: 1, Reported: true, Beds: 90,
		Meters: []Meter{{Source: "grid", KWh: Counter{950, true}, Live: 6 * time.Hour, Covered: 12 * time.Hour}},
		Solar:  []Counter{{50, true}}}, p) // 5 % renewable, 50 % available
	silent := Facility(FacilityInput{Days: 1, Beds: 20}, p) // registered, sent nothing
	area := Terms{}
	for _, f := range []Terms{a, b, silent} {
		area.Add(f)
	}
	tests := []struct {
		id         ID
		want       float64
		facilities int
		why        string
	}{
		{RenewableSharePct, 100 * 60.0 / 1100, 2, "(10+50)/(100+1000) = 5.45 %, not the mean of 10 % and 5 % = 7.5 %"},
		{GridAvailabilityPct, 100 * 26.0 / 36, 2, "(20+6) h live / (24+12) h covered = 72.2 %, not the mean 66.7 %"},
		{EnergyPerBedKWh, 1100.0 / 100, 2, "1100 kWh / (10+90) bed-days; the silent facility has no energy and no beds counted"},
		{EnergyKWh, 1100, 2, "a sum"},
		{ReportingPct, 100 * 2.0 / 3, 3, "2 of 3 registered facilities sent readings"},
	}
	for _, tt := range tests {
		got, n, ok := value(t, area, tt.id, true)
		if !ok || !near(got, tt.want) || n != tt.facilities {
			t.Errorf("%s = %v (%d facilities, %v), want %v from %d: %s", tt.id, got, n, ok, tt.want, tt.facilities, tt.why)
		}
	}
}

func TestCatalogIsComplete(t *testing.T) {
	seen := map[ID]bool{}
	for _, d := range Catalog {
		if seen[d.ID] || d.Unit == "" || d.NameEn == "" || d.NameAr == "" || d.Definition == "" || (d.Ratio && d.Scale == 0) {
			t.Errorf("catalog entry %+v is duplicated or incomplete", d)
		}
		seen[d.ID] = true
	}
	if len(seen) != 20 {
		t.Errorf("%d indicators, SPEC lists 20", len(seen))
	}
}
