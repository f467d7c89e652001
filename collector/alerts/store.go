// Package alerts keeps GreenPulse's facility alerts: one per rule and
// facility, which fires, may be acknowledged (who, when, comment), and
// clears, in the three states ThingsBoard has (active unacknowledged,
// active acknowledged, cleared). The Store holds them and their state
// across restarts; the Evaluator turns stored readings (event rules) and
// the verdicts of the windowed rules (package windowed, run by package
// sweep) into alerts, and clears alerts after their window.
//
//	ingest (batch written) ─► Evaluator.Stored ─► Store.Raise  ─┐
//	sweep (cron) ─► Evaluator.Judge ─► Store.Settle ────────────┼─► notify (Alertmanager, webhook, topic)
//	ticker ─► Evaluator.Expire ─► Store (clear) ────────────────┘
//	API ─► Store.List, Store.Ack
package alerts

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/jsonstate"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Severity is how urgent an alert is.
type Severity string

// The severities of SPEC's Alerts section.
const (
	Critical Severity = "critical"
	Warning  Severity = "warning"
	Info     Severity = "info"
)

// Valid reports whether s is one of critical, warning, info.
func (s Severity) Valid() bool { return s == Critical || s == Warning || s == Info }

// State is where an alert is in its life.
type State string

// The states of an alert.
const (
	ActiveUnacknowledged State = "active_unacknowledged"
	ActiveAcknowledged   State = "active_acknowledged"
	Cleared              State = "cleared"
)

// Valid reports whether s is one of the three states.
func (s State) Valid() bool {
	return s == ActiveUnacknowledged || s == ActiveAcknowledged || s == Cleared
}

// Active reports whether the alert still fires.
func (s State) Active() bool { return s == ActiveUnacknowledged || s == ActiveAcknowledged }

// Ack is who acknowledged an alert, when, and why.
type Ack struct {
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment"`
}

// Alert is one rule firing for one facility. Its ID is stable per rule and
// facility: an alert that fires again after it cleared is the same alert,
// started anew.
type Alert struct {
	ID          string     `json:"id"`
	Rule        string     `json:"rule"`
	Facility    string     `json:"facility"`
	District    string     `json:"district"`
	Governorate string     `json:"governorate"`
	Severity    Severity   `json:"severity"`
	Message     string     `json:"message"`
	MessageAr   string     `json:"message_ar"`
	FirstSeen   time.Time  `json:"first_seen"`
	LastSeen    time.Time  `json:"last_seen"`
	Count       int        `json:"count"` // matching events since it fired
	State       State      `json:"state"`
	Ack         *Ack       `json:"ack,omitempty"`
	ClearedAt   *time.Time `json:"cleared_at,omitempty"`
}

// ID returns the id of rule's alert for facility: "<rule>.<facility>".
// Rules are lower-case words and facility ids have no dot, so the id is
// unambiguous and fits a URL path.
func ID(rule, facility string) string { return rule + "." + facility }

// Event is one occurrence of a rule's condition at a facility.
type Event struct {
	Rule        string
	Facility    string
	District    string
	Governorate string
	Severity    Severity
	Message     string
	MessageAr   string
	At          time.Time
}

// Filter selects alerts; empty fields match all. State "active" matches
// both active states. Area matches a facility id, district or
// governorate code.
type Filter struct {
	State    string
	Severity Severity
	Rule     string
	Area     string
	Facility string
}

func (f Filter) match(a *Alert) bool {
	switch {
	case f.State == "active" && !a.State.Active(),
		f.State != "" && f.State != "active" && State(f.State) != a.State,
		f.Severity != "" && f.Severity != a.Severity,
		f.Rule != "" && f.Rule != a.Rule,
		f.Facility != "" && f.Facility != a.Facility,
		f.Area != "" && f.Area != a.Facility && f.Area != a.District && f.Area != a.Governorate:
		return false
	}
	return true
}

// Errors of Ack and Clear; the returned errors wrap them and name the
// alert.
var (
	ErrNotFound = errors.New("no such alert")
	ErrCleared  = errors.New("alert is cleared")
)

// stateFormat is the version of the state file's layout.
const stateFormat = 1

type stateFile struct {
	Format int     `json:"format"`
	Alerts []Alert `json:"alerts"`
}

// Store holds the alerts and rewrites its state file, crash-safely, at
// every change. It is safe for concurrent use.
type Store struct {
	path string
	log  *slog.Logger
	now  func() time.Time

	mu     sync.Mutex
	alerts map[string]*Alert
	// dirty: updates of active alerts (last seen, count, message) not
	// yet saved; see Raise.
	dirty bool
}

