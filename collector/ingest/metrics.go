package ingest

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/reading"
)

// Metrics are the ingest pipeline's Prometheus metrics. Labels are bounded:
// streams and rejection reasons are fixed sets, never raw topics.
type Metrics struct {
	messages *prometheus.CounterVec
	readings *prometheus.CounterVec
	// Their children by stream, looked up once: finding a child by label
	// value hashes and locks, on every message.
	messagesOf     map[string]prometheus.Counter
	readingsOf     map[string]prometheus.Counter
	rejected       *prometheus.CounterVec
	pointsWritten  prometheus.Counter
	writeDuration  prometheus.Histogram
	batchPoints    prometheus.Histogram
	influxErrors   *prometheus.CounterVec
	pointsDropped  prometheus.Counter
	ackDelay       prometheus.Histogram
	pending        prometheus.Gauge
	mqttConnected  prometheus.Gauge
	mqttConnLost   prometheus.Counter
	rejectPublishE prometheus.Counter
	subscribeErrs  prometheus.Counter
	subscribed     prometheus.Gauge
	foreign        prometheus.Counter
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_messages_total",
			Help: "MQTT messages received, by stream (other: a topic whose stream is unknown; alerts and figures: the collector's own facility alert lists and month figures, left alone).",
		}, []string{"stream"}),
		readings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_readings_total",
			Help: "Readings accepted for writing, by stream.",
		}, []string{"stream"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_rejected_total",
			Help: "Rejected messages and batch items, by reason.",
		}, []string{"reason"}),
		pointsWritten: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_collector_points_written_total",
			Help: "Points InfluxDB accepted.",
		}),
		writeDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "greenpulse_collector_write_duration_seconds",
			Help:    "Duration of one write request to InfluxDB, failed ones included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}),
		batchPoints: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "greenpulse_collector_write_batch_points",
			Help:    "Points per write request.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 8),
		}),
		influxErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_collector_influxdb_errors_total",
			Help: "Failed write requests, by kind: transient (retried) or permanent (InfluxDB refused the batch's content).",
		}, []string{"kind"}),
		pointsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_collector_points_refused_total",
			Help: "Points of batches InfluxDB refused permanently (HTTP 400: e.g. a field type conflict); logged with InfluxDB's message.",
		}),
		ackDelay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "greenpulse_collector_ack_delay_seconds",
			Help:    "Time from receiving a message to acknowledging it to the broker.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 18),
		}),
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_pending_messages",
			Help: "Messages received and not yet acknowledged.",
		}),
		mqttConnected: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "greenpulse_collector_mqtt_connected",
			Help: "1 while connected to the MQTT broker.",
		}),
		mqttConnLost: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_collector_mqtt_connection_lost_total",
			Help: "Times the MQTT connection was lost.",
		}),
		rejectPublishE: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_collector_rejection_publish_errors_total",
			Help: "Rejections that could not be republished to the _rejected topic (they are still logged and counted).",
		}),
	}
	m.subscribeErrs = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "greenpulse_collector_mqtt_subscribe_failures_total",
		Help: "SUBSCRIBE requests refused or unanswered; the collector retries while connected and is not ready meanwhile.",
	})
	m.subscribed = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "greenpulse_collector_mqtt_subscribed_filters",
		Help: "Topic filters the broker granted on the current connection (one, or one per facility of a partition by facility filters).",
	})
	m.foreign = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "greenpulse_collector_partition_foreign_messages_total",
		Help: "Messages of facilities outside this collector's mqtt.partition, stored all the same: the broker's mapping and partition.count disagree, or an old session kept an old subscription.",
	})
	reg.MustRegister(m.messages, m.readings, m.rejected, m.pointsWritten, m.writeDuration, m.batchPoints,
		m.influxErrors, m.pointsDropped, m.ackDelay, m.pending, m.mqttConnected, m.mqttConnLost, m.rejectPublishE,
		m.subscribeErrs, m.subscribed, m.foreign)
	// Start every label at zero so that rate() and alerts see the series
	// before the first event.
	m.messagesOf = map[string]prometheus.Counter{}
	for _, s := range []string{"energy", "solar", "waste", "status", "alerts", "figures", "other"} {
		m.messagesOf[s] = m.messages.WithLabelValues(s)
	}
	m.readingsOf = map[string]prometheus.Counter{}
	for _, s := range []string{"energy", "solar", "waste"} {
		m.readingsOf[s] = m.readings.WithLabelValues(s)
	}
	for _, r := range reading.Reasons() {
		m.rejected.WithLabelValues(string(r))
	}
	m.influxErrors.WithLabelValues("transient")
	m.influxErrors.WithLabelValues("permanent")
	return m
}

// countMessage counts a message of stream (one of the labels above).
func (m *Metrics) countMessage(stream string) {
	c, ok := m.messagesOf[stream]
	if !ok {
		c = m.messages.WithLabelValues(stream)
	}
	c.Inc()
}

// countReadings counts n readings of stream accepted for writing.
func (m *Metrics) countReadings(stream string, n int) {
	c, ok := m.readingsOf[stream]
	if !ok {
		c = m.readings.WithLabelValues(stream)
	}
	c.Add(float64(n))
}
