// Package publish drains the agent's outbox to the MQTT broker: readings go
// out as JSON arrays, one stream per message, at QoS 1, and leave the outbox
// only once the broker has acknowledged them. Delivery is at least once: a
// reading whose acknowledgement was lost is sent again, and the collector's
// storage is idempotent (a point is identified by its tags and timestamp).
//
// Draining policy: every round first takes the readings appended since the
// previous round (the fresh lane), then a full window of the oldest ones
// (the backlog lane). After days offline the backlog goes out at full speed,
// in_flight messages of max_readings each per round, while what was measured
// a moment ago still reaches the dashboard within one round.
package publish

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Queue is the outbox as the publisher uses it.
type Queue interface {
	Oldest(maxItems, maxBytes int) ([]outbox.Item, error)
	Newest(maxItems, maxBytes int, after time.Time) ([]outbox.Item, error)
	Delete(seqs []uint64) error
	Notify() <-chan struct{}
	Stats() outbox.Stats
}

// Options are what a publisher needs besides the connection settings.
type Options struct {
	Facility string
	Version  string
	Publish  config.Publish
	// Alerts, when set, is handed each message of the facility's alerts
	// topic (<root>/<facility>/alerts, retained, written by the
	// collector), which the publisher subscribes to at QoS 1 on every
	// connect. It is called from the MQTT client's goroutine, one message
	// at a time: it must be quick and must not publish.
	Alerts func(payload []byte, received time.Time)
	// Figures, when set, is handed each message of the facility's figures
	// topic (<root>/<facility>/figures, retained, the collector's month
	// figures), subscribed to and called like Alerts.
	Figures func(payload []byte, received time.Time)
}

// Publisher owns one MQTT connection and drains one outbox through it. Run
// it once; Connected and LastError are safe for concurrent use.
type Publisher struct {
	mqttCfg   config.MQTT
	opt       Options
	queue     Queue
	metrics   *Metrics
	log       *slog.Logger
	client    mqtt.Client
	started   time.Time
	connected atomic.Bool
	sent      atomic.Int64  // readings the broker acknowledged since start
	connects  chan struct{} // a value after each (re)connect
	lastErr   atomic.Pointer[string]
	freshCut  time.Time
	topics    map[reading.Stream]string
	status    string
	statusMu  sync.Mutex // serialises status publishes
}

// New builds the publisher and its MQTT client; Run connects.
func New(mc config.MQTT, opt Options, q Queue, m *Metrics, log *slog.Logger) (*Publisher, error) {
	p := &Publisher{
		mqttCfg: mc, opt: opt, queue: q, metrics: m, log: log,
		started:  time.Now(),
		connects: make(chan struct{}, 1),
		status:   mc.TopicRoot + "/" + opt.Facility + "/" + string(reading.Status),
		topics:   map[reading.Stream]string{},
	}
	for _, s := range reading.DataStreams() {
		p.topics[s] = mc.TopicRoot + "/" + opt.Facility + "/" + string(s)
	}
	opts, err := mc.ClientOptions()
	if err != nil {
		return nil, err
	}
	opts.
		// The outbox, not the session, is what keeps unsent readings: a clean
		// session keeps the broker from holding state for 2,000 agents.
		SetCleanSession(true).
		// The first connection is retried by Run, not by paho, so that a
		// refused login (wrong password, unknown facility user) shows in the
		// log and in last_error instead of being retried in silence.
		SetConnectRetry(false).
		SetWriteTimeout(mc.AckTimeout).
		// The broker publishes this for us if the link dies without a
		// DISCONNECT: dashboards then show the agent offline.
		SetBinaryWill(p.status, []byte(`{"online":false}`), 1, true).
		SetOnConnectHandler(p.onConnect).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			p.setConnected(false)
			m.connLost.Inc()
			p.setLastError(fmt.Sprintf("mqtt connection lost: %v", err))
			log.Warn("mqtt connection lost; reconnecting", "broker", mc.Servers(), "err", err)
		})
	p.client = mqtt.NewClient(opts)
	return p, nil
}

