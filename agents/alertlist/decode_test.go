package alertlist

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// good is an alert as the collector's API writes it, with a field this
// version does not know.
const good = `{"id":"open_burning.BG-H-001","rule":"open_burning","facility":"BG-H-001","district":"BG-RSF",
"governorate":"IQ-BG","severity":"critical","message":"Open burning of infectious waste (12.5 kg) reported",
"message_ar":"تم الإبلاغ عن حرق مكشوف لنفايات infectious (12.5 كغ)","first_seen":"2026-12-01T10:00:00Z",
"last_seen":"2026-12-01T10:05:00.123Z","count":2,"state":"active_unacknowledged","runbook":"https://example.org"}`

// with returns good with the fields of patch (a JSON object) set, or
// removed where patch says null.
func with(t *testing.T, patch string) string {
	t.Helper()
	var a, p map[string]any
	if err := json.Unmarshal([]byte(good), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(patch), &p); err != nil {
		t.Fatal(err)
	}
	for k, v := range p {
		if v == nil {
			delete(a, k)
		} else {
			a[k] = v
		}
	}
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecodeLeavesOutBadAlertsNamingTheField(t *testing.T) {
	tests := []struct {
		name  string
		alert string
		field string // "" for an alert that is kept
		says  string
	}{
		{"as the collector writes it", good, "", ""},
		{"acknowledged", with(t, `{"state":"active_acknowledged","ack":{"by":"Dr. Salma","at":"2026-12-01T11:00:00Z","comment":"called"}}`), "", ""},
		{"no message_ar", with(t, `{"message_ar":null}`), "", ""},
		{"no id", with(t, `{"id":null}`), "id", "missing"},
		{"another facility's", with(t, `{"facility":"BG-H-002"}`), "facility", `"BG-H-002" is not this agent's facility`},
		{"unknown severity", with(t, `{"severity":"urgent"}`), "severity", `"urgent" is not critical, warning or info`},
		{"severity a number", with(t, `{"severity":3}`), "severity", "a JSON number"},
		{"cleared", with(t, `{"state":"cleared"}`), "state", `"cleared" is not active`},
		{"empty message", with(t, `{"message":"  "}`), "message", "missing"},
		{"message too long", with(t, fmt.Sprintf(`{"message":%q}`, strings.Repeat("x", 1001))), "message", "at most 1000"},
		{"control character in message_ar", with(t, `{"message_ar":"a\u0007b"}`), "message_ar", "control characters"},
		{"first_seen missing", with(t, `{"first_seen":null}`), "first_seen", "missing"},
		{"first_seen not a time", with(t, `{"first_seen":"yesterday"}`), "first_seen", "not an RFC 3339 time"},
		{"last_seen a number", with(t, `{"last_seen":1733047200000}`), "last_seen", "a JSON number"},
		{"count negative", with(t, `{"count":-1}`), "count", "negative"},
		{"acknowledged without ack", with(t, `{"state":"active_acknowledged"}`), "ack", "missing"},
		{"ack without by", with(t, `{"ack":{"at":"2026-12-01T11:00:00Z"}}`), "ack.by", "missing"},
		{"ack.by two lines", with(t, `{"ack":{"by":"a\nb"}}`), "ack.by", "one line"},
		{"ack.by a number", with(t, `{"ack":{"by":7}}`), "ack.by", "a JSON number"},
		{"ack.at not a time", with(t, `{"ack":{"by":"x","at":"noon"}}`), "ack.at", "not an RFC 3339 time"},
		{"not an object", `"open_burning"`, "(the alert)", "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Between two good alerts: only the one in the middle is
			// judged, the others are kept.
			other := with(t, `{"id":"open_dumping.BG-H-001","rule":"open_dumping"}`)
			payload := "[" + other + "," + tt.alert + "," + other + "]"
			list, problems, err := Decode([]byte(payload), "BG-H-001")
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if tt.field == "" {
				if len(problems) != 0 || len(list) != 3 {
					t.Fatalf("kept %d, problems %v; want all 3 kept", len(list), problems)
				}
				return
			}
			if len(list) != 2 || len(problems) != 1 {
				t.Fatalf("kept %d, problems %v; want 2 kept and 1 problem", len(list), problems)
			}
			var fe *FieldError
			if !errors.As(problems[0], &fe) || fe.Index != 1 || fe.Field != tt.field || !strings.Contains(fe.Problem, tt.says) {
				t.Errorf("problem %v, want alert 1, field %s: …%s…", problems[0], tt.field, tt.says)
			}
			if msg := problems[0].Error(); !strings.Contains(msg, "field "+tt.field+":") {
				t.Errorf("message %q does not name the field %s", msg, tt.field)
			}
		})
	}
}

