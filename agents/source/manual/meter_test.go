package manual

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
)

func val(v float64) *float64 { return &v }

// step is one entry of a sequence typed at a facility, and what it must
// give.
type step struct {
	e MeterEntry
	// wantErr must each appear in the error; wantFlag is the flag a
	// *Question asks for ("" when the error is a *FieldError).
	wantErr  []string
	wantFlag string
	// want is the reading sent, as "stream tag=v,… field=v,…"; "" for
	// none (kept on the agent), and not checked on error.
	want string
	// wantSaid and wantWarn must each appear in the result's words.
	wantSaid, wantWarn []string
}

// at writes t as the messages do.
func at(t time.Time) string { return t.Local().Format("2006-01-02 15:04") }

// describe writes r compactly: stream, tags, fields.
func describe(r *reading.Reading) string {
	if r == nil {
		return ""
	}
	var tags, fields []string
	for _, t := range r.Tags {
		tags = append(tags, t.Key+"="+t.Value)
	}
	for _, f := range r.Fields {
		fields = append(fields, f.Key+"="+num(f.Num))
	}
	return string(r.Stream) + " " + strings.Join(tags, ",") + " " + strings.Join(fields, ",")
}

func TestMeterEntries(t *testing.T) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	h := func(n float64) time.Time { return now.Add(time.Duration(n * float64(time.Hour))) }
	tank := MeterLimits{TankLitres: 1000, GeneratorKWhPerHour: 0}
	tests := []struct {
		name  string
		lim   MeterLimits
		steps []step
	}{
		{name: "grid readings", steps: []step{
			{e: MeterEntry{Counter: "grid_kwh", Value: val(12000), Time: h(-48)}, want: "energy meter=main,source=grid kwh_total=12000",
				wantSaid: []string{"the first reading of this counter"}},
			{e: MeterEntry{Counter: " Grid_kWh ", Value: val(12400), Time: h(-24), Unit: "kwh"}, want: "energy meter=main,source=grid kwh_total=12400"},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(12900), Meter: "main"}, want: "energy meter=main,source=grid kwh_total=12900"},
		}},
		{name: "below the last reading asks whether the meter is new", steps: []step{
			{e: MeterEntry{Counter: "grid_kwh", Value: val(12000), Time: h(-24)}, want: "energy meter=main,source=grid kwh_total=12000"},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(35)}, wantFlag: FlagReplaced,
				wantErr: []string{"value: 35 kWh is below the last reading: is this a new meter? The last reading was 12000 kWh on " + at(h(-24))}},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(35), Replaced: true}, want: "energy meter=main,source=grid kwh_total=35",
				wantSaid: []string{"recorded as a new meter"}},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(40), Time: h(1.0 / 60), Replaced: true}, want: "energy meter=main,source=grid kwh_total=40",
				wantWarn: []string{"not a new meter: 40 kWh is not below the last reading (35 kWh)"}},
		}},
		{name: "a big jump is questioned", steps: []step{
			{e: MeterEntry{Counter: "grid_kwh", Value: val(1000), Time: h(-2)}, want: "energy meter=main,source=grid kwh_total=1000"},
			// 500 kW for 2 hours is 1000 kWh: 1000 more is fine, 1001 is not.
			{e: MeterEntry{Counter: "grid_kwh", Value: val(2001)}, wantFlag: FlagConfirm,
				wantErr: []string{"value: that's a big jump: 1001 kWh since the last reading (1000 kWh on " + at(h(-2)) + ", 2 hours earlier) is more than 1000 kWh, what 500 kW could give"}},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(2001), Confirm: true}, want: "energy meter=main,source=grid kwh_total=2001"},
		}},
		{name: "a smaller facility jumps sooner", lim: MeterLimits{GridMaxKW: 20}, steps: []step{
			{e: MeterEntry{Counter: "grid_kwh", Value: val(1000), Time: h(-0.25)}, want: "energy meter=main,source=grid kwh_total=1000"},
			// Less than an hour counts as one: 20 kWh.
			{e: MeterEntry{Counter: "grid_kwh", Value: val(1020)}, want: "energy meter=main,source=grid kwh_total=1020"},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(1100), Time: h(0.01)}, wantFlag: FlagConfirm, wantErr: []string{"(sources.manual.meters.grid_max_kw)"}},
		}},
		{name: "dated before the previous reading", steps: []step{
			{e: MeterEntry{Counter: "solar_kwh", Value: val(500), Time: h(-3), Meter: "roof"}, want: "solar inverter=roof kwh_total=500"},
			{e: MeterEntry{Counter: "solar_kwh", Value: val(490), Time: h(-4), Meter: "roof"},
				wantErr: []string{"ts: the last solar_kwh reading was 500 kWh on " + at(h(-3)) + "; a reading taken at or before it"}},
			{e: MeterEntry{Counter: "solar_kwh", Value: val(520), Time: h(-3), Meter: "roof"}, wantErr: []string{"ts: the last solar_kwh reading"}},
			// Another inverter is another counter.
			{e: MeterEntry{Counter: "solar_kwh", Value: val(7), Time: h(-4), Meter: "carport"}, want: "solar inverter=carport kwh_total=7"},
		}},
		{name: "a long gap is said", steps: []step{
			{e: MeterEntry{Counter: "solar_kwh", Value: val(500), Time: h(-24 * 5)}, want: "solar inverter=main kwh_total=500"},
			{e: MeterEntry{Counter: "solar_kwh", Value: val(900)}, want: "solar inverter=main kwh_total=900",
				wantWarn: []string{"more than 48 hours earlier: the use in between is not counted"}},
		}},
		{name: "plain mistakes, all at once", steps: []step{
			{e: MeterEntry{Counter: "water", Value: val(-1), Meter: "a b", Time: h(1), Note: "x\ny"},
				wantErr: []string{`counter: "water" is not a counter; choose one of: grid_kwh, generator_kwh`, "meter: \"a b\"", "value: a reading cannot be negative", "ts: " + at(h(1)) + " is in the future", "note: write it on one line"}},
			{e: MeterEntry{}, wantErr: []string{"counter: choose which counter was read", "value: type the number shown on the display"}},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(math.NaN())}, wantErr: []string{"value: type the number"}},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(2e9)}, wantErr: []string{"value: 2000000000 kWh is more than 1000000000 kWh"}},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(1), Unit: "h"}, wantErr: []string{`unit: "h": grid_kwh is typed in kWh`}},
			{e: MeterEntry{Counter: "tank_level", Value: val(50), Unit: "%", Time: h(-3)}, wantErr: []string{"unit: the tank's size is not configured"}},
			{e: MeterEntry{Counter: "tank_level", Value: val(50), Unit: "gal"}, wantErr: []string{`unit: "gal": a tank level is typed in litres (L) or percent (%)`}},
			{e: MeterEntry{Counter: "fuel_delivered_l", Value: val(0)}, wantErr: []string{"value: type the litres delivered, more than 0"}},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(1), Time: now.AddDate(0, -3, 0)}, wantErr: []string{"is more than two months ago"}},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(1), Note: strings.Repeat("n", MaxNote+1)}, wantErr: []string{"note: at most 200 characters"}},
			{e: MeterEntry{Counter: "grid_kwh", Value: val(1), Meter: strings.Repeat("m", 33)}, wantErr: []string{"meter:"}},
		}},
		{name: "engine hours without a factor stay on the agent", steps: []step{
			{e: MeterEntry{Counter: "generator_hours", Value: val(1200), Time: h(-10)}, want: "", wantSaid: []string{"the reading contract has no engine hours"}},
			{e: MeterEntry{Counter: "generator_hours", Value: val(1206), Time: h(-1)}, want: ""},
			{e: MeterEntry{Counter: "generator_hours", Value: val(1300), Time: h(-1 + 1.0/60)}, wantFlag: FlagConfirm,
				wantErr: []string{"the engine cannot run longer than the time that passed"}},
			{e: MeterEntry{Counter: "generator_hours", Value: val(3), Time: h(-0.5)}, wantFlag: FlagReplaced, wantErr: []string{"is this a new meter? The last reading was 1206 h on"}},
		}},
		{name: "engine hours may run an hour ahead of the clock", steps: []step{
			{e: MeterEntry{Counter: "generator_hours", Value: val(1000), Time: h(-48)}, want: ""},
			// 24.5 h over 24 h is rounding on the display and in the times typed.
			{e: MeterEntry{Counter: "generator_hours", Value: val(1024.5), Time: h(-24)}, want: ""},
			// 25.1 h over 24 h is more than the clock and its hour of slack.
			{e: MeterEntry{Counter: "generator_hours", Value: val(1049.6)}, wantFlag: FlagConfirm,
				wantErr: []string{"that's a big jump: 25.1 h since the last reading (1024.5 h on " + at(h(-24)) + ", 24 hours earlier) is more than 25 hours: the engine cannot run longer"}},
			{e: MeterEntry{Counter: "generator_hours", Value: val(1049.5)}, want: ""},
		}},
		{name: "engine hours with a factor are the generator's kWh", lim: MeterLimits{GeneratorKWhPerHour: 25}, steps: []step{
			{e: MeterEntry{Counter: "generator_hours", Value: val(100), Time: h(-10), Meter: "gen1"}, want: "energy meter=gen1,source=generator kwh_total=2500"},
			{e: MeterEntry{Counter: "generator_hours", Value: val(104), Time: h(-2), Meter: "gen1"}, want: "energy meter=gen1,source=generator kwh_total=2600",
				wantSaid: []string{"104 h × 25 kWh/h = 2600 kWh"}},
			// A kWh meter read later takes over; it is checked against the
			// kWh the hours gave.
			{e: MeterEntry{Counter: "generator_kwh", Value: val(2000), Time: h(-1.5), Meter: "gen1"}, wantFlag: FlagReplaced,
				wantErr: []string{"The last reading was 2600 kWh (from the engine hours) on"}},
			{e: MeterEntry{Counter: "generator_kwh", Value: val(2610), Time: h(-1.5), Meter: "gen1"}, want: "energy meter=gen1,source=generator kwh_total=2610"},
			{e: MeterEntry{Counter: "generator_hours", Value: val(105), Time: h(-1), Meter: "gen1"}, want: "",
				wantSaid: []string{"the generator's kWh come from its kWh readings"}},
		}},
		{name: "fuel: deliveries and tank levels", lim: tank, steps: []step{
			{e: MeterEntry{Counter: "generator_kwh", Value: val(5000), Time: h(-30)}, want: "energy meter=main,source=generator kwh_total=5000"},
			{e: MeterEntry{Counter: "tank_level", Value: val(800), Time: h(-24)}, want: "energy meter=main,source=generator kwh_total=5000,fuel_l_total=0",
				wantSaid: []string{"the first tank level"}},
			{e: MeterEntry{Counter: "generator_kwh", Value: val(5100), Time: h(-20)}, want: "energy meter=main,source=generator kwh_total=5100,fuel_l_total=0"},
			{e: MeterEntry{Counter: "fuel_delivered_l", Value: val(400), Time: h(-12)}, want: "", wantSaid: []string{"400 L delivered since the last tank level"}},
			// 800 + 400 − 900 = 300 L burned; 50 % of 1000 L later: 400 more.
			{e: MeterEntry{Counter: "tank_level", Value: val(900), Time: h(-6), Unit: "l"}, want: "energy meter=main,source=generator kwh_total=5100,fuel_l_total=300",
				wantSaid: []string{"300 L burned since the last level"}},
			{e: MeterEntry{Counter: "tank_level", Value: val(50), Unit: "%", Time: h(-3)}, want: "energy meter=main,source=generator kwh_total=5100,fuel_l_total=700"},
			// A rise without a delivery.
			{e: MeterEntry{Counter: "tank_level", Value: val(700), Time: h(-2.5)}, wantFlag: FlagConfirm,
				wantErr: []string{"the tank holds 200 L more than the last level (500 L on " + at(h(-3)) + ") plus the 0 L delivered since: was a delivery not recorded?"}},
			{e: MeterEntry{Counter: "tank_level", Value: val(700), Time: h(-2.5), Confirm: true}, want: "energy meter=main,source=generator kwh_total=5100,fuel_l_total=700",
				wantWarn: []string{"counted as no fuel burned"}},
			{e: MeterEntry{Counter: "tank_level", Value: val(1100), Time: h(-2.4)}, wantErr: []string{"value: 1100 L is more than the tank holds (1000 L"}},
			// 500 kW × 0.4 L/kWh × 1 h = 200 L at most in an hour.
			{e: MeterEntry{Counter: "tank_level", Value: val(400), Time: h(-2.3)}, wantFlag: FlagConfirm,
				wantErr: []string{"that's a big jump: 300 L burned since the last level"}},
			{e: MeterEntry{Counter: "fuel_delivered_l", Value: val(5000), Time: h(-2.3)}, wantFlag: FlagConfirm,
				wantErr: []string{"5000 L is more than the tank holds (1000 L"}},
			{e: MeterEntry{Counter: "fuel_delivered_l", Value: val(100), Time: h(-2.6)}, wantErr: []string{"ts: the last tank level was read on " + at(h(-2.5)) + ", after this delivery"}},
			// A generator reading dated before the last one sent on its series.
			{e: MeterEntry{Counter: "generator_kwh", Value: val(5150), Time: h(-3)},
				wantErr: []string{"ts: generator main's last reading sent was taken on " + at(h(-2.5))}},
			{e: MeterEntry{Counter: "generator_kwh", Value: val(5150)}, want: "energy meter=main,source=generator kwh_total=5150,fuel_l_total=700"},
		}},
		{name: "fuel of a generator without a kWh counter", lim: tank, steps: []step{
			{e: MeterEntry{Counter: "tank_level", Value: val(800), Time: h(-24)}, want: "energy meter=main-fuel,source=generator kwh_total=0,fuel_l_total=0",
				wantSaid: []string{"the fuel is sent as meter main-fuel"}},
			{e: MeterEntry{Counter: "tank_level", Value: val(650), Time: h(-12)}, want: "energy meter=main-fuel,source=generator kwh_total=0,fuel_l_total=150"},
			// Its kWh counter appears: the fuel goes with it from now on.
			{e: MeterEntry{Counter: "generator_kwh", Value: val(40000), Time: h(-6)}, want: "energy meter=main,source=generator kwh_total=40000,fuel_l_total=150"},
			{e: MeterEntry{Counter: "tank_level", Value: val(600)}, want: "energy meter=main,source=generator kwh_total=40000,fuel_l_total=200"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st MeterState
			for i, s := range tt.steps {
				before, _ := json.Marshal(st)
				res, err := s.e.Check("BG-H-001", now, st, tt.lim)
				if after, _ := json.Marshal(st); string(after) != string(before) {
					t.Fatalf("step %d changed the state it was given", i)
				}
				if len(s.wantErr) > 0 {
					if err == nil {
						t.Fatalf("step %d: no error, want %q", i, s.wantErr)
					}
					for _, w := range s.wantErr {
						if !strings.Contains(err.Error(), w) {
							t.Errorf("step %d: error %q does not contain %q", i, err, w)
						}
					}
					var q *Question
					var fe *FieldError
					switch {
					case s.wantFlag != "":
						if !errors.As(err, &q) || q.Flag != s.wantFlag {
							t.Errorf("step %d: error %v is not a question answered by %q", i, err, s.wantFlag)
						}
					case !errors.As(err, &fe):
						t.Errorf("step %d: error %v is not a *FieldError", i, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: unexpected error: %v", i, err)
				}
				if got := describe(res.Reading); got != s.want {
					t.Errorf("step %d: sent %q, want %q", i, got, s.want)
				}
				words := strings.Join(res.Said, "; ")
				for _, w := range s.wantSaid {
					if !strings.Contains(words, w) {
						t.Errorf("step %d: said %q, want %q", i, words, w)
					}
				}
				warned := strings.Join(res.Warnings, "; ")
				for _, w := range s.wantWarn {
					if !strings.Contains(warned, w) {
						t.Errorf("step %d: warned %q, want %q", i, warned, w)
					}
				}
				st = res.State
			}
		})
	}
}

func TestMeterLimits(t *testing.T) {
	tests := []struct {
		name       string
		lim        MeterLimits
		beds       int
		pv         float64
		grid, sol  float64
		wantErrors []string
	}{
		{name: "defaults", grid: 500, sol: 500},
		{name: "a large hospital", beds: 400, pv: 250, grid: 2000, sol: 300},
		{name: "configured wins", lim: MeterLimits{GridMaxKW: 80, SolarMaxKW: 30}, beds: 400, pv: 250, grid: 80, sol: 30},
		{name: "negative", lim: MeterLimits{TankLitres: -1, GridMaxKW: math.Inf(1)},
			wantErrors: []string{"m.grid_max_kw: must be 0 (default) or more, got +Inf", "m.tank_litres: must be 0 (default) or more, got -1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.lim.Validate("m")
			if len(tt.wantErrors) > 0 {
				if err == nil || err.Error() != strings.Join(tt.wantErrors, "\n") {
					t.Fatalf("Validate: %v, want %q", err, tt.wantErrors)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l := tt.lim.WithDefaults(tt.beds, tt.pv)
			if l.GridMaxKW != tt.grid || l.SolarMaxKW != tt.sol || l.GeneratorMaxKW == 0 {
				t.Errorf("WithDefaults(%d, %g) = %+v, want grid %g, solar %g", tt.beds, tt.pv, l, tt.grid, tt.sol)
			}
		})
	}
}

// FuzzMeterEntry feeds entries as the API decodes them from outside input
// to the checker, on a state that has readings of every counter: it must
// never panic, answer either a result or errors of its two kinds, send
// only readings of the contract, and never count fuel or kWh backwards
// without a new meter.
func FuzzMeterEntry(f *testing.F) {
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	f.Add(`{"counter":"grid_kwh","value":12500}`)
	f.Add(`{"counter":"tank_level","value":50,"unit":"%","ts":"2026-11-26T08:00:00Z"}`)
	f.Add(`{"counter":"generator_hours","value":1e300,"meter":"gen-1","confirm":true}`)
	f.Add(`{"counter":"solar_kwh","value":1,"replaced":true,"note":"new inverter"}`)
	f.Add(`{"counter":"fuel_delivered_l","value":250}`)
	f.Add(`{"counter":"generator_kwh","value":-0}`)
	lim := MeterLimits{TankLitres: 1000, GeneratorKWhPerHour: 20}
	var st MeterState
	for i, e := range []MeterEntry{
		{Counter: "grid_kwh", Value: val(1000)}, {Counter: "generator_kwh", Value: val(500)},
		{Counter: "generator_hours", Value: val(80)}, {Counter: "tank_level", Value: val(600)},
		{Counter: "solar_kwh", Value: val(300)}, {Counter: "fuel_delivered_l", Value: val(100)},
	} {
		e.Time = now.Add(time.Duration(i-6) * time.Hour)
		res, err := e.Check("BG-H-001", now, st, lim)
		if err != nil {
			f.Fatal(err)
		}
		st = res.State
	}
	f.Fuzz(func(t *testing.T, data string) {
		var e MeterEntry
		if json.Unmarshal([]byte(data), &e) != nil {
			return
		}
		res, err := e.Check("BG-H-001", now, st, lim)
		if err != nil {
			var q *Question
			var fe *FieldError
			if !errors.As(err, &q) && !errors.As(err, &fe) {
				t.Fatalf("error of another kind: %v", err)
			}
			return
		}
		if r := res.Reading; r != nil {
			if _, err := reading.NewBuilder(r.Stream); !err {
				t.Fatalf("reading of stream %q", r.Stream)
			}
			for _, fd := range r.Fields {
				if fd.Num < 0 || math.IsNaN(fd.Num) {
					t.Fatalf("field %s = %g", fd.Key, fd.Num)
				}
			}
		}
		for k, l := range res.State.Last {
			if old, ok := st.Last[k]; ok && l.Value < old.Value && !e.Replaced && !strings.HasPrefix(k, string(TankLevel)) && !strings.HasPrefix(k, string(FuelDelivered)) {
				t.Fatalf("%s went from %g to %g without a new meter", k, old.Value, l.Value)
			}
		}
		for m, fu := range res.State.Fuel {
			if fu.BurnedL < st.Fuel[m].BurnedL {
				t.Fatalf("fuel burned went back from %g to %g", st.Fuel[m].BurnedL, fu.BurnedL)
			}
		}
	})
}
