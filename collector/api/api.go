// Package api serves the collector's HTTP API for dashboards, planners and
// the DHIS2 export: indicators as JSON or CSV, the indicator catalog, and
// the facility registry with each facility's last reading and agent status.
// Bad parameters answer 400 with a message that names the parameter.
package api

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Indicators reads stored indicator values, and the raw waste events that
// a facility page breaks down by category and treatment.
type Indicators interface {
	Read(ctx context.Context, q rollup.Query) ([]rollup.Row, error)
	Waste(ctx context.Context, facility string, from, to time.Time) ([]rollup.WasteRow, error)
}

// Roller recomputes indicators over a range.
type Roller interface {
	Range(ctx context.Context, from, to time.Time) ([]rollup.Result, error)
}

// Facilities says what the collector knows of each facility's agent.
type Facilities interface {
	LastReading(facility string) (time.Time, bool)
	Status(facility string) (reading.AgentStatus, time.Time, bool)
}

// maxRows bounds one answer: a month of daily values for every facility
// and indicator is a download, not an API call.
const maxRows = 200_000

// maxIndicatorRange bounds the dates of one indicator query.
const maxIndicatorRange = 800 * 24 * time.Hour

// API holds the handlers' dependencies.
type API struct {
	roller Roller
	ind    Indicators
	fac    Facilities
	reg    *registry.Registry
	loc    *time.Location
	dhis2  DHIS2

	alerts Alerts
	surge  Surge

	// viewerOf says who asks (SetViewer); nil: nobody guards the API.
	viewerOf func(*http.Request) Viewer

	// silentGrace is how long an agent may be online without a reading
	// before GET /api/v1/facilities calls it online but silent.
	silentGrace time.Duration
}

// New returns the API. loc is the roll-up timezone in which dates are read.
func New(ind Indicators, fac Facilities, reg *registry.Registry, loc *time.Location) *API {
	return &API{ind: ind, fac: fac, reg: reg, loc: loc, silentGrace: DefaultSilentGrace}
}

// EnableRollup turns on POST /api/v1/rollup, for admins.
func (a *API) EnableRollup(r Roller) { a.roller = r }

// Register mounts the routes on mux.
func (a *API) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/rollup", a.rollup)
	mux.HandleFunc("GET /api/v1/indicators", a.indicators)
	mux.HandleFunc("GET /api/v1/catalog", a.catalog)
	mux.HandleFunc("GET /api/v1/facilities", a.facilities)
	mux.HandleFunc("GET /api/v1/areas", a.areas)
	mux.HandleFunc("GET /api/v1/waste", a.waste)
	mux.HandleFunc("GET /api/v1/export/dhis2", a.exportDHIS2)
	mux.HandleFunc("GET /api/v1/dhis2/pushes", a.dhis2Pushes)
	mux.HandleFunc("GET /api/v1/alerts", a.listAlerts)
	mux.HandleFunc("POST /api/v1/alerts/{id}/ack", a.ackAlert)
	mux.HandleFunc("GET /api/v1/surge", a.surgeEvents)
}

type badParam struct{ name, msg string }

func (e *badParam) Error() string { return e.name + ": " + e.msg }

