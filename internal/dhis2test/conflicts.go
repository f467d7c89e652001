package dhis2test

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file holds the data value import conflicts. From 2.38 each is a
// DataValueImportConflict (dxf2/datavalueset): an ErrorCode, the property
// it names and the types of its arguments. ImportConflict.createConflict
// puts every argument whose type is a metadata class into "objects",
// keyed by the type's singular name, formats the ErrorCode message with
// all arguments (MessageFormat, so '' is ') and sets "object" to the first
// of the objects. Conflicts with the same code and objects are merged
// into one whose "indexes" lists every value they hit (the groupingKey).
// Before 2.38 a conflict was the bare {object, value} pair the
// DataValueSetImportValidator of 2.37 added (value being the message).

// conflictKind is one DataValueImportConflict the double raises.
type conflictKind struct {
	code     string
	property string
	// keys are the "objects" keys of the arguments; "" marks an argument
	// that is not a metadata object (it only enters the message, or, for
	// an I18n key, enters objects under the property).
	keys []string
	// format is the ErrorCode message with {0}, {1}, … placeholders.
	format string
}

// The DataValueImportConflict values, with the ErrorCode messages of
// feedback/ErrorCode.java.
var (
	deNotFound  = conflictKind{"E7610", "dataElement", []string{"dataElement"}, "Data element not found or not accessible: `{0}`"}
	peNotValid  = conflictKind{"E7611", "period", []string{"period"}, "Period not valid: `{0}`"}
	ouNotFound  = conflictKind{"E7612", "orgUnit", []string{"organisationUnit"}, "Organisation unit not found or not accessible: `{0}`"}
	cocNotFound = conflictKind{"E7613", "categoryOptionCombo", []string{"categoryOptionCombo"}, "Category option combo not found or not accessible for writing data: `{0}`"}
	aocNotFound = conflictKind{"E7615", "attributeOptionCombo", []string{"categoryOptionCombo"}, "Attribute option combo not found or not accessible for writing data: `{0}`"}
	ouNotInUser = conflictKind{"E7617", "orgUnit", []string{"organisationUnit", "user"}, "Organisation unit: `{0}` not in hierarchy of current user: `{1}`"}
	noValue     = conflictKind{"E7618", "value", []string{"dataElement"}, "Data value or comment not specified for data element: `{0}`"}
	badValue    = conflictKind{"E7619", "value", []string{"dataElement", "i18n"}, "Value must match data element's `{0}` type constraints: {1}"}
	badComment  = conflictKind{"E7620", "comment", []string{"i18n"}, "Invalid comment: {0}"}
	deStrict    = conflictKind{"E7633", "dataElement", []string{"dataElement", "dataSet"}, "Data element: `{0}` is not part of dataset: `{1}`"}
	ouStrict    = conflictKind{"E7636", "orgUnit", []string{"organisationUnit", "dataElement"}, "Data element: `{1}` must be assigned through data sets to organisation unit: `{0}`"}
	badStoredBy = conflictKind{"E7637", "storedBy", []string{"i18n"}, "Invalid storedBy: {0}"}
	peExpired   = conflictKind{"E7640", "period", []string{"period", "dataSet"}, "Current date is past expiry days for period: `{0}`  and data set: `{1}`"}
	peFuture    = conflictKind{"E7641", "period", []string{"period", "dataElement", ""}, "Period: `{0}` is after latest open future period: `{2}` for data element: `{1}`"}
	// Data set level (DataValueSetImportConflict): they abort the import.
	dsNotFound   = conflictKind{"E7600", "dataSet", []string{"dataSet"}, "Data set not found or not accessible: `{0}`"}
	dsOUNotFound = conflictKind{"E7603", "orgUnit", []string{"organisationUnit", "dataSet"}, "Org unit not found or not accessible: `{0}`"}
	dsAOCMissing = conflictKind{"E7604", "attributeOptionCombo", []string{"categoryOptionCombo", "dataSet"}, "Attribute option combo not found or not accessible: `{0}`"}
)

