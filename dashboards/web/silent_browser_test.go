package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/collector"
	"github.com/greenpulse-health/greenpulse/collector/access"
	"github.com/greenpulse-health/greenpulse/collector/api"
	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/collector/ingest"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/dashboards/web"
	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/registry"
)

// silentGrace is the API's grace in this test, instead of the 15 minutes
// of api.DefaultSilentGrace.
const silentGrace = 2 * time.Second

// storeReader reads the indicators for the API as the collector does.
type storeReader struct{ store *influx.Store }

func (r storeReader) Read(ctx context.Context, q rollup.Query) ([]rollup.Row, error) {
	return rollup.Read(ctx, r.store, q)
}

func (r storeReader) Waste(ctx context.Context, facility string, from, to time.Time) ([]rollup.WasteRow, error) {
	return rollup.Waste(ctx, r.store, facility, from, to)
}

// startSilentCollector runs the collector's ingest (subscriber, pipeline,
// status book, InfluxDB store) on a real broker and database, and its API
// and dashboard with the grace shortened to silentGrace: collector.Run
// builds its API with the default grace, which a test cannot wait out.
// Sign-in is required, as collector.Run guards the API (withUsers).
// It returns the dashboard's address and the broker's.
func startSilentCollector(t *testing.T) (url, broker string) {
	t.Helper()
	stack := teststack.Start(t)
	if _, err := browser.ExecPath(); err != nil {
		t.Fatal(err) // integration tests are on: CI installs chromium
	}
	cfg := stack.CollectorConfig(t, filepath.Join("..", ".."))
	withUsers(t, &cfg)
	reg, err := registry.Load(cfg.Registry)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	store := influx.New(cfg.InfluxDB, log)
	t.Cleanup(store.Close)
	if err := store.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	metrics := ingest.NewMetrics(prometheus.NewRegistry())
	queue := make(chan ingest.Message, cfg.Ingest.QueueMessages)
	sub, err := ingest.NewSubscriber(cfg.MQTT, reg.IDs(), queue, metrics, log)
	if err != nil {
		t.Fatal(err)
	}
	statuses := ingest.NewStatusBook()
	guard, err := collector.NewGuard(cfg, reg, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	a := api.New(storeReader{store}, statuses, reg, time.UTC)
	a.SetSilentGrace(silentGrace)
	a.SetViewer(func(r *http.Request) api.Viewer { return access.ViewOf(r.Context()) })
	mux := http.NewServeMux()
	a.Register(mux)
	guard.Register(mux)
	web.Handler(web.Assets())(mux)
	srv := httptest.NewServer(guard.Wrap(mux))
	t.Cleanup(srv.Close)

	// Consumers first: the pipeline, then the subscriber that feeds it.
	pipeline := ingest.NewPipeline(cfg.Ingest, cfg.MQTT.TopicRoot, reg, store, sub, statuses, metrics, log)
	done := make(chan error, 1)
	go func() { done <- pipeline.Run(ctx, queue) }()
	t.Cleanup(func() {
		cancel()
		sub.StopReceiving()
		if err := <-done; err != nil {
			t.Errorf("pipeline: %v", err)
		}
		sub.Disconnect()
	})
	if err := sub.Connect(ctx); err != nil {
		t.Fatal(err)
	}
	teststack.Eventually(t, 30*time.Second, "collector subscribed", func() (bool, string) { return sub.Ready(), "" })
	return srv.URL, stack.Broker.URL()
}

// agent connects to the broker as facility's agent would.
func agent(t *testing.T, broker, facility string) mqtt.Client {
	t.Helper()
	c := mqtt.NewClient(mqtt.NewClientOptions().AddBroker(broker).SetClientID("agent-" + facility))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", facility, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	return c
}

func publishTo(t *testing.T, c mqtt.Client, topic string, retained bool, payload string) {
	t.Helper()
	if tok := c.Publish(topic, 1, retained, payload); !tok.WaitTimeout(30*time.Second) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

// TestReportingOnlineButSilent: an agent whose status says online but
// none of whose readings arrive is listed on the reporting view, in
// English and Arabic; one whose readings arrive (a backlog with old
// timestamps), one that only sends readings and one that is offline are
// not.
func TestReportingOnlineButSilent(t *testing.T) {
	url, broker := startSilentCollector(t)
	d := openBrowser(t, url)
	d.signIn(t, planner, "en")
	reg, err := registry.Load(filepath.Join("..", "..", "configs", "facilities.csv"))
	if err != nil {
		t.Fatal(err)
	}
	const (
		silent   = "BG-H-001" // online, no reading: its ACL would deny them
		backlog  = "BG-H-002" // online, sends readings taken hours ago
		readings = "BA-H-001" // readings, no status
		offline  = "BG-P-001" // its will said offline
	)

	d.open(t, "reporting", "reporting?lang=en")
	if st := eval[map[string]any](t, d.b, `(() => { const e = document.getElementById('online-silent');
		return {state: e?.dataset.state ?? 'missing', hidden: e?.hidden ?? false}; })()`); st["state"] != "none" || st["hidden"] != true {
		t.Errorf("before any agent: card %v, want state none and hidden", st)
	}

	// Each agent says online, then, a status later, that the broker
	// acknowledged readings since: the silent one's never arrive.
	s1 := agent(t, broker, silent)
	publishTo(t, s1, "greenpulse/"+silent+"/status", true, `{"online":true,"version":"1.0","outbox_depth":0,"sent":0}`)
	publishTo(t, s1, "greenpulse/"+silent+"/status", true, `{"online":true,"version":"1.0","outbox_depth":0,"sent":12}`)
	b := agent(t, broker, backlog)
	publishTo(t, b, "greenpulse/"+backlog+"/status", true, `{"online":true,"version":"1.0","outbox_depth":3,"sent":0}`)
	publishTo(t, b, "greenpulse/"+backlog+"/status", true, `{"online":true,"version":"1.0","outbox_depth":0,"sent":3}`)
	old := time.Now().Add(-6 * time.Hour).Truncate(time.Second)
	var items []string
	for i := range 3 {
		items = append(items, fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":%d}`, old.Add(time.Duration(i)*time.Minute).UnixMilli(), 100+i))
	}
	publishTo(t, b, "greenpulse/"+backlog+"/energy", false, "["+strings.Join(items, ",")+"]")
	publishTo(t, agent(t, broker, readings), "greenpulse/"+readings+"/energy", false,
		fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":7}`, time.Now().Add(-time.Minute).UnixMilli()))
	publishTo(t, agent(t, broker, offline), "greenpulse/"+offline+"/status", true, `{"online":false}`)

	type apiFacility struct {
		ID              string     `json:"id"`
		LastReading     *time.Time `json:"last_reading"`
		OnlineButSilent bool       `json:"online_but_silent"`
		SilentSince     *time.Time `json:"silent_since"`
	}
	teststack.Eventually(t, 30*time.Second, "the API calls "+silent+" online but silent", func() (bool, string) {
		var fs []apiFacility
		getJSON(t, url+"/api/v1/facilities", &fs)
		var got []string
		heard := 0
		for _, f := range fs {
			if f.OnlineButSilent {
				got = append(got, f.ID)
			}
			if (f.ID == backlog || f.ID == readings) && f.LastReading != nil {
				heard++
			}
		}
		return slices.Equal(got, []string{silent}) && heard == 2, fmt.Sprintf("silent %v, %d of 2 readings heard", got, heard)
	})

	f, _ := reg.Lookup(silent)
	for _, lang := range []struct{ lang, name, title, dir string }{
		{"en", f.Name, "Online but silent", "ltr"},
		{"ar", f.NameAr, "متصل لكن صامت", "rtl"},
	} {
		d.open(t, "reporting", "reporting?lang="+lang.lang)
		card := eval[map[string]any](t, d.b, `(() => { const e = document.getElementById('online-silent');
			return {state: e?.dataset.state, hidden: e?.hidden, title: e?.querySelector('h3')?.textContent, hint: e?.querySelector('.hint')?.textContent,
				dir: document.documentElement.dir,
				ids: [...(e?.querySelectorAll('li[data-facility]') ?? [])].map((li) => li.dataset.facility),
				names: [...(e?.querySelectorAll('li a') ?? [])].map((a) => a.textContent),
				hrefs: [...(e?.querySelectorAll('li a') ?? [])].map((a) => a.getAttribute('href'))}; })()`)
		if card["state"] != "shown" || card["hidden"] != false || card["title"] != lang.title || card["dir"] != lang.dir {
			t.Errorf("%s: card %v, want shown, titled %q, page %s", lang.lang, card, lang.title, lang.dir)
		}
		if fmt.Sprint(card["ids"]) != fmt.Sprint([]string{silent}) || fmt.Sprint(card["names"]) != fmt.Sprint([]string{lang.name}) {
			t.Errorf("%s: card lists %v %v, want only %s (%s)", lang.lang, card["ids"], card["names"], silent, lang.name)
		}
		if hrefs, _ := card["hrefs"].([]any); len(hrefs) != 1 || !strings.Contains(fmt.Sprint(hrefs[0]), "facility/"+silent) {
			t.Errorf("%s: link %v, want the facility page of %s", lang.lang, card["hrefs"], silent)
		}
		if hint, _ := card["hint"].(string); !strings.Contains(hint, "ACL") {
			t.Errorf("%s: hint %q does not point at the broker ACL", lang.lang, hint)
		}
	}
}
