package alertmanager

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Notifier keeps the active alerts and sends them with its Client: new
// and changed ones at once, all of them every ResendEvery, resolved ones
// until they reached every URL. Firing and Resolved are safe for
// concurrent use, also while Run runs; call Run once.
type Notifier struct {
	client *Client
	every  time.Duration
	now    func() time.Time

	mu       sync.Mutex
	active   map[string]*firing
	resolved map[string]resolvedAlert
	gen      uint64        // counts Resolved calls
	wake     chan struct{} // buffered 1: something is due now
}

type firing struct {
	alert Alert
	due   bool // new or changed since the last send
}

type resolvedAlert struct {
	alert Alert
	until time.Time // Alertmanager has resolved it by itself by then
	gen   uint64    // which Resolved call made it
}

// NewNotifier returns a notifier that sends with c and re-sends every
// c's ResendEvery.
func NewNotifier(c *Client) *Notifier {
	return &Notifier{
		client:   c,
		every:    c.resendEvery,
		now:      time.Now,
		active:   map[string]*firing{},
		resolved: map[string]resolvedAlert{},
		wake:     make(chan struct{}, 1),
	}
}

// Firing records a as active, replacing the alert with the same labels,
// and has Run send it now if it is new or changed. A zero StartsAt is
// taken as now; EndsAt is set by the notifier.
func (n *Notifier) Firing(a Alert) {
	key := labelKey(a.Labels)
	a.Labels = maps.Clone(a.Labels)
	a.Annotations = maps.Clone(a.Annotations)
	a.EndsAt = time.Time{}
	n.mu.Lock()
	defer n.mu.Unlock()
	old, ok := n.active[key]
	if a.StartsAt.IsZero() {
		if ok {
			a.StartsAt = old.alert.StartsAt
		} else {
			a.StartsAt = n.now()
		}
	}
	delete(n.resolved, key)
	if ok && sameAlert(old.alert, a) {
		return
	}
	n.active[key] = &firing{alert: a, due: true}
	n.client.metrics.notifier(len(n.active), len(n.resolved))
	n.signal()
}

// Resolved ends the alert with these labels at at (now when zero) and has
// Run send that now. Labels that are not active are sent as resolved all
// the same: Alertmanager may hold them from before a restart.
func (n *Notifier) Resolved(labels map[string]string, at time.Time) {
	key := labelKey(labels)
	now := n.now()
	if at.IsZero() {
		at = now
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	a := Alert{Labels: maps.Clone(labels), StartsAt: at}
	if f, ok := n.active[key]; ok {
		a = f.alert
		delete(n.active, key)
	}
	a.EndsAt = at
	if a.StartsAt.After(at) {
		a.StartsAt = at
	}
	n.gen++
	n.resolved[key] = resolvedAlert{alert: a, until: now.Add(4 * n.every), gen: n.gen}
	n.client.metrics.notifier(len(n.active), len(n.resolved))
	n.signal()
}

func (n *Notifier) signal() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run sends what is due until ctx ends, then returns nil. A failed send
// is logged and tried again at the next re-send.
func (n *Notifier) Run(ctx context.Context) error {
	tick := time.NewTicker(n.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.wake:
			n.send(ctx, false)
		case <-tick.C:
			n.send(ctx, true)
		}
	}
}

// send sends the due alerts, or with all every active one, and the
// resolved ones not yet delivered.
func (n *Notifier) send(ctx context.Context, all bool) {
	now := n.now()
	n.mu.Lock()
	var batch []Alert
	sentGen := map[string]uint64{}
	for _, key := range slices.Sorted(maps.Keys(n.active)) {
		f := n.active[key]
		if !all && !f.due {
			continue
		}
		f.due = false
		a := f.alert
		a.EndsAt = now.Add(4 * n.every)
		batch = append(batch, a)
	}
	for _, key := range slices.Sorted(maps.Keys(n.resolved)) {
		r := n.resolved[key]
		if now.After(r.until) {
			delete(n.resolved, key)
			continue
		}
		batch = append(batch, r.alert)
		sentGen[key] = r.gen
	}
	n.client.metrics.notifier(len(n.active), len(n.resolved))
	n.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	err := n.client.Send(ctx, batch)
	if err != nil {
		if ctx.Err() == nil {
			n.client.log.Warn("alertmanager: send alerts", "alerts", len(batch), "err", err)
		}
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for key, gen := range sentGen {
		// Unless it fired again meanwhile and was resolved anew.
		if r, ok := n.resolved[key]; ok && r.gen == gen {
			delete(n.resolved, key)
		}
	}
	n.client.metrics.notifier(len(n.active), len(n.resolved))
}

// labelKey identifies an alert by its labels, as Alertmanager does.
func labelKey(labels map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		b.WriteString(k)
		b.WriteByte(0xff)
		b.WriteString(labels[k])
		b.WriteByte(0xff)
	}
	return b.String()
}

func sameAlert(a, b Alert) bool {
	return maps.Equal(a.Labels, b.Labels) && maps.Equal(a.Annotations, b.Annotations) &&
		a.StartsAt.Equal(b.StartsAt) && a.GeneratorURL == b.GeneratorURL
}
