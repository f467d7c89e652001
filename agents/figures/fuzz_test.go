package figures

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

// FuzzLoad writes arbitrary bytes as the store's file: opening never fails
// and never panics, figures come out of whatever it accepted, and a file
// it accepted reads back the same after the store rewrote it.
func FuzzLoad(f *testing.F) {
	loc := baghdad(f)
	c := &clock{at(f, testNow)}
	seed := openStore(f, f.TempDir(), c, loc)
	seed.Add([]reading.Reading{
		grid(f, at(f, "2026-11-26T10:00:00Z"), 100, "live"), grid(f, at(f, "2026-11-26T10:05:00Z"), 101, "down"),
		energy(f, at(f, "2026-11-26T10:00:00Z"), "gen1", "generator", 5, 2, ""), energy(f, at(f, "2026-11-26T11:00:00Z"), "gen1", "generator", 9, 3, ""),
		solar(f, at(f, "2026-11-26T10:00:00Z"), "main", 1), solar(f, at(f, "2026-11-26T11:00:00Z"), "main", 4),
		waste(f, at(f, "2026-11-26T10:00:00Z"), "sharps", "autoclave", 2.5, 30),
	})
	if err := seed.Flush(); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(seed.Path())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":1,"timezone":"Asia/Baghdad"}`))
	f.Add([]byte(`{"format":1,"timezone":"Asia/Baghdad","grid":{"main":{"t":"2026-11-26T10:00:00Z","v":1}}}`))
	f.Add([]byte(`{"format":1,"days":{"0000-00-00":null}}`))
	f.Add([]byte(`{"format":1,"timezone":"Asia/Baghdad","days":{"2026-11-26":{"grid":{"main":{"live_ms":1e30,"covered_ms":5}}}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, FileName)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s := openStore(t, dir, c, loc)
		day, month := s.Report(indicators.Day), s.Report(indicators.Month)
		for _, r := range []Report{day, month} {
			for _, p := range r.Periods {
				if p.GridHours != nil && (p.GridHours.Live < 0 || p.GridHours.Live > p.GridHours.Covered) {
					t.Fatalf("grid hours %+v from an accepted file", *p.GridHours)
				}
			}
		}
		// New readings after whatever was loaded must not panic either.
		s.Add([]reading.Reading{grid(t, at(t, "2026-11-26T12:00:00Z"), 150, "live"), waste(t, at(t, "2026-11-26T12:00:00Z"), "general", "offsite", 1, -1)})
		if _, err := os.Stat(path + ".bad"); err == nil {
			return // set aside
		}
		if err := s.Flush(); err != nil {
			t.Fatal(err)
		}
		want := s.Report(indicators.Month)
		again := openStore(t, dir, c, loc)
		if _, err := os.Stat(path + ".bad"); err == nil {
			t.Fatal("a file the store wrote was set aside on reading it back")
		}
		if got := again.Report(indicators.Month); !reflect.DeepEqual(got, want) {
			t.Fatalf("read back %+v, want %+v", got, want)
		}
	})
}
