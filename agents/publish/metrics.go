package publish

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/reading"
)

// Metrics counts what publishers sent. One Metrics may serve many publishers
// (the fleet simulator); the connection gauge then counts connected ones.
// It is safe for concurrent use.
type Metrics struct {
	readings  *prometheus.CounterVec
	messages  prometheus.Counter
	failures  prometheus.Counter
	connected prometheus.Gauge
	connLost  prometheus.Counter
}

// NewMetrics registers the publisher metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		readings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_agent_published_readings_total",
			Help: "Readings the broker acknowledged, which were then removed from the outbox.",
		}, []string{"stream"}),
		messages: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_agent_published_messages_total",
			Help: "MQTT messages the broker acknowledged.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_agent_publish_failures_total",
			Help: "Messages not acknowledged in time or refused; their readings stay in the outbox and are sent again.",
		}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_agent_mqtt_connected",
			Help: "1 while the agent is connected to the broker (in the fleet simulator: how many agents are).",
		}),
		connLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_agent_mqtt_connection_lost_total",
			Help: "Times the broker connection was lost.",
		}),
	}
	for _, s := range reading.DataStreams() {
		m.readings.WithLabelValues(string(s))
	}
	reg.MustRegister(m.readings, m.messages, m.failures, m.connected, m.connLost)
	return m
}
