package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/greenpulse-health/greenpulse/agents/meterlog"
	"github.com/greenpulse-health/greenpulse/agents/source/manual"
)

// fakeMeters checks meter entries against the last readings in memory,
// as the agent does, and lists every reading queued.
type fakeMeters struct {
	mu      sync.Mutex
	state   manual.MeterState
	entries []meterlog.Entry
}

func (m *fakeMeters) RecordMeter(e manual.MeterEntry, now time.Time) (manual.MeterResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	res, err := e.Check("BG-H-001", now, m.state, manual.MeterLimits{})
	if err != nil {
		return res, err
	}
	m.state = res.State
	m.entries = append(m.entries, meterlog.FromResult(uint64(len(m.entries)+1), e, res))
	return res, nil
}

func (m *fakeMeters) MeterReadings() (meterlog.View, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var v meterlog.View
	for k, l := range m.state.Last {
		c, meter, _ := strings.Cut(k, "/")
		v.Last = append(v.Last, meterlog.LastReading{Counter: manual.Counter(c), Meter: meter, Value: l.Value, Unit: manual.Counter(c).Unit(), Time: l.Time})
	}
	for _, e := range m.entries {
		state := meterlog.Queued
		if e.Seq == 0 {
			state = meterlog.Kept
		}
		v.Recent = append(v.Recent, meterlog.Listed{Entry: e, State: state})
	}
	slices.Reverse(v.Recent)
	return v, nil
}

// meterIDs are the element ids that meter.js and the browser tests rely on.
var meterIDs = []string{"meter-form", "counter", "meter_value", "meter_unit", "meter_unit_field", "meter_at", "meter_name", "meter_note",
	"err-counter", "err-meter_value", "err-meter_unit", "err-meter_at", "err-meter_name", "err-meter_note",
	"meter-question", "meter-question-text", "meter-answer", "meter-answer-label", "meter-submit", "meter-result",
	"meter-last", "meter-last-status", "meter-fuel", "meter-recent", "meter-recent-status"}

func meterHandler(t testing.TB, m *fakeMeters) http.Handler {
	t.Helper()
	opt := Options{Facility: "BG-H-001", Password: password, Gatherer: prometheus.NewRegistry(),
		Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)}
	if m != nil {
		opt.Meters = m
	}
	return Handler(&fakeAgent{}, opt)
}

