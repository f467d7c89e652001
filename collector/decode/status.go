package decode

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
)

// Status is an agent's retained status message. Every key is optional: the
// broker's will carries only {"online": false}.
type Status struct {
	Online       *bool      `json:"online,omitempty"`
	Version      string     `json:"version,omitempty"`
	OutboxDepth  *int64     `json:"outbox_depth,omitempty"`
	OldestUnsent *time.Time `json:"oldest_unsent,omitempty"`
	UptimeS      *float64   `json:"uptime_s,omitempty"`
	LastError    string     `json:"last_error,omitempty"`
}

// DecodeStatus decodes a status payload: one JSON object with the keys of
// Status and no others.
func DecodeStatus(payload []byte) (Status, *reading.Error) {
	var s Status
	if firstByte(payload) != '{' {
		return s, &reading.Error{Reason: reading.ReasonMalformed, Detail: "a status is one JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Status{}, jsonError(err)
	}
	return s, nil
}
