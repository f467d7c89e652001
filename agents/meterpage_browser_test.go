package agents_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// TestMeterPageInChromium is a facility manager reading the grid meter by
// eye, in headless Chromium: log in, type yesterday's reading with the
// time it was taken, then today's, which is lower: the page asks whether
// the meter is new, with the last reading and its date; ticking the box
// records it as a new meter. Both readings are listed, turn sent, and are
// in InfluxDB as energy kwh_total of the grid meter, through the broker
// and a real collector: the counter readings a device would send.
func TestMeterPageInChromium(t *testing.T) {
	stack := teststack.Start(t)
	teststack.RunCollector(t, stack.CollectorConfig(t, filepath.Join("..")))

	const password = "ward-3-meter"
	cfg := wasteAgentConfig(t, stack.Broker.URL(), password)
	serveAgent(t, cfg)

	b := phoneBrowser(t)
	page := "http://" + cfg.HTTP.Listen + "/"
	teststack.Eventually(t, 15*time.Second, "login form", func() (bool, string) {
		err := b.Do(5*time.Second, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("login-form")))
		return err == nil, fmt.Sprint(err)
	})
	logIn(t, b, password)
	waitFor(t, b, `document.body.dataset.meterReady === "1"`, "the meter lists after login")
	if got := eval[string](t, b, `document.getElementById("meter-last-status").textContent`); got != "No readings yet." {
		t.Errorf("last readings before any: %q", got)
	}

	// Yesterday's reading, dated when it was read.
	yesterday := time.Now().Add(-20 * time.Hour).Truncate(time.Minute)
	typeMeter(t, b, "grid_kwh", "12000", yesterday.Format("2006-01-02T15:04"))
	waitFor(t, b, `document.getElementById("meter-result").dataset.kind === "ok"`, "the first reading recorded")
	waitFor(t, b, `document.querySelectorAll("#meter-recent tbody tr[data-state]").length === 1`, "the first reading listed")

	// Today's is lower: a new meter?
	typeMeter(t, b, "grid_kwh", "35", "")
	waitFor(t, b, `!document.getElementById("meter-question").hidden`, "the question")
	q := eval[string](t, b, `document.getElementById("meter-question-text").textContent`)
	wantDate := yesterday.Format("02/01/2006") // en-GB
	if !strings.HasPrefix(q, "Is this a new meter? The last reading was 12,000 kWh on "+wantDate) || !strings.Contains(q, "35 kWh is below the last reading") {
		t.Errorf("question %q, want the last reading (12,000 kWh on %s) and the agent's words", q, wantDate)
	}
	if got := eval[string](t, b, `document.getElementById("meter-answer-label").textContent`); !strings.Contains(got, "replaced or reset") {
		t.Errorf("the box to tick says %q", got)
	}
	if n := eval[int](t, b, `document.querySelectorAll("#meter-recent tbody tr[data-state]").length`); n != 1 {
		t.Errorf("an unanswered reading is listed (%d rows)", n)
	}
	if err := b.Do(10*time.Second, chromedp.Click(chromedp.ID("meter-answer")), chromedp.Click(chromedp.ID("meter-submit"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.getElementById("meter-result").dataset.kind === "ok" && document.getElementById("meter-question").hidden`, "the new meter recorded")
	waitFor(t, b, `document.querySelectorAll("#meter-recent tbody tr[data-state]").length === 2`, "both readings listed")
	if got := eval[string](t, b, `document.querySelector("#meter-last tbody tr[data-counter=grid_kwh]").textContent`); !strings.Contains(got, "35 kWh") {
		t.Errorf("the last grid reading shows %q", got)
	}
	waitFor(t, b, `Array.from(document.querySelectorAll("#meter-recent tbody tr")).every(tr => tr.dataset.state === "sent")`, "both readings sent")
	noConsoleErrorsBut(t, b, 422, 409)

	teststack.Eventually(t, 15*time.Second, "the readings in InfluxDB", func() (bool, string) {
		rows := teststack.InfluxQL(t, stack.Influx.URL(), fmt.Sprintf(
			`SELECT kwh_total FROM energy WHERE facility='%s' AND source='grid' AND meter='main'`, facility))
		return len(rows) == 2 && fmt.Sprint(rows[0]["kwh_total"]) == "12000" && fmt.Sprint(rows[1]["kwh_total"]) == "35", fmt.Sprint(rows)
	})
}

// typeMeter fills the meter form (at empty: now) and submits it.
func typeMeter(t *testing.T, b *browser.Browser, counter, value, at string) {
	t.Helper()
	if err := b.Do(10*time.Second,
		chromedp.SetValue(chromedp.ID("counter"), counter),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("counter").dispatchEvent(new Event("change"))`),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("meter_value").value = ""`),
		chromedp.SendKeys(chromedp.ID("meter_value"), value),
		chromedp.SetValue(chromedp.ID("meter_at"), at),
		chromedp.Click(chromedp.ID("meter-submit")),
	); err != nil {
		t.Fatal(err)
	}
}
