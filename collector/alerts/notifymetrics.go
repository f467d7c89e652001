package alerts

import "github.com/prometheus/client_golang/prometheus"

// NewNotificationsCounter returns
// greenpulse_collector_alerts_notifications_total for one destination
// (alertmanager, webhook), by result, with both results at zero. Every
// destination makes its counter here, so that one Prometheus query shows
// failures by destination: client_golang lets one registry hold a name
// from several collectors only when their help and label names agree.
func NewNotificationsCounter(dest string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "greenpulse_collector_alerts_notifications_total",
		Help: "Notifications posted to an alert destination (a batch to one Alertmanager URL, " +
			"an alert to the webhook), after retries, by result: ok or error.",
		ConstLabels: prometheus.Labels{"destination": dest},
	}, []string{"result"})
	c.WithLabelValues("ok")
	c.WithLabelValues("error")
	return c
}
