#!/usr/bin/env bash
# Installs what GreenPulse's tests, benchmark and dev stack need, when it is
# missing, on a Debian machine as root: Mosquitto and its clients from
# Debian, and InfluxDB 1.8.10 built with `go install` into a cache folder
# (about two minutes the first time). Starts nothing. Safe to run again.
set -euo pipefail

cache="${GREENPULSE_CACHE:-$HOME/.cache/greenpulse}"
influx_version=1.8.10

if ! command -v mosquitto >/dev/null 2>&1 && [ ! -x /usr/sbin/mosquitto ] || ! command -v mosquitto_pub >/dev/null 2>&1; then
  echo "installing mosquitto and mosquitto-clients (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq mosquitto mosquitto-clients >/dev/null
fi

if ! command -v go >/dev/null 2>&1; then
  echo "go is not installed: install Go 1.26 (https://go.dev/dl/) and run again" >&2
  exit 1
fi

influxd="$cache/bin/influxd"
if ! { [ -x "$influxd" ] && "$influxd" version 2>/dev/null | grep -q "v$influx_version"; }; then
  echo "building influxd $influx_version into $cache/bin (go install; about two minutes the first time)"
  mkdir -p "$cache/bin"
  # The version flag makes `influxd version` and the X-Influxdb-Version
  # header tell the truth; without it a go-installed influxd says "unknown".
  GOBIN="$cache/bin" GOFLAGS=-mod=mod go install -ldflags "-X main.version=$influx_version" \
    "github.com/influxdata/influxdb/cmd/influxd@v$influx_version"
fi
echo "mosquitto: $(command -v mosquitto || echo /usr/sbin/mosquitto); influxd: $influxd ($("$influxd" version))"
