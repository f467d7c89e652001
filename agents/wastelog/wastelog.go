// Package wastelog keeps the last waste entries staff made at this facility,
// so the agent's web page can list them, with whether each still waits in
// the outbox or was sent, also after a restart.
//
// The entries are kept in one small JSON file beside the outbox
// (<outbox.dir>/waste-recent.json), rewritten whole at every entry:
// temporary file, fsync, rename, fsync of the folder, so a crash leaves the
// old list or the new one. Only the process that holds the outbox open
// writes it (the running agent, or log-waste when no agent runs), so the
// outbox's file lock guards it too.
//
// An entry refers to its reading by the outbox sequence number it got; the
// outbox never reuses one, so "still in the outbox" is "queued" and "gone"
// is "sent". Two rare cases depart from that. A reading that the outbox
// bound dropped (after weeks offline; the outbox logs and counts it) shows
// as "sent". And the list is written after the outbox commit, so an entry
// whose reading was committed just before a crash may be missing from the
// list, though it is sent.
package wastelog

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/internal/jsonstate"
	"github.com/greenpulse-health/greenpulse/reading"
)

// FileName is the name of the list's file in the outbox directory.
const FileName = "waste-recent.json"

// Keep is how many entries the list holds; older ones are forgotten.
const Keep = 20

const formatVersion = 1

// Entry is one waste entry as staff made it.
type Entry struct {
	// Seq is the outbox sequence number of the entry's reading.
	Seq         uint64    `json:"seq"`
	ID          string    `json:"id"`
	Time        time.Time `json:"time"`
	Category    string    `json:"category"`
	MassKg      float64   `json:"mass_kg"`
	Treatment   string    `json:"treatment"`
	StoredHours *float64  `json:"stored_hours"`
	Note        string    `json:"note"`
}

// FromReading is the entry of the waste reading r stored under seq, with
// note trimmed of surrounding spaces.
func FromReading(seq uint64, r reading.Reading, note string) Entry {
	e := Entry{Seq: seq, Time: r.Time.UTC(), Category: r.Tag("category"), Treatment: r.Tag("treatment"), Note: strings.TrimSpace(note)}
	if f, ok := r.Field("mass_kg"); ok {
		e.MassKg = f.Num
	}
	if f, ok := r.Field("stored_hours"); ok {
		h := f.Num
		e.StoredHours = &h
	}
	if f, ok := r.Field("id"); ok {
		e.ID = f.Str
	}
	return e
}

// State is where an entry's reading is: in the outbox or delivered.
type State string

// The states of an entry's reading.
const (
	Queued State = "queued" // in the outbox, not yet acknowledged by the broker
	Sent   State = "sent"   // acknowledged by the broker and deleted from the outbox
)

// Listed is an entry with the state of its reading.
type Listed struct {
	Entry
	State State
}

// Queue tells whether readings still wait, by sequence number.
type Queue interface {
	Contains(seqs []uint64) ([]bool, error)
}

// file is the JSON document on disk.
type file struct {
	Format  int     `json:"format"`
	Entries []Entry `json:"entries"` // newest first
}

// Log is the list of the last Keep entries. It is safe for concurrent use.
type Log struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	entries []Entry // newest first
}

// Open reads the list in dir, or starts an empty one when it has no file.
// A file it cannot parse is renamed to FileName+".bad" with a warning and
// the list starts empty: a lost list of recent entries must not keep an
// agent from sending readings.
func Open(dir string, log *slog.Logger) (*Log, error) {
	l := &Log{path: filepath.Join(dir, FileName), log: log}
	var f file
	ok, err := jsonstate.Load(l.path, formatVersion, &f, log, "waste list", "starting an empty one")
	if err != nil {
		return nil, fmt.Errorf("open waste list %q: %w", l.path, err)
	}
	if !ok {
		return l, nil
	}
	l.entries = f.Entries
	if len(l.entries) > Keep {
		l.entries = l.entries[:Keep]
	}
	return l, nil
}

// Path returns the path of the list's file.
func (l *Log) Path() string { return l.path }

// Add puts e at the head of the list, forgets what falls past Keep, and
// returns after the list is on disk. Entries must be added in the order
// of their sequence numbers; one that is not newer than the head means the
// outbox was replaced by a fresh one, whose numbers mean nothing for the
// older entries, so those are forgotten.
func (l *Log) Add(e Entry) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.entries
	if len(old) > 0 && e.Seq <= old[0].Seq {
		l.log.Warn("waste list: the outbox starts its numbers again (was it replaced?); forgetting the older entries",
			"path", l.path, "seq", e.Seq, "newest_listed", old[0].Seq)
		old = nil
	}
	next := make([]Entry, 0, Keep)
	next = append(next, e)
	next = append(next, old[:min(len(old), Keep-1)]...)
	if err := l.write(next); err != nil {
		return fmt.Errorf("write waste list %q: %w", l.path, err)
	}
	l.entries = next
	return nil
}

// List returns the entries, newest first, each with its state in q.
func (l *Log) List(q Queue) ([]Listed, error) {
	l.mu.Lock()
	entries := slices.Clone(l.entries)
	l.mu.Unlock()
	seqs := make([]uint64, len(entries))
	for i, e := range entries {
		seqs[i] = e.Seq
	}
	held, err := q.Contains(seqs)
	if err != nil {
		return nil, fmt.Errorf("waste list: %w", err)
	}
	out := make([]Listed, len(entries))
	for i, e := range entries {
		out[i] = Listed{Entry: e, State: Sent}
		if held[i] {
			out[i].State = Queued
		}
	}
	return out, nil
}

// write replaces the file by one holding entries, crash-safely.
func (l *Log) write(entries []Entry) error {
	return jsonstate.Save(l.path, file{Format: formatVersion, Entries: entries})
}
