package alerts

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func openStore(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, quiet())
	if err != nil {
		t.Fatal(err)
	}
	s.now = func() time.Time { return t0.Add(time.Hour) }
	return s
}

func ev(rule, facility string, at time.Time) Event {
	return Event{Rule: rule, Facility: facility, District: "BG-KRK", Governorate: "IQ-BG", Severity: Critical,
		Message: "m", MessageAr: "م", At: at}
}

func TestRaiseDeduplicatesPerRuleAndFacility(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "state.json"))
	changed, err := s.Raise([]Event{
		ev(RuleOpenBurning, "F1", t0),
		ev(RuleOpenBurning, "F1", t0.Add(2*time.Hour)),
		ev(RuleOpenBurning, "F1", t0.Add(time.Hour)), // late, older than the last
		ev(RuleOpenDumping, "F1", t0),
		ev(RuleOpenBurning, "F2", t0),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(changed) != 3 {
		t.Fatalf("changed %d alerts, want 3: %+v", len(changed), changed)
	}
	a, ok := s.Get(ID(RuleOpenBurning, "F1"))
	if !ok || a.Count != 3 || !a.FirstSeen.Equal(t0) || !a.LastSeen.Equal(t0.Add(2*time.Hour)) || a.State != ActiveUnacknowledged {
		t.Errorf("open_burning.F1 = %+v, want count 3 from t0 to t0+2h, active unacknowledged", a)
	}
	if a.ID != "open_burning.F1" {
		t.Errorf("id %q", a.ID)
	}
}

func TestAckAndClear(t *testing.T) {
	id := ID(RuleOpenBurning, "F1")
	tests := []struct {
		name    string
		steps   func(s *Store) error
		want    State
		wantErr error
	}{
		{"ack", func(s *Store) error { _, err := s.Ack(id, "Dr. Salma", "truck sent"); return err }, ActiveAcknowledged, nil},
		{"ack twice keeps the last", func(s *Store) error {
			if _, err := s.Ack(id, "a", ""); err != nil {
				return err
			}
			_, err := s.Ack(id, "b", "again")
			return err
		}, ActiveAcknowledged, nil},
		{"clear", func(s *Store) error { _, _, err := s.Clear(id, t0.Add(time.Hour)); return err }, Cleared, nil},
		{"ack a cleared alert", func(s *Store) error {
			if _, _, err := s.Clear(id, t0.Add(time.Hour)); err != nil {
				return err
			}
			_, err := s.Ack(id, "a", "")
			return err
		}, Cleared, ErrCleared},
		{"ack an unknown alert", func(s *Store) error { _, err := s.Ack("open_burning.F9", "a", ""); return err }, ActiveUnacknowledged, ErrNotFound},
		{"fires again after it cleared", func(s *Store) error {
			if _, err := s.Ack(id, "a", ""); err != nil {
				return err
			}
			if _, _, err := s.Clear(id, t0.Add(time.Hour)); err != nil {
				return err
			}
			_, err := s.Raise([]Event{ev(RuleOpenBurning, "F1", t0.Add(3*time.Hour))})
			return err
		}, ActiveUnacknowledged, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, filepath.Join(t.TempDir(), "state.json"))
			if _, err := s.Raise([]Event{ev(RuleOpenBurning, "F1", t0)}); err != nil {
				t.Fatal(err)
			}
			err := tt.steps(s)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "open_burning.F") {
				t.Errorf("error %q does not name the alert", err)
			}
			a, _ := s.Get(id)
			if a.State != tt.want {
				t.Errorf("state %s, want %s", a.State, tt.want)
			}
			switch a.State {
			case ActiveAcknowledged:
				if a.Ack == nil || a.Ack.By == "" || !a.Ack.At.Equal(t0.Add(time.Hour)) {
					t.Errorf("ack %+v", a.Ack)
				}
			case ActiveUnacknowledged:
				if a.Ack != nil || a.ClearedAt != nil || a.Count != 1 {
					t.Errorf("a new alert carries the old one's ack, clearance or count: %+v", a)
				}
			case Cleared:
				if a.ClearedAt == nil {
					t.Error("cleared without cleared_at")
				}
			}
		})
	}
}

