package alertlist

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/greenpulse-health/greenpulse/reading"
)

// The bounds of a list from the collector: a facility has one alert per
// rule, so a list is a few kilobytes; these leave room and still keep an
// agent on a small box from holding a large message.
const (
	MaxBytes  = 256 << 10
	MaxAlerts = 200
)

// Longest texts the page shows.
const (
	maxID      = 200
	maxRule    = 64
	maxMessage = 1000
	maxBy      = 100
	maxComment = 1000
)

// Alert is one active alert of the facility, as the collector's API serves
// it (collector/alerts.Alert). Fields the page does not show are not kept;
// unknown ones are ignored, so the collector may add some.
type Alert struct {
	ID        string    `json:"id"`
	Rule      string    `json:"rule"`
	Facility  string    `json:"facility"`
	Severity  string    `json:"severity"`
	Message   string    `json:"message"`
	MessageAr string    `json:"message_ar"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Count     int       `json:"count"`
	State     string    `json:"state"`
	Ack       *Ack      `json:"ack,omitempty"`
}

// Ack is who acknowledged an alert, when, and why.
type Ack struct {
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Comment string    `json:"comment"`
}

func (a Alert) clone() Alert {
	if a.Ack != nil {
		ack := *a.Ack
		a.Ack = &ack
	}
	return a
}

// FieldError is an alert of a list that was left out: which one, the
// field at fault and what is wrong with it.
type FieldError struct {
	Index   int    // position in the list, from 0
	ID      string // the alert's id, when it has one
	Field   string // JSON name, e.g. "severity" or "ack.by"
	Problem string
}

func (e *FieldError) Error() string {
	id := ""
	if e.ID != "" {
		id = fmt.Sprintf(" (%q)", e.ID)
	}
	return fmt.Sprintf("alert %d%s: field %s: %s", e.Index, id, e.Field, e.Problem)
}

// Decode reads a message of the alerts topic: a JSON array of at most
// MaxAlerts alerts in at most MaxBytes. A payload that is not one is an
// error and yields no list. Each alert that is wrong (a required field
// missing, a value out of its set, text too long, another facility's when
// facility is not "") is left out and returned as a *FieldError; the
// others are the list, never nil.
func Decode(payload []byte, facility string) ([]Alert, []error, error) {
	if len(payload) > MaxBytes {
		return nil, nil, fmt.Errorf("%d bytes, more than %d", len(payload), MaxBytes)
	}
	if t := bytes.TrimLeft(payload, " \t\r\n"); len(t) == 0 || t[0] != '[' {
		return nil, nil, errors.New("not a JSON array of alerts")
	}
	var items []json.RawMessage
	if err := json.Unmarshal(payload, &items); err != nil {
		return nil, nil, fmt.Errorf("not a JSON array of alerts: %w", err)
	}
	if len(items) > MaxAlerts {
		return nil, nil, fmt.Errorf("%d alerts, more than %d", len(items), MaxAlerts)
	}
	list := make([]Alert, 0, len(items))
	var problems []error
	for i, raw := range items {
		a, err := decodeAlert(raw)
		if err == nil {
			err = a.check(facility)
		}
		if err != nil {
			fe := err.(*FieldError)
			fe.Index = i
			if fe.ID = a.ID; !line(a.ID, maxID) {
				fe.ID = ""
			}
			problems = append(problems, fe)
			continue
		}
		list = append(list, a)
	}
	return list, problems, nil
}

// wireAlert is an alert as it comes, its times still text so that one
// that is wrong can be named.
type wireAlert struct {
	ID        string `json:"id"`
	Rule      string `json:"rule"`
	Facility  string `json:"facility"`
	Severity  string `json:"severity"`
	Message   string `json:"message"`
	MessageAr string `json:"message_ar"`
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
	Count     int    `json:"count"`
	State     string `json:"state"`
	Ack       *struct {
		By      string `json:"by"`
		At      string `json:"at"`
		Comment string `json:"comment"`
	} `json:"ack"`
}

// decodeAlert decodes one item of the list; its error is a *FieldError
// without the index.
func decodeAlert(raw json.RawMessage) (Alert, error) {
	var w wireAlert
	if err := json.Unmarshal(raw, &w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return Alert{ID: w.ID}, &FieldError{Field: te.Field, Problem: fmt.Sprintf("a JSON %s, want %s", te.Value, jsonType(te.Type.Kind().String()))}
		}
		return Alert{ID: w.ID}, &FieldError{Field: "(the alert)", Problem: "not a JSON object: " + err.Error()}
	}
	a := Alert{ID: w.ID, Rule: w.Rule, Facility: w.Facility, Severity: w.Severity, Message: w.Message,
		MessageAr: w.MessageAr, Count: w.Count, State: w.State}
	var err error
	if a.FirstSeen, err = stamp("first_seen", w.FirstSeen, true); err != nil {
		return a, err
	}
	if a.LastSeen, err = stamp("last_seen", w.LastSeen, false); err != nil {
		return a, err
	}
	if w.Ack != nil {
		a.Ack = &Ack{By: w.Ack.By, Comment: w.Ack.Comment}
		if a.Ack.At, err = stamp("ack.at", w.Ack.At, false); err != nil {
			return a, err
		}
	}
	return a, nil
}

// stamp parses the RFC 3339 time s of field.
func stamp(field, s string, required bool) (time.Time, error) {
	if s == "" {
		if required {
			return time.Time{}, &FieldError{Field: field, Problem: "missing"}
		}
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, &FieldError{Field: field, Problem: fmt.Sprintf("%q is not an RFC 3339 time", short(s))}
	}
	return t.UTC(), nil
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64":
		return "a whole number"
	case "ptr", "struct":
		return "an object"
	}
	return "a " + kind
}

// check reports the first field of a that is wrong, as a *FieldError
// without its index; facility "" accepts any facility.
func (a *Alert) check(facility string) error {
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	switch {
	case a.ID == "":
		return bad("id", "missing")
	case !line(a.ID, maxID):
		return bad("id", "want one line of at most %d characters", maxID)
	case !line(a.Rule, maxRule):
		return bad("rule", "want one line of at most %d characters", maxRule)
	case a.Facility == "":
		return bad("facility", "missing")
	case facility != "" && a.Facility != facility:
		return bad("facility", "%q is not this agent's facility %q", short(a.Facility), facility)
	case !line(a.Facility, 64):
		return bad("facility", "not a facility id")
	case a.Severity != "critical" && a.Severity != "warning" && a.Severity != "info":
		return bad("severity", "%q is not critical, warning or info", short(a.Severity))
	case a.State != "active_unacknowledged" && a.State != "active_acknowledged":
		return bad("state", "%q is not active_unacknowledged or active_acknowledged", short(a.State))
	case strings.TrimSpace(a.Message) == "":
		return bad("message", "missing")
	case !reading.PlainText(a.Message, maxMessage):
		return bad("message", "want at most %d characters without control characters", maxMessage)
	case !reading.PlainText(a.MessageAr, maxMessage):
		return bad("message_ar", "want at most %d characters without control characters", maxMessage)
	case a.FirstSeen.IsZero():
		return bad("first_seen", "missing")
	case a.Count < 0:
		return bad("count", "%d is negative", a.Count)
	case a.State == "active_acknowledged" && a.Ack == nil:
		return bad("ack", "missing from an acknowledged alert")
	}
	if a.Ack != nil {
		switch {
		case strings.TrimSpace(a.Ack.By) == "":
			return bad("ack.by", "missing")
		case !line(a.Ack.By, maxBy):
			return bad("ack.by", "want one line of at most %d characters", maxBy)
		case !reading.PlainText(a.Ack.Comment, maxComment):
			return bad("ack.comment", "want at most %d characters without control characters", maxComment)
		}
	}
	return nil
}

// line is text on one line.
func line(s string, max int) bool {
	return reading.PlainText(s, max) && !strings.ContainsAny(s, "\n\t")
}

// short cuts a value quoted in an error to a readable length.
func short(s string) string {
	if utf8.RuneCountInString(s) <= 40 {
		return s
	}
	return string([]rune(s)[:40]) + "…"
}
