package collector

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
	"github.com/greenpulse-health/greenpulse/collector/alerts/alertmanager"
	"github.com/greenpulse-health/greenpulse/collector/alerts/sweep"
	"github.com/greenpulse-health/greenpulse/collector/alerts/webhook"
	"github.com/greenpulse-health/greenpulse/collector/alerts/windowed"
	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// alertsPart is the facility alerts: their store, the evaluator the
// pipeline feeds, and the goroutines that clear expired alerts, run the
// windowed rules and send alerts on.
type alertsPart struct {
	store      *alerts.Store
	eval       *alerts.Evaluator
	rejections *sweep.Rejections
	// startWindowed starts the windowed rules; the collector calls it
	// once InfluxDB answers and has its databases, since their first run
	// reads it at once.
	startWindowed func()
	stop          func()
}

// alertOptions returns the evaluator's options of cfg, whose governorate
// overrides govs are (config.Alerts.RulesFor, checked by validation);
// storageLimit is the roll-up's, for rules that leave storage_hours 0.
func alertOptions(cfg config.Alerts, govs map[string]config.AlertRules, storageLimit float64) alerts.Options {
	rule := func(r config.AlertRule) alerts.Rule {
		return alerts.Rule{Enabled: r.Enabled, Severity: alerts.Severity(r.Severity)}
	}
	events := func(r config.AlertRules) alerts.EventRules {
		hours := r.StorageHours
		if hours == 0 {
			hours = storageLimit
		}
		return alerts.EventRules{OpenBurning: rule(r.OpenBurning), OpenDumping: rule(r.OpenDumping),
			StorageExceeded: rule(r.StorageExceeded), StorageHours: hours}
	}
	opts := alerts.Options{EventRules: events(cfg.Rules), Governorates: map[string]alerts.EventRules{},
		Windowed: map[string]alerts.Rule{}, EventWindow: cfg.EventWindow, CheckEvery: cfg.CheckEvery}
	for code, r := range govs {
		opts.Governorates[code] = events(r)
	}
	for name, r := range cfg.Rules.Settings.ByRule() {
		opts.Windowed[name] = alerts.Rule{Enabled: r.Enabled, Severity: alerts.Severity(r.Severity)}
	}
	return opts
}

// ruleEnabled reports whether rule is on in r; a rule this version does
// not know (from an older state file) is not.
func ruleEnabled(r config.AlertRules, rule string) bool {
	switch rule {
	case alerts.RuleOpenBurning:
		return r.OpenBurning.Enabled
	case alerts.RuleOpenDumping:
		return r.OpenDumping.Enabled
	case alerts.RuleStorageExceeded:
		return r.StorageExceeded.Enabled
	}
	return r.Settings.ByRule()[rule].Enabled
}

// alertInputs are what the windowed rules read besides the alert store.
type alertInputs struct {
	indicators sweep.Indicators
	agents     sweep.Agents
	loc        *time.Location
	// storageLimit is rollup.storage_limit_hours.
	storageLimit float64
	// listening is the subscriber's ListeningSince.
	listening func() (time.Time, bool)
	// owns says which facilities this collector judges: its partition's
	// (mqtt.partition), whose messages only it receives.
	owns func(facility string) bool
}

// notifyOf makes a notifier that may read the alert store (the facility
// topic publisher lists a facility's active alerts at each change).
type notifyOf func(*alerts.Store) alerts.Notify

