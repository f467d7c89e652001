package figures

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

func fileExists(t *testing.T, path string) bool {
	t.Helper()
	_, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

// TestSavesWasteAtOnceAndMetersDebounced: a batch of meter readings does
// not rewrite the file (the outbox has just fsynced them) until the save
// interval has passed; a batch with waste does, at once; Flush writes what
// is left.
func TestSavesWasteAtOnceAndMetersDebounced(t *testing.T) {
	loc := baghdad(t)
	dir := t.TempDir()
	c := &clock{at(t, "2026-11-26T12:00:00Z")}
	s := openStore(t, dir, c, loc) // save interval 1 h
	path := filepath.Join(dir, FileName)

	s.Add([]reading.Reading{grid(t, at(t, "2026-11-26T10:00:00Z"), 100, "live")})
	c.now = c.now.Add(30 * time.Minute)
	s.Add([]reading.Reading{grid(t, at(t, "2026-11-26T10:05:00Z"), 101, "live")})
	if fileExists(t, path) {
		t.Fatal("meter readings rewrote the file before the save interval")
	}
	s.Add([]reading.Reading{waste(t, at(t, "2026-11-26T10:06:00Z"), "sharps", "autoclave", 1.5, -1)})
	if !fileExists(t, path) {
		t.Fatal("waste was not saved at once")
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600 like the other files beside the outbox", info.Mode().Perm())
	}
	s.Add([]reading.Reading{grid(t, at(t, "2026-11-26T10:10:00Z"), 103, "down")})
	if got := reopened(t, dir, c, loc).Report(indicators.Day); periodNamed(t, got, "today").Values[indicators.GridKWh] != 1 {
		t.Errorf("the file holds grid %v kWh, want 1 (the last reading is not saved yet)",
			periodNamed(t, got, "today").Values[indicators.GridKWh])
	}
	c.now = c.now.Add(time.Hour)
	s.Add([]reading.Reading{grid(t, at(t, "2026-11-26T10:15:00Z"), 104, "down")})
	if got := periodNamed(t, reopened(t, dir, c, loc).Report(indicators.Day), "today").Values[indicators.GridKWh]; got != 4 {
		t.Errorf("after the save interval the file holds grid %v kWh, want 4", got)
	}
	s.Add([]reading.Reading{grid(t, at(t, "2026-11-26T10:20:00Z"), 106, "down")})
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := periodNamed(t, reopened(t, dir, c, loc).Report(indicators.Day), "today").Values[indicators.GridKWh]; got != 6 {
		t.Errorf("after Flush the file holds grid %v kWh, want 6", got)
	}
}

func reopened(t *testing.T, dir string, c *clock, loc *time.Location) *Store {
	t.Helper()
	return openStore(t, dir, c, loc)
}

// TestRestartGivesTheSameFigures: an agent restarted from the file shows
// what it showed before, and its next readings go on from the saved last
// readings (the difference across the restart counts).
func TestRestartGivesTheSameFigures(t *testing.T) {
	loc := baghdad(t)
	dir := t.TempDir()
	c := &clock{at(t, testNow)}
	s := openStore(t, dir, c, loc)
	var rs []reading.Reading
	for i := 0; i < 48; i++ {
		ts := at(t, "2026-11-25T08:00:00Z").Add(time.Duration(i) * 30 * time.Minute)
		rs = append(rs, grid(t, ts, float64(i*10), []string{"live", "down"}[i%3/2]), solar(t, ts, "main", float64(i)))
	}
	rs = append(rs, waste(t, at(t, "2026-11-26T09:00:00Z"), "infectious", "microwave", 7.25, 40))
	s.Add(rs)
	before := []Report{s.Report(indicators.Day), s.Report(indicators.Month)}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}

	s2 := reopened(t, dir, c, loc)
	after := []Report{s2.Report(indicators.Day), s2.Report(indicators.Month)}
	if !reflect.DeepEqual(before, after) {
		b, _ := json.Marshal(before)
		a, _ := json.Marshal(after)
		t.Fatalf("after a restart\n%s\nwant\n%s", a, b)
	}
	last := rs[len(rs)-3] // the last grid reading: 470 kWh
	s2.Add([]reading.Reading{grid(t, last.Time.Add(time.Hour), 500, "")})
	today := periodNamed(t, s2.Report(indicators.Day), "today").Values[indicators.GridKWh]
	if want := periodNamed(t, before[0], "today").Values[indicators.GridKWh] + 30; !near(today, want) {
		t.Errorf("grid today %v after a reading following the restart, want %v", today, want)
	}
}

