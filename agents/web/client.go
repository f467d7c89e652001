package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
)

// FetchStatus asks the agent at addr (host:port) for its status through
// /healthz, as tools, tests and benchmarks watching an agent do.
func FetchStatus(addr string) (reading.AgentStatus, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		return reading.AgentStatus{}, fmt.Errorf("agent status: %w", err)
	}
	defer resp.Body.Close()
	var h struct {
		Status reading.AgentStatus `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return reading.AgentStatus{}, fmt.Errorf("agent status from %s: %w", addr, err)
	}
	return h.Status, nil
}

// OutboxDepth is the number of readings the agent at addr holds unsent.
func OutboxDepth(addr string) (int64, error) {
	st, err := FetchStatus(addr)
	if err != nil {
		return -1, err
	}
	if st.OutboxDepth == nil {
		return -1, fmt.Errorf("agent status from %s: no outbox_depth", addr)
	}
	return *st.OutboxDepth, nil
}
