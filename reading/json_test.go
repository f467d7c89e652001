package reading_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/decode"
	"github.com/greenpulse-health/greenpulse/reading"
)

// The agent encodes with AppendJSON and the collector decodes with its own
// decoder: a reading must survive the trip unchanged.
func TestAppendJSONRoundTripsThroughTheCollectorDecoder(t *testing.T) {
	ts := time.Date(2026, 11, 26, 8, 30, 0, 123e6, time.UTC)
	now := ts.Add(time.Minute)
	build := func(t *testing.T, s reading.Stream, set func(b *reading.Builder)) reading.Reading {
		t.Helper()
		b, _ := reading.NewBuilder(s)
		set(b)
		r, err := b.Build("BG-H-001", ts, now, reading.Limits{MaxFuture: time.Hour})
		if err != nil {
			t.Fatalf("build: %v", err)
		}
		return r
	}
	tests := []struct {
		name string
		r    reading.Reading
	}{
		{"energy", build(t, reading.Energy, func(b *reading.Builder) {
			b.SetTag("source", "generator")
			b.SetTag("meter", "gen-1")
			b.SetFloat("kwh_total", 1234.5678)
			b.SetFloat("power_w", 1e-7)
			b.SetFloat("fuel_l_total", 3e11)
			b.SetBool("available", false)
		})},
		{"solar", build(t, reading.Solar, func(b *reading.Builder) {
			b.SetFloat("kwh_total", 0)
			b.SetFloat("battery_soc_pct", 100)
		})},
		{"waste with escapes", build(t, reading.Waste, func(b *reading.Builder) {
			b.SetTag("category", "sharps")
			b.SetTag("treatment", "autoclave")
			b.SetFloat("mass_kg", 12.25)
			b.SetString("id", "ward \"B\"\\\n\t\x01 جناح")
		})},
	}
	dec := decode.New(reading.Limits{MaxFuture: time.Hour})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := reading.AppendJSON(nil, &tt.r)
			if !json.Valid(payload) {
				t.Fatalf("not valid JSON: %s", payload)
			}
			res := dec.Decode("BG-H-001", tt.r.Stream, payload, now)
			if len(res.Rejected) != 0 || len(res.Readings) != 1 {
				t.Fatalf("decode %s: %+v", payload, res)
			}
			got := res.Readings[0]
			if !got.Time.Equal(tt.r.Time) {
				t.Errorf("time %v, want %v", got.Time, tt.r.Time)
			}
			got.Time, tt.r.Time = time.Time{}, time.Time{}
			if !reflect.DeepEqual(got, tt.r) {
				t.Errorf("round trip of %s:\n got %+v\nwant %+v", payload, got, tt.r)
			}
		})
	}
}