func TestKeepsThisMonthAndThePrevious(t *testing.T) {
	loc := baghdad(t)
	dir := t.TempDir()
	c := &clock{at(t, "2026-11-10T09:00:00Z")}
	s := openStore(t, dir, c, loc)
	s.Add([]reading.Reading{
		waste(t, at(t, "2026-09-30T09:00:00Z"), "general", "landfill", 1, -1), // before October: not kept
		waste(t, at(t, "2026-10-01T09:00:00Z"), "general", "landfill", 2, -1),
		waste(t, at(t, "2026-11-02T09:00:00Z"), "general", "landfill", 4, -1),
	})
	r := s.Report(indicators.Month)
	if got := periodNamed(t, r, "previous_month").Values[indicators.WasteKg]; got != 2 {
		t.Errorf("October %v kg, want 2", got)
	}
	// December: October goes.
	c.now = at(t, "2026-12-01T09:00:00Z")
	s.Add([]reading.Reading{waste(t, c.now, "general", "landfill", 8, -1)})
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	var f file
	data, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil || json.Unmarshal(data, &f) != nil {
		t.Fatalf("read the file: %v", err)
	}
	var days []string
	for d := range f.Days {
		days = append(days, d.String())
	}
	if len(days) != 2 {
		t.Errorf("days kept %v, want 2026-11-02 and 2026-12-01", days)
	}
	r = s.Report(indicators.Month)
	if a, b := periodNamed(t, r, "this_month").Values[indicators.WasteKg], periodNamed(t, r, "previous_month").Values[indicators.WasteKg]; a != 8 || b != 4 {
		t.Errorf("December %v kg, November %v kg; want 8 and 4", a, b)
	}
}

func TestAnotherTimezoneDropsTheDaysKeepsTheSeries(t *testing.T) {
	dir := t.TempDir()
	c := &clock{at(t, testNow)}
	s := openStore(t, dir, c, baghdad(t))
	s.Add([]reading.Reading{grid(t, at(t, "2026-11-26T10:00:00Z"), 100, ""), waste(t, at(t, "2026-11-26T10:00:00Z"), "general", "landfill", 3, -1)})
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, dir, c, time.UTC)
	if v := periodNamed(t, s2.Report(indicators.Day), "today").Values; len(v) != 0 {
		t.Errorf("a store reopened in another timezone kept its days: %v", v)
	}
	s2.Add([]reading.Reading{grid(t, at(t, "2026-11-26T11:00:00Z"), 110, "")})
	if got := periodNamed(t, s2.Report(indicators.Day), "today").Values[indicators.GridKWh]; got != 10 {
		t.Errorf("grid %v kWh, want 10 from the kept last reading", got)
	}
}

func TestUnusableFileIsSetAside(t *testing.T) {
	tests := []struct {
		name, content string
	}{
		{"not JSON", "{nope"},
		{"another format", `{"format": 99}`},
		{"a negative increase", `{"format":1,"timezone":"Asia/Baghdad","counters":{},"grid":{},"days":{"2026-11-26":{"reported":true,
			"counters":{"energy|main|grid|kwh_total":{"stream":"energy","meter":"main","source":"grid","field":"kwh_total","increase":-5}}}}}`},
		{"an unknown waste class", `{"format":1,"timezone":"Asia/Baghdad","days":{"2026-11-26":{"waste":[{"category":"gold","treatment":"landfill","kg":1,"events":1}]}}}`},
		{"more live than covered", `{"format":1,"timezone":"Asia/Baghdad","days":{"2026-11-26":{"grid":{"main":{"live_ms":10,"covered_ms":5}}}}}`},
		{"a series key of no series", `{"format":1,"timezone":"Asia/Baghdad","counters":{"energy|main|sun|kwh_total":{"t":"2026-11-26T10:00:00Z","v":1}}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, FileName)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s := openStore(t, dir, &clock{at(t, testNow)}, baghdad(t))
			if v := periodNamed(t, s.Report(indicators.Day), "today").Values; len(v) != 0 {
				t.Errorf("figures from a bad file: %v", v)
			}
			if !fileExists(t, path+".bad") || fileExists(t, path) {
				t.Error("the bad file was not set aside")
			}
		})
	}
}
