package meterlog_test

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/meterlog"
	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/reading"
)

var now = time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func val(v float64) *float64 { return &v }

func openLog(t *testing.T, dir string, log *slog.Logger) *meterlog.Log {
	t.Helper()
	l, err := meterlog.Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func openOutbox(t *testing.T, dir string) *outbox.Outbox {
	t.Helper()
	o, err := outbox.Open(dir, outbox.Options{Logger: discard()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// enter checks e against l's state, stores its reading in o and adds it
// to l, as the agent does.
func enter(t *testing.T, o *outbox.Outbox, l *meterlog.Log, e manual.MeterEntry) meterlog.Entry {
	t.Helper()
	res, err := e.Check("BG-H-001", now, l.State(), manual.MeterLimits{TankLitres: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var seq uint64
	if r := res.Reading; r != nil {
		seq, err = o.AppendSeq([]outbox.Record{{Stream: r.Stream, Data: reading.AppendJSON(nil, r)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	me := meterlog.FromResult(seq, e, res)
	if err := l.Add(me, res.State); err != nil {
		t.Fatal(err)
	}
	return me
}

func states(t *testing.T, l *meterlog.Log, q meterlog.Queue) string {
	t.Helper()
	ls, err := l.List(q)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ls {
		out = append(out, string(e.Counter)+":"+string(e.State))
	}
	return strings.Join(out, " ")
}

// TestStateSurvivesRestarts types a round of readings, reopens the log and
// checks that the last readings, the fuel counter and the entries with
// their states are the same, and that the next entry is checked against
// what came before the restart.
func TestStateSurvivesRestarts(t *testing.T) {
	dir := t.TempDir()
	o, l := openOutbox(t, dir), openLog(t, dir, discard())
	h := func(n float64) time.Time { return now.Add(time.Duration(n * float64(time.Hour))) }
	grid := enter(t, o, l, manual.MeterEntry{Counter: "grid_kwh", Value: val(12000), Time: h(-26), Note: "morning round"})
	enter(t, o, l, manual.MeterEntry{Counter: "tank_level", Value: val(800), Time: h(-25)})
	enter(t, o, l, manual.MeterEntry{Counter: "fuel_delivered_l", Value: val(200), Time: h(-20)})
	enter(t, o, l, manual.MeterEntry{Counter: "tank_level", Value: val(50), Unit: "%", Time: h(-2)})
	enter(t, o, l, manual.MeterEntry{Counter: "grid_kwh", Value: val(12300), Time: h(-1)})
	if grid.Sent != "energy main/grid kwh_total=12000" || grid.Seq != 1 || grid.Note != "morning round" {
		t.Errorf("grid entry %+v", grid)
	}
	if err := o.Delete([]uint64{grid.Seq}); err != nil {
		t.Fatal(err)
	}
	const want = "grid_kwh:queued tank_level:queued fuel_delivered_l:kept tank_level:queued grid_kwh:sent"
	if got := states(t, l, o); got != want {
		t.Fatalf("states %s, want %s", got, want)
	}
	before, err := l.View(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Fuel) != 1 || before.Fuel[0].BurnedL != 500 || before.Fuel[0].Meter != "main" {
		t.Errorf("fuel %+v, want 800 + 200 − 500 = 500 L burned", before.Fuel)
	}
	var last []string
	for _, r := range before.Last {
		last = append(last, string(r.Counter)+"/"+r.Meter+"="+strconv.FormatFloat(r.Value, 'f', -1, 64))
	}
	if got := strings.Join(last, " "); got != "grid_kwh/main=12300 fuel_delivered_l/main=200 tank_level/main=500" {
		t.Errorf("last readings %s", got)
	}

	l2 := openLog(t, dir, discard())
	after, err := l2.View(o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("after reopening:\n got %+v\nwant %+v", after, before)
	}
	if _, err := (manual.MeterEntry{Counter: "grid_kwh", Value: val(100)}).Check("BG-H-001", now, l2.State(), manual.MeterLimits{}); err == nil ||
		!strings.Contains(err.Error(), "The last reading was 12300 kWh") {
		t.Errorf("an entry after the restart is not checked against the last reading: %v", err)
	}
}

func TestBounded(t *testing.T) {
	dir := t.TempDir()
	o, l := openOutbox(t, dir), openLog(t, dir, discard())
	for i := range meterlog.Keep + 5 {
		enter(t, o, l, manual.MeterEntry{Counter: "solar_kwh", Value: val(float64(100 + i)), Time: now.Add(time.Duration(i-40) * time.Hour)})
	}
	ls, err := openLog(t, dir, discard()).List(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != meterlog.Keep || ls[0].Value != 124 || ls[len(ls)-1].Value != 105 {
		t.Fatalf("listed %d entries, %v to %v; want %d, newest first", len(ls), ls[0].Value, ls[len(ls)-1].Value, meterlog.Keep)
	}
}

func TestBadFileIsKeptAside(t *testing.T) {
	for name, content := range map[string]string{"not JSON": "{oops", "unknown format": `{"format": 9}`} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, meterlog.FileName)
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			l := openLog(t, dir, slog.New(slog.NewTextHandler(&logs, nil)))
			if !strings.Contains(logs.String(), "meter readings unreadable") {
				t.Errorf("no warning: %q", logs.String())
			}
			if kept, err := os.ReadFile(path + ".bad"); err != nil || string(kept) != content {
				t.Errorf("bad file kept as %q, %v", kept, err)
			}
			if st := l.State(); len(st.Last) != 0 {
				t.Errorf("state %+v from a bad file", st)
			}
			o := openOutbox(t, dir)
			enter(t, o, l, manual.MeterEntry{Counter: "grid_kwh", Value: val(1)})
			if got := states(t, openLog(t, dir, discard()), o); got != "grid_kwh:queued" {
				t.Errorf("after a new entry: %s", got)
			}
		})
	}
}

// TestFailedWrite checks that an Add that cannot replace the file says so,
// naming it, and still takes the state: the reading is stored already.
func TestFailedWrite(t *testing.T) {
	dir := t.TempDir()
	o, l := openOutbox(t, dir), openLog(t, dir, discard())
	enter(t, o, l, manual.MeterEntry{Counter: "grid_kwh", Value: val(10), Time: now.Add(-time.Hour)})
	if err := os.Remove(l.Path()); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(l.Path(), "x"), 0o700); err != nil {
		t.Fatal(err)
	}
	e := manual.MeterEntry{Counter: "grid_kwh", Value: val(20)}
	res, err := e.Check("BG-H-001", now, l.State(), manual.MeterLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Add(meterlog.FromResult(2, e, res), res.State); err == nil || !strings.Contains(err.Error(), "write meter readings") {
		t.Fatalf("Add with a folder in the file's place: %v", err)
	}
	if got := l.State().Last[manual.Key(manual.GridKWh, "main")].Value; got != 20 {
		t.Errorf("state after a failed write has %g kWh, want 20", got)
	}
}

// TestReplacedOutbox checks that entries of a replaced outbox are
// forgotten, while the last readings are kept.
func TestReplacedOutbox(t *testing.T) {
	dir := t.TempDir()
	o, l := openOutbox(t, dir), openLog(t, dir, discard())
	for i := range 3 {
		enter(t, o, l, manual.MeterEntry{Counter: "grid_kwh", Value: val(float64(10 * (i + 1))), Time: now.Add(time.Duration(i-5) * time.Hour)})
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, outbox.FileName)); err != nil {
		t.Fatal(err)
	}
	o = openOutbox(t, dir)
	enter(t, o, l, manual.MeterEntry{Counter: "grid_kwh", Value: val(40)})
	if got := states(t, l, o); got != "grid_kwh:queued" {
		t.Fatalf("states %s after the outbox was replaced, want only the new entry", got)
	}
}
