package dhis2

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/internal/dhis2api"
	"github.com/greenpulse-health/greenpulse/registry"
)

// Pusher sends months of indicators to DHIS2 and records each push. It is
// safe for concurrent use, though two pushes of one month at once make
// little sense.
type Pusher struct {
	client  *dhis2api.Client
	reader  Reader
	reg     *registry.Registry
	mapping Mapping
	chunk   int
	log     *slog.Logger
	record  Recorder
	metrics *Metrics
}

// Recorder keeps the record of each push.
type Recorder interface {
	Append(Record) error
}

// PusherOptions configure a Pusher; Metrics and Recorder may be nil.
type PusherOptions struct {
	Mapping   Mapping
	ChunkSize int
	Recorder  Recorder
	Metrics   *Metrics
}

// NewPusher returns a Pusher that reads the indicators of reg's facilities
// through reader and sends them with client.
func NewPusher(client *dhis2api.Client, reader Reader, reg *registry.Registry, o PusherOptions, log *slog.Logger) *Pusher {
	return &Pusher{client: client, reader: reader, reg: reg, mapping: o.Mapping, chunk: max(o.ChunkSize, 1),
		log: log, record: o.Recorder, metrics: o.Metrics}
}

// Conflict is one value DHIS2 refused, named for people.
type Conflict struct {
	Facility     string `json:"facility,omitempty"`
	FacilityName string `json:"facility_name,omitempty"`
	Element      string `json:"element,omitempty"`
	ElementName  string `json:"element_name,omitempty"`
	ErrorCode    string `json:"error_code,omitempty"`
	Object       string `json:"object,omitempty"`
	Message      string `json:"message"`
	// Values is how many values of the push this conflict refused; more
	// than one when DHIS2 reports several indexes under one conflict that
	// the record could not name one by one.
	Values int `json:"values"`
}

// Record is what one push did, as the push log keeps it.
type Record struct {
	Time     time.Time `json:"time"`
	Period   string    `json:"period"`
	Trigger  string    `json:"trigger"` // schedule, command
	DryRun   bool      `json:"dry_run,omitempty"`
	Values   int       `json:"values"` // in the document
	Sent     int       `json:"sent"`   // in chunks DHIS2 answered
	Requests int       `json:"requests"`
	ImportCount
	Rejected  int        `json:"rejected"`
	Conflicts []Conflict `json:"conflicts"`
	// ConflictsOmitted counts conflicts beyond the first maxConflicts,
	// which the record leaves out to stay small.
	ConflictsOmitted int        `json:"conflicts_omitted,omitempty"`
	Unmapped         []Unmapped `json:"unmapped"`
	Incomplete       []string   `json:"incomplete,omitempty"`
	Seconds          float64    `json:"seconds"`
	Error            string     `json:"error,omitempty"`
}

// OK reports whether every value reached DHIS2 and none was refused: no
// error, and no conflict, even one DHIS2 could not tie to a value.
func (r Record) OK() bool {
	return r.Error == "" && r.Rejected == 0 && len(r.Conflicts) == 0 && r.ConflictsOmitted == 0 && r.Sent == r.Values
}

// maxConflicts bounds the conflicts one record keeps: a push refused
// whole (a locked month) would otherwise log every value.
const maxConflicts = 500

// Push sends month p: builds its document, posts it in chunks with
// importStrategy CREATE_AND_UPDATE, and records the outcome, which it
// also returns. Conflicts on some values do not stop the others; an
// error that will not go away by itself (a refused login, a 4xx other
// than DHIS2's conflict answer, a 5xx or network failure after the
// client's retries) stops the push and is in Record.Error and the error.
func (p *Pusher) Push(ctx context.Context, period indicators.Period, trigger string, dryRun bool) (Record, error) {
	start := time.Now()
	rec := Record{Time: start.UTC(), Period: PeriodID(period), Trigger: trigger, DryRun: dryRun, Conflicts: []Conflict{}}
	doc, err := Build(ctx, p.reader, p.reg, p.mapping, period)
	if err == nil {
		rec.Values, rec.Unmapped, rec.Incomplete = doc.Report.Values, doc.Report.Unmapped, doc.Report.Incomplete
		err = p.send(ctx, doc, dryRun, &rec)
	}
	rec.Seconds = time.Since(start).Seconds()
	if err != nil {
		rec.Error = err.Error()
	}
	p.metrics.observe(rec)
	logArgs := []any{"period", rec.Period, "trigger", trigger, "dry_run", dryRun, "values", rec.Values,
		"imported", rec.Imported, "updated", rec.Updated, "ignored", rec.Ignored, "rejected", rec.Rejected,
		"unmapped_facilities", len(rec.Unmapped), "seconds", rec.Seconds}
	if err != nil {
		p.log.Error("dhis2 push failed", append(logArgs, "err", err)...)
	} else {
		p.log.Info("dhis2 push done", logArgs...)
	}
	if p.record != nil {
		if lerr := p.record.Append(rec); lerr != nil {
			p.log.Error("dhis2 push log", "err", lerr)
			err = errors.Join(err, lerr)
		}
	}
	return rec, err
}

