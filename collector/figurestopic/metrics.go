package figurestopic

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the publisher's Prometheus metrics; none has a facility
// label.
type Metrics struct {
	published prometheus.Counter
	errors    prometheus.Counter
	unchanged prometheus.Counter
	pending   prometheus.Gauge
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_collector_figures_published_total",
			Help: "Facility month figures published to <root>/<facility>/figures and acknowledged by the broker.",
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_collector_figures_publish_errors_total",
			Help: "Facility month figures the broker did not acknowledge in time or refused (tried again).",
		}),
		unchanged: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_collector_figures_unchanged_total",
			Help: "Facility months rolled up again with the values already published, so not published.",
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_figures_pending_facilities",
			Help: "Facilities whose figures wait to be published (at most one entry a facility; none is ever dropped).",
		}),
	}
	reg.MustRegister(m.published, m.errors, m.unchanged, m.pending)
	return m
}
