package collector

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/ingest"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
	"github.com/greenpulse-health/greenpulse/registry"
)

// figuresWorld is the collector's parts that the figures topic touches,
// wired as Run wires them (teststack runs the whole collector, but it
// imports this package): a real Mosquitto and InfluxDB, the subscriber
// and the ingest pipeline, the roll-up, and startFigures.
type figuresWorld struct {
	broker   *testenv.Mosquitto
	cfg      config.Config
	reg      *registry.Registry
	prom     *prometheus.Registry
	store    *influx.Store
	sub      *ingest.Subscriber
	roll     *rollup.Rollup
	loc      *time.Location
	watchSeq int
}

func startFiguresWorld(t *testing.T) *figuresWorld {
	t.Helper()
	testenv.RequireIntegration(t)
	w := &figuresWorld{broker: testenv.StartMosquitto(t), prom: prometheus.NewRegistry()}
	db := testenv.StartInfluxDB(t)
	cfg := config.Default()
	cfg.MQTT.Broker = w.broker.URL()
	cfg.MQTT.ClientID = "collector-figures-test"
	cfg.MQTT.MaxReconnectInterval = time.Second // the broker restarts twice
	cfg.InfluxDB.URL = db.URL()
	cfg.Registry = filepath.Join("..", "configs", "facilities.csv")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	w.cfg = cfg
	log := slog.New(slog.NewTextHandler(figuresLog{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var err error
	if w.reg, err = registry.Load(cfg.Registry); err != nil {
		t.Fatal(err)
	}
	if w.loc, err = cfg.Rollup.Location(); err != nil {
		t.Fatal(err)
	}
	metrics := ingest.NewMetrics(w.prom)
	w.store = influx.New(cfg.InfluxDB, log)
	t.Cleanup(w.store.Close)
	ctx, cancel := context.WithCancel(context.Background())
	if err := bootstrap(ctx, w.store, log); err != nil {
		t.Fatal(err)
	}
	queue := make(chan ingest.Message, cfg.Ingest.QueueMessages)
	if w.sub, err = ingest.NewSubscriber(cfg.MQTT, w.reg.IDs(), queue, metrics, log); err != nil {
		t.Fatal(err)
	}
	var rstore *influx.Store
	w.roll, rstore = NewRollup(cfg, w.loc, w.reg, log)
	t.Cleanup(rstore.Close)
	stopFigures := startFigures(w.roll, w.sub, cfg.MQTT.TopicRoot, w.loc, cfg.Rollup.RecentDays, w.prom, log)

	pipeline := ingest.NewPipeline(cfg.Ingest, cfg.MQTT.TopicRoot, w.reg, w.store, w.sub, ingest.NewStatusBook(), metrics, log)
	pipelineDone := make(chan error, 1)
	go func() { pipelineDone <- pipeline.Run(ctx, queue) }()
	if err := w.sub.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		w.sub.StopReceiving()
		if err := <-pipelineDone; err != nil {
			t.Errorf("pipeline: %v", err)
		}
		w.sub.Disconnect()
		stopFigures()
	})
	w.eventually(t, 30*time.Second, "subscribed", func() (bool, string) { return w.sub.Ready(), "" })
	return w
}

type figuresLog struct{ t *testing.T }

func (l figuresLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (w *figuresWorld) eventually(t *testing.T, within time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, detail := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s: %s", within, what, detail)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// metric returns the value of the series name{labels} ("k=v" pairs), 0
// when it has none.
func (w *figuresWorld) metric(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	families, err := w.prom.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for _, l := range labels {
				k, v, _ := strings.Cut(l, "=")
				found := false
				for _, p := range m.GetLabel() {
					found = found || (p.GetName() == k && p.GetValue() == v)
				}
				if !found {
					continue series
				}
			}
			if c := m.GetCounter(); c != nil {
				return c.GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	return 0
}

// publish sends payload as facility's agent would, and waits for the
// broker's acknowledgement.
func (w *figuresWorld) publish(t *testing.T, topic, payload string) {
	t.Helper()
	c := w.client(t, "agent-"+strings.ReplaceAll(topic, "/", "-"))
	defer c.Disconnect(100)
	if tok := c.Publish(topic, 1, false, payload); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func (w *figuresWorld) client(t *testing.T, id string) mqtt.Client {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(w.broker.URL()).SetClientID(id).SetCleanSession(true))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", id, tok.Error())
	}
	return c
}

// watch subscribes a new client to every facility's figures topic.
func (w *figuresWorld) watch(t *testing.T) *figuresWatch {
	t.Helper()
	w.watchSeq++
	c := w.client(t, fmt.Sprintf("watch-figures-%d", w.watchSeq))
	t.Cleanup(func() { c.Disconnect(100) })
	fw := &figuresWatch{last: map[string]figuresMessage{}}
	tok := c.Subscribe(w.cfg.MQTT.TopicRoot+"/+/figures", 1, func(_ mqtt.Client, m mqtt.Message) {
		var msg figuresMessage
		err := json.Unmarshal(m.Payload(), &msg)
		fw.mu.Lock()
		defer fw.mu.Unlock()
		fw.n++
		if err != nil || m.Topic() != w.cfg.MQTT.TopicRoot+"/"+msg.Facility+"/figures" {
			fw.bad = append(fw.bad, fmt.Sprintf("%s: %s (%v)", m.Topic(), m.Payload(), err))
			return
		}
		msg.raw = string(m.Payload())
		fw.last[msg.Facility] = msg
	})
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe: %v", tok.Error())
	}
	return fw
}

type figuresMessage struct {
	Facility   string `json:"facility"`
	Period     string `json:"period"`
	Start      string `json:"start"`
	ComputedAt string `json:"computed_at"`
	Values     []struct {
		Indicator  indicators.ID `json:"indicator"`
		Value      float64       `json:"value"`
		Facilities int           `json:"facilities"`
	} `json:"values"`
	raw string
}

func (m figuresMessage) value(id indicators.ID) (float64, bool) {
	for _, v := range m.Values {
		if v.Indicator == id {
			return v.Value, true
		}
	}
	return 0, false
}

// figuresWatch is what a watcher received: every message counted, the
// last of each facility kept.
type figuresWatch struct {
	mu   sync.Mutex
	n    int
	last map[string]figuresMessage
	bad  []string
}

func (fw *figuresWatch) snapshot() (int, map[string]figuresMessage, []string) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	last := make(map[string]figuresMessage, len(fw.last))
	for k, v := range fw.last {
		last[k] = v
	}
	return fw.n, last, append([]string(nil), fw.bad...)
}

// rollUpToday rolls up today and this month; the month's other days are
// reduced first, three at a time, so that the month is computed from the
// day cache (InfluxDB 1.8 takes about half a second a day).
func (w *figuresWorld) rollUpToday(t *testing.T, prefill bool) {
	t.Helper()
	now := time.Now()
	today := indicators.PeriodOf(indicators.Day, now, w.loc)
	if prefill {
		month := indicators.PeriodOf(indicators.Month, now, w.loc)
		days := make(chan indicators.Period)
		errs := make(chan error, 40)
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for d := range days {
					if _, err := w.roll.Period(context.Background(), d); err != nil {
						errs <- err
					}
				}
			}()
		}
		for _, d := range indicators.Periods(indicators.Day, month.Start, month.End, w.loc) {
			days <- d
		}
		close(days)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	if _, err := w.roll.Range(context.Background(), today.Start, now); err != nil {
		t.Fatal(err)
	}
}

