package alerts

import (
	"path/filepath"
	"testing"
	"time"
)

func verdict(facility string, firing bool, msg string, since time.Time) Verdict {
	e := ev("agent_silent", facility, since)
	e.Message, e.MessageAr = msg, msg+" ع"
	return Verdict{Event: e, Firing: firing}
}

// TestSettle follows one windowed alert through its life: opened by a
// firing verdict and acknowledged, updated without a notification while its message stays,
// notified when the message changes, untouched without a verdict, cleared
// by a clear verdict, and opened anew, unacknowledged, after that.
func TestSettle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	s := openStore(t, path)
	const id = "agent_silent.F1"
	steps := []struct {
		name        string
		verdicts    []Verdict
		at          time.Time
		wantFired   int
		wantCleared int
		wantState   State
		wantCount   int
	}{
		{"opens", []Verdict{verdict("F1", true, "silent 6 h", t0.Add(-6*time.Hour))}, t0, 1, 0, ActiveAcknowledged, 1},
		{"same message: updated, not notified", []Verdict{verdict("F1", true, "silent 6 h", t0.Add(-6*time.Hour))}, t0.Add(5 * time.Minute), 0, 0, ActiveAcknowledged, 1},
		{"new message: notified", []Verdict{verdict("F1", true, "silent 7 h", t0.Add(-6*time.Hour))}, t0.Add(time.Hour), 1, 0, ActiveAcknowledged, 2},
		{"no verdict: left as it is", []Verdict{verdict("F2", false, "", t0)}, t0.Add(2 * time.Hour), 0, 0, ActiveAcknowledged, 2},
		{"clear verdict: cleared", []Verdict{verdict("F1", false, "", t0)}, t0.Add(3 * time.Hour), 0, 1, Cleared, 2},
		{"clear again: nothing", []Verdict{verdict("F1", false, "", t0)}, t0.Add(4 * time.Hour), 0, 0, Cleared, 2},
		{"fires again: a new alert", []Verdict{verdict("F1", true, "silent 6 h", t0.Add(-time.Hour))}, t0.Add(5 * time.Hour), 1, 0, ActiveUnacknowledged, 1},
	}
	for _, st := range steps {
		fired, cleared, err := s.Settle(st.verdicts, st.at)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if len(fired) != st.wantFired || len(cleared) != st.wantCleared {
			t.Errorf("%s: %d fired, %d cleared; want %d, %d", st.name, len(fired), len(cleared), st.wantFired, st.wantCleared)
		}
		if st.name == "opens" {
			if _, err := s.Ack(id, "Dr. Salma", "calling the facility"); err != nil {
				t.Fatal(err)
			}
		}
		a, ok := s.Get(id)
		if !ok || a.State != st.wantState || a.Count != st.wantCount {
			t.Errorf("%s: alert %+v (found %v), want state %s count %d", st.name, a, ok, st.wantState, st.wantCount)
		}
		if st.name == "opens" {
			if !a.FirstSeen.Equal(t0.Add(-6 * time.Hour)) {
				t.Errorf("first seen %s, want the verdict's since", a.FirstSeen)
			}
		}
	}
	// What was opened or cleared is on disk at once.
	reopened := openStore(t, path)
	if a, _ := reopened.Get(id); a.State != ActiveUnacknowledged || a.Ack != nil {
		t.Errorf("after reopening: %+v", a)
	}
}

// TestSettleKeepsTheAckWhileActive: an acknowledged windowed alert that
// still fires stays acknowledged.
func TestSettleKeepsTheAckWhileActive(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "state.json"))
	if _, _, err := s.Settle([]Verdict{verdict("F1", true, "a", t0)}, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Ack("agent_silent.F1", "x", ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Settle([]Verdict{verdict("F1", true, "b", t0)}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if a, _ := s.Get("agent_silent.F1"); a.State != ActiveAcknowledged || a.Message != "b" {
		t.Errorf("%+v", a)
	}
}

// TestWindowedAlertsExpireAndRetire: a windowed alert that no run finds
// firing for the window clears like an event alert; Retire clears what
// the caller says no rule will clear, and tells the notifiers.
func TestWindowedAlertsExpireAndRetire(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "state.json"))
	rec := &recorder{}
	e := NewEvaluator(s, oneFacility{}, defaultOptions(), quiet(), rec)
	e.now = func() time.Time { return t0 }
	e.Judge([]Verdict{verdict("F1", true, "silent", t0), verdict("F2", true, "silent", t0)})
	e.Expire(t0.Add(6 * 24 * time.Hour))
	if a, _ := s.Get("agent_silent.F1"); a.State != ActiveUnacknowledged {
		t.Fatalf("cleared within its window: %+v", a)
	}
	e.Retire(func(a Alert) bool { return a.Facility == "F2" })
	if a, _ := s.Get("agent_silent.F2"); a.State != Cleared {
		t.Errorf("not retired: %+v", a)
	}
	e.Expire(t0.Add(7 * 24 * time.Hour))
	if a, _ := s.Get("agent_silent.F1"); a.State != Cleared {
		t.Errorf("a week without a firing run: %+v", a)
	}
	if len(rec.cleared) != 2 || rec.cleared[0] != "agent_silent.F2" || rec.cleared[1] != "agent_silent.F1" {
		t.Errorf("notified cleared %v", rec.cleared)
	}
}
