// Package manual turns what a person enters (on the command line with
// log-waste or log-meter, or on the agent's web page) into readings, with
// messages a facility manager can act on: a waste hand-over into a waste
// reading (this file), a meter reading typed from a display into the
// counter reading a device would send (meter.go).
package manual

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/greenpulse-health/greenpulse/reading"
)

// Entry is one waste hand-over as a person enters it.
type Entry struct {
	Category    string    `json:"category"`
	Treatment   string    `json:"treatment"`
	MassKg      float64   `json:"mass_kg"`
	StoredHours *float64  `json:"stored_hours,omitempty"`
	Time        time.Time `json:"ts,omitzero"` // zero: now
	ID          string    `json:"id,omitempty"`
	// Note is free text for the facility's own records (who handed over,
	// which contractor). It is not part of the reading contract: the agent
	// keeps it with its list of recent entries and does not send it.
	Note string `json:"note,omitempty"`
}

// MaxNote is the longest note accepted, in characters.
const MaxNote = 200

// FieldError is a problem with one entry field, worded for the person who
// typed it.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// maxAge bounds how far back an entry may be dated: a hand-over forgotten
// for a month is plausible, one from last year is a typo.
const maxAge = 62 * 24 * time.Hour

// choice returns value lower-cased and trimmed, and reports to bad, under
// field, an empty value (asking as ask says) or one not among allowed (not
// being kind), each with the list of allowed values.
func choice(bad func(field, format string, args ...any), field, value string, allowed []string, ask, kind string) string {
	v := strings.ToLower(strings.TrimSpace(value))
	switch {
	case v == "":
		bad(field, "%s: one of %s", ask, strings.Join(allowed, ", "))
	case !slices.Contains(allowed, v):
		bad(field, "%q is not %s; choose one of: %s", value, kind, strings.Join(allowed, ", "))
	}
	return v
}

// Reading validates the entry and returns it as a waste reading of facility.
// Every problem is reported, each as a *FieldError.
func (e Entry) Reading(facility string, now time.Time) (reading.Reading, error) {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	cat := choice(bad, "category", e.Category, reading.WasteCategories, "choose the waste category", "a waste category")
	treat := choice(bad, "treatment", e.Treatment, reading.WasteTreatments, "choose how the waste was treated", "a treatment")
	switch {
	case e.MassKg <= 0:
		bad("mass_kg", "the weight must be more than 0 kg (got %g)", e.MassKg)
	case e.MassKg > 10000:
		bad("mass_kg", "%g kg is more than 10,000 kg: was it entered in grams?", e.MassKg)
	}
	if e.StoredHours != nil && (*e.StoredHours < 0 || *e.StoredHours > 8760) {
		bad("stored_hours", "the storage time must be 0 to 8760 hours (one year), got %g", *e.StoredHours)
	}
	ts := e.Time
	if ts.IsZero() {
		ts = now
	}
	switch {
	case ts.After(now.Add(5 * time.Minute)):
		bad("ts", "%s is in the future; check the date and the box's clock", ts.Format("2006-01-02 15:04"))
	case ts.Before(now.Add(-maxAge)):
		bad("ts", "%s is more than two months ago; check the date", ts.Format("2006-01-02 15:04"))
	}
	if len(e.ID) > 128 {
		bad("id", "at most 128 characters")
	}
	if n := utf8.RuneCountInString(e.Note); n > MaxNote {
		bad("note", "at most %d characters, got %d; keep it short", MaxNote, n)
	} else if !utf8.ValidString(e.Note) || strings.ContainsFunc(e.Note, unicode.IsControl) {
		bad("note", "write it on one line, without special characters")
	}
	if len(errs) > 0 {
		return reading.Reading{}, errors.Join(errs...)
	}
	b, _ := reading.NewBuilder(reading.Waste)
	b.SetTag("category", cat)
	b.SetTag("treatment", treat)
	b.SetFloat("mass_kg", e.MassKg)
	if e.StoredHours != nil {
		b.SetFloat("stored_hours", *e.StoredHours)
	}
	id := e.ID
	if id == "" {
		id = fmt.Sprintf("%s-%s", facility, ts.UTC().Format("20060102T150405.000Z"))
	}
	b.SetString("id", id)
	r, err := b.Build(facility, ts.Truncate(time.Millisecond), now, reading.Limits{MaxFuture: 5 * time.Minute})
	if err != nil {
		return reading.Reading{}, fmt.Errorf("waste entry: %w", err)
	}
	return r, nil
}
