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
	if !a.Enabled || a.EventWindow != 7*24*time.Hour || a.Rules.StorageHours != 48 ||
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
		{"alerts: {rules: {storage_hours: 0}}", "alerts.rules.storage_hours"},
		{"alerts: {rules: {open_burnin: {severity: info}}}", "field open_burnin not found"},
		{"alerts: {alertmanager: {urls: ['am:9093']}}", "alerts.alertmanager.urls"},
		{"alerts: {alertmanager: {urls: ['http://u:s3cret@am:9093?x=1']}}", "alerts.alertmanager.urls: url \"http://u:xxxxx@am:9093?x=1\""},
		{"alerts: {alertmanager: {urls: ['http://am:9093'], timeout: 0s}}", "alerts.alertmanager.timeout"},
		{"alerts: {alertmanager: {resend_every: 0s}}", "alerts.alertmanager.resend_every"},
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
