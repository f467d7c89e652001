package modbus

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestStateStoreWritesAtMostOnceAMinute(t *testing.T) {
	path := filepath.Join(t.TempDir(), StateFile)
	st, err := openState(path)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	reopen := func() deviceState {
		t.Helper()
		again, err := openState(path)
		if err != nil {
			t.Fatal(err)
		}
		return again.get("grid")
	}
	at := func(kwh float64, id string) map[string]deviceState {
		return map[string]deviceState{"grid": {Identity: id, Counters: map[string]float64{"kwh_total": kwh},
			CountersAt: map[string]time.Time{"kwh_total": t0}}}
	}
	steps := []struct {
		name  string
		round map[string]deviceState
		now   time.Time
		want  float64 // kwh_total in the file afterwards
	}{
		{"the first state is written at once", at(100, "A"), t0, 100},
		{"10 s later: kept in memory", at(101, "A"), t0.Add(10 * time.Second), 100},
		{"a minute later: written", at(102, "A"), t0.Add(61 * time.Second), 102},
		{"a new meter is written at once", at(3, "B"), t0.Add(65 * time.Second), 3},
		{"then the minute again", at(4, "B"), t0.Add(70 * time.Second), 3},
	}
	for _, s := range steps {
		if err := st.put(s.round, s.now); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if got := reopen().Counters["kwh_total"]; got != s.want {
			t.Fatalf("%s: file holds %v, want %v", s.name, got, s.want)
		}
	}
	if err := st.flush(); err != nil {
		t.Fatal(err)
	}
	got := reopen()
	if got.Counters["kwh_total"] != 4 || got.Identity != "B" || !got.CountersAt["kwh_total"].Equal(t0) {
		t.Fatalf("after flush the file holds %+v, want kwh_total 4 of meter B, moved at %s", got, t0)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

func TestStateStoreRetriesAFailedWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	st, _ := openState(filepath.Join(dir, StateFile)) // the folder does not exist yet
	round := map[string]deviceState{"grid": {Counters: map[string]float64{"kwh_total": 7}}}
	if err := st.put(round, time.Now()); err == nil {
		t.Fatal("writing into a missing folder succeeded")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := st.flush(); err != nil {
		t.Fatalf("flush after the folder came back: %v", err)
	}
	again, err := openState(filepath.Join(dir, StateFile))
	if err != nil || again.get("grid").Counters["kwh_total"] != 7 {
		t.Fatalf("state after the retried write: %+v, %v", again.get("grid"), err)
	}
}

func TestUnreadableStateStartsAfresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), StateFile)
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := openState(path)
	if err == nil {
		t.Fatal("a corrupt state file was read without a word")
	}
	if ds := st.get("grid"); ds.Counters != nil {
		t.Fatalf("state from a corrupt file: %+v", ds)
	}
}
