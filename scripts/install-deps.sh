#!/usr/bin/env bash
# Installs what GreenPulse's tests, benchmark and dev stack need, when it is
# missing, on a Debian machine as root:
#   - mosquitto and mosquitto-clients (and curl, which devstack.sh uses) with
#     apt-get, without starting Debian's mosquitto service;
#   - chromium and fonts-dejavu-core (its Arabic glyphs) for the dashboard's
#     browser tests, render benchmark and screenshots;
#   - python3-pymodbus (3.0 on Debian 12) with python3-serial-asyncio, which
#     its server needs but Debian only recommends, and socat, for the Modbus
#     tests against a peer we did not write (internal/pymodbustest runs them
#     with /usr/bin/python3, not the python3 first on PATH);
#   - influxd 1.8.10, built with `go install` into
#     ${GREENPULSE_CACHE:-$HOME/.cache/greenpulse}/bin (a few minutes the
#     first time);
#   - Prometheus's promtool (v0.316.0, `go install`, the same cache; about
#     3 minutes the first time), which tests configs/prometheus's alerting
#     rules;
#   - Alertmanager v0.35.0 (the same cache; a few minutes the first time),
#     which internal/alertmanagertest starts for the tests of
#     collector/alerts/alertmanager. `go install ...@v0.35.0` cannot build
#     it: its web UI is embedded from ui/app/dist, which is built with npm
#     and not in the module, so this script builds the module's
#     cmd/alertmanager from a copy of the module with a placeholder page
#     there (the API is whole; only the browser UI is missing), stamped
#     with its version as the release build is;
#   - nfpm v2.48.0 (`go install`, the same cache; about a minute the first
#     time), which scripts/package.sh builds the .deb packages with and
#     internal/e2e's package test runs;
#   - nats-server v2.15.3 (`go install`, the same cache; about two minutes
#     the first time), which the cluster tests start as a 3-node MQTT
#     cluster (collector/cluster_integration_test.go, scripts/cluster-test.sh).
# Starts nothing. Safe to run again: when all is present it only prints
# where influxd is.
set -euo pipefail

# shellcheck source=scripts/go-tools.sh
. "$(dirname "$0")/go-tools.sh"
influx_version=1.8.10
influxd="$cache/bin/influxd"
promtool_version=v0.316.0
promtool="$cache/bin/promtool"
alertmanager_version=v0.35.0
alertmanager="$cache/bin/alertmanager"

packages=()
command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || packages+=(mosquitto)
command -v mosquitto_pub >/dev/null 2>&1 || packages+=(mosquitto-clients)
command -v curl >/dev/null 2>&1 || packages+=(curl)
[ -x /usr/bin/chromium ] || packages+=(chromium)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages+=(fonts-dejavu-core)
pydist=/usr/lib/python3/dist-packages
[ -x /usr/bin/python3 ] && [ -e "$pydist/pymodbus/__init__.py" ] || packages+=(python3-pymodbus)
[ -x /usr/bin/python3 ] && [ -e "$pydist/serial_asyncio/__init__.py" ] || packages+=(python3-serial-asyncio)
command -v socat >/dev/null 2>&1 || [ -x /usr/bin/socat ] || packages+=(socat)

if [ "${#packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing ${packages[*]}; run as root, or: sudo apt-get install ${packages[*]}" >&2
    exit 1
  fi
  echo "install-deps: installing ${packages[*]} (apt-get)"
  # Debian starts mosquitto.service on 1883 when the package is installed;
  # tests and the dev stack start their own brokers, so forbid service
  # starts during the install (policy-rc.d exit 101), unless the machine
  # already has a policy of its own.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Chromium takes its recommended packages (fonts, its sandbox helper),
  # which the headless browser tests were run with; the rest takes none.
  with_recommends=() without=()
  for p in "${packages[@]}"; do
    case "$p" in chromium) with_recommends+=("$p") ;; *) without+=("$p") ;; esac
  done
  if [ "${#without[@]}" -gt 0 ]; then
    apt-get install -y -qq --no-install-recommends "${without[@]}" >/dev/null
  fi
  if [ "${#with_recommends[@]}" -gt 0 ]; then
    apt-get install -y -qq "${with_recommends[@]}" >/dev/null
  fi
