package windowed_test

import (
	"fmt"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/alerts/windowed"
	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

func ExampleEvaluate() {
	now := time.Date(2026, 12, 1, 13, 20, 0, 0, time.UTC)
	offline, depth, oldest := false, int64(340), now.Add(-50*time.Hour)
	iraq, err := time.LoadLocation("Asia/Baghdad")
	if err != nil {
		panic(err)
	}
	// The collector has been connected since yesterday; the messages give
	// times in Iraq.
	snap := windowed.Snapshot{Now: now, Started: now.Add(-30 * time.Hour), Location: iraq, Facilities: []windowed.Facility{
		{ID: "BA-001", Governorate: "IQ-BA", LastReading: now.Add(-7*time.Hour - 20*time.Minute),
			Days: map[indicators.ID]map[int]float64{indicators.GridAvailabilityPct: {1: 42.34}}},
		{ID: "BA-002", Governorate: "IQ-BA",
			Status: &reading.AgentStatus{Online: &offline, OutboxDepth: &depth, OldestUnsent: &oldest}, StatusAt: now.Add(-26 * time.Hour),
			Days: map[indicators.ID]map[int]float64{indicators.GeneratorFuelL: {1: 180}, indicators.GeneratorKWh: {1: 200}}},
		{ID: "BG-001", Governorate: "IQ-BG", LastReading: now.Add(-time.Minute), Rejections: 42,
			Days: map[indicators.ID]map[int]float64{indicators.GridAvailabilityPct: {1: 42.34}}},
	}}
	settings := func(gov string) windowed.Settings {
		s := windowed.DefaultSettings()
		if gov == "IQ-BA" {
			s.GridAvailabilityLow.BelowPct = 30 // Basra's grid is weaker: alert only below 30 %.
		}
		return s
	}
	for _, f := range windowed.Evaluate(snap, settings) {
		if !f.Firing {
			fmt.Printf("%s %s: clear\n", f.Rule, f.Facility)
			continue
		}
		fmt.Printf("%s %s: %s since %s\n  %s\n  %s\n", f.Rule, f.Facility, f.Severity, f.Since.Format(time.RFC3339), f.Message, f.MessageAr)
	}
	// Output:
	// agent_silent BA-001: warning since 2026-12-01T06:00:00Z
	//   No reading since 1 Dec 2026 09:00 +03
	//   لا توجد قراءات منذ 1 كانون الأول 2026 09:00 +03
	// agent_silent BA-002: warning since 2026-11-30T11:20:00Z
	//   The agent went offline at 30 Nov 2026 14:20 +03
	//   انقطع اتصال الوكيل في 30 تشرين الثاني 2026 14:20 +03
	// agent_silent BG-001: clear
	// outbox_backlog BA-002: warning since 2026-11-29T11:20:00Z
	//   The agent's outbox holds 340 unsent readings, the oldest from 29 Nov 2026 14:20 +03, older than the 24 h limit
	//   يحتفظ صندوق الصادر لدى الوكيل بقراءات غير مرسلة عددها 340، أقدمها من 29 تشرين الثاني 2026 14:20 +03، متجاوزًا الحد البالغ 24 ساعة
	// grid_availability_low BA-001: clear
	// grid_availability_low BG-001: warning since 2026-12-01T13:20:00Z
	//   The grid was available 42.3 % of yesterday, below 50 %
	//   كانت الشبكة الكهربائية متاحة 42.3% من وقت أمس، أقل من الحد البالغ 50%
	// generator_fuel_high BA-002: warning since 2026-12-01T13:20:00Z
	//   The generator burned 180.0 L for 200.0 kWh yesterday: 0.90 L/kWh, above 0.6 L/kWh
	//   استهلك المولد 180.0 لتر لإنتاج 200.0 كيلوواط ساعي أمس: 0.90 لتر لكل كيلوواط ساعي، أعلى من الحد البالغ 0.6 لتر لكل كيلوواط ساعي
	// rejections_repeated BA-001: clear
	// rejections_repeated BA-002: clear
	// rejections_repeated BG-001: warning since 2026-12-01T13:20:00Z
	//   42 messages or batch items rejected in the last 1 h (limit 20)
	//   عدد الرسائل أو عناصر الدفعات المرفوضة خلال آخر ساعة: 42 (الحد 20)
}
