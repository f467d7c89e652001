package main

import (
	"fmt"
	"io"

	"github.com/greenpulse-health/greenpulse/collector/config"
	"github.com/greenpulse-health/greenpulse/collector/partition"
	"github.com/greenpulse-health/greenpulse/registry"
)

// checkPartition says which facilities this collector takes, so that an
// operator setting up collector i of n sees its share before starting
// it, and fails where serve would refuse to start.
func checkPartition(w io.Writer, cfg config.Config, reg *registry.Registry) error {
	p := cfg.MQTT.Partition
	if !p.Enabled() {
		return nil
	}
	owned := 0
	for _, id := range reg.IDs() {
		if p.Owns(id) {
			owned++
		}
	}
	filters := p.Filters(cfg.MQTT.TopicRoot, reg.IDs())
	if len(filters) == 0 {
		return fmt.Errorf("mqtt.partition: partition %d of %d holds none of the registry's %d facilities", p.Index, p.Count, reg.Len())
	}
	fmt.Fprintf(w, "mqtt: partition %d of %d (%s): %d of %d facilities, %d topic filters, first %s\n",
		p.Index, p.Count, p.Method, owned, reg.Len(), len(filters), filters[0])
	if p.Method == partition.FacilityFilters && len(filters) > 1 {
		// NATS refuses a session's subscriptions past 65535 messages in
		// flight in all, each filter taking mqtt.max_ack_pending.
		fmt.Fprintf(w, "  on a NATS broker: its mqtt.max_ack_pending must be at most %d for %d filters, or use method %s\n",
			65535/len(filters), len(filters), partition.NATSMapping)
	}
	return nil
}
