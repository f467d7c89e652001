// Package partition splits the facilities between collectors that share
// the load without MQTT's $share subscriptions, which NATS and RabbitMQ
// do not have: collector Index of Count takes the facilities whose id
// hashes to Index, each collector with its own persistent session, so a
// collector that dies leaves its facilities queued in its session for
// when it returns.
//
// The hash is NATS's partition(count, token) subject mapping (FNV-1a,
// 32 bits, of the facility id, modulo Count), so that both ways of
// subscribing put a facility in the same partition:
//
//   - FacilityFilters: one topic filter <root>/<facility>/+ per facility
//     of the registry in the partition. Any MQTT 3.1.1 broker.
//   - NATSMapping: the broker's subject mapping (configs/nats) appends the
//     partition to every stream topic, <root>/<facility>/<stream>/<p>, and
//     the collector subscribes to <root>/+/+/<Index> alone. NATS only; on
//     NATS a filter costs a replicated JetStream consumer, which makes one
//     filter per facility too slow to subscribe and to publish through.
package partition

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// Methods of subscribing to a partition.
const (
	FacilityFilters = "facility_filters"
	NATSMapping     = "nats_mapping"
)

// Partition is the share of one collector: Index of Count. The zero value
// (Count 0) is no partition: one collector takes every facility. Count 1
// is one collector too, for a NATS cluster whose mapping has one
// partition.
type Partition struct {
	Count  int    `yaml:"count"`
	Index  int    `yaml:"index"`
	Method string `yaml:"method"`
}

// MaxCount bounds Count: far more collectors than a national system needs,
// and few enough topic filters per partition to stay useful.
const MaxCount = 64

// Enabled reports whether a partition is configured.
func (p Partition) Enabled() bool { return p.Count >= 1 }

// Of returns the partition of facility among count, as NATS's
// {{partition(count,1)}} computes it for the facility's topic level.
func Of(facility string, count int) int {
	if count <= 1 {
		return 0
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(facility))
	return int(h.Sum32() % uint32(count))
}

// Owns reports whether facility is this collector's: always, unless the
// facilities are split.
func (p Partition) Owns(facility string) bool {
	return !p.Enabled() || Of(facility, p.Count) == p.Index
}

// Validate checks the keys, naming each under prefix (such as
// "mqtt.partition").
func (p Partition) Validate(prefix string) []error {
	var errs []error
	if p.Count < 0 || p.Count > MaxCount {
		errs = append(errs, fmt.Errorf("%s.count: must be 0 (no partition) to %d, got %d", prefix, MaxCount, p.Count))
	}
	if p.Index < 0 || (p.Enabled() && p.Index >= p.Count) || (!p.Enabled() && p.Index != 0) {
		errs = append(errs, fmt.Errorf("%s.index: must be 0 to count-1 (%d), got %d", prefix, max(p.Count-1, 0), p.Index))
	}
	if p.Method != FacilityFilters && p.Method != NATSMapping {
		errs = append(errs, fmt.Errorf("%s.method: must be %s (any broker) or %s (a NATS cluster with configs/nats' mapping), got %q",
			prefix, FacilityFilters, NATSMapping, p.Method))
	}
	return errs
}

// Filters returns the topic filters of the partition under root, given
// the registry's facility ids (used by FacilityFilters only).
func (p Partition) Filters(root string, facilities []string) []string {
	if !p.Enabled() {
		return []string{root + "/+/+"}
	}
	if p.Method == NATSMapping {
		return []string{root + "/+/+/" + strconv.Itoa(p.Index)}
	}
	if p.Count == 1 {
		return []string{root + "/+/+"}
	}
	var out []string
	for _, id := range facilities {
		if p.Owns(id) {
			out = append(out, root+"/"+id+"/+")
		}
	}
	return out
}

// Topic returns the topic a message would have had without the broker's
// mapping: <root>/<facility>/<stream> for <root>/<facility>/<stream>/<p>
// under NATSMapping, and topic itself otherwise. A mapped topic whose
// partition is not this collector's is returned as it came, so that the
// pipeline rejects it as a malformed topic instead of storing a facility
// another collector stores too.
func (p Partition) Topic(root, topic string) string {
	if !p.Enabled() || p.Method != NATSMapping {
		return topic
	}
	rest, ok := strings.CutPrefix(topic, root+"/")
	if !ok {
		return topic
	}
	i := strings.LastIndexByte(rest, '/')
	if i < 0 || strings.Count(rest, "/") != 2 || rest[i+1:] != strconv.Itoa(p.Index) {
		return topic
	}
	return topic[:len(topic)-len(rest)+i] // a prefix: no allocation per message
}
