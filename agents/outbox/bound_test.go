package outbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/reading"
)

func TestBoundDropsTheOldest(t *testing.T) {
	const maxBytes = 64 << 10
	tests := []struct {
		name    string
		batches int
		perRec  func(r *rand.Rand) int // data bytes
		perCall func(r *rand.Rand) int // records
	}{
		{name: "equal records", batches: 100, perRec: func(*rand.Rand) int { return 150 }, perCall: func(*rand.Rand) int { return 10 }},
		{name: "mixed sizes", batches: 300, perRec: func(r *rand.Rand) int { return r.IntN(2000) }, perCall: func(r *rand.Rand) int { return 1 + r.IntN(20) }},
		{name: "batch as large as the bound", batches: 3, perRec: func(*rand.Rand) int { return maxBytes - 8 - 10 - len(reading.Waste) }, perCall: func(*rand.Rand) int { return 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			clk := newClock()
			o := open(t, "", outbox.Options{
				MaxBytes: maxBytes,
				Logger:   slog.New(slog.NewJSONHandler(&logs, nil)),
				Now:      clk.Now,
			})
			// model is what must be left: the newest records that fit.
			type rec struct {
				seq      uint64
				data     []byte
				appended time.Time
			}
			var (
				model    []rec
				live     int64
				seq      uint64
				dropped  uint64
				appended uint64
				wantAges []time.Duration // per Append that dropped
			)
			rnd := rand.New(rand.NewPCG(1, 2))
			for i := range tt.batches {
				clk.Advance(time.Minute)
				n := tt.perCall(rnd)
				recs := make([]outbox.Record, n)
				var sz int64
				for j := range recs {
					recs[j] = outbox.Record{Stream: reading.Waste, Data: bytes.Repeat([]byte{byte('a' + (i+j)%26)}, tt.perRec(rnd))}
					sz += size(recs[j])
				}
				first := true
				for live+sz > maxBytes {
					if first {
						wantAges = append(wantAges, clk.Now().Sub(model[0].appended))
						first = false
					}
					live -= size(outbox.Record{Stream: reading.Waste, Data: model[0].data})
					model = model[1:]
					dropped++
				}
				for _, r := range recs {
					seq++
					model = append(model, rec{seq, r.Data, clk.Now()})
				}
				live += sz
				appended += uint64(n)

				appendOK(t, o, recs)
				st := o.Stats()
				if st.Bytes > maxBytes {
					t.Fatalf("batch %d: %d live bytes exceed the bound of %d", i, st.Bytes, maxBytes)
				}
				if st.Bytes != live || st.Readings != int64(len(model)) || st.Dropped != dropped || st.Appended != appended ||
					!st.Oldest.Equal(model[0].appended) {
					t.Fatalf("batch %d: stats = %+v, want %d bytes, %d readings, %d dropped, %d appended", i, st, live, len(model), dropped, appended)
				}
			}
			if dropped == 0 {
				t.Fatal("the test appended too little to drop anything")
			}
			got := all(t, o)
			if len(got) != len(model) {
				t.Fatalf("%d records left, want %d", len(got), len(model))
			}
			for i, it := range got {
				if it.Seq != model[i].seq || !bytes.Equal(it.Data, model[i].data) {
					t.Fatalf("record %d: seq %d, want %d (the newest must survive)", i, it.Seq, model[i].seq)
				}
			}

			// One Warn line per Append that dropped, with the count and the
			// age of the oldest dropped.
			type line struct {
				Level     string
				Msg       string
				Dropped   uint64
				OldestAge time.Duration `json:"oldest_age"` // slog's JSON handler writes nanoseconds
			}
			var lines []line
			for text := range strings.Lines(logs.String()) {
				var l line
				if err := json.Unmarshal([]byte(text), &l); err != nil {
					t.Fatalf("log line %q: %v", text, err)
				}
				lines = append(lines, l)
			}
			if len(lines) != len(wantAges) {
				t.Fatalf("%d log lines, want %d:\n%s", len(lines), len(wantAges), logs.String())
			}
			var logged uint64
			for k, l := range lines {
				if l.Level != "WARN" || !strings.Contains(l.Msg, "dropped") || l.Dropped == 0 || l.OldestAge != wantAges[k] {
					t.Fatalf("log line %d = %+v, want WARN, a count and age %v", k, l, wantAges[k])
				}
				logged += l.Dropped
			}
			if logged != dropped {
				t.Fatalf("log lines count %d dropped, want %d", logged, dropped)
			}
		})
	}
}

func TestAppendRejects(t *testing.T) {
	const maxBytes = 4096
	tests := []struct {
		name    string
		recs    []outbox.Record
		wantErr string
	}{
		{
			name:    "one record over the bound",
			recs:    []outbox.Record{{Stream: reading.Energy, Data: make([]byte, maxBytes)}},
			wantErr: fmt.Sprintf("%d bytes, exceeds the bound of %d bytes", maxBytes+8+10+len(reading.Energy), maxBytes),
		},
		{
			name:    "a batch over the bound",
			recs:    batch(7, 30),
			wantErr: fmt.Sprintf("batch of 30 records, %d bytes, exceeds the bound of %d bytes", sizeOf(batch(7, 30)), maxBytes),
		},
		{
			name:    "stream name too long",
			recs:    []outbox.Record{{Stream: reading.Energy}, {Stream: reading.Stream(strings.Repeat("s", 256))}},
			wantErr: "record 1: stream name of 256 bytes exceeds 255",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := open(t, "", outbox.Options{MaxBytes: maxBytes, Now: newClock().Now})
			appendOK(t, o, batch(0, 2))
			<-o.Notify()
			before, stats := all(t, o), o.Stats()

			err := o.Append(tt.recs)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Append = %v, want an error containing %q", err, tt.wantErr)
			}
			if after := all(t, o); !equalItems(after, before) {
				t.Fatalf("outbox changed: %v, before %v", seqsOf(after), seqsOf(before))
			}
			wantStats(t, o, stats)
			select {
			case <-o.Notify():
				t.Fatal("a failed Append notified")
			default:
			}
		})
	}
}

func sizeOf(recs []outbox.Record) (n int64) {
	for _, r := range recs {
		n += size(r)
	}
	return n
}
