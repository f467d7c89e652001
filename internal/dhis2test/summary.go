package dhis2test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// importCount is dxf2.importsummary.ImportCount.
type importCount struct {
	Imported int `json:"imported"`
	Updated  int `json:"updated"`
	Ignored  int `json:"ignored"`
	Deleted  int `json:"deleted"`
}

// importOptions is dxf2.common.ImportOptions as a 2.40.9 server writes it
// in an import summary (the field list and order of a captured answer).
// The double echoes dryRun and importStrategy; idSchemes is written
// empty, and the rest are DHIS2's defaults.
type importOptions struct {
	IDSchemes                   struct{} `json:"idSchemes"`
	DryRun                      bool     `json:"dryRun"`
	PreheatCache                bool     `json:"preheatCache"`
	Async                       bool     `json:"async"`
	ImportStrategy              string   `json:"importStrategy"`
	MergeMode                   string   `json:"mergeMode"`
	ReportMode                  string   `json:"reportMode"`
	SkipExistingCheck           bool     `json:"skipExistingCheck"`
	Sharing                     bool     `json:"sharing"`
	SkipNotifications           bool     `json:"skipNotifications"`
	SkipAudit                   bool     `json:"skipAudit"`
	DatasetAllowsPeriods        bool     `json:"datasetAllowsPeriods"`
	StrictPeriods               bool     `json:"strictPeriods"`
	StrictDataElements          bool     `json:"strictDataElements"`
	StrictCategoryOptionCombos  bool     `json:"strictCategoryOptionCombos"`
	StrictAttributeOptionCombos bool     `json:"strictAttributeOptionCombos"`
	StrictOrganisationUnits     bool     `json:"strictOrganisationUnits"`
	StrictDataSetApproval       bool     `json:"strictDataSetApproval"`
	StrictDataSetLocking        bool     `json:"strictDataSetLocking"`
	StrictDataSetInputPeriods   bool     `json:"strictDataSetInputPeriods"`
	RequireCategoryOptionCombo  bool     `json:"requireCategoryOptionCombo"`
	RequireAttributeOptionCombo bool     `json:"requireAttributeOptionCombo"`
	SkipPatternValidation       bool     `json:"skipPatternValidation"`
	IgnoreEmptyCollection       bool     `json:"ignoreEmptyCollection"`
	Force                       bool     `json:"force"`
	FirstRowIsHeader            bool     `json:"firstRowIsHeader"`
	SkipLastUpdated             bool     `json:"skipLastUpdated"`
	MergeDataValues             bool     `json:"mergeDataValues"`
	SkipCache                   bool     `json:"skipCache"`
}

// importSummary is dxf2.importsummary.ImportSummary in the field order of
// a 2.40 answer (data.md "Sending data values" shows the importCount and
// dataSetComplete of it; rejectedIndexes came with the 2.38 conflicts
// rework and is left out before).
type importSummary struct {
	ResponseType    string         `json:"responseType"`
	Status          string         `json:"status"`
	ImportOptions   *importOptions `json:"importOptions,omitempty"`
	Description     string         `json:"description"`
	ImportCount     importCount    `json:"importCount"`
	Conflicts       []*conflict    `json:"conflicts"`
	RejectedIndexes *[]int         `json:"rejectedIndexes,omitempty"`
	DataSetComplete string         `json:"dataSetComplete"`
}

// writeSummary answers a data value import. From 2.38 (and for API
// versions ≥ 38) the summary is wrapped by WebMessageUtils.importSummary:
// status ERROR → 409 "An error occurred, please check import summary.";
// any conflict → 409 WARNING "One more conflicts encountered, please check
// import summary." (sic, as 2.40 sends it); else 200 OK "Import was
// successful.". Before, the bare summary is sent with 200.
func (s *Server) writeSummary(w http.ResponseWriter, r *http.Request, sum importSummary) {
	if s.plainResponse(r) {
		sum.RejectedIndexes = nil
		writeJSON(w, http.StatusOK, sum)
		return
	}
	var m webMessage
	switch {
	case sum.Status == "ERROR":
		m = newMessage(http.StatusConflict, "ERROR", "An error occurred, please check import summary.")
	case len(sum.Conflicts) > 0:
		m = newMessage(http.StatusConflict, "WARNING", "One more conflicts encountered, please check import summary.")
	default:
		m = newMessage(http.StatusOK, "OK", "Import was successful.")
	}
	m.Response = sum
	writeMessage(w, m)
}

// flexString is a JSON string that also accepts a number, a boolean or
// null, as Jackson coerces them into the String fields of DataValue.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*f = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	case bytes.Equal(b, []byte("true")), bytes.Equal(b, []byte("false")):
		*f = flexString(b)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// flexBool is a JSON boolean that also accepts "true"/"false" strings and
// null.
type flexBool struct{ set, v bool }

func (f *flexBool) UnmarshalJSON(b []byte) error {
	var s flexString
	if err := s.UnmarshalJSON(b); err != nil {
		return err
	}
	if s == "" {
		*f = flexBool{}
		return nil
	}
	v, err := strconv.ParseBool(string(s))
	if err != nil {
		return err
	}
	*f = flexBool{set: true, v: v}
	return nil
}

// dataValueSet is the JSON body of POST /api/dataValueSets (data.md
// "Sending data values", "Sending bulks of data values", "Identifier
// schemes": the id schemes may also be set in the payload).
type dataValueSet struct {
	DataSet              flexString     `json:"dataSet"`
	CompleteDate         flexString     `json:"completeDate"`
	Period               flexString     `json:"period"`
	OrgUnit              flexString     `json:"orgUnit"`
	AttributeOptionCombo flexString     `json:"attributeOptionCombo"`
	IDScheme             flexString     `json:"idScheme"`
	DataElementIDScheme  flexString     `json:"dataElementIdScheme"`
	OrgUnitIDScheme      flexString     `json:"orgUnitIdScheme"`
	DryRun               flexBool       `json:"dryRun"`
	Strategy             flexString     `json:"strategy"`
	DataValues           []dataValueRaw `json:"dataValues"`
}

// dataValueRaw is one dataValues element (dxf2.datavalue.DataValue).
type dataValueRaw struct {
	DataElement          flexString `json:"dataElement"`
	Period               flexString `json:"period"`
	OrgUnit              flexString `json:"orgUnit"`
	CategoryOptionCombo  flexString `json:"categoryOptionCombo"`
	AttributeOptionCombo flexString `json:"attributeOptionCombo"`
	Value                flexString `json:"value"`
	Comment              flexString `json:"comment"`
	StoredBy             flexString `json:"storedBy"`
	FollowUp             flexBool   `json:"followup"`
	Deleted              flexBool   `json:"deleted"`
}
