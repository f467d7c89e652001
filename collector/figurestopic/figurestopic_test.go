package figurestopic

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/greenpulse-health/greenpulse/agents/officialfigures"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

// fakeBroker records what it acknowledged; fail refuses that many
// publishes first.
type fakeBroker struct {
	connected atomic.Bool
	mu        sync.Mutex
	fail      int
	got       []sent
}

type sent struct {
	topic   string
	payload []byte
}

func (b *fakeBroker) PublishRetained(_ context.Context, topic string, payload []byte) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail > 0 {
		b.fail--
		return errors.New("no PUBACK")
	}
	b.got = append(b.got, sent{topic, append([]byte(nil), payload...)})
	return nil
}

func (b *fakeBroker) Connected() bool { return b.connected.Load() }

func (b *fakeBroker) sent() []sent {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]sent(nil), b.got...)
}

var baghdad = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Baghdad")
	if err != nil {
		panic(err)
	}
	return loc
}()

// harness runs a publisher whose clock says now (changeable).
type harness struct {
	p      *Publisher
	broker *fakeBroker
	now    atomic.Pointer[time.Time]
}

func start(t *testing.T, now time.Time) *harness {
	t.Helper()
	h := &harness{broker: &fakeBroker{}}
	h.broker.connected.Store(true)
	h.now.Store(&now)
	// One facility at a time, so that marker's order holds.
	h.p = New(h.broker, "greenpulse", Options{Location: baghdad, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond, Window: 1,
		Now: func() time.Time { return *h.now.Load() }}, NewMetrics(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func (h *harness) setNow(t time.Time) { h.now.Store(&t) }

// waitSent waits until the broker acknowledged n messages in all.
func (h *harness) waitSent(t *testing.T, n int) []sent {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := h.broker.sent()
		if len(got) == n {
			return got
		}
		if len(got) > n || time.Now().After(deadline) {
			t.Fatalf("broker got %d messages, want %d: %s", len(got), n, topics(got))
		}
		time.Sleep(time.Millisecond)
	}
}

// marker publishes a facility that no other step uses and waits for it:
// the queue is in order, so a publish that should not have happened
// before it would have.
func (h *harness) marker(t *testing.T, month indicators.Period, before int) []sent {
	t.Helper()
	id := fmt.Sprintf("MARK-%d", before)
	h.p.Month(month, time.Now(), map[string][]indicators.Value{id: vals(float64(before))})
	got := h.waitSent(t, before+1)
	if got[before].topic != reading.FiguresTopic("greenpulse", id) {
		t.Fatalf("sent %s before the marker %s", topics(got[before:]), id)
	}
	return got[:before]
}

func topics(s []sent) string {
	var b bytes.Buffer
	for _, m := range s {
		fmt.Fprintf(&b, "%s ", m.topic)
	}
	return b.String()
}

func monthOf(y int, m time.Month) indicators.Period {
	return indicators.PeriodOf(indicators.Month, time.Date(y, m, 15, 12, 0, 0, 0, baghdad), baghdad)
}

// vals is a facility's month: waste and a ratio.
func vals(waste float64) []indicators.Value {
	return []indicators.Value{
		{ID: indicators.WasteKg, Value: waste, Facilities: 1},
		{ID: indicators.HazardousSharePct, Value: 25, Facilities: 1, Ratio: true, Num: waste / 4, Den: waste},
	}
}

func decode(t *testing.T, payload []byte) message {
	t.Helper()
	var m message
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatalf("%s: %v", payload, err)
	}
	return m
}

// TestMessageIsTheContract: one message a facility, on its topic, that the
// agent's decoder accepts with every value; the start is the local month's
// first day (its UTC start is the day before in Baghdad), computed_at is
// the roll-up's time in UTC, and a facility without values gets [].
func TestMessageIsTheContract(t *testing.T) {
	h := start(t, time.Date(2026, 12, 10, 9, 0, 0, 0, baghdad))
	at := time.Date(2026, 12, 10, 9, 15, 7, 0, baghdad)
	h.p.Month(monthOf(2026, 12), at, map[string][]indicators.Value{
		"BG-H-001": vals(1234.5),
		"BG-H-002": nil,
	})
	got := h.waitSent(t, 2)
	byTopic := map[string][]byte{}
	for _, m := range got {
		byTopic[m.topic] = m.payload
	}
	one, ok := byTopic["greenpulse/BG-H-001/figures"]
	if !ok {
		t.Fatalf("topics %s", topics(got))
	}
	want := `{"facility":"BG-H-001","period":"month","start":"2026-12-01","computed_at":"2026-12-10T06:15:07Z",` +
		`"values":[{"indicator":"waste_kg","value":1234.5,"facilities":1},{"indicator":"hazardous_share_pct","value":25,"facilities":1}]}`
	if string(one) != want {
		t.Errorf("message\n got %s\nwant %s", one, want)
	}
	month, err := officialfigures.Decode(one, "BG-H-001")
	if err != nil {
		t.Fatalf("the agent refuses it: %v", err)
	}
	if month.Start.String() != "2026-12-01" || month.Skipped != 0 || month.Values[indicators.WasteKg] != 1234.5 || month.Values[indicators.HazardousSharePct] != 25 {
		t.Errorf("the agent read %+v", month)
	}
	if m := decode(t, byTopic["greenpulse/BG-H-002/figures"]); string(m.Values) != "[]" {
		t.Errorf("a facility without values: values %s, want []", m.Values)
	}
	if _, err := officialfigures.Decode(byTopic["greenpulse/BG-H-002/figures"], "BG-H-002"); err != nil {
		t.Errorf("the agent refuses an empty month: %v", err)
	}
	if v := testutil.ToFloat64(h.p.metrics.published); v != 2 {
		t.Errorf("published_total = %v", v)
	}
}

// TestOnlyChangesArePublished: the same values again publish nothing (and
// keep the first computed_at); one facility's change publishes it alone.
func TestOnlyChangesArePublished(t *testing.T) {
	h := start(t, time.Date(2026, 12, 10, 9, 0, 0, 0, baghdad))
	dec := monthOf(2026, 12)
	month := func(a, b float64) map[string][]indicators.Value {
		return map[string][]indicators.Value{"A": vals(a), "B": vals(b), "C": vals(3)}
	}
	h.p.Month(dec, time.Now(), month(1, 2))
	h.waitSent(t, 3)

	h.p.Month(dec, time.Now(), month(1, 2))
	// A marker of the same month would replace these values before Run
	// took them: wait until it did.
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(h.p.metrics.unchanged) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("unchanged_total = %v, want 3", testutil.ToFloat64(h.p.metrics.unchanged))
		}
		time.Sleep(time.Millisecond)
	}
	if extra := h.marker(t, dec, 3); len(extra) != 3 {
		t.Fatalf("sent %s", topics(extra))
	}

	h.p.Month(dec, time.Now(), month(1, 2.5))
	got := h.waitSent(t, 5)
	if got[4].topic != "greenpulse/B/figures" || decode(t, got[4].payload).ComputedAt == "" {
		t.Errorf("after B changed: %s", topics(got[4:]))
	}
	if extra := h.marker(t, dec, 5); len(extra) != 5 {
		t.Fatalf("sent %s", topics(extra))
	}
	if !bytes.Contains(got[4].payload, []byte(`"value":2.5`)) {
		t.Errorf("B's new message %s", got[4].payload)
	}
}

