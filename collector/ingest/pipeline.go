// Package ingest moves facility messages from MQTT into InfluxDB.
//
//	broker ──► Subscriber.handle ──► queue ──► accumulate: topic, registry,
//	                                           decode, encode into a batch
//	                                               │ full batch
//	                                               ▼
//	broker ◄── ack each message in order ◄── write: InfluxDB, retried until
//	                                          it succeeds
//
// A message is acknowledged only after every point decoded from it is in
// InfluxDB, so a collector that dies or a database that goes away loses
// nothing: the broker redelivers what was not acknowledged, and since a point
// is identified by its series and timestamp a redelivered reading overwrites
// itself. Several batches circulate between the stages, so decoding goes on while
// writes are under way; while InfluxDB refuses writes all stall, the queue
// fills to the broker's inflight window and the broker stops sending.
package ingest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/decode"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Writer stores one batch of line protocol.
type Writer interface {
	Write(ctx context.Context, lineProtocol []byte) error
}

// Facilities tells which facilities exist.
type Facilities interface {
	Lookup(id string) (registry.Facility, bool)
}

// Publisher republishes rejections.
type Publisher interface {
	Publish(topic string, payload []byte)
}

// Pipeline decodes, batches, writes and acknowledges messages. Run it once.
type Pipeline struct {
	cfg        config.Ingest
	root       string
	facilities Facilities
	writer     Writer
	rejections *rejecter
	statuses   *StatusBook
	decoder    *decode.Decoder
	metrics    *Metrics
	log        *slog.Logger
	stored     Stored // nil: no one is told
}

// NewPipeline wires a pipeline. root is the MQTT topic root.
func NewPipeline(cfg config.Ingest, root string, facilities Facilities, writer Writer, pub Publisher,
	statuses *StatusBook, metrics *Metrics, log *slog.Logger) *Pipeline {
	return &Pipeline{
		cfg:        cfg,
		root:       root,
		facilities: facilities,
		writer:     writer,
		rejections: &rejecter{root: root, pub: pub, metrics: metrics, log: log},
		statuses:   statuses,
		decoder:    decode.New(cfg.Limits()),
		metrics:    metrics,
		log:        log,
	}
}

// batch is the unit handed from accumulate to the writers and on to the
// acknowledger.
type batch struct {
	seq      uint64
	points   *influx.Batch
	messages []Message
	stored   bool              // InfluxDB has every point of the batch
	refused  bool              // InfluxDB refused some of its points
	waste    []reading.Reading // for Stored: the batch's waste readings
}

func (b *batch) reset() {
	b.points.Reset()
	clear(b.messages)
	b.messages = b.messages[:0]
	b.stored = false
	b.refused = false
	clear(b.waste)
	b.waste = b.waste[:0]
}

// Run processes messages from queue until ctx ends, then writes and
// acknowledges what it holds, trying for at most the shutdown timeout. It
// returns nil after a clean drain.
//
// Up to cfg.Writers batches are written at once, because each write waits
// on InfluxDB's fsync; acknowledgements still leave in the order the
// messages arrived, batch after batch.
func (p *Pipeline) Run(ctx context.Context, queue <-chan Message) error {
	writers := p.cfg.Writers
	free := make(chan *batch, writers+1)
	full := make(chan *batch, writers)
	written := make(chan *batch, writers+1)
	for range writers + 1 {
		free <- &batch{points: influx.NewBatch()}
	}
	// Writes outlive ctx by the shutdown timeout, so that what was received
	// before the signal is still written and acknowledged.
	writeCtx, cancelWrites := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWrites()
	stopTimer := context.AfterFunc(ctx, func() {
		time.AfterFunc(p.cfg.ShutdownTimeout, cancelWrites)
	})
	defer stopTimer()

	// writing counts batches handed to the writers and not yet stored: an
	// idle flush happens only when none is, so it never queues behind a
	// write and never shrinks batches under load.
	var writing atomic.Int32
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range full {
				b.stored = p.store(writeCtx, b)
				writing.Add(-1)
				written <- b
			}
		}()
	}
	acked := make(chan bool, 1)
	go func() { acked <- p.ackInOrder(written, free) }()

	cur := <-free
	var seq uint64
	flush := func() {
		if len(cur.messages) == 0 {
			return
		}
		cur.seq = seq
		seq++
		writing.Add(1)
		full <- cur
		cur = <-free
	}
	// timer bounds how long a batch waits to fill. idle flushes sooner when
	// messages stop arriving while no write is in progress: a broker with a
	// small inflight window (Mosquitto's default is 20) sends nothing more
	// until it gets acknowledgements, so waiting for the batch to fill would
	// only cap the rate at one window per flush_interval.
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	idle := time.NewTimer(time.Hour)
	idle.Stop()
	for {
		select {
		case m := <-queue:
			began := len(cur.messages) == 0
			p.accumulate(cur, m)
			// Take what else is queued already, so that the timers are
			// reset once a burst rather than once a message.
		burst:
			for !p.batchFull(cur) {
				select {
				case m := <-queue:
					p.accumulate(cur, m)
				default:
					break burst
				}
			}
			switch {
			case p.batchFull(cur):
				timer.Stop()
				idle.Stop()
				flush()
			case began:
				timer.Reset(p.cfg.FlushInterval)
				idle.Reset(p.cfg.IdleFlush)
			default:
				idle.Reset(p.cfg.IdleFlush)
			}
		case <-timer.C:
			idle.Stop()
			flush()
		case <-idle.C:
			if writing.Load() == 0 {
				timer.Stop()
				flush()
			}
		case <-ctx.Done():
			timer.Stop()
			idle.Stop()
			p.drain(queue, cur, flush)
			close(full)
			wg.Wait()
			close(written)
			if !<-acked {
				return errors.New("shutdown timeout: some messages were left unacknowledged for the broker to redeliver")
			}
			return nil
		}
	}
}