func (p *Publisher) onConnect(c mqtt.Client) {
	p.setConnected(true)
	p.log.Info("mqtt connected", "broker", p.mqttCfg.Servers(), "client_id", p.mqttCfg.ClientID)
	// The session is clean: every connect subscribes anew, and the
	// broker then sends the retained message. From a goroutine, since
	// waiting on the token here would block the client's own.
	if p.opt.Alerts != nil {
		go p.subscribe(c, reading.AlertsTopic(p.mqttCfg.TopicRoot, p.opt.Facility), "alerts", "list", p.opt.Alerts)
	}
	if p.opt.Figures != nil {
		go p.subscribe(c, reading.FiguresTopic(p.mqttCfg.TopicRoot, p.opt.Facility), "figures", "official figures", p.opt.Figures)
	}
	select {
	case p.connects <- struct{}{}:
	default:
	}
}

// subscribe subscribes to one of the facility's topics that the collector
// writes (what names it in logs, kept what the page keeps of it) and hands
// its messages to take.
func (p *Publisher) subscribe(c mqtt.Client, topic, what, kept string, take func([]byte, time.Time)) {
	tok := c.Subscribe(topic, 1, func(_ mqtt.Client, m mqtt.Message) {
		take(m.Payload(), time.Now())
	})
	if !tok.WaitTimeout(p.mqttCfg.AckTimeout) {
		p.log.Warn(what+": subscribe timed out; the page keeps the last "+kept+" until the next connect", "topic", topic)
		return
	}
	if err := tok.Error(); err != nil {
		p.log.Warn(what+": subscribe failed; the page keeps the last "+kept+" until the next connect", "topic", topic, "err", err)
		return
	}
	if st, ok := tok.(*mqtt.SubscribeToken); ok && st.Result()[topic] == 0x80 {
		// MQTT 3.1.1 SUBACK failure: the broker's ACL refuses it.
		p.log.Warn(what+": the broker refused the subscription (does its ACL let this facility read its "+what+" topic?)", "topic", topic)
		return
	}
	p.log.Debug(what+": subscribed", "topic", topic)
}

func (p *Publisher) setConnected(up bool) {
	if p.connected.Swap(up) == up {
		return
	}
	if up {
		p.metrics.connected.Inc()
	} else {
		p.metrics.connected.Dec()
	}
}

func (p *Publisher) setLastError(s string) { p.lastErr.Store(&s) }

// Connected reports whether the broker connection is up.
func (p *Publisher) Connected() bool { return p.connected.Load() }

// LastError is the last publishing or connection error, or "".
func (p *Publisher) LastError() string {
	if s := p.lastErr.Load(); s != nil {
		return *s
	}
	return ""
}

// Run connects and drains the outbox until ctx ends, then marks the agent
// offline and disconnects. It returns nil on cancellation.
func (p *Publisher) Run(ctx context.Context) error {
	connectCtx, stopConnecting := context.WithCancel(ctx)
	connecting := make(chan struct{})
	go func() {
		defer close(connecting)
		p.connect(connectCtx)
	}()
	defer func() {
		stopConnecting()
		<-connecting
		p.publishStatus(false)
		p.client.Disconnect(1000)
		p.setConnected(false)
	}()

	statusTick := time.NewTicker(p.opt.Publish.StatusInterval)
	defer statusTick.Stop()
	backoff := time.Duration(0)
	for {
		if ctx.Err() != nil {
			return nil
		}
		if !p.client.IsConnectionOpen() {
			select {
			case <-ctx.Done():
				return nil
			case <-p.connects:
				p.publishStatus(true)
			case <-time.After(time.Second):
			}
			continue
		}
		select {
		case <-p.connects:
			p.publishStatus(true)
		default:
		}
		sent, err := p.round()
		switch {
		case err != nil:
			p.setLastError(err.Error())
			backoff = min(max(2*backoff, time.Second), p.opt.Publish.RetryMax)
			p.log.Warn("publishing failed; readings stay in the outbox", "err", err, "retry_in", backoff)
			if !sleep(ctx, backoff) {
				return nil
			}
		case sent > 0:
			backoff = 0
		default:
			select {
			case <-ctx.Done():
				return nil
			case <-p.queue.Notify():
			case <-statusTick.C:
				p.publishStatus(true)
			case <-p.connects:
				p.publishStatus(true)
			}
		}
	}
}