// conflict is dxf2.importsummary.ImportConflict as Jackson writes it
// (JsonInclude NON_NULL): for 2.38+ the field order of the 2.40 answers.
type conflict struct {
	Object    string            `json:"object,omitempty"`
	Objects   map[string]string `json:"objects,omitempty"`
	Value     string            `json:"value"`
	ErrorCode string            `json:"errorCode,omitempty"`
	Property  string            `json:"property,omitempty"`
	Indexes   []int             `json:"indexes,omitempty"`
}

// conflicts is the ordered, grouped set of an import summary.
type conflicts struct {
	list  []*conflict
	byKey map[string]*conflict
}

// add records a conflict for the value at index (-1: the data set level),
// i18n translating error keys.
func (cs *conflicts) add(k conflictKind, index int, args ...string) {
	objects := map[string]string{}
	var first string
	vals := make([]string, len(args))
	var keyParts []string
	for i, a := range args {
		vals[i] = a
		switch key := k.keys[i]; key {
		case "":
		case "i18n":
			if _, ok := objects[k.property]; !ok {
				objects[k.property] = a
				keyParts = append(keyParts, a)
			}
			vals[i] = i18n(a)
		default:
			if first == "" {
				first = a
			}
			objects[key] = a
			keyParts = append(keyParts, a)
		}
	}
	msg := k.format
	for i, v := range vals {
		msg = strings.ReplaceAll(msg, "{"+strconv.Itoa(i)+"}", v)
	}
	key := k.code + ":" + strings.Join(keyParts, ":")
	if cs.byKey == nil {
		cs.byKey = map[string]*conflict{}
	}
	if c, ok := cs.byKey[key]; ok {
		if index >= 0 {
			c.Indexes = append(c.Indexes, index)
		}
		return
	}
	if first == "" && len(keyParts) > 0 {
		first = keyParts[0]
	}
	c := &conflict{Object: first, Objects: objects, Value: msg, ErrorCode: k.code, Property: k.property}
	if index >= 0 {
		c.Indexes = []int{index}
	}
	cs.byKey[key] = c
	cs.list = append(cs.list, c)
}

// addLegacy records a 2.37 conflict {object, value}; equal pairs collapse
// as in that version's conflict set.
func (cs *conflicts) addLegacy(object, value string) {
	key := object + ":" + value
	if cs.byKey == nil {
		cs.byKey = map[string]*conflict{}
	}
	if _, ok := cs.byKey[key]; ok {
		return
	}
	c := &conflict{Object: object, Value: value}
	cs.byKey[key] = c
	cs.list = append(cs.list, c)
}

// i18n translates the ValidationUtils error keys as i18n_global does.
// The keys without a translation there come out as the key itself, as
// I18n.getString does; e.g. real 2.3x answers read
// "value_not_zero_or_positive_integer, must match data element type: …".
func i18n(key string) string {
	switch key {
	case "value_not_numeric":
		return "Data value is not numeric"
	case "value_not_integer":
		return "Data value is not an integer"
	case "value_not_percentage":
		return "Data value is not a percentage"
	}
	return key
}

var (
	numericRe     = regexp.MustCompile(`^(-?0|-?[1-9]\d*)(\.\d+)?$`)
	intRe         = regexp.MustCompile(`^(0|-?[1-9]\d*)$`)
	posIntRe      = regexp.MustCompile(`^[1-9]\d*$`)
	zeroPosIntRe  = regexp.MustCompile(`(^0$)|(^[1-9]\d*$)`)
	negIntRe      = regexp.MustCompile(`^-[1-9]\d*$`)
	zeroRe        = regexp.MustCompile(`^0(\.0*)?$`)
	numericTypes  = map[string]bool{"NUMBER": true, "UNIT_INTERVAL": true, "PERCENTAGE": true, "INTEGER": true, "INTEGER_POSITIVE": true, "INTEGER_NEGATIVE": true, "INTEGER_ZERO_OR_POSITIVE": true}
	boolTrue      = map[string]bool{"true": true, "True": true, "TRUE": true, "1": true, "t": true}
	boolFalse     = map[string]bool{"false": true, "False": true, "FALSE": true, "0": true, "f": true}
	valueMaxChars = 50000
	// intTypes are the integer value types: the pattern a value must
	// match, within Java's int range, and the error key when it does not.
	intTypes = map[string]struct {
		re  *regexp.Regexp
		key string
	}{
		"INTEGER":                  {intRe, "value_not_integer"},
		"INTEGER_POSITIVE":         {posIntRe, "value_not_positive_integer"},
		"INTEGER_NEGATIVE":         {negIntRe, "value_not_negative_integer"},
		"INTEGER_ZERO_OR_POSITIVE": {zeroPosIntRe, "value_not_zero_or_positive_integer"},
	}
)

