package figures

import (
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

// The local day 2026-11-26 in Baghdad (UTC+3) is [2026-11-25T21:00Z,
// 2026-11-26T21:00Z); the clock of these tests reads 23:00 local on it.
const testNow = "2026-11-26T20:00:00Z"

// dayValue returns indicator id of the period named name, and whether it
// has one.
func dayValue(t *testing.T, s *Store, name string, id indicators.ID) (float64, bool) {
	t.Helper()
	v, ok := periodNamed(t, s.Report(indicators.Day), name).Values[id]
	return v, ok
}

func TestCounterIncreasePerDay(t *testing.T) {
	type want struct {
		v  float64
		ok bool
	}
	type pt struct {
		ts string
		v  float64
	}
	tests := []struct {
		name             string
		readings         []pt
		today, yesterday want
	}{
		{"plain: 100 -> 110 -> 125 today, 90 -> 100 yesterday",
			[]pt{{"2026-11-25T10:00:00Z", 90}, {"2026-11-25T20:00:00Z", 100}, {"2026-11-25T22:00:00Z", 110}, {"2026-11-26T10:00:00Z", 125}},
			want{25, true}, want{10, true}},
		{"the difference across midnight goes to the later reading's day: 23:50 -> 00:10 local",
			[]pt{{"2026-11-25T20:50:00Z", 100}, {"2026-11-25T21:10:00Z", 104}},
			want{4, true}, want{0, false}},
		{"a reset counts the value after it: 10 + 3 + 5",
			[]pt{{"2026-11-25T20:00:00Z", 100}, {"2026-11-25T22:00:00Z", 110}, {"2026-11-26T01:00:00Z", 3}, {"2026-11-26T02:00:00Z", 8}},
			want{18, true}, want{0, false}},
		{"the earlier reading may be 48 h older, across two midnights",
			[]pt{{"2026-11-24T00:00:00Z", 100}, {"2026-11-26T00:00:00Z", 107}},
			want{7, true}, want{0, false}},
		{"but not 48 h 1 min: no data at all",
			[]pt{{"2026-11-23T23:59:00Z", 100}, {"2026-11-26T00:00:00Z", 107}},
			want{0, false}, want{0, false}},
		{"a flat counter is a real zero",
			[]pt{{"2026-11-26T09:00:00Z", 5}, {"2026-11-26T10:00:00Z", 5}},
			want{0, true}, want{0, false}},
		{"one reading: no difference, no data",
			[]pt{{"2026-11-26T09:00:00Z", 5}},
			want{0, false}, want{0, false}},
		{"an older reading after a newer one is left out: 5 -> 9 -> 10",
			[]pt{{"2026-11-26T09:00:00Z", 5}, {"2026-11-26T10:00:00Z", 9}, {"2026-11-26T09:30:00Z", 7}, {"2026-11-26T11:00:00Z", 10}},
			want{5, true}, want{0, false}},
		{"a repeated reading changes nothing",
			[]pt{{"2026-11-26T09:00:00Z", 5}, {"2026-11-26T10:00:00Z", 9}, {"2026-11-26T10:00:00Z", 9}},
			want{4, true}, want{0, false}},
	}
	loc := baghdad(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, t.TempDir(), &clock{at(t, testNow)}, loc)
			for _, p := range tt.readings {
				s.Add([]reading.Reading{grid(t, at(t, p.ts), p.v, "")})
			}
			for _, c := range []struct {
				name string
				want want
			}{{"today", tt.today}, {"yesterday", tt.yesterday}} {
				got, ok := dayValue(t, s, c.name, indicators.GridKWh)
				if ok != c.want.ok || !near(got, c.want.v) {
					t.Errorf("%s: grid_kwh %v (%v), want %v (%v)", c.name, got, ok, c.want.v, c.want.ok)
				}
			}
		})
	}
}

