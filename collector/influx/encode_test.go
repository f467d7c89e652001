package influx

import (
	"math"
	"strconv"
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

// TestBatchLines pins the exact bytes of each point, tags sorted with the
// facility's whatever order the reading holds them in.
func TestBatchLines(t *testing.T) {
	ts := time.Unix(1772352000, 5)
	tests := []struct {
		name string
		r    reading.Reading
		want string
	}{
		{"energy", reading.Reading{Facility: "BG-H-001", Stream: reading.Energy, Time: ts,
			Tags: []reading.Tag{{Key: "meter", Value: "main"}, {Key: "source", Value: "grid"}},
			Fields: []reading.Field{{Key: "kwh_total", Kind: reading.KindFloat, Num: 123.5},
				{Key: "power_w", Kind: reading.KindFloat, Num: 1200}, {Key: "available", Kind: reading.KindBool, Bool: true}}},
			"energy,facility=BG-H-001,meter=main,source=grid kwh_total=123.5,power_w=1200,available=true 1772352000000000005\n"},
		{"tag before facility", reading.Reading{Facility: "f", Stream: reading.Waste, Time: ts,
			Tags:   []reading.Tag{{Key: "category", Value: "sharps"}, {Key: "treatment", Value: "offsite"}},
			Fields: []reading.Field{{Key: "mass_kg", Kind: reading.KindFloat, Num: 0.25}, {Key: "id", Kind: reading.KindString, Str: `a"b\`}}},
			`waste,category=sharps,facility=f,treatment=offsite mass_kg=0.25,id="a\"b\\" 1772352000000000005` + "\n"},
		{"tags out of order", reading.Reading{Facility: "f", Stream: reading.Energy, Time: ts,
			Tags:   []reading.Tag{{Key: "source", Value: "grid"}, {Key: "meter", Value: "m"}, {Key: "a", Value: "x"}},
			Fields: []reading.Field{{Key: "kwh_total", Kind: reading.KindFloat, Num: -0.0001}}},
			"energy,a=x,facility=f,meter=m,source=grid kwh_total=-0.0001 1772352000000000005\n"},
		{"facility key among the tags", reading.Reading{Facility: "f", Stream: reading.Solar, Time: ts,
			Tags:   []reading.Tag{{Key: "facility", Value: "g"}, {Key: "inverter", Value: "main"}},
			Fields: []reading.Field{{Key: "kwh_total", Kind: reading.KindFloat, Num: 1e21}}},
			"solar,facility=f,facility=g,inverter=main kwh_total=1e+21 1772352000000000005\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBatch()
			if err := b.Add(&tt.r); err != nil {
				t.Fatal(err)
			}
			if got := string(b.Bytes()); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestAppendFloatIsStrconvs checks the short cut against strconv on the
// numbers it takes and the edges where it hands over.
func TestAppendFloatIsStrconvs(t *testing.T) {
	values := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 0.2, 0.1 + 0.2, 123.5, 1200, 999999, 999999.5,
		999999.99999999, 1e6, 1e6 - 1e-9, 1e-4, 1e-4 - 1e-20, 0.00012345, 9.999e-5, 5e-324, math.MaxFloat64,
		1234.5678, 100000, 12345.678901234, 0.3, 2.675, 1.005, 4.35, 8.41, 1e15, 123456789012345.6, 1.0 / 3}
	for i := range 100000 {
		// Decimals of up to nine places and fifteen digits, as meters send.
		values = append(values, float64(i*7919%1000003)/math.Pow10(i%10), -float64(i)*0.001, float64(i)*1.1)
	}
	for _, v := range values {
		want := strconv.FormatFloat(v, 'g', -1, 64)
		if got := string(appendFloat(nil, v)); got != want {
			t.Errorf("appendFloat(%v) = %q, want %q", v, got, want)
		}
	}
}

// FuzzAppendFloat tries any bits and, since those rarely land where the
// short cut works, decimals of a few places too.
func FuzzAppendFloat(f *testing.F) {
	for _, v := range []float64{0, 123.5, -0.0001, 999999.5, 1e21} {
		f.Add(math.Float64bits(v), int64(v*10), uint8(1))
	}
	f.Fuzz(func(t *testing.T, bits uint64, mant int64, places uint8) {
		for _, v := range []float64{math.Float64frombits(bits), float64(mant) / math.Pow10(int(places%16))} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			if got, want := string(appendFloat(nil, v)), strconv.FormatFloat(v, 'g', -1, 64); got != want {
				t.Fatalf("appendFloat(%v) = %q, want %q", v, got, want)
			}
		}
	})
}

func BenchmarkBatchAdd(b *testing.B) {
	r := reading.Reading{Facility: "BG-H-001", Stream: reading.Energy, Time: time.Unix(1772352000, 0),
		Tags: []reading.Tag{{Key: "meter", Value: "main"}, {Key: "source", Value: "grid"}},
		Fields: []reading.Field{{Key: "kwh_total", Kind: reading.KindFloat, Num: 123.5},
			{Key: "power_w", Kind: reading.KindFloat, Num: 1200}, {Key: "available", Kind: reading.KindBool, Bool: true}}}
	batch := NewBatch()
	b.ReportAllocs()
	for b.Loop() {
		if err := batch.Add(&r); err != nil {
			b.Fatal(err)
		}
		if batch.Points() > 5000 {
			batch.Reset()
		}
	}
}
