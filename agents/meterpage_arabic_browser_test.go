package agents_test

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// TestMeterPageInArabic is a facility manager who reads the meters in
// Arabic: the meter form reads right to left in Arabic words, a level in
// % without a configured tank size is explained in Arabic with the
// agent's English under it, a reading typed in Arabic-Indic digits is
// recorded as that number and shown in them, and a lower one asks in
// Arabic whether the meter is new, with the last reading in Arabic-Indic
// digits. The agent is offline: readings stay queued.
func TestMeterPageInArabic(t *testing.T) {
	testenv.RequireIntegration(t)
	const password = "ward-3-meter"
	a, h, _ := meterAgent(t, t.TempDir(), password)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)

	b := phoneBrowser(t)
	if err := b.Do(15*time.Second, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("login-form"))); err != nil {
		t.Fatalf("login form: %v", err)
	}
	if err := b.Do(10*time.Second, chromedp.Click(chromedp.ID("lang"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.documentElement.dir === "rtl" && document.getElementById("login-form") !== null`, "the login form in Arabic")
	logIn(t, b, password)
	waitFor(t, b, `document.body.dataset.meterReady === "1"`, "the meter lists")
	for js, want := range map[string]string{
		`document.querySelector("label[for=meter_value]").textContent`:            "القراءة",
		`document.querySelector("#counter option[value=grid_kwh]").text`:          "عداد الكهرباء الوطنية (كيلوواط ساعة)",
		`document.querySelector("#counter option[value=tank_level]").value`:       "tank_level",
		`getComputedStyle(document.getElementById("meter-form")).direction`:       "rtl",
		`document.getElementById("meter-recent-status").textContent`:              "لا توجد قراءات بعد.",
		`document.querySelector("#meter-form h2").textContent`:                    "قراءات العدادات",
		`String(document.getElementById("meter_unit_field").hidden)`:              "true",
		`document.getElementById("meter_value").getAttribute("placeholder")`:      "١٢٣٤٥٫٦",
		`document.querySelector("#meter-recent thead th:last-child").textContent`: "الحالة",
	} {
		if got := eval[string](t, b, js); got != want {
			t.Errorf("%s = %q, want %q", js, got, want)
		}
	}

	// A tank level in % while the tank's size is not configured.
	if err := b.Do(10*time.Second,
		chromedp.SetValue(chromedp.ID("counter"), "tank_level"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("counter").dispatchEvent(new Event("change"))`),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `!document.getElementById("meter_unit_field").hidden`, "the unit of the tank level")
	if err := b.Do(10*time.Second,
		chromedp.SetValue(chromedp.ID("meter_unit"), "%"),
		chromedp.SendKeys(chromedp.ID("meter_value"), "٥٠"),
		chromedp.Click(chromedp.ID("meter-submit")),
	); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.getElementById("err-meter_unit").textContent !== ""`, "a message at the unit")
	if msg := eval[string](t, b, `document.getElementById("err-meter_unit").textContent`); !strings.HasPrefix(msg, "وحدة المستوى غير صحيحة") || !strings.Contains(msg, "tank's size is not configured") {
		t.Errorf("message for a %% level: %q, want Arabic first and the agent's detail after", msg)
	}

	// A grid reading in Arabic-Indic digits with the Arabic decimal sign.
	typeMeter(t, b, "grid_kwh", "١٢٣٤٥٫٥", "")
	waitFor(t, b, `document.getElementById("meter-result").dataset.kind === "ok"`, "the reading recorded")
	waitFor(t, b, `document.querySelectorAll("#meter-recent tbody tr[data-state]").length === 1`, "the reading listed")
	if got := eval[string](t, b, `document.getElementById("meter-result").textContent`); !strings.HasPrefix(got, "سُجِّلت القراءة — بانتظار الإرسال") {
		t.Errorf("result: %q", got)
	}
	last := eval[string](t, b, `document.querySelector("#meter-last tbody tr[data-counter=grid_kwh]").textContent`)
	for _, want := range []string{"عداد الكهرباء الوطنية", "١٢٬٣٤٥٫٥", "كيلوواط ساعة"} {
		if !strings.Contains(last, want) {
			t.Errorf("the last grid reading %q lacks %q", last, want)
		}
	}

	// Lower: the question in Arabic, the last reading in Arabic-Indic digits.
	typeMeter(t, b, "grid_kwh", "١٠٠", "")
	waitFor(t, b, `!document.getElementById("meter-question").hidden`, "the question")
	q := eval[string](t, b, `document.getElementById("meter-question-text").textContent`)
	if !strings.HasPrefix(q, "هل هذا عداد جديد؟ آخر قراءة كانت ١٢٬٣٤٥٫٥ كيلوواط ساعة في") || !strings.Contains(q, "is this a new meter?") {
		t.Errorf("question %q", q)
	}
	if err := b.Do(10*time.Second, chromedp.Click(chromedp.ID("meter-answer")), chromedp.Click(chromedp.ID("meter-submit"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.querySelectorAll("#meter-recent tbody tr[data-state]").length === 2`, "both readings listed")
	row := eval[string](t, b, `Array.from(document.querySelectorAll("#meter-recent tbody tr:first-child td"), td => td.textContent).join(" | ")`)
	for _, want := range []string{"عداد الكهرباء الوطنية", "١٠٠", "بانتظار الإرسال"} {
		if !strings.Contains(row, want) {
			t.Errorf("the listed reading %q lacks %q", row, want)
		}
	}
	v, err := a.MeterReadings()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Recent) != 2 || v.Recent[0].Value != 100 || !v.Recent[0].Replaced || v.Recent[1].Value != 12345.5 {
		t.Errorf("the agent has %+v, want 12345.5 then 100 as a new meter", v.Recent)
	}
	noConsoleErrorsBut(t, b, 422, 409)
}
