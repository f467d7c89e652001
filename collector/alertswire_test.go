package collector

import (
	"fmt"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/greenpulse-health/greenpulse/collector/alerts/windowed"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/reading"
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

type storedFacilities [][]string

func (s *storedFacilities) Stored(rs []reading.Reading) {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.Facility)
	}
	*s = append(*s, ids)
}

// TestOwnedReadingsKeepsTheEventRulesToTheOwnFacilities: readings of
// another partition's facilities never reach this collector's event rules.
func TestOwnedReadingsKeepsTheEventRulesToTheOwnFacilities(t *testing.T) {
	owns := func(id string) bool { return id != "OTHER" }
	batch := func(ids ...string) []reading.Reading {
		rs := make([]reading.Reading, len(ids))
		for i, id := range ids {
			rs[i].Facility = id
		}
		return rs
	}
	for _, tt := range []struct {
		name string
		in   []reading.Reading
		want string
	}{
		{"all own", batch("A", "B"), "[[A B]]"},
		{"one foreign", batch("A", "OTHER", "B"), "[[A B]]"},
		{"only foreign", batch("OTHER"), "[]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got storedFacilities
			in := slices.Clone(tt.in)
			ownedReadings{next: &got, owns: owns}.Stored(in)
			if s := fmt.Sprint([][]string(got)); s != tt.want {
				t.Errorf("told %s, want %s", s, tt.want)
			}
			if !slices.Equal(facilitiesOf(in), facilitiesOf(tt.in)) {
				t.Errorf("the caller's batch changed: %v", facilitiesOf(in))
			}
		})
	}
}

func facilitiesOf(rs []reading.Reading) []string {
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.Facility)
	}
	return ids
}
