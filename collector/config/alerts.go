package config

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/greenpulse-health/greenpulse/collector/alerts/alertmanager"
	"github.com/greenpulse-health/greenpulse/collector/alerts/webhook"
	"github.com/greenpulse-health/greenpulse/collector/alerts/windowed"
	"github.com/greenpulse-health/greenpulse/internal/yamlfile"
	"github.com/greenpulse-health/greenpulse/registry"
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
	CheckEvery time.Duration `yaml:"check_every"`
	// WindowedSchedule is when the windowed rules run: a cron line in the
	// roll-up's timezone, or robfig/cron's "@every 5m".
	WindowedSchedule string     `yaml:"windowed_schedule"`
	Rules            AlertRules `yaml:"rules"`
	// Governorates override rules' settings for the facilities of one
	// governorate: each entry is laid over Rules, so it names only what
	// differs (alerts.governorates.IQ-BA.grid_availability_low.below_pct).
	// Read them with RulesFor.
	Governorates map[string]yaml.Node `yaml:"governorates"`
	Alertmanager AlertmanagerConfig   `yaml:"alertmanager"`
	// Webhook, when its url is set, is posted every alert that fires or
	// clears, one JSON document each (package webhook).
	Webhook webhook.Config `yaml:"webhook"`
}

// AlertRules are the rules' settings.
type AlertRules struct {
	OpenBurning     AlertRule `yaml:"open_burning"`
	OpenDumping     AlertRule `yaml:"open_dumping"`
	StorageExceeded AlertRule `yaml:"storage_exceeded"`
	// StorageHours is the limit above which a waste reading's
	// stored_hours raises storage_exceeded; 0 takes the roll-up's
	// storage_limit_hours, so that the alert and the
	// storage_exceeded_count indicator agree.
	StorageHours float64 `yaml:"storage_hours"`
	// The windowed rules (agent silent, outbox backlog, …).
	windowed.Settings `yaml:",inline"`
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
// burning and dumping critical, storage beyond the roll-up's limit a
// warning, the windowed rules of windowed.DefaultSettings, sent nowhere.
func DefaultAlerts() Alerts {
	return Alerts{
		Enabled:          true,
		StateFile:        "alerts-state.json",
		EventWindow:      7 * 24 * time.Hour,
		CheckEvery:       time.Minute,
		WindowedSchedule: "*/5 * * * *",
		Rules: AlertRules{
			OpenBurning:     AlertRule{Enabled: true, Severity: "critical"},
			OpenDumping:     AlertRule{Enabled: true, Severity: "critical"},
			StorageExceeded: AlertRule{Enabled: true, Severity: "warning"},
			Settings:        windowed.DefaultSettings(),
		},
		Alertmanager: AlertmanagerConfig{Timeout: alertmanager.DefaultTimeout, ResendEvery: alertmanager.DefaultResendEvery},
		Webhook:      webhook.Config{Timeout: webhook.DefaultTimeout},
	}
}

func (r AlertRules) validate(prefix string, bad func(key, format string, args ...any)) {
	for key, rule := range map[string]AlertRule{"open_burning": r.OpenBurning, "open_dumping": r.OpenDumping,
		"storage_exceeded": r.StorageExceeded} {
		switch rule.Severity {
		case "critical", "warning", "info":
		default:
			bad(prefix+key+".severity", "want critical, warning or info, got %q", rule.Severity)
		}
	}
	if r.StorageHours < 0 {
		bad(prefix+"storage_hours", "must be a number of hours such as 48, or 0 for rollup.storage_limit_hours, got %g", r.StorageHours)
	}
	r.Settings.Validate(prefix, bad)
}

// RulesFor returns each governorate's rules: Rules with the governorate's
// override laid over them. A governorate code must be one of Iraq's
// ISO 3166-2:IQ codes, and an override may name only keys that Rules has.
func (a Alerts) RulesFor() (map[string]AlertRules, error) {
	known := map[string]bool{}
	for _, g := range registry.Governorates() {
		known[g.Code] = true
	}
	out := make(map[string]AlertRules, len(a.Governorates))
	for _, code := range slices.Sorted(maps.Keys(a.Governorates)) {
		if !known[code] {
			return nil, fmt.Errorf("%q is not a governorate's ISO 3166-2:IQ code such as IQ-BA", code)
		}
		node := a.Governorates[code]
		// Encoded again and decoded strictly over a copy of the country's
		// rules, so that a misspelt key is refused as it is elsewhere.
		data, err := yaml.Marshal(&node)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", code, err)
		}
		rules := a.Rules
		if err := yamlfile.Decode(data, &rules); err != nil {
			return nil, fmt.Errorf("%s: %s", code, overrideError(err, node.Line))
		}
		out[code] = rules
	}
	return out, nil
}

// overrideError rewrites the error of decoding a governorate's override,
// re-encoded on its own, for the file's reader: lines counted from the
// file's line first (where the override starts), and "unknown key" for
// yaml's "field … not found in type struct {…}", which names Go's types.
func overrideError(err error, first int) string {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err.Error()
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		if sub := unknownField.FindStringSubmatch(m); sub != nil {
			m = fmt.Sprintf("line %s: unknown key %q", sub[1], sub[2])
		}
		m = lineOf.ReplaceAllStringFunc(m, func(l string) string {
			n, _ := strconv.Atoi(strings.TrimPrefix(l, "line "))
			return fmt.Sprintf("line %d", first+n-1)
		})
		msgs = append(msgs, m)
	}
	return strings.Join(msgs, "; ")
}

var (
	unknownField = regexp.MustCompile(`^line (\d+): field (\S+) not found in type`)
	lineOf       = regexp.MustCompile(`^line \d+`)
)

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
	if _, err := cron.ParseStandard(a.WindowedSchedule); err != nil {
		bad("alerts.windowed_schedule", "not a cron line such as \"*/5 * * * *\" or \"@every 5m\": %v", err)
	}
	a.Rules.validate("alerts.rules.", bad)
	govs, err := a.RulesFor()
	if err != nil {
		bad("alerts.governorates", "%v", err)
	}
	for _, code := range slices.Sorted(maps.Keys(govs)) {
		govs[code].validate("alerts.governorates."+code+".", bad)
	}
	am := a.Alertmanager
	if am.Timeout <= 0 {
		bad("alerts.alertmanager.timeout", "must be a positive duration such as 10s, got %s", am.Timeout)
	}
	if am.ResendEvery <= 0 {
		bad("alerts.alertmanager.resend_every", "must be a positive duration such as 1m, got %s", am.ResendEvery)
	}
	if a.Webhook.URL != "" {
		if err := a.Webhook.Validate(); err != nil {
			// Its messages start "webhook url …" or "webhook timeout …".
			rest := strings.TrimPrefix(err.Error(), "webhook ")
			key := "url"
			if strings.HasPrefix(rest, "timeout") {
				key = "timeout"
			}
			bad("alerts.webhook."+key, "%s", strings.TrimLeft(strings.TrimPrefix(rest, key), ": "))
		}
	}
	if len(am.URLs) > 0 {
		if err := am.Client().Validate(); err != nil {
			// Its messages start "alertmanager url …": name our key instead.
			bad("alerts.alertmanager.urls", "%s", strings.TrimPrefix(err.Error(), "alertmanager "))
		}
	}
}
