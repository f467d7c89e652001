#!/usr/bin/env bash
# Cluster benchmark, the capacity model's measurements: builds the collector
# and the bench command, then, for each setup (InfluxDB alone; one Mosquitto
# and one collector; a 3-node NATS cluster with one collector; the same
# cluster with the partition mapping and 3 collectors), starts fresh
# servers on free loopback ports and offers a ladder of message rates until
# a step saturates, printing per step the acknowledged and stored rates,
# publish latency, drain lag and CPU per process, and at the end what
# saturates first. Extra flags go to `greenpulse-bench cluster` (e.g.
# --rates 250,1000 --step 5s for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
mkdir -p bin
go build -trimpath -ldflags "-s -w" -o bin/greenpulse-collector ./cmd/greenpulse-collector
go build -o bin/greenpulse-bench ./cmd/greenpulse-bench
exec bin/greenpulse-bench cluster --collector bin/greenpulse-collector "$@"
