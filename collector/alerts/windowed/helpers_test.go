package windowed

import (
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

// testNow is the snapshots' Now in the tests.
func testNow() time.Time { return time.Date(2026, 12, 1, 13, 20, 0, 0, time.UTC) }

func ago(d time.Duration) time.Time { return testNow().Add(-d) }

type facOpt func(*Facility)

// fac builds a facility of the governorate; without options it has no
// reading, no status and no daily values.
func fac(id, gov string, opts ...facOpt) Facility {
	f := Facility{ID: id, District: gov + "-D1", Governorate: gov}
	for _, o := range opts {
		o(&f)
	}
	return f
}

func lastReading(t time.Time) facOpt { return func(f *Facility) { f.LastReading = t } }

func status(s reading.AgentStatus, at time.Time) facOpt {
	return func(f *Facility) { f.Status, f.StatusAt = &s, at }
}

func pv(kWp float64) facOpt { return func(f *Facility) { f.PVkWp = kWp } }

func rejections(n int) facOpt { return func(f *Facility) { f.Rejections = n } }

// vals sets the indicator on days 1, 2, … to vs.
func vals(id indicators.ID, vs ...float64) facOpt {
	return func(f *Facility) {
		for i, v := range vs {
			setDay(f, id, i+1, v)
		}
	}
}

// on sets the indicator to v on each of days.
func on(id indicators.ID, v float64, days ...int) facOpt {
	return func(f *Facility) {
		for _, d := range days {
			setDay(f, id, d, v)
		}
	}
}

func setDay(f *Facility, id indicators.ID, day int, v float64) {
	if f.Days == nil {
		f.Days = map[indicators.ID]map[int]float64{}
	}
	if f.Days[id] == nil {
		f.Days[id] = map[int]float64{}
	}
	f.Days[id][day] = v
}

func span(from, to int) []int {
	var ds []int
	for d := from; d <= to; d++ {
		ds = append(ds, d)
	}
	return ds
}

func ptr[T any](v T) *T { return &v }

// Outcomes of a rule for a facility.
const (
	fires  = "firing"
	clears = "clear"
	none   = "no finding"
)

// want is the expected outcome for one facility; msg and msgAr are
// substrings of the firing messages.
type want struct {
	facility, outcome string
	msg, msgAr        []string
	since             time.Time // checked when not zero
	severity          string    // checked when not empty
}

// ruleCase is a snapshot and the outcomes it must give for one rule.
type ruleCase struct {
	name       string
	set        func(*Settings)            // changes the defaults for every governorate
	override   map[string]func(*Settings) // and further for some
	started    *time.Time                 // default: two days ago
	loc        *time.Location             // the snapshot's Location
	facilities []Facility
	want       []want
}

// runRuleCases evaluates each case and checks the rule's findings: every
// facility of want has its outcome, no other facility has a finding of
// the rule, firing findings carry a severity and both messages, clear
// ones none.
func runRuleCases(t *testing.T, rule string, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			snap := Snapshot{Now: testNow(), Started: ago(48 * time.Hour), Location: c.loc, Facilities: c.facilities}
			if c.started != nil {
				snap.Started = *c.started
			}
			got := Evaluate(snap, settingsFunc(c.set, c.override))
			checkInvariants(t, got)
			seen := map[string]bool{}
			for _, w := range c.want {
				seen[w.facility] = true
				outcome, f := find(got, rule, w.facility)
				if outcome != w.outcome {
					t.Errorf("%s %s: got %s (%+v), want %s", rule, w.facility, outcome, f, w.outcome)
					continue
				}
				if f == nil {
					continue
				}
				for _, s := range w.msg {
					if !strings.Contains(f.Message, s) {
						t.Errorf("%s %s: message %q lacks %q", rule, w.facility, f.Message, s)
					}
				}
				for _, s := range w.msgAr {
					if !strings.Contains(f.MessageAr, s) {
						t.Errorf("%s %s: Arabic message %q lacks %q", rule, w.facility, f.MessageAr, s)
					}
				}
				if !w.since.IsZero() && !f.Since.Equal(w.since) {
					t.Errorf("%s %s: since %s, want %s", rule, w.facility, f.Since, w.since)
				}
				if w.severity != "" && f.Severity != w.severity {
					t.Errorf("%s %s: severity %q, want %q", rule, w.facility, f.Severity, w.severity)
				}
			}
			for _, f := range got {
				if f.Rule == rule && !seen[f.Facility] {
					t.Errorf("unexpected finding %+v", f)
				}
			}
		})
	}
}

// settingsFunc returns the defaults changed by set, and for the
// governorates of override further changed by it.
func settingsFunc(set func(*Settings), override map[string]func(*Settings)) func(string) Settings {
	return func(gov string) Settings {
		s := DefaultSettings()
		if set != nil {
			set(&s)
		}
		if o := override[gov]; o != nil {
			o(&s)
		}
		return s
	}
}

// find returns the outcome of the rule for the facility, and its finding.
func find(fs []Finding, rule, facility string) (string, *Finding) {
	for i := range fs {
		f := &fs[i]
		if f.Rule != rule || f.Facility != facility {
			continue
		}
		if f.Firing {
			return fires, f
		}
		return clears, f
	}
	return none, nil
}

// checkInvariants checks what every Evaluate result must satisfy: sorted
// by rule then facility, one finding per rule and facility, messages and
// severity on firing findings only.
func checkInvariants(t *testing.T, fs []Finding) {
	t.Helper()
	rank := map[string]int{}
	for i, r := range Rules() {
		rank[r] = i
	}
	for i, f := range fs {
		if _, ok := rank[f.Rule]; !ok {
			t.Errorf("finding %d: unknown rule %q", i, f.Rule)
		}
		if f.Severity == "" {
			t.Errorf("finding %+v: no severity", f)
		}
		if f.Firing && (f.Message == "" || f.MessageAr == "") {
			t.Errorf("firing finding %+v: missing message", f)
		}
		if !f.Firing && (f.Message != "" || f.MessageAr != "") {
			t.Errorf("clear finding %+v: has a message", f)
		}
		if f.Since.IsZero() {
			t.Errorf("finding %+v: zero Since", f)
		}
		if i == 0 {
			continue
		}
		p := fs[i-1]
		if rank[p.Rule] > rank[f.Rule] || (p.Rule == f.Rule && p.Facility >= f.Facility) {
			t.Errorf("findings %d and %d out of order: %s/%s then %s/%s", i-1, i, p.Rule, p.Facility, f.Rule, f.Facility)
		}
	}
}
