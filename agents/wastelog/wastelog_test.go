package wastelog_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/agents/wastelog"
	"github.com/greenpulse-health/greenpulse/reading"
)

var now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// openLog opens the list in dir and fails the test on error.
func openLog(t *testing.T, dir string, log *slog.Logger) *wastelog.Log {
	t.Helper()
	l, err := wastelog.Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// openOutbox opens an outbox in dir and closes it when the test ends.
func openOutbox(t *testing.T, dir string) *outbox.Outbox {
	t.Helper()
	o, err := outbox.Open(dir, outbox.Options{Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// enter stores waste entry i (1+i kg of sharps, i minutes after 08:00) in o
// and adds it to l, as the agent does.
func enter(t *testing.T, o *outbox.Outbox, l *wastelog.Log, i int) wastelog.Entry {
	t.Helper()
	hours := float64(i % 30)
	e := manual.Entry{Category: "sharps", Treatment: "autoclave", MassKg: float64(1 + i), StoredHours: &hours,
		Time: now.Add(-time.Hour + time.Duration(i)*time.Minute)}
	r, err := e.Reading("BG-H-001", now)
	if err != nil {
		t.Fatal(err)
	}
	seq, err := o.AppendSeq([]outbox.Record{{Stream: r.Stream, Data: reading.AppendJSON(nil, &r)}})
	if err != nil {
		t.Fatal(err)
	}
	we := wastelog.FromReading(seq, r, fmt.Sprintf("entry %d", i))
	if err := l.Add(we); err != nil {
		t.Fatal(err)
	}
	return we
}

func list(t *testing.T, l *wastelog.Log, q wastelog.Queue) []wastelog.Listed {
	t.Helper()
	got, err := l.List(q)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// notes returns the notes of ls, which name the entries.
func notes(ls []wastelog.Listed) []string {
	out := []string{}
	for _, e := range ls {
		out = append(out, e.Note)
	}
	return out
}

func TestFromReading(t *testing.T) {
	hours := 20.0
	r, err := manual.Entry{Category: "infectious", Treatment: "incineration", MassKg: 12.5, StoredHours: &hours, ID: "w-1",
		Time: now.In(time.FixedZone("AST", 3*3600))}.Reading("BG-H-001", now)
	if err != nil {
		t.Fatal(err)
	}
	got := wastelog.FromReading(7, r, "truck 3")
	want := wastelog.Entry{Seq: 7, ID: "w-1", Time: now, Category: "infectious", MassKg: 12.5, Treatment: "incineration", StoredHours: &hours, Note: "truck 3"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("FromReading = %+v, want %+v", got, want)
	}
	r, _ = manual.Entry{Category: "general", Treatment: "landfill", MassKg: 1}.Reading("BG-H-001", now)
	if e := wastelog.FromReading(1, r, ""); e.StoredHours != nil {
		t.Errorf("stored hours %v for an entry without them", *e.StoredHours)
	}
}

func TestNewestFirstAndBounded(t *testing.T) {
	tests := []struct {
		entries int
		want    []string
	}{
		{0, []string{}},
		{1, []string{"entry 0"}},
		{3, []string{"entry 2", "entry 1", "entry 0"}},
		{wastelog.Keep + 5, func() []string {
			var w []string
			for i := wastelog.Keep + 4; i >= 5; i-- {
				w = append(w, fmt.Sprintf("entry %d", i))
			}
			return w
		}()},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.entries), func(t *testing.T) {
			dir := t.TempDir()
			o, l := openOutbox(t, dir), openLog(t, dir, discard())
			for i := range tt.entries {
				enter(t, o, l, i)
			}
			if got := notes(list(t, l, o)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("listed %v, want %v", got, tt.want)
			}
			// The same after a restart.
			if got := notes(list(t, openLog(t, dir, discard()), o)); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("after reopening: listed %v, want %v", got, tt.want)
			}
		})
	}
}

// TestStateFollowsTheOutbox checks that an entry is queued while its
// reading is in the outbox and sent once the publisher deleted it, also
// after both were reopened.
func TestStateFollowsTheOutbox(t *testing.T) {
	dir := t.TempDir()
	o, l := openOutbox(t, dir), openLog(t, dir, discard())
	a, b, c := enter(t, o, l, 1), enter(t, o, l, 2), enter(t, o, l, 3)
	states := func(step string, l *wastelog.Log, o *outbox.Outbox, want ...wastelog.State) {
		t.Helper()
		var got []wastelog.State
		for _, e := range list(t, l, o) {
			got = append(got, e.State)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: states %v, want %v (newest first)", step, got, want)
		}
	}
	states("entered", l, o, wastelog.Queued, wastelog.Queued, wastelog.Queued)
	if err := o.Delete([]uint64{b.Seq}); err != nil {
		t.Fatal(err)
	}
	states("one acknowledged", l, o, wastelog.Queued, wastelog.Sent, wastelog.Queued)
	if err := o.Delete([]uint64{a.Seq, c.Seq}); err != nil {
		t.Fatal(err)
	}
	states("all acknowledged", l, o, wastelog.Sent, wastelog.Sent, wastelog.Sent)
	d := enter(t, o, l, 4)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o2 := openOutbox(t, dir)
	l2 := openLog(t, dir, discard())
	states("reopened", l2, o2, wastelog.Queued, wastelog.Sent, wastelog.Sent, wastelog.Sent)
	if err := o2.Delete([]uint64{d.Seq}); err != nil {
		t.Fatal(err)
	}
	states("acknowledged after reopening", l2, o2, wastelog.Sent, wastelog.Sent, wastelog.Sent, wastelog.Sent)
	if _, err := l2.List(o); err == nil {
		t.Error("List against a closed outbox: no error")
	}
}

func TestBadFileIsKeptAside(t *testing.T) {
	tests := []struct{ name, content string }{
		{"not JSON", "{entries: oops"},
		{"unknown format", `{"format": 2, "entries": []}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, wastelog.FileName)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			l := openLog(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))
			if !strings.Contains(logs.String(), "waste list unreadable") {
				t.Errorf("no warning logged: %q", logs.String())
			}
			if kept, err := os.ReadFile(path + ".bad"); err != nil || string(kept) != tt.content {
				t.Errorf("bad file kept as %q, %v", kept, err)
			}
			o := openOutbox(t, dir)
			if got := list(t, l, o); len(got) != 0 {
				t.Fatalf("listed %v from a bad file", got)
			}
			enter(t, o, l, 1)
			if got := notes(list(t, openLog(t, dir, discard()), o)); !reflect.DeepEqual(got, []string{"entry 1"}) {
				t.Fatalf("after a new entry: %v", got)
			}
		})
	}
}

// TestReplacedOutbox checks that entries of an outbox that was replaced by
// a fresh one, which numbers its records from 1 again, are forgotten
// rather than shown with the state of unrelated records.
func TestReplacedOutbox(t *testing.T) {
	dir := t.TempDir()
	o, l := openOutbox(t, dir), openLog(t, dir, discard())
	for i := range 3 {
		enter(t, o, l, i)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, outbox.FileName)); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	l = openLog(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))
	o = openOutbox(t, dir)
	enter(t, o, l, 9)
	if got := notes(list(t, l, o)); !reflect.DeepEqual(got, []string{"entry 9"}) {
		t.Fatalf("listed %v after the outbox was replaced, want only the new entry", got)
	}
	if !strings.Contains(logs.String(), "starts its numbers again") {
		t.Errorf("no warning logged: %q", logs.String())
	}
}

// TestFailedWrite checks that an Add that cannot replace the file fails
// naming it and leaves the list as it was.
func TestFailedWrite(t *testing.T) {
	dir := t.TempDir()
	o, l := openOutbox(t, dir), openLog(t, dir, discard())
	enter(t, o, l, 1)
	// A folder in the file's place: the rename fails, even for root.
	if err := os.Remove(l.Path()); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(l.Path(), "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	r, _ := manual.Entry{Category: "general", Treatment: "landfill", MassKg: 1}.Reading("BG-H-001", now)
	err := l.Add(wastelog.FromReading(99, r, "lost"))
	if err == nil || !strings.Contains(err.Error(), "write waste list") {
		t.Fatalf("Add with a folder in the file's place: %v", err)
	}
	if got := notes(list(t, l, o)); !reflect.DeepEqual(got, []string{"entry 1"}) {
		t.Fatalf("after a failed Add: %v, want the list unchanged", got)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