// TestReconnectRepublishesAll: every facility's last message again, byte
// for byte (a broker may have lost them); nothing while disconnected.
func TestReconnectRepublishesAll(t *testing.T) {
	h := start(t, time.Date(2026, 12, 10, 9, 0, 0, 0, baghdad))
	dec := monthOf(2026, 12)
	h.p.Month(dec, time.Now(), map[string][]indicators.Value{"A": vals(1), "B": vals(2)})
	first := h.waitSent(t, 2)

	h.broker.connected.Store(false)
	h.p.Month(dec, time.Now(), map[string][]indicators.Value{"A": vals(1), "B": vals(7)})
	h.p.Reconnected() // a reconnect that failed at once: still disconnected
	h.broker.connected.Store(true)
	h.p.Reconnected()
	got := h.waitSent(t, 4)
	if extra := h.marker(t, dec, 4); len(extra) != 4 {
		t.Fatalf("sent %s", topics(extra))
	}
	again := map[string][]byte{}
	for _, m := range got[2:] {
		again[m.topic] = m.payload
	}
	if !bytes.Equal(again["greenpulse/A/figures"], first[0].payload) && !bytes.Equal(again["greenpulse/A/figures"], first[1].payload) {
		t.Errorf("A after reconnect %s, before %s / %s", again["greenpulse/A/figures"], first[0].payload, first[1].payload)
	}
	if !bytes.Contains(again["greenpulse/B/figures"], []byte(`"value":7`)) {
		t.Errorf("B after reconnect %s: want the values changed while away", again["greenpulse/B/figures"])
	}
}

