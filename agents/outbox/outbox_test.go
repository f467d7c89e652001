package outbox_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/reading"
)

var t0 = time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// open opens an outbox in dir (a new temp dir when dir is empty) and closes
// it when the test ends.
func open(t testing.TB, dir string, opt outbox.Options) *outbox.Outbox {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	o, err := outbox.Open(dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := o.Close(); err != nil {
			t.Error(err)
		}
	})
	return o
}

// payload is the Data of record j of batch i: an energy reading of about
// 150 bytes, different for every (i, j).
func payload(i, j int) []byte {
	return fmt.Appendf(nil, `{"ts":%d,"meter":"main-%d","source":"grid","kwh_total":%d.25,"power_w":%d,"available":true,"note":"batch %06d record %02d"}`,
		t0.UnixMilli()+int64(i)*60000, j, 100000+i, 1000+j, i, j)
}

// size is what a record counts against the bound: an 8-byte key and a
// 10-byte header besides the stream and the data.
func size(r outbox.Record) int64 { return int64(8 + 10 + len(r.Stream) + len(r.Data)) }

func batch(i, n int) []outbox.Record {
	recs := make([]outbox.Record, n)
	for j := range recs {
		recs[j] = outbox.Record{Stream: reading.Energy, Data: payload(i, j)}
	}
	return recs
}

func appendOK(t testing.TB, o *outbox.Outbox, recs []outbox.Record) {
	t.Helper()
	if err := o.Append(recs); err != nil {
		t.Fatal(err)
	}
}

func all(t testing.TB, o *outbox.Outbox) []outbox.Item {
	t.Helper()
	items, err := o.Oldest(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func seqsOf(items []outbox.Item) []uint64 {
	seqs := []uint64{}
	for _, it := range items {
		seqs = append(seqs, it.Seq)
	}
	return seqs
}

func wantStats(t testing.TB, o *outbox.Outbox, want outbox.Stats) {
	t.Helper()
	got := o.Stats()
	if got.Readings != want.Readings || got.Bytes != want.Bytes || !got.Oldest.Equal(want.Oldest) ||
		got.Dropped != want.Dropped || got.Appended != want.Appended {
		t.Fatalf("stats = %+v, want %+v", got, want)
	}
}

func TestFIFOAcrossAppends(t *testing.T) {
	clk := newClock()
	o := open(t, "", outbox.Options{Now: clk.Now})
	wantStats(t, o, outbox.Stats{})

	streams := reading.DataStreams()
	var want []outbox.Item
	var bytes int64
	for i, n := range []int{3, 1, 4} {
		recs := batch(i, n)
		for j := range recs {
			recs[j].Stream = streams[(i+j)%len(streams)]
			want = append(want, outbox.Item{Seq: uint64(len(want) + 1), Stream: recs[j].Stream, Data: recs[j].Data, Appended: clk.Now()})
			bytes += size(recs[j])
		}
		appendOK(t, o, recs)
		wantStats(t, o, outbox.Stats{Readings: int64(len(want)), Bytes: bytes, Oldest: t0, Appended: uint64(len(want))})
		clk.Advance(time.Minute)
	}
	if got := all(t, o); !equalItems(got, want) {
		t.Fatalf("Oldest = %v,\nwant %v", got, want)
	}
	if err := o.Append(nil); err != nil {
		t.Fatalf("empty Append: %v", err)
	}
	wantStats(t, o, outbox.Stats{Readings: 8, Bytes: bytes, Oldest: t0, Appended: 8})
}

func equalItems(a, b []outbox.Item) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Seq != b[i].Seq || a[i].Stream != b[i].Stream || !bytes.Equal(a[i].Data, b[i].Data) || !a[i].Appended.Equal(b[i].Appended) {
			return false
		}
	}
	return true
}

func TestItemsOwnTheirData(t *testing.T) {
	o := open(t, "", outbox.Options{})
	appendOK(t, o, batch(0, 3))
	items := all(t, o)
	for _, it := range items {
		clear(it.Data) // must not touch bbolt's read-only map, nor later reads
	}
	appendOK(t, o, batch(1, 500)) // remaps the file as it grows
	if got := all(t, o); !bytes.Equal(got[0].Data, payload(0, 0)) {
		t.Fatalf("data after clearing a returned copy = %q", got[0].Data)
	}
}

