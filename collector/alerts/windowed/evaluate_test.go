package windowed

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

func TestAgentSilent(t *testing.T) {
	offline := reading.AgentStatus{Online: ptr(false)}
	online := reading.AgentStatus{Online: ptr(true)}
	runRuleCases(t, RuleAgentSilent, []ruleCase{
		{name: "reading just under the limit", facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(6*time.Hour-time.Minute)))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "reading at the limit", facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(6*time.Hour)))},
			want: []want{{facility: "F1", outcome: fires, since: ago(6 * time.Hour), severity: "warning",
				msg:   []string{"No reading for 6 h (last at 2026-12-01 07:20 UTC)"},
				msgAr: []string{"لا توجد قراءات منذ 6 ساعات", "2026-12-01 07:20 UTC"}}}},
		{name: "reading beyond the limit", facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(7*time.Hour+20*time.Minute)))},
			want: []want{{facility: "F1", outcome: fires, since: ago(7*time.Hour + 20*time.Minute),
				msg:   []string{"No reading for 7 h 20 min (last at 2026-12-01 06:00 UTC)"},
				msgAr: []string{"منذ 7 ساعات و20 دقيقة"}}}},
		{name: "silent for days", facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(50*time.Hour+10*time.Minute)))},
			want: []want{{facility: "F1", outcome: fires, msg: []string{"No reading for 2 days 2 h ("}, msgAr: []string{"منذ يومين وساعتين"}}}},
		{name: "never heard, collector started at the limit", started: ptr(ago(6 * time.Hour)),
			facilities: []Facility{fac("F1", "IQ-BG")},
			want: []want{{facility: "F1", outcome: fires, since: ago(6 * time.Hour),
				msg:   []string{"No reading since the collector started 6 h ago"},
				msgAr: []string{"منذ بدء تشغيل المُجمِّع قبل 6 ساعات"}}}},
		{name: "never heard, collector started just under the limit", started: ptr(ago(6*time.Hour - time.Minute)),
			facilities: []Facility{fac("F1", "IQ-BG")},
			want:       []want{{facility: "F1", outcome: clears}}},
		{name: "never heard, start unknown", started: &time.Time{},
			facilities: []Facility{fac("F1", "IQ-BG")},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "offline at the limit despite a recent reading",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Minute)), status(offline, ago(6*time.Hour)))},
			want: []want{{facility: "F1", outcome: fires, since: ago(6 * time.Hour),
				msg:   []string{"The agent went offline 6 h ago (at 2026-12-01 07:20 UTC)"},
				msgAr: []string{"انقطع اتصال الوكيل منذ 6 ساعات"}}}},
		{name: "offline just under the limit",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Minute)), status(offline, ago(6*time.Hour-time.Minute)))},
			want:       []want{{facility: "F1", outcome: clears}}},
		{name: "offline and silent: the offline message",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(80*time.Hour)), status(offline, ago(79*time.Hour)))},
			want: []want{{facility: "F1", outcome: fires, since: ago(79 * time.Hour),
				msg: []string{"The agent went offline 3 days 7 h ago"}}}},
		{name: "offline recently but silent long: the silence",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(8*time.Hour)), status(offline, ago(time.Hour)))},
			want:       []want{{facility: "F1", outcome: fires, since: ago(8 * time.Hour), msg: []string{"No reading for 8 h ("}}}},
		{name: "online status long ago, recent reading",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Minute)), status(online, ago(30*time.Hour)))},
			want:       []want{{facility: "F1", outcome: clears}}},
		{name: "status without online key",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Minute)), status(reading.AgentStatus{Version: "1.2"}, ago(30*time.Hour)))},
			want:       []want{{facility: "F1", outcome: clears}}},
		{name: "governorate override", override: map[string]func(*Settings){"IQ-BA": func(s *Settings) { s.AgentSilent.SilentAfter = 12 * time.Hour }},
			facilities: []Facility{fac("BA1", "IQ-BA", lastReading(ago(8*time.Hour))), fac("BG1", "IQ-BG", lastReading(ago(8*time.Hour)))},
			want:       []want{{facility: "BA1", outcome: clears}, {facility: "BG1", outcome: fires}}},
	})
}