// startAlerts opens the alert store, starts the Alertmanager notifier when
// URLs are configured (and gives every notifier each active alert, since
// they start empty), and starts clearing expired alerts.
func startAlerts(cfg config.Alerts, in alertInputs, reg *registry.Registry, prom prometheus.Registerer, log *slog.Logger, extra ...notifyOf) (*alertsPart, error) {
	govs, err := cfg.RulesFor()
	if err != nil {
		return nil, fmt.Errorf("alerts.governorates: %w", err)
	}
	store, err := alerts.Open(cfg.StateFile, log)
	if err != nil {
		return nil, err
	}
	// Alerts of facilities that another collector of the partition owns
	// now are its to clear or keep: forgotten here without a word, so that
	// neither the agent's page nor Alertmanager is told they resolved.
	if n, err := store.Forget(func(a alerts.Alert) bool { return !in.owns(a.Facility) }); err != nil {
		return nil, fmt.Errorf("alerts: forget other partitions' alerts: %w", err)
	} else if n > 0 {
		log.Info("alerts of facilities outside this collector's partition forgotten", "alerts", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var notify []alerts.Notify
	if len(cfg.Alertmanager.URLs) > 0 {
		client, err := alertmanager.New(cfg.Alertmanager.Client(), alertmanager.NewMetrics(prom), log)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("alerts.alertmanager: %w", err)
		}
		n := alertmanager.NewNotifier(client)
		wg.Add(1)
		go func() { defer wg.Done(); _ = n.Run(ctx) }()
		notify = append(notify, amNotify{n: n, reg: reg})
	}
	if cfg.Webhook.URL != "" {
		hook, err := webhook.New(cfg.Webhook, webhook.NewMetrics(prom), log)
		if err != nil {
			cancel()
			return nil, fmt.Errorf("alerts.webhook: %w", err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = hook.Run(ctx) }()
		notify = append(notify, hook)
	}
	for _, mk := range extra {
		notify = append(notify, mk(store))
	}
	eval := alerts.NewEvaluator(store, reg, alertOptions(cfg, govs, in.storageLimit), log, notify...)
	prom.MustRegister(eval)
	// Clear what expired while the collector was down, and what no rule
	// would clear any more (a facility gone from the registry, a rule
	// turned off), before telling the notifiers what is active, so that
	// Alertmanager is not told "firing" and then "resolved" a moment later.
	eval.Expire(time.Now())
	eval.Retire(func(a alerts.Alert) bool {
		f, known := reg.Lookup(a.Facility)
		rules := cfg.Rules
		if r, ok := govs[f.Governorate]; ok {
			rules = r
		}
		return !known || !ruleEnabled(rules, a.Rule)
	})
	eval.Resend()
	wg.Add(1)
	go func() { defer wg.Done(); _ = eval.Run(ctx) }()

	settings := func(gov string) windowed.Settings {
		if r, ok := govs[gov]; ok {
			return r.Settings
		}
		return cfg.Rules.Settings
	}
	keep := cfg.Rules.RejectionsRepeated.Within
	for _, r := range govs {
		keep = max(keep, r.RejectionsRepeated.Within)
	}
	rejections := sweep.NewRejections(func(id string) bool { _, ok := reg.Lookup(id); return ok }, keep)
	sweeper := sweep.New(sweep.Options{Schedule: cfg.WindowedSchedule, Location: in.loc, Settings: settings,
		Governorates: slices.Collect(maps.Keys(govs)), Started: time.Now(), Listening: in.listening, Owns: in.owns}, reg, in.indicators, in.agents, rejections, eval, prom, log)
	var once sync.Once
	startWindowed := func() {
		once.Do(func() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := sweeper.Run(ctx); err != nil {
					log.Error("windowed alert rules stopped", "err", err)
				}
			}()
		})
	}
	log.Info("facility alerts on", "state_file", cfg.StateFile, "alertmanagers", len(cfg.Alertmanager.URLs),
		"active", len(store.List(alerts.Filter{State: "active"})))
	return &alertsPart{store: store, eval: eval, rejections: rejections, startWindowed: startWindowed,
		stop: func() { cancel(); wg.Wait() }}, nil
}

// alertsAPI is the alerts as the API serves them: listed from the store,
// acknowledged through the evaluator, which tells the notifiers.
type alertsAPI struct {
	*alerts.Store
	eval *alerts.Evaluator
}

func (a alertsAPI) Ack(id, by, comment string) (alerts.Alert, error) {
	return a.eval.Ack(id, by, comment)
}

// amNotify sends alerts to Alertmanager.
type amNotify struct {
	n   *alertmanager.Notifier
	reg *registry.Registry
}

func (m amNotify) Firing(a alerts.Alert) {
	name := a.Facility
	if f, ok := m.reg.Lookup(a.Facility); ok && f.Name != "" {
		name = f.Name
	}
	m.n.Firing(alertmanager.Alert{
		Labels: amLabels(a),
		Annotations: map[string]string{
			"summary":    a.Message,
			"summary_ar": a.MessageAr,
			"description": fmt.Sprintf("%s (%s, district %s, governorate %s): %s. Alert %s, GET /api/v1/alerts?facility=%s.",
				name, a.Facility, a.District, a.Governorate, a.Message, a.ID, a.Facility),
		},
		StartsAt: a.FirstSeen,
	})
}

func (m amNotify) Resolved(a alerts.Alert) {
	var at time.Time // zero: the notifier takes now
	if a.ClearedAt != nil {
		at = *a.ClearedAt
	}
	m.n.Resolved(amLabels(a), at)
}

// amLabels are an alert's Alertmanager labels; alertname is GreenPulse
// and the rule in camel case, GreenPulseOpenBurning.
func amLabels(a alerts.Alert) map[string]string {
	var name strings.Builder
	name.WriteString("GreenPulse")
	for _, w := range strings.Split(a.Rule, "_") {
		if w != "" {
			name.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return map[string]string{"alertname": name.String(), "rule": a.Rule, "facility": a.Facility,
		"district": a.District, "governorate": a.Governorate, "severity": string(a.Severity)}
}

// ownedReadings passes on to the event rules only the readings of the
// facilities this collector owns: an old session's subscription, or a
// partition count that disagrees with the broker's mapping, can bring it
// another collector's facility, which that collector judges.
type ownedReadings struct {
	next interface{ Stored([]reading.Reading) }
	owns func(facility string) bool
}

func (o ownedReadings) Stored(rs []reading.Reading) {
	kept := rs
	for i := range rs {
		if o.owns(rs[i].Facility) {
			continue
		}
		// Copy only in the rare batch that holds a foreign facility.
		kept = slices.DeleteFunc(slices.Clone(rs), func(r reading.Reading) bool { return !o.owns(r.Facility) })
		break
	}
	if len(kept) > 0 {
		o.next.Stored(kept)
	}
}