// parse reads the query parameters of r; from and to may span at most
// maxRange.
func (a *API) parse(r *http.Request, maxRange time.Duration) (rollup.Query, error) {
	v := r.URL.Query()
	q := rollup.Query{MaxRows: maxRows}
	if list := v.Get("indicator"); list != "" {
		// A list longer than the catalog names some id twice or one that
		// does not exist: refuse it before looking anything up.
		ids := strings.SplitN(list, ",", len(indicators.Catalog)+1)
		if len(ids) > len(indicators.Catalog) {
			return q, &badParam{"indicator", fmt.Sprintf("lists more ids than the catalog's %d", len(indicators.Catalog))}
		}
		for _, id := range ids {
			if _, ok := indicators.Lookup(indicators.ID(id)); !ok {
				return q, &badParam{"indicator", fmt.Sprintf("%q is not in the catalog (GET /api/v1/catalog lists them)", id)}
			}
			if !slices.Contains(q.Indicators, indicators.ID(id)) {
				q.Indicators = append(q.Indicators, indicators.ID(id))
			}
		}
	}
	if l := v.Get("level"); l != "" {
		if !slices.Contains([]string{"facility", "district", "governorate", "national"}, l) {
			return q, &badParam{"level", fmt.Sprintf("%q is not one of facility, district, governorate, national", l)}
		}
		q.Level = l
	}
	if ar := v.Get("area"); ar != "" {
		if !reading.ValidName(ar) {
			return q, &badParam{"area", fmt.Sprintf("%q is not a facility id, district, governorate or country code", ar)}
		}
		q.Area = ar
	}
	if in := v.Get("within"); in != "" {
		areas, ok := a.within(in, q.Level)
		if !ok {
			return q, &badParam{"within", fmt.Sprintf("%q is not a governorate or district of the registry, or level is not facility or district within a governorate", in)}
		}
		q.Areas = areas
	}
	switch p := v.Get("period"); p {
	case "", "day":
		q.Period = indicators.Day
	case "month":
		q.Period = indicators.Month
	default:
		return q, &badParam{"period", fmt.Sprintf("%q is not day or month", p)}
	}
	now := time.Now().In(a.loc)
	var err error
	q.To = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, a.loc).AddDate(0, 0, 1)
	if s := v.Get("to"); s != "" {
		if q.To, err = indicators.ParseTime(s, a.loc); err != nil {
			return q, &badParam{"to", err.Error()}
		}
	}
	q.From = q.To.AddDate(0, 0, -30)
	if s := v.Get("from"); s != "" {
		if q.From, err = indicators.ParseTime(s, a.loc); err != nil {
			return q, &badParam{"from", err.Error()}
		}
	}
	if !q.To.After(q.From) {
		return q, &badParam{"to", "must be after from"}
	}
	if q.To.Sub(q.From) > maxRange {
		return q, &badParam{"from", fmt.Sprintf("the range may span at most %d days", int(maxRange.Hours()/24))}
	}
	return q, nil
}

// within lists the areas of level inside area in: the facilities of a
// governorate or district, or the districts of a governorate. A drill-down
// then reads its own areas, not the whole country's.
func (a *API) within(in, level string) ([]string, bool) {
	var out []string
	known := false
	for _, f := range a.reg.Facilities() {
		inGov, inDist := f.Governorate == in, f.District == in
		if !inGov && !inDist {
			continue
		}
		known = true
		switch {
		case level == "facility":
			out = append(out, f.ID)
		case level == "district" && inGov && !slices.Contains(out, f.District):
			out = append(out, f.District)
		}
	}
	if !known || (level != "facility" && level != "district") || (level == "district" && len(out) == 0) {
		return nil, false
	}
	return out, true
}

type row struct {
	Indicator  string  `json:"indicator"`
	Level      string  `json:"level"`
	Area       string  `json:"area"`
	Period     string  `json:"period"`
	Start      string  `json:"start"`
	Value      float64 `json:"value"`
	Facilities int64   `json:"facilities"`
}

func (a *API) indicators(w http.ResponseWriter, r *http.Request) {
	q, err := a.parse(r, maxIndicatorRange)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	v := a.viewer(r)
	switch in := r.URL.Query().Get("within"); {
	case q.Level != "" && !v.SeesLevel(q.Level):
		writeError(w, http.StatusForbidden, &badParam{"level", fmt.Sprintf("%s figures need signing in: public access shows national and governorate figures only", q.Level)})
		return
	case q.Area != "" && !v.SeesArea(q.Area):
		outside(w, v, "area", q.Area)
		return
	case in != "" && !v.SeesArea(in):
		outside(w, v, "within", in)
		return
	}
	rows, err := a.ind.Read(r.Context(), q)
	switch {
	case errors.Is(err, rollup.ErrTooManyRows):
		writeError(w, http.StatusBadRequest, err)
		return
	case err != nil:
		writeError(w, http.StatusBadGateway, fmt.Errorf("reading indicators from InfluxDB: %w", err))
		return
	}
	out := make([]row, 0, len(rows))
	for _, x := range rows {
		if v.SeesRow(x.Level, x.Area) {
			out = append(out, row{string(x.Indicator), x.Level, x.Area, string(x.Period), x.Start.In(a.loc).Format(time.RFC3339), x.Value, x.Facilities})
		}
	}
	if wantsCSV(r) {
		writeCSV(w, out)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func wantsCSV(r *http.Request) bool {
	return r.URL.Query().Get("format") == "csv" || strings.Contains(r.Header.Get("Accept"), "text/csv")
}

// setCSV heads a CSV answer, a download named file.
func setCSV(w http.ResponseWriter, file string) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+file+`"`)
}