fi

installed_version() { "$influxd" version 2>/dev/null || true; }
case "$( [ -x "$influxd" ] && installed_version)" in
  *"v$influx_version "*) ;;
  *)
    if ! command -v go >/dev/null 2>&1; then
      echo "install-deps: go is not installed: install Go 1.26 (https://go.dev/dl/) and run again" >&2
      exit 1
    fi
    echo "install-deps: building influxd $influx_version into $cache/bin (go install; a few minutes the first time)"
    mkdir -p "$cache/bin"
    # -X main.version makes `influxd version` and the X-Influxdb-Version
    # header say 1.8.10 (a go-installed influxd says "unknown" otherwise),
    # which is also how this script knows the build is already there.
    GOBIN="$cache/bin" go install -ldflags "-X main.version=$influx_version" \
      "github.com/influxdata/influxdb/cmd/influxd@v$influx_version"
    case "$(installed_version)" in
      *"v$influx_version "*) ;;
      *) echo "install-deps: $influxd does not report version $influx_version after the build" >&2; exit 1 ;;
    esac
    ;;
esac
echo "influxd $influx_version: $influxd"

go_install_pinned promtool "$promtool" github.com/prometheus/prometheus/cmd/promtool "$promtool_version" "a few minutes the first time"
echo "promtool $promtool_version: $promtool"

# Alertmanager's version is stamped with -X as upstream's release build does
# it (a build from a copied module says "(devel)" to go version -m), so
# --version tells whether this one is the pinned build.
alertmanager_built() { "$alertmanager" --version 2>/dev/null | awk 'NR == 1 { print "v" $3 }'; }
if [ "$( [ -x "$alertmanager" ] && alertmanager_built)" != "$alertmanager_version" ]; then
  echo "install-deps: building alertmanager $alertmanager_version into $cache/bin (go build; a few minutes the first time)"
  mkdir -p "$cache/bin"
  module=github.com/prometheus/alertmanager
  work="$(mktemp -d)"
  (
    trap 'rm -rf "$work"' EXIT
    # Outside any module, so that no go.mod or go.sum is touched.
    src="$(cd "$work" && GOWORK=off GOFLAGS= go mod download -json "$module@$alertmanager_version" |
      awk -F'"' '$2 == "Dir" { print $4 }')"
    if [ -z "$src" ] || [ ! -d "$src" ]; then
      echo "install-deps: go mod download $module@$alertmanager_version did not give a source folder" >&2
      exit 1
    fi
    cp -R "$src/." "$work/src"
    chmod -R u+w "$work/src"
    # The UI that ui/web.go embeds is an npm build that the module lacks.
    for ui in elm mantine; do
      mkdir -p "$work/src/ui/app/dist/$ui"
      printf '<!doctype html><title>Alertmanager</title><p>Built without its web UI; the API is at /api/v2/.\n' \
        >"$work/src/ui/app/dist/$ui/index.html"
    done
    ver="${alertmanager_version#v}"
    cd "$work/src"
    GOWORK=off GOFLAGS=-mod=readonly go build -trimpath -tags netgo \
      -ldflags "-X github.com/prometheus/common/version.Version=$ver -X github.com/prometheus/common/version.Revision=$alertmanager_version -X github.com/prometheus/common/version.Branch=HEAD" \
      -o "$alertmanager.tmp" ./cmd/alertmanager
  )
  mv "$alertmanager.tmp" "$alertmanager"
  if [ "$(alertmanager_built)" != "$alertmanager_version" ]; then
    echo "install-deps: $alertmanager is not alertmanager $alertmanager_version after the build" >&2
    exit 1
  fi
fi
echo "alertmanager $alertmanager_version: $alertmanager"

go_install_pinned nfpm "$nfpm" github.com/goreleaser/nfpm/v2/cmd/nfpm "$nfpm_version" "about a minute the first time"
echo "nfpm $nfpm_version: $nfpm"

nats_version=v2.15.3
nats_server="$cache/bin/nats-server"
go_install_pinned nats-server "$nats_server" github.com/nats-io/nats-server/v2 "$nats_version" "about two minutes the first time"
echo "nats-server $nats_version: $nats_server"