// TestMeterAPI types a day's readings through POST /api/v1/meter and
// follows GET /api/v1/meter: answers for mistakes, the questions and their
// answers, and the lists.
func TestMeterAPI(t *testing.T) {
	m := &fakeMeters{}
	h := meterHandler(t, m)
	auth := basic("staff", password)
	ctJSON := "Content-Type: application/json"
	earlier := now.Add(-24 * time.Hour).Format(time.RFC3339)
	tests := []struct {
		name    string
		body    string
		headers []string
		code    int
		want    []string // in the body
	}{
		{"no login", `{"counter":"grid_kwh","value":1}`, []string{ctJSON}, http.StatusUnauthorized, nil},
		{"not JSON", `counter=grid_kwh`, []string{auth, "Content-Type: application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType, []string{"send the reading as JSON"}},
		{"unknown key", `{"counter":"grid_kwh","value":1,"kwh":3}`, []string{auth, ctJSON}, http.StatusBadRequest, []string{`not a meter reading: json: unknown field \"kwh\"`}},
		{"mistakes", `{"counter":"gas","value":-3}`, []string{auth, ctJSON}, http.StatusUnprocessableEntity,
			[]string{`"problems":[{"field":"counter","message":"\"gas\" is not a counter`, `{"field":"value","message":"a reading cannot be negative (got -3)"}`}},
		{"first grid reading, dated yesterday", `{"counter":"grid_kwh","value":12000,"ts":"` + earlier + `","note":"morning round"}`, []string{auth, ctJSON}, http.StatusCreated,
			[]string{`"counter":"grid_kwh","meter":"main","value":12000,"unit":"kWh","ts":"2026-11-25T09:00:00Z","sent":true`, "the first reading of this counter"}},
		{"below it", `{"counter":"grid_kwh","value":35}`, []string{auth, ctJSON}, http.StatusConflict,
			[]string{`"question":{"field":"value","flag":"replaced","kind":"new_meter","message":"35 kWh is below the last reading: is this a new meter? The last reading was 12000 kWh on`,
				`"last_value":12000,"last_time":"2026-11-25T09:00:00Z","unit":"kWh"`}},
		{"a big jump", `{"counter":"grid_kwh","value":30000}`, []string{auth, ctJSON}, http.StatusConflict,
			[]string{`"flag":"confirm","kind":"big_jump","message":"that's a big jump: 18000 kWh since the last reading`}},
		{"the jump confirmed", `{"counter":"grid_kwh","value":30000,"confirm":true}`, []string{auth, ctJSON}, http.StatusCreated, []string{`"sent":true`}},
		{"a delivery", `{"counter":"fuel_delivered_l","value":200}`, []string{auth, ctJSON}, http.StatusCreated, []string{`"sent":false`, "kept on this computer only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(t, h, http.MethodPost, "/api/v1/meter", tt.body, tt.headers...)
			if rec.Code != tt.code {
				t.Fatalf("POST: %d %s, want %d", rec.Code, rec.Body, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(rec.Body.String(), w) {
					t.Errorf("answer %s lacks %s", rec.Body, w)
				}
			}
		})
	}
	rec := do(t, h, http.MethodGet, "/api/v1/meter", "", auth)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET: %d %s", rec.Code, rec.Body)
	}
	var got meterView
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	var recent []string
	for _, e := range got.Recent {
		recent = append(recent, string(e.Counter)+":"+string(e.State)+":"+e.Note)
	}
	if want := []string{"fuel_delivered_l:kept:", "grid_kwh:queued:", "grid_kwh:queued:morning round"}; !reflect.DeepEqual(recent, want) {
		t.Errorf("recent %v, want %v", recent, want)
	}
	if len(got.Last) != 2 || got.Recent[1].Sent != "energy main/grid kwh_total=30000" {
		t.Errorf("GET /api/v1/meter: %s", rec.Body)
	}
	if rec := do(t, h, http.MethodGet, "/api/v1/meter", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("GET without login: %d", rec.Code)
	}
}

func TestMeterOff(t *testing.T) {
	h := meterHandler(t, nil)
	auth := basic("staff", password)
	if rec := do(t, h, http.MethodPost, "/api/v1/meter", `{"counter":"grid_kwh","value":1}`, auth, "Content-Type: application/json"); rec.Code != http.StatusForbidden ||
		!strings.Contains(rec.Body.String(), "meter readings are off") {
		t.Errorf("POST with meters off: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, h, http.MethodGet, "/api/v1/meter", "", auth); rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"last":[],"fuel":[],"recent":[]}` {
		t.Errorf("GET with meters off: %d %s", rec.Code, rec.Body)
	}
	if page := do(t, h, http.MethodGet, "/", "", auth).Body.String(); !strings.Contains(page, `id="meter-off"`) {
		t.Error("the page does not say that meter readings are off")
	}
}

// TestMeterForm checks the meter form's elements and words in both
// languages, and what the page hands meter.js.
func TestMeterForm(t *testing.T) {
	h := meterHandler(t, &fakeMeters{})
	for _, tt := range []struct {
		lang string
		want []string
	}{
		{"en", []string{`<label for="meter_value">Reading</label>`, `<option value="grid_kwh">Grid meter (kWh)</option>`,
			`<option value="tank_level">Fuel tank level (litres or %)</option>`, `<a href="#meter-form" id="meter-link">Meter readings</a>`, "Last 20 meter readings"}},
		{"ar", []string{`<label for="meter_value">القراءة</label>`, `<option value="grid_kwh">عداد الكهرباء الوطنية (كيلوواط ساعة)</option>`,
			`<option value="solar_kwh">إجمالي إنتاج العاكس الشمسي (كيلوواط ساعة)</option>`, "آخر ٢٠ قراءة", `placeholder="١٢٣٤٥٫٦"`}},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			page := do(t, h, http.MethodGet, "/", "", basic("", password), "Cookie: "+LangCookie+"="+tt.lang).Body.String()
			got := ids(t, page)
			for _, id := range append(meterIDs, wasteIDs...) {
				if !got[id] {
					t.Errorf("no element #%s", id)
				}
			}
			for _, w := range tt.want {
				if !strings.Contains(page, w) {
					t.Errorf("the page lacks %s", w)
				}
			}
			// page.js defines what app.js and meter.js share: deferred
			// scripts run in order, so it comes first.
			shared := strings.Index(page, `<script src="/static/page.js" defer></script>`)
			if m := strings.Index(page, `<script src="/static/meter.js" defer></script>`); shared < 0 || m < shared ||
				strings.Index(page, `<script src="/static/app.js" defer></script>`) < shared {
				t.Error("the page does not load page.js, then app.js and meter.js")
			}
			m := regexp.MustCompile(`(?s)<script type="application/json" id="page-words">(.*?)</script>`).FindStringSubmatch(page)
			var words script
			if m == nil || json.Unmarshal([]byte(m[1]), &words) != nil {
				t.Fatal("no #page-words JSON")
			}
			if words.Meter.Text["q_new_meter"] == "" || words.Meter.Counters["generator_hours"] == "" || words.Meter.Units["kWh"] == "" {
				t.Errorf("#page-words meter: %+v", words.Meter)
			}
		})
	}
	if rec := do(t, h, http.MethodGet, "/static/meter.js", ""); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "/api/v1/meter") {
		t.Errorf("GET /static/meter.js: %d", rec.Code)
	}
}

