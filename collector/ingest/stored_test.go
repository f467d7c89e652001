package ingest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/reading"
)

// storedLog records what the pipeline says is stored, and which messages
// had been acknowledged by then.
type storedLog struct {
	mu       sync.Mutex
	acks     *ackLog
	readings []reading.Reading
	ackedAt  []int // acknowledgements seen at each call
}

func (s *storedLog) Stored(rs []reading.Reading) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		// The pipeline reuses its slice: keep copies.
		s.readings = append(s.readings, r)
	}
	s.ackedAt = append(s.ackedAt, len(s.acks.snapshot()))
}

func (s *storedLog) snapshot() ([]reading.Reading, []int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]reading.Reading(nil), s.readings...), append([]int(nil), s.ackedAt...)
}

func TestStoredGetsOnlyStoredWasteReadingsBeforeTheirAck(t *testing.T) {
	tests := []struct {
		name     string
		writer   *scriptedWriter
		wantTold int
	}{
		{"stored", &scriptedWriter{}, 2},
		{"stored after retries", &scriptedWriter{failures: 2, err: errors.New("connection refused")}, 2},
		{"refused by influxdb", &scriptedWriter{failures: 1, err: &influx.WriteError{Status: 400, Message: "partial write"}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := newTestPipeline(t, tt.writer, &recordingPublisher{})
			acks := &ackLog{}
			told := &storedLog{acks: acks}
			p.OnStored(told)
			queue := make(chan Message, 10)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- p.Run(ctx, queue) }()

			// The waste message first: it is in the first batch, the one
			// the refusing writer refuses.
			queue <- acks.message(0, "greenpulse/F1/waste", `[{"category":"infectious","treatment":"open_burning","mass_kg":3},`+
				`{"category":"sharps","treatment":"autoclave","mass_kg":1,"stored_hours":72}]`)
			queue <- acks.message(1, "greenpulse/F1/solar", `{"kwh_total":5}`)
			queue <- acks.message(2, "greenpulse/F1/waste", `{"category":"bogus","treatment":"open_burning","mass_kg":3}`)
			waitFor(t, "every message acknowledged", func() bool { return len(acks.snapshot()) == 3 })
			cancel()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			rs, ackedAt := told.snapshot()
			if len(rs) != tt.wantTold {
				t.Fatalf("told of %d readings, want %d: %+v", len(rs), tt.wantTold, rs)
			}
			for _, r := range rs {
				if r.Stream != reading.Waste || r.Facility != "F1" {
					t.Errorf("told of %+v; want only F1's waste readings", r)
				}
			}
			// Told before the waste message (the first one) is
			// acknowledged: a crash in between redelivers it, so the
			// alert is repeated, not lost.
			for _, n := range ackedAt {
				if n != 0 {
					t.Errorf("told with %d messages acknowledged; want the alerts told before the acknowledgement", n)
				}
			}
		})
	}
}