func TestOutboxBacklog(t *testing.T) {
	withOldest := func(depth *int64, age time.Duration) facOpt {
		return status(reading.AgentStatus{Online: ptr(true), OutboxDepth: depth, OldestUnsent: ptr(ago(age))}, ago(time.Minute))
	}
	runRuleCases(t, RuleOutboxBacklog, []ruleCase{
		{name: "no status", facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Minute)))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "status without oldest_unsent",
			facilities: []Facility{fac("F1", "IQ-BG", status(reading.AgentStatus{Online: ptr(true), OutboxDepth: ptr(int64(3))}, ago(time.Minute)))},
			want:       []want{{facility: "F1", outcome: clears}}},
		{name: "empty outbox with a stale oldest_unsent", facilities: []Facility{fac("F1", "IQ-BG", withOldest(ptr(int64(0)), 72*time.Hour))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "just under the limit", facilities: []Facility{fac("F1", "IQ-BG", withOldest(ptr(int64(120)), 24*time.Hour-time.Minute))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "at the limit", facilities: []Facility{fac("F1", "IQ-BG", withOldest(ptr(int64(120)), 24*time.Hour))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "just over the limit", facilities: []Facility{fac("F1", "IQ-BG", withOldest(ptr(int64(120)), 24*time.Hour+time.Minute))},
			want: []want{{facility: "F1", outcome: fires, since: ago(24*time.Hour + time.Minute),
				msg:   []string{"holds 120 unsent readings, the oldest 24 h 1 min old (from 2026-11-30 13:19 UTC), beyond the 24 h limit"},
				msgAr: []string{"بقراءات غير مرسلة عددها 120،", "وعمر أقدمها 24 ساعة ودقيقة", "الحد البالغ 24 ساعة"}}}},
		{name: "days old, depth unknown", facilities: []Facility{fac("F1", "IQ-BG", withOldest(nil, 50*time.Hour))},
			want: []want{{facility: "F1", outcome: fires, msg: []string{"holds unsent readings, the oldest 2 days 2 h old"},
				msgAr: []string{"بقراءات غير مرسلة،", "يومين وساعتين"}}}},
		{name: "governorate override", override: map[string]func(*Settings){"IQ-BA": func(s *Settings) { s.OutboxBacklog.OlderThan = 72 * time.Hour }},
			facilities: []Facility{fac("BA1", "IQ-BA", withOldest(ptr(int64(9)), 48*time.Hour)), fac("BG1", "IQ-BG", withOldest(ptr(int64(9)), 48*time.Hour))},
			want:       []want{{facility: "BA1", outcome: clears}, {facility: "BG1", outcome: fires, msg: []string{"beyond the 24 h limit"}}}},
	})
}