func TestDecodeKeepsWhatThePageShows(t *testing.T) {
	list, _, err := Decode([]byte("["+with(t, `{"state":"active_acknowledged","ack":{"by":"Dr. Salma","at":"2026-12-01T11:00:00+03:00","comment":"called"}}`)+"]"), "BG-H-001")
	if err != nil || len(list) != 1 {
		t.Fatalf("Decode: %v %v", list, err)
	}
	a := list[0]
	if a.Severity != "critical" || !strings.HasPrefix(a.Message, "Open burning") || !strings.HasPrefix(a.MessageAr, "تم") ||
		!a.FirstSeen.Equal(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)) || a.Count != 2 ||
		a.Ack == nil || a.Ack.By != "Dr. Salma" || !a.Ack.At.Equal(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)) {
		t.Errorf("decoded %+v (ack %+v)", a, a.Ack)
	}
}

func TestDecodeRefusesWhatIsNotABoundedList(t *testing.T) {
	many := "[" + strings.TrimSuffix(strings.Repeat(good+",", MaxAlerts+1), ",") + "]"
	tests := []struct {
		name, payload, says string
	}{
		{"empty", "", "not a JSON array"},
		{"null", "null", "not a JSON array"},
		{"an object", good, "not a JSON array"},
		{"broken", "[" + good, "not a JSON array"},
		{"too many", many, fmt.Sprintf("%d alerts, more than %d", MaxAlerts+1, MaxAlerts)},
		{"too large", "[" + strings.Repeat(" ", MaxBytes) + "]", "more than 262144"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, _, err := Decode([]byte(tt.payload), "BG-H-001")
			if err == nil || !strings.Contains(err.Error(), tt.says) || list != nil {
				t.Errorf("Decode = %d alerts, %v; want no list and an error saying %q", len(list), err, tt.says)
			}
		})
	}
	if list, problems, err := Decode([]byte(" [] "), "BG-H-001"); err != nil || list == nil || len(list) != 0 || problems != nil {
		t.Errorf("Decode([]) = %v, %v, %v; want an empty list", list, problems, err)
	}
}

// FuzzDecode: whatever arrives on the topic, Decode returns without
// panicking, within its bounds, and every alert it keeps passes the check
// that the state file's loader applies.
func FuzzDecode(f *testing.F) {
	f.Add([]byte("[" + good + "]"))
	f.Add([]byte("[]"))
	f.Add([]byte(`[{"id":"x","ack":{"by":1}}, 3, null, {"first_seen":"2026-13-01T00:00:00Z"}]`))
	f.Add([]byte("null"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		list, problems, err := Decode(payload, "BG-H-001")
		if err != nil {
			if list != nil || problems != nil {
				t.Fatalf("an error with a list: %v %v", list, problems)
			}
			return
		}
		if list == nil || len(list)+len(problems) > MaxAlerts {
			t.Fatalf("%d kept, %d problems", len(list), len(problems))
		}
		for i := range list {
			if err := list[i].check("BG-H-001"); err != nil {
				t.Fatalf("kept alert %d fails its check: %v", i, err)
			}
		}
		for _, p := range problems {
			var fe *FieldError
			if !errors.As(p, &fe) || fe.Field == "" {
				t.Fatalf("problem %v names no field", p)
			}
		}
	})
}
