package publish

import (
	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Message is one MQTT payload: a JSON array of readings of one stream, and
// the outbox sequence numbers it carries.
type Message struct {
	Stream  reading.Stream
	Payload []byte
	Seqs    []uint64
}

// Pack groups items by stream, keeping each stream's order, into JSON arrays
// of at most maxReadings readings and maxBytes bytes. An item is a JSON
// object already; a single item larger than maxBytes still goes out alone.
func Pack(items []outbox.Item, maxReadings, maxBytes int) []Message {
	var msgs []Message
	open := map[reading.Stream]int{} // stream -> index of its message being filled
	for _, it := range items {
		i, ok := open[it.Stream]
		if ok {
			m := &msgs[i]
			if len(m.Seqs) >= maxReadings || len(m.Payload)+1+len(it.Data)+1 > maxBytes {
				ok = false
			}
		}
		if !ok {
			msgs = append(msgs, Message{Stream: it.Stream, Payload: []byte{'['}})
			i = len(msgs) - 1
			open[it.Stream] = i
		}
		m := &msgs[i]
		if len(m.Seqs) > 0 {
			m.Payload = append(m.Payload, ',')
		}
		m.Payload = append(m.Payload, it.Data...)
		m.Seqs = append(m.Seqs, it.Seq)
	}
	for i := range msgs {
		msgs[i].Payload = append(msgs[i].Payload, ']')
	}
	return msgs
}
