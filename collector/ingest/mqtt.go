package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/partition"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Message is one MQTT message waiting to be written and acknowledged.
type Message struct {
	Topic    string
	Payload  []byte
	Received time.Time
	ack      func()
}

// Subscriber receives facility messages from the broker into a queue and
// acknowledges them on request. It is safe for concurrent use.
//
// The session is persistent (clean session off, fixed client id), so the
// broker queues readings while the collector is away and redelivers what was
// not acknowledged; subscriptions are made in OnConnect so that every
// reconnect resubscribes, and the handler is in place before connecting,
// because a resumed session can deliver before SUBSCRIBE is answered.
type Subscriber struct {
	cfg      config.MQTT
	filters  []string
	client   mqtt.Client
	queue    chan<- Message
	metrics  *Metrics
	log      *slog.Logger
	stopping chan struct{}
	stopOnce sync.Once
	// subscribed is set once the broker has answered SUBSCRIBE on the
	// current connection: only then is the collector ready.
	subscribed atomic.Bool

	hooksMu sync.Mutex
	hooks   []func() // OnConnect's

	// listening is when the current connection's subscription was
	// answered, in Unix nanoseconds; 0 while not connected and subscribed.
	listening atomic.Int64
	// connection counts connects and losses, so that a subscription
	// answered on an earlier connection cannot mark the current one ready.
	connection atomic.Uint64
	// foreignWarned is when checkOwner last logged, in Unix nanoseconds.
	foreignWarned atomic.Int64
}

// NewSubscriber builds the client; Connect starts it. facilities are the
// registry's ids, which a partition by facility filters subscribes to.
func NewSubscriber(cfg config.MQTT, facilities []string, queue chan<- Message, metrics *Metrics, log *slog.Logger) (*Subscriber, error) {
	s := &Subscriber{cfg: cfg, queue: queue, metrics: metrics, log: log, stopping: make(chan struct{})}
	if cfg.SharedGroup != "" {
		s.filters = []string{"$share/" + cfg.SharedGroup + "/" + cfg.TopicRoot + "/+/+"}
	} else {
		s.filters = cfg.Partition.Filters(cfg.TopicRoot, facilities)
	}
	if len(s.filters) == 0 {
		return nil, fmt.Errorf("mqtt.partition: partition %d of %d holds none of the registry's %d facilities",
			cfg.Partition.Index, cfg.Partition.Count, len(facilities))
	}
	opts, err := cfg.ClientOptions()
	if err != nil {
		return nil, err
	}
	opts.
		SetCleanSession(false).
		SetAutoAckDisabled(true).
		// Order matters: messages reach the queue in the order the broker
		// sent them, so acknowledgements go back in that order as MQTT 3.1.1
		// requires. The handler only enqueues and the queue outsizes the
		// broker's inflight window, so it does not block on a live
		// connection. NATS also sends unacknowledged messages again every
		// ack_wait: while InfluxDB is down those copies can fill the queue,
		// and the handler then waits, holding paho's reader, until writes
		// resume (TestClusterInfluxDBOutage).
		SetOrderMatters(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetCustomOpenConnectionFn(dialBroker).
		SetDefaultPublishHandler(s.handle).
		SetOnConnectHandler(s.onConnect).
		SetConnectionLostHandler(func(_ mqtt.Client, err error) {
			s.connection.Add(1)
			s.subscribed.Store(false)
			metrics.subscribed.Set(0)
			s.listening.Store(0)
			metrics.mqttConnected.Set(0)
			metrics.mqttConnLost.Inc()
			log.Warn("mqtt connection lost; reconnecting", "broker", cfg.Servers(), "err", err)
		}).
		SetReconnectingHandler(func(mqtt.Client, *mqtt.ClientOptions) {
			log.Info("mqtt reconnecting", "broker", cfg.Servers())
		})
	s.client = mqtt.NewClient(opts)
	return s, nil
}

// ownLevel reports whether level is one of the topics the collector itself
// writes under each facility, which its subscription receives too: the
// alert list (package alerts/topic) and the month figures.
func ownLevel(level string) bool {
	return level == reading.AlertsLevel || level == reading.FiguresLevel
}

// subscribeChunk is how many topic filters one SUBSCRIBE carries. A
// partition by facility filters has hundreds; NATS answers a SUBSCRIBE
// only when it has made a JetStream consumer for each of its filters, and
// reads nothing else from the connection meanwhile, so a single packet
// would hold the keepalive's PINGRESP past its deadline.
const subscribeChunk = 50

// OnConnect adds f to what runs on every (re)connect, in a goroutine of
// its own; f must not wait on the connection. The facility alerts topic
// publishes its lists again from it.
func (s *Subscriber) OnConnect(f func()) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.hooks = append(s.hooks, f)
}