// batchFull reports whether b holds a batch's worth of points or messages.
func (p *Pipeline) batchFull(b *batch) bool {
	return b.points.Points() >= p.cfg.BatchPoints || len(b.messages) >= p.cfg.BatchMessages
}

// ackInOrder acknowledges written batches in sequence order and recycles
// them. Once a batch could not be stored (shutdown ran out of time), no
// later batch is acknowledged either, so that the broker's redelivery
// starts from the first unstored message. It reports whether every batch
// was acknowledged.
func (p *Pipeline) ackInOrder(written <-chan *batch, free chan<- *batch) bool {
	var next uint64
	held := map[uint64]*batch{}
	complete := true
	for b := range written {
		held[b.seq] = b
		for {
			b, ok := held[next]
			if !ok {
				break
			}
			delete(held, next)
			next++
			switch {
			case !b.stored:
				complete = false
				p.log.Warn("batch left unacknowledged for redelivery", "messages", len(b.messages), "points", b.points.Points())
			case complete:
				// The alerts first: a crash between the two then
				// redelivers the batch, which repeats an alert (merged)
				// rather than losing it.
				p.tellStored(b)
				p.ack(b)
			}
			b.reset()
			free <- b
		}
	}
	return complete
}

// drain takes what is already queued, so that it is written before exit.
func (p *Pipeline) drain(queue <-chan Message, cur *batch, flush func()) {
	for {
		select {
		case m := <-queue:
			p.accumulate(cur, m)
			if p.batchFull(cur) {
				flush()
			}
		default:
			flush()
			return
		}
	}
}

// accumulate validates one message and adds its readings to b. Every
// message joins b, even one wholly rejected, so that acknowledgements keep
// the order in which the broker sent the messages.
func (p *Pipeline) accumulate(b *batch, m Message) {
	b.messages = append(b.messages, m)
	facilityLevel, streamLevel, ok := splitTopic(p.root, m.Topic)
	if ok && ownLevel(streamLevel) {
		// A facility's alerts or figures topic, which the collector
		// itself writes and its subscription receives too: neither a
		// reading nor a rejection, acknowledged and left alone whatever
		// its facility or size, since a facility since removed from the
		// registry keeps its retained message.
		p.metrics.countMessage(streamLevel)
		return
	}
	facility, stream, rerr := p.route(m, facilityLevel, streamLevel, ok)
	if rerr != nil {
		p.rejections.reject(m, facility, string(stream), -1, rerr)
		return
	}
	if stream == reading.Status {
		st, err := decode.DecodeStatus(m.Payload)
		if err != nil {
			p.rejections.reject(m, facility, string(stream), -1, err)
			return
		}
		p.statuses.Set(facility, st, m.Received)
		return
	}
	res := p.decoder.Decode(facility, stream, m.Payload, m.Received)
	for _, rej := range res.Rejected {
		p.rejections.reject(m, facility, string(stream), rej.Index, rej.Err)
	}
	var newest time.Time
	for i := range res.Readings {
		if t := res.Readings[i].Time; t.After(newest) {
			newest = t
		}
		if err := b.points.Add(&res.Readings[i]); err != nil {
			// The decoder let through something line protocol cannot
			// carry: a bug, but the rest of the message is still stored.
			p.log.Error("encode reading", "topic", m.Topic, "err", err)
			p.rejections.reject(m, facility, string(stream), i, &reading.Error{Reason: reading.ReasonMalformed, Detail: err.Error()})
			continue
		}
		if p.stored != nil && stream == reading.Waste {
			b.waste = append(b.waste, res.Readings[i])
		}
	}
	p.metrics.countReadings(string(stream), len(res.Readings))
	if len(res.Readings) > 0 {
		p.statuses.SawReading(facility, newest, m.Received)
	}
}