// TestMeterWords checks that both languages word everything meter.js
// asks for, every counter and unit, and in Arabic every field.
func TestMeterWords(t *testing.T) {
	js, err := pageFS.ReadFile("page/static/meter.js")
	if err != nil {
		t.Fatal(err)
	}
	// page.js asks with the meter form's words too, for what both forms share.
	shared, err := pageFS.ReadFile("page/static/page.js")
	if err != nil {
		t.Fatal(err)
	}
	js = append(js, shared...)
	keys := []string{"queued", "sent", "kept", "queued_title", "sent_title", "kept_title"}
	// Whole keys only: "q_" + kind and "answer_" + flag are listed below.
	for _, m := range regexp.MustCompile(`\bt\("(\w+)"[,)]`).FindAllStringSubmatch(string(js), -1) {
		keys = append(keys, m[1])
	}
	for _, kind := range []string{"new_meter", "big_jump", "tank_rose", "big_delivery"} {
		keys = append(keys, "q_"+kind)
	}
	keys = append(keys, "answer_"+manual.FlagReplaced, "answer_"+manual.FlagConfirm)
	en := wordsFor(english, 200, 20).Meter
	for _, l := range []lang{english, arabic} {
		w := wordsFor(l, 200, 20).Meter
		v := reflect.ValueOf(*w)
		for i := range v.NumField() {
			if f := v.Field(i); f.Kind() == reflect.String && f.String() == "" {
				t.Errorf("%s: %s is empty", l, v.Type().Field(i).Name)
			}
		}
		for _, c := range append(w.Columns[:], w.LastColumns[:]...) {
			if c == "" {
				t.Errorf("%s: a column has no heading", l)
			}
		}
		for _, c := range manual.Counters() {
			if w.Counters[string(c)].Name == "" {
				t.Errorf("%s: counter %s has no label", l, c)
			}
			if w.Units[c.Unit()] == "" {
				t.Errorf("%s: unit %s has no name", l, c.Unit())
			}
		}
		for _, k := range keys {
			if w.Script[k] == "" {
				t.Errorf("%s: meter.js asks for message %q", l, k)
			}
		}
		if len(w.Script) != len(en.Script) {
			t.Errorf("%s has %d messages for meter.js, English %d", l, len(w.Script), len(en.Script))
		}
		for _, state := range []string{"queued", "sent", "kept"} {
			if !strings.Contains(string(w.States), "<strong>"+w.Script[state]+"</strong>") {
				t.Errorf("%s: the hint under the list does not name the state %q as the list does", l, state)
			}
		}
	}
	ar := wordsFor(arabic, 200, 20).Meter
	for _, f := range []string{"counter", "value", "unit", "ts", "meter", "note"} {
		if ar.Fields[f] == "" {
			t.Errorf("ar: nothing to say about a problem with %s", f)
		}
	}
	if !strings.Contains(ar.Recent, "٢٠") || !strings.Contains(ar.ValuePlaceholder, "١٢٣٤٥") {
		t.Errorf("ar: numbers not in Arabic-Indic digits: %q, %q", ar.Recent, ar.ValuePlaceholder)
	}
}
