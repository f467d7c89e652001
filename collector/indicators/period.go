package indicators

import (
	"errors"
	"fmt"
	"time"
)

// Kind is the length of a period: a local day or a local month.
type Kind string

// The period kinds of SPEC's indicator schema (tag "period").
const (
	Day   Kind = "day"
	Month Kind = "month"
)

// Period is one local day or month: [Start, End) with Start at local
// midnight in the configured timezone.
type Period struct {
	Kind       Kind
	Start, End time.Time
}

// PeriodOf returns the period of kind k that contains t in loc.
func PeriodOf(k Kind, t time.Time, loc *time.Location) Period {
	t = t.In(loc)
	switch k {
	case Month:
		start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc)
		return Period{Kind: Month, Start: start, End: start.AddDate(0, 1, 0)}
	default:
		start := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		return Period{Kind: Day, Start: start, End: start.AddDate(0, 0, 1)}
	}
}

// Periods returns the periods of kind k that overlap [from, to), in order.
func Periods(k Kind, from, to time.Time, loc *time.Location) []Period {
	var out []Period
	for p := PeriodOf(k, from, loc); p.Start.Before(to); p = PeriodOf(k, p.End, loc) {
		out = append(out, p)
	}
	return out
}

// Days is the number of calendar days in the period, the "days in period"
// of the per-bed indicators.
func (p Period) Days() int {
	n := 0
	for d := p.Start; d.Before(p.End); d = d.AddDate(0, 0, 1) {
		n++
	}
	return n
}

func (p Period) String() string {
	return fmt.Sprintf("%s %s", p.Kind, p.Start.Format("2006-01-02"))
}

// ParseTime reads a time as users give it to the API and the rollup
// command: a local date (2026-11-01, midnight in loc) or an RFC 3339 time.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.ParseInLocation("2006-01-02", s, loc); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither a local date (2026-11-01) nor an RFC 3339 time", s)
	}
	return t, nil
}

// LoadZone loads the zone of an IANA name, for the local days of the
// collector's roll-ups and of an agent's figures. It refuses "Local" and
// the empty name (which Go reads as UTC): the API and the agent's page tell
// browsers the zone by name, and browsers know only IANA names; either
// would make local days begin where the host, not the file, says.
func LoadZone(name string) (*time.Location, error) {
	switch name {
	case "":
		return nil, errors.New("required: an IANA timezone name such as Asia/Baghdad")
	case "Local":
		return nil, errors.New(`"Local" is the host's zone, which browsers cannot name: give an IANA timezone name such as Asia/Baghdad`)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("%q is not a timezone such as Asia/Baghdad: %w", name, err)
	}
	return loc, nil
}
