#!/usr/bin/env bash
# Ingest benchmark: builds the collector and the bench command, then starts
# its own Mosquitto and InfluxDB on free loopback ports and prints the bare
# subscriber's message rate, the collector's end-to-end readings/s with 1 and
# 50 readings a message, and the collector's peak memory. Extra flags go to
# `greenpulse-bench ingest` (e.g. --messages 50000 for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
mkdir -p bin
go build -trimpath -ldflags "-s -w" -o bin/greenpulse-collector ./cmd/greenpulse-collector
go build -o bin/greenpulse-bench ./cmd/greenpulse-bench
exec bin/greenpulse-bench ingest --collector bin/greenpulse-collector "$@"
