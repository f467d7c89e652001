package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/meterlog"
	"github.com/greenpulse-health/greenpulse/agents/source/manual"
)

// Meters records meter readings that staff type and shows the last ones.
type Meters interface {
	RecordMeter(e manual.MeterEntry, now time.Time) (manual.MeterResult, error)
	MeterReadings() (meterlog.View, error)
}

// meterAnswer is POST /api/v1/meter's answer to a recorded entry.
type meterAnswer struct {
	Counter  manual.Counter `json:"counter"`
	Meter    string         `json:"meter"`
	Value    float64        `json:"value"`
	Unit     string         `json:"unit"`
	Time     time.Time      `json:"ts"`
	Sent     bool           `json:"sent"` // a reading went to the outbox
	Said     []string       `json:"said"`
	Warnings []string       `json:"warnings"`
}

// question is POST /api/v1/meter's 409 answer: what the entry must answer.
type question struct {
	Field     string     `json:"field"`
	Flag      string     `json:"flag"`
	Kind      string     `json:"kind"`
	Message   string     `json:"message"`
	LastValue *float64   `json:"last_value,omitempty"`
	LastTime  *time.Time `json:"last_time,omitempty"`
	Unit      string     `json:"unit"`
}

func postMeter(opt Options) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if opt.Meters == nil {
			writeJSON(w, http.StatusForbidden, map[string]any{"error": "meter readings are off (sources.manual.enabled: false)"})
			return
		}
		var e manual.MeterEntry
		if !decodeEntry(w, r, &e, "reading", "meter reading") {
			return
		}
		res, err := opt.Meters.RecordMeter(e, opt.Now())
		var q *manual.Question
		switch {
		case errors.As(err, &q):
			body := question{Field: q.Field, Flag: q.Flag, Kind: q.Kind, Message: q.Message, Unit: q.Unit}
			if q.Last != nil {
				v, t := q.Last.Value, q.Last.Time.UTC()
				body.LastValue, body.LastTime = &v, &t
			}
			writeJSON(w, http.StatusConflict, map[string]any{"error": err.Error(), "question": body})
			return
		case err != nil && len(fieldErrors(err)) > 0:
			writeProblems(w, err)
			return
		case err != nil:
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
			return
		}
		writeJSON(w, http.StatusCreated, meterAnswer{Counter: res.Counter, Meter: res.Meter, Value: res.Value, Unit: res.Unit,
			Time: res.Time.UTC(), Sent: res.Reading != nil, Said: nonNil(res.Said), Warnings: nonNil(res.Warnings)})
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// The JSON of GET /api/v1/meter: the page's and tests' contract, kept
// apart from meterlog's file format.
type (
	meterView struct {
		Last   []lastReading `json:"last"`
		Fuel   []fuelCounter `json:"fuel"`
		Recent []meterEntry  `json:"recent"`
	}
	lastReading struct {
		Counter   manual.Counter `json:"counter"`
		Meter     string         `json:"meter"`
		Value     float64        `json:"value"`
		Unit      string         `json:"unit"`
		Time      time.Time      `json:"time"`
		FromHours bool           `json:"from_hours"`
	}
	fuelCounter struct {
		Meter      string  `json:"meter"`
		BurnedL    float64 `json:"burned_l"`
		DeliveredL float64 `json:"delivered_l"`
	}
	meterEntry struct {
		Time     time.Time      `json:"time"`
		Counter  manual.Counter `json:"counter"`
		Meter    string         `json:"meter"`
		Value    float64        `json:"value"`
		Unit     string         `json:"unit"`
		Replaced bool           `json:"replaced"`
		Confirm  bool           `json:"confirm"`
		Note     string         `json:"note"`
		Sent     string         `json:"sent"`
		State    meterlog.State `json:"state"`
	}
)

func getMeters(meters Meters) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		out := meterView{Last: []lastReading{}, Fuel: []fuelCounter{}, Recent: []meterEntry{}}
		if meters == nil {
			writeJSON(w, http.StatusOK, out)
			return
		}
		v, err := meters.MeterReadings()
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": err.Error()})
			return
		}
		for _, l := range v.Last {
			out.Last = append(out.Last, lastReading{Counter: l.Counter, Meter: l.Meter, Value: l.Value, Unit: l.Unit, Time: l.Time.UTC(), FromHours: l.FromHours})
		}
		for _, f := range v.Fuel {
			out.Fuel = append(out.Fuel, fuelCounter{Meter: f.Meter, BurnedL: f.BurnedL, DeliveredL: f.DeliveredL})
		}
		for _, e := range v.Recent {
			out.Recent = append(out.Recent, meterEntry{Time: e.Time, Counter: e.Counter, Meter: e.Meter, Value: e.Value, Unit: e.Unit,
				Replaced: e.Replaced, Confirm: e.Confirm, Note: e.Note, Sent: e.Entry.Sent, State: e.State})
		}
		writeJSON(w, http.StatusOK, out)
	}
}
