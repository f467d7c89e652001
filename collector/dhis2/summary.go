package dhis2

import (
	"encoding/json"
	"errors"
	"fmt"
)

// ImportCount is DHIS2's count of what an import did with the values.
type ImportCount struct {
	Imported int `json:"imported"`
	Updated  int `json:"updated"`
	Ignored  int `json:"ignored"`
	Deleted  int `json:"deleted"`
}

// Add adds o to c.
func (c *ImportCount) Add(o ImportCount) {
	c.Imported += o.Imported
	c.Updated += o.Updated
	c.Ignored += o.Ignored
	c.Deleted += o.Deleted
}

// ImportConflict is one conflict of an import summary. From 2.38 on DHIS2
// gives an error code and the indexes of the values it concerns; older
// versions give only the object and a text.
type ImportConflict struct {
	Object    string            `json:"object"`
	Objects   map[string]string `json:"objects"`
	Value     string            `json:"value"`
	ErrorCode string            `json:"errorCode"`
	Property  string            `json:"property"`
	Indexes   []int             `json:"indexes"`
}

// ImportSummary is DHIS2's answer to POST /api/dataValueSets.
type ImportSummary struct {
	Status          string           `json:"status"` // SUCCESS, WARNING or ERROR
	Description     string           `json:"description"`
	ImportCount     ImportCount      `json:"importCount"`
	Conflicts       []ImportConflict `json:"conflicts"`
	RejectedIndexes []int            `json:"rejectedIndexes"`
}

// errNotSummary says an answer holds no import summary.
var errNotSummary = errors.New("the answer holds no import summary")

// ParseImportSummary reads the import summary of a dataValueSets answer
// in either shape DHIS2 sends: from 2.38 on a WebMessage whose "response"
// is the summary (HTTP 409 when there is any conflict), before that the
// bare summary (HTTP 200). It returns the WebMessage's message too, which
// explains an answer with status ERROR.
func ParseImportSummary(body []byte) (ImportSummary, string, error) {
	var msg struct {
		ImportSummary
		ResponseType string          `json:"responseType"`
		Message      string          `json:"message"`
		Response     json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		return ImportSummary{}, "", fmt.Errorf("import summary: %w", err)
	}
	if len(msg.Response) > 0 && string(msg.Response) != "null" {
		var inner struct {
			ImportSummary
			ResponseType string `json:"responseType"`
		}
		if err := json.Unmarshal(msg.Response, &inner); err != nil {
			return ImportSummary{}, msg.Message, fmt.Errorf("import summary in response: %w", err)
		}
		if inner.ResponseType != "" && inner.ResponseType != "ImportSummary" {
			return ImportSummary{}, msg.Message, fmt.Errorf("%w: response is a %s", errNotSummary, inner.ResponseType)
		}
		return inner.ImportSummary, msg.Message, nil
	}
	if msg.ResponseType == "ImportSummary" || msg.ImportSummary.Status != "" && hasCount(body) {
		return msg.ImportSummary, msg.Message, nil
	}
	return ImportSummary{}, msg.Message, errNotSummary
}

// hasCount reports whether a bare answer carries an importCount, which
// tells an old-style summary from a WebMessage without a response.
func hasCount(body []byte) bool {
	var probe struct {
		ImportCount *ImportCount `json:"importCount"`
	}
	return json.Unmarshal(body, &probe) == nil && probe.ImportCount != nil
}
