package decode

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/reading"
)

var (
	now    = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	limits = reading.Limits{MaxFuture: 10 * time.Minute}
)

func decode(t *testing.T, stream reading.Stream, payload string) Result {
	t.Helper()
	return New(limits).Decode("BG-H-001", stream, []byte(payload), now)
}

// TestRejections gives each rejection reason of SPEC at least one payload,
// in JSON and, where the format can express it, in line protocol.
func TestRejections(t *testing.T) {
	tests := []struct {
		name    string
		stream  reading.Stream
		payload string
		reason  reading.Reason
		field   string
	}{
		{"malformed JSON", reading.Energy, `{"source":"grid",`, reading.ReasonMalformed, ""},
		{"malformed line protocol", reading.Energy, `energy,source=grid kwh_total=`, reading.ReasonMalformed, ""},
		{"empty payload", reading.Energy, "  \n", reading.ReasonMalformed, ""},
		{"empty batch", reading.Energy, `[]`, reading.ReasonMalformed, ""},
		{"wrong JSON type", reading.Energy, `{"source":"grid","kwh_total":"12"}`, reading.ReasonMalformed, "kwh_total"},
		{"bool where number wanted", reading.Energy, `energy,source=grid kwh_total=true`, reading.ReasonMalformed, "kwh_total"},
		{"ts not RFC 3339", reading.Energy, `{"ts":"01/03/2026","source":"grid","kwh_total":1}`, reading.ReasonMalformed, "ts"},
		{"ts fractional ms", reading.Energy, `{"ts":1.5,"source":"grid","kwh_total":1}`, reading.ReasonMalformed, "ts"},
		{"measurement not the stream", reading.Energy, `solar kwh_total=1`, reading.ReasonUnknownStream, "measurement"},
		{"unknown source", reading.Energy, `{"source":"wind","kwh_total":1}`, reading.ReasonUnknownValue, "source"},
		{"unknown category LP", reading.Waste, `waste,category=plastic,treatment=autoclave mass_kg=2`, reading.ReasonUnknownValue, "category"},
		{"bad meter name", reading.Energy, `{"meter":"main meter","source":"grid","kwh_total":1}`, reading.ReasonUnknownValue, "meter"},
		{"unknown JSON key", reading.Energy, `{"source":"grid","kwh":1}`, reading.ReasonUnknownField, "kwh"},
		{"key of another stream", reading.Energy, `{"source":"grid","kwh_total":1,"mass_kg":2}`, reading.ReasonUnknownField, "mass_kg"},
		{"unknown LP field", reading.Solar, `solar kwh_total=1,kwh_today=2`, reading.ReasonUnknownField, "kwh_today"},
		{"missing source", reading.Energy, `{"kwh_total":1}`, reading.ReasonMissingField, "source"},
		{"missing kwh_total", reading.Energy, `energy,source=grid available=true`, reading.ReasonMissingField, "kwh_total"},
		{"missing mass", reading.Waste, `{"category":"sharps","treatment":"autoclave"}`, reading.ReasonMissingField, "mass_kg"},
		{"negative counter", reading.Energy, `{"source":"grid","kwh_total":-1}`, reading.ReasonOutOfRange, "kwh_total"},
		{"mass zero", reading.Waste, `{"category":"sharps","treatment":"autoclave","mass_kg":0}`, reading.ReasonOutOfRange, "mass_kg"},
		{"mass too big", reading.Waste, `waste,category=sharps,treatment=autoclave mass_kg=10000.5`, reading.ReasonOutOfRange, "mass_kg"},
		{"soc above 100", reading.Solar, `{"kwh_total":5,"battery_soc_pct":101}`, reading.ReasonOutOfRange, "battery_soc_pct"},
		{"ts in seconds", reading.Energy, `{"ts":1772366400,"source":"grid","kwh_total":1}`, reading.ReasonOutOfRange, "ts"},
		{"ts far in future", reading.Energy, `{"ts":"2026-03-01T12:30:00Z","source":"grid","kwh_total":1}`, reading.ReasonFutureTimestamp, "ts"},
		{"LP ts far in future", reading.Energy, fmt.Sprintf("energy,source=grid kwh_total=1 %d", now.Add(time.Hour).UnixNano()), reading.ReasonFutureTimestamp, "ts"},
		{"JSON facility mismatch", reading.Energy, `{"facility":"BA-H-002","source":"grid","kwh_total":1}`, reading.ReasonFacilityMismatch, "facility"},
		{"LP facility mismatch", reading.Energy, `energy,facility=BA-H-002,source=grid kwh_total=1`, reading.ReasonFacilityMismatch, "facility"},
		{"id too long", reading.Waste, `{"category":"sharps","treatment":"autoclave","mass_kg":1,"id":"` + strings.Repeat("x", 129) + `"}`, reading.ReasonOutOfRange, "id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := decode(t, tt.stream, tt.payload)
			if len(res.Readings) != 0 {
				t.Errorf("kept %d readings, want none: %+v", len(res.Readings), res.Readings)
			}
			rejected := res.Rejected
			if len(rejected) != 1 {
				t.Fatalf("got %d rejections, want 1: %+v", len(rejected), rejected)
			}
			got := rejected[0].Err
			if got.Reason != tt.reason || got.Field != tt.field {
				t.Errorf("got reason %s field %q (%v), want %s field %q", got.Reason, got.Field, got, tt.reason, tt.field)
			}
			if got.Error() == "" {
				t.Error("rejection has no message")
			}
		})
	}
}