// readings publishes a waste hand-over and two grid meter readings of
// facility, in today's local day, and waits until the collector stored
// them (n points written in all by then).
func (w *figuresWorld) readings(t *testing.T, facility string, wasteKg, kwhFrom, kwhTo float64, n int) {
	t.Helper()
	now := time.Now()
	day := indicators.PeriodOf(indicators.Day, now, w.loc)
	at := func(frac float64) int64 {
		return day.Start.Add(time.Duration(frac * float64(now.Sub(day.Start)))).UnixMilli()
	}
	root := w.cfg.MQTT.TopicRoot
	w.publish(t, root+"/"+facility+"/waste", fmt.Sprintf(`[{"ts":%d,"category":"sharps","treatment":"autoclave","mass_kg":3},`+
		`{"ts":%d,"category":"general","treatment":"landfill","mass_kg":%g}]`, at(0.3), at(0.31), wasteKg-3))
	w.publish(t, root+"/"+facility+"/energy", fmt.Sprintf(`[{"ts":%d,"source":"grid","kwh_total":%g},{"ts":%d,"source":"grid","kwh_total":%g}]`,
		at(0.4), kwhFrom, at(0.6), kwhTo))
	w.eventually(t, 30*time.Second, "readings stored", func() (bool, string) {
		v := w.metric(t, "greenpulse_collector_points_written_total")
		return v >= float64(n), fmt.Sprint(v)
	})
}