// Open returns the store kept in the file at path (created at the first
// change). A file that cannot be parsed is renamed to path+".bad" with a
// warning and the store starts empty: alerts must never keep the
// collector from ingesting. Only a file that cannot be read is an error.
func Open(path string, log *slog.Logger) (*Store, error) {
	s := &Store{path: path, log: log, now: time.Now, alerts: map[string]*Alert{}}
	var f stateFile
	ok, err := jsonstate.Load(path, stateFormat, &f, log, "alert state", "starting without alerts")
	if err != nil {
		return nil, fmt.Errorf("read alert state %q: %w", path, err)
	}
	if ok {
		s.alerts = f.byID()
	}
	return s, nil
}

// decodeState parses and checks a state file as Open does.
func decodeState(data []byte) (map[string]*Alert, error) {
	var f stateFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if f.Format != stateFormat {
		return nil, fmt.Errorf("unknown format %d", f.Format)
	}
	if err := f.Check(); err != nil {
		return nil, err
	}
	return f.byID(), nil
}

// Check reports whether f holds alerts the store could have written, each
// once; jsonstate.Load sets aside a file that fails it.
func (f *stateFile) Check() error {
	seen := make(map[string]bool, len(f.Alerts))
	for i := range f.Alerts {
		if err := f.Alerts[i].check(); err != nil {
			return fmt.Errorf("alert %d: %w", i, err)
		}
		if seen[f.Alerts[i].ID] {
			return fmt.Errorf("alert %q: listed twice", f.Alerts[i].ID)
		}
		seen[f.Alerts[i].ID] = true
	}
	return nil
}

// byID is f's alerts by id.
func (f *stateFile) byID() map[string]*Alert {
	out := make(map[string]*Alert, len(f.Alerts))
	for i := range f.Alerts {
		a := f.Alerts[i]
		out[a.ID] = &a
	}
	return out
}

// check reports whether a is an alert the store could have written.
func (a *Alert) check() error {
	switch {
	case !ValidRule(a.Rule):
		return fmt.Errorf("rule %q: want lower-case letters and '_'", a.Rule)
	case !reading.ValidName(a.Facility):
		return fmt.Errorf("facility %q: not a facility id", a.Facility)
	case a.ID != ID(a.Rule, a.Facility):
		return fmt.Errorf("id %q: want %q", a.ID, ID(a.Rule, a.Facility))
	case !a.Severity.Valid():
		return fmt.Errorf("alert %q: severity %q is not critical, warning or info", a.ID, a.Severity)
	case !a.State.Valid():
		return fmt.Errorf("alert %q: unknown state %q", a.ID, a.State)
	case a.State == ActiveAcknowledged && a.Ack == nil:
		return fmt.Errorf("alert %q: acknowledged without an ack", a.ID)
	case a.State == Cleared && a.ClearedAt == nil:
		return fmt.Errorf("alert %q: cleared without cleared_at", a.ID)
	case a.State != Cleared && a.ClearedAt != nil:
		return fmt.Errorf("alert %q: active with cleared_at", a.ID)
	}
	return nil
}

// ValidRule reports whether s can be a rule name: lower-case letters and
// '_', at most 64.
func ValidRule(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && c != '_' {
			return false
		}
	}
	return true
}

// Raise records events: a new alert for a rule and facility without an
// active one, or an update (last seen, count, message) of the active one,
// which keeps its severity and area until it clears so that its labels
// elsewhere (Alertmanager) stay the same. A new alert is saved at once;
// updates only mark the store dirty and are saved with the next change or
// Flush (the ingest path calls Raise for every batch with such events, and
// a crash loses at most a count and a last-seen time). It returns the
// alerts that are new or changed, as they are now.
func (s *Store) Raise(events []Event) ([]Alert, error) {
	if len(events) == 0 {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := map[string]bool{}
	created := false
	for _, ev := range events {
		id := ID(ev.Rule, ev.Facility)
		a, ok := s.alerts[id]
		if ok && a.State.Active() {
			if ev.At.After(a.LastSeen) {
				a.LastSeen = ev.At
				a.Message, a.MessageAr = ev.Message, ev.MessageAr
			}
			if ev.At.Before(a.FirstSeen) {
				a.FirstSeen = ev.At
			}
			a.Count++
			s.dirty = true
		} else {
			a = newAlert(ev, ev.At, ev.At)
			s.alerts[id] = a
			created = true
		}
		changed[id] = true
	}
	out := make([]Alert, 0, len(changed))
	for _, id := range slices.Sorted(maps.Keys(changed)) {
		out = append(out, clone(s.alerts[id]))
	}
	if !created {
		return out, nil
	}
	return out, s.saveLocked()
}

// newAlert is ev's alert as it fires, unacknowledged, first seen at first
// and last seen at last.
func newAlert(ev Event, first, last time.Time) *Alert {
	return &Alert{ID: ID(ev.Rule, ev.Facility), Rule: ev.Rule, Facility: ev.Facility, District: ev.District,
		Governorate: ev.Governorate, Severity: ev.Severity, Message: ev.Message, MessageAr: ev.MessageAr,
		FirstSeen: first, LastSeen: last, Count: 1, State: ActiveUnacknowledged}
}

// Flush saves updates that Raise left unsaved.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.dirty {
		return nil
	}
	return s.saveLocked()
}

