package officialfigures

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

const facility = "BG-H-001"

func payloadOf(start, values string) string {
	return fmt.Sprintf(`{"facility": %q, "period": "month", "start": %q, "computed_at": "2026-12-03T10:15:00Z", "values": [%s]}`,
		facility, start, values)
}

func TestDecode(t *testing.T) {
	good := `{"indicator": "waste_kg", "value": 1234.5, "facilities": 1}, {"indicator": "grid_kwh", "value": 9000, "facilities": 1}`
	tests := []struct {
		name    string
		payload string
		err     string // part of the error; "" for none
		values  map[indicators.ID]float64
		skipped int
	}{
		{"the contract's message", payloadOf("2026-12-01", good), "", map[indicators.ID]float64{"waste_kg": 1234.5, "grid_kwh": 9000}, 0},
		{"an indicator a newer collector added is left out and counted",
			payloadOf("2026-12-01", good+`, {"indicator": "water_m3", "value": 3, "facilities": 1}`), "",
			map[indicators.ID]float64{"waste_kg": 1234.5, "grid_kwh": 9000}, 1},
		{"a repeated indicator keeps the first",
			payloadOf("2026-12-01", good+`, {"indicator": "waste_kg", "value": 1, "facilities": 1}`), "",
			map[indicators.ID]float64{"waste_kg": 1234.5, "grid_kwh": 9000}, 1},
		{"a value that is not a number, or missing, is left out",
			payloadOf("2026-12-01", `{"indicator": "waste_kg", "value": "lots"}, {"indicator": "grid_kwh"}, {"indicator": "solar_kwh", "value": 5, "facilities": -1}`), "",
			map[indicators.ID]float64{}, 3},
		{"no values at all is a month without figures", payloadOf("2026-12-01", ""), "", map[indicators.ID]float64{}, 0},
		{"another facility's", strings.Replace(payloadOf("2026-12-01", good), facility, "BG-H-002", 1), "facility", nil, 0},
		{"not a month", strings.Replace(payloadOf("2026-12-01", good), `"month"`, `"day"`, 1), "period", nil, 0},
		{"a start that is not the first of a month", payloadOf("2026-12-03", good), "start", nil, 0},
		{"a start that is not a date", payloadOf("December", good), "start", nil, 0},
		{"no computed_at", strings.Replace(payloadOf("2026-12-01", good), `"2026-12-03T10:15:00Z"`, `""`, 1), "computed_at", nil, 0},
		{"values not a list", `{"facility": "BG-H-001", "period": "month", "start": "2026-12-01", "computed_at": "2026-12-03T10:15:00Z", "values": {}}`, "values", nil, 0},
		{"values missing", `{"facility": "BG-H-001", "period": "month", "start": "2026-12-01", "computed_at": "2026-12-03T10:15:00Z"}`, "values", nil, 0},
		{"not JSON", `{"facility": `, "not a figures message", nil, 0},
		{"empty (a retained message cleared)", ``, "empty", nil, 0},
		{"too large", payloadOf("2026-12-01", good+strings.Repeat(" ", MaxBytes)), "bytes", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.payload), facility)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err %v, want one about %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Start.String() != "2026-12-01" || !m.ComputedAt.Equal(time.Date(2026, 12, 3, 10, 15, 0, 0, time.UTC)) {
				t.Errorf("month %s computed %s", m.Start, m.ComputedAt)
			}
			if fmt.Sprint(m.Values) != fmt.Sprint(tt.values) || m.Skipped != tt.skipped {
				t.Errorf("values %v, %d skipped; want %v, %d", m.Values, m.Skipped, tt.values, tt.skipped)
			}
		})
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestKeepsTheLastOfEachOfTwoMonths: the collector publishes this month
// and, early in a month, the previous one on the same topic; the list
// keeps the last message of each, newest month first, on disk.
func TestKeepsTheLastOfEachOfTwoMonths(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, facility, discard())
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 10, 16, 0, 0, time.UTC)
	for _, m := range []struct{ start, kg string }{
		{"2026-12-01", "10"}, {"2026-11-01", "300"}, {"2026-12-01", "12"}, {"2026-10-01", "999"},
	} {
		if err := l.Update([]byte(payloadOf(m.start, `{"indicator": "waste_kg", "value": `+m.kg+`, "facilities": 1}`)), at); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Update([]byte(`{"nope"`), at); err == nil {
		t.Error("a bad message was taken")
	}
	check := func(l *List) {
		t.Helper()
		got := l.Months()
		if len(got) != 2 || got[0].Start.String() != "2026-12-01" || got[0].Values["waste_kg"] != 12 ||
			got[1].Start.String() != "2026-11-01" || got[1].Values["waste_kg"] != 300 || !got[0].ReceivedAt.Equal(at) {
			t.Fatalf("months %+v, want December (12 kg) then November (300 kg)", got)
		}
	}
	check(l)
	again, err := Open(dir, facility, discard())
	if err != nil {
		t.Fatal(err)
	}
	check(again)
	info, err := os.Stat(filepath.Join(dir, FileName))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("file %v, %v; want mode 0600", info, err)
	}
}

func TestUnusableFileIsSetAside(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, FileName)
	if err := os.WriteFile(path, []byte(`{"format":1,"months":[{"start":"2026-12-05","computed_at":"2026-12-03T10:15:00Z","received_at":"2026-12-03T10:15:00Z"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Open(dir, facility, discard())
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Months()) != 0 {
		t.Errorf("months from a bad file: %+v", l.Months())
	}
	if _, err := os.Stat(path + ".bad"); err != nil {
		t.Errorf("not set aside: %v", err)
	}
}

// FuzzDecode: no payload makes Decode panic, and what it accepts is a
// month of known, finite values that a list keeps and reads back.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(payloadOf("2026-12-01", `{"indicator": "waste_kg", "value": 1234.5, "facilities": 1}`)))
	f.Add([]byte(payloadOf("2026-12-01", `{"indicator": "waste_kg", "value": 1e999}`)))
	f.Add([]byte(payloadOf("2026-02-01", `null`)))
	f.Add([]byte(`{"facility": "BG-H-001", "period": "month", "start": "2026-12-01", "computed_at": "2026-12-03T10:15:00+03:00", "values": [1, [], {}]}`))
	f.Add([]byte(`[]`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, payload []byte) {
		m, err := Decode(payload, facility)
		if err != nil {
			return
		}
		if m.Start.Day != 1 || m.ComputedAt.IsZero() || len(m.Values) > maxValues {
			t.Fatalf("accepted %+v", m)
		}
		for id, v := range m.Values {
			if _, ok := indicators.Lookup(id); !ok || !finite(v) {
				t.Fatalf("accepted %s = %v", id, v)
			}
		}
		l := &List{path: filepath.Join(dir, FileName), facility: facility, log: discard(), cur: file{Format: formatVersion}}
		if err := l.Update(payload, time.Now()); err != nil {
			t.Fatal(err)
		}
		back, err := Open(dir, facility, discard())
		if err != nil || len(back.Months()) == 0 {
			t.Fatalf("a list it wrote did not read back: %v", err)
		}
	})
}
