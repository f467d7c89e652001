package windowed

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func TestDefaultSettings(t *testing.T) {
	s := DefaultSettings()
	var problems []string
	s.Validate("alerts.rules.", func(key, format string, args ...any) {
		problems = append(problems, key+": "+fmt.Sprintf(format, args...))
	})
	if len(problems) > 0 {
		t.Errorf("defaults invalid: %v", problems)
	}
	for name, r := range map[string]Rule{RuleAgentSilent: s.AgentSilent.Rule, RuleOutboxBacklog: s.OutboxBacklog.Rule,
		RuleGridAvailabilityLow: s.GridAvailabilityLow.Rule, RuleSolarUnderperforming: s.SolarUnderperforming.Rule,
		RuleGeneratorFuelHigh: s.GeneratorFuelHigh.Rule, RuleWasteNotReported: s.WasteNotReported.Rule,
		RuleRejectionsRepeated: s.RejectionsRepeated.Rule} {
		if r != (Rule{Enabled: true, Severity: "warning"}) {
			t.Errorf("%s: %+v, want enabled warning", name, r)
		}
	}
	if s.AgentSilent.SilentAfter != 6*time.Hour || s.OutboxBacklog.OlderThan != 24*time.Hour ||
		s.GridAvailabilityLow.BelowPct != 50 || s.SolarUnderperforming.SharePct != 50 || s.SolarUnderperforming.Days != 3 ||
		s.SolarUnderperforming.MinPeers != 3 || s.GeneratorFuelHigh.AboveLPerKWh != 0.6 || s.GeneratorFuelHigh.MinKWh != 10 ||
		s.WasteNotReported.Days != 3 || s.WasteNotReported.UsualDays != 28 || s.WasteNotReported.UsualSharePct != 50 ||
		s.RejectionsRepeated.Count != 20 || s.RejectionsRepeated.Within != time.Hour {
		t.Errorf("defaults %+v", s)
	}
	if got := s.LookbackDays(); got != 31 {
		t.Errorf("LookbackDays() = %d, want 31", got)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		set  func(*Settings)
		key  string // after the prefix
		msg  string
	}{
		{"empty severity", func(s *Settings) { s.AgentSilent.Severity = "" }, "agent_silent.severity", `want critical, warning or info, got ""`},
		{"unknown severity", func(s *Settings) { s.WasteNotReported.Severity = "Warning" }, "waste_not_reported.severity", `got "Warning"`},
		{"severity of a disabled rule", func(s *Settings) { s.OutboxBacklog.Enabled, s.OutboxBacklog.Severity = false, "high" },
			"outbox_backlog.severity", `got "high"`},
		{"zero silent_after", func(s *Settings) { s.AgentSilent.SilentAfter = 0 }, "agent_silent.silent_after", "positive duration such as 6h, got 0s"},
		{"negative older_than", func(s *Settings) { s.OutboxBacklog.OlderThan = -time.Hour }, "outbox_backlog.older_than", "got -1h0m0s"},
		{"zero within", func(s *Settings) { s.RejectionsRepeated.Within = 0 }, "rejections_repeated.within", "positive duration"},
		{"below_pct 0", func(s *Settings) { s.GridAvailabilityLow.BelowPct = 0 }, "grid_availability_low.below_pct", "above 0 and at most 100"},
		{"below_pct over 100", func(s *Settings) { s.GridAvailabilityLow.BelowPct = 100.5 }, "grid_availability_low.below_pct", "got 100.5"},
		{"share_pct negative", func(s *Settings) { s.SolarUnderperforming.SharePct = -5 }, "solar_underperforming.share_pct", "got -5"},
		{"share_pct NaN", func(s *Settings) { s.SolarUnderperforming.SharePct = math.NaN() }, "solar_underperforming.share_pct", "got NaN"},
		{"solar days 0", func(s *Settings) { s.SolarUnderperforming.Days = 0 }, "solar_underperforming.days", "at least 1 (days)"},
		{"min_peers 0", func(s *Settings) { s.SolarUnderperforming.MinPeers = 0 }, "solar_underperforming.min_peers", "got 0"},
		{"above_l_per_kwh 0", func(s *Settings) { s.GeneratorFuelHigh.AboveLPerKWh = 0 }, "generator_fuel_high.above_l_per_kwh", "positive number of litres per kWh"},
		{"min_kwh negative", func(s *Settings) { s.GeneratorFuelHigh.MinKWh = -1 }, "generator_fuel_high.min_kwh", "got -1"},
		{"min_kwh infinite", func(s *Settings) { s.GeneratorFuelHigh.MinKWh = math.Inf(1) }, "generator_fuel_high.min_kwh", "got +Inf"},
		{"waste days 0", func(s *Settings) { s.WasteNotReported.Days = 0 }, "waste_not_reported.days", "at least 1"},
		{"usual_days negative", func(s *Settings) { s.WasteNotReported.UsualDays = -3 }, "waste_not_reported.usual_days", "got -3"},
		{"usual_share_pct 0", func(s *Settings) { s.WasteNotReported.UsualSharePct = 0 }, "waste_not_reported.usual_share_pct", "at most 100"},
		{"count 0", func(s *Settings) { s.RejectionsRepeated.Count = 0 }, "rejections_repeated.count", "at least 1 (rejections)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, prefix := range []string{"alerts.rules.", "alerts.governorates.IQ-BA."} {
				s := DefaultSettings()
				c.set(&s)
				var keys, msgs []string
				s.Validate(prefix, func(key, format string, args ...any) {
					keys = append(keys, key)
					msgs = append(msgs, fmt.Sprintf(format, args...))
				})
				if len(keys) != 1 || keys[0] != prefix+c.key || !strings.Contains(msgs[0], c.msg) {
					t.Errorf("got %q %q, want one problem at %q containing %q", keys, msgs, prefix+c.key, c.msg)
				}
			}
		})
	}
}

