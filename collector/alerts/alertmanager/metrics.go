package alertmanager

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
)

// destination is the value of the destination label: the plain webhook
// (package webhook) counts under its own.
const destination = "alertmanager"

// Metrics are the Alertmanager client's Prometheus metrics (listed in the
// package comment). A nil *Metrics records nothing. They are safe for
// concurrent use.
type Metrics struct {
	notifications *prometheus.CounterVec
	alerts        prometheus.Counter
	lastSuccess   prometheus.Gauge
	active        prometheus.Gauge
	resolved      prometheus.Gauge
}

// NewMetrics registers the metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	dest := prometheus.Labels{"destination": destination}
	m := &Metrics{
		notifications: alerts.NewNotificationsCounter(destination),
		alerts: prometheus.NewCounter(prometheus.CounterOpts{
			Name:        "greenpulse_collector_alerts_notified_alerts_total",
			Help:        "Alerts in batches that an Alertmanager URL accepted.",
			ConstLabels: dest,
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name:        "greenpulse_collector_alerts_last_notification_success_timestamp_seconds",
			Help:        "When an Alertmanager URL last accepted a batch (Unix time; 0: never since start).",
			ConstLabels: dest,
		}),
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_alerts_notifier_active",
			Help: "Alerts the Alertmanager notifier holds as firing and re-sends.",
		}),
		resolved: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_alerts_notifier_resolved_pending",
			Help: "Resolved alerts not yet delivered to every Alertmanager URL.",
		}),
	}
	reg.MustRegister(m.notifications, m.alerts, m.lastSuccess, m.active, m.resolved)
	return m
}

func (m *Metrics) sent(alerts int, err error) {
	if m == nil {
		return
	}
	if err != nil {
		m.notifications.WithLabelValues("error").Inc()
		return
	}
	m.notifications.WithLabelValues("ok").Inc()
	m.alerts.Add(float64(alerts))
	m.lastSuccess.Set(float64(time.Now().UnixNano()) / 1e9)
}

func (m *Metrics) notifier(active, resolved int) {
	if m == nil {
		return
	}
	m.active.Set(float64(active))
	m.resolved.Set(float64(resolved))
}
