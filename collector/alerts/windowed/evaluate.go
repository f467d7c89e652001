package windowed

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
)

// Evaluate applies every enabled rule to every facility of s, each with
// the settings of the facility's governorate, and returns a Finding for
// each rule and facility the rule can decide (see the rule functions for
// what each needs). The findings are sorted by rule, in the order of
// Rules, then by facility ID; facilities with the same ID keep their
// order in s. settings is called once per distinct governorate, from the
// calling goroutine; its settings should pass Validate (a rule with an
// empty window gives no findings rather than a panic). Evaluate does not
// modify s and is safe for concurrent use as long as settings is.
func Evaluate(s Snapshot, settings func(governorate string) Settings) []Finding {
	e := newEvaluation(&s, settings)
	var out []Finding
	for _, rule := range Rules {
		for _, i := range e.order {
			st := e.settings[i]
			r := st.rule(rule)
			if !r.Enabled {
				continue
			}
			v := e.judge(rule, i)
			if !v.decided {
				continue
			}
			f := Finding{Rule: rule, Facility: s.Facilities[i].ID, Severity: r.Severity, Since: s.Now}
			if v.firing {
				f.Firing, f.Message, f.MessageAr = true, v.msg, v.msgAr
				if !v.since.IsZero() {
					f.Since = v.since
				}
			}
			out = append(out, f)
		}
	}
	return out
}

// evaluation is one Evaluate call's state.
type evaluation struct {
	snap *Snapshot
	// order is the facilities' indices sorted by ID.
	order []int
	// settings are each facility's governorate's settings, by index.
	settings []*Settings
	// solar holds the peers' solar yields of every governorate whose
	// solar_underperforming rule is enabled.
	solar map[string]*peerYields
}

func newEvaluation(s *Snapshot, settings func(string) Settings) *evaluation {
	e := &evaluation{snap: s, order: make([]int, len(s.Facilities)), settings: make([]*Settings, len(s.Facilities))}
	byGov := map[string]*Settings{}
	members := map[string][]int{}
	for i := range s.Facilities {
		e.order[i] = i
		gov := s.Facilities[i].Governorate
		st, ok := byGov[gov]
		if !ok {
			v := settings(gov)
			st = &v
			byGov[gov] = st
		}
		e.settings[i] = st
		members[gov] = append(members[gov], i)
	}
	slices.SortStableFunc(e.order, func(a, b int) int { return cmp.Compare(s.Facilities[a].ID, s.Facilities[b].ID) })
	e.solar = map[string]*peerYields{}
	for gov, idx := range members {
		if sol := byGov[gov].SolarUnderperforming; sol.Enabled && sol.Days >= 1 {
			e.solar[gov] = newPeerYields(s.Facilities, idx, sol.Days)
		}
	}
	return e
}

// rule returns the switch and severity of the rule named name.
func (s *Settings) rule(name string) Rule {
	switch name {
	case RuleAgentSilent:
		return s.AgentSilent.Rule
	case RuleOutboxBacklog:
		return s.OutboxBacklog.Rule
	case RuleGridAvailabilityLow:
		return s.GridAvailabilityLow.Rule
	case RuleSolarUnderperforming:
		return s.SolarUnderperforming.Rule
	case RuleGeneratorFuelHigh:
		return s.GeneratorFuelHigh.Rule
	case RuleWasteNotReported:
		return s.WasteNotReported.Rule
	case RuleRejectionsRepeated:
		return s.RejectionsRepeated.Rule
	}
	panic("windowed: unknown rule " + name)
}

// verdict is a rule's judgement of one facility.
type verdict struct {
	decided, firing bool
	since           time.Time // zero: Now
	msg, msgAr      string
}

// undecided: the rule cannot judge the facility, which gets no finding.
func undecided() verdict { return verdict{} }

func cleared() verdict { return verdict{decided: true} }

func firing(since time.Time, msg, msgAr string) verdict {
	return verdict{decided: true, firing: true, since: since, msg: msg, msgAr: msgAr}
}

