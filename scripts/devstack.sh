#!/usr/bin/env bash
# The dev stack on SPEC's defaults: Mosquitto on 127.0.0.1:1883 and InfluxDB
# 1.8.10 on 127.0.0.1:8086 (databases greenpulse and greenpulse_indicators),
# configured from configs/mosquitto/ and configs/influxdb/, with rendered
# configs, data, logs and pid files in .devstack/.
#
#   scripts/devstack.sh start    install what is missing, start, create databases
#   scripts/devstack.sh status   what runs where
#   scripts/devstack.sh stop     stop what start started
#
# A broker that already listens on 1883 is reused, and left alone by stop.
# Set GREENPULSE_MOSQUITTO or GREENPULSE_INFLUXD to use other binaries, and
# DEVSTACK_MQTT_PORT or DEVSTACK_INFLUX_PORT to move a service off its
# default port (when one is taken by something you cannot stop).
set -euo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
cd "$root"
state="$root/.devstack"
cache="${GREENPULSE_CACHE:-$HOME/.cache/greenpulse}"
mqtt_port=${DEVSTACK_MQTT_PORT:-1883}
influx_port=${DEVSTACK_INFLUX_PORT:-8086}

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# running NAME BINARY: the pid file names a live process of that binary (a
# stale pid file whose number was reused by something else does not count).
running() {
  local pid
  [ -f "$state/$1.pid" ] || return 1
  pid=$(cat "$state/$1.pid")
  [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$2"
}

influx_ping() { curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$influx_port/ping"; }
mqtt_up() { listening "$mqtt_port"; }

# wait_for NAME CHECK: polls CHECK for up to 30 s while NAME's process lives.
wait_for() {
  local _
  for _ in $(seq 1 150); do
    if "$2" 2>/dev/null; then return 0; fi
    if ! kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; then break; fi
    sleep 0.2
  done
  echo "$1 did not come up; end of $state/$1.log:" >&2
  tail -20 "$state/$1.log" >&2 || true
  return 1
}

# launch NAME CMD...: starts CMD in a session of its own (so a Ctrl-C in
# this terminal does not reach it), logging to .devstack/NAME.log.
launch() {
  local name=$1; shift
  setsid "$@" >>"$state/$name.log" 2>&1 </dev/null &
  echo $! >"$state/$name.pid"
}

start_mosquitto() {
  local bin=${GREENPULSE_MOSQUITTO:-$(command -v mosquitto || echo /usr/sbin/mosquitto)}
  if running mosquitto mosquitto; then
    echo "mosquitto: already running on tcp://127.0.0.1:$mqtt_port (pid $(cat "$state/mosquitto.pid"))"
    return
  fi
  rm -f "$state/mosquitto.pid"
  if mqtt_up; then
    echo "mosquitto: something already listens on 127.0.0.1:$mqtt_port; reusing it (stop will leave it alone)"
    echo "mosquitto: its limits are its own: with Mosquitto's defaults (max_queued_messages 1000) it drops" \
      "messages for a collector that falls behind; configs/mosquitto/mosquitto.conf has the settings to use"
    touch "$state/mosquitto.reused"
    return
  fi
  rm -f "$state/mosquitto.reused"
  mkdir -p "$state/mosquitto"
  sed -e "s|^listener 1883 |listener $mqtt_port |" \
      -e "s|^persistence_location .*|persistence_location $state/mosquitto/|" \
      -e "s|^log_dest stderr|log_dest file $state/mosquitto.log|" \
      -e "s,^\(#\?\(password_file\|acl_file\)\) configs/,\1 $root/configs/," \
      configs/mosquitto/mosquitto.conf >"$state/mosquitto.conf"
  # Started as root, Mosquitto switches to user mosquitto, which cannot
  # write to .devstack/; run it as whoever runs this script.
  echo "user $(id -un)" >>"$state/mosquitto.conf"
  launch mosquitto "$bin" -c "$state/mosquitto.conf"
  wait_for mosquitto mqtt_up
  echo "mosquitto: started on tcp://127.0.0.1:$mqtt_port (pid $(cat "$state/mosquitto.pid"), data $state/mosquitto/)"
}

start_influxdb() {
  local bin=${GREENPULSE_INFLUXD:-$cache/bin/influxd} db answer
  if running influxdb influxd; then
    echo "influxdb: already running on http://127.0.0.1:$influx_port (pid $(cat "$state/influxdb.pid"))"
  else
    rm -f "$state/influxdb.pid"
    if listening "$influx_port"; then
      echo "influxdb: 127.0.0.1:$influx_port is taken by another process; stop it first" >&2
      exit 1
    fi
    mkdir -p "$state/influxdb"
    sed -e "s|@DATA@|$state/influxdb|g" -e "s|127.0.0.1:8086|127.0.0.1:$influx_port|" \
      configs/influxdb/influxdb.conf >"$state/influxdb.conf"
    # influxd lets INFLUXDB_* variables override the config file.
    local unset=() name
    while IFS= read -r name; do unset+=(-u "$name"); done < <(compgen -e | grep '^INFLUXDB_' || true)
    launch influxdb env "${unset[@]}" "$bin" -config "$state/influxdb.conf"
    wait_for influxdb influx_ping
    echo "influxdb: started on http://127.0.0.1:$influx_port (pid $(cat "$state/influxdb.pid"), data $state/influxdb/)"
  fi
  for db in greenpulse greenpulse_indicators; do
    # A failed InfluxQL statement still answers HTTP 200, with an error inside.
    answer=$(curl -fsS -XPOST "http://127.0.0.1:$influx_port/query" --data-urlencode "q=CREATE DATABASE \"$db\"")
    case "$answer" in
      *'"error"'*) echo "influxdb: create database $db: $answer" >&2; exit 1 ;;
    esac
  done
  echo "influxdb: databases greenpulse and greenpulse_indicators are there"
}

# stop_one NAME BINARY: SIGTERM (Mosquitto saves its sessions, InfluxDB
# closes its shards), SIGKILL after 30 s.
stop_one() {
  local pid _
  if running "$1" "$2"; then
    pid=$(cat "$state/$1.pid")
    kill -TERM "$pid"
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$1: did not stop within 30 s; killing it" >&2
      kill -KILL "$pid"
    fi
    echo "$1: stopped"
  else
    echo "$1: not running (not started by devstack)"
  fi
  rm -f "$state/$1.pid"
}

status() {
  local mqtt="tcp://127.0.0.1:$mqtt_port" influx="http://127.0.0.1:$influx_port"
  if running mosquitto mosquitto && mqtt_up; then
    echo "mosquitto: up   $mqtt (pid $(cat "$state/mosquitto.pid"))"
  elif mqtt_up; then
    echo "mosquitto: up   $mqtt (not started by devstack)"
  else
    echo "mosquitto: down $mqtt"
  fi
  if running influxdb influxd && influx_ping; then
    echo "influxdb:  up   $influx (pid $(cat "$state/influxdb.pid"))"
  elif influx_ping; then
    echo "influxdb:  up   $influx (not started by devstack)"
  else
    echo "influxdb:  down $influx"
  fi
}

case "${1:-}" in
  start)
    scripts/install-deps.sh
    mkdir -p "$state"
    start_mosquitto
    start_influxdb
    ;;
  stop)
    mkdir -p "$state"
    stop_one influxdb influxd
    if [ -f "$state/mosquitto.reused" ]; then
      echo "mosquitto: left running (it was not started by devstack)"
      rm -f "$state/mosquitto.reused"
    else
      stop_one mosquitto mosquitto
    fi
    ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
