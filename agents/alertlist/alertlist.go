// Package alertlist keeps the facility's active alerts as the collector
// last published them on <root>/<facility_id>/alerts (retained, a JSON
// array of the collector API's alert objects), so that the agent's page
// shows them, also while the link is down and after a restart offline.
//
// The list is kept in memory and in one small JSON file beside the outbox
// (<outbox.dir>/alerts-last.json, through internal/jsonstate: rewritten
// whole and crash-safely, mode 0600), with the time it arrived. A message
// that is not a list the decoder accepts changes nothing and is logged; an
// alert in it that is wrong is left out, logged with the field at fault,
// and counted, so the page can say that some could not be shown.
package alertlist

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/jsonstate"
)

// FileName is the name of the list's file in the outbox directory.
const FileName = "alerts-last.json"

const formatVersion = 1

// file is the JSON document on disk.
type file struct {
	Format     int       `json:"format"`
	ReceivedAt time.Time `json:"received_at"`
	Skipped    int       `json:"skipped"`
	Alerts     []Alert   `json:"alerts"`
}

// Check reports whether f holds a list the decoder could have accepted;
// jsonstate.Load sets aside a file that fails it.
func (f *file) Check() error {
	if f.ReceivedAt.IsZero() {
		return fmt.Errorf("received_at: missing")
	}
	if len(f.Alerts) > MaxAlerts {
		return fmt.Errorf("alerts: %d, more than %d", len(f.Alerts), MaxAlerts)
	}
	if f.Skipped < 0 || f.Skipped > MaxAlerts {
		return fmt.Errorf("skipped: %d, want 0 to %d", f.Skipped, MaxAlerts)
	}
	for i := range f.Alerts {
		if err := f.Alerts[i].check(""); err != nil {
			return fmt.Errorf("alert %d: %w", i, err)
		}
	}
	return nil
}

// View is the list as the page shows it.
type View struct {
	// Alerts are the active alerts, as the collector sent them; never
	// nil.
	Alerts []Alert
	// ReceivedAt is when the list arrived; zero when none ever did.
	ReceivedAt time.Time
	// Skipped counts the alerts of the last list that were left out
	// because they were wrong.
	Skipped int
}

// List is the facility's last alert list. It is safe for concurrent use.
type List struct {
	path     string
	facility string
	log      *slog.Logger

	mu  sync.Mutex
	cur file
}

// Open reads the list kept in dir for facility, or starts without one. A
// file it cannot use is renamed to FileName+".bad" with a warning: the
// list must never keep an agent from sending readings.
func Open(dir, facility string, log *slog.Logger) (*List, error) {
	l := &List{path: filepath.Join(dir, FileName), facility: facility, log: log, cur: file{Format: formatVersion}}
	var f file
	ok, err := jsonstate.Load(l.path, formatVersion, &f, log, "alert list", "starting without one")
	if err != nil {
		return nil, fmt.Errorf("open alert list %q: %w", l.path, err)
	}
	if ok {
		for i := range f.Alerts {
			if f.Alerts[i].Facility != facility {
				log.Warn("alert list is another facility's; starting without one", "path", l.path,
					"facility", f.Alerts[i].Facility, "want", facility)
				return l, nil
			}
		}
		l.cur = f
	}
	return l, nil
}

// Path returns the path of the list's file.
func (l *List) Path() string { return l.path }

// Update takes payload, a message of the alerts topic that arrived at at,
// as the list, and keeps it on disk. A payload that Decode refuses
// changes nothing and is returned as an error; each alert Decode left out
// is logged. A list that cannot be written is still shown, and the error
// returned.
func (l *List) Update(payload []byte, at time.Time) error {
	list, problems, err := Decode(payload, l.facility)
	if err != nil {
		return fmt.Errorf("alert list from the collector refused: %w", err)
	}
	for _, p := range problems {
		l.log.Warn("alert from the collector left out", "err", p)
	}
	next := file{Format: formatVersion, ReceivedAt: at.UTC(), Skipped: len(problems), Alerts: list}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cur = next
	if err := jsonstate.Save(l.path, next); err != nil {
		return fmt.Errorf("write alert list %q: %w", l.path, err)
	}
	return nil
}

// View returns the list as it is now.
func (l *List) View() View {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := View{Alerts: make([]Alert, len(l.cur.Alerts)), ReceivedAt: l.cur.ReceivedAt, Skipped: l.cur.Skipped}
	for i, a := range l.cur.Alerts {
		v.Alerts[i] = a.clone()
	}
	return v
}
