package alerts

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/reading"
	"github.com/greenpulse-health/greenpulse/registry"
)

// The event rules.
const (
	RuleOpenBurning     = "open_burning"
	RuleOpenDumping     = "open_dumping"
	RuleStorageExceeded = "storage_exceeded"
)

// Rule is one rule's settings.
type Rule struct {
	Enabled  bool
	Severity Severity
}

// EventRules are the event rules' settings, for the country or, as an
// override, for one governorate.
type EventRules struct {
	OpenBurning, OpenDumping, StorageExceeded Rule
	// StorageHours is the limit of stored_hours above which a waste
	// reading raises storage_exceeded.
	StorageHours float64
}

// Options are the evaluator's settings.
type Options struct {
	EventRules
	// Governorates overrides EventRules for the facilities of a
	// governorate (by ISO code).
	Governorates map[string]EventRules
	// Windowed are the windowed rules' country settings, by rule: only
	// for the firing gauge's zero series.
	Windowed map[string]Rule
	// EventWindow is how long an event alert stays active without
	// another matching event, and a windowed alert without a run that
	// finds it firing.
	EventWindow time.Duration
	// CheckEvery is how often Run clears expired alerts (default 1 min).
	CheckEvery time.Duration
}

// Facilities looks facilities up in the registry.
type Facilities interface {
	Lookup(id string) (registry.Facility, bool)
}

// Notify is told of alerts that fire (new or changed) and clear.
type Notify interface {
	Firing(Alert)
	Resolved(Alert)
}

// Evaluator applies the event rules to stored readings and clears event
// alerts whose window passed. It is safe for concurrent use.
type Evaluator struct {
	store  *Store
	reg    Facilities
	opts   Options
	notify []Notify
	log    *slog.Logger
	now    func() time.Time
	// notifyMu is held from a store change to its notification, so that
	// the ingest path's Firing and the ticker's Resolved of one alert
	// reach the notifiers in the order the store made them.
	notifyMu sync.Mutex
}

// NewEvaluator returns an evaluator that keeps its alerts in store and
// tells notify of changes.
func NewEvaluator(store *Store, reg Facilities, opts Options, log *slog.Logger, notify ...Notify) *Evaluator {
	if opts.CheckEvery <= 0 {
		opts.CheckEvery = time.Minute
	}
	return &Evaluator{store: store, reg: reg, opts: opts, notify: notify, log: log, now: time.Now}
}

// Stored applies the event rules to readings that are in InfluxDB. Only
// waste readings can match; the rest are skipped at the cost of one
// comparison each.
func (e *Evaluator) Stored(rs []reading.Reading) {
	var events []Event
	oldest := e.now().Add(-e.opts.EventWindow)
	for i := range rs {
		r := &rs[i]
		if r.Stream != reading.Waste {
			continue
		}
		if r.Time.Before(oldest) {
			// Reported after its window: it would clear at once.
			continue
		}
		f, _ := e.reg.Lookup(r.Facility)
		rules := e.opts.rulesFor(f.Governorate)
		switch t := r.Tag("treatment"); {
		case t == "open_burning" && rules.OpenBurning.Enabled:
			events = e.event(events, r, f, RuleOpenBurning, rules.OpenBurning.Severity,
				fmt.Sprintf("Open burning of %s waste (%s kg) reported", r.Tag("category"), mass(r)),
				fmt.Sprintf("تم الإبلاغ عن حرق مكشوف لنفايات %s (%s كغ)", categoryAr(r.Tag("category")), mass(r)))
		case t == "open_dumping" && rules.OpenDumping.Enabled:
			events = e.event(events, r, f, RuleOpenDumping, rules.OpenDumping.Severity,
				fmt.Sprintf("Open dumping of %s waste (%s kg) reported", r.Tag("category"), mass(r)),
				fmt.Sprintf("تم الإبلاغ عن رمي مكشوف لنفايات %s (%s كغ)", categoryAr(r.Tag("category")), mass(r)))
		}
		if !rules.StorageExceeded.Enabled {
			continue
		}
		if v, ok := r.Field("stored_hours"); ok && v.Kind == reading.KindFloat && v.Num > rules.StorageHours {
			h := strconv.FormatFloat(v.Num, 'f', -1, 64)
			limit := strconv.FormatFloat(rules.StorageHours, 'f', -1, 64)
			events = e.event(events, r, f, RuleStorageExceeded, rules.StorageExceeded.Severity,
				fmt.Sprintf("%s waste stored %s h before treatment, beyond the %s h limit", r.Tag("category"), h, limit),
				fmt.Sprintf("خُزنت نفايات %s لمدة %s ساعة قبل المعالجة، متجاوزةً الحد البالغ %s ساعة", categoryAr(r.Tag("category")), h, limit))
		}
	}
	if len(events) == 0 {
		return
	}
	e.notifyMu.Lock()
	defer e.notifyMu.Unlock()
	changed, err := e.store.Raise(events)
	if err != nil {
		e.log.Error("alerts: raise", "events", len(events), "err", err)
	}
	for _, a := range changed {
		for _, n := range e.notify {
			n.Firing(a)
		}
	}
}

// categoriesAr are the waste categories in Arabic, as the dashboard and
// the agent's page name them.
var categoriesAr = map[string]string{"infectious": "معدية", "sharps": "أدوات حادة", "pathological": "باثولوجية",
	"pharmaceutical": "صيدلانية", "chemical": "كيميائية", "radioactive": "مشعة", "general": "عامة"}

