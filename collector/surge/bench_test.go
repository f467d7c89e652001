package surge

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/indicators"
	"github.com/greenpulse-health/greenpulse/collector/rollup"
	"github.com/greenpulse-health/greenpulse/registry"
	"github.com/greenpulse-health/greenpulse/registry/events"
)

// BenchmarkSurge2000 measures an event over 2,000 facilities on real
// InfluxDB 1.8: 11 event days and 4 weeks of baseline, every facility
// with a point of every measure each day (about 470,000 values). It
// reports the computation of an uncached answer (ns/op: StoreReader's
// reads and the arithmetic), the same through rollup.Read, each read on
// its own, and the encoding of the whole answer.
//
//	go test -run XXX -bench Surge2000 -benchtime 3x ./collector/surge/
func BenchmarkSurge2000(b *testing.B) {
	s := startStore(b)
	var csv bytes.Buffer
	if err := registry.WriteCSV(&csv, registry.Synthesize(2000, 1)); err != nil {
		b.Fatal(err)
	}
	reg, err := registry.Parse(&csv, "synthetic")
	if err != nil {
		b.Fatal(err)
	}
	var govs []string
	for _, f := range reg.Facilities() {
		if !slices.Contains(govs, f.Governorate) {
			govs = append(govs, f.Governorate)
		}
	}
	e := Event{Event: events.Event{ID: "bench-2026", Name: "Bench", NameAr: "قياس", Areas: govs,
		First: date("2026-07-25"), Last: date("2026-08-04")}, BaselineWeeks: 4}
	start := time.Now()
	n := writePoints(b, s, reg, e, false)
	b.Logf("wrote %d indicator points of %d facilities in %s", n, reg.Len(), time.Since(start).Round(time.Millisecond))

	slow := New(storeReader{s}, reg, []Event{e}, Options{Location: baghdad, Country: "IQ"}, discard)
	t0 := time.Now()
	if _, err := slow.computeCore(context.Background(), e); err != nil {
		b.Fatal(err)
	}
	b.Logf("uncached answer through rollup.Read: %s", time.Since(t0).Round(time.Millisecond))

	sg := New(StoreReader{s}, reg, []Event{e}, Options{Location: baghdad, Country: "IQ"}, discard)
	t0 = time.Now()
	before, err := sg.computeCore(context.Background(), e)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("uncached answer through StoreReader, days rolled up before facility_day points: %s", time.Since(t0).Round(time.Millisecond))
	writePoints(b, s, reg, e, true)
	var c *core
	b.ReportAllocs()
	for b.Loop() {
		c, err = sg.computeCore(context.Background(), e)
		if err != nil {
			b.Fatal(err)
		}
	}
	if len(c.facilities) != 2000 || !c.hasData {
		b.Fatalf("%d facilities, data %v", len(c.facilities), c.hasData)
	}
	// The facility_day points hold what the indicator points do.
	if !reflect.DeepEqual(before.areas, c.areas) || !reflect.DeepEqual(before.facilities, c.facilities) {
		b.Fatal("the answer from facility_day points differs from the one from indicator points")
	}
	b.StopTimer()
	a := answer(b, sg, e.ID)
	for range 2 {
		t0 = time.Now()
		var out countingWriter
		if err := a.WriteJSON(&out); err != nil {
			b.Fatal(err)
		}
		b.Logf("whole answer: %d bytes of JSON, written in %s", out.n, time.Since(t0).Round(time.Millisecond))
	}
	t0 = time.Now()
	var out countingWriter
	if err := json.NewEncoder(&out).Encode(a.Scoped(fakeScope{"IQ-BG"}, true)); err != nil {
		b.Fatal(err)
	}
	b.Logf("Baghdad's officer's answer: %d bytes, scoped and encoded (encoding/json) in %s", out.n, time.Since(t0).Round(time.Millisecond))

	for _, q := range []struct {
		name string
		q    rollup.Query
	}{
		{"measures", rollup.Query{Indicators: Measures[:]}},
		{"safely treated with terms", rollup.Query{Indicators: []indicators.ID{indicators.SafelyTreatedPct}, Terms: true}},
	} {
		q.q.Level, q.q.Period = "facility", indicators.Day
		q.q.From, q.q.To = e.First.AddDays(-28).In(baghdad), e.Last.AddDays(1).In(baghdad)
		for _, f := range reg.Facilities() {
			q.q.Areas = append(q.q.Areas, f.ID)
		}
		for _, r := range []struct {
			name string
			r    Reader
		}{{"rollup.Read", storeReader{s}}, {"StoreReader", StoreReader{s}}} {
			t0 := time.Now()
			rows, err := r.r.Read(context.Background(), q.q)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s %s: %d rows in %s", r.name, q.name, len(rows), time.Since(t0).Round(time.Millisecond))
		}
	}
}

// writePoints writes a facility day point of every measure and of
// safely_treated_pct, with its parts, for every facility of reg over e's
// baseline and days, and with days the facility_day point of each
// facility and day that the roll-up writes beside them.
func writePoints(tb testing.TB, s interface {
	WriteIndicators(context.Context, []byte) error
}, reg *registry.Registry, e Event, days bool) int {
	tb.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var b bytes.Buffer
	n := 0
	flush := func() {
		if err := s.WriteIndicators(context.Background(), b.Bytes()); err != nil {
			tb.Fatal(err)
		}
		b.Reset()
	}
	for d := e.First.AddDays(-7 * e.BaselineWeeks); !e.Last.Before(d); d = d.AddDays(1) {
		ts := d.In(baghdad).UnixNano()
		for _, f := range reg.Facilities() {
			var day []string
			for _, m := range Measures {
				v := rng.Float64() * 100
				fmt.Fprintf(&b, "indicator,area=%s,indicator=%s,level=facility,period=day value=%.3f,facilities=1i %d\n",
					f.ID, m, v, ts)
				day = append(day, fmt.Sprintf("%s=%.3f", m, v))
				n++
			}
			haz := rng.Float64() * 20
			fmt.Fprintf(&b, "indicator,area=%s,indicator=safely_treated_pct,level=facility,period=day value=%.3f,facilities=1i,numerator=%.3f,denominator=%.3f %d\n",
				f.ID, 90.0, haz*0.9, haz, ts)
			n++
			if days {
				day = append(day, fmt.Sprintf("safely_treated_pct=90/%.3f/%.3f", haz*0.9, haz))
				fmt.Fprintf(&b, "%s,area=%s,period=day values=\"%s\" %d\n", rollup.FacilityDayMeasurement, f.ID, strings.Join(day, ";"), ts)
			}
		}
		if b.Len() > 4<<20 {
			flush()
		}
	}
	flush()
	return n
}

type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