func TestListFilters(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "state.json"))
	warn := ev(RuleStorageExceeded, "F2", t0.Add(time.Hour))
	warn.Severity, warn.District, warn.Governorate = Warning, "BA-BSR", "IQ-BA"
	if _, err := s.Raise([]Event{ev(RuleOpenBurning, "F1", t0), ev(RuleOpenDumping, "F1", t0.Add(2*time.Hour)), warn}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ack(ID(RuleOpenBurning, "F1"), "a", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Clear(ID(RuleOpenDumping, "F1"), t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		f    Filter
		want []string
	}{
		{Filter{}, []string{"open_dumping.F1", "storage_exceeded.F2", "open_burning.F1"}},
		{Filter{State: "active"}, []string{"storage_exceeded.F2", "open_burning.F1"}},
		{Filter{State: string(ActiveAcknowledged)}, []string{"open_burning.F1"}},
		{Filter{State: string(Cleared)}, []string{"open_dumping.F1"}},
		{Filter{Severity: Warning}, []string{"storage_exceeded.F2"}},
		{Filter{Rule: RuleOpenBurning}, []string{"open_burning.F1"}},
		{Filter{Area: "IQ-BA"}, []string{"storage_exceeded.F2"}},
		{Filter{Area: "BG-KRK"}, []string{"open_dumping.F1", "open_burning.F1"}},
		{Filter{Area: "F2"}, []string{"storage_exceeded.F2"}},
		{Filter{Facility: "F1", Severity: Critical, State: "active"}, []string{"open_burning.F1"}},
		{Filter{Facility: "F3"}, []string{}},
	}
	for _, tt := range tests {
		got := []string{}
		for _, a := range s.List(tt.f) {
			got = append(got, a.ID)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("List(%+v) = %v, want %v", tt.f, got, tt.want)
		}
	}
}

// TestStateSurvivesARestart reopens the store from its file: alerts,
// acknowledgements and clearances are as they were, and the file is the
// owner's only.
func TestStateSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s := openStore(t, path)
	if _, err := s.Raise([]Event{ev(RuleOpenBurning, "F1", t0), ev(RuleOpenDumping, "F2", t0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ack(ID(RuleOpenBurning, "F1"), "Dr. Salma", "truck sent / أرسلت شاحنة"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Clear(ID(RuleOpenDumping, "F2"), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	before := s.List(Filter{})
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("state file mode %v, want 0600", info.Mode().Perm())
	}
	after := openStore(t, path).List(Filter{})
	if !reflect.DeepEqual(before, after) {
		t.Errorf("after a restart:\n got %+v\nwant %+v", after, before)
	}
}

func TestUnreadableStateIsSetAside(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte(`{"format":1,"alerts":[{"id":"x"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, path)
	if n := len(s.List(Filter{})); n != 0 {
		t.Errorf("%d alerts from a bad file", n)
	}
	if _, err := os.Stat(path + ".bad"); err != nil {
		t.Errorf("bad file not kept aside: %v", err)
	}
}

// FuzzDecodeState loads arbitrary state files: never a panic, and what
// loads survives saving and loading again unchanged.
func FuzzDecodeState(f *testing.F) {
	f.Add([]byte(`{"format":1,"alerts":[]}`))
	f.Add([]byte(`{"format":1,"alerts":[{"id":"open_burning.F1","rule":"open_burning","facility":"F1","severity":"critical",` +
		`"state":"active_acknowledged","ack":{"by":"a","at":"2026-11-20T09:00:00Z","comment":""},"first_seen":"2026-11-20T09:00:00Z","last_seen":"2026-11-20T09:00:00Z","count":2}]}`))
	f.Add([]byte(`{"format":1,"alerts":[{"id":"open_dumping.F2","rule":"open_dumping","facility":"F2","severity":"info","state":"cleared","cleared_at":"2026-11-20T10:00:00Z"}]}`))
	f.Add([]byte(`{"format":2}`))
	f.Add([]byte(`[1,2`))
	f.Fuzz(func(t *testing.T, data []byte) {
		alerts, err := decodeState(data)
		if err != nil {
			return
		}
		s := &Store{path: filepath.Join(t.TempDir(), "s.json"), log: quiet(), now: time.Now, alerts: alerts}
		s.mu.Lock()
		err = s.saveLocked()
		s.mu.Unlock()
		if err != nil {
			t.Fatalf("save what loaded: %v", err)
		}
		saved, err := os.ReadFile(s.path)
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeState(saved)
		if err != nil {
			t.Fatalf("reload what was saved: %v\n%s", err, saved)
		}
		a, _ := json.Marshal(sortedAlerts(alerts))
		b, _ := json.Marshal(sortedAlerts(again))
		if string(a) != string(b) {
			t.Fatalf("round trip changed the state:\n%s\n%s", a, b)
		}
	})
}

func sortedAlerts(m map[string]*Alert) []Alert {
	s := &Store{alerts: m}
	return s.List(Filter{})
}

func TestCheckAck(t *testing.T) {
	long := make([]byte, 101)
	for i := range long {
		long[i] = 'a'
	}
	tests := []struct {
		by, comment, field string
	}{
		{"Dr. Salma", "", ""},
		{"د. سلمى", "أرسلت شاحنة\nغداً", ""},
		{"", "x", "by"},
		{"  ", "x", "by"},
		{string(long), "", "by"},
		{"a\nb", "", "by"},
		{"a", "bell\a", "comment"},
		{"a", string([]byte{0xff}), "comment"},
	}
	for _, tt := range tests {
		field, err := CheckAck(tt.by, tt.comment)
		if field != tt.field || (err == nil) != (tt.field == "") {
			t.Errorf("CheckAck(%q, %q) = %q, %v; want field %q", tt.by, tt.comment, field, err, tt.field)
		}
	}
}

func TestAnActiveAlertKeepsItsLabelsAndUpdatesAreSavedLazily(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s := openStore(t, path)
	if _, err := s.Raise([]Event{ev(RuleOpenBurning, "F1", t0)}); err != nil {
		t.Fatal(err)
	}
	// The same alert again, from a registry that moved the facility and a
	// config that lowered the rule's severity: Alertmanager knows the
	// alert by its labels, so they stay until it clears.
	later := ev(RuleOpenBurning, "F1", t0.Add(time.Hour))
	later.Severity, later.District, later.Governorate = Warning, "BA-BSR", "IQ-BA"
	if _, err := s.Raise([]Event{later}); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Get(ID(RuleOpenBurning, "F1"))
	if a.Severity != Critical || a.District != "BG-KRK" || a.Governorate != "IQ-BG" || a.Count != 2 {
		t.Fatalf("alert after an update %+v, want its first severity and area, count 2", a)
	}
	// The update is in memory only until Flush.
	if got := openStore(t, path); mustGet(t, got, ID(RuleOpenBurning, "F1")).Count != 1 {
		t.Fatal("an update was saved at once; want it saved with the next change or Flush")
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := openStore(t, path); mustGet(t, got, ID(RuleOpenBurning, "F1")).Count != 2 {
		t.Fatal("Flush did not save the update")
	}
}

func mustGet(t *testing.T, s *Store, id string) Alert {
	t.Helper()
	a, ok := s.Get(id)
	if !ok {
		t.Fatalf("alert %s missing", id)
	}
	return a
}

// TestForgetRemovesWithoutClearing: alerts of facilities that another
// collector owns now leave the store, active or cleared, and stay gone
// after a restart; the others are untouched.
func TestForgetRemovesWithoutClearing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s := openStore(t, path)
	if _, err := s.Raise([]Event{ev(RuleOpenBurning, "F1", t0), ev(RuleOpenDumping, "F2", t0), ev(RuleOpenBurning, "F3", t0)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Clear(ID(RuleOpenDumping, "F2"), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	n, err := s.Forget(func(a Alert) bool { return a.Facility != "F1" })
	if err != nil || n != 2 {
		t.Fatalf("Forget: %d, %v; want 2 (F2's cleared alert and F3's active one)", n, err)
	}
	for _, store := range []*Store{s, openStore(t, path)} {
		got := store.List(Filter{})
		if len(got) != 1 || got[0].Facility != "F1" || !got[0].State.Active() {
			t.Errorf("left %+v, want F1's active alert alone", got)
		}
	}
	if n, err := s.Forget(func(Alert) bool { return false }); n != 0 || err != nil {
		t.Errorf("forgetting nothing: %d, %v", n, err)
	}
}