// Ack acknowledges the active alert id as by, with comment, now. An
// acknowledged alert may be acknowledged again (the last ack counts); a
// cleared one may not.
func (s *Store) Ack(id, by, comment string) (Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.alerts[id]
	if !ok {
		return Alert{}, fmt.Errorf("acknowledge alert %q: %w", id, ErrNotFound)
	}
	if a.State == Cleared {
		return Alert{}, fmt.Errorf("acknowledge alert %q: %w (at %s)", id, ErrCleared, a.ClearedAt.UTC().Format(time.RFC3339))
	}
	old := *a
	a.State = ActiveAcknowledged
	a.Ack = &Ack{By: by, At: s.now().UTC(), Comment: comment}
	if err := s.saveLocked(); err != nil {
		*a = old
		return Alert{}, fmt.Errorf("acknowledge alert %q: %w", id, err)
	}
	return clone(a), nil
}

// Clear clears the alert id at at. Clearing a cleared alert is not an
// error and changes nothing; it reports whether the alert was active.
func (s *Store) Clear(id string, at time.Time) (Alert, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.alerts[id]
	if !ok {
		return Alert{}, false, fmt.Errorf("clear alert %q: %w", id, ErrNotFound)
	}
	if a.State == Cleared {
		return clone(a), false, nil
	}
	clearLocked(a, at)
	return clone(a), true, s.saveLocked()
}

func clearLocked(a *Alert, at time.Time) {
	at = at.UTC()
	a.State = Cleared
	a.ClearedAt = &at
}

// clearIf clears the active alerts for which expired is true and returns
// them.
func (s *Store) clearIf(expired func(*Alert) bool, at time.Time) ([]Alert, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Alert
	for _, id := range slices.Sorted(maps.Keys(s.alerts)) {
		a := s.alerts[id]
		if a.State.Active() && expired(a) {
			clearLocked(a, at)
			out = append(out, clone(a))
		}
	}
	if len(out) == 0 && !s.dirty {
		return nil, nil
	}
	return out, s.saveLocked()
}

// Forget removes the alerts, active or cleared, for which drop is true,
// without clearing them: they are another collector's now (a partition
// that changed), and clearing them here would tell the agent's page and
// Alertmanager that alerts the other collector keeps firing are resolved.
func (s *Store) Forget(drop func(Alert) bool) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, a := range s.alerts {
		if drop(clone(a)) {
			delete(s.alerts, id)
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, s.saveLocked()
}

// Get returns the alert id.
func (s *Store) Get(id string) (Alert, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.alerts[id]
	if !ok {
		return Alert{}, false
	}
	return clone(a), true
}

// List returns the alerts that f selects, newest first (by first seen,
// then id).
func (s *Store) List(f Filter) []Alert {
	s.mu.Lock()
	out := []Alert{}
	for _, a := range s.alerts {
		if f.match(a) {
			out = append(out, clone(a))
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b Alert) int {
		if c := b.FirstSeen.Compare(a.FirstSeen); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// activeCounts counts active alerts by rule and severity.
func (s *Store) activeCounts() map[[2]string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[[2]string]int{}
	for _, a := range s.alerts {
		if a.State.Active() {
			out[[2]string{a.Rule, string(a.Severity)}]++
		}
	}
	return out
}

func (s *Store) saveLocked() error {
	f := stateFile{Format: stateFormat, Alerts: make([]Alert, 0, len(s.alerts))}
	for _, id := range slices.Sorted(maps.Keys(s.alerts)) {
		f.Alerts = append(f.Alerts, *s.alerts[id])
	}
	if err := jsonstate.Save(s.path, f); err != nil {
		return fmt.Errorf("save alert state %q: %w", s.path, err)
	}
	s.dirty = false
	return nil
}

func clone(a *Alert) Alert {
	c := *a
	if a.Ack != nil {
		ack := *a.Ack
		c.Ack = &ack
	}
	if a.ClearedAt != nil {
		t := *a.ClearedAt
		c.ClearedAt = &t
	}
	return c
}

// CheckAck checks an acknowledgement's fields and returns the name of the
// field at fault and why, or "" and nil.
func CheckAck(by, comment string) (field string, err error) {
	switch {
	case strings.TrimSpace(by) == "":
		return "by", errors.New("required: who acknowledges the alert")
	case !reading.PlainText(by, 100) || strings.ContainsAny(by, "\n\t"):
		return "by", errors.New("must be at most 100 characters on one line, without control characters")
	case !reading.PlainText(comment, 1000):
		return "comment", errors.New("must be at most 1000 characters without control characters")
	}
	return "", nil
}