// isNumeric is MathUtils.isNumeric: the pattern, a finite double, fewer
// than 250 characters.
func isNumeric(v string) bool {
	if !numericRe.MatchString(v) || len(v) >= 250 {
		return false
	}
	f, err := strconv.ParseFloat(v, 64)
	return err == nil && !math.IsInf(f, 0)
}

// isInt32 is commons-validator IntegerValidator: within Java's int range.
func isInt32(v string) bool {
	_, err := strconv.ParseInt(v, 10, 32)
	return err == nil
}

// valueError is ValidationUtils.valueIsValid(value, valueType): the error
// key, or "" when valid. Blank values are valid (they mean "no value").
func valueError(value, valueType string) string {
	if strings.TrimSpace(value) == "" {
		return ""
	}
	if len(value) > valueMaxChars {
		return "value_length_greater_than_max_length"
	}
	switch valueType {
	case "LETTER":
		if r := []rune(value); len(r) != 1 || !isLetter(r[0]) {
			return "value_not_valid_letter"
		}
	case "NUMBER":
		if !isNumeric(value) {
			return "value_not_numeric"
		}
	case "UNIT_INTERVAL":
		if f, _ := strconv.ParseFloat(value, 64); !isNumeric(value) || f < 0 || f > 1 {
			return "value_not_unit_interval"
		}
	case "PERCENTAGE":
		if n, _ := strconv.Atoi(value); !intRe.MatchString(value) || !isInt32(value) || n < 0 || n > 100 {
			return "value_not_percentage"
		}
	case "BOOLEAN":
		if l := strings.ToLower(value); l != "true" && l != "false" {
			return "value_not_bool"
		}
	case "TRUE_ONLY":
		if !strings.EqualFold(value, "true") {
			return "value_not_true_only"
		}
	case "DATE":
		if _, err := time.Parse("2006-01-02", value); err != nil {
			return "value_not_valid_date"
		}
	case "DATETIME":
		if !validDateTime(value) {
			return "value_not_valid_datetime"
		}
	default:
		if t, ok := intTypes[valueType]; ok && (!t.re.MatchString(value) || !isInt32(value)) {
			return t.key
		}
	}
	return ""
}

func isLetter(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127 && strings.ToUpper(string(r)) != strings.ToLower(string(r))
}

func validDateTime(v string) bool {
	for _, layout := range []string{"2006-01-02T15:04:05.000", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", time.RFC3339, "2006-01-02T15:04:05.000Z07:00"} {
		if _, err := time.Parse(layout, v); err == nil {
			return true
		}
	}
	return false
}

// normalizeBoolean is ValidationUtils.normalizeBoolean: the accepted
// spellings of a boolean become "true" or "false" before validation.
func normalizeBoolean(value, valueType string) string {
	if valueType != "BOOLEAN" && valueType != "TRUE_ONLY" {
		return value
	}
	if boolFalse[value] && valueType != "TRUE_ONLY" {
		return "false"
	}
	if boolTrue[value] {
		return "true"
	}
	return value
}

// zeroInsignificant is ValidationUtils.dataValueIsZeroAndInsignificant.
func zeroInsignificant(value string, de map[string]any) bool {
	vt, _ := de["valueType"].(string)
	zis, _ := de["zeroIsSignificant"].(bool)
	agg, _ := de["aggregationType"].(string)
	return numericTypes[vt] && zeroRe.MatchString(value) && !zis && agg != "AVERAGE" && agg != "AVERAGE_SUM_ORG_UNIT"
}
