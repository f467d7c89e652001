package agents_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/internal/browser"
	"github.com/greenpulse-health/greenpulse/internal/browser/browsertest"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
)

// TestWastePageInChromium is a facility manager on the LAN: in headless
// Chromium, log in to the agent's page, get a plain-words message for a
// mass typed in grams, record a hand-over, see it queued then sent, and
// find it in InfluxDB through the broker and a real collector.
func TestWastePageInChromium(t *testing.T) {
	stack := teststack.Start(t)
	teststack.RunCollector(t, stack.CollectorConfig(t, filepath.Join("..")))

	const password = "ward-3-waste"
	cfg := wasteAgentConfig(t, stack.Broker.URL(), password)
	serveAgent(t, cfg)

	b := phoneBrowser(t)
	page := "http://" + cfg.HTTP.Listen + "/"
	teststack.Eventually(t, 15*time.Second, "login form", func() (bool, string) {
		err := b.Do(5*time.Second, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("login-form")))
		return err == nil, fmt.Sprint(err)
	})
	logIn(t, b, password)

	// A mass typed in grams: the page names the field and nothing is kept.
	if msg := submitMass(t, b, "sharps", "autoclave", "12500"); !strings.Contains(msg, "grams") {
		t.Errorf("message for 12500 kg: %q, want it to ask about grams", msg)
	}
	if n := eval[int](t, b, `document.querySelectorAll("#recent tbody tr[data-state]").length`); n != 0 {
		t.Errorf("a refused entry is listed (%d rows)", n)
	}

	if err := b.Do(10*time.Second,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("mass_kg").value = ""`),
		chromedp.SendKeys(chromedp.ID("mass_kg"), "12.5"),
		chromedp.SendKeys(chromedp.ID("stored_hours"), "30"),
		chromedp.SendKeys(chromedp.ID("note"), "ward 3 hand-over"),
		chromedp.Click(chromedp.ID("submit")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.querySelectorAll("#recent tbody tr[data-state]").length === 1`, "the entry listed")
	if msg := eval[string](t, b, `document.getElementById("err-mass_kg").textContent`); msg != "" {
		t.Errorf("the mass message stayed after a good entry: %q", msg)
	}
	waitFor(t, b, `document.querySelector("#recent tbody tr").dataset.state === "sent"`, "the entry sent")
	noConsoleErrorsBut(t, b, 422)

	teststack.Eventually(t, 15*time.Second, "the entry in InfluxDB", func() (bool, string) {
		rows := teststack.InfluxQL(t, stack.Influx.URL(), fmt.Sprintf(
			`SELECT mass_kg, stored_hours FROM waste WHERE facility='%s' AND category='sharps' AND treatment='autoclave'`, facility))
		return len(rows) == 1 && fmt.Sprint(rows[0]["mass_kg"]) == "12.5" && fmt.Sprint(rows[0]["stored_hours"]) == "30", fmt.Sprint(rows)
	})
}

func waitFor(t *testing.T, b *browser.Browser, js, what string) {
	t.Helper()
	browsertest.WaitFor(t, b, js, what)
}

func eval[T any](t *testing.T, b *browser.Browser, js string) T {
	t.Helper()
	return browsertest.Eval[T](t, b, js)
}

// phoneBrowser starts headless Chromium with a phone's screen (its
// language is en-GB) until the test ends.
func phoneBrowser(t *testing.T) *browser.Browser {
	t.Helper()
	if _, err := browser.ExecPath(); err != nil {
		t.Fatal(err) // integration tests are on: CI installs chromium
	}
	bctx, stopBrowser := context.WithCancel(context.Background())
	t.Cleanup(stopBrowser)
	b, err := browser.Start(bctx, t.TempDir(), 412, 915)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// logIn fills the login form shown with password and waits for the waste
// form and its list of recent entries.
func logIn(t *testing.T, b *browser.Browser, password string) {
	t.Helper()
	if err := b.Do(15*time.Second,
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("waste-form")),
	); err != nil {
		t.Fatalf("log in: %v", err)
	}
	waitFor(t, b, `document.body.dataset.ready === "1"`, "the recent list after login")
}

// submitMass submits the waste form with category, treatment and mass
// typed as given, waits for a message at the mass field and returns it.
func submitMass(t *testing.T, b *browser.Browser, category, treatment, mass string) string {
	t.Helper()
	if err := b.Do(10*time.Second,
		chromedp.SetValue(chromedp.ID("category"), category),
		chromedp.SetValue(chromedp.ID("treatment"), treatment),
		chromedp.SendKeys(chromedp.ID("mass_kg"), mass),
		chromedp.Click(chromedp.ID("submit")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.getElementById("err-mass_kg").textContent !== ""`, "a message at the mass field")
	return eval[string](t, b, `document.getElementById("err-mass_kg").textContent`)
}

// noConsoleErrorsBut fails the test for every console error of the page
// other than Chromium's note of an answer with one of the statuses the
// test provoked (a 422 for a mistake, a 409 for a question), which the
// page handles: Chromium logs every 4xx answer as an error.
func noConsoleErrorsBut(t *testing.T, b *browser.Browser, statuses ...int) {
	t.Helper()
	for _, e := range b.ConsoleErrors() {
		expected := false
		for _, s := range statuses {
			expected = expected || strings.Contains(e, fmt.Sprintf("status of %d", s))
		}
		if !expected {
			t.Errorf("console error: %s", e)
		}
	}
}
