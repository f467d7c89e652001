package api

import (
	"fmt"
	"net/http"
)

// Viewer is what the asker may see and do, as collector/access decides:
// the API narrows every answer by it.
type Viewer interface {
	// SeesFacility: a facility's own figures, status, waste and alerts.
	SeesFacility(id string) bool
	// SeesRow: an indicator value of area at level.
	SeesRow(level, area string) bool
	// SeesArea: an area named in a request.
	SeesArea(area string) bool
	// SeesLevel: whether any area of level may be seen.
	SeesLevel(level string) bool
	// May: ReadFacilities, Acknowledge, RunRollup, ReadDHIS2 …
	May(action string) bool
	// MayAck: acknowledging an alert of facility.
	MayAck(facility string) bool
	Who() string
	Scope() string
}

// Actions Viewer.May is asked about; collector/access uses the same words.
const (
	ReadFacilities = "facilities"
	Acknowledge    = "ack"
	RunRollup      = "rollup"
	ReadDHIS2      = "dhis2"
)

// SetViewer makes the API ask viewerOf who each request is. Without it
// every request sees everything and may do nothing an operator does: an
// API nobody guards runs no operator action.
func (a *API) SetViewer(viewerOf func(*http.Request) Viewer) { a.viewerOf = viewerOf }

func (a *API) viewer(r *http.Request) Viewer {
	if a.viewerOf == nil {
		return unguarded{}
	}
	return a.viewerOf(r)
}

// unguarded sees everything and is allowed no operator action.
type unguarded struct{}

func (unguarded) SeesFacility(string) bool    { return true }
func (unguarded) SeesRow(string, string) bool { return true }
func (unguarded) SeesArea(string) bool        { return true }
func (unguarded) SeesLevel(string) bool       { return true }
func (unguarded) May(action string) bool      { return action == ReadFacilities || action == ReadDHIS2 }
func (unguarded) MayAck(string) bool          { return false }
func (unguarded) Who() string                 { return "" }
func (unguarded) Scope() string               { return "IQ" }

// outside is the 403 answer for an area (or facility) outside the
// viewer's scope, naming the parameter.
func outside(w http.ResponseWriter, v Viewer, param, value string) {
	writeError(w, http.StatusForbidden, &badParam{param, fmt.Sprintf("%s %s is outside your scope %s", param, value, v.Scope())})
}

// notAllowed is the 403 answer for an action the viewer may not take.
func notAllowed(w http.ResponseWriter, v Viewer, what string) {
	writeError(w, http.StatusForbidden, fmt.Errorf("%s: not allowed for %s (scope %s)", what, nameOr(v.Who(), "this account"), v.Scope()))
}

func nameOr(s, or string) string {
	if s == "" {
		return or
	}
	return s
}
