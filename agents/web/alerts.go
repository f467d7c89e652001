package web

import (
	"net/http"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/alertlist"
)

// Alerts tells the facility's alerts as the collector last sent them, and
// whether the link to the broker is up now.
type Alerts interface {
	Alerts() (alertlist.View, bool)
}

// alertsAnswer is GET /api/v1/alerts's answer: the page's and browser
// tests' contract, which must not change with the state file's format.
type alertsAnswer struct {
	// Connected: the link is up, so the list is the collector's current
	// one; otherwise it is the last known one.
	Connected bool `json:"connected"`
	// ReceivedAt is when the list arrived; null when none ever did.
	ReceivedAt *time.Time `json:"received_at"`
	// Skipped counts alerts of that list the agent could not show.
	Skipped int           `json:"skipped"`
	Alerts  []alertAnswer `json:"alerts"`
}

type alertAnswer struct {
	ID        string     `json:"id"`
	Rule      string     `json:"rule"`
	Severity  string     `json:"severity"`
	Message   string     `json:"message"`
	MessageAr string     `json:"message_ar"`
	FirstSeen time.Time  `json:"first_seen"`
	LastSeen  *time.Time `json:"last_seen"`
	Count     int        `json:"count"`
	State     string     `json:"state"`
	Ack       *ackAnswer `json:"ack"`
}

type ackAnswer struct {
	By      string     `json:"by"`
	At      *time.Time `json:"at"`
	Comment string     `json:"comment"`
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func getAlerts(alerts Alerts) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		out := alertsAnswer{Alerts: []alertAnswer{}}
		if alerts == nil {
			writeJSON(w, http.StatusOK, out)
			return
		}
		v, connected := alerts.Alerts()
		out.Connected, out.ReceivedAt, out.Skipped = connected, optionalTime(v.ReceivedAt), v.Skipped
		for _, a := range v.Alerts {
			e := alertAnswer{ID: a.ID, Rule: a.Rule, Severity: a.Severity, Message: a.Message, MessageAr: a.MessageAr,
				FirstSeen: a.FirstSeen.UTC(), LastSeen: optionalTime(a.LastSeen), Count: a.Count, State: a.State}
			if a.Ack != nil {
				e.Ack = &ackAnswer{By: a.Ack.By, At: optionalTime(a.Ack.At), Comment: a.Ack.Comment}
			}
			out.Alerts = append(out.Alerts, e)
		}
		writeJSON(w, http.StatusOK, out)
	}
}