func TestValidateZeroSettings(t *testing.T) {
	var keys []string
	Settings{}.Validate("alerts.rules.", func(key, format string, args ...any) { keys = append(keys, key) })
	// Seven severities and every threshold.
	if len(keys) != 7+13 {
		t.Errorf("got %d problems, want 20: %q", len(keys), keys)
	}
	if keys[0] != "alerts.rules.agent_silent.severity" || keys[len(keys)-1] != "alerts.rules.rejections_repeated.within" {
		t.Errorf("problems not in the settings' order: %q", keys)
	}
}

func TestValidateEdgesAllowed(t *testing.T) {
	s := DefaultSettings()
	s.GridAvailabilityLow.BelowPct = 100
	s.SolarUnderperforming.SharePct = 0.1
	s.SolarUnderperforming.Days, s.SolarUnderperforming.MinPeers = 1, 1
	s.WasteNotReported.Days, s.WasteNotReported.UsualDays, s.WasteNotReported.UsualSharePct = 1, 1, 100
	s.RejectionsRepeated.Count = 1
	s.AgentSilent.Severity, s.OutboxBacklog.Severity = "critical", "info"
	s.AgentSilent.SilentAfter = time.Nanosecond
	s.GeneratorFuelHigh.MinKWh = 0.001
	s.Validate("alerts.rules.", func(key, format string, args ...any) {
		t.Errorf("%s: %s", key, fmt.Sprintf(format, args...))
	})
}

// TestByRuleNamesEveryRule: ByRule has each of Rules() and its own switch.
func TestByRuleNamesEveryRule(t *testing.T) {
	s := DefaultSettings()
	s.GridAvailabilityLow.Enabled = false
	by := s.ByRule()
	if len(by) != len(Rules()) {
		t.Fatalf("ByRule has %d rules, Rules %d", len(by), len(Rules()))
	}
	for _, r := range Rules() {
		if want := r != RuleGridAvailabilityLow; by[r].Enabled != want || by[r].Severity == "" {
			t.Errorf("%s: %+v, want enabled %v", r, by[r], want)
		}
	}
}
