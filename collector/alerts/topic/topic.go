// Package topic publishes each facility's active alerts to its alerts
// topic, <root>/<facility_id>/alerts: retained, QoS 1, the JSON array of
// the alerts as the API serves them ([] when none is active), so that the
// facility's agent shows the list on its page, and learns when it clears,
// whenever it connects.
//
//	Evaluator (under its lock) ─► Firing/Resolved: mark the facility ─► queue (one entry a facility)
//	broker (re)connect ─► Reconnected: mark every facility with an alert ─┘        │
//	                                                      Run: list its active alerts now, publish, wait for PUBACK
//
// The Evaluator calls Firing and Resolved on the ingest path, so they only
// mark the facility and return. Run publishes from its own goroutine and
// reads the store when it sends, so a facility whose alerts change ten
// times before Run gets to it is published once, with the latest list. It
// publishes one message at a time and waits for each acknowledgement, so a
// facility's lists reach the broker in the order they were made; while the
// broker is away it publishes nothing, and every (re)connect publishes
// every facility that has an alert in the store (a cleared one gets []),
// so what changed while the collector was disconnected, or before it
// first connected, is not lost.
package topic

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Store lists stored alerts; *alerts.Store is one.
type Store interface {
	List(f alerts.Filter) []alerts.Alert
}

// Broker is the collector's MQTT client as the notifier uses it.
type Broker interface {
	// PublishRetained sends payload to topic, retained at QoS 1, and
	// returns once the broker acknowledged it, or with an error when it
	// did not before ctx ended.
	PublishRetained(ctx context.Context, topic string, payload []byte) error
	// Connected reports whether the connection to the broker is up.
	Connected() bool
}

// Options tune a Notifier; zero values take the defaults.
type Options struct {
	// AckTimeout is how long one publish waits for the broker (default
	// 30 s). A publish that times out is tried again.
	AckTimeout time.Duration
	// RetryMin and RetryMax bound the wait after a failed publish while
	// connected (defaults 1 s and 30 s).
	RetryMin, RetryMax time.Duration
}

// Notifier publishes facilities' alert lists. It implements alerts.Notify.
// Firing, Resolved and Reconnected never block; it is safe for concurrent
// use. Run it once.
type Notifier struct {
	store   Store
	broker  Broker
	root    string
	opt     Options
	metrics *Metrics
	log     *slog.Logger

	wake chan struct{} // a value when there is work or the broker came back

	mu sync.Mutex
	// queue holds the facilities to publish, oldest first, each once;
	// queued says which are in it. Both are bounded by the number of
	// facilities with alerts.
	queue  []string
	queued map[string]bool
}

// New returns a notifier that publishes the alerts of store through broker
// under root.
func New(store Store, broker Broker, root string, opt Options, m *Metrics, log *slog.Logger) *Notifier {
	if opt.AckTimeout <= 0 {
		opt.AckTimeout = 30 * time.Second
	}
	if opt.RetryMin <= 0 {
		opt.RetryMin = time.Second
	}
	if opt.RetryMax < opt.RetryMin {
		opt.RetryMax = max(30*time.Second, opt.RetryMin)
	}
	return &Notifier{store: store, broker: broker, root: root, opt: opt, metrics: m, log: log,
		wake: make(chan struct{}, 1), queued: map[string]bool{}}
}

// Firing implements alerts.Notify: a's facility is published again.
func (n *Notifier) Firing(a alerts.Alert) { n.mark(a.Facility) }

// Resolved implements alerts.Notify: a's facility is published again.
func (n *Notifier) Resolved(a alerts.Alert) { n.mark(a.Facility) }

// Reconnected queues every facility that has an alert in the store, active
// or cleared. The subscriber calls it on every (re)connect.
func (n *Notifier) Reconnected() {
	seen := map[string]bool{}
	var facilities []string
	for _, a := range n.store.List(alerts.Filter{}) {
		if !seen[a.Facility] {
			seen[a.Facility] = true
			facilities = append(facilities, a.Facility)
		}
	}
	n.mark(facilities...)
	// Wake Run even with nothing queued: it may hold facilities that it
	// left while the broker was away.
	n.signal()
}

// mark queues facilities unless they already are, and wakes Run.
func (n *Notifier) mark(facilities ...string) {
	n.mu.Lock()
	for _, f := range facilities {
		if n.queued[f] {
			n.metrics.coalesced.Inc()
			continue
		}
		n.queued[f] = true
		n.queue = append(n.queue, f)
	}
	n.metrics.pending.Set(float64(len(n.queue)))
	n.mu.Unlock()
	n.signal()
}

func (n *Notifier) signal() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// next takes the oldest queued facility.
func (n *Notifier) next() (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.queue) == 0 {
		return "", false
	}
	f := n.queue[0]
	n.queue[0] = ""
	n.queue = n.queue[1:]
	delete(n.queued, f)
	n.metrics.pending.Set(float64(len(n.queue)))
	return f, true
}

// Pending returns how many facilities wait to be published.
func (n *Notifier) Pending() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.queue)
}

// Run publishes queued facilities until ctx ends. What is still queued
// then is published by the next collector's first connect.
func (n *Notifier) Run(ctx context.Context) error {
	backoff := time.Duration(0)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.wake:
		}
		for n.broker.Connected() {
			f, ok := n.next()
			if !ok {
				break
			}
			if err := n.publish(ctx, f); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				// Try it again: at once after a reconnect (which
				// queues it anyway), else after a growing pause.
				n.mark(f)
				backoff = min(max(2*backoff, n.opt.RetryMin), n.opt.RetryMax)
				n.log.Warn("alerts topic: publish failed; trying again", "facility", f, "err", err, "retry_in", backoff)
				if !sleep(ctx, backoff) {
					return nil
				}
				continue
			}
			backoff = 0
		}
	}
}

// publish sends facility's active alerts as they are now.
func (n *Notifier) publish(ctx context.Context, facility string) error {
	list := n.store.List(alerts.Filter{Facility: facility, State: "active"})
	if list == nil {
		list = []alerts.Alert{} // [] tells the agent they cleared; null would not
	}
	payload, err := json.Marshal(list)
	if err != nil {
		panic(fmt.Sprintf("marshal alerts of %s: %v", facility, err)) // plain structs: cannot fail
	}
	pctx, cancel := context.WithTimeout(ctx, n.opt.AckTimeout)
	defer cancel()
	topic := reading.AlertsTopic(n.root, facility)
	if err := n.broker.PublishRetained(pctx, topic, payload); err != nil {
		n.metrics.publishes.WithLabelValues("error").Inc()
		return fmt.Errorf("publish %d alerts to %s: %w", len(list), topic, err)
	}
	n.metrics.publishes.WithLabelValues("ok").Inc()
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Metrics are the notifier's Prometheus metrics.
type Metrics struct {
	publishes *prometheus.CounterVec
	pending   prometheus.Gauge
	coalesced prometheus.Counter
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		publishes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_alerts_topic_publishes_total",
			Help: "Facility alert lists published to <root>/<facility>/alerts, by result (ok: the broker acknowledged it; error: not acknowledged in time or refused, tried again).",
		}, []string{"result"}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_alerts_topic_pending_facilities",
			Help: "Facilities whose alert list waits to be published (at most one entry a facility; none is ever dropped).",
		}),
		coalesced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_collector_alerts_topic_coalesced_total",
			Help: "Alert changes folded into a facility's list that was already waiting to be published.",
		}),
	}
	m.publishes.WithLabelValues("ok")
	m.publishes.WithLabelValues("error")
	reg.MustRegister(m.publishes, m.pending, m.coalesced)
	return m
}
