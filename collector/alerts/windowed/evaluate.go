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
	for _, rule := range Rules() {
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
		return outboxBacklog(e.snap, f, st)
	case RuleGridAvailabilityLow:
		return gridAvailabilityLow(f, st)
	case RuleSolarUnderperforming:
		return solarUnderperforming(f, st, e.solar[f.Governorate])
	case RuleGeneratorFuelHigh:
		return generatorFuelHigh(f, st)
	case RuleWasteNotReported:
		return wasteNotReported(f, st)
	case RuleRejectionsRepeated:
		return rejectionsRepeated(e.snap, f, st)
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

// agentSilent fires when nothing was heard from the facility for
// silent_after: counted from its newest reading or, when that is older or
// there is none, from Started, since when the collector has been able to
// hear (a restart or a reconnection does not make an agent that was quiet
// while the collector could not listen count as silent at once). It fires
// too when the agent's status has said {"online": false} for at least
// silent_after, a status received since Started; the offline message wins
// when both hold: it says why. It clears only on a reading less than
// silent_after old that no later offline status contradicts, and is
// undecided otherwise: never heard (or heard long ago) with less than
// silent_after since Started, which leaves an alert raised before a
// restart as it is, and never heard in a snapshot without Started.
func agentSilent(s *Snapshot, f *Facility, st *Settings) verdict {
	after := st.AgentSilent.SilentAfter
	heard := !f.LastReading.IsZero()
	offline := f.Status != nil && f.Status.Online != nil && !*f.Status.Online && !f.StatusAt.IsZero()
	if offline && !f.StatusAt.Before(s.Started) && s.Now.Sub(f.StatusAt) >= after {
		return firing(f.StatusAt,
			"The agent went offline at "+atEn(f.StatusAt, s.Location),
			"انقطع اتصال الوكيل في "+atAr(f.StatusAt, s.Location))
	}
	if !heard && s.Started.IsZero() {
		return undecided()
	}
	ref := f.LastReading
	if s.Started.After(ref) {
		ref = s.Started
	}
	if s.Now.Sub(ref) >= after {
		if heard {
			return firing(f.LastReading,
				"No reading since "+atEn(f.LastReading, s.Location),
				"لا توجد قراءات منذ "+atAr(f.LastReading, s.Location))
		}
		return firing(s.Started,
			"No reading since "+atEn(s.Started, s.Location)+", when the collector began listening",
			"لم تصل أي قراءة منذ "+atAr(s.Started, s.Location)+"، حين بدأ المُجمِّع الاستماع")
	}
	if heard && s.Now.Sub(f.LastReading) < after && !(offline && f.StatusAt.After(f.LastReading)) {
		return cleared()
	}
	return undecided()
}

// outboxBacklog fires when the agent's last status names an oldest unsent
// reading more than older_than before now. Without a status since the
// collector started it is undecided, and so on an offline status (the
// broker's will says {"online": false} and nothing of the outbox) unless
// that names a backlog beyond the limit; a status that is not offline
// clears with outbox_depth 0, without oldest_unsent or with a fresh one.
func outboxBacklog(s *Snapshot, f *Facility, st *Settings) verdict {
	o := f.Status
	if o == nil {
		return undecided()
	}
	clear := cleared()
	if o.Online != nil && !*o.Online {
		clear = undecided()
	}
	if o.OldestUnsent == nil || (o.OutboxDepth != nil && *o.OutboxDepth <= 0) {
		return clear
	}
	limit := st.OutboxBacklog.OlderThan
	if s.Now.Sub(*o.OldestUnsent) <= limit {
		return clear
	}
	held, heldAr := "unsent readings", "قراءات غير مرسلة"
	if o.OutboxDepth != nil {
		held, heldAr = fmt.Sprintf("%d unsent readings", *o.OutboxDepth), fmt.Sprintf("قراءات غير مرسلة عددها %d", *o.OutboxDepth)
	}
	return firing(*o.OldestUnsent,
		fmt.Sprintf("The agent's outbox holds %s, the oldest from %s, older than the %s limit",
			held, atEn(*o.OldestUnsent, s.Location), durEn(limit)),
		fmt.Sprintf("يحتفظ صندوق الصادر لدى الوكيل ب%s، أقدمها من %s، متجاوزًا الحد البالغ %s",
			heldAr, atAr(*o.OldestUnsent, s.Location), durAr(limit)))
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
// or batch items were rejected within the window. It is undecided while
// Started is less than the window ago: the counts then cover only part of
// it, and a clear would drop an alert that may still hold.
func rejectionsRepeated(s *Snapshot, f *Facility, st *Settings) verdict {
	r := st.RejectionsRepeated
	if s.Now.Sub(s.Started) < r.Within {
		return undecided()
	}
	if f.Rejections < r.Count {
		return cleared()
	}
	return firing(time.Time{},
		fmt.Sprintf("%d messages or batch items rejected in the last %s (limit %d)", f.Rejections, durEn(r.Within), r.Count),
		fmt.Sprintf("عدد الرسائل أو عناصر الدفعات المرفوضة خلال آخر %s: %d (الحد %d)", durAr(r.Within), f.Rejections, r.Count))
}
