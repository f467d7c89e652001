package publish

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/reading"
)

func TestPack(t *testing.T) {
	item := func(seq uint64, s reading.Stream) outbox.Item {
		return outbox.Item{Seq: seq, Stream: s, Data: []byte(fmt.Sprintf(`{"ts":%d,"kwh_total":1}`, seq))}
	}
	var mixed []outbox.Item
	for i := range 10 {
		s := reading.Energy
		if i%3 == 0 {
			s = reading.Solar
		}
		mixed = append(mixed, item(uint64(i), s))
	}
	tests := []struct {
		name        string
		items       []outbox.Item
		maxReadings int
		maxBytes    int
		want        []string // stream:seqs per message
	}{
		{"empty", nil, 10, 1024, nil},
		{"by stream in order", mixed, 100, 1 << 20, []string{"solar:[0 3 6 9]", "energy:[1 2 4 5 7 8]"}},
		{"reading bound", mixed, 4, 1 << 20, []string{"solar:[0 3 6 9]", "energy:[1 2 4 5]", "energy:[7 8]"}},
		{"byte bound", mixed[1:3], 100, 30, []string{"energy:[1]", "energy:[2]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := Pack(tt.items, tt.maxReadings, tt.maxBytes)
			var got []string
			for _, m := range msgs {
				got = append(got, fmt.Sprintf("%s:%v", m.Stream, m.Seqs))
				var arr []map[string]any
				if err := json.Unmarshal(m.Payload, &arr); err != nil || len(arr) != len(m.Seqs) {
					t.Errorf("payload %s: %d items, err %v; want %d", m.Payload, len(arr), err, len(m.Seqs))
				}
				if len(m.Seqs) > 1 && len(m.Payload) > tt.maxBytes {
					t.Errorf("payload of %d bytes exceeds %d", len(m.Payload), tt.maxBytes)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMergeLanesPutsFreshFirstWithoutRepeats(t *testing.T) {
	it := func(seq uint64) outbox.Item { return outbox.Item{Seq: seq} }
	got := mergeLanes([]outbox.Item{it(9), it(10)}, []outbox.Item{it(1), it(2), it(9)})
	var seqs []uint64
	for _, g := range got {
		seqs = append(seqs, g.Seq)
	}
	if fmt.Sprint(seqs) != "[9 10 1 2]" {
		t.Errorf("got %v, want [9 10 1 2]", seqs)
	}
}
