package simulate_test

import (
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/agents/source/simulate"
	"github.com/greenpulse-health/greenpulse/registry"
)

// BenchmarkSamples measures the live path: one facility sampled every
// minute, as an agent does.
func BenchmarkSamples(b *testing.B) {
	f := testFacilities(b)[0] // a hospital with PV
	s := simulate.New(f, 1)
	t := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	s.Samples(t) // the first call walks the counters from the last meter reset
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s.Samples(t.Add(time.Duration(i) * time.Minute))
	}
}

// BenchmarkSamplesCold measures the first call of a fresh Sim, which walks
// every counter from its meter's last reset.
func BenchmarkSamplesCold(b *testing.B) {
	f := testFacilities(b)[0]
	t := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		simulate.New(f, 1).Samples(t)
	}
}

// BenchmarkHistory30Days generates 30 days of 15-minute history for one
// facility from a fresh Sim.
func BenchmarkHistory30Days(b *testing.B) {
	f := testFacilities(b)[0]
	from := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		simulate.New(f, 1).Readings(from, from.AddDate(0, 0, 30), 15*time.Minute)
	}
}

// BenchmarkHistory30DaysRegistry generates 30 days of 15-minute history for
// every facility of the example registry.
func BenchmarkHistory30DaysRegistry(b *testing.B) {
	reg, err := registry.Load("../../../configs/facilities.csv")
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for b.Loop() {
		n := 0
		for _, f := range reg.Facilities() {
			n += len(simulate.New(f, 1).Readings(from, from.AddDate(0, 0, 30), 15*time.Minute))
		}
		b.ReportMetric(float64(n), "readings/op")
	}
}
