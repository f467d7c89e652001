package sweep

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	duration    prometheus.Histogram
	errors      prometheus.Counter
	lastSuccess prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) metrics {
	m := metrics{
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "greenpulse_collector_alerts_sweep_duration_seconds",
			Help:    "How long one run of the windowed alert rules over every facility took.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12),
		}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_collector_alerts_sweep_errors_total",
			Help: "Runs of the windowed alert rules that failed (InfluxDB unreadable); they run again at their next time.",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_alerts_sweep_last_success_timestamp_seconds",
			Help: "When the windowed alert rules last ran to the end, Unix time.",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.duration, m.errors, m.lastSuccess)
	}
	return m
}
