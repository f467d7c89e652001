// Package grafana holds GreenPulse's Grafana dashboards (national.json and
// facility.json), queried with Flux from the raw and indicator buckets, and
// the provisioning files that install them; the README beside them says how.
// The package has no Go code of its own: its tests check the dashboards'
// structure and run every Flux query of them against a real InfluxDB 1.8
// filled with simulated facilities and their roll-ups.
package grafana
