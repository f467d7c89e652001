// Package web serves the agent's HTTP endpoints on the facility LAN:
// waste entry (POST /api/v1/waste), /metrics and /healthz.
package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Agent is what the web server needs of the agent.
type Agent interface {
	Record(source string, rs []reading.Reading) error
	Healthy() error
	Status() reading.AgentStatus
}

// Handler returns the agent's HTTP routes. manualEnabled says whether waste
// entry is accepted.
func Handler(a Agent, facility string, manualEnabled bool, gatherer prometheus.Gatherer, now func() time.Time) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		code := http.StatusOK
		body := map[string]any{"status": a.Status()}
		if err := a.Healthy(); err != nil {
			code = http.StatusServiceUnavailable
			body["error"] = err.Error()
		}
		writeJSON(w, code, body)
	})
	mux.HandleFunc("POST /api/v1/waste", func(w http.ResponseWriter, r *http.Request) {
		if !manualEnabled {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": "waste entry is off (sources.manual.enabled: false)"})
			return
		}
		var e manual.Entry
		dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": fmt.Sprintf("not a waste entry: %v", err)})
			return
		}
		rd, err := e.Reading(facility, now())
		if err != nil {
			var problems []map[string]string
			for _, fe := range fieldErrors(err) {
				problems = append(problems, map[string]string{"field": fe.Field, "message": fe.Message})
			}
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": err.Error(), "problems": problems})
			return
		}
		if err := a.Record("manual", []reading.Reading{rd}); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
			return
		}
		id, _ := rd.Field("id")
		writeJSON(w, http.StatusCreated, map[string]any{"id": id.Str, "ts": rd.Time.UTC().Format(time.RFC3339Nano)})
	})
	return mux
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
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the client went away: nothing to do
}
