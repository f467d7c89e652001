package dhis2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
)

// ImportError is one error of a DHIS2 ImportReport, naming the object.
type ImportError struct {
	Kind     Kind   // the object's type, e.g. KindDataElement; DHIS2's class name when not one of ours
	UID      string // the object's UID, when the report gives it
	Name     string // the object's name as setup sent it, when known
	Index    int    // its position in the payload's list of its kind; -1 when not given
	Code     string // DHIS2's errorCode, e.g. E5003
	Property string // DHIS2's errorProperty, if any
	Message  string
}

// Object names the object the error is about, e.g.
// `data element "GreenPulse grid electricity (kWh)" (abcdefghijk)`.
func (e ImportError) Object() string {
	s := e.Kind.Label()
	if s == "" {
		s = "object"
	}
	switch {
	case e.Name != "":
		s += fmt.Sprintf(" %q", e.Name)
		if e.UID != "" {
			s += " (" + e.UID + ")"
		}
	case e.UID != "":
		s += " " + e.UID
	case e.Index >= 0:
		s += fmt.Sprintf(" #%d of the import", e.Index+1)
	default:
		s += " (not named in the import report)"
	}
	return s
}

func (e ImportError) String() string {
	s := e.Object() + ":"
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Property != "" {
		s += " (" + e.Property + ")"
	}
	msg := e.Message
	if msg == "" {
		msg = "no message"
	}
	return s + " " + msg
}

// importReport is what setup reads of DHIS2's ImportReport.
type importReport struct {
	Status  string // OK, WARNING or ERROR
	Message string // the WebMessage's message
	Errors  []ImportError
}

// failed reports whether DHIS2 did not import everything: with
// atomicMode=ALL any error leaves everything unchanged.
func (r importReport) failed() bool { return r.Status != "" && r.Status != "OK" }

// objectNames names the objects of an import by UID and by kind and
// position.
type objectNames struct {
	byUID   map[string]Object
	byIndex map[Kind][]Object
}

// named returns r's errors with the names of the objects setup sent.
func (r importReport) named(n objectNames) []ImportError {
	out := make([]ImportError, 0, len(r.Errors))
	for _, e := range r.Errors {
		ob, ok := n.byUID[e.UID]
		if !ok && e.UID == "" && e.Index >= 0 && e.Index < len(n.byIndex[e.Kind]) {
			ob, ok = n.byIndex[e.Kind][e.Index], true
		}
		if ok && ob.Name != "" {
			e.Name = ob.Name
			if e.UID == "" {
				e.UID = ob.UID
			}
		}
		out = append(out, e)
	}
	return out
}

// importMetadata sends payload with POST /api/metadata in mode (VALIDATE
// or COMMIT) and returns DHIS2's ImportReport. Since 2.38 a report with
// errors comes with HTTP 409 (WebMessageUtils.importReport); that is a
// report, not a failed request.
func importMetadata(ctx context.Context, c *dhis2api.Client, mode string, payload map[string][]map[string]any) (importReport, error) {
	const path = "/api/metadata"
	q := url.Values{
		"importMode":       {mode},
		"importStrategy":   {"CREATE_AND_UPDATE"},
		"atomicMode":       {"ALL"},
		"identifier":       {"UID"},
		"importReportMode": {"ERRORS"},
	}
	resp, err := c.Do(ctx, http.MethodPost, path, q, payload)
	if err != nil {
		return importReport{}, fmt.Errorf("metadata import (importMode=%s): %w", mode, err)
	}
	if resp.Status/100 != 2 && resp.Status != http.StatusConflict {
		return importReport{}, dhis2api.Unexpected(http.MethodPost, path, resp)
	}
	ir, err := parseImportReport(resp.Body)
	if err != nil {
		if resp.Status == http.StatusConflict {
			return importReport{}, dhis2api.Unexpected(http.MethodPost, path, resp)
		}
		return importReport{}, fmt.Errorf("POST %s (importMode=%s): %w", path, mode, err)
	}
	if resp.Status == http.StatusConflict && !ir.failed() && len(ir.Errors) == 0 {
		ir.Status = "ERROR" // a 409 is never a success
	}
	return ir, nil
}