func TestReadingsOfEachStream(t *testing.T) {
	tsMs := now.Add(-time.Hour).UnixMilli()
	tests := []struct {
		name    string
		stream  reading.Stream
		payload string
		time    time.Time
		tags    string
		fields  string
	}{
		{"energy JSON", reading.Energy,
			fmt.Sprintf(`{"ts":%d,"source":"generator","kwh_total":1200.5,"power_w":3000,"fuel_l_total":400,"available":true}`, tsMs),
			now.Add(-time.Hour), "meter=main source=generator", "kwh_total=1200.5 power_w=3000 fuel_l_total=400 available=true"},
		{"energy LP with Telegraf's host tag", reading.Energy,
			fmt.Sprintf("energy,facility=BG-H-001,host=pi,meter=m2,source=grid kwh_total=7i,available=false %d", now.Add(-time.Minute).UnixNano()),
			now.Add(-time.Minute), "meter=m2 source=grid", "kwh_total=7 available=false"},
		{"solar JSON RFC 3339 with offset", reading.Solar,
			`{"ts":"2026-03-01T14:00:00+03:00","inverter":"roof","kwh_total":88,"battery_soc_pct":55}`,
			time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC), "inverter=roof", "kwh_total=88 battery_soc_pct=55"},
		{"solar LP without timestamp takes receive time", reading.Solar,
			"solar kwh_total=3.25", now, "inverter=main", "kwh_total=3.25"},
		{"waste JSON", reading.Waste,
			`{"ts":"2026-03-01T08:00:00Z","category":"sharps","treatment":"incineration","mass_kg":4.2,"stored_hours":30,"id":"ev-1"}`,
			time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC), "category=sharps treatment=incineration", "mass_kg=4.2 stored_hours=30 id=ev-1"},
		{"waste LP", reading.Waste,
			`waste,category=general,treatment=landfill mass_kg=20,id="a b" 1772352000000000000`,
			time.Unix(1772352000, 0), "category=general treatment=landfill", "mass_kg=20 id=a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := decode(t, tt.stream, tt.payload)
			if len(res.Rejected) != 0 || len(res.Readings) != 1 {
				t.Fatalf("got %d readings, rejections %+v; want 1 reading", len(res.Readings), res.Rejected)
			}
			r := res.Readings[0]
			if r.Facility != "BG-H-001" || r.Stream != tt.stream || !r.Time.Equal(tt.time) {
				t.Errorf("got %s/%s at %s, want BG-H-001/%s at %s", r.Facility, r.Stream, r.Time, tt.stream, tt.time)
			}
			if got := formatTags(r); got != tt.tags {
				t.Errorf("tags %q, want %q", got, tt.tags)
			}
			if got := formatFields(r); got != tt.fields {
				t.Errorf("fields %q, want %q", got, tt.fields)
			}
		})
	}
}

