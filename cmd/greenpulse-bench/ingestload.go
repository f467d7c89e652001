package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/greenpulse-health/greenpulse/registry"
)

// payloadFormat is how the load generator writes readings: the two forms
// an agent may send (SPEC, MQTT contract).
type payloadFormat string

const (
	lineProtocol payloadFormat = "line protocol"
	agentJSON    payloadFormat = "JSON"
)

// formatsByFlag are the formats by their --formats word.
var formatsByFlag = map[string]payloadFormat{"lp": lineProtocol, "json": agentJSON}

// messageSet is the messages of one run, built before it starts so that
// the load generator only publishes (its CPU shares the machine with what
// is measured), and so that every consumer of a cell gets the same bytes.
type messageSet struct {
	format     payloadFormat
	perMessage int
	baseMs     int64 // reading j is at baseMs+j milliseconds
	topics     []string
	payloads   [][]byte // slices of one buffer
}

func (s *messageSet) readings() int64 { return int64(len(s.payloads) * s.perMessage) }

// buildMessages builds n messages of perMessage energy readings each,
// round-robin over the facilities. Reading j of the run has the timestamp
// baseMs+j milliseconds: every reading is its own point, so InfluxDB's
// count of points written is exact. The payloads carry neither the
// facility (the topic is authoritative) nor the meter (the default, main),
// as the agent sends them.
func buildMessages(facilities []registry.Facility, format payloadFormat, n, perMessage int, baseMs int64) *messageSet {
	s := &messageSet{format: format, perMessage: perMessage, baseMs: baseMs, topics: make([]string, n), payloads: make([][]byte, n)}
	topics := make([]string, len(facilities))
	for i, f := range facilities {
		topics[i] = "greenpulse/" + f.ID + "/energy"
	}
	buf := make([]byte, 0, n*perMessage*96)
	for i := range n {
		s.topics[i] = topics[i%len(topics)]
		start := len(buf)
		if format == agentJSON && perMessage > 1 {
			buf = append(buf, '[')
		}
		for r := range perMessage {
			j := int64(i*perMessage + r)
			ts := baseMs + j
			switch format {
			case agentJSON:
				if r > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, `{"ts":`...)
				buf = strconv.AppendInt(buf, ts, 10)
				buf = append(buf, `,"source":"grid","kwh_total":`...)
				buf = strconv.AppendInt(buf, j, 10)
				buf = append(buf, `.5,"power_w":1200,"available":true}`...)
			case lineProtocol:
				buf = append(buf, "energy,source=grid kwh_total="...)
				buf = strconv.AppendInt(buf, j, 10)
				buf = append(buf, ".5,power_w=1200,available=true "...)
				buf = strconv.AppendInt(buf, ts, 10)
				buf = append(buf, "000000\n"...) // milliseconds to nanoseconds
			}
		}
		if format == agentJSON && perMessage > 1 {
			buf = append(buf, ']')
		}
		s.payloads[i] = buf[start:len(buf):len(buf)]
	}
	return s
}

// load publishes the set's messages with QoS 1 from several clients, each
// keeping up to window publishes unacknowledged by the broker.
func load(ctx context.Context, brokerURL string, set *messageSet, o ingestOptions) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan error, o.publishers)
	for p := range o.publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).
				SetClientID(fmt.Sprintf("bench-load-%d-%d", p, time.Now().UnixNano())).SetMaxResumePubInFlight(o.window))
			if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
				errc <- fmt.Errorf("connect load generator: %v", tok.Error())
				return
			}
			defer c.Disconnect(250)
			window := make([]mqtt.Token, 0, o.window)
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(len(set.payloads)) {
					break
				}
				window = append(window, c.Publish(set.topics[i], 1, false, set.payloads[i]))
				if len(window) == cap(window) {
					if err := waitAll(window); err != nil {
						errc <- err
						return
					}
					window = window[:0]
				}
			}
			if err := waitAll(window); err != nil {
				errc <- err
			}
		}()
	}
	wg.Wait()
	close(errc)
	if err := <-errc; err != nil {
		return err
	}
	return ctx.Err()
}

func waitAll(toks []mqtt.Token) error {
	for _, t := range toks {
		if !t.WaitTimeout(time.Minute) || t.Error() != nil {
			return fmt.Errorf("publish: %v", t.Error())
		}
	}
	return nil
}

// bareSubscriber measures a subscriber that does nothing with its
// messages, under the same load: the broker's ceiling for any consumer. It
// returns readings/s (messages/s times readings a message).
func bareSubscriber(ctx context.Context, brokerURL string, set *messageSet, o ingestOptions) (float64, error) {
	want := int64(len(set.payloads))
	var got, last atomic.Int64
	done := make(chan struct{})
	sub := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).
		SetClientID(fmt.Sprintf("bench-bare-%d", time.Now().UnixNano())).
		SetOrderMatters(true).
		SetDefaultPublishHandler(func(mqtt.Client, mqtt.Message) {
			last.Store(time.Now().UnixNano())
			if got.Add(1) == want {
				close(done)
			}
		}))
	if tok := sub.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return 0, fmt.Errorf("connect: %v", tok.Error())
	}
	defer sub.Disconnect(250)
	if tok := sub.Subscribe("greenpulse/+/+", 1, nil); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return 0, fmt.Errorf("subscribe: %v", tok.Error())
	}
	start := time.Now()
	if err := load(ctx, brokerURL, set, o); err != nil {
		return 0, err
	}
	select {
	case <-done:
	case <-time.After(o.timeout):
		return 0, fmt.Errorf("received %d of %d messages", got.Load(), want)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	return float64(set.readings()) / time.Duration(last.Load()-start.UnixNano()).Seconds(), nil
}

// forgetSession removes a persistent session from the broker, so that a
// consumer that has stopped does not have the next runs' messages queued
// for it (which would cost the broker CPU in the runs that follow).
func forgetSession(brokerURL, clientID string) error {
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(brokerURL).SetClientID(clientID).SetCleanSession(true))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		return fmt.Errorf("clear session %s: %v", clientID, tok.Error())
	}
	c.Disconnect(250)
	return nil
}
