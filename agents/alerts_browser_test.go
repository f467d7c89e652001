package agents_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/agents"
	"github.com/greenpulse-health/greenpulse/agents/config"
	"github.com/greenpulse-health/greenpulse/internal/alertmanagertest"
	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// TestAlertOnTheAgentsPage is an open-burning hand-over recorded on a real
// agent's page API, sent over MQTT to a real collector (Mosquitto,
// InfluxDB, Alertmanager): the alert is in the collector's API and in
// Alertmanager, and the collector's retained list on the facility's alerts
// topic puts it on the agent's page, seen in Chromium in English and in
// Arabic, with who acknowledged it once the collector's API acknowledges
// it. Then the broker stops: the page keeps the list and says it is the
// last known one and the link is down; and an agent restarted while
// offline still shows it.
func TestAlertOnTheAgentsPage(t *testing.T) {
	stack := teststack.Start(t)
	am := alertmanagertest.Start(t)
	ccfg := stack.CollectorConfig(t, "..")
	ccfg.HTTP.AdminToken = "alerts-page-token"
	ccfg.Alerts.Alertmanager.URLs = []string{am.URL()}
	teststack.RunCollector(t, ccfg)
	collectorAPI := "http://" + ccfg.HTTP.Listen + "/api/v1/alerts"
	const id = "open_burning." + facility

	const password = "alerts-page-pw"
	cfg := wasteAgentConfig(t, stack.Broker.URL(), password)
	cfg.MQTT.MaxReconnectInterval = time.Second
	cfg.MQTT.AckTimeout = 2 * time.Second // the agent stops quickly with the broker gone
	stopAgent := startAgent(t, cfg)
	agentURL := "http://" + cfg.HTTP.Listen

	teststack.Eventually(t, 15*time.Second, "agent connected", func() (bool, string) {
		l, body := agentAlerts(t, agentURL, password)
		return l.Connected, body
	})
	resp := agentCall(t, http.MethodPost, agentURL+"/api/v1/waste", password,
		`{"category":"infectious","treatment":"open_burning","mass_kg":12.5,"note":"behind ward 3"}`)
	if body := readAll(resp); resp.StatusCode != http.StatusCreated {
		t.Fatalf("waste entry: %s %s", resp.Status, body)
	}

	var message, messageAr string
	teststack.Eventually(t, 60*time.Second, "the alert in the collector's API", func() (bool, string) {
		list, body := collectorAlerts(t, collectorAPI+"?facility="+facility+"&state=active")
		for _, a := range list {
			if a.ID == id {
				message, messageAr = a.Message, a.MessageAr
				return true, ""
			}
		}
		return false, body
	})
	if want := "Open burning of infectious waste (12.5 kg) reported"; message != want || messageAr == "" {
		t.Fatalf("alert message %q (ar %q), want %q and an Arabic one", message, messageAr, want)
	}
	am.WaitNotification(t, 30*time.Second, alertmanagertest.Labeled("firing", map[string]string{
		"alertname": "GreenPulseOpenBurning", "rule": "open_burning", "facility": facility,
		"district": "BG-RSF", "governorate": "IQ-BG", "severity": "critical"}))
	teststack.Eventually(t, 15*time.Second, "the alert in the agent's API", func() (bool, string) {
		l, body := agentAlerts(t, agentURL, password)
		return len(l.Alerts) == 1 && l.Alerts[0].ID == id && l.Alerts[0].Message == message, body
	})

	b := phoneBrowser(t)
	if err := b.Do(15*time.Second, chromedp.Navigate(agentURL+"/"), chromedp.WaitVisible(chromedp.ID("login-form"))); err != nil {
		t.Fatalf("login form: %v", err)
	}
	logIn(t, b, password)
	item := `document.querySelector('#alerts li[data-id="` + id + `"]')`
	waitFor(t, b, item+` !== null`, "the alert on the page")
	if got := visibleText(t, b, item+`.querySelector(".message")`); got != message {
		t.Errorf("the page shows %q, want %q", got, message)
	}
	if got := eval[string](t, b, item+`.querySelector(".severity").textContent`); got != "Critical" {
		t.Errorf("severity %q", got)
	}
	if got := eval[string](t, b, item+`.querySelector(".since").textContent`); !strings.HasPrefix(got, "since ") {
		t.Errorf("since %q", got)
	}
	if eval[bool](t, b, `!document.getElementById("alerts-note").hidden`) {
		t.Errorf("a note while connected: %q", eval[string](t, b, `document.getElementById("alerts-note").textContent`))
	}

	// Acknowledged on the collector: the page says by whom.
	teststack.AckAlert(t, collectorAPI+"/"+id+"/ack", ccfg.HTTP.AdminToken, `{"by":"Dr. Salma","comment":"contractor called"}`)
	waitFor(t, b, item+`.querySelector(".ack") !== null`, "the acknowledgement on the page")
	if got := visibleText(t, b, item+`.querySelector(".ack")`); !strings.Contains(got, "acknowledged by") || !strings.Contains(got, "Dr. Salma") {
		t.Errorf("ack %q", got)
	}

	// The list is retained on the topic: a client that subscribes now
	// gets it, acknowledgement included.
	watch := teststack.Subscribe(t, stack.Broker.URL(), "greenpulse/"+facility+"/alerts")
	teststack.Eventually(t, 10*time.Second, "the retained list", func() (bool, string) {
		msgs := watch.Snapshot()
		return len(msgs) > 0 && strings.Contains(string(msgs[0].Payload), `"by":"Dr. Salma"`), fmt.Sprint(msgs)
	})

	// In Arabic: message_ar.
	if err := b.Do(10*time.Second, chromedp.Click(chromedp.ID("lang"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.documentElement.dir === "rtl" && document.body.dataset.alertsReady === "1"`, "the page in Arabic")
	if got := visibleText(t, b, item+`.querySelector(".message")`); got != messageAr {
		t.Errorf("the Arabic page shows %q, want %q", got, messageAr)
	}
	if got := eval[string](t, b, item+`.querySelector(".severity").textContent`); got != "حرج" {
		t.Errorf("severity in Arabic %q", got)
	}

	// The link goes down: the list stays, with the note, in both languages.
	if err := stack.Broker.Stop(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `!document.getElementById("alerts-note").hidden`, "the link-down note")
	if got := visibleText(t, b, `document.getElementById("alerts-note")`); !strings.Contains(got, "آخر قائمة معروفة") || !strings.Contains(got, "مقطوع") {
		t.Errorf("Arabic note %q", got)
	}
	if got := visibleText(t, b, item+`.querySelector(".message")`); got != messageAr {
		t.Errorf("offline, the Arabic page shows %q", got)
	}
	if err := b.Do(10*time.Second, chromedp.Click(chromedp.ID("lang"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.documentElement.dir === "ltr" && document.body.dataset.alertsReady === "1" && !document.getElementById("alerts-note").hidden`,
		"the page in English, offline")
	note := visibleText(t, b, `document.getElementById("alerts-note")`)
	if !strings.HasPrefix(note, "Last known list, received ") || !strings.HasSuffix(note, "the link to the collector is down.") {
		t.Errorf("English note %q", note)
	}
	if got := visibleText(t, b, item+`.querySelector(".message")`); got != message {
		t.Errorf("offline, the page shows %q", got)
	}

	// Restarted while offline: the last list, from its file.
	stopAgent()
	startAgent(t, cfg)
	teststack.Eventually(t, 15*time.Second, "the restarted agent's page", func() (bool, string) {
		err := b.Do(5*time.Second, chromedp.Navigate(agentURL+"/"), chromedp.WaitVisible(chromedp.ID("login-form")))
		return err == nil, fmt.Sprint(err)
	})
	logIn(t, b, password)
	waitFor(t, b, item+` !== null && !document.getElementById("alerts-note").hidden`, "the last known list after a restart")
	if got := visibleText(t, b, `document.getElementById("alerts-note")`); got != note {
		t.Errorf("after a restart the note is %q, want %q", got, note)
	}
	if got := visibleText(t, b, item+`.querySelector(".message")`); got != message {
		t.Errorf("after a restart the page shows %q", got)
	}
	noConsoleErrorsBut(t, b)
}

// visibleText returns the text of the element that js finds, failing the
// test when it is missing or not shown.
func visibleText(t *testing.T, b *browser.Browser, js string) string {
	t.Helper()
	return eval[string](t, b, `(() => { const el = `+js+`;
		if (!el) return "<missing>";
		const r = el.getBoundingClientRect();
		if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === "hidden") return "<hidden>";
		return el.textContent; })()`)
}

// startAgent runs the agent as `greenpulse-agent run` does until stop is
// called or the test ends, and fails the test if it returns an error.
func startAgent(t *testing.T, cfg config.Config) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		log := slog.New(slog.NewTextHandler(teststack.TestWriter{T: t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
		done <- agents.Serve(ctx, cfg, "test", log)
	}()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

func agentCall(t *testing.T, method, url, password, body string) *http.Response {
	t.Helper()
	resp, err := tryAgentCall(method, url, password, body)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func tryAgentCall(method, url, password, body string) (*http.Response, error) {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth("staff", password)
	return (&http.Client{Timeout: 5 * time.Second}).Do(req)
}

// agentList is GET /api/v1/alerts's answer on the agent.
type agentList struct {
	Connected  bool       `json:"connected"`
	ReceivedAt *time.Time `json:"received_at"`
	Alerts     []struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	} `json:"alerts"`
}

func agentAlerts(t *testing.T, agentURL, password string) (agentList, string) {
	t.Helper()
	var l agentList
	resp, err := tryAgentCall(http.MethodGet, agentURL+"/api/v1/alerts", password, "")
	if err != nil {
		return l, err.Error() // not up yet
	}
	body := readAll(resp)
	if resp.StatusCode != http.StatusOK {
		return l, resp.Status + " " + body
	}
	if err := json.Unmarshal([]byte(body), &l); err != nil {
		t.Fatalf("agent alerts %s: %v", body, err)
	}
	return l, body
}

// collectorAlert is what the test reads of the collector's alert objects.
type collectorAlert struct {
	ID        string `json:"id"`
	Message   string `json:"message"`
	MessageAr string `json:"message_ar"`
}

func collectorAlerts(t *testing.T, url string) ([]collectorAlert, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(resp)
	var list []collectorAlert
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &list) != nil {
		t.Fatalf("GET %s: %s %s", url, resp.Status, body)
	}
	return list, body
}
