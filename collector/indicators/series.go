package indicators

import (
	"time"
)

// Sample is one reading of one series: a counter value or an availability.
type Sample struct {
	Time  time.Time
	Value float64
}

// CounterLookback is how much older than its successor the earlier reading
// of a counter difference may be (SPEC: "up to 48 h older").
const CounterLookback = 48 * time.Hour

// AvailabilityHold is how long an availability sample holds at most.
const AvailabilityHold = 15 * time.Minute

// CounterIncrease is SPEC's counter increase of one series over [start,
// end): the sum of the differences between consecutive readings whose later
// reading falls in the period and whose earlier one is at most
// CounterLookback older. A negative difference is a counter reset, and the
// later reading itself is the increase. ok is false when no difference falls
// in the period, so that "no data" stays distinct from "no increase".
// samples must be in time order and should start CounterLookback before
// start.
func CounterIncrease(samples []Sample, start, end time.Time) (increase float64, ok bool) {
	for i := 1; i < len(samples); i++ {
		cur := samples[i]
		if cur.Time.Before(start) || !cur.Time.Before(end) {
			continue
		}
		if d, counts := Difference(samples[i-1], cur); counts {
			increase += d
			ok = true
		}
	}
	return increase, ok
}

// Difference is one step of a counter: cur's value less prev's, or cur's
// value itself after a reset; it does not count when prev is more than
// CounterLookback older.
func Difference(prev, cur Sample) (float64, bool) {
	if cur.Time.Sub(prev.Time) > CounterLookback {
		return 0, false
	}
	d := cur.Value - prev.Value
	if d < 0 {
		d = cur.Value
	}
	return d, true
}

// Availability is SPEC's time-weighted availability of one grid meter over
// [start, end): each sample holds until the next one, for at most
// AvailabilityHold; live is the covered time during which the grid was
// live. Time not covered by any sample is left out of both. samples must
// be in time order and should start AvailabilityHold before start.
func Availability(samples []Sample, start, end time.Time) (live, covered time.Duration) {
	for i, s := range samples {
		from := s.Time
		until := from.Add(AvailabilityHold)
		if i+1 < len(samples) && samples[i+1].Time.Before(until) {
			until = samples[i+1].Time
		}
		from, until = maxTime(from, start), minTime(until, end)
		if !until.After(from) {
			continue
		}
		d := until.Sub(from)
		covered += d
		if s.Value != 0 {
			live += d
		}
	}
	return live, covered
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
