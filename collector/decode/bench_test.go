package decode

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/influx"
	"github.com/greenpulse-health/greenpulse/reading"
)

func benchJSON(n int) []byte {
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

// benchLineProtocol is what the load generator publishes as line protocol:
// no facility or meter tag, one entry a line.
func benchLineProtocol(n int) []byte {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "energy,source=grid kwh_total=123.5,power_w=1200,available=true %d\n",
			now.Add(-time.Duration(i)*time.Second).UnixNano())
	}
	return []byte(sb.String())
}

// BenchmarkDecode measures decoding and line-protocol encoding per reading,
// the collector's own CPU work on the ingest hot path.
func BenchmarkDecode(b *testing.B) {
	for _, format := range []struct {
		name    string
		payload func(n int) []byte
	}{{"json", benchJSON}, {"lp", benchLineProtocol}} {
		for _, n := range []int{1, 50} {
			b.Run(fmt.Sprintf("%s/%d-per-message", format.name, n), func(b *testing.B) {
				payload := format.payload(n)
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
}
