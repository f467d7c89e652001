package officialfigures

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// Bounds of a message from the collector: a month has one value per
// indicator of the catalog (20 today); these leave room for more and
// still keep a small box from holding a large message.
const (
	MaxBytes  = 64 << 10
	maxValues = 200
)

// message is the payload of the figures topic.
type message struct {
	Facility   string          `json:"facility"`
	Period     string          `json:"period"`
	Start      string          `json:"start"`
	ComputedAt string          `json:"computed_at"`
	Values     json.RawMessage `json:"values"`
}

type value struct {
	Indicator  string   `json:"indicator"`
	Value      *float64 `json:"value"`
	Facilities *int     `json:"facilities"`
}

// Decode reads a message of facility's figures topic. It refuses a
// message that is not the contract's (not JSON, too large, another
// facility's, not a month, no start or computed_at, values not a list);
// within values it leaves out, and counts in Skipped, each item that is
// malformed, repeats an indicator, or names one this agent's catalog does
// not know, so that a newer collector's additions do not hide the rest.
func Decode(payload []byte, facility string) (Month, error) {
	if len(payload) > MaxBytes {
		return Month{}, fmt.Errorf("%d bytes, more than %d", len(payload), MaxBytes)
	}
	if len(bytes.TrimSpace(payload)) == 0 {
		return Month{}, errors.New("empty message")
	}
	var msg message
	if err := json.Unmarshal(payload, &msg); err != nil {
		return Month{}, fmt.Errorf("not a figures message: %w", err)
	}
	if msg.Facility != facility {
		return Month{}, fmt.Errorf("facility: %q, this agent is %q", msg.Facility, facility)
	}
	if msg.Period != "month" {
		return Month{}, fmt.Errorf("period: %q, want month", msg.Period)
	}
	start, err := events.ParseDate(msg.Start)
	if err != nil || start.Day != 1 {
		return Month{}, fmt.Errorf("start: %q, want the first day of a month such as 2026-12-01", msg.Start)
	}
	computed, err := time.Parse(time.RFC3339, msg.ComputedAt)
	if err != nil || computed.IsZero() {
		return Month{}, fmt.Errorf("computed_at: %q, want an RFC 3339 time", msg.ComputedAt)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(msg.Values, &items); err != nil || items == nil {
		return Month{}, errors.New("values: want a list of {indicator, value, facilities}")
	}
	if len(items) > maxValues {
		return Month{}, fmt.Errorf("values: %d, more than %d", len(items), maxValues)
	}
	m := Month{Start: start, ComputedAt: computed.UTC(), Values: map[indicators.ID]float64{}}
	for _, raw := range items {
		var v value
		if json.Unmarshal(raw, &v) != nil || v.Value == nil || !finite(*v.Value) || (v.Facilities != nil && *v.Facilities < 0) {
			m.Skipped++
			continue
		}
		id := indicators.ID(v.Indicator)
		_, known := indicators.Lookup(id)
		if _, dup := m.Values[id]; !known || dup {
			m.Skipped++
			continue
		}
		m.Values[id] = *v.Value
	}
	return m, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