// TestFiguresTopicAfterRollUp: a roll-up of this month puts every
// facility's month values, retained, on its figures topic, equal to what
// the roll-up stored, and the collector's own subscription leaves them
// alone; a roll-up with nothing new publishes nothing; a broker restarted
// without its retained messages gets them all again, and a facility's
// figures that changed while it was down arrive when it is back.
func TestFiguresTopicAfterRollUp(t *testing.T) {
	w := startFiguresWorld(t)
	const id, silent = "BG-H-001", "AN-H-001"
	n := float64(w.reg.Len())
	month := indicators.PeriodOf(indicators.Month, time.Now(), w.loc)
	watch := w.watch(t)
	w.readings(t, id, 8, 100, 112.5, 4)
	rolled := time.Now().Truncate(time.Second)
	w.rollUpToday(t, true)

	w.eventually(t, 30*time.Second, "a message for every facility", func() (bool, string) {
		got, last, _ := watch.snapshot()
		return len(last) == w.reg.Len(), fmt.Sprintf("%d messages, %d facilities", got, len(last))
	})
	got, last, bad := watch.snapshot()
	if len(bad) > 0 || got != w.reg.Len() {
		t.Errorf("%d messages for %d facilities; malformed: %v", got, w.reg.Len(), bad)
	}
	msg := last[id]
	at, err := time.Parse(time.RFC3339, msg.ComputedAt)
	if msg.Period != "month" || msg.Start != month.Start.Format("2006-01-02") || err != nil || at.Before(rolled) || at.After(time.Now()) {
		t.Errorf("message %s: want this month (%s), computed at the roll-up (after %s)", msg.raw, month.Start.Format("2006-01-02"), rolled.UTC())
	}
	for ind, want := range map[indicators.ID]float64{indicators.WasteKg: 8, indicators.HazardousWasteKg: 3,
		indicators.HazardousSharePct: 37.5, indicators.GridKWh: 12.5, indicators.EnergyKWh: 12.5} {
		if v, ok := msg.value(ind); !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v: %s", ind, v, ok, want, msg.raw)
		}
	}
	// Exactly the values stored, in catalog order, each of one facility.
	var ids []indicators.ID
	for _, d := range indicators.Catalog {
		ids = append(ids, d.ID)
	}
	stored, err := rollup.FacilityMonth(context.Background(), w.store, month, ids)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, v := range stored {
		if v.Facility == id {
			want = append(want, fmt.Sprintf("%s=%v", v.Indicator, v.Value))
		}
	}
	var published []string
	pos := -1
	for _, v := range msg.Values {
		published = append(published, fmt.Sprintf("%s=%v", v.Indicator, v.Value))
		i := slices.Index(ids, v.Indicator)
		if i <= pos || v.Facilities != 1 {
			t.Errorf("%s out of catalog order or facilities %d", v.Indicator, v.Facilities)
		}
		pos = i
	}
	slices.Sort(want)
	if slices.Sort(published); !slices.Equal(published, want) {
		t.Errorf("published %v\n   stored %v", published, want)
	}
	if m := last[silent]; m.Values == nil || len(m.Values) != 0 || !strings.Contains(m.raw, `"values":[]`) {
		t.Errorf("a facility without readings: %s, want values []", m.raw)
	}
	// A watcher may see the last messages before the collector has
	// their PUBACK.
	w.eventually(t, 10*time.Second, "every facility acknowledged", func() (bool, string) {
		v := w.metric(t, "greenpulse_collector_figures_published_total")
		return v == n, fmt.Sprint(v)
	})

	// The collector's own subscription received them, left them alone.
	w.eventually(t, 15*time.Second, "the collector's own figures received", func() (bool, string) {
		v := w.metric(t, "greenpulse_collector_messages_total", "stream=figures")
		return v >= n, fmt.Sprint(v)
	})
	for _, reason := range []string{"unknown_stream", "unknown_facility", "malformed_payload"} {
		if v := w.metric(t, "greenpulse_collector_rejected_total", "reason="+reason); v != 0 {
			t.Errorf("rejected{%s} = %v", reason, v)
		}
	}

	// Nothing new: nothing published.
	w.rollUpToday(t, false)
	w.waitUnchanged(t, n, 0)
	if v := w.metric(t, "greenpulse_collector_figures_published_total"); v != n {
		t.Errorf("after a roll-up with nothing new published_total = %v, want %v", v, n)
	}

	// A broker restarted without its retained messages gets them again
	// at the reconnect, byte for byte.
	w.restartBroker(t, nil)
	w.eventually(t, 60*time.Second, "every facility published again", func() (bool, string) {
		v := w.metric(t, "greenpulse_collector_figures_published_total")
		return v == 2*n, fmt.Sprint(v)
	})
	retained := w.watch(t)
	w.eventually(t, 10*time.Second, "the retained messages", func() (bool, string) {
		_, last, _ := retained.snapshot()
		return len(last) == w.reg.Len(), fmt.Sprint(len(last))
	})
	if _, again, _ := retained.snapshot(); again[id].raw != msg.raw {
		t.Errorf("retained after the restart %s, want %s", again[id].raw, msg.raw)
	}

	// Changed while the broker was away: published when it is back.
	w.readings(t, id, 10, 112.5, 120, 8)
	w.restartBroker(t, func() {
		w.rollUpToday(t, false)
		w.waitUnchanged(t, 2*n-1, 1) // the changed one waits for the broker
		if v := w.metric(t, "greenpulse_collector_figures_published_total"); v != 2*n {
			t.Errorf("published while the broker was down: published_total = %v, want %v", v, 2*n)
		}
	})
	w.eventually(t, 60*time.Second, "every facility published again", func() (bool, string) {
		v := w.metric(t, "greenpulse_collector_figures_published_total")
		return v == 3*n, fmt.Sprint(v)
	})
	after := w.watch(t)
	w.eventually(t, 10*time.Second, "the new figures retained", func() (bool, string) {
		_, last, _ := after.snapshot()
		m := last[id]
		waste, _ := m.value(indicators.WasteKg)
		grid, _ := m.value(indicators.GridKWh)
		return waste == 18 && grid == 20 && m.ComputedAt > msg.ComputedAt, m.raw
	})
	if v := w.metric(t, "greenpulse_collector_figures_publish_errors_total"); v != 0 {
		t.Errorf("publish_errors_total = %v", v)
	}
}

