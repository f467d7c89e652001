package ingest

import (
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
)

// maxRejectedPayload is how much of a rejected payload is republished: enough
// to see what was wrong without echoing a megabyte back to the broker.
const maxRejectedPayload = 1024

// Rejection is the JSON published to <root>/_rejected/<facility>/<stream>.
// Index is the item of a batch (JSON array position or line-protocol entry,
// from 0), or null when the whole message was rejected.
type Rejection struct {
	Reason     reading.Reason `json:"reason"`
	Field      string         `json:"field,omitempty"`
	Error      string         `json:"error"`
	Topic      string         `json:"topic"`
	Index      *int           `json:"index"`
	ReceivedAt time.Time      `json:"received_at"`
	Payload    string         `json:"payload"`
}

type rejecter struct {
	root    string
	pub     Publisher
	metrics *Metrics
	log     *slog.Logger
	// told, when set, hears of each rejection's facility (see OnRejected).
	told Rejected
}

// Rejected is told the facility of every rejected message or batch item,
// for the rule that notices an agent whose messages keep being refused. It
// is called from the pipeline's goroutine, so it must be quick. The
// facility is the topic's, which may not be in the registry.
type Rejected interface {
	Rejected(facility string, at time.Time)
}

// OnRejected has the pipeline tell r of rejections. Call it before Run.
func (p *Pipeline) OnRejected(r Rejected) { p.rejections.told = r }

func (r *rejecter) reject(m Message, facility, stream string, index int, err *reading.Error) {
	r.metrics.rejected.WithLabelValues(string(err.Reason)).Inc()
	if r.told != nil {
		r.told.Rejected(facility, m.Received)
	}
	rej := Rejection{Reason: err.Reason, Field: err.Field, Error: err.Error(), Topic: m.Topic,
		ReceivedAt: m.Received.UTC(), Payload: string(truncate(m.Payload, maxRejectedPayload))}
	if index >= 0 {
		rej.Index = &index
	}
	r.log.Warn("rejected", "topic", m.Topic, "reason", err.Reason, "index", index, "err", err.Error())
	body, merr := json.Marshal(rej)
	if merr != nil {
		r.log.Error("encode rejection", "err", merr)
		return
	}
	r.pub.Publish(r.root+"/_rejected/"+facility+"/"+stream, body)
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// splitTopic returns the facility and stream levels of root/facility/stream.
// The facility must be a valid id, because it becomes a topic level and tag
// of its own; the stream is checked by the caller.
func splitTopic(root, topic string) (facility, stream string, ok bool) {
	rest, found := strings.CutPrefix(topic, root+"/")
	if !found {
		return "", "", false
	}
	facility, stream, found = strings.Cut(rest, "/")
	if !found || strings.Contains(stream, "/") || !reading.ValidName(facility) ||
		!reading.ValidName(stream) {
		return "", "", false
	}
	return facility, stream, true
}

// AgentStatus is the last status an agent published, and when it arrived.
type AgentStatus struct {
	Status     reading.AgentStatus
	ReceivedAt time.Time
}

// StatusBook keeps each facility's last agent status, since when its agent
// has been saying it is online, and its newest reading: both the reading's
// timestamp and when the collector received it, since an agent that sends
// a backlog has old timestamps. It is safe for concurrent use.
type StatusBook struct {
	mu       sync.RWMutex
	statuses map[string]AgentStatus
	online   map[string]time.Time // arrival of the first status of the current online run
	sentAt0  map[string]int64     // that status's sent count, when it had one
	last     map[string]time.Time // newest reading timestamp per facility
	arrived  map[string]time.Time // when the collector last received a reading per facility
}

// NewStatusBook returns an empty book.
func NewStatusBook() *StatusBook {
	return &StatusBook{statuses: map[string]AgentStatus{}, online: map[string]time.Time{}, sentAt0: map[string]int64{},
		last: map[string]time.Time{}, arrived: map[string]time.Time{}}
}

// SawReading records a reading of facility taken at ts, which arrived at
// received (the message's receive time, so the ingest path reads no clock
// of its own and the status's arrival and the reading's compare alike).
func (b *StatusBook) SawReading(facility string, ts, received time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ts.After(b.last[facility]) {
		b.last[facility] = ts
	}
	if received.After(b.arrived[facility]) {
		b.arrived[facility] = received
	}
}

// LastArrival is when the collector last received a reading from facility
// since it started, whatever the reading's own timestamp.
func (b *StatusBook) LastArrival(facility string) (time.Time, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	t, ok := b.arrived[facility]
	return t, ok
}

// OnlineSince is when the first of facility's run of statuses saying
// online arrived; false when its last status does not say online. An agent
// republishes its status every minute, so the last status's arrival says
// nothing of how long it has been connected.
func (b *StatusBook) OnlineSince(facility string) (time.Time, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	t, ok := b.online[facility]
	return t, ok
}

// LastReading is the newest reading timestamp received from facility since
// the collector started.
func (b *StatusBook) LastReading(facility string) (time.Time, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	t, ok := b.last[facility]
	return t, ok
}

// Status is facility's last agent status and when it arrived.
func (b *StatusBook) Status(facility string) (reading.AgentStatus, time.Time, bool) {
	s, ok := b.Get(facility)
	return s.Status, s.ReceivedAt, ok
}

// Set records facility's status, which arrived at at.
func (b *StatusBook) Set(facility string, s reading.AgentStatus, at time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.statuses[facility] = AgentStatus{Status: s, ReceivedAt: at}
	switch _, running := b.online[facility]; {
	case s.Online == nil || !*s.Online:
		delete(b.online, facility)
		delete(b.sentAt0, facility)
	case !running:
		b.online[facility] = at
		if s.Sent != nil {
			b.sentAt0[facility] = *s.Sent
		}
	}
}

// SentSinceOnline is how many readings facility's agent says the broker
// acknowledged since its current run of online statuses began: its last
// status's sent count less the first's. False when either status had no
// count (an older agent) or the agent is not online.
func (b *StatusBook) SentSinceOnline(facility string) (int64, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	first, ok := b.sentAt0[facility]
	st := b.statuses[facility].Status
	if !ok || st.Sent == nil {
		return 0, false
	}
	return *st.Sent - first, true
}

// Get returns facility's last status.
func (b *StatusBook) Get(facility string) (AgentStatus, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	s, ok := b.statuses[facility]
	return s, ok
}