// send posts the document's values chunk by chunk into rec.
func (p *Pusher) send(ctx context.Context, doc Document, dryRun bool, rec *Record) error {
	q := url.Values{}
	q.Set("importStrategy", "CREATE_AND_UPDATE")
	q.Set("dryRun", strconv.FormatBool(dryRun))
	q.Set("dataElementIdScheme", doc.Set.DataElementIDScheme)
	q.Set("orgUnitIdScheme", doc.Set.OrgUnitIDScheme)
	values := doc.Set.DataValues
	for off := 0; off < len(values); off += p.chunk {
		end := min(off+p.chunk, len(values))
		body := doc.Set
		body.DataValues = values[off:end]
		resp, err := p.client.Do(ctx, http.MethodPost, "/api/dataValueSets", q, body)
		rec.Requests++
		p.metrics.request(resp.Status, err)
		if err != nil {
			return fmt.Errorf("push %s: values %d-%d of %d: %w", rec.Period, off+1, end, len(values), err)
		}
		switch {
		case resp.Status/100 == 2 || resp.Status == http.StatusConflict:
		default:
			return fmt.Errorf("push %s: values %d-%d of %d: %w", rec.Period, off+1, end, len(values),
				dhis2api.Unexpected(http.MethodPost, "/api/dataValueSets", resp))
		}
		sum, msg, err := ParseImportSummary(resp.Body)
		if err != nil {
			return fmt.Errorf("push %s: values %d-%d: HTTP %d: %w (%s)", rec.Period, off+1, end, resp.Status, err, dhis2api.MessageOf(resp.Body))
		}
		rec.Sent += end - off
		rec.ImportCount.Add(sum.ImportCount)
		conflicts := nameConflicts(sum, doc, off, end)
		rec.Rejected += rejected(sum, conflicts)
		keep := min(len(conflicts), max(maxConflicts-len(rec.Conflicts), 0))
		rec.Conflicts = append(rec.Conflicts, conflicts[:keep]...)
		rec.ConflictsOmitted += len(conflicts) - keep
		if sum.Status == "ERROR" && sum.ImportCount == (ImportCount{}) {
			// DHIS2 refused the whole chunk (e.g. the data set does not
			// exist): every chunk would meet the same.
			return fmt.Errorf("push %s: DHIS2 refused the import: %s", rec.Period, cmp.Or(sum.Description, msg, "status ERROR"))
		}
	}
	return nil
}

// rejected counts the values a chunk's summary refused: DHIS2's rejected
// indexes from 2.38 on; before, the values each conflict's object names,
// at most the chunk's ignored count (which holds the refused values) and
// at least one per conflict.
func rejected(sum ImportSummary, conflicts []Conflict) int {
	if len(sum.RejectedIndexes) > 0 {
		return len(sum.RejectedIndexes)
	}
	n := 0
	for _, c := range conflicts {
		n += max(c.Values, 1)
	}
	if n > sum.ImportCount.Ignored && sum.ImportCount.Ignored >= len(conflicts) {
		n = sum.ImportCount.Ignored
	}
	return n
}

// nameConflicts turns a chunk's conflicts into records naming the
// facility and quantity: through the indexes DHIS2 2.38+ gives, else by
// matching the conflict's object against the chunk's identifiers.
func nameConflicts(sum ImportSummary, doc Document, off, end int) []Conflict {
	var out []Conflict
	for _, c := range sum.Conflicts {
		base := Conflict{ErrorCode: c.ErrorCode, Object: c.Object, Message: c.Value}
		if len(c.Indexes) > 0 {
			for _, i := range c.Indexes {
				one := base
				one.Values = 1
				if i >= 0 && off+i < end {
					o := doc.Origins[off+i]
					one.Facility, one.FacilityName, one.Element, one.ElementName = o.Facility, o.FacilityName, o.Element, o.ElementName
				}
				out = append(out, one)
			}
			continue
		}
		// Before 2.38 a conflict names the object (an org unit, data
		// element or period) and not the values; name what it can and
		// count the values of the chunk that hold it.
		for i := off; i < end; i++ {
			v, o := doc.Set.DataValues[i], doc.Origins[i]
			switch c.Object {
			case v.Period:
				base.Values++
			case v.OrgUnit:
				if base.Facility == "" {
					base.Facility, base.FacilityName = o.Facility, o.FacilityName
				}
				base.Values++
			case v.DataElement:
				if base.Element == "" {
					base.Element, base.ElementName = o.Element, o.ElementName
				}
				base.Values++
			}
		}
		out = append(out, base)
	}
	return out
}
