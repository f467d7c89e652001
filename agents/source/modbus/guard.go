package modbus

// confirmPolls is how many polls in a row must agree on a lower counter
// before it counts as a meter replaced or reset rather than a bad read:
// a single 0 or a garbled value is common on a noisy RS-485 line, a meter
// swapped by an electrician keeps counting from its new value.
const confirmPolls = 3

// counterGuard keeps one counter of one device (kwh_total, fuel_l_total)
// from going backwards in the readings. It is not safe for concurrent use.
type counterGuard struct {
	last    float64 // the last value let through
	started bool
	// The lower series seen since the counter last went backwards: its
	// first and latest values and how many polls gave it.
	heldFirst, heldLast float64
	held                int
}

// verdict is what the guard made of a value.
type verdict int

const (
	pass      verdict = iota // publish it
	backwards                // hold it back: lower than the last value
	restarted                // publish it: a new series confirmed, a reset
)

// check returns whether v may be published. A value below the last one is
// held back. It is taken as a reset (a new meter, or one cleared) only
// once confirmPolls lower values in a row never went down and the series
// rose: a meter that reboots to 0, or a gateway that answers zeros for a
// dead unit, stays stuck and is never published, since the real value's
// return would then count as that day's whole use. replaced tells that the
// device itself said so (its serial number changed): the value passes at
// once.
func (g *counterGuard) check(v float64, replaced bool) verdict {
	switch {
	case !g.started:
		g.started = true
		g.accept(v)
		return pass
	case replaced && v < g.last:
		g.accept(v)
		return restarted
	case v >= g.last || replaced:
		g.accept(v)
		return pass
	}
	if g.held == 0 || v < g.heldLast {
		g.heldFirst, g.held = v, 0 // the lower series itself went down: start it again
	}
	g.heldLast = v
	g.held++
	if g.held < confirmPolls || g.heldLast <= g.heldFirst {
		return backwards
	}
	g.accept(v)
	return restarted
}

func (g *counterGuard) accept(v float64) {
	g.last = v
	g.held = 0
}