// The JSON of an ImportReport (dhis2-core dxf2 metadata.feedback
// ImportReport, TypeReport, ObjectReport and feedback.ErrorReport), as
// the import answers it: since 2.38 inside a WebMessage whose "response"
// has responseType ImportReport, before that bare.
type (
	wireReport struct {
		Status       string          `json:"status"`
		Message      string          `json:"message"`
		ResponseType string          `json:"responseType"`
		Response     json.RawMessage `json:"response"`
		TypeReports  wireList        `json:"typeReports"`
		Stats        json.RawMessage `json:"stats"`
	}
	wireTypeReport struct {
		Klass         string   `json:"klass"`
		ObjectReports wireList `json:"objectReports"`
	}
	wireObjectReport struct {
		Klass        string            `json:"klass"`
		Index        *int              `json:"index"`
		UID          string            `json:"uid"`
		DisplayName  string            `json:"displayName"`
		ErrorReports []wireErrorReport `json:"errorReports"`
	}
	wireErrorReport struct {
		Message       string `json:"message"`
		MainKlass     string `json:"mainKlass"`
		ErrorCode     string `json:"errorCode"`
		ErrorProperty string `json:"errorProperty"`
		// mainId is not read: in an E5003 it is the other object's UID.
	}
)

// wireList is a JSON list of objects, or an object whose values are the
// members (older servers render the type reports as a map by class).
type wireList []json.RawMessage

func (l *wireList) UnmarshalJSON(b []byte) error {
	var list []json.RawMessage
	if err := json.Unmarshal(b, &list); err == nil {
		*l = list
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return errors.New("want a list or an object of reports")
	}
	for _, v := range m {
		*l = append(*l, v)
	}
	return nil
}

// parseImportReport reads the answer of POST /api/metadata.
func parseImportReport(body []byte) (importReport, error) {
	var top wireReport
	if err := json.Unmarshal(body, &top); err != nil {
		return importReport{}, fmt.Errorf("the answer is not an import report: %w", err)
	}
	rep, msg := top, top.Message
	if len(top.Response) > 0 && string(top.Response) != "null" {
		if err := json.Unmarshal(top.Response, &rep); err != nil {
			return importReport{}, fmt.Errorf("the answer's response is not an import report: %w", err)
		}
		if rep.ResponseType != "" && rep.ResponseType != "ImportReport" {
			return importReport{}, fmt.Errorf("the answer's response is a %s, not an ImportReport", rep.ResponseType)
		}
	}
	if rep.Status == "" && rep.TypeReports == nil && len(rep.Stats) == 0 {
		return importReport{}, errors.New("the answer is not an import report: no status, stats or typeReports")
	}
	out := importReport{Status: rep.Status, Message: msg}
	for _, raw := range rep.TypeReports {
		var tr wireTypeReport
		if json.Unmarshal(raw, &tr) != nil {
			out.Errors = append(out.Errors, ImportError{Kind: "object", Index: -1, Message: "unreadable type report: " + dhis2api.Clip(string(raw), 200)})
			continue
		}
		for _, raw := range tr.ObjectReports {
			var or wireObjectReport
			if json.Unmarshal(raw, &or) != nil {
				out.Errors = append(out.Errors, ImportError{Kind: kindOfClass(tr.Klass), Index: -1, Message: "unreadable object report: " + dhis2api.Clip(string(raw), 200)})
				continue
			}
			klass := or.Klass
			if klass == "" {
				klass = tr.Klass
			}
			idx := -1
			if or.Index != nil && *or.Index >= 0 {
				idx = *or.Index
			}
			for _, er := range or.ErrorReports {
				e := ImportError{Kind: kindOfClass(klass), UID: or.UID, Name: or.DisplayName, Index: idx,
					Code: er.ErrorCode, Property: er.ErrorProperty, Message: er.Message}
				if klass == "" && er.MainKlass != "" {
					e.Kind = kindOfClass(er.MainKlass)
				}
				out.Errors = append(out.Errors, e)
			}
		}
	}
	return out, nil
}

// kindOfClass maps a DHIS2 class name such as
// org.hisp.dhis.dataelement.DataElement to our Kind; another class keeps
// its simple name.
func kindOfClass(klass string) Kind {
	simple := klass[strings.LastIndex(klass, ".")+1:]
	switch simple {
	case "DataElement":
		return KindDataElement
	case "IndicatorType":
		return KindIndicatorType
	case "Indicator":
		return KindIndicator
	case "DataSet":
		return KindDataSet
	case "":
		return "object"
	}
	return Kind(simple)
}
