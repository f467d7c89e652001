package collector_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/partition"
	"github.com/greenpulse-health/greenpulse/internal/teststack"
	"github.com/greenpulse-health/greenpulse/registry"
)

// TestEveryStreamLands publishes each stream in JSON and in line protocol and
// checks the stored point's tags, fields, types and timestamp.
func TestEveryStreamLands(t *testing.T) {
	s := startStack(t)
	runCollector(t, s.config(t))
	pub := publisher(t, s.broker.URL(), "agent-streams")

	ts := time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)
	tsNs := fmt.Sprint(ts.UnixNano())
	tests := []struct {
		name, facility, stream, payload string
		want                            map[string]any // columns of the stored row
	}{
		{"energy JSON", "AN-H-001", "energy",
			`{"ts":"2026-03-01T11:30:00+03:00","meter":"m1","source":"generator","kwh_total":100.5,"power_w":2500,"fuel_l_total":30,"available":true}`,
			map[string]any{"meter": "m1", "source": "generator", "kwh_total": "100.5", "power_w": "2500", "fuel_l_total": "30", "available": true}},
		{"energy line protocol", "AN-H-002", "energy",
			`energy,facility=AN-H-002,host=telegraf-1,source=grid kwh_total=12i,available=false ` + tsNs,
			map[string]any{"meter": "main", "source": "grid", "kwh_total": "12", "available": false}},
		{"solar JSON with ms timestamp", "AN-H-003", "solar",
			fmt.Sprintf(`{"ts":%d,"inverter":"roof-a","kwh_total":812.25,"power_w":4100,"battery_soc_pct":77}`, ts.UnixMilli()),
			map[string]any{"inverter": "roof-a", "kwh_total": "812.25", "power_w": "4100", "battery_soc_pct": "77"}},
		{"solar line protocol", "AN-P-001", "solar",
			`solar kwh_total=3.5,power_w=-10 ` + tsNs,
			map[string]any{"inverter": "main", "kwh_total": "3.5", "power_w": "-10"}},
		{"waste JSON", "BG-H-001", "waste",
			`{"ts":"2026-03-01T08:30:00Z","category":"sharps","treatment":"incineration","mass_kg":4.2,"stored_hours":30,"id":"hand-over-17"}`,
			map[string]any{"category": "sharps", "treatment": "incineration", "mass_kg": "4.2", "stored_hours": "30", "id": "hand-over-17"}},
		{"waste line protocol", "BG-H-002", "waste",
			`waste,category=general,treatment=landfill mass_kg=25,id="lp 1" ` + tsNs,
			map[string]any{"category": "general", "treatment": "landfill", "mass_kg": "25", "id": "lp 1"}},
	}
	for _, tt := range tests {
		publish(t, pub, "greenpulse/"+tt.facility+"/"+tt.stream, tt.payload)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := fmt.Sprintf(`SELECT * FROM %q WHERE facility='%s'`, tt.stream, tt.facility)
			var rows []map[string]any
			eventually(t, 20*time.Second, "point stored", func() (bool, string) {
				rows = influxQL(t, s.influx.URL(), q)
				return len(rows) == 1, fmt.Sprintf("%d rows", len(rows))
			})
			row := rows[0]
			if got := fmt.Sprint(row["time"]); got != tsNs {
				t.Errorf("time %s, want %s (%s)", got, tsNs, ts)
			}
			if row["facility"] != tt.facility {
				t.Errorf("facility tag %v, want %s", row["facility"], tt.facility)
			}
			for col, want := range tt.want {
				got := row[col]
				if n, ok := got.(json.Number); ok {
					got = n.String()
				}
				if got != want {
					t.Errorf("%s = %v (%T), want %v", col, got, got, want)
				}
			}
		})
	}

	// Numbers are floats whatever the sender wrote (12i above), so the
	// schema never meets a field type conflict.
	want := map[string]string{"kwh_total": "float", "power_w": "float", "fuel_l_total": "float",
		"available": "boolean", "battery_soc_pct": "float", "mass_kg": "float", "stored_hours": "float", "id": "string"}
	for _, row := range influxQL(t, s.influx.URL(), `SHOW FIELD KEYS`) {
		key := fmt.Sprint(row["fieldKey"])
		if w, ok := want[key]; !ok || row["fieldType"] != w {
			t.Errorf("field %s has type %v, want %q", key, row["fieldType"], w)
		}
	}
}

