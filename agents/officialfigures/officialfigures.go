// Package officialfigures keeps the facility's month figures as the
// collector last published them on <root>/<facility_id>/figures (retained,
// QoS 1), so that the agent's page shows the official figures beside its
// own, also while the link is down and after a restart offline.
//
// The collector publishes the current month after each roll-up of it,
// and on the first days of a month the previous month too, on the same
// topic: the list keeps the last message of each month, for the two
// latest months. A message is
//
//	{"facility": "BG-H-001", "period": "month", "start": "2026-12-01",
//	 "computed_at": "2026-12-03T10:15:00Z",
//	 "values": [{"indicator": "waste_kg", "value": 1234.5, "facilities": 1}, ...]}
//
// It is kept in memory and in one small JSON file beside the outbox
// (<outbox.dir>/figures-official.json, through internal/jsonstate:
// rewritten whole and crash-safely, mode 0600), with the time it arrived.
// A message that Decode refuses changes nothing and is logged; a value in
// it that is wrong, or of an indicator this agent does not know (a newer
// collector), is left out and counted.
package officialfigures

import (
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/internal/jsonstate"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// FileName is the name of the list's file in the outbox directory.
const FileName = "figures-official.json"

// Kept is how many months the list keeps: this month and the previous
// one.
const Kept = 2

const formatVersion = 1

// Month is one month's official figures.
type Month struct {
	Start      events.Date `json:"start"`
	ComputedAt time.Time   `json:"computed_at"`
	ReceivedAt time.Time   `json:"received_at"`
	// Values are the facility-level month values, by indicator id.
	Values map[indicators.ID]float64 `json:"values"`
	// Skipped counts the values of the message that were left out.
	Skipped int `json:"skipped"`
}

func (m Month) clone() Month {
	m.Values = maps.Clone(m.Values)
	if m.Values == nil { // a file's "values": null answers {}, not null
		m.Values = map[indicators.ID]float64{}
	}
	return m
}

// file is the JSON document on disk.
type file struct {
	Format int     `json:"format"`
	Months []Month `json:"months"` // newest start first
}

// Check reports whether f holds months the decoder could have accepted;
// jsonstate.Load sets aside a file that fails it.
func (f *file) Check() error {
	if len(f.Months) > Kept {
		return fmt.Errorf("months: %d, more than %d", len(f.Months), Kept)
	}
	for i, m := range f.Months {
		if m.Start.Day != 1 || m.ComputedAt.IsZero() || m.ReceivedAt.IsZero() {
			return fmt.Errorf("months[%d]: start, computed_at or received_at missing", i)
		}
		if i > 0 && !m.Start.Before(f.Months[i-1].Start) {
			return fmt.Errorf("months[%d]: not newest first", i)
		}
		if len(m.Values) > maxValues || m.Skipped < 0 || m.Skipped > maxValues {
			return fmt.Errorf("months[%d]: %d values, %d skipped", i, len(m.Values), m.Skipped)
		}
		for id, v := range m.Values {
			if _, ok := indicators.Lookup(id); !ok || !finite(v) {
				return fmt.Errorf("months[%d]: %s = %g", i, id, v)
			}
		}
	}
	return nil
}

// List is the facility's official month figures. It is safe for
// concurrent use.
type List struct {
	path     string
	facility string
	log      *slog.Logger

	mu  sync.Mutex
	cur file
}

// Open reads the list kept in dir for facility, or starts without one. A
// file it cannot use is renamed to FileName+".bad" with a warning.
func Open(dir, facility string, log *slog.Logger) (*List, error) {
	l := &List{path: filepath.Join(dir, FileName), facility: facility, log: log, cur: file{Format: formatVersion}}
	var f file
	ok, err := jsonstate.Load(l.path, formatVersion, &f, log, "official figures", "starting without them")
	if err != nil {
		return nil, fmt.Errorf("open official figures %q: %w", l.path, err)
	}
	if ok {
		l.cur = f
	}
	return l, nil
}

// Update takes payload, a message of the figures topic that arrived at
// at, as its month's figures, and keeps the list on disk. A payload that
// Decode refuses changes nothing and is returned as an error. A list that
// cannot be written is still shown, and the error returned.
func (l *List) Update(payload []byte, at time.Time) error {
	m, err := Decode(payload, l.facility)
	if err != nil {
		return fmt.Errorf("figures from the collector refused: %w", err)
	}
	if m.Skipped > 0 {
		l.log.Warn("figures from the collector: some values left out (unknown indicators or bad numbers)",
			"month", m.Start.String(), "skipped", m.Skipped)
	}
	m.ReceivedAt = at.UTC()
	l.mu.Lock()
	defer l.mu.Unlock()
	months := slices.DeleteFunc(slices.Clone(l.cur.Months), func(o Month) bool { return o.Start == m.Start })
	months = append(months, m)
	slices.SortFunc(months, func(a, b Month) int {
		if a.Start == b.Start {
			return 0
		}
		if b.Start.Before(a.Start) {
			return -1
		}
		return 1
	})
	if len(months) > Kept {
		months = months[:Kept]
	}
	l.cur = file{Format: formatVersion, Months: months}
	if err := jsonstate.Save(l.path, l.cur); err != nil {
		return fmt.Errorf("write official figures %q: %w", l.path, err)
	}
	return nil
}

// Months returns the months kept, newest first.
func (l *List) Months() []Month {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Month, len(l.cur.Months))
	for i, m := range l.cur.Months {
		out[i] = m.clone()
	}
	return out
}