// categoryAr is category in Arabic, or as it is when it has no name.
func categoryAr(category string) string {
	if ar, ok := categoriesAr[category]; ok {
		return ar
	}
	return category
}

func mass(r *reading.Reading) string {
	f, _ := r.Field("mass_kg")
	return strconv.FormatFloat(f.Num, 'f', -1, 64)
}

func (e *Evaluator) event(events []Event, r *reading.Reading, f registry.Facility, rule string, sev Severity, msg, msgAr string) []Event {
	return append(events, Event{Rule: rule, Facility: r.Facility, District: f.District, Governorate: f.Governorate,
		Severity: sev, Message: msg, MessageAr: msgAr, At: r.Time.UTC()})
}

// rulesFor returns the event rules of governorate gov.
func (o Options) rulesFor(gov string) EventRules {
	if r, ok := o.Governorates[gov]; ok {
		return r
	}
	return o.EventRules
}

// Ack acknowledges the active alert id (Store.Ack) and tells the
// notifiers of the changed alert as firing: the facility's topic then
// shows who acknowledged, and notifiers that post an alert once (the
// webhook) or know it by its labels (Alertmanager) are not disturbed.
func (e *Evaluator) Ack(id, by, comment string) (Alert, error) {
	e.notifyMu.Lock()
	defer e.notifyMu.Unlock()
	a, err := e.store.Ack(id, by, comment)
	if err != nil {
		return Alert{}, err
	}
	for _, n := range e.notify {
		n.Firing(a)
	}
	return a, nil
}

// Judge applies windowed rules' verdicts (see Store.Settle) and tells the
// notifiers of alerts that fired, changed or cleared.
func (e *Evaluator) Judge(vs []Verdict) {
	e.notifyMu.Lock()
	defer e.notifyMu.Unlock()
	fired, cleared, err := e.store.Settle(vs, e.now())
	if err != nil {
		e.log.Error("alerts: settle windowed rules", "verdicts", len(vs), "err", err)
	}
	for _, n := range e.notify {
		for _, a := range fired {
			n.Firing(a)
		}
		for _, a := range cleared {
			n.Resolved(a)
		}
	}
}

// Expire clears the alerts whose last event (for a windowed rule: the last
// run that found it firing) is older than the window at now. A windowed
// alert that no run judges any more (its data stopped, the facility lost
// its peers) so does not stay active forever.
func (e *Evaluator) Expire(now time.Time) {
	e.retire(func(a *Alert) bool { return now.Sub(a.LastSeen) >= e.opts.EventWindow }, now, "clear expired")
}

// Retire clears the active alerts for which stale is true, at now: at
// start, those of facilities no longer in the registry and of rules since
// turned off, which no rule would ever clear.
func (e *Evaluator) Retire(stale func(Alert) bool) {
	e.retire(func(a *Alert) bool { return stale(*a) }, e.now(), "retire")
}

func (e *Evaluator) retire(stale func(*Alert) bool, now time.Time, what string) {
	e.notifyMu.Lock()
	defer e.notifyMu.Unlock()
	cleared, err := e.store.clearIf(stale, now)
	if err != nil {
		e.log.Error("alerts: "+what, "err", err)
	}
	for _, a := range cleared {
		for _, n := range e.notify {
			n.Resolved(a)
		}
	}
}

// Resend tells notify of every active alert, so that a notifier started
// empty (after a restart) has them again.
func (e *Evaluator) Resend() {
	e.notifyMu.Lock()
	defer e.notifyMu.Unlock()
	for _, a := range e.store.List(Filter{State: "active"}) {
		for _, n := range e.notify {
			n.Firing(a)
		}
	}
}

// Run clears expired alerts every CheckEvery until ctx ends.
func (e *Evaluator) Run(ctx context.Context) error {
	e.Expire(e.now())
	tick := time.NewTicker(e.opts.CheckEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			if err := e.store.Flush(); err != nil {
				e.log.Error("alerts: save at stop", "err", err)
			}
			return nil
		case <-tick.C:
			e.Expire(e.now())
		}
	}
}

var firingDesc = prometheus.NewDesc("greenpulse_collector_alerts_firing",
	"Active facility alerts (acknowledged or not), by rule and severity.", []string{"rule", "severity"}, nil)

// Describe implements prometheus.Collector.
func (e *Evaluator) Describe(ch chan<- *prometheus.Desc) { ch <- firingDesc }

// Collect implements prometheus.Collector: greenpulse_collector_alerts_firing,
// 0 for each enabled rule at its severity when none fires.
func (e *Evaluator) Collect(ch chan<- prometheus.Metric) {
	counts := e.store.activeCounts()
	rules := map[string]Rule{RuleOpenBurning: e.opts.OpenBurning, RuleOpenDumping: e.opts.OpenDumping,
		RuleStorageExceeded: e.opts.StorageExceeded}
	maps.Copy(rules, e.opts.Windowed)
	for name, r := range rules {
		key := [2]string{name, string(r.Severity)}
		if _, ok := counts[key]; r.Enabled && !ok {
			counts[key] = 0
		}
	}
	for k, n := range counts {
		ch <- prometheus.MustNewConstMetric(firingDesc, prometheus.GaugeValue, float64(n), k[0], k[1])
	}
}
