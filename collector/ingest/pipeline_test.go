package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/registry"
)

// scriptedWriter fails its first failures writes, then stores. With
// slowEvery, every slowEvery-th write takes longer than the ones after it,
// so concurrent writes finish out of order.
type scriptedWriter struct {
	mu        sync.Mutex
	failures  int
	err       error
	attempts  int
	lines     []string
	slowEvery int
}

func (w *scriptedWriter) Write(_ context.Context, lp []byte) error {
	w.mu.Lock()
	w.attempts++
	slow := w.slowEvery > 0 && w.attempts%w.slowEvery == 1
	w.mu.Unlock()
	if slow {
		time.Sleep(20 * time.Millisecond) // a slow write, not synchronisation
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failures > 0 {
		w.failures--
		return w.err
	}
	w.lines = append(w.lines, strings.Split(strings.TrimSpace(string(lp)), "\n")...)
	return nil
}

func (w *scriptedWriter) stored() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.lines...)
}

type recordingPublisher struct {
	mu     sync.Mutex
	topics []string
}

func (p *recordingPublisher) Publish(topic string, _ []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.topics = append(p.topics, topic)
}

type knownFacilities map[string]bool

func (k knownFacilities) Lookup(id string) (registry.Facility, bool) {
	return registry.Facility{ID: id}, k[id]
}

// ackLog records acknowledgements in the order they happen.
type ackLog struct {
	mu   sync.Mutex
	acks []int
}

func (a *ackLog) message(i int, topic, payload string) Message {
	return Message{Topic: topic, Payload: []byte(payload), Received: time.Now(), ack: func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		a.acks = append(a.acks, i)
	}}
}

func (a *ackLog) snapshot() []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int(nil), a.acks...)
}

func newTestPipeline(t *testing.T, w Writer, pub Publisher) (*Pipeline, *StatusBook) {
	t.Helper()
	cfg := config.Default().Ingest
	cfg.BatchMessages = 7 // several batches, and a partial one left for the timer
	cfg.Writers = 3
	cfg.FlushInterval = 20 * time.Millisecond
	cfg.RetryInitial = time.Millisecond
	cfg.RetryMax = 5 * time.Millisecond
	cfg.ShutdownTimeout = time.Second
	statuses := NewStatusBook()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return NewPipeline(cfg, "greenpulse", knownFacilities{"F1": true}, w, pub, statuses,
		NewMetrics(prometheus.NewRegistry()), log), statuses
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestAcksFollowWritesInOrder sends good, bad and status messages through a
// writer that fails three times and whose writes finish out of order:
// nothing is acknowledged before its batch is stored, and acknowledgements
// come back in the order messages arrived.
func TestAcksFollowWritesInOrder(t *testing.T) {
	w := &scriptedWriter{failures: 3, err: errors.New("connection refused"), slowEvery: 3}
	pub := &recordingPublisher{}
	p, statuses := newTestPipeline(t, w, pub)
	queue := make(chan Message, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, queue) }()

	acks := &ackLog{}
	const n = 40
	for i := range n {
		switch {
		case i%10 == 3:
			queue <- acks.message(i, "greenpulse/UNKNOWN/energy", `{"source":"grid","kwh_total":1}`)
		case i%10 == 5:
			queue <- acks.message(i, "greenpulse/F1/status", `{"online":true,"version":"1.0"}`)
		default:
			queue <- acks.message(i, "greenpulse/F1/energy",
				fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":%d}`, time.Now().Add(-time.Hour).UnixMilli()+int64(i), i))
		}
	}
	waitFor(t, "all acks", func() bool { return len(acks.snapshot()) == n })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	for i, got := range acks.snapshot() {
		if got != i {
			t.Fatalf("ack %d was message %d; acks %v", i, got, acks.snapshot())
		}
	}
	if got := len(w.stored()); got != 32 {
		t.Errorf("stored %d points, want 32 (40 less 4 unknown-facility, less 4 status)", got)
	}
	if w.attempts < 4 {
		t.Errorf("%d write attempts, want the 3 failures retried", w.attempts)
	}
	if len(pub.topics) != 4 || pub.topics[0] != "greenpulse/_rejected/UNKNOWN/energy" {
		t.Errorf("rejections published to %v", pub.topics)
	}
	if st, ok := statuses.Get("F1"); !ok || st.Status.Version != "1.0" {
		t.Errorf("status of F1: %+v, %v", st, ok)
	}
	// The energy readings are stamped an hour ago plus their index in ms:
	// the newest is the last one sent (i = 39).
	if last, ok := statuses.LastReading("F1"); !ok || time.Since(last) > time.Hour+time.Minute || time.Since(last) < time.Hour-time.Minute {
		t.Errorf("last reading of F1: %v, %v; want about an hour ago", last, ok)
	}
	if _, ok := statuses.LastReading("UNKNOWN"); ok {
		t.Error("a rejected facility has a last reading")
	}
}

// TestNothingAckedWhileWritesFail keeps InfluxDB "down": messages stay
// unacknowledged, and on shutdown the pipeline gives up after the timeout
// without acknowledging them, so the broker redelivers them.
func TestNothingAckedWhileWritesFail(t *testing.T) {
	w := &scriptedWriter{failures: 1 << 30, err: errors.New("connection refused")}
	p, _ := newTestPipeline(t, w, &recordingPublisher{})
	queue := make(chan Message, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, queue) }()

	acks := &ackLog{}
	queue <- acks.message(0, "greenpulse/F1/solar", `{"kwh_total":5}`)
	waitFor(t, "retries", func() bool { w.mu.Lock(); defer w.mu.Unlock(); return w.attempts >= 3 })
	cancel()
	if err := <-done; err == nil {
		t.Error("Run returned nil; want the shutdown-timeout error")
	}
	if got := acks.snapshot(); len(got) != 0 {
		t.Errorf("acknowledged %v while every write failed", got)
	}
}

