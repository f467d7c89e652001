package partition

import (
	"fmt"
	"strings"
	"testing"
)

func TestOfSpreadsAndIsStable(t *testing.T) {
	// FNV-1a of "BG-H-001" is 0xa9139df9 (worked by hand); NATS's partition()
	// takes it modulo the count. The integration test TestNATSMappingAgrees
	// checks the same against a real nats-server.
	if got := Of("BG-H-001", 3); got != int(uint32(0xa9139df9)%3) {
		t.Fatalf("Of(BG-H-001, 3) = %d", got)
	}
	counts := make([]int, 3)
	for i := range 3000 {
		counts[Of(fmt.Sprintf("XX-H-%04d", i), 3)]++
	}
	for p, n := range counts {
		if n < 900 || n > 1100 {
			t.Errorf("partition %d holds %d of 3000 facilities: %v", p, n, counts)
		}
	}
	if Of("BG-H-001", 0) != 0 || Of("BG-H-001", 1) != 0 {
		t.Error("no partition must be partition 0")
	}
}

func TestValidateNamesTheKey(t *testing.T) {
	for _, tt := range []struct {
		p    Partition
		want string
	}{
		{Partition{Method: FacilityFilters}, ""},
		{Partition{Count: 3, Index: 2, Method: NATSMapping}, ""},
		{Partition{Count: 3, Index: 3, Method: FacilityFilters}, "mqtt.partition.index: must be 0 to count-1 (2), got 3"},
		{Partition{Count: 0, Index: 1, Method: FacilityFilters}, "mqtt.partition.index"},
		{Partition{Count: 1, Index: 1, Method: NATSMapping}, "mqtt.partition.index: must be 0 to count-1 (0), got 1"},
		{Partition{Count: -1, Method: FacilityFilters}, "mqtt.partition.count"},
		{Partition{Count: MaxCount + 1, Method: FacilityFilters}, "mqtt.partition.count"},
		{Partition{Count: 3, Method: "share"}, `mqtt.partition.method: must be facility_filters (any broker) or nats_mapping`},
	} {
		errs := tt.p.Validate("mqtt.partition")
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Error())
		}
		got := strings.Join(msgs, "; ")
		if tt.want == "" && got != "" || tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("%+v: got %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestFilters(t *testing.T) {
	ids := []string{"BG-H-001", "BG-H-002", "BA-P-003", "NI-H-004", "KA-H-005", "KA-P-006"}
	if got := (Partition{}).Filters("gp", ids); strings.Join(got, " ") != "gp/+/+" {
		t.Errorf("no partition: %v", got)
	}
	if got := (Partition{Count: 3, Index: 1, Method: NATSMapping}).Filters("gp", ids); strings.Join(got, " ") != "gp/+/+/1" {
		t.Errorf("nats_mapping: %v", got)
	}
	if got := (Partition{Count: 1, Method: NATSMapping}).Filters("gp", ids); strings.Join(got, " ") != "gp/+/+/0" {
		t.Errorf("nats_mapping, one partition: %v", got)
	}
	if got := (Partition{Count: 1, Method: FacilityFilters}).Filters("gp", ids); strings.Join(got, " ") != "gp/+/+" {
		t.Errorf("facility_filters, one partition: %v", got)
	}
	seen := map[string]int{}
	for i := range 3 {
		p := Partition{Count: 3, Index: i, Method: FacilityFilters}
		for _, f := range p.Filters("gp", ids) {
			id := strings.TrimSuffix(strings.TrimPrefix(f, "gp/"), "/+")
			if Of(id, 3) != i {
				t.Errorf("partition %d subscribes to %s of partition %d", i, f, Of(id, 3))
			}
			seen[id]++
		}
	}
	for _, id := range ids {
		if seen[id] != 1 {
			t.Errorf("%s is in %d partitions, want exactly 1", id, seen[id])
		}
	}
}

func TestTopic(t *testing.T) {
	mapped := Partition{Count: 3, Index: 1, Method: NATSMapping}
	for _, tt := range []struct {
		p           Partition
		topic, want string
	}{
		{mapped, "gp/BG-H-001/energy/1", "gp/BG-H-001/energy"},
		{mapped, "gp/BG-H-001/energy/2", "gp/BG-H-001/energy/2"}, // not ours: left to be rejected
		{mapped, "gp/BG-H-001/energy", "gp/BG-H-001/energy"},
		{mapped, "gp/BG-H-001/x/y/1", "gp/BG-H-001/x/y/1"},
		{mapped, "other/BG-H-001/energy/1", "other/BG-H-001/energy/1"},
		{Partition{Count: 3, Index: 1, Method: FacilityFilters}, "gp/BG-H-001/energy/1", "gp/BG-H-001/energy/1"},
		{Partition{}, "gp/BG-H-001/energy", "gp/BG-H-001/energy"},
	} {
		if got := tt.p.Topic("gp", tt.topic); got != tt.want {
			t.Errorf("%+v Topic(%q) = %q, want %q", tt.p, tt.topic, got, tt.want)
		}
	}
}

// FuzzTopic: a topic from the broker comes back unchanged, or as the
// same topic less exactly its last level, the collector's index.
func FuzzTopic(f *testing.F) {
	for _, s := range []string{"gp/BG-H-001/energy/1", "gp/a/b/2", "gp//1", "gp/a/b/1/", "gp/a/b/c/1", ""} {
		f.Add(s)
	}
	p := Partition{Count: 3, Index: 1, Method: NATSMapping}
	f.Fuzz(func(t *testing.T, topic string) {
		got := p.Topic("gp", topic)
		if got == topic {
			return
		}
		if got+"/1" != topic || !strings.HasPrefix(got, "gp/") || strings.Count(got, "/") != 2 {
			t.Fatalf("Topic(%q) = %q", topic, got)
		}
	})
}
