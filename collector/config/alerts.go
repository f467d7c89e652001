package config

import (
	"strings"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/alerts/alertmanager"
)

// Alerts configures the facility alerts: the event rules evaluated on
// ingest, where their state is kept, and the Alertmanagers they are sent
// to.
type Alerts struct {
	Enabled bool `yaml:"enabled"`
	// StateFile keeps the alerts, their acknowledgements and clearances
	// across restarts.
	StateFile string `yaml:"state_file"`
	// EventWindow is how long an event alert (open burning, open dumping,
	// storage) stays active without another matching event.
	EventWindow time.Duration `yaml:"event_window"`
	// CheckEvery is how often expired event alerts are cleared.
	CheckEvery   time.Duration      `yaml:"check_every"`
	Rules        AlertRules         `yaml:"rules"`
	Alertmanager AlertmanagerConfig `yaml:"alertmanager"`
}

// AlertRules are the rules' settings.
type AlertRules struct {
	OpenBurning     AlertRule `yaml:"open_burning"`
	OpenDumping     AlertRule `yaml:"open_dumping"`
	StorageExceeded AlertRule `yaml:"storage_exceeded"`
	// StorageHours is the limit above which a waste reading's
	// stored_hours raises storage_exceeded.
	StorageHours float64 `yaml:"storage_hours"`
}

// AlertRule is one rule's switch and severity.
type AlertRule struct {
	Enabled  bool   `yaml:"enabled"`
	Severity string `yaml:"severity"`
}

// AlertmanagerConfig says where alerts are sent; no URLs: nowhere.
type AlertmanagerConfig struct {
	URLs        []string      `yaml:"urls"`
	Timeout     time.Duration `yaml:"timeout"`
	ResendEvery time.Duration `yaml:"resend_every"`
}

// DefaultAlerts is the section's defaults: on, a week's window, open
// burning and dumping critical, storage beyond 48 h a warning, sent
// nowhere.
func DefaultAlerts() Alerts {
	return Alerts{
		Enabled:     true,
		StateFile:   "alerts-state.json",
		EventWindow: 7 * 24 * time.Hour,
		CheckEvery:  time.Minute,
		Rules: AlertRules{
			OpenBurning:     AlertRule{Enabled: true, Severity: "critical"},
			OpenDumping:     AlertRule{Enabled: true, Severity: "critical"},
			StorageExceeded: AlertRule{Enabled: true, Severity: "warning"},
			StorageHours:    48,
		},
		Alertmanager: AlertmanagerConfig{Timeout: alertmanager.DefaultTimeout, ResendEvery: alertmanager.DefaultResendEvery},
	}
}

// Client returns the Alertmanager client's config.
func (a AlertmanagerConfig) Client() alertmanager.Config {
	return alertmanager.Config{URLs: a.URLs, Timeout: a.Timeout, ResendEvery: a.ResendEvery}
}

func (a Alerts) validate(bad func(key, format string, args ...any)) {
	if a.Enabled && a.StateFile == "" {
		bad("alerts.state_file", "required when alerts.enabled is true: the file that keeps alerts across restarts")
	}
	if a.EventWindow <= 0 {
		bad("alerts.event_window", "must be a positive duration such as 168h, got %s", a.EventWindow)
	}
	if a.CheckEvery <= 0 {
		bad("alerts.check_every", "must be a positive duration such as 1m, got %s", a.CheckEvery)
	}
	for key, r := range map[string]AlertRule{"open_burning": a.Rules.OpenBurning, "open_dumping": a.Rules.OpenDumping,
		"storage_exceeded": a.Rules.StorageExceeded} {
		switch r.Severity {
		case "critical", "warning", "info":
		default:
			bad("alerts.rules."+key+".severity", "want critical, warning or info, got %q", r.Severity)
		}
	}
	if a.Rules.StorageHours <= 0 {
		bad("alerts.rules.storage_hours", "must be a positive number of hours such as 48, got %g", a.Rules.StorageHours)
	}
	am := a.Alertmanager
	if am.Timeout <= 0 {
		bad("alerts.alertmanager.timeout", "must be a positive duration such as 10s, got %s", am.Timeout)
	}
	if am.ResendEvery <= 0 {
		bad("alerts.alertmanager.resend_every", "must be a positive duration such as 1m, got %s", am.ResendEvery)
	}
	if len(am.URLs) > 0 {
		if err := am.Client().Validate(); err != nil {
			// Its messages start "alertmanager url …": name our key instead.
			bad("alerts.alertmanager.urls", "%s", strings.TrimPrefix(err.Error(), "alertmanager "))
		}
	}
}