// TestBatchWithBadItems stores the 97 good readings of a 100-reading batch
// and republishes the 3 bad ones, each with its index and reason.
func TestBatchWithBadItems(t *testing.T) {
	s := startStack(t)
	runCollector(t, s.config(t))
	rejected := subscribe(t, s.broker.URL(), "greenpulse/_rejected/#")
	pub := publisher(t, s.broker.URL(), "agent-batch")

	base := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	bad := map[int]string{3: "unknown_field_value", 42: "missing_field", 98: "timestamp_in_future"}
	var items []string
	for i := range 100 {
		ts := base.Add(time.Duration(i) * time.Minute).UnixMilli()
		switch bad[i] {
		case "unknown_field_value":
			items = append(items, fmt.Sprintf(`{"ts":%d,"source":"diesel","kwh_total":%d}`, ts, i))
		case "missing_field":
			items = append(items, fmt.Sprintf(`{"ts":%d,"source":"grid"}`, ts))
		case "timestamp_in_future":
			items = append(items, fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":%d}`, time.Now().Add(48*time.Hour).UnixMilli(), i))
		default:
			items = append(items, fmt.Sprintf(`{"ts":%d,"source":"grid","kwh_total":%d}`, ts, i))
		}
	}
	publish(t, pub, "greenpulse/AN-H-001/energy", "["+strings.Join(items, ",")+"]")

	eventually(t, 20*time.Second, "97 points stored", func() (bool, string) {
		n := countPoints(t, s.influx.URL(), "energy", "kwh_total", "AN-H-001")
		return n == 97, fmt.Sprintf("%d points", n)
	})
	eventually(t, 10*time.Second, "3 rejections republished", func() (bool, string) {
		n := len(rejected.Snapshot())
		return n == 3, fmt.Sprintf("%d rejections", n)
	})
	for _, m := range rejected.Snapshot() {
		if m.Topic != "greenpulse/_rejected/AN-H-001/energy" {
			t.Errorf("rejection on %s", m.Topic)
		}
		var r struct {
			Reason     string    `json:"reason"`
			Topic      string    `json:"topic"`
			Index      *int      `json:"index"`
			ReceivedAt time.Time `json:"received_at"`
			Payload    string    `json:"payload"`
		}
		if err := json.Unmarshal(m.Payload, &r); err != nil {
			t.Fatalf("rejection %s: %v", m.Payload, err)
		}
		if r.Index == nil || bad[*r.Index] != r.Reason {
			t.Errorf("rejection %s: want one of %v", m.Payload, bad)
		}
		if r.Topic != "greenpulse/AN-H-001/energy" || r.ReceivedAt.IsZero() || len(r.Payload) != 1024 {
			t.Errorf("rejection %s: want the topic, receive time and the payload cut to 1 KiB", m.Payload)
		}
	}
	// Exactly the good items, by their timestamps.
	rows := influxQL(t, s.influx.URL(), `SELECT kwh_total FROM energy WHERE facility='AN-H-001'`)
	for _, row := range rows {
		v, _ := row["kwh_total"].(json.Number).Int64()
		if _, isBad := bad[int(v)]; isBad {
			t.Errorf("bad item %d was stored", v)
		}
	}
}

// TestUnknownFacilityAndStream checks the topic-level rejections.
func TestUnknownFacilityAndStream(t *testing.T) {
	s := startStack(t)
	runCollector(t, s.config(t))
	rejected := subscribe(t, s.broker.URL(), "greenpulse/_rejected/#")
	pub := publisher(t, s.broker.URL(), "agent-unknown")

	publish(t, pub, "greenpulse/NOT-IN-REGISTRY/energy", `{"source":"grid","kwh_total":1}`)
	publish(t, pub, "greenpulse/AN-H-001/water", `{"litres":1}`)
	publish(t, pub, "greenpulse/AN-H-001/solar", `{"kwh_total":1,"facility":"BG-H-001"}`)
	publish(t, pub, "greenpulse/AN-H-001/solar", strings.Repeat(" ", 1<<20+1))

	want := map[string]string{
		"greenpulse/_rejected/NOT-IN-REGISTRY/energy": "unknown_facility",
		"greenpulse/_rejected/AN-H-001/water":         "unknown_stream",
	}
	eventually(t, 10*time.Second, "4 rejections", func() (bool, string) {
		n := len(rejected.Snapshot())
		return n == 4, fmt.Sprintf("%d", n)
	})
	reasons := map[string]bool{}
	for _, m := range rejected.Snapshot() {
		var r struct{ Reason string }
		_ = json.Unmarshal(m.Payload, &r)
		reasons[r.Reason] = true
		if w, ok := want[m.Topic]; ok && w != r.Reason {
			t.Errorf("%s: reason %s, want %s", m.Topic, r.Reason, w)
		}
	}
	for _, r := range []string{"unknown_facility", "unknown_stream", "facility_mismatch", "payload_too_large"} {
		if !reasons[r] {
			t.Errorf("no rejection with reason %s (got %v)", r, reasons)
		}
	}
}

// TestSharedSubscription runs two collectors in one shared group: the broker
// splits the messages between them, and every reading is stored once.
func TestSharedSubscription(t *testing.T) {
	s := startStack(t)
	var listens []string
	for i := range 2 {
		cfg := s.config(t)
		cfg.MQTT.ClientID = fmt.Sprintf("collector-shared-%d", i)
		cfg.MQTT.SharedGroup = "collectors"
		cfg.Alerts.Enabled = false // alerts need one collector that sees every message
		runCollector(t, cfg)
		listens = append(listens, cfg.HTTP.Listen)
	}
	pub := publisher(t, s.broker.URL(), "agent-shared")
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	const n = 400
	for i := range n {
		publish(t, pub, "greenpulse/DI-H-001/solar", fmt.Sprintf(`{"ts":%d,"kwh_total":%d}`, base.Add(time.Duration(i)*time.Second).UnixMilli(), i))
	}
	eventually(t, 30*time.Second, "every reading stored", func() (bool, string) {
		got := countPoints(t, s.influx.URL(), "solar", "kwh_total", "DI-H-001")
		return got == n, fmt.Sprint(got)
	})
	total := 0
	for _, listen := range listens {
		got := int(metricValue(t, listen, `greenpulse_collector_readings_total{stream="solar"}`))
		if got == 0 {
			t.Errorf("collector on %s received nothing: the subscription was not shared", listen)
		}
		total += got
	}
	if total != n {
		t.Errorf("the collectors accepted %d readings between them, want %d (each exactly once)", total, n)
	}
}

func metricValue(t *testing.T, listen, series string) float64 {
	t.Helper()
	return teststack.MetricValue(t, listen, series)
}

// TestPartitionByFacilityFilters splits the facilities between three
// collectors by one topic filter per facility, on Mosquitto: each
// collector accepts exactly its partition's readings, and while one is
// away its facilities wait in its session, not in another collector.
func TestPartitionByFacilityFilters(t *testing.T) {
	s := startStack(t)
	cfgs := make([]config.Config, 3)
	stops := make([]func() error, 3)
	for i := range cfgs {
		cfgs[i] = s.config(t)
		cfgs[i].MQTT.ClientID = fmt.Sprintf("collector-part-%d", i)
		cfgs[i].MQTT.Partition = partition.Partition{Count: 3, Index: i, Method: partition.FacilityFilters}
		if err := cfgs[i].Validate(); err != nil {
			t.Fatal(err)
		}
		stops[i] = runCollector(t, cfgs[i])
	}
	reg, err := registry.Load(cfgs[0].Registry)
	if err != nil {
		t.Fatal(err)
	}
	facilities := reg.IDs()[:30]
	pub := publisher(t, s.broker.URL(), "agent-partition")
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	publishRound := func(round, n int) {
		t.Helper()
		for _, id := range facilities {
			items := make([]string, n)
			for j := range items {
				items[j] = fmt.Sprintf(`{"ts":%d,"kwh_total":%d}`, base.Add(time.Duration(round*n+j)*time.Second).UnixMilli(), round*n+j)
			}
			publish(t, pub, "greenpulse/"+id+"/solar", "["+strings.Join(items, ",")+"]")
		}
	}
	stored := func(id string) int { return countPoints(t, s.influx.URL(), "solar", "kwh_total", id) }
	const n = 10
	publishRound(0, n)
	eventually(t, 30*time.Second, "every reading stored", func() (bool, string) {
		for _, id := range facilities {
			if got := stored(id); got != n {
				return false, fmt.Sprintf("%s: %d of %d", id, got, n)
			}
		}
		return true, ""
	})
	owned := make([]int, 3)
	for _, id := range facilities {
		owned[partition.Of(id, 3)]++
	}
	for i, cfg := range cfgs {
		got := int(metricValue(t, cfg.HTTP.Listen, `greenpulse_collector_readings_total{stream="solar"}`))
		if got != owned[i]*n {
			t.Errorf("collector %d accepted %d readings, want %d (its %d facilities' only)", i, got, owned[i]*n, owned[i])
		}
	}

	// Collector 1 away: its facilities queue in its session.
	if err := stops[1](); err != nil {
		t.Fatal(err)
	}
	publishRound(1, n)
	eventually(t, 30*time.Second, "the other partitions stored", func() (bool, string) {
		for _, id := range facilities {
			if partition.Of(id, 3) != 1 && stored(id) != 2*n {
				return false, id
			}
		}
		return true, ""
	})
	for _, id := range facilities {
		if partition.Of(id, 3) == 1 && stored(id) != n {
			t.Errorf("%s of the stopped collector's partition: %d stored, want %d until it returns", id, stored(id), n)
		}
	}
	runCollector(t, cfgs[1])
	eventually(t, 30*time.Second, "the returning collector's facilities stored", func() (bool, string) {
		for _, id := range facilities {
			if got := stored(id); got != 2*n {
				return false, fmt.Sprintf("%s: %d of %d", id, got, 2*n)
			}
		}
		return true, ""
	})
}
