package decode

import (
	"math"
	"testing"

	"github.com/greenpulse-health/greenpulse/reading"
)

// FuzzDecode checks that no payload panics the decoder, that every item is
// either kept or rejected with a reason, and that no kept reading carries a
// value InfluxDB would refuse (NaN, Inf) or a tag outside the schema.
func FuzzDecode(f *testing.F) {
	seeds := []string{
		`{"source":"grid","kwh_total":1}`,
		`[{"ts":1772366400000,"source":"generator","kwh_total":2,"fuel_l_total":1},{"source":"x"}]`,
		`{"ts":"2026-03-01T10:00:00Z","category":"sharps","treatment":"autoclave","mass_kg":3,"id":"e"}`,
		"energy,source=grid,facility=BG-H-001 kwh_total=1,available=t 1772366400000000000\nenergy kwh_total=",
		`solar,inverter=a kwh_total=NaN`,
		`waste,category=sharps,treatment=autoclave mass_kg=1e400`,
		`[1,"a",null,{}]`,
	}
	for _, s := range seeds {
		for _, st := range reading.DataStreams() {
			f.Add(string(st), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, stream string, payload []byte) {
		st, ok := reading.ParseStream(stream)
		if !ok || st == reading.Status {
			return
		}
		res := New(limits).Decode("BG-H-001", st, payload, now)
		if len(res.Readings)+len(res.Rejected) == 0 {
			t.Fatalf("payload %q neither kept nor rejected", payload)
		}
		for _, rej := range res.Rejected {
			if rej.Err == nil || rej.Err.Reason == "" {
				t.Fatalf("rejection without reason: %+v", rej)
			}
		}
		sc, _ := reading.SchemaOf(st)
		for _, r := range res.Readings {
			if r.Facility != "BG-H-001" || r.Stream != st || len(r.Tags) != len(sc.Tags) {
				t.Fatalf("bad reading %+v", r)
			}
			for _, fl := range r.Fields {
				if math.IsNaN(fl.Num) || math.IsInf(fl.Num, 0) {
					t.Fatalf("kept non-finite %s in %+v", fl.Key, r)
				}
			}
		}
	})
}

func FuzzDecodeStatus(f *testing.F) {
	f.Add([]byte(`{"online":false}`))
	f.Add([]byte(`{"online":true,"version":"1","outbox_depth":3,"oldest_unsent":"2026-03-01T10:00:00Z"}`))
	f.Fuzz(func(t *testing.T, payload []byte) {
		if _, err := DecodeStatus(payload); err != nil && err.Reason == "" {
			t.Fatalf("error without reason: %v", err)
		}
	})
}