func TestGridAvailabilityLow(t *testing.T) {
	grid := func(pct float64) facOpt { return vals(indicators.GridAvailabilityPct, pct) }
	runRuleCases(t, RuleGridAvailabilityLow, []ruleCase{
		{name: "no value", facilities: []Facility{fac("F1", "IQ-BG", vals(indicators.SolarKWh, 3))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "only an older day", facilities: []Facility{fac("F1", "IQ-BG", on(indicators.GridAvailabilityPct, 10, 2))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "not a number", facilities: []Facility{fac("F1", "IQ-BG", grid(math.NaN()))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "just below", facilities: []Facility{fac("F1", "IQ-BG", grid(49.94))},
			want: []want{{facility: "F1", outcome: fires, severity: "warning", since: testNow(),
				msg:   []string{"The grid was available 49.9 % of yesterday, below 50 %"},
				msgAr: []string{"49.9%", "50%"}}}},
		{name: "at the threshold", facilities: []Facility{fac("F1", "IQ-BG", grid(50))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "above", facilities: []Facility{fac("F1", "IQ-BG", grid(50.1))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "zero", facilities: []Facility{fac("F1", "IQ-BG", grid(0))},
			want: []want{{facility: "F1", outcome: fires, msg: []string{"available 0.0 %"}}}},
		{name: "IQ-BA overridden to 30", override: map[string]func(*Settings){"IQ-BA": func(s *Settings) {
			s.GridAvailabilityLow.BelowPct = 30
			s.GridAvailabilityLow.Severity = "critical"
		}},
			facilities: []Facility{fac("BA1", "IQ-BA", grid(40)), fac("BA2", "IQ-BA", grid(29.9)), fac("NI1", "IQ-NI", grid(40))},
			want: []want{{facility: "BA1", outcome: clears},
				{facility: "BA2", outcome: fires, severity: "critical", msg: []string{"29.9 %", "below 30 %"}},
				{facility: "NI1", outcome: fires, severity: "warning", msg: []string{"below 50 %"}}}},
	})
}

func TestGeneratorFuelHigh(t *testing.T) {
	gen := func(litres, kwh float64) facOpt {
		return func(f *Facility) {
			vals(indicators.GeneratorFuelL, litres)(f)
			vals(indicators.GeneratorKWh, kwh)(f)
		}
	}
	runRuleCases(t, RuleGeneratorFuelHigh, []ruleCase{
		{name: "no fuel", facilities: []Facility{fac("F1", "IQ-BG", vals(indicators.GeneratorKWh, 100))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "no kWh", facilities: []Facility{fac("F1", "IQ-BG", vals(indicators.GeneratorFuelL, 100))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "values of an older day only", facilities: []Facility{fac("F1", "IQ-BG",
			on(indicators.GeneratorFuelL, 100, 2), on(indicators.GeneratorKWh, 100, 2))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "kWh just under min_kwh", facilities: []Facility{fac("F1", "IQ-BG", gen(9, 9.99))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "kWh at min_kwh, ratio just above", facilities: []Facility{fac("F1", "IQ-BG", gen(6.1, 10))},
			want: []want{{facility: "F1", outcome: fires, since: testNow(),
				msg:   []string{"The generator burned 6.1 L for 10.0 kWh yesterday: 0.61 L/kWh, above 0.6 L/kWh"},
				msgAr: []string{"6.1 لتر", "10.0 كيلوواط ساعي", "0.61 لتر لكل كيلوواط ساعي", "0.6 لتر"}}}},
		{name: "ratio at the threshold", facilities: []Facility{fac("F1", "IQ-BG", gen(6, 10))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "ratio just below", facilities: []Facility{fac("F1", "IQ-BG", gen(5.9, 10))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "no fuel burned", facilities: []Facility{fac("F1", "IQ-BG", gen(0, 200))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "large figures", facilities: []Facility{fac("F1", "IQ-BG", gen(180, 200))},
			want: []want{{facility: "F1", outcome: fires, msg: []string{"180.0 L for 200.0 kWh", "0.90 L/kWh"}}}},
		{name: "governorate override", override: map[string]func(*Settings){"IQ-BA": func(s *Settings) { s.GeneratorFuelHigh.AboveLPerKWh = 1 }},
			facilities: []Facility{fac("BA1", "IQ-BA", gen(90, 100)), fac("BG1", "IQ-BG", gen(90, 100))},
			want:       []want{{facility: "BA1", outcome: clears}, {facility: "BG1", outcome: fires}}},
	})
}

func TestWasteNotReported(t *testing.T) {
	waste := indicators.WasteKg
	// The defaults: recent days 1–3, usual window days 4–31, usual when
	// reported on at least 14 of those 28 days.
	runRuleCases(t, RuleWasteNotReported, []ruleCase{
		{name: "no waste data at all", facilities: []Facility{fac("F1", "IQ-BG")},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "reported yesterday", facilities: []Facility{fac("F1", "IQ-BG", on(waste, 12, 1), on(waste, 12, span(4, 31)...))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "reported on the last recent day", facilities: []Facility{fac("F1", "IQ-BG", on(waste, 12, 3), on(waste, 12, span(4, 31)...))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "reported recently, not usually", facilities: []Facility{fac("F1", "IQ-BG", on(waste, 12, 2))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "usual on exactly half the days, none recent", facilities: []Facility{fac("F1", "IQ-BG", on(waste, 12, span(4, 17)...))},
			want: []want{{facility: "F1", outcome: fires, since: testNow(),
				msg:   []string{"No waste reported in the last 3 days, though reported on 14 of the 28 days before"},
				msgAr: []string{"خلال آخر 3 أيام،", "في 14 من الأيام الـ28 السابقة"}}}},
		{name: "usual on one day too few", facilities: []Facility{fac("F1", "IQ-BG", on(waste, 12, span(4, 16)...))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "days beyond the usual window do not count",
			facilities: []Facility{fac("F1", "IQ-BG", on(waste, 12, span(19, 31)...), on(waste, 12, span(32, 60)...))},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "zero kg is not a report", facilities: []Facility{fac("F1", "IQ-BG", on(waste, 0, 1, 2, 3), on(waste, 5, span(4, 31)...))},
			want: []want{{facility: "F1", outcome: fires, msg: []string{"reported on 28 of the 28 days"}}}},
		{name: "zero kg in the usual window does not count", facilities: []Facility{fac("F1", "IQ-BG", on(waste, 0, span(4, 31)...))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "governorate override of the window", override: map[string]func(*Settings){"IQ-BA": func(s *Settings) {
			s.WasteNotReported.Days = 1
			s.WasteNotReported.UsualDays = 7
			s.WasteNotReported.UsualSharePct = 100
		}},
			facilities: []Facility{fac("BA1", "IQ-BA", on(waste, 3, span(2, 8)...)), fac("BA2", "IQ-BA", on(waste, 3, span(2, 7)...)),
				fac("BG1", "IQ-BG", on(waste, 3, span(2, 8)...))},
			want: []want{{facility: "BA1", outcome: fires, msg: []string{"in the last day, though reported on 7 of the 7 days"}},
				{facility: "BA2", outcome: none}, {facility: "BG1", outcome: clears}}},
	})
}

func TestRejectionsRepeated(t *testing.T) {
	runRuleCases(t, RuleRejectionsRepeated, []ruleCase{
		{name: "none", facilities: []Facility{fac("F1", "IQ-BG")}, want: []want{{facility: "F1", outcome: clears}}},
		{name: "just under", facilities: []Facility{fac("F1", "IQ-BG", rejections(19))}, want: []want{{facility: "F1", outcome: clears}}},
		{name: "at the count", facilities: []Facility{fac("F1", "IQ-BG", rejections(20))},
			want: []want{{facility: "F1", outcome: fires, since: testNow(),
				msg:   []string{"20 messages or batch items rejected in the last 1 h (limit 20)"},
				msgAr: []string{"المرفوضة خلال آخر ساعة: 20 (الحد 20)"}}}},
		{name: "above", facilities: []Facility{fac("F1", "IQ-BG", rejections(250))},
			want: []want{{facility: "F1", outcome: fires, msg: []string{"250 messages"}}}},
		{name: "governorate override", override: map[string]func(*Settings){"IQ-BA": func(s *Settings) { s.RejectionsRepeated.Count = 100 }},
			facilities: []Facility{fac("BA1", "IQ-BA", rejections(50)), fac("BG1", "IQ-BG", rejections(50))},
			want:       []want{{facility: "BA1", outcome: clears}, {facility: "BG1", outcome: fires}}},
	})
}

// everything builds a facility on which every rule fires under the
// defaults, with peers for the solar rule.
func everything(id, gov string) []Facility {
	return []Facility{
		fac(id, gov, pv(10), lastReading(ago(7*time.Hour)),
			status(reading.AgentStatus{Online: ptr(true), OutboxDepth: ptr(int64(5)), OldestUnsent: ptr(ago(30 * time.Hour))}, ago(7*time.Hour)),
			rejections(30), vals(indicators.GridAvailabilityPct, 10), vals(indicators.SolarKWh, 1, 1, 1),
			vals(indicators.GeneratorFuelL, 100), vals(indicators.GeneratorKWh, 100), on(indicators.WasteKg, 4, span(4, 31)...)),
		fac(id+"-P1", gov, pv(10), vals(indicators.SolarKWh, 40, 40, 40)),
		fac(id+"-P2", gov, pv(10), vals(indicators.SolarKWh, 50, 50, 50)),
		fac(id+"-P3", gov, pv(10), vals(indicators.SolarKWh, 60, 60, 60)),
	}
}

func TestEveryRuleFires(t *testing.T) {
	got := Evaluate(Snapshot{Now: testNow(), Started: ago(48 * time.Hour), Facilities: everything("F1", "IQ-BG")},
		func(string) Settings { return DefaultSettings() })
	checkInvariants(t, got)
	for _, rule := range Rules {
		if outcome, f := find(got, rule, "F1"); outcome != fires {
			t.Errorf("%s: got %s (%+v), want firing", rule, outcome, f)
		}
	}
}

func TestDisabledRules(t *testing.T) {
	fs := append(everything("BA1", "IQ-BA"), everything("BG1", "IQ-BG")...)
	snap := Snapshot{Now: testNow(), Started: ago(48 * time.Hour), Facilities: fs}

	t.Run("all disabled", func(t *testing.T) {
		got := Evaluate(snap, settingsFunc(func(s *Settings) {
			for _, r := range []*Rule{&s.AgentSilent.Rule, &s.OutboxBacklog.Rule, &s.GridAvailabilityLow.Rule,
				&s.SolarUnderperforming.Rule, &s.GeneratorFuelHigh.Rule, &s.WasteNotReported.Rule, &s.RejectionsRepeated.Rule} {
				r.Enabled = false
			}
		}, nil))
		if len(got) != 0 {
			t.Errorf("got %d findings, want none: %+v", len(got), got)
		}
	})

	t.Run("disabled in one governorate", func(t *testing.T) {
		got := Evaluate(snap, settingsFunc(nil, map[string]func(*Settings){"IQ-BA": func(s *Settings) {
			s.GridAvailabilityLow.Enabled = false
			s.SolarUnderperforming.Enabled = false
		}}))
		checkInvariants(t, got)
		for _, f := range got {
			if strings.HasPrefix(f.Facility, "BA1") && (f.Rule == RuleGridAvailabilityLow || f.Rule == RuleSolarUnderperforming) {
				t.Errorf("finding of a rule disabled in IQ-BA: %+v", f)
			}
		}
		for _, rule := range []string{RuleGridAvailabilityLow, RuleSolarUnderperforming, RuleAgentSilent} {
			if outcome, _ := find(got, rule, "BG1"); outcome != fires {
				t.Errorf("%s BG1: got %s, want firing", rule, outcome)
			}
		}
		if outcome, _ := find(got, RuleAgentSilent, "BA1"); outcome != fires {
			t.Errorf("agent_silent BA1: got %s, want firing", outcome)
		}
	})
}

func TestSettingsCalledOncePerGovernorate(t *testing.T) {
	fs := append(everything("BA1", "IQ-BA"), everything("BG1", "IQ-BG")...)
	fs = append(fs, everything("BA2", "IQ-BA")...)
	calls := map[string]int{}
	Evaluate(Snapshot{Now: testNow(), Started: ago(time.Hour), Facilities: fs}, func(gov string) Settings {
		calls[gov]++
		return DefaultSettings()
	})
	if len(calls) != 2 || calls["IQ-BA"] != 1 || calls["IQ-BG"] != 1 {
		t.Errorf("settings calls %v, want one per governorate", calls)
	}
}

func TestEvaluateDeterministic(t *testing.T) {
	snap := benchSnapshot(300, 5, 31)
	settings := func(string) Settings { return DefaultSettings() }
	first := Evaluate(snap, settings)
	checkInvariants(t, first)
	if len(first) == 0 {
		t.Fatal("no findings")
	}
	firing := 0
	for _, f := range first {
		if f.Firing {
			firing++
		}
	}
	if firing == 0 || firing == len(first) {
		t.Errorf("%d of %d findings firing: want a mix", firing, len(first))
	}

	again := Evaluate(snap, settings)
	if !equalFindings(first, again) {
		t.Error("the same snapshot twice gave different findings")
	}

	// The facilities' order in the snapshot must not matter either.
	rev := snap
	rev.Facilities = make([]Facility, len(snap.Facilities))
	for i, f := range snap.Facilities {
		rev.Facilities[len(snap.Facilities)-1-i] = f
	}
	if !equalFindings(first, Evaluate(rev, settings)) {
		t.Error("reversing the facilities changed the findings")
	}
}

func equalFindings(a, b []Finding) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Rule != y.Rule || x.Facility != y.Facility || x.Firing != y.Firing || x.Severity != y.Severity ||
			x.Message != y.Message || x.MessageAr != y.MessageAr || !x.Since.Equal(y.Since) {
			return false
		}
	}
	return true
}

func TestEmptyWindowsNoPanic(t *testing.T) {
	got := Evaluate(Snapshot{Now: testNow(), Started: ago(time.Hour), Facilities: everything("F1", "IQ-BG")},
		settingsFunc(func(s *Settings) {
			s.SolarUnderperforming.Days = -1
			s.WasteNotReported.UsualDays = 0
		}, nil))
	for _, rule := range []string{RuleSolarUnderperforming, RuleWasteNotReported} {
		if outcome, f := find(got, rule, "F1"); outcome != none {
			t.Errorf("%s with an empty window: got %s (%+v), want no finding", rule, outcome, f)
		}
	}
}
