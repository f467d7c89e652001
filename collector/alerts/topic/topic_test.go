package topic

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/registry"
)

// fakeStore is an alert store whose alerts the test sets.
type fakeStore struct {
	mu     sync.Mutex
	alerts []alerts.Alert
}

func (s *fakeStore) set(as ...alerts.Alert) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.alerts = as
}

func (s *fakeStore) List(f alerts.Filter) []alerts.Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []alerts.Alert // nil when none, which Store allows
	for _, a := range s.alerts {
		if (f.Facility == "" || a.Facility == f.Facility) && (f.State != "active" || a.State.Active()) {
			out = append(out, a)
		}
	}
	return out
}

// published is one message the fake broker acknowledged.
type published struct {
	topic    string
	ids      []string // of the alerts in the payload
	retained bool
}

// fakeBroker acknowledges publishes while up, unless hold holds them
// until release; it records what it acknowledged.
type fakeBroker struct {
	mu      sync.Mutex
	up      bool
	fail    int // publishes to refuse
	hold    chan struct{}
	got     []published
	started chan string // the topic of each publish as it starts
}

func newFakeBroker(up bool) *fakeBroker {
	return &fakeBroker{up: up, started: make(chan string, 100)}
}

func (b *fakeBroker) PublishRetained(ctx context.Context, topic string, payload []byte) error {
	select {
	case b.started <- topic:
	default: // nobody looks past the first hundred
	}
	b.mu.Lock()
	hold := b.hold
	b.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail > 0 {
		b.fail--
		return errors.New("refused")
	}
	var list []alerts.Alert
	if err := json.Unmarshal(payload, &list); err != nil || list == nil {
		return errors.New("payload is not a JSON array of alerts: " + string(payload))
	}
	p := published{topic: topic, retained: true, ids: []string{}}
	for _, a := range list {
		p.ids = append(p.ids, a.ID)
	}
	b.got = append(b.got, p)
	return nil
}

func (b *fakeBroker) Connected() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.up
}

func (b *fakeBroker) setUp(up bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.up = up
}

func (b *fakeBroker) messages() []published {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.got)
}

