// Package windowed holds the facility alert rules that look at a window of
// time rather than at one reading: an agent gone silent or offline, an old
// outbox backlog, a day of low grid availability, solar yield below the
// governorate's peers, too much fuel per generator kWh, waste no longer
// reported, repeated rejections. Evaluate is a pure function of a
// Snapshot (what the collector knows of every facility now) and the rules'
// settings, so the rules are tested without a database and the same
// snapshot always gives the same findings.
package windowed

import (
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

// The windowed rules.
const (
	RuleAgentSilent          = "agent_silent"
	RuleOutboxBacklog        = "outbox_backlog"
	RuleGridAvailabilityLow  = "grid_availability_low"
	RuleSolarUnderperforming = "solar_underperforming"
	RuleGeneratorFuelHigh    = "generator_fuel_high"
	RuleWasteNotReported     = "waste_not_reported"
	RuleRejectionsRepeated   = "rejections_repeated"
)

// Rules returns the windowed rules in the order Evaluate applies them, in
// a new slice each call.
func Rules() []string {
	return []string{RuleAgentSilent, RuleOutboxBacklog, RuleGridAvailabilityLow, RuleSolarUnderperforming,
		RuleGeneratorFuelHigh, RuleWasteNotReported, RuleRejectionsRepeated}
}

// Snapshot is what the collector knows of every facility at Now.
type Snapshot struct {
	Now time.Time
	// Started is since when the collector has been able to hear the
	// facilities: the later of its start and its last reconnection to the
	// broker, or Now while it is disconnected. Silence is counted from
	// the later of it and a facility's last reading, so a restart or a
	// lost connection neither fires nor clears agent_silent before a
	// whole silent_after has been heard; rejections are judged only once
	// Started is a whole rejections_repeated.within ago.
	Started time.Time
	// Location is the zone the messages write times in, with its
	// abbreviation or offset ("1 Dec 2026 09:00 +03"); nil is UTC.
	Location   *time.Location
	Facilities []Facility
}

// Facility is one facility's part of a snapshot.
type Facility struct {
	ID, District, Governorate string
	PVkWp                     float64
	// LastReading is the newest reading's timestamp received since the
	// collector started; zero when none.
	LastReading time.Time
	// Status is the agent's last status message (nil: none since start)
	// and StatusAt when it arrived.
	Status   *reading.AgentStatus
	StatusAt time.Time
	// Rejections is how many of its messages or batch items were
	// rejected in the last RejectionsRepeated.Within.
	Rejections int
	// Days are daily indicator values of the facility by how many local
	// days before today the day is: 1 is yesterday, the last complete
	// day. A missing key is a day without a value.
	Days map[indicators.ID]map[int]float64
}

// Finding is a rule's verdict on one facility: firing or clear. A rule
// that cannot decide (no data for the window) gives no finding, and the
// caller leaves that facility's alert as it is.
type Finding struct {
	Rule     string
	Facility string
	Firing   bool
	Severity string // of the facility's governorate's settings
	// Message and MessageAr say what is wrong, with the figures, in
	// English and Arabic; empty when clear. They name fixed times, in
	// the snapshot's Location, not running durations, so that a
	// condition that holds gives the same messages at every sweep.
	Message, MessageAr string
	// Since is when the condition started, when known (the last reading
	// of a silent agent, the oldest unsent reading); else Now.
	Since time.Time
}

// Rule is a rule's switch and severity.
type Rule struct {
	Enabled  bool   `yaml:"enabled"`
	Severity string `yaml:"severity"` // critical, warning or info
}

// Settings are the windowed rules' thresholds, for the country or, as an
// override, for one governorate.
type Settings struct {
	AgentSilent struct {
		Rule `yaml:",inline"`
		// SilentAfter: no reading for this long fires the rule; so does
		// a status {"online": false} held this long.
		SilentAfter time.Duration `yaml:"silent_after"`
	} `yaml:"agent_silent"`
	OutboxBacklog struct {
		Rule `yaml:",inline"`
		// OlderThan: the status's oldest_unsent older than this fires.
		OlderThan time.Duration `yaml:"older_than"`
	} `yaml:"outbox_backlog"`
	GridAvailabilityLow struct {
		Rule `yaml:",inline"`
		// BelowPct: yesterday's grid_availability_pct below this fires.
		BelowPct float64 `yaml:"below_pct"`
	} `yaml:"grid_availability_low"`
	SolarUnderperforming struct {
		Rule `yaml:",inline"`
		// Fires when on each of the last Days days the facility's
		// solar_kwh per kWp of pv_kwp was below SharePct % of the median
		// of its governorate's peers (facilities with pv_kwp > 0 and a
		// value that day); a day with fewer than MinPeers other peers
		// cannot be judged.
		SharePct float64 `yaml:"share_pct"`
		Days     int     `yaml:"days"`
		MinPeers int     `yaml:"min_peers"`
	} `yaml:"solar_underperforming"`
	GeneratorFuelHigh struct {
		Rule `yaml:",inline"`
		// Fires when yesterday's generator_fuel_l / generator_kwh is above
		// AboveLPerKWh, judged only on days with at least MinKWh.
		AboveLPerKWh float64 `yaml:"above_l_per_kwh"`
		MinKWh       float64 `yaml:"min_kwh"`
	} `yaml:"generator_fuel_high"`
	WasteNotReported struct {
		Rule `yaml:",inline"`
		// Fires when no waste_kg in the last Days days, for a facility
		// that reported waste on at least UsualSharePct % of the
		// UsualDays days before them.
		Days          int     `yaml:"days"`
		UsualDays     int     `yaml:"usual_days"`
		UsualSharePct float64 `yaml:"usual_share_pct"`
	} `yaml:"waste_not_reported"`
	RejectionsRepeated struct {
		Rule `yaml:",inline"`
		// Fires when at least Count rejections in the last Within.
		Count  int           `yaml:"count"`
		Within time.Duration `yaml:"within"`
	} `yaml:"rejections_repeated"`
}

// LookbackDays is how many complete days before today the snapshot's Days
// must cover for s.
func (s Settings) LookbackDays() int {
	return max(1, s.SolarUnderperforming.Days, s.WasteNotReported.Days+s.WasteNotReported.UsualDays)
}

// Indicators returns the daily indicators the rules read, in a new slice
// each call.
func Indicators() []indicators.ID {
	return []indicators.ID{indicators.GridAvailabilityPct, indicators.SolarKWh,
		indicators.GeneratorFuelL, indicators.GeneratorKWh, indicators.WasteKg}
}
