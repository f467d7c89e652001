package outbox_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/reading"
)

// TestHelperAppender is the child process of TestSurvivesSIGKILL, not a
// test: it appends batches until killed and prints "ack <batch> <last seq>"
// for each Append that returned.
func TestHelperAppender(t *testing.T) {
	dir := os.Getenv(helperEnv)
	if dir == "" {
		t.Skip("helper process for TestSurvivesSIGKILL")
	}
	o, err := outbox.Open(dir, outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	stop := time.Now().Add(20 * time.Second) // a parent that never kills us
	for i := 0; time.Now().Before(stop); i++ {
		if err := o.Append(batch(i, helperPerBatch)); err != nil {
			t.Fatal(err)
		}
		last, err := o.Newest(1, 0, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		// os.Stdout is unbuffered: the line is out before the next Append.
		if _, err := fmt.Fprintf(os.Stdout, "ack %d %d\n", i, last[0].Seq); err != nil {
			t.Fatal(err)
		}
	}
}

func TestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperAppender$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	type ack struct {
		batch int
		seq   uint64
	}
	var acks []ack
	sc := bufio.NewScanner(out)
	for len(acks) < 300 && sc.Scan() {
		var a ack
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d", &a.batch, &a.seq); err == nil {
			acks = append(acks, a)
		}
	}
	// SIGKILL: no deferred Close, no flush, mid-transaction most likely.
	killErr := cmd.Process.Kill()
	// The child writes on while the parent reads: the lines it printed
	// before it died still wait in the pipe. They are acknowledgements too,
	// and must be read before Wait closes the pipe.
	for sc.Scan() {
		var a ack
		if _, err := fmt.Sscanf(sc.Text(), "ack %d %d", &a.batch, &a.seq); err == nil {
			acks = append(acks, a)
		}
	}
	waitErr := cmd.Wait()
	if len(acks) < 300 {
		t.Fatalf("child acknowledged %d batches, then: %v; stderr:\n%s", len(acks), waitErr, stderr.String())
	}
	if killErr != nil {
		t.Fatalf("kill: %v (the child exited on its own: %v)", killErr, waitErr)
	}

	o := open(t, dir, outbox.Options{})
	items := all(t, o)
	bySeq := make(map[uint64]outbox.Item, len(items))
	for _, it := range items {
		bySeq[it.Seq] = it
	}
	for _, a := range acks {
		for j := range helperPerBatch {
			seq := a.seq - helperPerBatch + 1 + uint64(j)
			it, ok := bySeq[seq]
			if !ok {
				t.Fatalf("acknowledged seq %d (batch %d) is missing after SIGKILL", seq, a.batch)
			}
			if it.Stream != reading.Energy || !bytes.Equal(it.Data, payload(a.batch, j)) {
				t.Fatalf("seq %d: %s %q, want batch %d record %d", seq, it.Stream, it.Data, a.batch, j)
			}
		}
	}
	// A batch is one transaction: the child may have committed one more
	// than it reported, but never part of one.
	if n := len(items); n%helperPerBatch != 0 || n > (len(acks)+1)*helperPerBatch {
		t.Fatalf("%d records after SIGKILL, %d batches of %d acknowledged", n, len(acks), helperPerBatch)
	}
	st := o.Stats()
	if st.Readings != int64(len(items)) || st.Bytes != sizeOf(recordsOf(items)) {
		t.Fatalf("stats after SIGKILL = %+v for %d records", st, len(items))
	}
	t.Logf("%d batches acknowledged, %d records on disk after SIGKILL", len(acks), len(items))
}

func recordsOf(items []outbox.Item) []outbox.Record {
	recs := make([]outbox.Record, len(items))
	for i, it := range items {
		recs[i] = outbox.Record{Stream: it.Stream, Data: it.Data}
	}
	return recs
}

func BenchmarkAppend(b *testing.B) {
	o := open(b, "", outbox.Options{})
	recs := batch(0, 10)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		appendOK(b, o, recs)
		n += len(recs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkDrain empties a week's backlog of four one-minute series, as the
// publisher does after a long outage.
func BenchmarkDrain(b *testing.B) {
	const records = 7 * 1440 * 4
	o := open(b, "", outbox.Options{})
	drained := 0
	for b.Loop() {
		b.StopTimer()
		for i := 0; i < records; i += 1440 {
			appendOK(b, o, batch(i, 1440))
		}
		b.StartTimer()
		for {
			items, err := o.Oldest(500, 256<<10)
			if err != nil {
				b.Fatal(err)
			}
			if len(items) == 0 {
				break
			}
			if err := o.Delete(seqsOf(items)); err != nil {
				b.Fatal(err)
			}
			drained += len(items)
		}
	}
	if drained != b.N*records {
		b.Fatalf("drained %d records, want %d", drained, b.N*records)
	}
	b.ReportMetric(float64(drained)/b.Elapsed().Seconds(), "records/s")
}