// connect makes the first connection, retrying with backoff until it
// succeeds or ctx ends; after that paho reconnects by itself.
func (p *Publisher) connect(ctx context.Context) {
	wait := time.Second
	for {
		tok := p.client.Connect()
		var err error
		select {
		case <-ctx.Done():
			return
		case <-tok.Done():
			err = tok.Error()
		case <-time.After(p.mqttCfg.ConnectTimeout + 5*time.Second):
			err = fmt.Errorf("no answer within %s", p.mqttCfg.ConnectTimeout)
		}
		if err == nil {
			return
		}
		p.setLastError(fmt.Sprintf("connect to %s: %v", p.mqttCfg.Servers(), err))
		p.log.Warn("mqtt connect failed; readings stay in the outbox", "broker", p.mqttCfg.Servers(),
			"username", p.mqttCfg.Username, "err", err, "retry_in", wait)
		if !sleep(ctx, wait) {
			return
		}
		wait = min(2*wait, p.mqttCfg.MaxReconnectInterval)
	}
}

// round publishes the fresh lane and one window of the backlog, deletes what
// the broker acknowledged and returns how many readings that was.
func (p *Publisher) round() (int, error) {
	cfg := p.opt.Publish
	cut := time.Now()
	fresh, err := p.queue.Newest(cfg.MaxReadings, cfg.MaxMessageBytes, p.freshCut)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	p.freshCut = cut
	old, err := p.queue.Oldest(cfg.MaxReadings*cfg.InFlight, cfg.MaxMessageBytes*cfg.InFlight)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	items := mergeLanes(fresh, old)
	if len(items) == 0 {
		return 0, nil
	}
	msgs := Pack(items, cfg.MaxReadings, cfg.MaxMessageBytes)
	tokens := make([]mqtt.Token, len(msgs))
	for i, m := range msgs {
		tokens[i] = p.client.Publish(p.topics[m.Stream], 1, false, m.Payload)
	}
	var acked []uint64
	var errs []error
	for i, tok := range tokens {
		m := msgs[i]
		if !tok.WaitTimeout(p.mqttCfg.AckTimeout) {
			errs = append(errs, fmt.Errorf("publish %d %s readings: no acknowledgement within %s", len(m.Seqs), m.Stream, p.mqttCfg.AckTimeout))
			p.metrics.failures.Inc()
			continue
		}
		if err := tok.Error(); err != nil {
			errs = append(errs, fmt.Errorf("publish %d %s readings: %w", len(m.Seqs), m.Stream, err))
			p.metrics.failures.Inc()
			continue
		}
		acked = append(acked, m.Seqs...)
		p.sent.Add(int64(len(m.Seqs)))
		p.metrics.messages.Inc()
		p.metrics.readings.WithLabelValues(string(m.Stream)).Add(float64(len(m.Seqs)))
	}
	if len(acked) > 0 {
		if err := p.queue.Delete(acked); err != nil {
			// The readings were delivered; they will be sent once more.
			errs = append(errs, fmt.Errorf("delete acknowledged readings from the outbox: %w", err))
		}
	}
	return len(acked), errors.Join(errs...)
}

// mergeLanes puts the fresh lane first and drops backlog items it repeats.
func mergeLanes(fresh, old []outbox.Item) []outbox.Item {
	if len(fresh) == 0 {
		return old
	}
	seen := make(map[uint64]bool, len(fresh))
	for _, it := range fresh {
		seen[it.Seq] = true
	}
	out := append([]outbox.Item(nil), fresh...)
	for _, it := range old {
		if !seen[it.Seq] {
			out = append(out, it)
		}
	}
	return out
}

// publishStatus sends the retained status message. It is best effort: a
// status that does not go out is replaced by the next one.
func (p *Publisher) publishStatus(online bool) {
	p.statusMu.Lock()
	defer p.statusMu.Unlock()
	st := p.Status(online)
	payload, err := json.Marshal(st)
	if err != nil {
		panic(fmt.Sprintf("marshal agent status: %v", err)) // plain struct: cannot fail
	}
	tok := p.client.Publish(p.status, 1, true, payload)
	if !tok.WaitTimeout(p.mqttCfg.AckTimeout) || tok.Error() != nil {
		p.log.Debug("status not published", "err", tok.Error())
	}
}

// Status is the agent's status as published on the status topic.
func (p *Publisher) Status(online bool) reading.AgentStatus {
	st := p.queue.Stats()
	depth := st.Readings
	uptime := time.Since(p.started).Seconds()
	sent := p.sent.Load()
	s := reading.AgentStatus{Online: &online, Version: p.opt.Version, OutboxDepth: &depth,
		UptimeS: &uptime, LastError: p.LastError(), Sent: &sent}
	if !st.Oldest.IsZero() {
		oldest := st.Oldest.UTC()
		s.OldestUnsent = &oldest
	}
	return s
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