func writeCSV(w http.ResponseWriter, rows []row) {
	setCSV(w, "greenpulse-indicators.csv")
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"indicator", "level", "area", "period", "start", "value", "facilities"})
	for _, x := range rows {
		_ = cw.Write([]string{x.Indicator, x.Level, x.Area, x.Period, x.Start,
			strconv.FormatFloat(x.Value, 'f', -1, 64), strconv.FormatInt(x.Facilities, 10)})
	}
	cw.Flush()
}

// maxRollupRange bounds one request: a year of days takes minutes.
const maxRollupRange = 92 * 24 * time.Hour

func (a *API) rollup(w http.ResponseWriter, r *http.Request) {
	if a.roller == nil {
		writeError(w, http.StatusForbidden, errors.New("roll-ups are off in this collector (rollup.enabled: false)"))
		return
	}
	if v := a.viewer(r); !v.May(RunRollup) {
		notAllowed(w, v, "POST /api/v1/rollup is for admins (an admin user, or Authorization: Bearer <http.admin_token>)")
		return
	}
	v := r.URL.Query()
	from, err := indicators.ParseTime(v.Get("from"), a.loc)
	if err != nil {
		writeError(w, http.StatusBadRequest, &badParam{"from", err.Error()})
		return
	}
	to, err := indicators.ParseTime(v.Get("to"), a.loc)
	if err != nil {
		writeError(w, http.StatusBadRequest, &badParam{"to", err.Error()})
		return
	}
	if !to.After(from) || to.Sub(from) > maxRollupRange {
		writeError(w, http.StatusBadRequest, &badParam{"to", fmt.Sprintf("must be after from and at most %d days later", int(maxRollupRange.Hours()/24))})
		return
	}
	results, err := a.roller.Range(r.Context(), from, to)
	if err != nil {
		writeError(w, http.StatusBadGateway, err)
		return
	}
	type done struct {
		Period    string `json:"period"`
		Start     string `json:"start"`
		Reporting int    `json:"reporting"`
		Points    int    `json:"points"`
	}
	out := []done{}
	for _, res := range results {
		out = append(out, done{string(res.Period.Kind), res.Period.Start.Format(time.RFC3339), res.Reporting, res.Points})
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *API) catalog(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, indicators.Catalog)
}

type facility struct {
	ID           string               `json:"id"`
	Name         string               `json:"name"`
	NameAr       string               `json:"name_ar"`
	Type         string               `json:"type"`
	Beds         int                  `json:"beds"`
	Governorate  string               `json:"governorate"`
	District     string               `json:"district"`
	Lat          float64              `json:"lat"`
	Lon          float64              `json:"lon"`
	PVkWp        float64              `json:"pv_kwp"`
	DHIS2OrgUnit string               `json:"dhis2_org_unit,omitempty"`
	LastReading  *time.Time           `json:"last_reading"`
	Agent        *reading.AgentStatus `json:"agent_status"`
	StatusAt     *time.Time           `json:"agent_status_received_at,omitempty"`
	// OnlineButSilent says that the agent has said it is online for at
	// least the grace (SetSilentGrace) and no reading of it has arrived
	// since it came online, SilentSince.
	OnlineButSilent bool       `json:"online_but_silent,omitempty"`
	SilentSince     *time.Time `json:"silent_since,omitempty"`
}

// DefaultSilentGrace is how long an agent may say it is online without a
// reading arriving before GET /api/v1/facilities calls it online but
// silent. An agent publishes readings every few minutes, so a quarter of
// an hour without one is not a slow sample but a publish the broker
// refused: MQTT 3.1.1 acknowledges a publish its ACL denies as if it had
// been accepted, so the agent cannot tell.
const DefaultSilentGrace = 15 * time.Minute