func (s *Subscriber) onConnect(c mqtt.Client) {
	conn := s.connection.Add(1)
	s.subscribed.Store(false)
	s.metrics.subscribed.Set(0)
	s.metrics.mqttConnected.Set(1)
	s.log.Info("mqtt connected", "broker", s.cfg.Servers(), "client_id", s.cfg.ClientID)
	s.hooksMu.Lock()
	hooks := append([]func(){}, s.hooks...)
	s.hooksMu.Unlock()
	for _, f := range hooks {
		go f()
	}
	// Subscribe from a goroutine: waiting on the token inside OnConnect
	// would block the client's own goroutine that delivers the SUBACK.
	go s.subscribeUntilGranted(c, conn)
}

// subscribeUntilGranted subscribes on connection conn, and tries again
// with backoff while that connection lasts: a fresh session (the first
// start, a new client id, a facility new to the registry) has no earlier
// subscription to fall back on, and a broker drops what nobody subscribed
// to after acknowledging it to the agent.
func (s *Subscriber) subscribeUntilGranted(c mqtt.Client, conn uint64) {
	backoff := time.Second
	for {
		err := s.subscribe(c)
		if s.connection.Load() != conn {
			return // a later connection subscribes for itself
		}
		if err == nil {
			s.subscribed.Store(true)
			s.metrics.subscribed.Set(float64(len(s.filters)))
			s.listening.Store(time.Now().UnixNano())
			s.log.Info("mqtt subscribed", "filters", len(s.filters), "first", s.filters[0], "qos", 1)
			return
		}
		s.metrics.subscribeErrs.Inc()
		s.log.Error("mqtt subscribe failed; retrying", "filters", len(s.filters), "retry_in", backoff, "err", err)
		select {
		case <-s.stopping:
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

// subscribe sends the filters in chunks and checks the broker granted each.
func (s *Subscriber) subscribe(c mqtt.Client) error {
	for chunk := range slices.Chunk(s.filters, subscribeChunk) {
		want := make(map[string]byte, len(chunk))
		for _, f := range chunk {
			want[f] = 1
		}
		tok := c.SubscribeMultiple(want, s.handle)
		if !tok.WaitTimeout(s.cfg.ConnectTimeout + time.Duration(len(chunk))*time.Second) {
			return fmt.Errorf("no answer to SUBSCRIBE %s (and %d more)", chunk[0], len(chunk)-1)
		}
		if err := tok.Error(); err != nil {
			return fmt.Errorf("SUBSCRIBE %s (and %d more): %w", chunk[0], len(chunk)-1, err)
		}
		st, ok := tok.(*mqtt.SubscribeToken)
		if !ok {
			return fmt.Errorf("SUBSCRIBE %s: paho returned a %T, not a subscribe token", chunk[0], tok)
		}
		for f, code := range st.Result() {
			// 0x80 is MQTT 3.1.1's failure: NATS answers it for a $share
			// filter, a consumer it could not make or a session over its
			// max_ack_pending total; Mosquitto for an ACL that forbids the
			// filter. QoS 0 would be at most once: as bad.
			if code != 1 {
				return fmt.Errorf("broker granted filter %s SUBACK return code %#x, want QoS 1", f, code)
			}
		}
	}
	return nil
}

func (s *Subscriber) handle(_ mqtt.Client, m mqtt.Message) {
	msg := Message{Topic: s.cfg.Partition.Topic(s.cfg.TopicRoot, m.Topic()), Payload: m.Payload(), Received: time.Now(), ack: m.Ack}
	if s.cfg.Partition.Enabled() {
		s.checkOwner(msg.Topic)
	}
	select {
	case s.queue <- msg:
		s.metrics.pending.Inc()
	case <-s.stopping:
		// Shutting down: leave it unacknowledged; the broker redelivers it
		// to the next session.
	}
}

// checkOwner counts a message of a facility outside the partition. It is
// stored all the same (it is a reading nobody else may be storing), but
// it says that the broker's mapping and partition.count disagree, and
// then readings of partitions nobody subscribes to are being dropped.
func (s *Subscriber) checkOwner(topic string) {
	facility, _, ok := splitTopic(s.cfg.TopicRoot, topic)
	if !ok || s.cfg.Partition.Owns(facility) {
		return
	}
	s.metrics.foreign.Inc()
	now := time.Now().UnixNano()
	if last := s.foreignWarned.Load(); now-last > int64(time.Minute) && s.foreignWarned.CompareAndSwap(last, now) {
		s.log.Warn("a facility of another partition reached this collector: check that the broker's partition mapping and "+
			"mqtt.partition.count agree (greenpulse_collector_partition_foreign_messages_total counts them)",
			"facility", facility, "partition", partition.Of(facility, s.cfg.Partition.Count), "index", s.cfg.Partition.Index, "count", s.cfg.Partition.Count)
	}
}

// Connect starts connecting and waits until connected or ctx ends; the client
// keeps retrying in the background either way.
func (s *Subscriber) Connect(ctx context.Context) error {
	tok := s.client.Connect()
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("connect to mqtt broker %s: %w", s.cfg.Servers(), err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("connect to mqtt broker %s: %w", s.cfg.Servers(), ctx.Err())
	}
}

// Ready reports whether the client is connected and subscribed.
func (s *Subscriber) Ready() bool { return s.client.IsConnectionOpen() && s.subscribed.Load() }

// ListeningSince is when the collector last became able to hear every
// facility (connected and subscribed), and false while it cannot: an agent
// is silent only for as long as the collector could have heard it.
func (s *Subscriber) ListeningSince() (time.Time, bool) {
	ns := s.listening.Load()
	if ns == 0 || !s.client.IsConnectionOpen() {
		return time.Time{}, false
	}
	return time.Unix(0, ns), true
}

// Publish sends a QoS 1 message without waiting for the broker's answer; the
// client keeps it until the broker has it. Used for rejections.
func (s *Subscriber) Publish(topic string, payload []byte) {
	tok := s.client.Publish(topic, 1, false, payload)
	go func() {
		if tok.WaitTimeout(30*time.Second) && tok.Error() == nil {
			return
		}
		s.metrics.rejectPublishE.Inc()
		s.log.Warn("republishing a rejection failed", "topic", topic, "err", tok.Error())
	}()
}

// PublishRetained sends a retained QoS 1 message and waits until the
// broker acknowledged it or ctx ends. Used for the facilities' alert lists;
// it may wait, so it is for a goroutine of its own, never the message
// handler's.
func (s *Subscriber) PublishRetained(ctx context.Context, topic string, payload []byte) error {
	tok := s.client.Publish(topic, 1, true, payload)
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		// paho keeps the message and sends it after a reconnect.
		return fmt.Errorf("no acknowledgement from %s: %w", s.cfg.Servers(), ctx.Err())
	}
}

// Connected reports whether the connection to the broker is up (it may
// not be subscribed yet; see Ready).
func (s *Subscriber) Connected() bool { return s.client.IsConnectionOpen() }

// StopReceiving makes the handler leave new messages to the broker.
func (s *Subscriber) StopReceiving() { s.stopOnce.Do(func() { close(s.stopping) }) }

// Disconnect closes the connection after giving queued acknowledgements
// time to leave.
func (s *Subscriber) Disconnect() {
	s.StopReceiving()
	s.client.Disconnect(500)
	s.metrics.mqttConnected.Set(0)
}