// waitUnchanged waits until the publisher compared total facility months
// with what it had sent and found them unchanged, and has pending
// facilities queued.
func (w *figuresWorld) waitUnchanged(t *testing.T, total, pending float64) {
	t.Helper()
	w.eventually(t, 15*time.Second, "the roll-up compared", func() (bool, string) {
		u := w.metric(t, "greenpulse_collector_figures_unchanged_total")
		p := w.metric(t, "greenpulse_collector_figures_pending_facilities")
		return u == total && p == pending, fmt.Sprintf("unchanged %v, pending %v", u, p)
	})
}

// restartBroker stops the broker, runs while (if any) once the collector
// knows it is down, and starts it again without its persistence file, as
// a broker that lost its retained messages.
func (w *figuresWorld) restartBroker(t *testing.T, while func()) {
	t.Helper()
	if err := w.broker.Stop(); err != nil {
		t.Fatal(err)
	}
	w.eventually(t, 30*time.Second, "the collector disconnected", func() (bool, string) { return !w.sub.Connected(), "" })
	if while != nil {
		while()
	}
	if err := os.Remove(filepath.Join(w.broker.Dir, "mosquitto.db")); err != nil {
		t.Fatalf("drop the broker's retained messages: %v", err)
	}
	if err := w.broker.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.eventually(t, 30*time.Second, "the collector subscribed again", func() (bool, string) { return w.sub.Ready(), "" })
}