func TestReadLimits(t *testing.T) {
	// Ten records of 10 bytes, appended one a minute from t0.
	clk := newClock()
	o := open(t, "", outbox.Options{Now: clk.Now})
	for i := range 10 {
		appendOK(t, o, []outbox.Record{{Stream: reading.Solar, Data: fmt.Appendf(nil, "reading-%02d", i)}})
		clk.Advance(time.Minute)
	}
	minute := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Minute) }

	tests := []struct {
		name     string
		newest   bool
		items    int
		bytes    int
		after    time.Time
		wantSeqs []uint64
	}{
		{name: "oldest unlimited", wantSeqs: []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{name: "oldest by items", items: 3, wantSeqs: []uint64{1, 2, 3}},
		{name: "oldest by bytes", bytes: 25, wantSeqs: []uint64{1, 2}},
		{name: "oldest bytes exactly", bytes: 30, wantSeqs: []uint64{1, 2, 3}},
		{name: "oldest one record over the byte limit", bytes: 5, wantSeqs: []uint64{1}},
		{name: "oldest items before bytes", items: 2, bytes: 1000, wantSeqs: []uint64{1, 2}},
		{name: "newest unlimited", newest: true, wantSeqs: []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{name: "newest by items", newest: true, items: 3, wantSeqs: []uint64{8, 9, 10}},
		{name: "newest by bytes", newest: true, bytes: 25, wantSeqs: []uint64{9, 10}},
		{name: "newest one record over the byte limit", newest: true, bytes: 5, wantSeqs: []uint64{10}},
		{name: "newest after, exclusive", newest: true, after: minute(6), wantSeqs: []uint64{8, 9, 10}},
		{name: "newest after and items", newest: true, items: 2, after: minute(6), wantSeqs: []uint64{9, 10}},
		{name: "newest after between appends", newest: true, after: minute(6).Add(time.Second), wantSeqs: []uint64{8, 9, 10}},
		{name: "newest after the last", newest: true, after: minute(9), wantSeqs: []uint64{}},
		{name: "newest after before the first", newest: true, items: 4, after: minute(-1), wantSeqs: []uint64{7, 8, 9, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []outbox.Item
			var err error
			if tt.newest {
				got, err = o.Newest(tt.items, tt.bytes, tt.after)
			} else {
				got, err = o.Oldest(tt.items, tt.bytes)
			}
			if err != nil {
				t.Fatal(err)
			}
			if seqs := seqsOf(got); !reflect.DeepEqual(seqs, tt.wantSeqs) {
				t.Fatalf("seqs = %v, want %v", seqs, tt.wantSeqs)
			}
			for _, it := range got {
				i := int(it.Seq - 1)
				if it.Stream != reading.Solar || string(it.Data) != fmt.Sprintf("reading-%02d", i) || !it.Appended.Equal(minute(i)) {
					t.Fatalf("item %d = %+v", it.Seq, it)
				}
			}
		})
	}
}

func TestReadEmpty(t *testing.T) {
	o := open(t, "", outbox.Options{})
	for name, read := range map[string]func() ([]outbox.Item, error){
		"oldest": func() ([]outbox.Item, error) { return o.Oldest(10, 1000) },
		"newest": func() ([]outbox.Item, error) { return o.Newest(10, 1000, time.Time{}) },
	} {
		if items, err := read(); err != nil || len(items) != 0 {
			t.Errorf("%s of an empty outbox = %v, %v", name, items, err)
		}
	}
}

func TestDeleteSubset(t *testing.T) {
	clk := newClock()
	o := open(t, "", outbox.Options{Now: clk.Now})
	for i := range 10 {
		appendOK(t, o, batch(i, 1))
		clk.Advance(time.Minute)
	}
	rec := func(seq uint64) int64 { return size(batch(int(seq-1), 1)[0]) }
	at := func(seq uint64) time.Time { return t0.Add(time.Duration(seq-1) * time.Minute) }
	sum := func(seqs ...uint64) (n int64) {
		for _, s := range seqs {
			n += rec(s)
		}
		return n
	}

	steps := []struct {
		name   string
		delete []uint64
		want   []uint64
	}{
		{name: "non-contiguous, unordered, with unknown and repeated", delete: []uint64{9, 2, 5, 42, 6, 5, 0}, want: []uint64{1, 3, 4, 7, 8, 10}},
		{name: "the head", delete: []uint64{1}, want: []uint64{3, 4, 7, 8, 10}},
		{name: "only unknown", delete: []uint64{1, 2, 11}, want: []uint64{3, 4, 7, 8, 10}},
		{name: "none", delete: nil, want: []uint64{3, 4, 7, 8, 10}},
		{name: "the tail", delete: []uint64{10}, want: []uint64{3, 4, 7, 8}},
		{name: "the rest", delete: []uint64{8, 7, 4, 3}, want: []uint64{}},
	}
	for _, st := range steps {
		if err := o.Delete(st.delete); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := seqsOf(all(t, o)); !reflect.DeepEqual(got, st.want) {
			t.Fatalf("%s: seqs = %v, want %v", st.name, got, st.want)
		}
		want := outbox.Stats{Readings: int64(len(st.want)), Bytes: sum(st.want...), Appended: 10}
		if len(st.want) > 0 {
			want.Oldest = at(st.want[0])
		}
		wantStats(t, o, want)
	}
}

func TestReopen(t *testing.T) {
	dir := t.TempDir()
	clk := newClock()
	o, err := outbox.Open(dir, outbox.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		appendOK(t, o, batch(i, 3))
		clk.Advance(time.Minute)
	}
	if err := o.Delete([]uint64{1, 2, 7, 15}); err != nil {
		t.Fatal(err)
	}
	before, stats := all(t, o), o.Stats()
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}

	o = open(t, dir, outbox.Options{Now: clk.Now})
	if after := all(t, o); !equalItems(after, before) {
		t.Fatalf("after reopen: %v,\nbefore: %v", seqsOf(after), seqsOf(before))
	}
	stats.Appended, stats.Dropped = 0, 0 // since Open
	wantStats(t, o, stats)

	// Empty it: the sequence must still continue after a reopen.
	if err := o.Delete(seqsOf(before)); err != nil {
		t.Fatal(err)
	}
	wantStats(t, o, outbox.Stats{})
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o = open(t, dir, outbox.Options{Now: clk.Now})
	wantStats(t, o, outbox.Stats{})
	appendOK(t, o, batch(9, 2))
	if got := seqsOf(all(t, o)); !reflect.DeepEqual(got, []uint64{16, 17}) {
		t.Fatalf("seqs after emptying and reopening = %v, want [16 17]", got)
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	dir := t.TempDir()
	first, err := outbox.Open(dir, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	second, err := outbox.Open(dir, outbox.Options{})
	if err == nil {
		second.Close()
		t.Fatal("second Open of the same directory succeeded")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("second Open took %v to fail", took)
	}
	if !strings.Contains(err.Error(), "locked by another process") || !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not say the outbox is locked and where", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, dir, outbox.Options{}) // the lock went with the first
}

func TestOpenErrors(t *testing.T) {
	file := t.TempDir() + "/file"
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		opt  outbox.Options
		want string
	}{
		{name: "dir is a file", dir: file, want: file},
		{name: "negative bound", dir: t.TempDir(), opt: outbox.Options{MaxBytes: -1}, want: "negative max bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := outbox.Open(tt.dir, tt.opt)
			if err == nil {
				o.Close()
				t.Fatal("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestNotify(t *testing.T) {
	o := open(t, "", outbox.Options{})
	select {
	case <-o.Notify():
		t.Fatal("notified before any Append")
	default:
	}
	// Appends never block on an unread channel; one value stands for all.
	for i := range 3 {
		appendOK(t, o, batch(i, 1))
	}
	select {
	case <-o.Notify():
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after Append")
	}
	select {
	case <-o.Notify():
		t.Fatal("more than one value buffered")
	default:
	}
	if err := o.Delete([]uint64{1}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-o.Notify():
		t.Fatal("Delete notified")
	default:
	}
}

func TestClosed(t *testing.T) {
	o, err := outbox.Open(t.TempDir(), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	appendOK(t, o, batch(0, 1))
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"Append": func() error { return o.Append(batch(1, 1)) },
		"Oldest": func() error { _, err := o.Oldest(1, 0); return err },
		"Newest": func() error { _, err := o.Newest(1, 0, time.Time{}); return err },
		"Delete": func() error { return o.Delete([]uint64{1}) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, outbox.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	if err := o.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

// One appender and one publisher, as in the agent: every record arrives
// once and in order. Run with -race.
func TestConcurrentAppendAndPublish(t *testing.T) {
	o := open(t, "", outbox.Options{})
	const batches, per = 100, 5
	appendErr := make(chan error, 1)
	go func() {
		for i := range batches {
			if err := o.Append(batch(i, per)); err != nil {
				appendErr <- err
				return
			}
		}
		appendErr <- nil
	}()

	publishAll(t, o, appendErr, batches, per, 17, 20*time.Second, nil)
	wantStats(t, o, outbox.Stats{Appended: batches * per})
}

// publishAll is the publisher beside an appender that appends batches of
// per records (batch(i, per)) and then sends its error, or nil, on
// appendErr: it reads up to readMax records from the head, checks that
// each is the next one in sequence with its payload, deletes them and
// calls afterDelete (when not nil), until every record went through within
// the time given; then it waits for the appender.
func publishAll(t *testing.T, o *outbox.Outbox, appendErr chan error, batches, per, readMax int, within time.Duration, afterDelete func()) {
	t.Helper()
	deadline := time.After(within)
	var next uint64 = 1
	for next <= uint64(batches*per) {
		items, err := o.Oldest(readMax, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			select {
			case <-o.Notify():
			case err := <-appendErr:
				if err != nil {
					t.Fatal(err)
				}
				appendErr = nil // drained; Notify still wakes us
			case <-deadline:
				t.Fatalf("stuck at seq %d", next)
			}
			continue
		}
		for _, it := range items {
			i, j := int(it.Seq-1)/per, int(it.Seq-1)%per
			if it.Seq != next || !bytes.Equal(it.Data, payload(i, j)) {
				t.Fatalf("got seq %d %q, want seq %d", it.Seq, it.Data, next)
			}
			next++
		}
		if err := o.Delete(seqsOf(items)); err != nil {
			t.Fatal(err)
		}
		if afterDelete != nil {
			afterDelete()
		}
	}
	if appendErr != nil {
		if err := <-appendErr; err != nil {
			t.Fatal(err)
		}
	}
}

const (
	helperEnv      = "GREENPULSE_OUTBOX_HELPER_DIR"
	helperPerBatch = 4
)

// TestAppendSeqAndContains checks that AppendSeq reports the sequence
// numbers the records got, and Contains follows them through Delete, the
// bound's drops and a reopen: what a waste entry list needs to tell queued
// from sent.
func TestAppendSeqAndContains(t *testing.T) {
	dir := t.TempDir()
	// Room for about four of the ~170-byte records.
	opt := outbox.Options{MaxBytes: 4 * size(batch(0, 1)[0])}
	o := open(t, dir, opt)
	firsts := []uint64{}
	for i, n := range []int{2, 1, 0, 1} {
		first, err := o.AppendSeq(batch(i, n))
		if err != nil {
			t.Fatal(err)
		}
		firsts = append(firsts, first)
	}
	if want := []uint64{1, 3, 0, 4}; !reflect.DeepEqual(firsts, want) {
		t.Fatalf("first sequence numbers %v, want %v (0 for the empty batch)", firsts, want)
	}
	if err := o.Delete([]uint64{2}); err != nil {
		t.Fatal(err)
	}
	contains := func(step string, want []bool) {
		t.Helper()
		got, err := o.Contains([]uint64{1, 2, 3, 4, 5, 0, 99})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: Contains(1, 2, 3, 4, 5, 0, 99) = %v, want %v", step, got, want)
		}
	}
	contains("after deleting 2", []bool{true, false, true, true, false, false, false})
	// Two more records pass the bound: the oldest, 1, is dropped.
	if first, err := o.AppendSeq(batch(9, 2)); err != nil || first != 5 {
		t.Fatalf("AppendSeq = %d, %v; want 5", first, err)
	}
	contains("after a drop", []bool{false, false, true, true, true, false, false})
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o = open(t, dir, opt)
	contains("after reopening", []bool{false, false, true, true, true, false, false})
	if got, err := o.Contains(nil); err != nil || len(got) != 0 {
		t.Fatalf("Contains(nil) = %v, %v", got, err)
	}
}