func (e *evaluation) judge(rule string, i int) verdict {
	f, st := &e.snap.Facilities[i], e.settings[i]
	switch rule {
	case RuleAgentSilent:
		return agentSilent(e.snap, f, st)
	case RuleOutboxBacklog:
		return outboxBacklog(e.snap.Now, f, st)
	case RuleGridAvailabilityLow:
		return gridAvailabilityLow(f, st)
	case RuleSolarUnderperforming:
		return solarUnderperforming(f, st, e.solar[f.Governorate])
	case RuleGeneratorFuelHigh:
		return generatorFuelHigh(f, st)
	case RuleWasteNotReported:
		return wasteNotReported(f, st)
	case RuleRejectionsRepeated:
		return rejectionsRepeated(f, st)
	}
	panic("windowed: unknown rule " + rule)
}

// value is the facility's indicator on the day (1: yesterday); a
// non-finite value counts as missing.
func value(f *Facility, id indicators.ID, day int) (float64, bool) {
	v, ok := f.Days[id][day]
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// agentSilent fires when the facility's newest reading (or, never heard
// since the collector started, the start) is at least silent_after old,
// or when the agent's status has said {"online": false} for at least
// silent_after. The offline message wins when both hold: it says why. A
// facility never heard from in a snapshot without Started is undecided.
// The status is taken as it is even when readings arrived after it: a
// reconnecting agent replaces its retained status before it publishes.
func agentSilent(s *Snapshot, f *Facility, st *Settings) verdict {
	after := st.AgentSilent.SilentAfter
	if o := f.Status; o != nil && o.Online != nil && !*o.Online && !f.StatusAt.IsZero() {
		if d := s.Now.Sub(f.StatusAt); d >= after {
			return firing(f.StatusAt,
				fmt.Sprintf("The agent went offline %s ago (at %s)", durEn(d), at(f.StatusAt)),
				fmt.Sprintf("انقطع اتصال الوكيل منذ %s (في %s)", durAr(d), at(f.StatusAt)))
		}
	}
	if !f.LastReading.IsZero() {
		d := s.Now.Sub(f.LastReading)
		if d < after {
			return cleared()
		}
		return firing(f.LastReading,
			fmt.Sprintf("No reading for %s (last at %s)", durEn(d), at(f.LastReading)),
			fmt.Sprintf("لا توجد قراءات منذ %s (آخر قراءة في %s)", durAr(d), at(f.LastReading)))
	}
	if s.Started.IsZero() {
		return undecided()
	}
	d := s.Now.Sub(s.Started)
	if d < after {
		return cleared()
	}
	return firing(s.Started,
		fmt.Sprintf("No reading since the collector started %s ago", durEn(d)),
		fmt.Sprintf("لم تصل أي قراءة منذ بدء تشغيل المُجمِّع قبل %s", durAr(d)))
}

// outboxBacklog fires when the agent's last status names an oldest unsent
// reading more than older_than before now. Without a status since the
// collector started it is undecided; a status with outbox_depth 0 or no
// oldest_unsent clears.
func outboxBacklog(now time.Time, f *Facility, st *Settings) verdict {
	o := f.Status
	if o == nil {
		return undecided()
	}
	if o.OldestUnsent == nil || (o.OutboxDepth != nil && *o.OutboxDepth <= 0) {
		return cleared()
	}
	age := now.Sub(*o.OldestUnsent)
	limit := st.OutboxBacklog.OlderThan
	if age <= limit {
		return cleared()
	}
	held, heldAr := "unsent readings", "قراءات غير مرسلة"
	if o.OutboxDepth != nil {
		held, heldAr = fmt.Sprintf("%d unsent readings", *o.OutboxDepth), fmt.Sprintf("قراءات غير مرسلة عددها %d", *o.OutboxDepth)
	}
	return firing(*o.OldestUnsent,
		fmt.Sprintf("The agent's outbox holds %s, the oldest %s old (from %s), beyond the %s limit",
			held, durEn(age), at(*o.OldestUnsent), durEn(limit)),
		fmt.Sprintf("يحتفظ صندوق الصادر لدى الوكيل ب%s، وعمر أقدمها %s (منذ %s)، متجاوزًا الحد البالغ %s",
			heldAr, durAr(age), at(*o.OldestUnsent), durAr(limit)))
}

// gridAvailabilityLow fires when yesterday's grid_availability_pct is
// below below_pct; undecided without a value.
func gridAvailabilityLow(f *Facility, st *Settings) verdict {
	pct, ok := value(f, indicators.GridAvailabilityPct, 1)
	if !ok {
		return undecided()
	}
	limit := st.GridAvailabilityLow.BelowPct
	if pct >= limit {
		return cleared()
	}
	return firing(time.Time{},
		fmt.Sprintf("The grid was available %.1f %% of yesterday, below %s %%", pct, num(limit)),
		fmt.Sprintf("كانت الشبكة الكهربائية متاحة %.1f%% من وقت أمس، أقل من الحد البالغ %s%%", pct, num(limit)))
}

// generatorFuelHigh fires when yesterday's generator_fuel_l per
// generator_kwh is above above_l_per_kwh; undecided without both values
// or with less than min_kwh, where a few litres of warm-up would dominate.
func generatorFuelHigh(f *Facility, st *Settings) verdict {
	fuel, ok1 := value(f, indicators.GeneratorFuelL, 1)
	kwh, ok2 := value(f, indicators.GeneratorKWh, 1)
	g := st.GeneratorFuelHigh
	if !ok1 || !ok2 || kwh < g.MinKWh || kwh <= 0 {
		return undecided()
	}
	per := fuel / kwh
	if per <= g.AboveLPerKWh {
		return cleared()
	}
	return firing(time.Time{},
		fmt.Sprintf("The generator burned %.1f L for %.1f kWh yesterday: %.2f L/kWh, above %s L/kWh",
			fuel, kwh, per, num(g.AboveLPerKWh)),
		fmt.Sprintf("استهلك المولد %.1f لتر لإنتاج %.1f كيلوواط ساعي أمس: %.2f لتر لكل كيلوواط ساعي، أعلى من الحد البالغ %s لتر لكل كيلوواط ساعي",
			fuel, kwh, per, num(g.AboveLPerKWh)))
}

// wasteNotReported fires when a facility that usually reports waste (a
// waste_kg above 0 on at least usual_share_pct % of the usual_days days
// before the last days days) reported none in the last days days. Any
// report in the last days clears, usual or not; a facility that does not
// usually report and reported nothing lately is undecided.
func wasteNotReported(f *Facility, st *Settings) verdict {
	w := st.WasteNotReported
	if w.Days < 1 || w.UsualDays < 1 {
		return undecided()
	}
	reported := func(day int) bool {
		kg, ok := value(f, indicators.WasteKg, day)
		return ok && kg > 0
	}
	for d := 1; d <= w.Days; d++ {
		if reported(d) {
			return cleared()
		}
	}
	usual := 0
	for d := w.Days + 1; d <= w.Days+w.UsualDays; d++ {
		if reported(d) {
			usual++
		}
	}
	if float64(usual)*100 < w.UsualSharePct*float64(w.UsualDays) {
		return undecided()
	}
	return firing(time.Time{},
		fmt.Sprintf("No waste reported in %s, though reported on %d of the %d days before",
			lastDaysEn(w.Days), usual, w.UsualDays),
		fmt.Sprintf("لم يُبلَّغ عن أي نفايات خلال %s، مع أنه أُبلغ عنها في %d من الأيام الـ%d السابقة",
			lastDaysAr(w.Days), usual, w.UsualDays))
}

// rejectionsRepeated fires when at least count of the facility's messages
// or batch items were rejected within the window.
func rejectionsRepeated(f *Facility, st *Settings) verdict {
	r := st.RejectionsRepeated
	if f.Rejections < r.Count {
		return cleared()
	}
	return firing(time.Time{},
		fmt.Sprintf("%d messages or batch items rejected in the last %s (limit %d)", f.Rejections, durEn(r.Within), r.Count),
		fmt.Sprintf("عدد الرسائل أو عناصر الدفعات المرفوضة خلال آخر %s: %d (الحد %d)", durAr(r.Within), f.Rejections, r.Count))
}
