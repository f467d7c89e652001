package api

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/greenpulse-health/greenpulse/collector/surge"
)

// Surge lists the configured mass gatherings and compares one with its
// baseline (collector/surge).
type Surge interface {
	Events() []surge.Entry
	Answer(ctx context.Context, id string) (*surge.Answer, error)
}

// EnableSurge turns on GET /api/v1/surge?event=ID; without it the list is
// empty and every event unknown.
func (a *API) EnableSurge(s Surge) { a.surge = s }

// maxEventID bounds the id an error message repeats.
const maxEventID = 64

// surgeEvents answers GET /api/v1/surge: the events, or with event=ID
// that event against its baseline, narrowed to what the viewer sees. The
// event-level figures are an aggregate like the nation's; facility rows
// need the right to read facilities, which public visitors lack.
func (a *API) surgeEvents(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("event")
	if id == "" {
		list := []surge.Entry{}
		if a.surge != nil {
			list = a.surge.Events()
		}
		writeJSON(w, http.StatusOK, map[string][]surge.Entry{"events": list})
		return
	}
	if a.surge == nil {
		unknownEvent(w, id)
		return
	}
	ans, err := a.surge.Answer(r.Context(), id)
	switch {
	case errors.Is(err, surge.ErrUnknownEvent):
		unknownEvent(w, id)
		return
	case err != nil:
		writeError(w, http.StatusBadGateway, fmt.Errorf("reading the event's indicators from InfluxDB: %w", err))
		return
	}
	v := a.viewer(r)
	ans = ans.Scoped(v, v.May(ReadFacilities))
	if wantsCSV(r) {
		writeSurgeCSV(w, ans)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	// The status is sent: a failing client connection is all that can
	// fail here.
	_ = ans.WriteJSON(w)
}

func unknownEvent(w http.ResponseWriter, id string) {
	if len(id) > maxEventID {
		id = id[:maxEventID] + "…"
	}
	writeError(w, http.StatusNotFound, fmt.Errorf("event %q is not configured (GET /api/v1/surge lists them)", id))
}

// writeSurgeCSV writes a row per area or facility, day (or "total") and
// measure, empty cells for nulls.
func writeSurgeCSV(w http.ResponseWriter, a *surge.Answer) {
	// The id is [a-z0-9-]: safe in a header.
	setCSV(w, "greenpulse-surge-"+a.Event.ID+".csv")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"level", "area", "day", "measure", "value", "baseline", "baseline_min", "baseline_max", "ratio"})
	num := func(x float64, ok bool) string {
		if !ok {
			return ""
		}
		return strconv.FormatFloat(surge.Round(x), 'f', -1, 64)
	}
	// line writes one measure's cell; totals have no band.
	line := func(level, area, day, m string, c surge.Cell, band bool) {
		lo, hi := "", ""
		if band {
			lo, hi = num(c.Min, c.HasBaseline), num(c.Max, c.HasBaseline)
		}
		r, rok := c.Ratio()
		_ = cw.Write([]string{level, inert(area), day, m, num(c.Value, c.HasValue), num(c.Baseline, c.HasBaseline), lo, hi, num(r, rok)})
	}
	rows := func(level, area string, days []surge.Day, total surge.Totals) {
		for _, d := range days {
			for i, m := range a.Measures {
				line(level, area, d.Day.String(), m, d.Values[i], true)
			}
		}
		for i, m := range a.Measures {
			line(level, area, "total", m, total[i], false)
		}
	}
	for _, x := range a.Areas {
		rows(x.Level, x.Area, x.Days, x.Total)
	}
	for _, f := range a.Facilities {
		rows("facility", f.Facility, f.Days, f.Total)
	}
	cw.Flush()
}
