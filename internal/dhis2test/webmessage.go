package dhis2test

import (
	"encoding/json"
	"io"
	"net/http"
)

// webMessage is DHIS2's envelope for every answer that is not a plain
// object list: dhis-api org.hisp.dhis.dxf2.webmessage.WebMessage, whose
// @JsonPropertyOrder is httpStatus, httpStatusCode, status, code, message,
// devMessage, response; Jackson leaves out the null ones. The double's
// answers have no code, devMessage or errorCode, so webMessage has none
// of them. httpStatus is
// Spring's HttpStatus reason phrase ("OK", "Conflict", "Not Found", …) and
// status is feedback.Status: OK, WARNING or ERROR.
type webMessage struct {
	HTTPStatus     string `json:"httpStatus"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	Status         string `json:"status"`
	Message        string `json:"message,omitempty"`
	Response       any    `json:"response,omitempty"`
}

// reasonPhrase is Spring's HttpStatus.getReasonPhrase for the codes the
// double sends; Go's http.StatusText spells the others the same way.
func reasonPhrase(code int) string {
	switch code {
	case http.StatusRequestEntityTooLarge:
		return "Payload Too Large"
	}
	if t := http.StatusText(code); t != "" {
		return t
	}
	return "Unknown"
}

// newMessage returns a WebMessage with the HTTP status filled in.
func newMessage(code int, status, message string) webMessage {
	return webMessage{HTTPStatus: reasonPhrase(code), HTTPStatusCode: code, Status: status, Message: message}
}

// writeJSON writes v as the JSON body with the status code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Every value written is built by this package from JSON-safe
		// types; failing here is a bug in the double.
		panic("dhis2test: encode answer: " + err.Error())
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// writeMessage writes a WebMessage with its own status code.
func writeMessage(w http.ResponseWriter, m webMessage) {
	writeJSON(w, m.HTTPStatusCode, m)
}

// writeError writes an ERROR WebMessage, the shape of
// WebMessageUtils.error/conflict/notFound/badRequest and of
// CrudControllerAdvice's handlers.
func writeError(w http.ResponseWriter, code int, message string) {
	writeMessage(w, newMessage(code, "ERROR", message))
}

// writeNotFound answers a path the double does not implement. DHIS2 sends
// a 404 WebMessage for an unknown /api resource.
func writeNotFound(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "No handler found for "+r.Method+" "+r.URL.Path)
}

// writeUnauthorized answers a request without accepted credentials:
// WebMessageUtils.unathorized(message), HTTP 401, as sent by
// DHIS2BasicAuthenticationEntryPoint ("Unauthorized") and by the API token
// filter ("The API token does not exists.").
func writeUnauthorized(w http.ResponseWriter, message string) {
	w.Header().Set("WWW-Authenticate", `Basic realm="DHIS2"`)
	writeError(w, http.StatusUnauthorized, message)
}

// drain reads and drops a request body.
func drain(r *http.Request) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBody))
}

// maxBody bounds a request body read into memory.
const maxBody = 256 << 20