func TestGridAvailabilityPerDay(t *testing.T) {
	type pt struct {
		ts    string
		avail string
	}
	type hours struct{ live, covered time.Duration }
	tests := []struct {
		name             string
		samples          []pt
		today, yesterday hours // zero covered: no grid_hours
	}{
		{"5 minutes apart: the last one holds 15 minutes",
			[]pt{{"2026-11-26T00:00:00Z", "live"}, {"2026-11-26T00:05:00Z", "live"}, {"2026-11-26T00:10:00Z", "down"}},
			hours{10 * time.Minute, 25 * time.Minute}, hours{}},
		{"a gap over 15 minutes is not covered",
			[]pt{{"2026-11-26T00:00:00Z", "live"}, {"2026-11-26T01:00:00Z", "down"}},
			hours{15 * time.Minute, 30 * time.Minute}, hours{}},
		{"a sample at 23:55 holds across midnight until the next at 00:10",
			[]pt{{"2026-11-25T20:55:00Z", "live"}, {"2026-11-25T21:10:00Z", "down"}},
			hours{10 * time.Minute, 25 * time.Minute}, hours{5 * time.Minute, 5 * time.Minute}},
		{"the last sample's hold stops at the day's end",
			[]pt{{"2026-11-26T20:50:00Z", "live"}},
			hours{10 * time.Minute, 10 * time.Minute}, hours{}},
		{"an older sample after a newer one is left out",
			[]pt{{"2026-11-26T00:00:00Z", "live"}, {"2026-11-26T00:10:00Z", "down"}, {"2026-11-26T00:05:00Z", "down"}},
			hours{10 * time.Minute, 25 * time.Minute}, hours{}},
	}
	loc := baghdad(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, t.TempDir(), &clock{at(t, testNow)}, loc)
			for _, p := range tt.samples {
				s.Add([]reading.Reading{grid(t, at(t, p.ts), 1000, p.avail)})
			}
			r := s.Report(indicators.Day)
			for name, want := range map[string]hours{"today": tt.today, "yesterday": tt.yesterday} {
				p := periodNamed(t, r, name)
				if want.covered == 0 {
					if p.GridHours != nil {
						t.Errorf("%s: grid hours %+v, want none", name, *p.GridHours)
					}
					continue
				}
				if p.GridHours == nil || !near(p.GridHours.Live, want.live.Hours()) || !near(p.GridHours.Covered, want.covered.Hours()) {
					t.Errorf("%s: grid hours %+v, want %s live of %s", name, p.GridHours, want.live, want.covered)
					continue
				}
				if got := p.Values[indicators.GridAvailabilityPct]; !near(got, 100*want.live.Hours()/want.covered.Hours()) {
					t.Errorf("%s: availability %v %%", name, got)
				}
			}
		})
	}

	t.Run("only grid meters give availability", func(t *testing.T) {
		s := openStore(t, t.TempDir(), &clock{at(t, testNow)}, loc)
		s.Add([]reading.Reading{energy(t, at(t, "2026-11-26T10:00:00Z"), "gen1", "generator", 5, -1, "live")})
		if p := periodNamed(t, s.Report(indicators.Day), "today"); p.GridHours != nil {
			t.Errorf("a generator's available counted as grid: %+v", *p.GridHours)
		}
	})
}

func TestWasteClassesAndBreaches(t *testing.T) {
	loc := baghdad(t)
	s := openStore(t, t.TempDir(), &clock{at(t, testNow)}, loc)
	s.Add([]reading.Reading{
		waste(t, at(t, "2026-11-26T08:00:00Z"), "general", "landfill", 170, -1),
		waste(t, at(t, "2026-11-26T08:10:00Z"), "infectious", "autoclave", 20, 30), // stored too long
		waste(t, at(t, "2026-11-26T08:20:00Z"), "sharps", "incineration", 4, 24),   // at the limit: not a breach
		waste(t, at(t, "2026-11-26T08:30:00Z"), "pathological", "open_burning", 6, -1),
		waste(t, at(t, "2026-11-25T20:59:00Z"), "general", "landfill", 10, -1), // 23:59 local: yesterday
		waste(t, at(t, "2026-11-25T21:00:00Z"), "general", "offsite", 5, -1),   // 00:00 local: today
	})
	today := periodNamed(t, s.Report(indicators.Day), "today")
	// waste 205 kg, hazardous 30, safely treated 20 + 4 of it, unsafe 6.
	want := map[indicators.ID]float64{
		indicators.WasteKg: 205, indicators.HazardousWasteKg: 30, indicators.HazardousSharePct: 100 * 30.0 / 205,
		indicators.SafelyTreatedPct: 100 * 24.0 / 30, indicators.UnsafeDisposalKg: 6, indicators.StorageExceededCount: 1,
		indicators.WastePerBedKg: 205.0 / 100, indicators.CO2eWasteKg: 170*0.271 + 4*1.074,
	}
	for id, w := range want {
		if got, ok := today.Values[id]; !ok || !near(got, w) {
			t.Errorf("today %s = %v (%v), want %v", id, got, ok, w)
		}
	}
	wantClasses := []Waste{
		{"infectious", "autoclave", 20, 1, 1}, {"sharps", "incineration", 4, 1, 0}, {"pathological", "open_burning", 6, 1, 0},
		{"general", "offsite", 5, 1, 0}, {"general", "landfill", 170, 1, 0},
	}
	if len(today.Waste) != len(wantClasses) {
		t.Fatalf("classes %+v, want %+v", today.Waste, wantClasses)
	}
	for i, w := range wantClasses {
		if today.Waste[i] != w {
			t.Errorf("class %d = %+v, want %+v", i, today.Waste[i], w)
		}
	}
	if got, _ := dayValue(t, s, "yesterday", indicators.WasteKg); got != 10 {
		t.Errorf("yesterday's waste %v kg, want 10", got)
	}
	if !today.Reported {
		t.Error("a day with waste did not report")
	}
}