// TestPreviousMonthInItsFirstDays: on the 2nd the previous month is
// published, and the current month after it (the retained message is
// the current month); on the 4th it is not, and a reconnect sends only
// the current month.
func TestPreviousMonthInItsFirstDays(t *testing.T) {
	h := start(t, time.Date(2026, 12, 2, 0, 30, 0, 0, baghdad))
	nov, dec := monthOf(2026, 11), monthOf(2026, 12)
	h.p.Month(dec, time.Now(), map[string][]indicators.Value{"A": vals(1)})
	h.waitSent(t, 1)
	h.p.Month(nov, time.Now(), map[string][]indicators.Value{"A": vals(90)})
	got := h.waitSent(t, 3)
	if s0, s1 := decode(t, got[1].payload).Start, decode(t, got[2].payload).Start; s0 != "2026-11-01" || s1 != "2026-12-01" {
		t.Errorf("after November changed: %s then %s; want November, then December again", s0, s1)
	}
	h.marker(t, dec, 3)

	h.setNow(time.Date(2026, 12, 4, 0, 30, 0, 0, baghdad))
	h.p.Month(nov, time.Now(), map[string][]indicators.Value{"A": vals(91)})
	h.marker(t, dec, 4)
	h.p.Reconnected()
	got = h.waitSent(t, 8) // A, MARK-3, MARK-4: December only
	for _, m := range got[5:] {
		if s := decode(t, m.payload).Start; s != "2026-12-01" {
			t.Errorf("on the 4th %s got month %s", m.topic, s)
		}
	}
	h.p.Month(indicators.PeriodOf(indicators.Day, time.Now(), baghdad), time.Now(), map[string][]indicators.Value{"A": vals(5)})
	h.marker(t, dec, 8)
}

// TestFailedPublishIsRetried: refused publishes are counted and tried
// again until acknowledged, once each.
func TestFailedPublishIsRetried(t *testing.T) {
	h := start(t, time.Date(2026, 12, 10, 9, 0, 0, 0, baghdad))
	h.broker.mu.Lock()
	h.broker.fail = 3
	h.broker.mu.Unlock()
	dec := monthOf(2026, 12)
	h.p.Month(dec, time.Now(), map[string][]indicators.Value{"A": vals(1), "B": vals(2)})
	got := h.waitSent(t, 2)
	if got[0].topic == got[1].topic {
		t.Errorf("sent %s", topics(got))
	}
	h.marker(t, dec, 2)
	if v := testutil.ToFloat64(h.p.metrics.errors); v != 3 {
		t.Errorf("publish_errors_total = %v, want 3", v)
	}
	if v := testutil.ToFloat64(h.p.metrics.published); v != 3 {
		t.Errorf("published_total = %v, want 3 (A, B, the marker)", v)
	}
	if v := testutil.ToFloat64(h.p.metrics.pending); v != 0 {
		t.Errorf("pending_facilities = %v", v)
	}
}

