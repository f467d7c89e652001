package preset

import "math"

// Defaults of a FuelCounter.
const (
	// DefaultFuelDeadband is the smallest drop in level, in percentage
	// points, counted as fuel burned; smaller moves are sender noise.
	DefaultFuelDeadband = 0.5
	// DefaultRefillMin is the smallest rise in level taken as a refill.
	DefaultRefillMin = 2.0
)

// FuelCounter turns a generator's fuel level readings into litres burned:
// the sum of the drops in level since counting began, times the tank size.
// A rise of at least RefillMin points is a refill: it is not burn, and the
// level after it is where counting goes on. A move smaller than the
// deadband, or a smaller rise (sloshing, a warm tank, sender noise), is
// ignored, and the level the next drop is measured from stays put, so noise
// that swings up and back is never counted twice; a slow burn of less than
// the deadband per reading still adds up once the level has fallen by the
// deadband in all. A refill smaller than RefillMin is missed (the counter
// undercounts rather than counts noise as burn).
//
// The zero value is ready to use with the defaults. A FuelCounter is not
// safe for concurrent use; it is the caller's state, one per generator.
type FuelCounter struct {
	Deadband  float64 // percentage points; 0 means DefaultFuelDeadband
	RefillMin float64 // percentage points; 0 means DefaultRefillMin

	ref   float64 // the level drops are measured from
	have  bool
	total float64
}

// Observe takes a fuel level reading (percent of the tank) and the tank's
// capacity in litres and returns the litres burned so far. A level outside
// 0–100 or not a number, or a capacity that is not a positive number, is
// ignored.
func (c *FuelCounter) Observe(levelPct, tankL float64) float64 {
	if math.IsNaN(levelPct) || levelPct < 0 || levelPct > 100 ||
		math.IsNaN(tankL) || math.IsInf(tankL, 0) || tankL <= 0 {
		return c.total
	}
	if !c.have {
		c.ref, c.have = levelPct, true
		return c.total
	}
	deadband, refill := c.Deadband, c.RefillMin
	if deadband <= 0 {
		deadband = DefaultFuelDeadband
	}
	if refill <= 0 {
		refill = DefaultRefillMin
	}
	switch d := c.ref - levelPct; {
	case d >= deadband:
		c.total += d * tankL / 100
		c.ref = levelPct
	case -d >= refill:
		c.ref = levelPct
	}
	return c.total
}

// Total returns the litres burned so far.
func (c *FuelCounter) Total() float64 { return c.total }

// FuelState is what a FuelCounter must keep across restarts of the agent,
// so that fuel_l_total goes on from where it was instead of restarting at
// 0 (which the indicators would read as a counter reset).
type FuelState struct {
	BurnedL   float64 `json:"burned_l"`
	LevelPct  float64 `json:"level_pct"`
	HaveLevel bool    `json:"have_level"`
}

// State returns the counter's state, to store.
func (c *FuelCounter) State() FuelState {
	return FuelState{BurnedL: c.total, LevelPct: c.ref, HaveLevel: c.have}
}

// Restore takes up a stored state. A total that is not a number ≥ 0 is
// taken as 0 and a level outside 0–100 as none, so a damaged file costs a
// reset of the count, not a wrong one.
func (c *FuelCounter) Restore(s FuelState) {
	c.total, c.ref, c.have = 0, 0, false
	if !math.IsNaN(s.BurnedL) && !math.IsInf(s.BurnedL, 0) && s.BurnedL >= 0 {
		c.total = s.BurnedL
	}
	if s.HaveLevel && !math.IsNaN(s.LevelPct) && s.LevelPct >= 0 && s.LevelPct <= 100 {
		c.ref, c.have = s.LevelPct, true
	}
}
