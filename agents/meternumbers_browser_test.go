package agents_test

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/greenpulse-health/greenpulse/agents/source/manual"
	"github.com/greenpulse-health/greenpulse/internal/testenv"
)

// TestMeterNumbersInChromium holds the page's parser of typed numbers
// (page.js) to the agent's (manual.ParseTypedNumber), in headless
// Chromium: every case of the agent's table, and a few more, must be the
// same number or the same kind of refusal. Then a reading typed as
// "12,400" is not sent: the page asks for 12400 or 12.4.
func TestMeterNumbersInChromium(t *testing.T) {
	testenv.RequireIntegration(t)
	a, h, _ := meterAgent(t, t.TempDir(), "")
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	b := phoneBrowser(t)
	if err := b.Do(15*time.Second, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("meter-form"))); err != nil {
		t.Fatalf("meter form: %v", err)
	}
	waitFor(t, b, `document.body.dataset.meterReady === "1"`, "the meter lists")

	data, err := os.ReadFile("source/manual/testdata/typed-numbers.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		In string `json:"in"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	inputs := []string{"1e", "e3", "٫5", "5٫", "1,2,3", "12,4005", "١٢٣,٤٥٦", "12400\u2009", "0x", "-", "+inf", "NAN", "12\u00a0400,5", "\u0661\u06f2"}
	for _, c := range cases {
		inputs = append(inputs, c.In)
	}
	list, _ := json.Marshal(inputs)
	var got []struct {
		Value   *float64 `json:"value"`
		Empty   bool     `json:"empty"`
		Problem string   `json:"problem"`
	}
	js := eval[string](t, b, `JSON.stringify(`+string(list)+`.map(s => GreenPulse.parseNumber(s)))`)
	if err := json.Unmarshal([]byte(js), &got); err != nil || len(got) != len(inputs) {
		t.Fatalf("page.js answered %s (%v)", js, err)
	}
	for i, in := range inputs {
		v, err := manual.ParseTypedNumber(in)
		var ne *manual.NumberError
		switch page := got[i]; {
		case err == nil && (page.Value == nil || *page.Value != v):
			t.Errorf("%q: the agent reads %g, the page %+v", in, v, page)
		case err == nil:
		case !errors.As(err, &ne):
			t.Fatalf("%q: %v", in, err)
		case ne.Kind == "empty" && !page.Empty, ne.Kind != "empty" && page.Problem != ne.Kind:
			t.Errorf("%q: the agent refuses it as %s (%v), the page answers %+v", in, ne.Kind, err, page)
		}
	}

	typeMeter(t, b, "grid_kwh", "12,400", "")
	waitFor(t, b, `document.getElementById("err-meter_value").textContent !== ""`, "a message at the value")
	if msg := eval[string](t, b, `document.getElementById("err-meter_value").textContent`); msg != "Write 12400 or 12.4: a comma here is ambiguous." {
		t.Errorf("message for 12,400: %q", msg)
	}
	if v, err := a.MeterReadings(); err != nil || len(v.Recent) != 0 {
		t.Errorf("the agent has %+v (%v), want nothing recorded", v.Recent, err)
	}
	noConsoleErrorsBut(t, b, 422)
}
