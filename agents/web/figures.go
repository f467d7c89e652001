package web

import (
	"fmt"
	"net/http"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/figures"
	"github.com/greenpulse-health/greenpulse/agents/officialfigures"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// Figures tells the facility's figures computed on the agent for a
// period, the collector's official month figures as they last arrived
// (newest month first), and whether the link to the broker is up now.
type Figures interface {
	Figures(kind indicators.Kind) (figures.Report, []officialfigures.Month, bool)
}

// figuresAnswer is GET /api/v1/figures's answer: the agent's own figures
// (package figures documents their fields), whether the agent is
// connected, and the collector's official month figures. It is the page's
// and browser tests' contract, which must not change with the state
// files' formats.
type figuresAnswer struct {
	figures.Report
	// Connected: the link is up, so official is the collector's current
	// figures; otherwise they are the last received.
	Connected bool             `json:"connected"`
	Official  []officialAnswer `json:"official"`
}

// officialAnswer is one month of the collector's figures.
type officialAnswer struct {
	Start      events.Date               `json:"start"`
	ComputedAt time.Time                 `json:"computed_at"`
	ReceivedAt time.Time                 `json:"received_at"`
	Values     map[indicators.ID]float64 `json:"values"`
	Skipped    int                       `json:"skipped"`
}

// periodKind reads the period parameter: day (also when left out) or
// month.
func periodKind(s string) (indicators.Kind, error) {
	switch s {
	case "", "day":
		return indicators.Day, nil
	case "month":
		return indicators.Month, nil
	}
	return "", fmt.Errorf("period: %q is not day or month", s)
}

func getFigures(f Figures) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		kind, err := periodKind(r.URL.Query().Get("period"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": err.Error()})
			return
		}
		if f == nil {
			writeJSON(w, http.StatusNotFound, map[string]any{"error": "this agent computes no figures"})
			return
		}
		rep, months, connected := f.Figures(kind)
		out := figuresAnswer{Report: rep, Connected: connected, Official: []officialAnswer{}}
		for _, m := range months {
			out.Official = append(out.Official, officialAnswer{Start: m.Start, ComputedAt: m.ComputedAt.UTC(),
				ReceivedAt: m.ReceivedAt.UTC(), Values: m.Values, Skipped: m.Skipped})
		}
		writeJSON(w, http.StatusOK, out)
	}
}
