#!/usr/bin/env bash
# Ingest benchmark: builds the collector, the bench command and the peer it
# is measured against (Telegraf, pinned, with only the plugins the bench
# uses), then starts its own Mosquitto and InfluxDB on free loopback ports
# and prints, side by side in one run, a bare subscriber's message rate and
# the collector's and Telegraf's end-to-end readings/s, CPU seconds and peak
# memory with 1 and 50 readings a message, in line protocol and in the
# agent's JSON. Extra flags go to `greenpulse-bench ingest` (e.g.
# --messages 50000 for a quick run). Telegraf is for this benchmark only:
# the test command neither builds nor needs it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
# shellcheck source=scripts/go-tools.sh
. scripts/go-tools.sh
telegraf_version=v1.36.4
telegraf="$cache/bin/telegraf"
# `custom` leaves every plugin out but those named: a smaller binary and a
# build of about a minute and a half instead of a quarter of an hour.
go_install_pinned telegraf "$telegraf" github.com/influxdata/telegraf/cmd/telegraf "$telegraf_version" \
  "about a minute and a half the first time" custom,inputs.mqtt_consumer,outputs.influxdb_v2,parsers.influx,parsers.json_v2 >&2
mkdir -p bin
go build -trimpath -ldflags "-s -w" -o bin/greenpulse-collector ./cmd/greenpulse-collector
go build -o bin/greenpulse-bench ./cmd/greenpulse-bench
exec bin/greenpulse-bench ingest --collector bin/greenpulse-collector --telegraf "$telegraf" "$@"
