package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/dhis2"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// DHIS2 makes the document a push would send and reads the push log.
type DHIS2 interface {
	Document(ctx context.Context, month indicators.Period) (dhis2.Document, error)
	Pushes(n int) ([]dhis2.Record, error)
}

// EnableDHIS2 turns on GET /api/v1/export/dhis2 and /api/v1/dhis2/pushes.
func (a *API) EnableDHIS2(d DHIS2) { a.dhis2 = d }

// exportDocument is the export's JSON answer: the dataValueSets document a
// push sends, and beside it the report of what it holds and left out, so
// that no facility drops out unseen. report=false leaves the report out,
// for a file to import by hand: we have not seen whether every DHIS2
// version ignores a member it does not know.
type exportDocument struct {
	dhis2.DataValueSet
	Report *dhis2.Report `json:"report,omitempty"`
}

func (a *API) exportDHIS2(w http.ResponseWriter, r *http.Request) {
	if v := a.viewer(r); !v.May(ReadDHIS2) {
		notAllowed(w, v, "the DHIS2 export covers the country")
		return
	}
	if a.dhis2 == nil {
		writeError(w, http.StatusNotFound, fmt.Errorf("the DHIS2 export is off in this collector"))
		return
	}
	ps := r.URL.Query().Get("period")
	if ps == "" {
		writeError(w, http.StatusBadRequest, &badParam{"period", "required: a month as YYYYMM, e.g. 202611"})
		return
	}
	p, err := dhis2.ParsePeriod(ps, a.loc)
	if err != nil {
		writeError(w, http.StatusBadRequest, &badParam{"period", err.Error()})
		return
	}
	if p.Start.After(time.Now()) {
		writeError(w, http.StatusBadRequest, &badParam{"period", fmt.Sprintf("%s has not begun", ps)})
		return
	}
	doc, err := a.dhis2.Document(r.Context(), p)
	if err != nil {
		writeError(w, http.StatusBadGateway, fmt.Errorf("reading indicators from InfluxDB: %w", err))
		return
	}
	w.Header().Set("X-GreenPulse-Values", strconv.Itoa(doc.Report.Values))
	w.Header().Set("X-GreenPulse-Unmapped-Facilities", strconv.Itoa(len(doc.Report.Unmapped)))
	if wantsCSV(r) {
		setCSV(w, "greenpulse-dhis2-"+ps+".csv")
		_ = doc.WriteCSV(w)
		return
	}
	out := exportDocument{DataValueSet: doc.Set, Report: &doc.Report}
	if r.URL.Query().Get("report") == "false" {
		out.Report = nil
	}
	writeJSON(w, http.StatusOK, out)
}

// maxPushes bounds the push log an answer carries.
const maxPushes = 100

func (a *API) dhis2Pushes(w http.ResponseWriter, r *http.Request) {
	if v := a.viewer(r); !v.May(ReadDHIS2) {
		notAllowed(w, v, "the DHIS2 push log covers the country")
		return
	}
	if a.dhis2 == nil {
		writeJSON(w, http.StatusOK, []dhis2.Record{})
		return
	}
	n := 12
	if s := r.URL.Query().Get("limit"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 || v > maxPushes {
			writeError(w, http.StatusBadRequest, &badParam{"limit", fmt.Sprintf("want 1 to %d, got %q", maxPushes, s)})
			return
		}
		n = v
	}
	recs, err := a.dhis2.Pushes(n)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, recs)
}
