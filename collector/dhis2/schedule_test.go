package dhis2

import (
	"io"
	"log/slog"
	"testing"
	"time"
)

func TestSchedulerFindsAMissedPush(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Baghdad")
	at := func(day, hour int) time.Time { return time.Date(2026, 12, day, hour, 0, 0, 0, loc) }
	pushed := func(tm time.Time, period string, failed bool) Record {
		r := Record{Time: tm.UTC(), Period: period}
		if failed {
			r.Error = "HTTP 500"
		}
		return r
	}
	tests := []struct {
		name   string
		now    time.Time
		log    []Record
		missed bool
	}{
		{"before the first push of the month", at(4, 12), nil, false},
		{"the 5th passed without a push", at(6, 9), nil, true},
		{"pushed on the 5th", at(6, 9), []Record{pushed(at(5, 2), "202611", false)}, false},
		{"the push of the 5th failed", at(6, 9), []Record{pushed(at(5, 2), "202611", true)}, true},
		{"pushed another month", at(6, 9), []Record{pushed(at(5, 2), "202610", false)}, true},
		{"the 15th passed, pushed only on the 5th", at(16, 0), []Record{pushed(at(5, 2), "202611", false)}, true},
		{"pushed by hand after the 15th", at(20, 0), []Record{pushed(at(17, 8), "202611", false)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := NewScheduler(nil, SchedulerOptions{Specs: []string{"0 2 5 * *", "0 2 15 * *"}, Location: loc,
				Latest: func() ([]Record, error) { return tt.log, nil }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			s.now = func() time.Time { return tt.now }
			if got := s.missed(); got != tt.missed {
				t.Errorf("missed() = %v, want %v", got, tt.missed)
			}
			if got := PeriodID(s.previousMonth()); got != "202611" {
				t.Errorf("previous month %s, want 202611", got)
			}
		})
	}
}