// TestEncodeValuesLeavesOutNonFinite: JSON has no NaN; the rest stays.
func TestEncodeValuesLeavesOutNonFinite(t *testing.T) {
	b, _ := encodeValues("2026-12-01", []indicators.Value{{ID: indicators.WasteKg, Value: 2, Facilities: 1}, {ID: indicators.EnergyKWh, Value: nanValue()}})
	if string(b) != `[{"indicator":"waste_kg","value":2,"facilities":1}]` {
		t.Errorf("values %s", b)
	}
	_, h1 := encodeValues("2026-12-01", vals(1))
	_, h2 := encodeValues("2026-11-01", vals(1))
	if h1 == h2 {
		t.Error("the same values of two months hash the same")
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

// gatedBroker holds every publish until the gate opens, counting how many
// wait at once.
type gatedBroker struct {
	fakeBroker
	gate              chan struct{}
	inflight, maxSeen atomic.Int32
}

func (b *gatedBroker) PublishRetained(ctx context.Context, topic string, payload []byte) error {
	n := b.inflight.Add(1)
	for {
		m := b.maxSeen.Load()
		if n <= m || b.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	defer b.inflight.Add(-1)
	select {
	case <-b.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.fakeBroker.PublishRetained(ctx, topic, payload)
}

// TestWindowBoundsInFlight: Window facilities are published at once, no
// more; values that change while a facility's message is in flight are
// sent after it, and those that change while it waits replace it.
func TestWindowBoundsInFlight(t *testing.T) {
	b := &gatedBroker{gate: make(chan struct{})}
	b.connected.Store(true)
	reg := prometheus.NewRegistry()
	p := New(b, "greenpulse", Options{Location: baghdad, Window: 4, Now: func() time.Time { return time.Date(2026, 12, 10, 9, 0, 0, 0, baghdad) }},
		NewMetrics(reg), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	dec := monthOf(2026, 12)
	month := func(v float64) map[string][]indicators.Value {
		m := map[string][]indicators.Value{}
		for i := range 10 {
			m[fmt.Sprintf("F%d", i)] = vals(v)
		}
		return m
	}
	p.Month(dec, time.Now(), month(1))
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	wait("4 in flight", func() bool { return b.inflight.Load() == 4 })
	p.Month(dec, time.Now(), month(2))
	wait("the new values taken", func() bool { return testutil.ToFloat64(p.metrics.pending) == 10 }) // the 4 in flight queued again
	close(b.gate)
	wait("every facility's new values", func() bool {
		last := map[string]string{}
		for _, m := range b.sent() {
			last[m.topic] = string(m.payload)
		}
		n := 0
		for _, payload := range last {
			if bytes.Contains([]byte(payload), []byte(`"value":2,`)) {
				n++
			}
		}
		return n == 10
	})
	if got := b.sent(); len(got) != 14 {
		t.Errorf("%d messages, want 14 (the 4 in flight twice): %s", len(got), topics(got))
	}
	if m := b.maxSeen.Load(); m != 4 {
		t.Errorf("at most %d in flight, want 4", m)
	}
}

// TestReconnectEndsThePause: after a failed publish the publisher waits
// (here an hour), but a reconnect sends at once.
func TestReconnectEndsThePause(t *testing.T) {
	b := &fakeBroker{fail: 1}
	b.connected.Store(true)
	p := New(b, "greenpulse", Options{Location: baghdad, RetryMin: time.Hour, Now: func() time.Time { return time.Date(2026, 12, 10, 9, 0, 0, 0, baghdad) }},
		NewMetrics(prometheus.NewRegistry()), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = p.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	p.Month(monthOf(2026, 12), time.Now(), map[string][]indicators.Value{"A": vals(1)})
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(p.metrics.errors) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("the publish never failed")
		}
		time.Sleep(time.Millisecond)
	}
	p.Reconnected()
	for len(b.sent()) < 1 {
		if time.Now().After(deadline) {
			t.Fatal("not published after the reconnect")
		}
		time.Sleep(time.Millisecond)
	}
}