// TestPermanentErrorDoesNotStall acknowledges a batch InfluxDB refused for
// its content, because resending it could never succeed.
func TestPermanentErrorDoesNotStall(t *testing.T) {
	w := &scriptedWriter{failures: 1, err: &influx.WriteError{Status: 400, Message: "partial write: field type conflict"}}
	p, _ := newTestPipeline(t, w, &recordingPublisher{})
	queue := make(chan Message, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = p.Run(ctx, queue) }()

	acks := &ackLog{}
	queue <- acks.message(0, "greenpulse/F1/solar", `{"kwh_total":5}`)
	waitFor(t, "ack after permanent error", func() bool { return len(acks.snapshot()) == 1 })
	queue <- acks.message(1, "greenpulse/F1/solar", `{"kwh_total":6}`)
	waitFor(t, "next message stored", func() bool { return len(w.stored()) == 1 })
}

func TestSplitTopic(t *testing.T) {
	tests := []struct {
		topic, facility, stream string
		ok                      bool
	}{
		{"greenpulse/BG-H-001/energy", "BG-H-001", "energy", true},
		{"greenpulse/a_b/status", "a_b", "status", true},
		{"greenpulse/a.b/energy", "", "", false},
		{"greenpulse/a/b/c", "", "", false},
		{"other/a/energy", "", "", false},
		{"greenpulse//energy", "", "", false},
		{"greenpulse/" + strings.Repeat("x", 65) + "/energy", "", "", false},
	}
	for _, tt := range tests {
		f, s, ok := splitTopic("greenpulse", tt.topic)
		if f != tt.facility || s != tt.stream || ok != tt.ok {
			t.Errorf("splitTopic(%q) = %q, %q, %v; want %q, %q, %v", tt.topic, f, s, ok, tt.facility, tt.stream, tt.ok)
		}
	}
}

// TestIdleFlushServesASmallBrokerWindow feeds the pipeline the way a broker
// with a 20-message inflight window does: 20 messages, then nothing until
// they are acknowledged. Batches must go out on idleness, not on the long
// flush interval, or the collector would take one window per interval.
func TestIdleFlushServesASmallBrokerWindow(t *testing.T) {
	w := &scriptedWriter{}
	p, _ := newTestPipeline(t, w, &recordingPublisher{})
	p.cfg.BatchMessages = 1000
	p.cfg.FlushInterval = time.Minute
	p.cfg.IdleFlush = config.Default().Ingest.IdleFlush // the shipped one
	queue := make(chan Message, 100)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, queue) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})

	acks := &ackLog{}
	const window, windows = 20, 10
	start := time.Now()
	for k := range windows {
		for i := range window {
			n := k*window + i
			queue <- acks.message(n, "greenpulse/F1/energy",
				fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":%d}`, time.Now().Add(-time.Hour).UnixMilli()+int64(n), n))
		}
		waitFor(t, fmt.Sprintf("window %d acknowledged", k), func() bool { return len(acks.snapshot()) == (k+1)*window })
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("%d windows took %s: batches waited for the flush interval", windows, took)
	}
	if got := len(w.stored()); got != window*windows {
		t.Errorf("stored %d points, want %d", got, window*windows)
	}
}

// TestAlertsTopicIsLeftAlone sends the collector's own retained alert
// lists as its subscription receives them, among readings: each is
// acknowledged in its place, and none is stored, rejected or counted as a
// reading, whatever its facility or payload.
func TestAlertsTopicIsLeftAlone(t *testing.T) {
	w := &scriptedWriter{}
	pub := &recordingPublisher{}
	p, statuses := newTestPipeline(t, w, pub)
	queue := make(chan Message, 10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx, queue) }()

	acks := &ackLog{}
	msgs := []struct{ topic, payload string }{
		{"greenpulse/F1/alerts", `[{"id":"open_burning.F1","facility":"F1","severity":"critical"}]`},
		{"greenpulse/F1/energy", fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":1}`, time.Now().Add(-time.Hour).UnixMilli())},
		{"greenpulse/F1/alerts", `[]`},
		{"greenpulse/GONE/alerts", `[]`},                     // not in the registry
		{"greenpulse/F1/alerts", strings.Repeat("x", 2<<20)}, // beyond max_payload_bytes
		{"greenpulse/F1/alerts", `not json`},
		{"greenpulse/F1/alertz", `{}`}, // an unknown stream is still rejected
	}
	for i, m := range msgs {
		queue <- acks.message(i, m.topic, m.payload)
	}
	waitFor(t, "all acks", func() bool { return len(acks.snapshot()) == len(msgs) })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	for i, got := range acks.snapshot() {
		if got != i {
			t.Fatalf("acks %v, want in order", acks.snapshot())
		}
	}
	if got := w.stored(); len(got) != 1 || !strings.HasPrefix(got[0], "energy,") {
		t.Errorf("stored %q, want the one energy reading", got)
	}
	if len(pub.topics) != 1 || pub.topics[0] != "greenpulse/_rejected/F1/alertz" {
		t.Errorf("rejections published to %v, want only the unknown stream's", pub.topics)
	}
	if _, ok := statuses.Get("F1"); ok {
		t.Error("an alert list was taken for an agent status")
	}
}
