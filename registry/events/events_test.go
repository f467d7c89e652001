package events

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/greenpulse-health/greenpulse/registry"
)

const testRegistry = `id,name,name_ar,type,beds,governorate,district,lat,lon,pv_kwp,dhis2_org_unit
KA-H-001,Karbala Hospital,مستشفى كربلاء,hospital,400,IQ-KA,KA-KRB,32.61,44.02,100,
NA-P-001,Najaf PHC 1,مركز النجف 1,phc,0,IQ-NA,NA-NJF,32.00,44.33,20,
BG-H-001,Baghdad Hospital,مستشفى بغداد,hospital,600,IQ-BG,BG-RSF,33.31,44.36,200,
`

func loadRegistry(t *testing.T) *registry.Registry {
	t.Helper()
	reg, err := registry.Parse(strings.NewReader(testRegistry), "test.csv")
	if err != nil {
		t.Fatalf("registry: %v", err)
	}
	return reg
}

func date(t *testing.T, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDecodeYAML(t *testing.T) {
	// Dates unquoted, as people write them: YAML calls them timestamps.
	const doc = `
- id: arbaeen-2026
  name: "Arba'een 2026"
  name_ar: الأربعينية ٢٠٢٦
  series: arbaeen
  areas: [IQ-KA, NA-NJF]
  first_day: 2026-07-27
  last_day: "2026-08-06"
`
	var list []Event
	if err := yaml.Unmarshal([]byte(doc), &list); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(list) != 1 {
		t.Fatalf("decoded %d events, want 1", len(list))
	}
	e := list[0]
	if e.First != (Date{2026, time.July, 27}) || e.Last != (Date{2026, time.August, 6}) {
		t.Errorf("days %v … %v, want 2026-07-27 … 2026-08-06", e.First, e.Last)
	}
	if err := Validate(list, loadRegistry(t)); err != nil {
		t.Errorf("valid event refused: %v", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"first_day":"2026-07-27"`) || !strings.Contains(string(b), `"last_day":"2026-08-06"`) {
		t.Errorf("JSON %s: want the days written YYYY-MM-DD", b)
	}
	var back Event
	if err := json.Unmarshal(b, &back); err != nil || back.First != e.First || back.Last != e.Last {
		t.Errorf("JSON round trip: %+v, %v", back, err)
	}
}

func TestDecodeBadDate(t *testing.T) {
	var e Event
	for _, doc := range []string{"id: x\nfirst_day: 2026-13-01\n", "id: x\nfirst_day: [2026]\n"} {
		err := yaml.Unmarshal([]byte(doc), &e)
		if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "YYYY-MM-DD") {
			t.Errorf("%q: error %v, want one naming line 2 and the form wanted", doc, err)
		}
	}
}

func TestValidate(t *testing.T) {
	good := Event{ID: "arbaeen-2026", Name: "Arba'een", NameAr: "الأربعين", Areas: []string{"IQ-KA"},
		First: Date{2026, time.July, 27}, Last: Date{2026, time.August, 6}}
	with := func(f func(*Event)) []Event {
		e := good
		f(&e)
		return []Event{e}
	}
	tests := []struct {
		name string
		list []Event
		want []string // substrings of the error; none: valid
	}{
		{"valid", []Event{good}, nil},
		{"one day", with(func(e *Event) { e.Last = e.First }), nil},
		{"bad id", with(func(e *Event) { e.ID = "Arbaeen 2026" }), []string{"events[0].id", "lower-case"}},
		{"duplicate id", []Event{good, good}, []string{"events[1].id", "also the id of events[0]"}},
		{"names missing", with(func(e *Event) { e.Name, e.NameAr = "", "" }), []string{"events[0].name:", "events[0].name_ar:"}},
		{"no areas", with(func(e *Event) { e.Areas = nil }), []string{"events[0].areas: missing"}},
		{"unknown area", with(func(e *Event) { e.Areas = []string{"IQ-KA", "IQ-XX"} }), []string{"events[0].areas[1]", "IQ-XX"}},
		{"no first day", with(func(e *Event) { e.First = Date{} }), []string{"events[0].first_day: missing"}},
		{"no last day", with(func(e *Event) { e.Last = Date{} }), []string{"events[0].last_day: missing"}},
		{"backwards", with(func(e *Event) { e.Last = e.First.AddDays(-1) }), []string{"events[0].last_day", "before first_day"}},
		{"too long", with(func(e *Event) { e.Last = e.First.AddDays(MaxDays) }), []string{"events[0].last_day", "lasts 61 days"}},
		{"bad series", with(func(e *Event) { e.Series = "Arba'een" }), []string{"events[0].series"}},
	}
	reg := loadRegistry(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Validate(tt.list, reg)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted, want an error with %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	// Without a registry the areas are not checked.
	if err := Validate(with(func(e *Event) { e.Areas = []string{"IQ-XX"} }), nil); err != nil {
		t.Errorf("without a registry: %v", err)
	}
}

func TestDaysAndFacilities(t *testing.T) {
	e := Event{Areas: []string{"KA-KRB", "NA-P-001"}, First: date(t, "2026-07-30"), Last: date(t, "2026-08-02")}
	var days []string
	for _, d := range e.Days() {
		days = append(days, d.String())
	}
	if got := strings.Join(days, " "); got != "2026-07-30 2026-07-31 2026-08-01 2026-08-02" {
		t.Errorf("days %s", got)
	}
	var ids []string
	for _, f := range e.Facilities(loadRegistry(t)) {
		ids = append(ids, f.ID)
	}
	if got := strings.Join(ids, " "); got != "KA-H-001 NA-P-001" {
		t.Errorf("facilities %s, want KA-H-001 (by district) NA-P-001 (by id)", got)
	}
}

func TestDateArithmetic(t *testing.T) {
	baghdad := time.FixedZone("Asia/Baghdad", 3*3600)
	d := date(t, "2026-08-04")
	if got := d.In(baghdad).UTC(); !got.Equal(time.Date(2026, 8, 3, 21, 0, 0, 0, time.UTC)) {
		t.Errorf("In(Baghdad) = %v, want 21:00 UTC the day before", got)
	}
	if got := DateOf(time.Date(2026, 8, 3, 21, 30, 0, 0, time.UTC), baghdad); got != d {
		t.Errorf("DateOf 21:30 UTC in Baghdad = %v, want %v", got, d)
	}
	if got := d.AddDays(-28).String(); got != "2026-07-07" {
		t.Errorf("28 days before: %s", got)
	}
	if d.Weekday() != time.Tuesday {
		t.Errorf("weekday %v, want Tuesday", d.Weekday())
	}
	if got := date(t, "2025-08-15").DaysUntil(d); got != 354 {
		t.Errorf("days from 2025-08-15 to 2026-08-04: %d, want 354", got)
	}
	if !d.AddDays(-1).Before(d) || d.Before(d) {
		t.Error("Before is not strict")
	}
}

func TestPrevious(t *testing.T) {
	mk := func(id, series, first string) Event {
		return Event{ID: id, Series: series, First: date(t, first), Last: date(t, first)}
	}
	list := []Event{
		mk("arbaeen-2024", "arbaeen", "2024-08-16"),
		mk("arbaeen-2025", "arbaeen", "2025-08-06"),
		mk("arbaeen-2026", "arbaeen", "2026-07-27"),
		mk("other-2025", "other", "2025-08-01"),
		mk("loose", "", "2025-08-01"),
	}
	tests := []struct{ of, want string }{
		{"arbaeen-2026", "arbaeen-2025"},
		{"arbaeen-2025", "arbaeen-2024"},
		{"arbaeen-2024", ""},
		{"other-2025", ""},
		{"loose", ""},
	}
	for _, tt := range tests {
		e, _ := Lookup(list, tt.of)
		got, ok := Previous(list, e)
		if ok != (tt.want != "") || got.ID != tt.want {
			t.Errorf("Previous(%s) = %q, %v; want %q", tt.of, got.ID, ok, tt.want)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-08-04", "2026-02-30", "", "26-8-4", "2026-08-04T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if !strings.Contains(err.Error(), "YYYY-MM-DD") {
				t.Errorf("error %q does not say the form wanted", err)
			}
			return
		}
		back, err := ParseDate(d.String())
		if err != nil || back != d {
			t.Errorf("%q → %v → %v, %v: not stable", s, d, back, err)
		}
	})
}
