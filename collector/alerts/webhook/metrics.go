package webhook

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/alerts"
)

// Metrics are the webhook's Prometheus metrics (listed in the package
// comment). A nil *Metrics records nothing. They are safe for concurrent
// use.
type Metrics struct {
	notifications *prometheus.CounterVec
	pending       prometheus.Gauge
	dropped       prometheus.Counter
}

// NewMetrics registers the metrics with reg, which may also hold the
// Alertmanager client's: the two share the notifications counter's name.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		notifications: alerts.NewNotificationsCounter("webhook"),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_alerts_webhook_pending",
			Help: "Alert events waiting to be posted to the webhook.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_collector_alerts_webhook_dropped_total",
			Help: "Alert events dropped, oldest first, because the webhook's queue was full.",
		}),
	}
	reg.MustRegister(m.notifications, m.pending, m.dropped)
	return m
}

func (m *Metrics) sent(ok bool) {
	if m == nil {
		return
	}
	result := "error"
	if ok {
		result = "ok"
	}
	m.notifications.WithLabelValues(result).Inc()
}

func (m *Metrics) queued(pending int, dropped bool) {
	if m == nil {
		return
	}
	m.pending.Set(float64(pending))
	if dropped {
		m.dropped.Inc()
	}
}
