// Package meterlog keeps what staff typed from this facility's meters: the
// last reading of each counter, which the next entry is checked against
// (manual.MeterState), and the recent entries, each queued (its reading
// waits in the outbox), sent (the broker has it) or kept (an entry that
// sends nothing, such as a fuel delivery).
//
// Both live in one small JSON file beside the outbox
// (<outbox.dir>/meter-readings.json), rewritten whole at every entry:
// temporary file, fsync, rename, fsync of the folder, so a crash leaves the
// old file or the new one. Only the process that holds the outbox open
// writes it (the running agent, or log-meter when no agent runs), so the
// outbox's file lock guards it too.
//
// The state matters more than the list: it holds the generator's fuel
// counter (litres burned) and what the checks compare with. A file it
// cannot read is kept aside and the agent starts with no previous
// readings: the next reading of each counter is then taken as a first one,
// and the fuel counter starts again from 0, which the roll-up counts as a
// reset of no litres. As in wastelog, an entry whose reading was stored
// just before a crash, before the file was rewritten, is sent but not
// listed, and the next entry is checked against the reading before it.
package meterlog

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/internal/jsonstate"
)

// FileName is the name of the file in the outbox directory.
const FileName = "meter-readings.json"

// Keep is how many entries the list holds; older ones are forgotten (the
// state keeps their effect).
const Keep = 20

const formatVersion = 1

// Entry is one meter reading as staff typed it, and what it became.
type Entry struct {
	// Seq is the outbox sequence number of the entry's reading; 0 when it
	// sent none.
	Seq      uint64         `json:"seq"`
	Time     time.Time      `json:"time"` // when the meter was read
	Counter  manual.Counter `json:"counter"`
	Meter    string         `json:"meter"`
	Value    float64        `json:"value"`
	Unit     string         `json:"unit"`
	Replaced bool           `json:"replaced,omitempty"`
	Confirm  bool           `json:"confirm,omitempty"`
	Note     string         `json:"note"`
	// Sent is the reading it became, as "energy grid/main kwh_total=12400";
	// empty when it sent none.
	Sent string `json:"sent"`
}

// FromResult is the entry of the accepted meter entry e, checked as res,
// whose reading (if any) the outbox stored under seq.
func FromResult(seq uint64, e manual.MeterEntry, res manual.MeterResult) Entry {
	out := Entry{Seq: seq, Time: res.Time.UTC(), Counter: res.Counter, Meter: res.Meter, Value: res.Value, Unit: res.Unit,
		Replaced: e.Replaced, Confirm: e.Confirm, Note: strings.TrimSpace(e.Note)}
	if r := res.Reading; r != nil {
		var b strings.Builder
		b.WriteString(string(r.Stream))
		b.WriteByte(' ')
		for i, t := range r.Tags {
			if i > 0 {
				b.WriteByte('/')
			}
			b.WriteString(t.Value)
		}
		for _, f := range r.Fields {
			fmt.Fprintf(&b, " %s=%g", f.Key, f.Num)
		}
		out.Sent = b.String()
	} else {
		out.Seq = 0
	}
	return out
}

// State is where an entry's reading is.
type State string

// The states of an entry.
const (
	Queued State = "queued" // in the outbox, not yet acknowledged by the broker
	Sent   State = "sent"   // acknowledged by the broker and deleted from the outbox
	Kept   State = "kept"   // sends no reading: kept on this computer
)

// Listed is an entry with its state.
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
	Format  int               `json:"format"`
	State   manual.MeterState `json:"state"`
	Entries []Entry           `json:"entries"` // newest first
}

// Log is the meter readings' state and recent entries. It is safe for
// concurrent use.
type Log struct {
	path string
	log  *slog.Logger

	mu      sync.Mutex
	state   manual.MeterState
	entries []Entry // newest first
}

// Open reads the file in dir, or starts empty when there is none. A file
// it cannot parse is renamed to FileName+".bad" with a warning.
func Open(dir string, log *slog.Logger) (*Log, error) {
	l := &Log{path: filepath.Join(dir, FileName), log: log}
	var f file
	ok, err := jsonstate.Load(l.path, formatVersion, &f, log, "meter readings", "starting with no previous readings")
	if err != nil {
		return nil, fmt.Errorf("open meter readings %q: %w", l.path, err)
	}
	if !ok {
		return l, nil
	}
	l.state = f.State
	l.entries = f.Entries
	if len(l.entries) > Keep {
		l.entries = l.entries[:Keep]
	}
	return l, nil
}

// Path returns the path of the file.
func (l *Log) Path() string { return l.path }

