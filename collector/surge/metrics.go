package surge

import "github.com/prometheus/client_golang/prometheus"

// Metrics count the computations of answers. Safe for concurrent use.
type Metrics struct {
	duration prometheus.Histogram
	total    *prometheus.CounterVec
	last     prometheus.Gauge
}

// NewMetrics registers the metrics with reg (nil: not exported).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "greenpulse_collector_surge_compute_duration_seconds",
			Help:    "Time to read and compute one event's answer of GET /api/v1/surge?event=ID.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}),
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_surge_computations_total",
			Help: "Computations of events' answers, by result (ok, error).",
		}, []string{"result"}),
		last: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_surge_last_success_timestamp_seconds",
			Help: "When an event's answer was last computed without error.",
		}),
	}
	m.total.WithLabelValues("ok")
	m.total.WithLabelValues("error")
	if reg != nil {
		reg.MustRegister(m.duration, m.total, m.last)
	}
	return m
}
