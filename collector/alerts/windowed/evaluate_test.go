package windowed

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Baghdad wherever the tests run

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

// baghdad is Asia/Baghdad, UTC+3 all year, from the tzdata embedded in
// the test binary.
func baghdad(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Baghdad")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestAgentSilent(t *testing.T) {
	offline := reading.AgentStatus{Online: ptr(false)}
	online := reading.AgentStatus{Online: ptr(true)}
	runRuleCases(t, RuleAgentSilent, []ruleCase{
		{name: "reading just under the limit", facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(6*time.Hour-time.Minute)))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "reading at the limit", facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(6*time.Hour)))},
			want: []want{{facility: "F1", outcome: fires, since: ago(6 * time.Hour), severity: "warning",
				msg:   []string{"No reading since 1 Dec 2026 07:20 UTC"},
				msgAr: []string{"لا توجد قراءات منذ 1 كانون الأول 2026 07:20 UTC"}}}},
		{name: "reading beyond the limit", facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(7*time.Hour+20*time.Minute)))},
			want: []want{{facility: "F1", outcome: fires, since: ago(7*time.Hour + 20*time.Minute),
				msg:   []string{"No reading since 1 Dec 2026 06:00 UTC"},
				msgAr: []string{"لا توجد قراءات منذ 1 كانون الأول 2026 06:00 UTC"}}}},
		{name: "silent for days", facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(50*time.Hour+10*time.Minute)))},
			want: []want{{facility: "F1", outcome: fires, since: ago(50*time.Hour + 10*time.Minute),
				msg: []string{"No reading since 29 Nov 2026 11:10 UTC"}, msgAr: []string{"منذ 29 تشرين الثاني 2026 11:10 UTC"}}}},
		{name: "in Baghdad time", loc: baghdad(t), facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(7*time.Hour+20*time.Minute)))},
			want: []want{{facility: "F1", outcome: fires, msg: []string{"No reading since 1 Dec 2026 09:00 +03"},
				msgAr: []string{"لا توجد قراءات منذ 1 كانون الأول 2026 09:00 +03"}}}},
		{name: "heard before a reconnection, silent since for the limit", started: ptr(ago(6 * time.Hour)),
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(10*time.Hour)))},
			want:       []want{{facility: "F1", outcome: fires, since: ago(10 * time.Hour), msg: []string{"No reading since 1 Dec 2026 03:20 UTC"}}}},
		{name: "heard before a recent reconnection: not yet judged", started: ptr(ago(time.Hour)),
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(10*time.Hour)))},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "never heard, collector started at the limit", started: ptr(ago(6 * time.Hour)),
			facilities: []Facility{fac("F1", "IQ-BG")},
			want: []want{{facility: "F1", outcome: fires, since: ago(6 * time.Hour),
				msg:   []string{"No reading since 1 Dec 2026 07:20 UTC, when the collector began listening"},
				msgAr: []string{"لم تصل أي قراءة منذ 1 كانون الأول 2026 07:20 UTC، حين بدأ المُجمِّع الاستماع"}}}},
		{name: "never heard, collector started just under the limit", started: ptr(ago(6*time.Hour - time.Minute)),
			facilities: []Facility{fac("F1", "IQ-BG")},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "restart: never heard yet", started: ptr(testNow()),
			facilities: []Facility{fac("F1", "IQ-BG")},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "restart: an offline will redelivered", started: ptr(testNow()),
			facilities: []Facility{fac("F1", "IQ-BG", status(offline, testNow()))},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "restart: heard recently", started: ptr(testNow()),
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Minute)))},
			want:       []want{{facility: "F1", outcome: clears}}},
		{name: "disconnected: heard long ago", started: ptr(testNow()),
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(30*time.Hour)), status(offline, ago(29*time.Hour)))},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "never heard, start unknown", started: &time.Time{},
			facilities: []Facility{fac("F1", "IQ-BG")},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "offline at the limit despite a recent reading",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Minute)), status(offline, ago(6*time.Hour)))},
			want: []want{{facility: "F1", outcome: fires, since: ago(6 * time.Hour),
				msg:   []string{"The agent went offline at 1 Dec 2026 07:20 UTC"},
				msgAr: []string{"انقطع اتصال الوكيل في 1 كانون الأول 2026 07:20 UTC"}}}},
		{name: "offline in Baghdad time", loc: baghdad(t),
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Minute)), status(offline, ago(6*time.Hour)))},
			want: []want{{facility: "F1", outcome: fires, msg: []string{"The agent went offline at 1 Dec 2026 10:20 +03"},
				msgAr: []string{"انقطع اتصال الوكيل في 1 كانون الأول 2026 10:20 +03"}}}},
		{name: "offline just under the limit, before the last reading",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Minute)), status(offline, ago(6*time.Hour-time.Minute)))},
			want:       []want{{facility: "F1", outcome: clears}}},
		{name: "offline at the last reading's time",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Hour)), status(offline, ago(time.Hour)))},
			want:       []want{{facility: "F1", outcome: clears}}},
		{name: "offline since the last reading, under the limit",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(2*time.Hour)), status(offline, ago(time.Hour)))},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "offline and silent: the offline message", started: ptr(ago(100 * time.Hour)),
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(80*time.Hour)), status(offline, ago(79*time.Hour)))},
			want: []want{{facility: "F1", outcome: fires, since: ago(79 * time.Hour),
				msg: []string{"The agent went offline at 28 Nov 2026 06:20 UTC"}}}},
		{name: "offline status from before the start: the silence",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(80*time.Hour)), status(offline, ago(79*time.Hour)))},
			want: []want{{facility: "F1", outcome: fires, since: ago(80 * time.Hour),
				msg: []string{"No reading since 28 Nov 2026 05:20 UTC"}}}},
		{name: "offline status received at the start, held for the limit", started: ptr(ago(6 * time.Hour)),
			facilities: []Facility{fac("F1", "IQ-BG", status(offline, ago(6*time.Hour)))},
			want:       []want{{facility: "F1", outcome: fires, since: ago(6 * time.Hour), msg: []string{"The agent went offline at 1 Dec 2026 07:20 UTC"}}}},
		{name: "offline status without a time, start unknown", started: &time.Time{},
			facilities: []Facility{fac("F1", "IQ-BG", status(offline, time.Time{}))},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "offline status from before a recent reconnection", started: ptr(ago(time.Hour)),
			facilities: []Facility{fac("F1", "IQ-BG", status(offline, ago(7*time.Hour)))},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "offline recently but silent long: the silence",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(8*time.Hour)), status(offline, ago(time.Hour)))},
			want: []want{{facility: "F1", outcome: fires, since: ago(8 * time.Hour),
				msg: []string{"No reading since 1 Dec 2026 05:20 UTC"}}}},
		{name: "online status long ago, recent reading",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Minute)), status(online, ago(30*time.Hour)))},
			want:       []want{{facility: "F1", outcome: clears}}},
		{name: "online status after the last reading",
			facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(2*time.Hour)), status(online, ago(time.Hour)))},
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
	offlineWith := func(depth *int64, age time.Duration) facOpt {
		return status(reading.AgentStatus{Online: ptr(false), OutboxDepth: depth, OldestUnsent: ptr(ago(age))}, ago(time.Minute))
	}
	runRuleCases(t, RuleOutboxBacklog, []ruleCase{
		{name: "no status", facilities: []Facility{fac("F1", "IQ-BG", lastReading(ago(time.Minute)))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "status without oldest_unsent",
			facilities: []Facility{fac("F1", "IQ-BG", status(reading.AgentStatus{Online: ptr(true), OutboxDepth: ptr(int64(3))}, ago(time.Minute)))},
			want:       []want{{facility: "F1", outcome: clears}}},
		{name: "status without online key or oldest_unsent",
			facilities: []Facility{fac("F1", "IQ-BG", status(reading.AgentStatus{Version: "1.2"}, ago(time.Minute)))},
			want:       []want{{facility: "F1", outcome: clears}}},
		{name: "offline will", facilities: []Facility{fac("F1", "IQ-BG", status(reading.AgentStatus{Online: ptr(false)}, ago(time.Minute)))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "offline will redelivered at a restart", started: ptr(testNow()),
			facilities: []Facility{fac("F1", "IQ-BG", status(reading.AgentStatus{Online: ptr(false)}, testNow()))},
			want:       []want{{facility: "F1", outcome: none}}},
		{name: "offline, empty outbox", facilities: []Facility{fac("F1", "IQ-BG", offlineWith(ptr(int64(0)), 72*time.Hour))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "offline, fresh oldest_unsent", facilities: []Facility{fac("F1", "IQ-BG", offlineWith(ptr(int64(4)), time.Hour))},
			want: []want{{facility: "F1", outcome: none}}},
		{name: "offline, naming a backlog beyond the limit", facilities: []Facility{fac("F1", "IQ-BG", offlineWith(ptr(int64(4)), 30*time.Hour))},
			want: []want{{facility: "F1", outcome: fires, since: ago(30 * time.Hour), msg: []string{"holds 4 unsent readings"}}}},
		{name: "empty outbox with a stale oldest_unsent", facilities: []Facility{fac("F1", "IQ-BG", withOldest(ptr(int64(0)), 72*time.Hour))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "just under the limit", facilities: []Facility{fac("F1", "IQ-BG", withOldest(ptr(int64(120)), 24*time.Hour-time.Minute))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "at the limit", facilities: []Facility{fac("F1", "IQ-BG", withOldest(ptr(int64(120)), 24*time.Hour))},
			want: []want{{facility: "F1", outcome: clears}}},
		{name: "just over the limit", facilities: []Facility{fac("F1", "IQ-BG", withOldest(ptr(int64(120)), 24*time.Hour+time.Minute))},
			want: []want{{facility: "F1", outcome: fires, since: ago(24*time.Hour + time.Minute),
				msg:   []string{"The agent's outbox holds 120 unsent readings, the oldest from 30 Nov 2026 13:19 UTC, older than the 24 h limit"},
				msgAr: []string{"بقراءات غير مرسلة عددها 120،", "أقدمها من 30 تشرين الثاني 2026 13:19 UTC،", "الحد البالغ 24 ساعة"}}}},
		{name: "days old, depth unknown", facilities: []Facility{fac("F1", "IQ-BG", withOldest(nil, 50*time.Hour))},
			want: []want{{facility: "F1", outcome: fires, msg: []string{"holds unsent readings, the oldest from 29 Nov 2026 11:20 UTC,"},
				msgAr: []string{"بقراءات غير مرسلة،", "من 29 تشرين الثاني 2026 11:20 UTC"}}}},
		{name: "in Baghdad time", loc: baghdad(t), facilities: []Facility{fac("F1", "IQ-BG", withOldest(ptr(int64(340)), 51*time.Hour+20*time.Minute))},
			want: []want{{facility: "F1", outcome: fires,
				msg:   []string{"The agent's outbox holds 340 unsent readings, the oldest from 29 Nov 2026 13:00 +03, older than the 24 h limit"},
				msgAr: []string{"أقدمها من 29 تشرين الثاني 2026 13:00 +03،"}}}},
		{name: "governorate override", override: map[string]func(*Settings){"IQ-BA": func(s *Settings) { s.OutboxBacklog.OlderThan = 72 * time.Hour }},
			facilities: []Facility{fac("BA1", "IQ-BA", withOldest(ptr(int64(9)), 48*time.Hour)), fac("BG1", "IQ-BG", withOldest(ptr(int64(9)), 48*time.Hour))},
			want:       []want{{facility: "BA1", outcome: clears}, {facility: "BG1", outcome: fires, msg: []string{"older than the 24 h limit"}}}},
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
		{name: "started just under the window", started: ptr(ago(time.Hour - time.Minute)),
			facilities: []Facility{fac("F1", "IQ-BG", rejections(30)), fac("F2", "IQ-BG")},
			want:       []want{{facility: "F1", outcome: none}, {facility: "F2", outcome: none}}},
		{name: "restart", started: ptr(testNow()),
			facilities: []Facility{fac("F1", "IQ-BG")}, want: []want{{facility: "F1", outcome: none}}},
		{name: "started a window ago", started: ptr(ago(time.Hour)),
			facilities: []Facility{fac("F1", "IQ-BG", rejections(30)), fac("F2", "IQ-BG")},
			want:       []want{{facility: "F1", outcome: fires}, {facility: "F2", outcome: clears}}},
		{name: "start unknown", started: &time.Time{},
			facilities: []Facility{fac("F1", "IQ-BG")}, want: []want{{facility: "F1", outcome: clears}}},
		{name: "window overridden longer than the uptime", started: ptr(ago(2 * time.Hour)),
			override:   map[string]func(*Settings){"IQ-BA": func(s *Settings) { s.RejectionsRepeated.Within = 3 * time.Hour }},
			facilities: []Facility{fac("BA1", "IQ-BA", rejections(30)), fac("BG1", "IQ-BG", rejections(30))},
			want:       []want{{facility: "BA1", outcome: none}, {facility: "BG1", outcome: fires}}},
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
	for _, rule := range Rules() {
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

// TestMessagesStableAcrossSweeps checks that a condition that holds gives
// the same messages at every sweep: a changed message republishes the
// facility's alerts and notifies again.
func TestMessagesStableAcrossSweeps(t *testing.T) {
	offline := reading.AgentStatus{Online: ptr(false)}
	backlog := reading.AgentStatus{Online: ptr(true), OutboxDepth: ptr(int64(340)), OldestUnsent: ptr(ago(50 * time.Hour))}
	for _, c := range []struct {
		name    string
		rule    string
		started time.Time
		f       Facility
		// sinceNow: the rule knows no start of the condition, so Since is
		// each sweep's Now.
		sinceNow bool
	}{
		{"silent since a reading", RuleAgentSilent, ago(48 * time.Hour), fac("F1", "IQ-BG", lastReading(ago(7*time.Hour+20*time.Minute))), false},
		{"never heard since the start", RuleAgentSilent, ago(7 * time.Hour), fac("F1", "IQ-BG"), false},
		{"offline", RuleAgentSilent, ago(48 * time.Hour), fac("F1", "IQ-BG", lastReading(ago(time.Minute)), status(offline, ago(7*time.Hour))), false},
		{"outbox backlog", RuleOutboxBacklog, ago(48 * time.Hour), fac("F1", "IQ-BG", status(backlog, ago(time.Minute))), false},
		{"rejections", RuleRejectionsRepeated, ago(48 * time.Hour), fac("F1", "IQ-BG", rejections(25)), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var first *Finding
			for _, later := range []time.Duration{0, time.Minute, 37 * time.Minute, 2*time.Hour + 5*time.Minute, 26 * time.Hour} {
				snap := Snapshot{Now: testNow().Add(later), Started: c.started, Location: baghdad(t), Facilities: []Facility{c.f}}
				outcome, f := find(Evaluate(snap, settingsFunc(nil, nil)), c.rule, "F1")
				if outcome != fires {
					t.Fatalf("%s later: %s, want firing", later, outcome)
				}
				if first == nil {
					first = f
					continue
				}
				if f.Message != first.Message || f.MessageAr != first.MessageAr || (!c.sinceNow && !f.Since.Equal(first.Since)) {
					t.Errorf("%s later: %q / %q since %s, was %q / %q since %s", later, f.Message, f.MessageAr, f.Since,
						first.Message, first.MessageAr, first.Since)
				}
			}
		})
	}
}

// TestListsFresh checks that Rules and Indicators give callers their own
// slices: changing one changes neither the next call nor Evaluate.
func TestListsFresh(t *testing.T) {
	for _, c := range []struct {
		name  string
		get   func() any // the list
		spoil func()
	}{
		{"Rules", func() any { return Rules() }, func() { rs := Rules(); rs[0], rs[1] = "bogus", rs[0] }},
		{"Indicators", func() any { return Indicators() }, func() { ids := Indicators(); ids[0], ids[1] = "bogus", ids[0] }},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := fmt.Sprintf("%q", c.get()) // a copy, should c.get alias
			c.spoil()
			if got := fmt.Sprintf("%q", c.get()); got != want {
				t.Errorf("after changing a result: %v, want %v", got, want)
			}
			got := Evaluate(Snapshot{Now: testNow(), Started: ago(48 * time.Hour), Facilities: everything("F1", "IQ-BG")},
				func(string) Settings { return DefaultSettings() })
			checkInvariants(t, got)
			for _, rule := range Rules() {
				if outcome, _ := find(got, rule, "F1"); outcome != fires {
					t.Errorf("%s after changing a result: %s, want firing", rule, outcome)
				}
			}
		})
	}
}