// State returns a copy of the state that the next entry is checked
// against.
func (l *Log) State() manual.MeterState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state.Clone()
}

// Add puts e at the head of the list and makes next the state, then
// writes the file. The state is taken even when the write fails (the
// entry's reading is already stored, and the next entry must follow it);
// the error then says the file is behind. An entry whose sequence number
// is not above the newest listed one means the outbox was replaced by a
// fresh one: the older entries are forgotten, as their numbers now mean
// other readings.
func (l *Log) Add(e Entry, next manual.MeterState) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.entries
	if e.Seq > 0 {
		if newest := newestSeq(old); e.Seq <= newest {
			l.log.Warn("meter readings: the outbox starts its numbers again (was it replaced?); forgetting the older entries",
				"path", l.path, "seq", e.Seq, "newest_listed", newest)
			old = nil
		}
	}
	entries := make([]Entry, 0, Keep)
	entries = append(entries, e)
	entries = append(entries, old[:min(len(old), Keep-1)]...)
	l.entries = entries
	l.state = next.Clone()
	if err := l.write(); err != nil {
		return fmt.Errorf("write meter readings %q: %w", l.path, err)
	}
	return nil
}

func newestSeq(entries []Entry) uint64 {
	var n uint64
	for _, e := range entries {
		n = max(n, e.Seq)
	}
	return n
}

// List returns the entries, newest first, each with its state in q.
func (l *Log) List(q Queue) ([]Listed, error) {
	l.mu.Lock()
	entries := slices.Clone(l.entries)
	l.mu.Unlock()
	var seqs []uint64
	for _, e := range entries {
		if e.Seq > 0 {
			seqs = append(seqs, e.Seq)
		}
	}
	held, err := q.Contains(seqs)
	if err != nil {
		return nil, fmt.Errorf("meter readings: %w", err)
	}
	out := make([]Listed, len(entries))
	i := 0
	for j, e := range entries {
		out[j] = Listed{Entry: e, State: Kept}
		if e.Seq > 0 {
			out[j].State = Sent
			if held[i] {
				out[j].State = Queued
			}
			i++
		}
	}
	return out, nil
}

// LastReading is the last reading of one counter of one meter.
type LastReading struct {
	Counter   manual.Counter
	Meter     string
	Value     float64
	Unit      string
	Time      time.Time
	FromHours bool
}

// Last returns the last reading of every counter, in the order of
// manual.Counters, then by meter.
func (l *Log) Last() []LastReading { return lastOf(l.State()) }

// lastOf lists the last readings of st as Last does.
func lastOf(st manual.MeterState) []LastReading {
	var out []LastReading
	for k, v := range st.Last {
		c, meter, _ := strings.Cut(k, "/")
		out = append(out, LastReading{Counter: manual.Counter(c), Meter: meter, Value: v.Value, Unit: manual.Counter(c).Unit(),
			Time: v.Time, FromHours: v.FromHours})
	}
	order := manual.Counters()
	slices.SortFunc(out, func(a, b LastReading) int {
		if d := slices.Index(order, a.Counter) - slices.Index(order, b.Counter); d != 0 {
			return d
		}
		return strings.Compare(a.Meter, b.Meter)
	})
	return out
}

// write replaces the file, crash-safely. l.mu is held.
func (l *Log) write() error {
	return jsonstate.Save(l.path, file{Format: formatVersion, State: l.state, Entries: l.entries})
}

// FuelCounter is one generator's fuel as the agent counts it.
type FuelCounter struct {
	Meter string
	// BurnedL is the fuel_l_total sent: litres burned since the first
	// tank level; DeliveredL is what was delivered since the last level.
	BurnedL, DeliveredL float64
}

// View is what the agent's page shows of the meter readings.
type View struct {
	Last   []LastReading
	Fuel   []FuelCounter // generators whose tank is followed, by meter
	Recent []Listed
}

// View returns the last readings, the fuel counters and the recent
// entries with their states in q.
func (l *Log) View(q Queue) (View, error) {
	recent, err := l.List(q)
	if err != nil {
		return View{}, err
	}
	// One copy of the state, so that the last readings and the fuel
	// counters are of the same moment.
	st := l.State()
	v := View{Last: lastOf(st), Recent: recent}
	for meter, f := range st.Fuel {
		if f.Counting || f.DeliveredL > 0 {
			v.Fuel = append(v.Fuel, FuelCounter{Meter: meter, BurnedL: f.BurnedL, DeliveredL: f.DeliveredL})
		}
	}
	slices.SortFunc(v.Fuel, func(a, b FuelCounter) int { return strings.Compare(a.Meter, b.Meter) })
	return v, nil
}
