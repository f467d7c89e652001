package collector

import (
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/greenpulse-health/greenpulse/collector/alerts/windowed"
	"github.com/greenpulse-health/greenpulse/collector/config"
)

// TestAlertOptions: storage_hours 0 takes the roll-up's limit, in the
// country's rules and in an override that does not name it; an override's
// own value and severity win in its governorate only.
func TestAlertOptions(t *testing.T) {
	cfg := config.DefaultAlerts()
	var govs map[string]yaml.Node
	if err := yaml.Unmarshal([]byte("IQ-BA: {storage_hours: 12, open_burning: {severity: warning}}\nIQ-NI: {agent_silent: {silent_after: 1h}}\n"), &govs); err != nil {
		t.Fatal(err)
	}
	cfg.Governorates = govs
	rules, err := cfg.RulesFor()
	if err != nil {
		t.Fatal(err)
	}
	opts := alertOptions(cfg, rules, 24)
	checks := []struct {
		what      string
		got, want any
	}{
		{"country storage hours", opts.StorageHours, 24.0},
		{"Basra storage hours", opts.Governorates["IQ-BA"].StorageHours, 12.0},
		{"Ninawa storage hours (not overridden)", opts.Governorates["IQ-NI"].StorageHours, 24.0},
		{"Basra open burning severity", string(opts.Governorates["IQ-BA"].OpenBurning.Severity), "warning"},
		{"country open burning severity", string(opts.OpenBurning.Severity), "critical"},
		{"windowed rule known to the gauge", opts.Windowed[windowed.RuleAgentSilent].Enabled, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}

func TestRuleEnabled(t *testing.T) {
	r := config.DefaultAlerts().Rules
	r.GridAvailabilityLow.Enabled = false
	r.OpenDumping.Enabled = false
	for rule, want := range map[string]bool{"open_burning": true, "open_dumping": false, "agent_silent": true,
		"grid_availability_low": false, "rejections_repeated": true, "no_such_rule": false} {
		if got := ruleEnabled(r, rule); got != want {
			t.Errorf("ruleEnabled(%s) = %v, want %v", rule, got, want)
		}
	}
}