func TestEnergyFigures(t *testing.T) {
	loc := baghdad(t)
	s := openStore(t, t.TempDir(), &clock{at(t, testNow)}, loc)
	t0, t1 := at(t, "2026-11-26T06:00:00Z"), at(t, "2026-11-26T18:00:00Z")
	s.Add([]reading.Reading{
		grid(t, t0, 1000, ""), energy(t, t0, "gen1", "generator", 200, 50, ""), energy(t, t0, "old", "generator", 10, -1, ""),
		energy(t, t0, "bank", "battery", 0, -1, ""), solar(t, t0, "roof", 300), solar(t, t0, "carport", 40),
	})
	s.Add([]reading.Reading{
		grid(t, t1, 1600, ""), energy(t, t1, "gen1", "generator", 500, 140, ""), energy(t, t1, "old", "generator", 60, -1, ""),
		energy(t, t1, "bank", "battery", 40, -1, ""), solar(t, t1, "roof", 400), solar(t, t1, "carport", 90),
	})
	today := periodNamed(t, s.Report(indicators.Day), "today")
	// energy = 600 + 300 + 50 + 150 (battery excluded); co2e = 600×0.689 + 90×2.68 + 50×0.80.
	want := map[indicators.ID]float64{
		indicators.GridKWh: 600, indicators.GeneratorKWh: 350, indicators.SolarKWh: 150, indicators.EnergyKWh: 1100,
		indicators.GeneratorFuelL: 90, indicators.CO2eEnergyKg: 694.6, indicators.RenewableSharePct: 100 * 150.0 / 1100,
		indicators.EnergyPerBedKWh: 1100.0 / 100, indicators.CO2eAvoidedKg: 150 * 0.689,
	}
	for id, w := range want {
		if got, ok := today.Values[id]; !ok || !near(got, w) {
			t.Errorf("%s = %v (%v), want %v", id, got, ok, w)
		}
	}
	if _, ok := today.Values[indicators.OtherKWh]; ok {
		t.Error("other_kwh without an other meter")
	}
	if today.SolarKWhPerKWp == nil || !near(*today.SolarKWhPerKWp, 150.0/50) {
		t.Errorf("solar yield %v, want 3 kWh/kWp", today.SolarKWhPerKWp)
	}
}

