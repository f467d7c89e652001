package dhis2

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the push's Prometheus metrics. A nil *Metrics records
// nothing. They are safe for concurrent use.
type Metrics struct {
	pushes      *prometheus.CounterVec
	values      *prometheus.CounterVec
	requests    *prometheus.CounterVec
	duration    prometheus.Gauge
	lastSuccess prometheus.Gauge
	unmapped    prometheus.Gauge
}

// NewMetrics registers the push metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		pushes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_dhis2_pushes_total",
			Help: "Pushes of a month to DHIS2 by result: ok (every value accepted), conflicts (some values refused), failed (stopped by an error).",
		}, []string{"result"}),
		values: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_dhis2_values_total",
			Help: "Data values by what DHIS2 did with them: imported, updated, ignored (unchanged or refused), deleted, rejected (refused with a conflict).",
		}, []string{"outcome"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_dhis2_requests_total",
			Help: "POST /api/dataValueSets answers after retries, by HTTP status class (2xx, 409, 4xx, 5xx) or error.",
		}, []string{"code"}),
		duration: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_dhis2_push_duration_seconds",
			Help: "How long the latest push took.",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_dhis2_last_success_timestamp_seconds",
			Help: "When the latest push whose every value DHIS2 accepted ended (Unix time; 0: never since start).",
		}),
		unmapped: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_dhis2_unmapped_facilities",
			Help: "Facilities with values but no org unit in the latest push: in GreenPulse's figures, not in DHIS2's.",
		}),
	}
	for _, r := range []string{"ok", "conflicts", "failed"} {
		m.pushes.WithLabelValues(r)
	}
	for _, o := range []string{"imported", "updated", "ignored", "deleted", "rejected"} {
		m.values.WithLabelValues(o)
	}
	for _, c := range []string{"2xx", "409", "4xx", "5xx", "error"} {
		m.requests.WithLabelValues(c)
	}
	reg.MustRegister(m.pushes, m.values, m.requests, m.duration, m.lastSuccess, m.unmapped)
	return m
}

func (m *Metrics) observe(r Record) {
	if m == nil {
		return
	}
	switch {
	case r.Error != "":
		m.pushes.WithLabelValues("failed").Inc()
	case !r.OK():
		m.pushes.WithLabelValues("conflicts").Inc()
	default:
		m.pushes.WithLabelValues("ok").Inc()
	}
	if r.OK() && !r.DryRun {
		m.lastSuccess.Set(float64(r.Time.Unix()) + r.Seconds)
	}
	if r.DryRun {
		return
	}
	m.values.WithLabelValues("imported").Add(float64(r.Imported))
	m.values.WithLabelValues("updated").Add(float64(r.Updated))
	m.values.WithLabelValues("ignored").Add(float64(r.Ignored))
	m.values.WithLabelValues("deleted").Add(float64(r.Deleted))
	m.values.WithLabelValues("rejected").Add(float64(r.Rejected))
	m.duration.Set(r.Seconds)
	m.unmapped.Set(float64(len(r.Unmapped)))
}

func (m *Metrics) request(status int, err error) {
	if m == nil {
		return
	}
	code := "error"
	switch {
	case err != nil && status == 0:
	case status == 409:
		code = "409"
	case status >= 200 && status < 600:
		code = strconv.Itoa(status/100) + "xx"
	}
	m.requests.WithLabelValues(code).Inc()
}
