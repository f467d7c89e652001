package outbox_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/outbox"
)

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// fill appends batches of 1440 records from batch number first on until
// the file has at least size bytes, and returns the number of the next
// batch.
func fill(t testing.TB, o *outbox.Outbox, first int, size int64) int {
	t.Helper()
	i := first
	for ; fileSize(t, o.Path()) < size; i++ {
		appendOK(t, o, batch(i, 1440))
	}
	return i
}

// drain deletes from the head, 1000 records a call as a publisher would,
// until keep records are left.
func drain(t testing.TB, o *outbox.Outbox, keep int) {
	t.Helper()
	for {
		n := int(o.Stats().Readings) - keep
		if n <= 0 {
			return
		}
		items, err := o.Oldest(min(n, 1000), 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Delete(seqsOf(items)); err != nil {
			t.Fatal(err)
		}
	}
}

// logLines decodes the JSON log lines in buf whose message contains msg.
func logLines(t testing.TB, buf *bytes.Buffer, msg string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for text := range strings.Lines(buf.String()) {
		var l map[string]any
		if err := json.Unmarshal([]byte(text), &l); err != nil {
			t.Fatalf("log line %q: %v", text, err)
		}
		if m, _ := l["msg"].(string); strings.Contains(m, msg) {
			lines = append(lines, l)
		}
	}
	return lines
}

func TestCompaction(t *testing.T) {
	const threshold = 1 << 20
	tests := []struct {
		name        string
		threshold   int64
		keep        int // records left by the drain
		wantCompact bool
	}{
		{name: "emptied large file", threshold: threshold, wantCompact: true},
		{name: "one record left", threshold: threshold, keep: 1},
		{name: "emptied file under the threshold", threshold: 64 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var logs bytes.Buffer
			clk := newClock()
			opt := outbox.Options{Now: clk.Now, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
			o, err := outbox.Open(dir, opt)
			if err != nil {
				t.Fatal(err)
			}
			outbox.SetCompactThreshold(o, tt.threshold)
			next := fill(t, o, 0, 2*threshold)
			appended := uint64(next * 1440)
			lastSeq := appended
			before := fileSize(t, o.Path())

			drain(t, o, tt.keep)
			left := all(t, o)
			if len(left) != tt.keep {
				t.Fatalf("%d records left, want %d", len(left), tt.keep)
			}
			after := fileSize(t, o.Path())
			if got := outbox.Compactions(o); got != btoi(tt.wantCompact) {
				t.Fatalf("%d compactions, want %d", got, btoi(tt.wantCompact))
			}
			if got := len(logLines(t, &logs, "compacted")); got != btoi(tt.wantCompact) {
				t.Fatalf("%d compaction log lines, want %d:\n%s", got, btoi(tt.wantCompact), logs.String())
			}
			if tt.wantCompact && after > threshold/8 {
				t.Fatalf("file of %d bytes after compacting one of %d, want at most %d", after, before, threshold/8)
			}
			if !tt.wantCompact && after != before {
				t.Fatalf("file of %d bytes changed to %d without compaction", before, after)
			}
			t.Logf("file: %d bytes full, %d bytes drained", before, after)
			wantStats(t, o, outbox.Stats{Readings: int64(tt.keep), Bytes: sizeOf(recordsOf(left)), Oldest: oldestOf(left), Appended: appended})

			// The sequence continues, and what is appended now is read back,
			// also after a reopen, which leaves the directory clean.
			clk.Advance(time.Minute)
			recs := batch(next, 3)
			appendOK(t, o, recs)
			want := append(left, items(lastSeq, clk.Now(), recs)...)
			if got := all(t, o); !equalItems(got, want) {
				t.Fatalf("after appending: %v, want %v", seqsOf(got), seqsOf(want))
			}
			if err := o.Close(); err != nil {
				t.Fatal(err)
			}
			o = open(t, dir, opt)
			if got := all(t, o); !equalItems(got, want) {
				t.Fatalf("after reopening: %v, want %v", seqsOf(got), seqsOf(want))
			}
			recs = batch(next+1, 2)
			appendOK(t, o, recs)
			want = append(want, items(lastSeq+3, clk.Now(), recs)...)
			if got := all(t, o); !equalItems(got, want) {
				t.Fatalf("after reopening and appending: %v, want %v", seqsOf(got), seqsOf(want))
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 || entries[0].Name() != outbox.FileName {
				t.Fatalf("directory holds %v, want only %s", entries, outbox.FileName)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func oldestOf(items []outbox.Item) time.Time {
	if len(items) == 0 {
		return time.Time{}
	}
	return items[0].Appended
}

// items are the Items that appending recs at time at after sequence number
// last makes.
func items(last uint64, at time.Time, recs []outbox.Record) []outbox.Item {
	its := make([]outbox.Item, len(recs))
	for i, r := range recs {
		its[i] = outbox.Item{Seq: last + 1 + uint64(i), Stream: r.Stream, Data: r.Data, Appended: at}
	}
	return its
}

// A compaction file left by a crash before its rename is removed by the next
// Open, but not by an Open that fails because the outbox is in use: that
// file may be one its owner is building.
func TestCompactionLeftover(t *testing.T) {
	tests := []struct {
		name     string
		existing bool // an outbox with records in the directory
		inUse    bool // by another Outbox
	}{
		{name: "new outbox"},
		{name: "existing outbox", existing: true},
		{name: "outbox in use", existing: true, inUse: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			var want []outbox.Item
			if tt.existing {
				o, err := outbox.Open(dir, outbox.Options{})
				if err != nil {
					t.Fatal(err)
				}
				appendOK(t, o, batch(0, 3))
				want = all(t, o)
				if tt.inUse {
					t.Cleanup(func() { o.Close() })
				} else if err := o.Close(); err != nil {
					t.Fatal(err)
				}
			}
			leftover := filepath.Join(dir, outbox.FileName+outbox.CompactSuffix)
			if err := os.WriteFile(leftover, []byte("half a bbolt file"), 0o600); err != nil {
				t.Fatal(err)
			}

			o, err := outbox.Open(dir, outbox.Options{Logger: slog.New(slog.DiscardHandler)})
			if tt.inUse {
				if err == nil {
					o.Close()
					t.Fatal("Open of an outbox in use succeeded")
				}
				if _, err := os.Stat(leftover); err != nil {
					t.Fatalf("a failed Open touched the compaction file: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer o.Close()
			if _, err := os.Stat(leftover); !os.IsNotExist(err) {
				t.Fatalf("leftover still there after Open: %v", err)
			}
			if got := all(t, o); !equalItems(got, want) {
				t.Fatalf("records %v, want %v", seqsOf(got), seqsOf(want))
			}
		})
	}
}

// A compaction that fails is logged, Delete succeeds, the old file stays in
// use, and the next attempt waits for CompactRetryAfter.
func TestCompactionFailure(t *testing.T) {
	dir := t.TempDir()
	var logs bytes.Buffer
	clk := newClock()
	o := open(t, dir, outbox.Options{Now: clk.Now, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	outbox.SetCompactThreshold(o, 64<<10)
	// A non-empty directory where the fresh file goes: neither removable
	// nor openable, even by root.
	obstacle := filepath.Join(dir, outbox.FileName+outbox.CompactSuffix)
	if err := os.MkdirAll(filepath.Join(obstacle, "x"), 0o750); err != nil {
		t.Fatal(err)
	}

	next := fill(t, o, 0, 256<<10)
	size := fileSize(t, o.Path())
	// cycle drains the outbox, checks what became of the file, then appends
	// and reads back a batch in it.
	cycle := func(step string, wantCompactions int) {
		t.Helper()
		drain(t, o, 0)
		if got := outbox.Compactions(o); got != wantCompactions {
			t.Fatalf("%s: %d compactions, want %d", step, got, wantCompactions)
		}
		if got := fileSize(t, o.Path()); (got == size) != (wantCompactions == 0) {
			t.Fatalf("%s: file of %d bytes, was %d before any compaction", step, got, size)
		}
		wantStats(t, o, outbox.Stats{Appended: uint64(next * 1440)})
		appendOK(t, o, batch(next, 1440))
		next++
		got := all(t, o)
		if len(got) != 1440 || got[0].Seq != uint64(next-1)*1440+1 || !bytes.Equal(got[1439].Data, payload(next-1, 1439)) {
			t.Fatalf("%s: records after the drain are wrong: %d, first seq %d", step, len(got), got[0].Seq)
		}
	}

	cycle("blocked", 0)
	warns := logLines(t, &logs, "compaction failed")
	if len(warns) != 1 || warns[0]["level"] != "WARN" || warns[0]["err"] == nil {
		t.Fatalf("want one Warn line with the error, got %v in\n%s", warns, logs.String())
	}
	if err := os.RemoveAll(obstacle); err != nil {
		t.Fatal(err)
	}
	cycle("within the retry interval", 0)
	if warns := logLines(t, &logs, "compaction failed"); len(warns) != 1 {
		t.Fatalf("%d Warn lines, want 1: the retry came too soon", len(warns))
	}
	clk.Advance(outbox.CompactRetryAfter)
	cycle("after the retry interval", 1)
}

// Readers, an appender and a deleting publisher run while every Delete
// that empties the outbox compacts it. Run with -race.
func TestConcurrentCompaction(t *testing.T) {
	o := open(t, "", outbox.Options{})
	outbox.SetCompactThreshold(o, 0)
	const batches, per, every = 200, 5, 10
	// The appender waits for the publisher to empty the outbox after every
	// tenth batch, so that compactions happen however the two are paced.
	appendErr, emptied := make(chan error, 1), make(chan struct{}, 1)
	go func() {
		for i := range batches {
			if err := o.Append(batch(i, per)); err != nil {
				appendErr <- err
				return
			}
			if i%every == every-1 {
				<-emptied
			}
		}
		appendErr <- nil
	}()
	stop, readErr := make(chan struct{}), make(chan error, 1)
	go func() {
		var last uint64
		for {
			select {
			case <-stop:
				readErr <- nil
				return
			default:
			}
			items, err := o.Newest(3, 0, time.Time{})
			if err != nil {
				readErr <- err
				return
			}
			if len(items) > 0 {
				s := items[len(items)-1].Seq
				if s < last {
					readErr <- fmt.Errorf("Newest went back from seq %d to %d", last, s)
					return
				}
				last = s
			}
			if st := o.Stats(); st.Readings < 0 || st.Bytes < 0 || (st.Readings == 0) != st.Oldest.IsZero() {
				readErr <- fmt.Errorf("inconsistent stats %+v", st)
				return
			}
		}
	}()

	publishAll(t, o, appendErr, batches, per, 7, 30*time.Second, func() {
		if o.Stats().Readings == 0 {
			select {
			case emptied <- struct{}{}:
			default:
			}
		}
	})
	close(stop)
	if err := <-readErr; err != nil {
		t.Fatal(err)
	}
	wantStats(t, o, outbox.Stats{Appended: batches * per})
	n := outbox.Compactions(o)
	if n < batches/every {
		t.Fatalf("%d compactions, want at least %d", n, batches/every)
	}
	t.Logf("%d compactions", n)
}

// An Open that waits for the lock while compactions replace the file must
// fail, not take the lock of a replaced file and run on it.
func TestSecondOpenDuringCompaction(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the lock timeout")
	}
	dir := t.TempDir()
	o := open(t, dir, outbox.Options{})
	outbox.SetCompactThreshold(o, 0)
	type result struct {
		o   *outbox.Outbox
		err error
	}
	second := make(chan result, 1)
	go func() {
		o2, err := outbox.Open(dir, outbox.Options{Logger: slog.New(slog.DiscardHandler)})
		second <- result{o2, err}
	}()
	var (
		res         result
		cycles, seq int
	)
	for done := false; !done; cycles++ {
		appendOK(t, o, batch(cycles, 2))
		seq += 2
		if err := o.Delete([]uint64{uint64(seq - 1), uint64(seq)}); err != nil {
			t.Fatal(err)
		}
		select {
		case res = <-second:
			done = true
		default:
		}
	}
	if res.err == nil {
		res.o.Close()
		t.Fatalf("a second Open succeeded during %d compactions", cycles)
	}
	if !strings.Contains(res.err.Error(), "locked by another process") {
		t.Fatalf("second Open: %v, want it locked", res.err)
	}
	appendOK(t, o, batch(cycles, 1))
	if got := seqsOf(all(t, o)); !slices.Equal(got, []uint64{uint64(seq + 1)}) {
		t.Fatalf("seqs %v after %d compactions, want [%d]", got, cycles, seq+1)
	}
	t.Logf("second Open failed after %d compactions: %v", outbox.Compactions(o), res.err)
}

// procIO reads the counters of /proc/self/io.
func procIO(b *testing.B) map[string]int64 {
	b.Helper()
	f, err := os.Open("/proc/self/io")
	if err != nil {
		b.Skipf("no I/O counters: %v", err)
	}
	defer f.Close()
	io := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if n, err := strconv.ParseInt(v, 10, 64); ok && err == nil {
			io[k] = n
		}
	}
	return io
}

// BenchmarkCommitAfterDrain measures the bytes that one commit writes in
// steady state (an Append of 4 readings, then the Delete that empties the
// outbox) in a new file, and in a file that held a 64 MiB backlog, drained,
// with and without compaction. B/commit counts the bytes written by write
// calls (wchar), disk-B/commit those sent towards the device (write_bytes).
//
//	go test -run '^$' -bench CommitAfterDrain ./agents/outbox
func BenchmarkCommitAfterDrain(b *testing.B) {
	for _, bb := range []struct {
		name      string
		backlog   int64
		threshold int64
	}{
		{name: "new", threshold: math.MaxInt64},
		{name: "drained-64MiB-kept", backlog: 64 << 20, threshold: math.MaxInt64},
		{name: "drained-64MiB-compacted", backlog: 64 << 20},
	} {
		b.Run(bb.name, func(b *testing.B) {
			o := open(b, "", outbox.Options{})
			if bb.threshold != 0 {
				outbox.SetCompactThreshold(o, bb.threshold)
			}
			next := fill(b, o, 0, bb.backlog)
			drain(b, o, 0)
			recs := batch(next, 4)
			start := procIO(b)
			commits := 0
			for b.Loop() {
				appendOK(b, o, recs)
				if err := o.Delete(seqsOf(all(b, o))); err != nil {
					b.Fatal(err)
				}
				commits += 2
			}
			end := procIO(b)
			b.ReportMetric(float64(end["wchar"]-start["wchar"])/float64(commits), "B/commit")
			b.ReportMetric(float64(end["write_bytes"]-start["write_bytes"])/float64(commits), "disk-B/commit")
			b.ReportMetric(float64(fileSize(b, o.Path())), "file-B")
		})
	}
}
