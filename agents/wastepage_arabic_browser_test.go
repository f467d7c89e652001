package agents_test

import (
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// TestWastePageInArabic is a facility manager whose phone speaks English
// switching the page to Arabic on the login form: the choice outlives the
// login, the page reads right to left, a weight typed in Arabic-Indic
// digits is recorded as that number, and the switch back to English keeps
// what was typed. The agent is offline: entries stay queued.
func TestWastePageInArabic(t *testing.T) {
	testenv.RequireIntegration(t)
	const password = "ward-3-waste"
	_, h, _ := offlineAgent(t, t.TempDir(), password)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	b := phoneBrowser(t) // its language is en-GB

	if err := b.Do(15*time.Second, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("login-form"))); err != nil {
		t.Fatalf("login form: %v", err)
	}
	if dir := eval[string](t, b, `document.documentElement.lang + " " + document.documentElement.dir`); dir != "en ltr" {
		t.Errorf("an English browser gets the page in %q", dir)
	}
	if err := b.Do(10*time.Second, chromedp.Click(chromedp.ID("lang"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.documentElement.dir === "rtl" && document.getElementById("login-form") !== null`, "the login form in Arabic")
	if got := eval[string](t, b, `document.querySelector("label[for=password]").textContent`); got != "كلمة المرور" {
		t.Errorf("the password's label in Arabic: %q", got)
	}

	logIn(t, b, password)
	for js, want := range map[string]string{
		`document.documentElement.lang + " " + document.documentElement.dir`:   "ar rtl",
		`document.querySelector("label[for=mass_kg]").textContent`:             "الوزن بالكيلوغرام",
		`document.querySelector("#treatment option[value=autoclave]").text`:    "تعقيم بالبخار (أوتوكليف)",
		`document.getElementById("lang").textContent`:                          "English",
		`getComputedStyle(document.getElementById("waste-form")).direction`:    "rtl",
		`document.getElementById("recent-status").textContent`:                 "لا توجد إدخالات بعد.",
		`document.querySelector("#category option[value=pathological]").value`: "pathological",
	} {
		if got := eval[string](t, b, js); got != want {
			t.Errorf("%s = %q, want %q", js, got, want)
		}
	}

	// A weight in grams: what is wrong in Arabic, the agent's English after.
	if msg := submitMass(t, b, "infectious", "incineration", "١٢٥٠٠"); !strings.HasPrefix(msg, "الوزن غير صحيح") || !strings.Contains(msg, "grams") {
		t.Errorf("message for 12500 kg: %q, want Arabic first and the agent's detail after", msg)
	}

	if err := b.Do(10*time.Second,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("mass_kg").value = ""`),
		chromedp.SendKeys(chromedp.ID("mass_kg"), "١٢٫٥"),
		chromedp.SendKeys(chromedp.ID("note"), "جناح ٣"),
		chromedp.Click(chromedp.ID("submit")),
	); err != nil {
		t.Fatal(err)
	}
	// The result first: the form is cleared before it is set.
	waitFor(t, b, `document.getElementById("result").dataset.kind === "ok"`, "the entry recorded")
	waitFor(t, b, `document.querySelectorAll("#recent tbody tr[data-state]").length === 1`, "the entry listed")
	row := eval[string](t, b, `Array.from(document.querySelectorAll("#recent tbody td"), td => td.textContent).join(" | ")`)
	for _, want := range []string{"معدية", "١٢٫٥", "حرق في محرقة", "جناح ٣", "بانتظار الإرسال"} {
		if !strings.Contains(row, want) {
			t.Errorf("the listed entry %q lacks %q", row, want)
		}
	}
	if got := eval[string](t, b, `document.getElementById("result").textContent`); !strings.HasPrefix(got, "سُجِّل") {
		t.Errorf("result: %q", got)
	}
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("staff:"+password))
	if got := getRecent(t, h, auth); len(got) != 1 || got[0].MassKg != 12.5 {
		t.Errorf("GET /api/v1/waste/recent: %+v, want one entry of 12.5 kg", got)
	}

	// Back to English: what was typed survives the reload.
	if err := b.Do(10*time.Second,
		chromedp.SendKeys(chromedp.ID("mass_kg"), "٧"),
		chromedp.Click(chromedp.ID("lang")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.documentElement.dir === "ltr" && document.body.dataset.ready === "1"`, "the page in English again")
	if got := eval[string](t, b, `document.querySelector("label[for=mass_kg]").textContent + " = " + document.getElementById("mass_kg").value`); got != "Weight in kg = ٧" {
		t.Errorf("after switching back: %q", got)
	}
	if got := eval[string](t, b, `document.querySelector("#recent tbody tr .state").textContent`); got != "queued" {
		t.Errorf("state in English: %q", got)
	}
	noConsoleErrorsBut(t, b, 422)
}
