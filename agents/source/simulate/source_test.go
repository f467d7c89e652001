package simulate_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/reading"
)

// The agent's view of a source.
var _ interface {
	Name() string
	Run(ctx context.Context, emit func([]reading.Reading) error) error
} = (*simulate.Source)(nil)

// TestSourceFakeClock runs a source on a clock that moves a tick further
// each time a batch is emitted, so ticks come without waiting.
func TestSourceFakeClock(t *testing.T) {
	const ticks = 40
	interval := 20 * time.Minute
	f := testFacilities(t)[1]
	sim := simulate.New(f, 1)
	start := time.Date(2025, 10, 5, 6, 3, 0, 0, baghdad) // before, through and after working hours
	now := start
	src := simulate.NewSource(sim, interval, nil)
	src.Now = func() time.Time { return now }

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var batches [][]reading.Reading
	err := src.Run(ctx, func(rs []reading.Reading) error {
		batches = append(batches, rs)
		if len(batches) == ticks {
			cancel()
		}
		now = now.Add(interval)
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if len(batches) != ticks {
		t.Fatalf("%d batches, want %d", len(batches), ticks)
	}

	first := start.Truncate(interval)
	var events []reading.Reading
	for i, b := range batches {
		tick := first.Add(time.Duration(i) * interval)
		samples := sim.Samples(tick)
		if len(b) < len(samples) || !reflect.DeepEqual(b[:len(samples)], samples) {
			t.Fatalf("batch %d does not start with Samples(%s)", i, tick)
		}
		for _, e := range b[len(samples):] {
			if e.Stream != reading.Waste {
				t.Fatalf("batch %d: %s reading after the samples", i, e.Stream)
			}
			if !e.Time.After(tick.Add(-interval)) || e.Time.After(tick) {
				t.Errorf("batch %d at %s: waste event at %s, want in the tick before", i, tick, e.Time)
			}
		}
		events = append(events, b[len(samples):]...)
	}
	if want := sim.WasteEvents(start); !reflect.DeepEqual(events, want) {
		t.Errorf("the batches hold %d waste events, the day has %d", len(events), len(want))
	}
}

// TestSourceRealClock runs a source on the real clock with a short
// interval and checks it emits aligned, increasing ticks until cancelled.
func TestSourceRealClock(t *testing.T) {
	interval := 5 * time.Millisecond
	src := simulate.NewSource(simulate.New(testFacilities(t)[0], 1), interval, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var ticks []time.Time
	err := src.Run(ctx, func(rs []reading.Reading) error {
		ticks = append(ticks, rs[0].Time)
		if len(ticks) == 4 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled (ticks %v)", err, ticks)
	}
	for i, tick := range ticks {
		if !tick.Equal(tick.Truncate(interval)) {
			t.Errorf("tick %s not aligned to %s", tick, interval)
		}
		if i > 0 && !tick.After(ticks[i-1]) {
			t.Errorf("tick %s after %s", tick, ticks[i-1])
		}
	}
}

func TestSourceEmitError(t *testing.T) {
	src := simulate.NewSource(simulate.New(testFacilities(t)[0], 1), time.Minute, nil)
	boom := errors.New("outbox full")
	calls := 0
	err := src.Run(context.Background(), func([]reading.Reading) error {
		calls++
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("Run returned %v, want it to wrap %v", err, boom)
	}
	if calls != 1 {
		t.Errorf("emit called %d times, want 1", calls)
	}
}

// TestSourceClockSteps checks the source through a clock that jumps a day
// ahead and then an hour back.
func TestSourceClockSteps(t *testing.T) {
	interval := time.Hour
	sim := simulate.New(testFacilities(t)[0], 1)
	t0 := time.Date(2025, 10, 5, 5, 30, 0, 0, baghdad)
	clock := []time.Time{t0, t0.Add(30 * time.Hour), t0.Add(29 * time.Hour), t0.Add(30 * time.Hour)}
	src := simulate.NewSource(sim, interval, nil)
	n := 0
	src.Now = func() time.Time { return clock[min(n, len(clock)-1)] }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []time.Time
	var events int
	err := src.Run(ctx, func(rs []reading.Reading) error {
		got = append(got, rs[0].Time.In(baghdad))
		for _, r := range rs {
			if r.Stream == reading.Waste {
				events++
			}
		}
		if n++; n == len(clock) {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
	want := []time.Time{t0.Truncate(interval), t0.Add(30 * time.Hour).Truncate(interval),
		t0.Add(29 * time.Hour).Truncate(interval), t0.Add(30 * time.Hour).Truncate(interval)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ticks %v, want %v", got, want)
	}
	// The day jumped over still hands over its waste, once.
	if want := len(sim.WasteEvents(t0)); events < want {
		t.Errorf("%d waste events emitted, want at least the %d of the day jumped over", events, want)
	}
}

// TestSourceUnsetClock checks that a source whose clock reads 1970, as a
// box without a real-time clock does before NTP, waits instead of emitting
// readings the collector would reject.
func TestSourceUnsetClock(t *testing.T) {
	interval := time.Millisecond
	valid := time.Date(2025, 10, 5, 12, 0, 0, 0, time.UTC)
	src := simulate.NewSource(simulate.New(testFacilities(t)[0], 1), interval, nil)
	calls := 0
	src.Now = func() time.Time {
		if calls++; calls <= 3 {
			return time.Unix(int64(calls), 0)
		}
		return valid
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []time.Time
	err := src.Run(ctx, func(rs []reading.Reading) error {
		got = append(got, rs[0].Time)
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
	if len(got) != 1 || !got[0].Equal(valid) {
		t.Errorf("emitted ticks %v, want only %s", got, valid)
	}
}
