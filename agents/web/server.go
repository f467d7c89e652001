// Package web serves the agent's HTTP endpoints on the facility LAN: the
// waste entry and meter readings page (GET /), which also shows the
// facility's own figures and lists its active alerts, its API
// (POST /api/v1/waste, GET /api/v1/waste/recent, POST and GET
// /api/v1/meter, GET /api/v1/alerts, GET /api/v1/figures),
// the login that guards them (POST /login,
// POST /logout), the choice of its language (POST /lang), /metrics and
// /healthz.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/agents/wastelog"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Agent is what the web server needs of the agent for /healthz.
type Agent interface {
	Healthy() error
	Status() reading.AgentStatus
}

// Waste records waste entries that staff make and lists the recent ones.
type Waste interface {
	RecordWaste(r reading.Reading, note string) error
	RecentWaste() ([]wastelog.Listed, error)
}

// WrongPasswordDelay is how long an answer to a wrong password waits, one
// wrong password at a time, so guessing goes at one try a second at most.
const WrongPasswordDelay = time.Second

// SessionTTL is how long a login lasts: a working day and then some.
const SessionTTL = 12 * time.Hour

// Options configures Handler.
type Options struct {
	// Facility is the facility's registry id.
	Facility string
	// Waste takes the waste entries; nil turns waste entry off.
	Waste Waste
	// Meters takes the meter readings staff type; nil turns them off.
	Meters Meters
	// Alerts tells the facility's alerts that the page lists; nil lists
	// none.
	Alerts Alerts
	// Figures tells the facility's figures that the page shows; nil shows
	// none.
	Figures Figures
	// Password guards the page and the waste API; empty leaves them open
	// and the page says so.
	Password string
	// WrongPasswordDelay is the wait after each wrong password; 0 means
	// none (tests). The agent uses the package's WrongPasswordDelay.
	WrongPasswordDelay time.Duration
	// SessionTTL is how long a login lasts; 0 means SessionTTL.
	SessionTTL time.Duration
	// Gatherer is what /metrics serves.
	Gatherer prometheus.Gatherer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives a line for every wrong password; nil means
	// slog.Default().
	Logger *slog.Logger
}

// maxBody bounds the bodies the server reads from the LAN.
const maxBody = 64 << 10

// Handler returns the agent's HTTP routes. It is safe for concurrent use.
func Handler(a Agent, opt Options) http.Handler {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.SessionTTL <= 0 {
		opt.SessionTTL = SessionTTL
	}
	au := newAuth(opt)
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(opt.Gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		code := http.StatusOK
		body := map[string]any{"status": a.Status()}
		if err := a.Healthy(); err != nil {
			code = http.StatusServiceUnavailable
			body["error"] = err.Error()
		}
		writeJSON(w, code, body)
	})
	page := newPage(opt, au)
	mux.Handle("GET /{$}", page)
	mux.Handle("GET /waste", page)
	mux.Handle("GET /static/", staticFiles())
	mux.HandleFunc("POST /login", page.login)
	mux.HandleFunc("POST /logout", au.logout)
	mux.HandleFunc("POST /lang", page.setLang)
	mux.Handle("POST /api/v1/waste", au.require(postWaste(opt)))
	mux.Handle("GET /api/v1/waste/recent", au.require(recentWaste(opt.Waste)))
	mux.Handle("POST /api/v1/meter", au.require(postMeter(opt)))
	mux.Handle("GET /api/v1/meter", au.require(getMeters(opt.Meters)))
	mux.Handle("GET /api/v1/alerts", au.require(getAlerts(opt.Alerts)))
	mux.Handle("GET /api/v1/figures", au.require(getFigures(opt.Figures)))
	return mux
}

func postWaste(opt Options) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if opt.Waste == nil {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": "waste entry is off (sources.manual.enabled: false)"})
			return
		}
		var e manual.Entry
		if !decodeEntry(w, r, &e, "entry", "waste entry") {
			return
		}
		rd, err := e.Reading(opt.Facility, opt.Now())
		if err != nil {
			writeProblems(w, err)
			return
		}
		if err := opt.Waste.RecordWaste(rd, e.Note); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
			return
		}
		id, _ := rd.Field("id")
		writeJSON(w, http.StatusCreated, map[string]any{"id": id.Str, "ts": rd.Time.UTC().Format(time.RFC3339Nano)})
	}
}

// decodeEntry reads an entry that staff typed into v, answering 415 or 400
// itself (with what, e.g. "waste entry", in its words) when it cannot.
// Only JSON: a form on some other web site cannot send it to the LAN
// without the browser asking this server first, which it never allows.
func decodeEntry(w http.ResponseWriter, r *http.Request, v any, noun, what string) bool {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeJSON(w, http.StatusUnsupportedMediaType, map[string]any{"error": "send the " + noun + " as JSON with Content-Type: application/json"})
		return false
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": fmt.Sprintf("not a %s: %v", what, err)})
		return false
	}
	return true
}

// writeProblems answers 422 with err's field errors, each naming its field.
func writeProblems(w http.ResponseWriter, err error) {
	var problems []map[string]string
	for _, fe := range fieldErrors(err) {
		problems = append(problems, map[string]string{"field": fe.Field, "message": fe.Message})
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": err.Error(), "problems": problems})
}

// recentEntry is one entry of GET /api/v1/waste/recent. It repeats
// wastelog.Entry's fields on purpose: this is the page's and browser
// tests' contract, which must not change with the file format.
type recentEntry struct {
	Time        time.Time      `json:"time"`
	Category    string         `json:"category"`
	MassKg      float64        `json:"mass_kg"`
	Treatment   string         `json:"treatment"`
	StoredHours *float64       `json:"stored_hours"`
	Note        string         `json:"note"`
	ID          string         `json:"id"`
	State       wastelog.State `json:"state"`
}

func recentWaste(waste Waste) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		out := []recentEntry{}
		if waste == nil {
			writeJSON(w, http.StatusOK, out)
			return
		}
		listed, err := waste.RecentWaste()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
			return
		}
		for _, e := range listed {
			out = append(out, recentEntry{Time: e.Time, Category: e.Category, MassKg: e.MassKg, Treatment: e.Treatment,
				StoredHours: e.StoredHours, Note: e.Note, ID: e.ID, State: e.State})
		}
		writeJSON(w, http.StatusOK, out)
	}
}

func fieldErrors(err error) []*manual.FieldError {
	var out []*manual.FieldError
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			out = append(out, fieldErrors(e)...)
		}
		return out
	}
	var fe *manual.FieldError
	if errors.As(err, &fe) {
		out = append(out, fe)
	}
	return out
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}
