package windowed

import (
	"math"
	"time"
)

// DefaultSettings returns the windowed rules' country-wide defaults: every
// rule enabled at severity warning.
func DefaultSettings() Settings {
	var s Settings
	on := Rule{Enabled: true, Severity: "warning"}

	s.AgentSilent.Rule = on
	s.AgentSilent.SilentAfter = 6 * time.Hour

	s.OutboxBacklog.Rule = on
	s.OutboxBacklog.OlderThan = 24 * time.Hour

	s.GridAvailabilityLow.Rule = on
	s.GridAvailabilityLow.BelowPct = 50

	s.SolarUnderperforming.Rule = on
	s.SolarUnderperforming.SharePct = 50
	s.SolarUnderperforming.Days = 3
	s.SolarUnderperforming.MinPeers = 3

	s.GeneratorFuelHigh.Rule = on
	s.GeneratorFuelHigh.AboveLPerKWh = 0.6
	s.GeneratorFuelHigh.MinKWh = 10

	s.WasteNotReported.Rule = on
	s.WasteNotReported.Days = 3
	s.WasteNotReported.UsualDays = 28
	s.WasteNotReported.UsualSharePct = 50

	s.RejectionsRepeated.Rule = on
	s.RejectionsRepeated.Count = 20
	s.RejectionsRepeated.Within = time.Hour
	return s
}

// Validate calls bad once for every bad value of s, with its full YAML key
// (prefix, such as "alerts.rules." or "alerts.governorates.IQ-BA.",
// followed by the rule and the setting) and a message saying what is
// wanted. Every value is checked, also those of disabled rules, so that a
// rule switched on later does not start with a broken threshold. The
// checks come in a fixed order, so the messages do too.
func (s Settings) Validate(prefix string, bad func(key, format string, args ...any)) {
	v := validator{prefix: prefix, bad: bad}

	v.severity("agent_silent", s.AgentSilent.Rule)
	v.duration("agent_silent.silent_after", s.AgentSilent.SilentAfter, "6h")

	v.severity("outbox_backlog", s.OutboxBacklog.Rule)
	v.duration("outbox_backlog.older_than", s.OutboxBacklog.OlderThan, "24h")

	v.severity("grid_availability_low", s.GridAvailabilityLow.Rule)
	v.pct("grid_availability_low.below_pct", s.GridAvailabilityLow.BelowPct, "50")

	v.severity("solar_underperforming", s.SolarUnderperforming.Rule)
	v.pct("solar_underperforming.share_pct", s.SolarUnderperforming.SharePct, "50")
	v.atLeastOne("solar_underperforming.days", s.SolarUnderperforming.Days, "days", "3")
	v.atLeastOne("solar_underperforming.min_peers", s.SolarUnderperforming.MinPeers, "facilities", "3")

	v.severity("generator_fuel_high", s.GeneratorFuelHigh.Rule)
	v.positive("generator_fuel_high.above_l_per_kwh", s.GeneratorFuelHigh.AboveLPerKWh, "litres per kWh", "0.6")
	v.positive("generator_fuel_high.min_kwh", s.GeneratorFuelHigh.MinKWh, "kWh", "10")

	v.severity("waste_not_reported", s.WasteNotReported.Rule)
	v.atLeastOne("waste_not_reported.days", s.WasteNotReported.Days, "days", "3")
	v.atLeastOne("waste_not_reported.usual_days", s.WasteNotReported.UsualDays, "days", "28")
	v.pct("waste_not_reported.usual_share_pct", s.WasteNotReported.UsualSharePct, "50")

	v.severity("rejections_repeated", s.RejectionsRepeated.Rule)
	v.atLeastOne("rejections_repeated.count", s.RejectionsRepeated.Count, "rejections", "20")
	v.duration("rejections_repeated.within", s.RejectionsRepeated.Within, "1h")
}

type validator struct {
	prefix string
	bad    func(key, format string, args ...any)
}

func (v validator) severity(rule string, r Rule) {
	switch r.Severity {
	case "critical", "warning", "info":
	default:
		v.bad(v.prefix+rule+".severity", "want critical, warning or info, got %q", r.Severity)
	}
}

func (v validator) duration(key string, d time.Duration, example string) {
	if d <= 0 {
		v.bad(v.prefix+key, "must be a positive duration such as %s, got %s", example, d)
	}
}

// pct wants a share in (0, 100]; written so that NaN fails too.
func (v validator) pct(key string, p float64, example string) {
	if !(p > 0 && p <= 100) {
		v.bad(v.prefix+key, "must be a percentage above 0 and at most 100, such as %s, got %g", example, p)
	}
}

func (v validator) positive(key string, x float64, unit, example string) {
	if !(x > 0) || x > math.MaxFloat64 {
		v.bad(v.prefix+key, "must be a positive number of %s such as %s, got %g", unit, example, x)
	}
}

func (v validator) atLeastOne(key string, n int, unit, example string) {
	if n < 1 {
		v.bad(v.prefix+key, "must be at least 1 (%s), such as %s, got %d", unit, example, n)
	}
}

// ByRule returns each rule's switch and severity by rule name, for callers
// that handle the rules alike (the firing gauge's series, clearing the
// alerts of rules turned off).
func (s Settings) ByRule() map[string]Rule {
	out := make(map[string]Rule, len(Rules()))
	for _, name := range Rules() {
		out[name] = s.rule(name)
	}
	return out
}
