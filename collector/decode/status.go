package decode

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/greenpulse-health/greenpulse/reading"
)

// DecodeStatus decodes a status payload: one JSON object with the keys of
// reading.AgentStatus and no others.
func DecodeStatus(payload []byte) (reading.AgentStatus, *reading.Error) {
	var s reading.AgentStatus
	if firstByte(payload) != '{' {
		return s, &reading.Error{Reason: reading.ReasonMalformed, Detail: "a status is one JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return reading.AgentStatus{}, jsonError(err)
	}
	return s, nil
}

// jsonError names the key at fault in a status where encoding/json tells it.
func jsonError(err error) *reading.Error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return &reading.Error{Reason: reading.ReasonMalformed, Field: typeErr.Field,
			Detail: "want a " + jsonKind(typeErr.Type.Kind().String()) + ", got a JSON " + typeErr.Value}
	case errors.As(err, &syntaxErr):
		return &reading.Error{Reason: reading.ReasonMalformed,
			Detail: "invalid JSON at byte " + strconv.FormatInt(syntaxErr.Offset, 10) + ": " + syntaxErr.Error()}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		key, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return &reading.Error{Reason: reading.ReasonUnknownField, Field: key, Detail: "not a field of any stream"}
	}
	return &reading.Error{Reason: reading.ReasonMalformed, Detail: "invalid JSON: " + err.Error()}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "float64":
		return "number"
	case "bool":
		return "boolean"
	case "ptr", "string":
		return "string"
	case "slice":
		return "array"
	}
	return goKind
}
