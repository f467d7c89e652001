package windowed

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/reading"
)

// benchSnapshot builds n facilities spread over govs governorates with
// days days of every indicator the rules read, from a fixed seed: the
// same arguments give the same snapshot. About one facility in seven is
// off in some way (silent, offline, backlogged, dark grid, weak panels,
// thirsty generator, waste gone quiet, rejected), so that both firing and
// clear findings come out.
func benchSnapshot(n, govs, days int) Snapshot {
	rng := rand.New(rand.NewPCG(1, 2))
	now := testNow()
	s := Snapshot{Now: now, Started: now.Add(-72 * time.Hour), Facilities: make([]Facility, n)}
	for i := range s.Facilities {
		f := Facility{ID: fmt.Sprintf("F%05d", i), Governorate: fmt.Sprintf("IQ-%02d", i%govs)}
		f.District = f.Governorate + "-D" + fmt.Sprint(i%7)
		odd := rng.IntN(7) == 0
		f.LastReading = now.Add(-time.Duration(rng.IntN(300)) * time.Minute)
		if odd && rng.IntN(2) == 0 {
			f.LastReading = now.Add(-time.Duration(6+rng.IntN(60)) * time.Hour)
		}
		st := reading.AgentStatus{Online: ptr(!(odd && rng.IntN(3) == 0)), OutboxDepth: ptr(int64(rng.IntN(50)))}
		if *st.OutboxDepth > 0 {
			st.OldestUnsent = ptr(now.Add(-time.Duration(rng.IntN(40)) * time.Hour))
		}
		f.Status, f.StatusAt = &st, now.Add(-time.Duration(rng.IntN(600))*time.Minute)
		if rng.IntN(4) != 0 {
			f.PVkWp = 5 + float64(rng.IntN(95))
		}
		if odd {
			f.Rejections = rng.IntN(40)
		}
		f.Days = map[indicators.ID]map[int]float64{}
		for _, id := range Indicators() {
			f.Days[id] = make(map[int]float64, days)
		}
		weak := odd && rng.IntN(2) == 0
		quiet := odd && rng.IntN(2) == 0
		for d := 1; d <= days; d++ {
			f.Days[indicators.GridAvailabilityPct][d] = 20 + 80*rng.Float64()
			if f.PVkWp > 0 {
				y := 3 + 3*rng.Float64()
				if weak {
					y /= 3
				}
				f.Days[indicators.SolarKWh][d] = y * f.PVkWp
			}
			kwh := 50 * rng.Float64()
			f.Days[indicators.GeneratorKWh][d] = kwh
			f.Days[indicators.GeneratorFuelL][d] = kwh * (0.25 + 0.5*rng.Float64())
			if !(quiet && d <= 3) && rng.IntN(5) != 0 {
				f.Days[indicators.WasteKg][d] = 10 + 100*rng.Float64()
			}
		}
		s.Facilities[i] = f
	}
	return s
}

// BenchmarkEvaluate2000 evaluates every rule for 2,000 facilities in 18
// governorates with 31 days of every indicator.
func BenchmarkEvaluate2000(b *testing.B) {
	snap := benchSnapshot(2000, 18, 31)
	settings := func(string) Settings { return DefaultSettings() }
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(Evaluate(snap, settings))
	}
	b.ReportMetric(float64(n), "findings/op")
}
