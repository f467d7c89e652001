package reading

import "time"

// AgentStatus is an agent's retained message on <root>/<facility>/status. Every
// key is optional: the broker's will carries only {"online": false}, and an
// agent sends what it knows.
type AgentStatus struct {
	Online       *bool      `json:"online,omitempty"`
	Version      string     `json:"version,omitempty"`
	OutboxDepth  *int64     `json:"outbox_depth,omitempty"`
	OldestUnsent *time.Time `json:"oldest_unsent,omitempty"`
	UptimeS      *float64   `json:"uptime_s,omitempty"`
	LastError    string     `json:"last_error,omitempty"`
	// Sent counts the readings the broker acknowledged since the agent
	// started. A broker acknowledges a publish its ACL refuses too (MQTT
	// 3.1.1), so a count that grows while none of its readings arrive
	// tells the collector the agent is misconfigured, not idle.
	Sent *int64 `json:"sent,omitempty"`
}
