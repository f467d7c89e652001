package modbus

import "time"

// confirmPolls is how many polls in a row must agree on a new series of a
// counter before it is believed rather than taken for bad reads: a single
// 0 or a garbled value is common on a noisy RS-485 line, a meter swapped
// by an electrician keeps counting from its new value.
const confirmPolls = 3

// counterGuard keeps one counter of one device (kwh_total, fuel_l_total)
// from going backwards or leaping in the readings. It is not safe for
// concurrent use.
type counterGuard struct {
	last float64 // the last value let through
	// lastAt is when the counter last moved (or was first seen): the leap
	// bound grows with the time since, so a counter that sits on one value
	// for a while may then move a whole step. Zero: unknown.
	lastAt  time.Time
	started bool
	// The series seen since the counter last left its course: its first
	// and latest values and how many polls gave it.
	heldFirst, heldLast float64
	held                int
}

// verdict is what the guard made of a value.
type verdict int

const (
	pass      verdict = iota // publish it
	backwards                // hold it back: lower than the last value
	leap                     // hold it back: a rise no facility could use in the time
	restarted                // publish it: a lower series confirmed, a reset
	leapt                    // publish it: a higher series confirmed
)

// check returns whether v, read at at, may be published. A value below the
// last one, or above it by more than maxPerHour × the hours since it moved
// plus step (the counter's resolution: a counter in whole kWh or a fuel
// level in whole percent moves a step at a time), is held back; the leap
// bound applies when maxPerHour > 0 and the last value's time is known.
// A held series is believed only once confirmPolls values in a row never
// went down and rose: a meter that reboots to 0, or a gateway that
// answers zeros for a dead unit, stays stuck and is never published,
// since the real value's return would then count as that day's whole
// use; one garbled huge value is dropped the same way. replaced tells that
// the device itself said it was replaced (its serial number changed): the
// value passes at once.
func (g *counterGuard) check(v float64, at time.Time, replaced bool, maxPerHour, step float64) verdict {
	switch {
	case !g.started:
		g.accept(v, at)
		return pass
	case replaced && v < g.last:
		g.accept(v, at)
		return restarted
	case replaced || (v >= g.last && !g.leaps(v, at, maxPerHour, step)):
		g.accept(v, at)
		return pass
	}
	if g.held == 0 || v < g.heldLast {
		g.heldFirst, g.held = v, 0 // the held series itself went down: start it again
	}
	g.heldLast = v
	g.held++
	lower := v < g.last
	if g.held < confirmPolls || g.heldLast <= g.heldFirst {
		if lower {
			return backwards
		}
		return leap
	}
	g.accept(v, at)
	if lower {
		return restarted
	}
	return leapt
}

// leaps reports whether v rose further than the bound allows. With no
// time for the last value (a state file from before times were kept)
// there is nothing to bound the rise by.
func (g *counterGuard) leaps(v float64, at time.Time, maxPerHour, step float64) bool {
	if maxPerHour <= 0 || g.lastAt.IsZero() || at.Before(g.lastAt) {
		return false
	}
	return v-g.last > maxPerHour*at.Sub(g.lastAt).Hours()+step
}

func (g *counterGuard) accept(v float64, at time.Time) {
	if !g.started || v != g.last || g.lastAt.IsZero() {
		g.lastAt = at
	}
	g.last = v
	g.started = true
	g.held = 0
}
