package rollup

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// Query selects stored indicator points; empty fields match everything.
type Query struct {
	Indicators []indicators.ID // any of these
	// Areas, when not nil, restricts the answer to these area codes (an
	// empty list matches nothing). Codes are plain names (letters, digits,
	// '-', '_'), as the registry and reading.ValidName allow.
	Areas    []string
	Level    string
	Area     string
	Period   indicators.Kind
	From, To time.Time // period starts in [From, To)
	MaxRows  int       // refuse larger answers; 0: no bound
	// Terms asks for ratios' numerators and denominators too; without it
	// only values are read, which keeps the dashboard's queries lean.
	Terms bool
}

// Row is one stored indicator value.
type Row struct {
	Indicator  indicators.ID
	Level      string
	Area       string
	Period     indicators.Kind
	Start      time.Time
	Value      float64
	Facilities int64
	// Numerator and Denominator of a ratio, read with Query.Terms; points
	// written before they were stored have neither (HasTerms false).
	Numerator, Denominator float64
	HasTerms               bool
}

// ErrTooManyRows is returned when a query matches more than MaxRows.
var ErrTooManyRows = fmt.Errorf("the query matches too many values")

// Read returns the indicator points matching q, ordered by indicator,
// level, area and start. Tag values are checked by the caller; they are
// quoted here all the same.
func Read(ctx context.Context, store Store, q Query) ([]Row, error) {
	_, bucket := store.Buckets()
	conds := []string{`r._measurement == "indicator"`, fmt.Sprintf("r.period == %q", q.Period)}
	if q.Terms {
		conds = append(conds, `(r._field == "value" or r._field == "facilities" or r._field == "numerator" or r._field == "denominator")`)
	} else {
		conds = append(conds, `(r._field == "value" or r._field == "facilities")`)
	}
	if len(q.Indicators) > 0 {
		var ors []string
		for _, id := range q.Indicators {
			ors = append(ors, fmt.Sprintf("r.indicator == %q", id))
		}
		conds = append(conds, "("+strings.Join(ors, " or ")+")")
	}
	if q.Level != "" {
		conds = append(conds, fmt.Sprintf("r.level == %q", q.Level))
	}
	if q.Area != "" {
		conds = append(conds, fmt.Sprintf("r.area == %q", q.Area))
	}
	if q.Areas != nil {
		if len(q.Areas) == 0 {
			return []Row{}, nil
		}
		// A regular expression over the tag is pushed down to the storage
		// read by 1.8, so a governorate's 200 facilities cost 200 series,
		// not the country's 2,000.
		conds = append(conds, AreaMatch(q.Areas))
	}
	// Every facility is a series of its own: a map's 2,000 facilities came
	// back as 4,000 one-row tables, each with its own CSV header. One table
	// per field (value is a float, facilities an integer, so they cannot
	// share one) cut the national view's slowest request by more than half.
	flux := fmt.Sprintf(`from(bucket: %q)
  |> range(start: %s, stop: %s)
  |> filter(fn: (r) => %s)
  |> filter(fn: (r) => r._time < %s)
  |> keep(columns: ["_time", "_value", "_field", "indicator", "level", "area"])
  |> group(columns: ["_field"])`, bucket,
		q.From.UTC().Format(time.RFC3339Nano), q.To.UTC().Format(time.RFC3339Nano),
		strings.Join(conds, " and "), q.To.UTC().Format(time.RFC3339Nano))
	res, err := store.Query(ctx, flux)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	type key struct {
		id, level, area string
		start           time.Time
	}
	rows := map[key]*Row{}
	var order []key
	for res.Next() {
		r := res.Record()
		k := key{str(r.ValueByKey("indicator")), str(r.ValueByKey("level")), str(r.ValueByKey("area")), r.Time()}
		row, ok := rows[k]
		if !ok {
			if q.MaxRows > 0 && len(rows) >= q.MaxRows {
				return nil, fmt.Errorf("%w (more than %d); narrow it by indicator, level, area or dates", ErrTooManyRows, q.MaxRows)
			}
			row = &Row{Indicator: indicators.ID(k.id), Level: k.level, Area: k.area, Period: q.Period, Start: k.start}
			rows[k] = row
			order = append(order, k)
		}
		switch r.Field() {
		case "value":
			row.Value = toFloat(r.Value())
		case "facilities":
			row.Facilities = int64(toFloat(r.Value()))
		case "numerator":
			row.Numerator, row.HasTerms = toFloat(r.Value()), true
		case "denominator":
			row.Denominator = toFloat(r.Value())
		}
	}
	if err := res.Err(); err != nil {
		return nil, fmt.Errorf("read indicators: %w", err)
	}
	out := make([]Row, 0, len(order))
	for _, k := range order {
		out = append(out, *rows[k])
	}
	slices.SortFunc(out, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Indicator, b.Indicator), cmp.Compare(a.Level, b.Level),
			cmp.Compare(a.Area, b.Area), a.Start.Compare(b.Start))
	})
	return out, nil
}

// AreaMatch is the Flux predicate matching the points of areas, which
// InfluxDB 1.8 pushes down to its storage read.
func AreaMatch(areas []string) string {
	quoted := make([]string, len(areas))
	for i, a := range areas {
		quoted[i] = regexp.QuoteMeta(a)
	}
	return fmt.Sprintf("r.area =~ /^(%s)$/", strings.Join(quoted, "|"))
}

func str(v any) string { s, _ := v.(string); return s }
