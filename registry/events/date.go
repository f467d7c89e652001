package events

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"
)

// Date is a civil date: a local day as people name it, with no time zone.
// Events are configured by day ("20 Safar falls on 4 August"), and each
// consumer turns a day into times in its own roll-up timezone with In.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// dateLayout is how a Date is written in YAML, JSON and the API.
const dateLayout = "2006-01-02"

// ParseDate reads a date written YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date written YYYY-MM-DD", s)
	}
	return DateOf(t, time.UTC), nil
}

// DateOf is the local day of t in loc.
func DateOf(t time.Time, loc *time.Location) Date {
	y, m, d := t.In(loc).Date()
	return Date{Year: y, Month: m, Day: d}
}

// IsZero reports whether d is the zero Date (not set).
func (d Date) IsZero() bool { return d == Date{} }

// In is the local midnight that starts day d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// utc is d's midnight in UTC: calendar arithmetic on it never meets a
// daylight-saving gap.
func (d Date) utc() time.Time { return d.In(time.UTC) }

// AddDays is the date n days after d (before, for negative n).
func (d Date) AddDays(n int) Date { return DateOf(d.utc().AddDate(0, 0, n), time.UTC) }

// Weekday is d's day of the week.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// Before reports whether d comes before o.
func (d Date) Before(o Date) bool { return d.utc().Before(o.utc()) }

// DaysUntil is the number of days from d to o (negative when o is before
// d).
func (d Date) DaysUntil(o Date) int { return int(o.utc().Sub(d.utc()).Hours() / 24) }

func (d Date) String() string { return d.utc().Format(dateLayout) }

// MarshalText writes d as YYYY-MM-DD, for JSON and YAML.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a date written YYYY-MM-DD.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// UnmarshalYAML reads a date written YYYY-MM-DD, quoted or not, and names
// the line of a bad one: a config file's reader needs to find it.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a date written YYYY-MM-DD", n.Line)
	}
	if err := d.UnmarshalText([]byte(n.Value)); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}
