package reading

import (
	"reflect"
	"strconv"
	"testing"
	"time"
)

// TestSetTagBytesIsSetTag: the byte form keeps SetTag's verdicts and errors.
func TestSetTagBytesIsSetTag(t *testing.T) {
	tests := []struct {
		stream     Stream
		key, value string
	}{
		{Energy, "source", "grid"}, {Energy, "source", "wind"}, {Energy, "source", ""},
		{Energy, "meter", "m-1"}, {Energy, "meter", "main meter"}, {Energy, "meter", ""},
		{Energy, "inverter", "main"}, {Energy, "kwh_total", "1"},
		{Solar, "inverter", "roof_2"}, {Waste, "category", "sharps"}, {Waste, "treatment", "Autoclave"},
	}
	for _, tt := range tests {
		t.Run(string(tt.stream)+" "+tt.key+"="+tt.value, func(t *testing.T) {
			want, _ := NewBuilder(tt.stream)
			got, _ := NewBuilder(tt.stream)
			want.SetTag(tt.key, tt.value)
			got.SetTagBytes(tt.key, []byte(tt.value))
			if !reflect.DeepEqual(got.err, want.err) || !reflect.DeepEqual(got.tags, want.tags) {
				t.Errorf("SetTagBytes: tags %q, err %v; SetTag: tags %q, err %v", got.tags, got.err, want.tags, want.err)
			}
		})
	}
}

// TestBuilderKeepsNoBytes: a tag value must not alias the payload it was
// read from, which the caller reuses.
func TestBuilderKeepsNoBytes(t *testing.T) {
	b, _ := NewBuilder(Energy)
	payload := []byte("m-1grid")
	b.SetTagBytes("meter", payload[:3])
	b.SetTagBytes("source", payload[3:])
	b.SetFloat("kwh_total", 1)
	copy(payload, "XXXXXXX")
	r, err := b.Build("f", time.Unix(EarliestUnix, 0), time.Unix(EarliestUnix, 0), Limits{})
	if err != nil || r.Tag("meter") != "m-1" || r.Tag("source") != "grid" {
		t.Errorf("got %+v, %v", r.Tags, err)
	}
}

func TestBuilderNames(t *testing.T) {
	b, _ := NewBuilder(Waste)
	if k, ok := b.TagName([]byte("category")); !ok || k != "category" {
		t.Errorf("TagName(category) = %q, %v", k, ok)
	}
	if _, ok := b.TagName([]byte("mass_kg")); ok {
		t.Error("TagName takes a field")
	}
	if k, ok := b.FieldName([]byte("mass_kg")); !ok || k != "mass_kg" {
		t.Errorf("FieldName(mass_kg) = %q, %v", k, ok)
	}
	if _, ok := b.FieldName([]byte("source")); ok {
		t.Error("FieldName takes a tag of another stream")
	}
}

// TestBuiltReadingsAreIndependent: readings of one builder share slabs, so
// each must keep its own values through later builds, refused ones too,
// and an append to one must not reach another.
func TestBuiltReadingsAreIndependent(t *testing.T) {
	b, _ := NewBuilder(Energy)
	ts := time.Unix(EarliestUnix+1, 0)
	var got []Reading
	for i := range 3 * maxChunk {
		b.Reset()
		b.SetTag("source", EnergySources[i%len(EnergySources)])
		b.SetTag("meter", "m"+strconv.Itoa(i))
		if i%3 != 2 {
			b.SetFloat("kwh_total", float64(i))
		}
		if i%2 == 0 {
			b.SetFloat("power_w", float64(-i))
		}
		r, err := b.Build("f", ts, ts, Limits{})
		if (err != nil) != (i%3 == 2) {
			t.Fatalf("reading %d: %v", i, err)
		}
		if err == nil {
			got = append(got, r)
		}
	}
	got[0].Tags = append(got[0].Tags, Tag{Key: "x", Value: "y"})
	got[0].Fields = append(got[0].Fields, Field{Key: "x", Kind: KindBool})
	for _, r := range got[1:] {
		i, _ := strconv.Atoi(r.Tag("meter")[1:])
		if r.Tag("source") != EnergySources[i%len(EnergySources)] || len(r.Tags) != 2 {
			t.Errorf("reading %d: tags %+v", i, r.Tags)
		}
		want := []Field{{Key: "kwh_total", Kind: KindFloat, Num: float64(i)}}
		if i%2 == 0 {
			want = append(want, Field{Key: "power_w", Kind: KindFloat, Num: float64(-i)})
		}
		if !reflect.DeepEqual(r.Fields, want) {
			t.Errorf("reading %d: fields %+v, want %+v", i, r.Fields, want)
		}
	}
}
