package api

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Alerts lists and acknowledges facility alerts.
type Alerts interface {
	List(f alerts.Filter) []alerts.Alert
	Ack(id, by, comment string) (alerts.Alert, error)
}

// EnableAlerts turns on GET /api/v1/alerts and POST
// /api/v1/alerts/{id}/ack; admins acknowledge any alert, a facility's
// users their facility's.
func (a *API) EnableAlerts(al Alerts) { a.alerts = al }

func (a *API) listAlerts(w http.ResponseWriter, r *http.Request) {
	if a.alerts == nil {
		writeError(w, http.StatusNotFound, errors.New("alerts are off in this collector (alerts.enabled: false)"))
		return
	}
	v := r.URL.Query()
	f := alerts.Filter{State: v.Get("state"), Severity: alerts.Severity(v.Get("severity")), Rule: v.Get("rule"),
		Area: v.Get("area"), Facility: v.Get("facility")}
	if f.State != "" && f.State != "active" && !alerts.State(f.State).Valid() {
		writeError(w, http.StatusBadRequest, &badParam{"state", fmt.Sprintf("%q is not one of active, active_unacknowledged, active_acknowledged, cleared", f.State)})
		return
	}
	if f.Severity != "" && !f.Severity.Valid() {
		writeError(w, http.StatusBadRequest, &badParam{"severity", fmt.Sprintf("%q is not one of critical, warning, info", f.Severity)})
		return
	}
	if f.Rule != "" && !alerts.ValidRule(f.Rule) {
		writeError(w, http.StatusBadRequest, &badParam{"rule", fmt.Sprintf("%q is not a rule name such as open_burning or agent_silent", f.Rule)})
		return
	}
	if f.Area != "" && !reading.ValidName(f.Area) {
		writeError(w, http.StatusBadRequest, &badParam{"area", fmt.Sprintf("%q is not a facility id, district or governorate code", f.Area)})
		return
	}
	if f.Facility != "" && !reading.ValidName(f.Facility) {
		writeError(w, http.StatusBadRequest, &badParam{"facility", fmt.Sprintf("%q is not a facility id", f.Facility)})
		return
	}
	vw := a.viewer(r)
	switch {
	case !vw.May(ReadFacilities):
		notAllowed(w, vw, "GET /api/v1/alerts")
		return
	case f.Facility != "" && !vw.SeesFacility(f.Facility):
		outside(w, vw, "facility", f.Facility)
		return
	case f.Area != "" && !vw.SeesArea(f.Area):
		outside(w, vw, "area", f.Area)
		return
	}
	list := slices.DeleteFunc(a.alerts.List(f), func(al alerts.Alert) bool { return !vw.SeesFacility(al.Facility) })
	if wantsCSV(r) {
		writeAlertsCSV(w, list)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

func writeAlertsCSV(w http.ResponseWriter, list []alerts.Alert) {
	setCSV(w, "greenpulse-alerts.csv")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"id", "rule", "facility", "district", "governorate", "severity", "state", "first_seen", "last_seen",
		"count", "message", "message_ar", "ack_by", "ack_at", "ack_comment", "cleared_at"})
	ts := func(t time.Time) string { return t.UTC().Format(time.RFC3339) }
	for _, x := range list {
		var by, at, comment, cleared string
		if x.Ack != nil {
			by, at, comment = x.Ack.By, ts(x.Ack.At), x.Ack.Comment
		}
		if x.ClearedAt != nil {
			cleared = ts(*x.ClearedAt)
		}
		_ = cw.Write([]string{x.ID, x.Rule, x.Facility, x.District, x.Governorate, string(x.Severity), string(x.State),
			ts(x.FirstSeen), ts(x.LastSeen), strconv.Itoa(x.Count), inert(x.Message), inert(x.MessageAr), inert(by), at, inert(comment), cleared})
	}
	cw.Flush()
}

// inert keeps text that people typed (an acknowledgement's name and
// comment) or that came from an agent from being run as a formula when an
// officer opens the CSV in a spreadsheet: a cell that starts with = + - @
// tab or CR gets a leading apostrophe, which spreadsheets show as text.
func inert(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// ackRequest is the body of POST /api/v1/alerts/{id}/ack.
type ackRequest struct {
	By      string `json:"by"`
	Comment string `json:"comment"`
}

func (a *API) ackAlert(w http.ResponseWriter, r *http.Request) {
	if a.alerts == nil {
		writeError(w, http.StatusNotFound, errors.New("alerts are off in this collector (alerts.enabled: false)"))
		return
	}
	v := a.viewer(r)
	if !v.May(Acknowledge) {
		notAllowed(w, v, "acknowledging alerts (admins, and a facility's users for their facility)")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Type %q: want application/json", ct))
		return
	}
	var req ackRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("body: want a JSON object {\"by\": \"…\", \"comment\": \"…\"}: %w", err))
		return
	}
	// A person who signed in acknowledges as themselves; the admin
	// token, which is nobody in particular, says who in the body.
	if who := v.Who(); who != "" {
		req.By = who
	}
	if field, err := alerts.CheckAck(req.By, req.Comment); err != nil {
		writeError(w, http.StatusBadRequest, &badParam{field, err.Error()})
		return
	}
	// An alert's id names its facility ("<rule>.<facility>"), so the scope
	// is judged from the id itself, before and whatever the store holds:
	// an alert outside the scope is as unknown as one that does not
	// exist, and one raised meanwhile cannot slip past.
	id := r.PathValue("id")
	_, fac, _ := strings.Cut(id, ".")
	if !v.SeesFacility(fac) {
		writeError(w, http.StatusNotFound, fmt.Errorf("alert %q: %w", id, alerts.ErrNotFound))
		return
	}
	if !v.MayAck(fac) {
		notAllowed(w, v, "acknowledging an alert of "+fac)
		return
	}
	al, err := a.alerts.Ack(id, strings.TrimSpace(req.By), req.Comment)
	switch {
	case errors.Is(err, alerts.ErrNotFound):
		writeError(w, http.StatusNotFound, err)
	case errors.Is(err, alerts.ErrCleared):
		writeError(w, http.StatusConflict, err)
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
	default:
		writeJSON(w, http.StatusOK, al)
	}
}
