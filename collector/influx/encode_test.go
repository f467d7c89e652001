package influx

import (
	"math"
	"testing"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/greenpulse-health/greenpulse/reading"
)

// TestBatchRoundTrips decodes the batch's line protocol with InfluxData's
// own decoder and compares every point with the reading it came from.
func TestBatchRoundTrips(t *testing.T) {
	ts := time.Date(2026, 3, 1, 8, 30, 0, 123456789, time.UTC)
	readings := []reading.Reading{
		{Facility: "BG-H-001", Stream: reading.Energy, Time: ts,
			Tags: []reading.Tag{{Key: "meter", Value: "main"}, {Key: "source", Value: "generator"}},
			Fields: []reading.Field{{Key: "kwh_total", Kind: reading.KindFloat, Num: 1234.5},
				{Key: "power_w", Kind: reading.KindFloat, Num: -1e-7}, {Key: "available", Kind: reading.KindBool, Bool: true}}},
		{Facility: "BA_P-2", Stream: reading.Waste, Time: ts.Add(time.Second),
			Tags: []reading.Tag{{Key: "category", Value: "sharps"}, {Key: "treatment", Value: "open_burning"}},
			Fields: []reading.Field{{Key: "mass_kg", Kind: reading.KindFloat, Num: 1e4},
				{Key: "id", Kind: reading.KindString, Str: `a "quoted" \ back\slash, comma=équipe`}}},
	}
	b := NewBatch()
	for i := range readings {
		if err := b.Add(&readings[i]); err != nil {
			t.Fatal(err)
		}
	}
	dec := lineprotocol.NewDecoderWithBytes(b.Bytes())
	for i := 0; dec.Next(); i++ {
		want := readings[i]
		m, err := dec.Measurement()
		if err != nil || string(m) != string(want.Stream) {
			t.Fatalf("point %d: measurement %q, %v", i, m, err)
		}
		tags := map[string]string{}
		for {
			k, v, err := dec.NextTag()
			if err != nil {
				t.Fatalf("point %d: %v", i, err)
			}
			if k == nil {
				break
			}
			tags[string(k)] = string(v)
		}
		if tags["facility"] != want.Facility || len(tags) != len(want.Tags)+1 {
			t.Errorf("point %d: tags %v", i, tags)
		}
		for _, tag := range want.Tags {
			if tags[tag.Key] != tag.Value {
				t.Errorf("point %d: tag %s = %q, want %q", i, tag.Key, tags[tag.Key], tag.Value)
			}
		}
		for _, f := range want.Fields {
			k, v, err := dec.NextField()
			if err != nil || string(k) != f.Key {
				t.Fatalf("point %d: field %q, %v; want %s", i, k, err, f.Key)
			}
			switch f.Kind {
			case reading.KindFloat:
				if v.Kind() != lineprotocol.Float || math.Abs(v.FloatV()-f.Num) > 0 {
					t.Errorf("point %d: %s = %v, want %v", i, f.Key, v, f.Num)
				}
			case reading.KindBool:
				if v.Kind() != lineprotocol.Bool || v.BoolV() != f.Bool {
					t.Errorf("point %d: %s = %v, want %v", i, f.Key, v, f.Bool)
				}
			case reading.KindString:
				if v.Kind() != lineprotocol.String || v.StringV() != f.Str {
					t.Errorf("point %d: %s = %q, want %q", i, f.Key, v.StringV(), f.Str)
				}
			}
		}
		got, err := dec.Time(lineprotocol.Nanosecond, time.Time{})
		if err != nil || !got.Equal(want.Time) {
			t.Errorf("point %d: time %v (%v), want %v", i, got, err, want.Time)
		}
	}
	if b.Points() != 2 {
		t.Errorf("Points() = %d", b.Points())
	}
}

func TestBatchRefusesUnsafeInput(t *testing.T) {
	b := NewBatch()
	for name, r := range map[string]reading.Reading{
		"space in tag": {Facility: "a b", Stream: reading.Solar, Tags: []reading.Tag{{Key: "inverter", Value: "main"}},
			Fields: []reading.Field{{Key: "kwh_total", Kind: reading.KindFloat, Num: 1}}},
		"NaN": {Facility: "a", Stream: reading.Solar, Tags: []reading.Tag{{Key: "inverter", Value: "main"}},
			Fields: []reading.Field{{Key: "kwh_total", Kind: reading.KindFloat, Num: math.NaN()}}},
		"no fields": {Facility: "a", Stream: reading.Solar, Tags: []reading.Tag{{Key: "inverter", Value: "main"}}},
	} {
		if err := b.Add(&r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if b.Points() != 0 || len(b.Bytes()) != 0 {
		t.Errorf("refused readings left %d points, %q", b.Points(), b.Bytes())
	}
}
