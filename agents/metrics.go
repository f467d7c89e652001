package agents

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents/outbox"
	"github.com/greenpulse-health/greenpulse/agents/publish"
	"github.com/greenpulse-health/greenpulse/agents/source/modbus"
	"github.com/greenpulse-health/greenpulse/reading"
)

// Metrics are the agent's Prometheus metrics. One Metrics may serve many
// agents in one process (the fleet simulator): counters add up and the
// outbox gauges sum over every registered outbox. Safe for concurrent use.
type Metrics struct {
	Publish      *publish.Metrics
	Modbus       *modbus.Metrics
	readings     *prometheus.CounterVec
	appendErrors prometheus.Counter
	// figuresSaveErrors counts failed rewrites of figures.json.
	figuresSaveErrors prometheus.Counter
	outboxes          *outboxGauges
}

// NewMetrics registers the agent metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Publish: publish.NewMetrics(reg),
		Modbus:  modbus.NewMetrics(reg),
		readings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "greenpulse_agent_readings_total",
			Help: "Readings taken by each source and stored in the outbox.",
		}, []string{"source", "stream"}),
		appendErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_agent_outbox_append_errors_total",
			Help: "Batches of readings the outbox could not store (disk full or failing).",
		}),
		figuresSaveErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "greenpulse_agent_figures_save_errors_total",
			Help: "Rewrites of the facility's figures file beside the outbox that failed (the figures stay in memory).",
		}),
		outboxes: &outboxGauges{},
	}
	// Start the known series at zero so that rates work from the first scrape.
	for _, s := range reading.DataStreams() {
		m.readings.WithLabelValues("simulate", string(s))
	}
	m.readings.WithLabelValues("manual", string(reading.Waste))
	reg.MustRegister(m.readings, m.appendErrors, m.figuresSaveErrors, m.outboxes)
	return m
}

// outboxGauges reports the sum of the registered outboxes' statistics at
// scrape time, so the figures are never stale.
type outboxGauges struct {
	mu   sync.Mutex
	list []*outbox.Outbox
}

var (
	descOutboxReadings = prometheus.NewDesc("greenpulse_agent_outbox_readings",
		"Readings in the outbox waiting for the broker's acknowledgement.", nil, nil)
	descOutboxBytes = prometheus.NewDesc("greenpulse_agent_outbox_bytes",
		"Bytes of readings in the outbox (the bound is outbox.max_bytes).", nil, nil)
	descOutboxOldest = prometheus.NewDesc("greenpulse_agent_outbox_oldest_age_seconds",
		"Age of the oldest unsent reading (0 when the outbox is empty).", nil, nil)
	descOutboxDropped = prometheus.NewDesc("greenpulse_agent_outbox_dropped_readings_total",
		"Oldest readings dropped to keep the outbox within its bound.", nil, nil)
)

func (g *outboxGauges) add(o *outbox.Outbox) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.list = append(g.list, o)
}

func (g *outboxGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- descOutboxReadings
	ch <- descOutboxBytes
	ch <- descOutboxOldest
	ch <- descOutboxDropped
}

func (g *outboxGauges) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var readings, bytes, dropped float64
	var oldest time.Time
	for _, o := range g.list {
		st := o.Stats()
		readings += float64(st.Readings)
		bytes += float64(st.Bytes)
		dropped += float64(st.Dropped)
		if !st.Oldest.IsZero() && (oldest.IsZero() || st.Oldest.Before(oldest)) {
			oldest = st.Oldest
		}
	}
	age := 0.0
	if !oldest.IsZero() {
		age = time.Since(oldest).Seconds()
	}
	ch <- prometheus.MustNewConstMetric(descOutboxReadings, prometheus.GaugeValue, readings)
	ch <- prometheus.MustNewConstMetric(descOutboxBytes, prometheus.GaugeValue, bytes)
	ch <- prometheus.MustNewConstMetric(descOutboxOldest, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(descOutboxDropped, prometheus.CounterValue, dropped)
}

func (m *Metrics) countReadings(source string, rs []reading.Reading) {
	for _, r := range rs {
		m.readings.WithLabelValues(source, string(r.Stream)).Inc()
	}
}

// NewMetricsDiscard returns metrics registered nowhere, for one-shot tools.
func NewMetricsDiscard() *Metrics { return NewMetrics(prometheus.NewRegistry()) }
