package modbus

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents/source/modbus/bus"
)

// errorKinds are the values of the kind label of
// greenpulse_agent_modbus_errors_total: the bus's failures (bus.Kind) and
// the values the source refused.
func errorKinds() []string {
	return append(bus.Kinds(), "sentinel", "backwards", "leap", "range")
}

// Metrics are the Modbus source's per-device metrics. The device label is
// a device name from the config, so its values are bounded.
type Metrics struct {
	polls       *prometheus.CounterVec
	errors      *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
}

// NewMetrics registers the Modbus metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_agent_modbus_polls_total",
			Help: "Polls of each Modbus device, answered or not.",
		}, []string{"device"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_agent_modbus_errors_total",
			Help: "Failed polls of each Modbus device by kind (timeout, exception, connection, crc, protocol, other), and values refused (sentinel, backwards, leap, range).",
		}, []string{"device", "kind"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "greenpulse_agent_modbus_last_success_timestamp_seconds",
			Help: "Unix time of each Modbus device's last answered poll (0: none since start).",
		}, []string{"device"}),
	}
	reg.MustRegister(m.polls, m.errors, m.lastSuccess)
	return m
}

// device starts a device's series at zero so that rates work from the
// first scrape.
func (m *Metrics) device(name string) {
	m.polls.WithLabelValues(name)
	m.lastSuccess.WithLabelValues(name)
	for _, k := range errorKinds() {
		m.errors.WithLabelValues(name, k)
	}
}
