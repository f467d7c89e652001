package config

import (
	"strings"
	"testing"
	"time"
)

func TestAlertsDefaults(t *testing.T) {
	cfg, err := Parse(nil)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Alerts
	if !a.Enabled || a.EventWindow != 7*24*time.Hour || a.Rules.StorageHours != 0 ||
		a.Rules.OpenBurning.Severity != "critical" || a.Rules.StorageExceeded.Severity != "warning" || len(a.Alertmanager.URLs) != 0 {
		t.Errorf("alerts defaults: %+v", a)
	}
}

func TestAlertsValidationNamesTheKey(t *testing.T) {
	tests := []struct {
		yaml, want string
	}{
		{"alerts: {state_file: ''}", "alerts.state_file: required"},
		{"alerts: {event_window: 0s}", "alerts.event_window"},
		{"alerts: {check_every: -1s}", "alerts.check_every"},
		{"alerts: {rules: {open_burning: {severity: high}}}", `alerts.rules.open_burning.severity: want critical, warning or info, got "high"`},
		{"alerts: {rules: {storage_exceeded: {severity: ''}}}", `alerts.rules.storage_exceeded.severity`},
		{"alerts: {rules: {storage_hours: -1}}", "alerts.rules.storage_hours"},
		{"alerts: {rules: {open_burnin: {severity: info}}}", "field open_burnin not found"},
		{"alerts: {alertmanager: {urls: ['am:9093']}}", "alerts.alertmanager.urls"},
		{"alerts: {alertmanager: {urls: ['http://u:s3cret@am:9093?x=1']}}", "alerts.alertmanager.urls: url \"http://u:xxxxx@am:9093?x=1\""},
		{"alerts: {alertmanager: {urls: ['http://am:9093'], timeout: 0s}}", "alerts.alertmanager.timeout"},
		{"alerts: {alertmanager: {resend_every: 0s}}", "alerts.alertmanager.resend_every"},
		{"alerts: {windowed_schedule: 'every 5 minutes'}", "alerts.windowed_schedule"},
		{"mqtt: {shared_group: collectors}", `alerts.enabled: facility alerts need every facility's messages in one collector; with mqtt.shared_group "collectors"`},
		{"alerts: {webhook: {url: 'ftp://hooks.example'}}", `alerts.webhook.url: "ftp://hooks.example": scheme must be http or https`},
		{"alerts: {webhook: {url: 'https://bot:s3cret@hooks.example/x'}}", "alerts.webhook.url: \"https://hooks.example\": must not carry a user or password"},
		{"alerts: {webhook: {url: 'https://hooks.example/x', timeout: -1s}}", "alerts.webhook.timeout: -1s: must not be negative"},
		{"alerts: {rules: {agent_silent: {silent_after: 0s}}}", "alerts.rules.agent_silent.silent_after"},
		{"alerts: {governorates: {IQ-XX: {storage_hours: 12}}}", `alerts.governorates: "IQ-XX" is not a governorate`},
		{"alerts: {governorates: {IQ-BA: {grid_availability_low: {below_pc: 30}}}}", `alerts.governorates: IQ-BA: line 1: unknown key "below_pc"`},
		{"alerts:\n  governorates:\n    IQ-BA:\n      agent_silent:\n        silent_after: 2h\n        silent_afte: 3h\n", `alerts.governorates: IQ-BA: line 6: unknown key "silent_afte"`},
		{"alerts:\n  governorates:\n    IQ-BA:\n      storage_hours: lots\n", "alerts.governorates: IQ-BA: line 4: cannot unmarshal"},
		{"alerts: {governorates: {IQ-BA: {grid_availability_low: {below_pct: 300}}}}", "alerts.governorates.IQ-BA.grid_availability_low.below_pct"},
		{"alerts: {governorates: {IQ-BA: {storage_hours: -1}}}", "alerts.governorates.IQ-BA.storage_hours"},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) = %v, want an error containing %q", tt.yaml, err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("error shows the password: %v", err)
			}
		})
	}
}

func TestAlertsDisabledNeedsNoStateFile(t *testing.T) {
	cfg, err := Parse([]byte("alerts: {enabled: false, state_file: ''}"))
	if err != nil || cfg.Alerts.Enabled {
		t.Fatalf("Parse: %+v, %v", cfg.Alerts, err)
	}
}

// TestAlertsGovernorateOverrides: an override names only what differs and
// keeps the country's settings, including the file's own, for the rest.
func TestAlertsGovernorateOverrides(t *testing.T) {
	cfg, err := Parse([]byte(`alerts:
  rules:
    storage_hours: 24
    grid_availability_low: {below_pct: 40}
  governorates:
    IQ-BA:
      grid_availability_low: {below_pct: 25, severity: info}
      agent_silent: {silent_after: 12h}
`))
	if err != nil {
		t.Fatal(err)
	}
	govs, err := cfg.Alerts.RulesFor()
	if err != nil {
		t.Fatal(err)
	}
	ba, ok := govs["IQ-BA"]
	if !ok || len(govs) != 1 {
		t.Fatalf("governorates %v", govs)
	}
	country := cfg.Alerts.Rules
	checks := []struct {
		what      string
		got, want any
	}{
		{"Basra below_pct", ba.GridAvailabilityLow.BelowPct, 25.0},
		{"Basra grid severity", ba.GridAvailabilityLow.Severity, "info"},
		{"Basra grid still enabled", ba.GridAvailabilityLow.Enabled, true},
		{"Basra silent_after", ba.AgentSilent.SilentAfter, 12 * time.Hour},
		{"Basra keeps the file's storage_hours", ba.StorageHours, 24.0},
		{"Basra keeps the default backlog", ba.OutboxBacklog.OlderThan, 24 * time.Hour},
		{"country below_pct", country.GridAvailabilityLow.BelowPct, 40.0},
		{"country silent_after", country.AgentSilent.SilentAfter, 6 * time.Hour},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
}