// silentSlack is how long before the agent came online a reading may have
// arrived and still count: an agent that reconnects sends its status and
// its waiting readings together, in either order.
const silentSlack = time.Minute

// SetSilentGrace sets how long an agent may be online without a reading
// before it is called online but silent (DefaultSilentGrace unless set).
// Call it before Register.
func (a *API) SetSilentGrace(d time.Duration) { a.silentGrace = d }

// agentRuns is what a Facilities may also tell (ingest.StatusBook does):
// since when an agent has been saying it is online, when its last reading
// arrived, and how many readings it says the broker took since. Without
// it nobody can be judged online but silent.
type agentRuns interface {
	OnlineSince(facility string) (time.Time, bool)
	LastArrival(facility string) (time.Time, bool)
	SentSinceOnline(facility string) (int64, bool)
}

// agentSeen is what the collector knows of one facility's agent, for
// onlineButSilent. A zero time is one not known.
type agentSeen struct {
	status reading.AgentStatus
	// onlineSince is when the agent's current run of online statuses began.
	onlineSince time.Time
	// lastReading is when the newest reading arrived.
	lastReading time.Time
	// sent is how many readings the agent says the broker acknowledged
	// since it came online; sentKnown is false when it does not say.
	sent      int64
	sentKnown bool
}

// seen gathers what fac knows of facility's agent.
func seen(fac Facilities, facility string) agentSeen {
	var s agentSeen
	st, _, ok := fac.Status(facility)
	if !ok {
		return s
	}
	s.status = st
	if runs, ok := fac.(agentRuns); ok {
		s.onlineSince, _ = runs.OnlineSince(facility)
		s.lastReading, _ = runs.LastArrival(facility)
		s.sent, s.sentKnown = runs.SentSinceOnline(facility)
	}
	return s
}

// onlineButSilent says whether the agent seen has been online for at least
// grace at now, has had readings acknowledged by the broker since it came
// online, and yet none of them arrived; and since when. An agent with
// nothing to send (a facility that only types waste entries, on a quiet
// day) is idle, not silent, and one that does not report its count cannot
// be judged.
func onlineButSilent(s agentSeen, now time.Time, grace time.Duration) (since time.Time, silent bool) {
	if s.status.Online == nil || !*s.status.Online || s.onlineSince.IsZero() || !s.sentKnown || s.sent <= 0 {
		return time.Time{}, false
	}
	if now.Sub(s.onlineSince) < grace {
		return time.Time{}, false
	}
	if !s.lastReading.IsZero() && !s.lastReading.Before(s.onlineSince.Add(-silentSlack)) {
		return time.Time{}, false
	}
	return s.onlineSince, true
}

func (a *API) facilities(w http.ResponseWriter, r *http.Request) {
	v := a.viewer(r)
	if !v.May(ReadFacilities) {
		notAllowed(w, v, "GET /api/v1/facilities")
		return
	}
	all := a.reg.Facilities()
	now := time.Now()
	out := make([]facility, 0, len(all)) // an empty registry is [], not null
	for _, f := range all {
		if !v.SeesFacility(f.ID) {
			continue
		}
		x := facility{ID: f.ID, Name: f.Name, NameAr: f.NameAr, Type: string(f.Type), Beds: f.Beds,
			Governorate: f.Governorate, District: f.District, Lat: f.Lat, Lon: f.Lon, PVkWp: f.PVkWp, DHIS2OrgUnit: f.DHIS2OrgUnit}
		if t, ok := a.fac.LastReading(f.ID); ok {
			x.LastReading = &t
		}
		if st, at, ok := a.fac.Status(f.ID); ok {
			x.Agent, x.StatusAt = &st, &at
			if since, silent := onlineButSilent(seen(a.fac, f.ID), now, a.silentGrace); silent {
				x.OnlineButSilent, x.SilentSince = true, &since
			}
		}
		out = append(out, x)
	}
	writeJSON(w, http.StatusOK, out)
}

func writeError(w http.ResponseWriter, code int, err error) {
	body := map[string]string{"error": err.Error()}
	var bp *badParam
	if errors.As(err, &bp) {
		body["parameter"] = bp.name
	}
	writeJSON(w, code, body)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
