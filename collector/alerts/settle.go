package alerts

import (
	"maps"
	"slices"
	"time"
)

// Verdict is a windowed rule's judgement of one facility at one
// evaluation: its condition holds (Firing, with the event's message and
// Event.At the time the condition started) or it does not.
type Verdict struct {
	Event
	Firing bool
}

// Settle applies verdicts at now. A firing verdict opens the rule's alert
// for the facility (first seen at the verdict's At) or updates the active
// one (last seen now; when its message changed, the new message and one
// more count, so that the count tells distinct findings, such as days of
// low grid, not runs of the rules); a clear verdict
// clears the active alert. Facilities a rule had no verdict on are left
// as they are: a rule that cannot judge (no data) neither opens nor
// clears. It returns the alerts that opened or whose message changed, and
// those it cleared.
//
// Like Raise, an update of an active alert is saved with the next change or
// Flush; an alert opened or cleared is saved at once.
func (s *Store) Settle(verdicts []Verdict, now time.Time) (fired, cleared []Alert, err error) {
	if len(verdicts) == 0 {
		return nil, nil, nil
	}
	now = now.UTC()
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := map[string]bool{}
	save := false
	for _, v := range verdicts {
		id := ID(v.Rule, v.Facility)
		a, ok := s.alerts[id]
		active := ok && a.State.Active()
		switch {
		case v.Firing && active:
			if a.Message != v.Message || a.MessageAr != v.MessageAr {
				a.Message, a.MessageAr = v.Message, v.MessageAr
				a.Count++
				changed[id] = true
			}
			a.LastSeen = now
			s.dirty = true
		case v.Firing:
			first := v.At.UTC()
			if first.IsZero() || first.After(now) {
				first = now
			}
			s.alerts[id] = newAlert(v.Event, first, now)
			changed[id] = true
			save = true
		case active:
			clearLocked(a, now)
			cleared = append(cleared, clone(a))
			save = true
		}
	}
	for _, id := range slices.Sorted(maps.Keys(changed)) {
		fired = append(fired, clone(s.alerts[id]))
	}
	if save {
		err = s.saveLocked()
	}
	return fired, cleared, err
}
