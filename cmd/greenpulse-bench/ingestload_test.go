package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/decode"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// TestBuildMessagesSameReadings checks that the bench's two payload
// formats carry the same readings, one point each, as the collector
// decodes them: otherwise the formats' figures could not be compared, nor
// InfluxDB's point count trusted as the readings'.
func TestBuildMessagesSameReadings(t *testing.T) {
	facilities := []registry.Facility{{ID: "BG-H-001"}, {ID: "NI-P-002"}}
	base := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
	now := time.UnixMilli(base).Add(24 * time.Hour)
	for _, perMessage := range []int{1, 50} {
		t.Run(fmt.Sprintf("%d-per-message", perMessage), func(t *testing.T) {
			const n = 7
			lines := map[payloadFormat]string{}
			for _, format := range []payloadFormat{lineProtocol, agentJSON} {
				set := buildMessages(facilities, format, n, perMessage, base)
				if got := set.readings(); got != n*int64(perMessage) {
					t.Fatalf("%s: %d readings, want %d", format, got, n*perMessage)
				}
				d := decode.New(reading.Limits{MaxFuture: time.Hour})
				batch := influx.NewBatch()
				seen := map[time.Time]bool{}
				for i, payload := range set.payloads {
					facility := facilities[i%len(facilities)].ID
					if want := "greenpulse/" + facility + "/energy"; set.topics[i] != want {
						t.Fatalf("%s: message %d goes to %s, want %s", format, i, set.topics[i], want)
					}
					res := d.Decode(facility, reading.Energy, payload, now)
					if len(res.Rejected) > 0 || len(res.Readings) != perMessage {
						t.Fatalf("%s: message %d %q decoded to %d readings, rejected %+v", format, i, payload, len(res.Readings), res.Rejected)
					}
					for j := range res.Readings {
						r := &res.Readings[j]
						if seen[r.Time] {
							t.Fatalf("%s: two readings at %s: they would be one point", format, r.Time)
						}
						seen[r.Time] = true
						if err := batch.Add(r); err != nil {
							t.Fatal(err)
						}
					}
				}
				lines[format] = string(batch.Bytes())
			}
			if lines[lineProtocol] != lines[agentJSON] {
				t.Errorf("the formats store different points:\nline protocol:\n%s\nJSON:\n%s", lines[lineProtocol], lines[agentJSON])
			}
		})
	}
}