func TestBatchKeepsValidItems(t *testing.T) {
	var items []string
	bad := map[int]reading.Reason{7: reading.ReasonUnknownValue, 50: reading.ReasonMissingField, 99: reading.ReasonOutOfRange}
	for i := range 100 {
		switch bad[i] {
		case reading.ReasonUnknownValue:
			items = append(items, `{"source":"solar","kwh_total":1}`)
		case reading.ReasonMissingField:
			items = append(items, `{"source":"grid"}`)
		case reading.ReasonOutOfRange:
			items = append(items, `{"source":"grid","kwh_total":-5}`)
		default:
			items = append(items, fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":%d}`, now.Add(-time.Duration(i)*time.Minute).UnixMilli(), 1000-i))
		}
	}
	res := decode(t, reading.Energy, "["+strings.Join(items, ",")+"]")
	if len(res.Readings) != 97 {
		t.Errorf("kept %d readings, want 97", len(res.Readings))
	}
	if len(res.Rejected) != 3 {
		t.Fatalf("rejected %d, want 3: %+v", len(res.Rejected), res.Rejected)
	}
	for _, rej := range res.Rejected {
		if want, ok := bad[rej.Index]; !ok || rej.Err.Reason != want {
			t.Errorf("rejected item %d for %s, want items %v", rej.Index, rej.Err.Reason, bad)
		}
	}
}

func TestLineProtocolBadLineKeepsOthers(t *testing.T) {
	payload := "energy,source=grid kwh_total=1\n" +
		"energy,source=grid kwh_total=\n" +
		"energy,source=wind kwh_total=3\n" +
		"# a comment\n\n" +
		"energy,source=generator kwh_total=4,fuel_l_total=2\n"
	res := decode(t, reading.Energy, payload)
	if len(res.Readings) != 2 {
		t.Errorf("kept %d readings, want 2", len(res.Readings))
	}
	want := []struct {
		index  int
		reason reading.Reason
	}{{1, reading.ReasonMalformed}, {2, reading.ReasonUnknownValue}}
	if len(res.Rejected) != len(want) {
		t.Fatalf("rejections %+v, want %v", res.Rejected, want)
	}
	for i, w := range want {
		if got := res.Rejected[i]; got.Index != w.index || got.Err.Reason != w.reason {
			t.Errorf("rejection %d = index %d %s (%v), want index %d %s", i, got.Index, got.Err.Reason, got.Err, w.index, w.reason)
		}
	}
}

func TestDecodeStatus(t *testing.T) {
	s, err := DecodeStatus([]byte(`{"online":false}`))
	if err != nil || s.Online == nil || *s.Online {
		t.Errorf("will message: got %+v, %v", s, err)
	}
	s, err = DecodeStatus([]byte(`{"online":true,"version":"0.1.0","outbox_depth":12,"oldest_unsent":"2026-03-01T10:00:00Z","uptime_s":3600,"last_error":""}`))
	if err != nil || s.OutboxDepth == nil || *s.OutboxDepth != 12 || s.Version != "0.1.0" {
		t.Errorf("full status: got %+v, %v", s, err)
	}
	if _, err := DecodeStatus([]byte(`{"online":"yes"}`)); err == nil || err.Field != "online" {
		t.Errorf("bad online: got %v, want an error naming online", err)
	}
}

func formatTags(r reading.Reading) string {
	var parts []string
	for _, tag := range r.Tags {
		parts = append(parts, tag.Key+"="+tag.Value)
	}
	return strings.Join(parts, " ")
}

func formatFields(r reading.Reading) string {
	var parts []string
	for _, f := range r.Fields {
		var v string
		switch f.Kind {
		case reading.KindFloat:
			v = fmt.Sprint(f.Num)
		case reading.KindBool:
			v = fmt.Sprint(f.Bool)
		case reading.KindString:
			v = f.Str
		}
		parts = append(parts, f.Key+"="+v)
	}
	return strings.Join(parts, " ")
}

// TestReadingsOutliveTheNextDecode: the ingest pipeline keeps waste readings
// past the call, so a later payload must not overwrite what an earlier
// Result holds.
func TestReadingsOutliveTheNextDecode(t *testing.T) {
	d := New(limits)
	var results []Result // as returned: a Decode that reused them would show here
	for i := range 100 {
		payload := fmt.Sprintf(`[{"category":"sharps","treatment":"autoclave","mass_kg":%d,"id":"e%d"},`+
			`{"category":"general","treatment":"landfill","mass_kg":%d.5}]`, i+1, i, i+1)
		if i%2 == 1 {
			payload = fmt.Sprintf("waste,category=sharps,treatment=autoclave mass_kg=%d,id=\"e%d\"\n"+
				"waste,category=general,treatment=landfill mass_kg=%d.5", i+1, i, i+1)
		}
		res := d.Decode("BG-H-001", reading.Waste, []byte(payload), now)
		if len(res.Readings) != 2 {
			t.Fatalf("payload %d: %+v", i, res)
		}
		results = append(results, res)
	}
	var kept []reading.Reading
	for _, res := range results {
		kept = append(kept, res.Readings...)
	}
	for j, r := range kept {
		i := j / 2
		want := fmt.Sprintf("category=sharps treatment=autoclave/mass_kg=%d id=e%d", i+1, i)
		if j%2 == 1 {
			want = fmt.Sprintf("category=general treatment=landfill/mass_kg=%d.5", i+1)
		}
		if got := formatTags(r) + "/" + formatFields(r); got != want {
			t.Errorf("reading %d: %s, want %s", j, got, want)
		}
	}
}