// route checks the topic's facility and stream levels f and s (split is
// splitTopic's verdict on the topic), the facility and the size of a
// message.
func (p *Pipeline) route(m Message, f, s string, split bool) (facility string, stream reading.Stream, err *reading.Error) {
	if !split {
		p.metrics.countMessage("other")
		return "_invalid", "_invalid", &reading.Error{Reason: reading.ReasonBadTopic,
			Detail: "topic is not " + p.root + "/<facility_id>/<stream> with a facility id of 1-64 letters, digits, '_' or '-'"}
	}
	stream, known := reading.ParseStream(s)
	if !known {
		p.metrics.countMessage("other")
		return f, reading.Stream(s), &reading.Error{Reason: reading.ReasonUnknownStream,
			Detail: "stream " + s + " is not one of energy, solar, waste, status"}
	}
	p.metrics.countMessage(s)
	if _, ok := p.facilities.Lookup(f); !ok {
		return f, stream, &reading.Error{Reason: reading.ReasonUnknownFacility, Field: "facility",
			Detail: f + " is not in the facility registry"}
	}
	if len(m.Payload) > p.cfg.MaxPayloadBytes {
		return f, stream, &reading.Error{Reason: reading.ReasonTooLarge,
			Detail: "payload exceeds ingest.max_payload_bytes"}
	}
	return f, stream, nil
}

// store writes b's points, retrying while InfluxDB is unavailable; it
// reports false if ctx ended first.
func (p *Pipeline) store(ctx context.Context, b *batch) bool {
	n := b.points.Points()
	if n == 0 {
		return true
	}
	err := p.writeWithRetry(ctx, b.points.Bytes(), n)
	if errors.Is(err, errRefused) {
		b.refused = true
		return true
	}
	if err != nil {
		p.log.Warn("influxdb write abandoned at shutdown", "points", n, "err", err)
		return false
	}
	return true
}

// ack acknowledges b's messages in the order they arrived.
func (p *Pipeline) ack(b *batch) {
	now := time.Now()
	for _, m := range b.messages {
		m.ack()
		p.metrics.ackDelay.Observe(now.Sub(m.Received).Seconds())
	}
	p.metrics.pending.Sub(float64(len(b.messages)))
}

func (p *Pipeline) writeWithRetry(ctx context.Context, lp []byte, points int) error {
	backoff := p.cfg.RetryInitial
	for attempt := 1; ; attempt++ {
		start := time.Now()
		err := p.writer.Write(ctx, lp)
		p.metrics.writeDuration.Observe(time.Since(start).Seconds())
		switch {
		case err == nil:
			p.metrics.pointsWritten.Add(float64(points))
			p.metrics.batchPoints.Observe(float64(points))
			if attempt > 1 {
				p.log.Info("influxdb writes resumed", "attempts", attempt)
			}
			return nil
		case influx.IsPermanent(err):
			// InfluxDB parsed the batch and refused part of it (it stores
			// the rest); sending it again would be refused again.
			p.metrics.influxErrors.WithLabelValues("permanent").Inc()
			p.metrics.pointsDropped.Add(float64(points))
			p.log.Error("influxdb refused points of a batch; acknowledging it so ingestion goes on", "points", points, "err", err)
			return errRefused
		}
		p.metrics.influxErrors.WithLabelValues("transient").Inc()
		p.log.Warn("influxdb write failed; retrying", "attempt", attempt, "retry_in", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return ctx.Err()
		}
		backoff = min(2*backoff, p.cfg.RetryMax)
	}
}