func TestMonthIsTheMergeOfItsDays(t *testing.T) {
	loc := baghdad(t)
	c := &clock{at(t, testNow)}
	s := openStore(t, t.TempDir(), c, loc)
	// Three days of November: grid rising 100 kWh a day, live half the
	// time; 10 kg of waste a day, 2 of it sharps.
	var rs []reading.Reading
	for d := 0; d < 3; d++ {
		day := at(t, "2026-11-23T00:00:00Z").AddDate(0, 0, d)
		for i := 0; i < 24; i++ {
			ts := day.Add(time.Duration(i) * time.Hour)
			avail := "live"
			if i%2 == 1 {
				avail = "down"
			}
			rs = append(rs, grid(t, ts, float64(d*100)+float64(i)*100.0/24, avail))
		}
		rs = append(rs, waste(t, day.Add(6*time.Hour), "general", "landfill", 8, -1), waste(t, day.Add(7*time.Hour), "sharps", "autoclave", 2, 30))
	}
	s.Add(rs)
	r := s.Report(indicators.Month)
	month := periodNamed(t, r, "this_month")
	if month.Start.String() != "2026-11-01" || month.Days != 30 {
		t.Fatalf("month %s of %d days", month.Start, month.Days)
	}
	var energy, wasteKg, hazardous float64
	var live, covered float64
	for _, d := range r.Days {
		energy += d.Values[indicators.GridKWh]
		wasteKg += d.Values[indicators.WasteKg]
		hazardous += d.Values[indicators.HazardousWasteKg]
		if d.GridHours != nil {
			live += d.GridHours.Live
			covered += d.GridHours.Covered
		}
	}
	if len(r.Days) != 26 {
		t.Errorf("%d days of the month, want 1 to 26 November", len(r.Days))
	}
	for _, c := range []struct {
		id   indicators.ID
		want float64
	}{
		{indicators.GridKWh, energy}, {indicators.WasteKg, wasteKg}, {indicators.HazardousWasteKg, hazardous},
		{indicators.HazardousSharePct, 100 * hazardous / wasteKg},
		// A ratio from the summed hours, not the mean of the days' ratios.
		{indicators.GridAvailabilityPct, 100 * live / covered},
		{indicators.StorageExceededCount, 3},
		// Per bed-day over the month's 30 days.
		{indicators.WastePerBedKg, wasteKg / (100 * 30)},
	} {
		if got := month.Values[c.id]; !near(got, c.want) {
			t.Errorf("month %s = %v, want %v from its days", c.id, got, c.want)
		}
	}
	if month.GridHours == nil || !near(month.GridHours.Live, live) || !near(month.GridHours.Covered, covered) {
		t.Errorf("month grid hours %+v, want %v of %v", month.GridHours, live, covered)
	}
	if len(month.Waste) != 2 || month.Waste[0].Kg != 6 || month.Waste[0].StorageExceeded != 3 || month.Waste[1].Kg != 24 {
		t.Errorf("month waste classes %+v", month.Waste)
	}
	prev := periodNamed(t, r, "previous_month")
	if prev.Start.String() != "2026-10-01" || prev.Reported || len(prev.Values) != 0 {
		t.Errorf("previous month %+v, want October, empty", prev)
	}
}

// TestClockThatRanAhead: a box whose clock ran days ahead took readings
// stamped then; once the clock is put right, the figures go on from the
// next readings instead of waiting for real time to catch up, and no day
// after tomorrow is kept.
func TestClockThatRanAhead(t *testing.T) {
	loc := baghdad(t)
	c := &clock{at(t, "2026-11-30T10:00:00Z")} // four days ahead
	s := openStore(t, t.TempDir(), c, loc)
	s.Add([]reading.Reading{grid(t, c.now, 500, "live")})
	s.Add([]reading.Reading{grid(t, c.now.Add(10*time.Minute), 510, "live")})
	c.now = at(t, testNow) // put right
	s.Add([]reading.Reading{grid(t, c.now.Add(-20*time.Minute), 100, "live")})
	s.Add([]reading.Reading{grid(t, c.now.Add(-10*time.Minute), 104, "down")})
	if got, ok := dayValue(t, s, "today", indicators.GridKWh); !ok || !near(got, 4) {
		t.Errorf("grid_kwh today %v (%v), want 4 from the readings after the clock was put right", got, ok)
	}
	if got, ok := dayValue(t, s, "today", indicators.GridAvailabilityPct); !ok || !near(got, 40) {
		t.Errorf("grid availability today %v (%v), want 40: 10 min live, then down held 15 min", got, ok)
	}
	s.Add([]reading.Reading{grid(t, c.now, 105, "down")}) // a new day's sums prune
	s.mu.Lock()
	defer s.mu.Unlock()
	for d := range s.f.Days {
		if s.tomorrow().Before(d) {
			t.Errorf("day %s after tomorrow kept", d)
		}
	}
}

// TestSince: the report says from when its figures count readings, the
// oldest reading kept, and after a restart too.
func TestSince(t *testing.T) {
	loc := baghdad(t)
	c := &clock{at(t, testNow)}
	dir := t.TempDir()
	s := openStore(t, dir, c, loc)
	if r := s.Report(indicators.Day); r.Since != nil {
		t.Errorf("an empty store says since %v", r.Since)
	}
	first := at(t, "2026-11-25T09:00:00Z")
	s.Add([]reading.Reading{grid(t, first.Add(time.Hour), 10, "")})
	s.Add([]reading.Reading{waste(t, first, "sharps", "autoclave", 2, -1)}) // staff entered it late
	if r := s.Report(indicators.Day); r.Since == nil || !r.Since.Equal(first) {
		t.Errorf("since %v, want the oldest reading, %v", r.Since, first)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if r := openStore(t, dir, c, loc).Report(indicators.Month); r.Since == nil || !r.Since.Equal(first) {
		t.Errorf("after a restart: since %v, want %v", r.Since, first)
	}
}
