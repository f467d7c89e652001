package figurestopic

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// message is the payload of the figures topic (see the package comment).
type message struct {
	Facility   string          `json:"facility"`
	Period     string          `json:"period"`
	Start      string          `json:"start"`
	ComputedAt string          `json:"computed_at"`
	Values     json.RawMessage `json:"values"`
}

type value struct {
	Indicator  indicators.ID `json:"indicator"`
	Value      float64       `json:"value"`
	Facilities int           `json:"facilities"`
}

// encodeValues returns the JSON list of vals and a hash of it with the
// month's start date, which says whether a facility's figures changed.
// A value that is not finite (JSON has no such number; the roll-up never
// writes one) is left out.
func encodeValues(start string, vals []indicators.Value) (json.RawMessage, uint64) {
	list := make([]value, 0, len(vals)) // [] for none: null would not be a list
	for _, v := range vals {
		if math.IsNaN(v.Value) || math.IsInf(v.Value, 0) {
			continue
		}
		list = append(list, value{Indicator: v.ID, Value: v.Value, Facilities: v.Facilities})
	}
	b, err := json.Marshal(list)
	if err != nil {
		panic(fmt.Sprintf("marshal figures: %v", err)) // finite numbers and strings: cannot fail
	}
	h := fnv.New64a()
	h.Write([]byte(start))
	h.Write([]byte{0})
	h.Write(b)
	return b, h.Sum64()
}

// encodeMessage returns facility's message for the month starting on date
// (local, YYYY-MM-DD), computed at at.
func encodeMessage(facility, date string, at time.Time, vals json.RawMessage) []byte {
	b, err := json.Marshal(message{Facility: facility, Period: string(indicators.Month), Start: date,
		ComputedAt: at.UTC().Format(time.RFC3339), Values: vals})
	if err != nil {
		panic(fmt.Sprintf("marshal figures of %s: %v", facility, err)) // see encodeValues
	}
	return b
}
