package decode

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/reading"
)

func benchPayload(n int) []byte {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":%d.5,"power_w":1200,"available":true}`,
			now.Add(-time.Duration(i)*time.Second).UnixMilli(), i)
	}
	if n == 1 {
		return []byte(items[0])
	}
	return []byte("[" + strings.Join(items, ",") + "]")
}

// BenchmarkDecode measures decoding and line-protocol encoding per reading,
// the collector's own CPU work on the ingest hot path.
func BenchmarkDecode(b *testing.B) {
	for _, n := range []int{1, 50} {
		b.Run(fmt.Sprintf("%d-per-message", n), func(b *testing.B) {
			payload := benchPayload(n)
			d := New(reading.Limits{MaxFuture: time.Hour})
			batch := influx.NewBatch()
			b.ReportAllocs()
			b.SetBytes(int64(len(payload)))
			for b.Loop() {
				res := d.Decode("BG-H-001", reading.Energy, payload, now)
				if len(res.Readings) != n {
					b.Fatalf("decoded %d readings: %+v", len(res.Readings), res.Rejected)
				}
				for i := range res.Readings {
					if err := batch.Add(&res.Readings[i]); err != nil {
						b.Fatal(err)
					}
				}
				if batch.Points() > 5000 {
					batch.Reset()
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/reading")
		})
	}
}