func alert(rule, facility string, state alerts.State) alerts.Alert {
	a := alerts.Alert{ID: alerts.ID(rule, facility), Rule: rule, Facility: facility, Severity: alerts.Critical, State: state,
		Message: rule + " at " + facility, FirstSeen: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	if state == alerts.Cleared {
		at := a.FirstSeen.Add(time.Hour)
		a.ClearedAt = &at
	}
	return a
}

// start runs a notifier over store and broker until the test ends.
func start(t *testing.T, store Store, broker Broker) *Notifier {
	t.Helper()
	reg := prometheus.NewRegistry()
	n := New(store, broker, "greenpulse", Options{AckTimeout: time.Second, RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond},
		NewMetrics(reg), slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return n
}

// waitMessages waits until broker acknowledged want messages and returns
// them.
func waitMessages(t *testing.T, b *fakeBroker, want int) []published {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := b.messages()
		if len(got) >= want {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d messages published, want %d: %+v", len(got), want, got)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPublishesTheFacilitysActiveList(t *testing.T) {
	tests := []struct {
		name   string
		stored []alerts.Alert
		notify func(n *Notifier)
		want   []published
	}{{
		name:   "firing: the facility's active alerts only",
		stored: []alerts.Alert{alert("open_burning", "F1", alerts.ActiveUnacknowledged), alert("storage_exceeded", "F1", alerts.ActiveAcknowledged), alert("open_dumping", "F1", alerts.Cleared), alert("open_burning", "F2", alerts.ActiveUnacknowledged)},
		notify: func(n *Notifier) { n.Firing(alert("open_burning", "F1", alerts.ActiveUnacknowledged)) },
		want:   []published{{"greenpulse/F1/alerts", []string{"open_burning.F1", "storage_exceeded.F1"}, true}},
	}, {
		name:   "resolved, none left: []",
		stored: []alerts.Alert{alert("open_burning", "F1", alerts.Cleared)},
		notify: func(n *Notifier) { n.Resolved(alert("open_burning", "F1", alerts.Cleared)) },
		want:   []published{{"greenpulse/F1/alerts", []string{}, true}},
	}, {
		name:   "two facilities, in the order they changed",
		stored: []alerts.Alert{alert("open_burning", "F1", alerts.ActiveUnacknowledged), alert("open_dumping", "F2", alerts.ActiveUnacknowledged)},
		notify: func(n *Notifier) {
			n.Firing(alert("open_dumping", "F2", alerts.ActiveUnacknowledged))
			n.Firing(alert("open_burning", "F1", alerts.ActiveUnacknowledged))
		},
		want: []published{{"greenpulse/F2/alerts", []string{"open_dumping.F2"}, true}, {"greenpulse/F1/alerts", []string{"open_burning.F1"}, true}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := &fakeStore{}
			store.set(tt.stored...)
			broker := newFakeBroker(true)
			n := start(t, store, broker)
			tt.notify(n)
			got := waitMessages(t, broker, len(tt.want))
			if !slices.EqualFunc(got, tt.want, func(a, b published) bool {
				return a.topic == b.topic && a.retained == b.retained && slices.Equal(a.ids, b.ids)
			}) {
				t.Errorf("published %+v, want %+v", got, tt.want)
			}
			if v := testutil.ToFloat64(n.metrics.publishes.WithLabelValues("ok")); v != float64(len(tt.want)) {
				t.Errorf("publishes{result=ok} = %v, want %d", v, len(tt.want))
			}
		})
	}
}

// TestFiringNeverWaitsForTheBroker holds the broker's acknowledgement:
// Firing still returns at once, and the changes made meanwhile are folded
// into one message a facility, carrying the latest list.
func TestFiringNeverWaitsForTheBroker(t *testing.T) {
	store := &fakeStore{}
	store.set(alert("open_burning", "F1", alerts.ActiveUnacknowledged))
	broker := newFakeBroker(true)
	release := make(chan struct{})
	broker.hold = release
	n := start(t, store, broker)

	n.Firing(alert("open_burning", "F1", alerts.ActiveUnacknowledged))
	<-broker.started // the first publish waits for its PUBACK
	returned := make(chan struct{})
	go func() {
		for range 1000 {
			n.Firing(alert("open_burning", "F1", alerts.ActiveUnacknowledged))
			n.Firing(alert("open_burning", "F2", alerts.ActiveUnacknowledged))
		}
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(5 * time.Second):
		t.Fatal("Firing blocked while the broker held a publish")
	}
	if p := n.Pending(); p != 2 {
		t.Errorf("%d facilities pending, want 2 (F1 and F2, each once)", p)
	}
	store.set(alert("open_burning", "F1", alerts.ActiveUnacknowledged), alert("open_dumping", "F1", alerts.ActiveUnacknowledged))
	close(release)
	got := waitMessages(t, broker, 3)
	if got[1].topic != "greenpulse/F1/alerts" || !slices.Equal(got[1].ids, []string{"open_burning.F1", "open_dumping.F1"}) {
		t.Errorf("second message %+v, want F1's latest list", got[1])
	}
	if got[2].topic != "greenpulse/F2/alerts" {
		t.Errorf("third message %+v, want F2's", got[2])
	}
	if v := testutil.ToFloat64(n.metrics.coalesced); v != 1998 {
		t.Errorf("coalesced = %v, want 1998", v)
	}
}

// TestReconnectRepublishesEveryFacility: nothing goes out while the broker
// is away; the connect publishes every facility with an alert, a cleared
// one as [].
func TestReconnectRepublishesEveryFacility(t *testing.T) {
	store := &fakeStore{}
	store.set(alert("open_burning", "F1", alerts.ActiveUnacknowledged), alert("open_dumping", "F2", alerts.Cleared))
	broker := newFakeBroker(false)
	n := start(t, store, broker)

	n.Firing(alert("open_burning", "F1", alerts.ActiveUnacknowledged)) // before the first connect
	select {
	case tp := <-broker.started:
		t.Fatalf("published to %s while disconnected", tp)
	case <-time.After(50 * time.Millisecond):
	}
	broker.setUp(true)
	n.Reconnected()
	got := waitMessages(t, broker, 2)
	want := map[string][]string{"greenpulse/F1/alerts": {"open_burning.F1"}, "greenpulse/F2/alerts": {}}
	for _, p := range got {
		if w, ok := want[p.topic]; !ok || !slices.Equal(p.ids, w) || !p.retained {
			t.Errorf("published %+v", p)
		}
		delete(want, p.topic)
	}
	if len(want) != 0 || len(got) != 2 {
		t.Errorf("published %+v; missing %v", got, want)
	}

	// A second connect publishes them all again.
	n.Reconnected()
	if got := waitMessages(t, broker, 4); len(got) != 4 {
		t.Errorf("after the second connect: %+v", got)
	}
}

// TestFailedPublishIsRetried: a refused publish is tried again until it
// goes through.
func TestFailedPublishIsRetried(t *testing.T) {
	store := &fakeStore{}
	store.set(alert("open_burning", "F1", alerts.ActiveUnacknowledged))
	broker := newFakeBroker(true)
	broker.fail = 2
	n := start(t, store, broker)
	n.Firing(alert("open_burning", "F1", alerts.ActiveUnacknowledged))
	got := waitMessages(t, broker, 1)
	if got[0].topic != "greenpulse/F1/alerts" {
		t.Errorf("published %+v", got)
	}
	if v := testutil.ToFloat64(n.metrics.publishes.WithLabelValues("error")); v != 2 {
		t.Errorf("publishes{result=error} = %v, want 2", v)
	}
}

// TestAckRepublishes acknowledges through the API's view of a real store:
// the facility's list goes out again, saying who acknowledged.
func TestAckRepublishes(t *testing.T) {
	store, err := alerts.Open(t.TempDir()+"/alerts.json", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Raise([]alerts.Event{{Rule: "open_burning", Facility: "F1", Severity: alerts.Critical,
		Message: "Open burning", MessageAr: "حرق مكشوف", At: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	broker := newFakeBroker(true)
	n := start(t, store, broker)
	eval := alerts.NewEvaluator(store, noFacilities{}, alerts.Options{EventWindow: time.Hour},
		slog.New(slog.NewTextHandler(io.Discard, nil)), n)
	if _, err := eval.Ack("open_burning.F1", "Dr. Salma", "called"); err != nil {
		t.Fatal(err)
	}
	got := waitMessages(t, broker, 1)
	if got[0].topic != "greenpulse/F1/alerts" || !slices.Equal(got[0].ids, []string{"open_burning.F1"}) {
		t.Errorf("published %+v", got)
	}
	if _, err := eval.Ack("open_burning.F9", "x", ""); !errors.Is(err, alerts.ErrNotFound) {
		t.Errorf("Ack of no alert: %v", err)
	}
	if p := n.Pending(); p != 0 {
		t.Errorf("%d pending after a failed ack", p)
	}
}

// noFacilities is a registry without facilities: acknowledging needs none.
type noFacilities struct{}

func (noFacilities) Lookup(string) (registry.Facility, bool) { return registry.Facility{}, false }
