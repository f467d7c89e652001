#!/usr/bin/env bash
# The dev stack on SPEC's defaults: Mosquitto on 127.0.0.1:1883 and InfluxDB
# 1.8.10 on 127.0.0.1:8086, configured from configs/, with their data, logs
# and pid files in .devstack/.
#
#   scripts/devstack.sh start    install what is missing, start, create databases
#   scripts/devstack.sh status   what runs where
#   scripts/devstack.sh stop     stop what start started
#
# A broker that already listens on 1883 is reused (and left alone by stop).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state="$root/.devstack"
cache="${GREENPULSE_CACHE:-$HOME/.cache/greenpulse}"
mosquitto_bin=$(command -v mosquitto || echo /usr/sbin/mosquitto)
influxd_bin="$cache/bin/influxd"

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }

wait_for() { # name, check command
  for _ in $(seq 1 150); do
    if eval "$2" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "$1 did not come up; its log:" >&2
  tail -20 "$state/$1.log" >&2 || true
  return 1
}

start_mosquitto() {
  if running mosquitto; then echo "mosquitto: running (pid $(cat "$state/mosquitto.pid"))"; return; fi
  if listening 1883; then
    echo "mosquitto: something already listens on 127.0.0.1:1883; reusing it"
    touch "$state/mosquitto.reused"
    return
  fi
  rm -f "$state/mosquitto.reused"
  mkdir -p "$state/mosquitto"
  sed -e "s|^persistence_location .*|persistence_location $state/mosquitto/|" \
      -e "s|^log_dest stderr|log_dest file $state/mosquitto.log|" \
      configs/mosquitto/mosquitto.conf >"$state/mosquitto.conf"
  # Run as the current user: started as root, Mosquitto switches to user
  # mosquitto, which cannot write to .devstack/.
  echo "user $(id -un)" >>"$state/mosquitto.conf"
  nohup "$mosquitto_bin" -c "$state/mosquitto.conf" >>"$state/mosquitto.log" 2>&1 &
  echo $! >"$state/mosquitto.pid"
  wait_for mosquitto "listening 1883"
  echo "mosquitto: started on tcp://127.0.0.1:1883 (pid $(cat "$state/mosquitto.pid"))"
}

start_influxdb() {
  if running influxdb; then echo "influxdb: running (pid $(cat "$state/influxdb.pid"))"; return; fi
  if listening 8086; then
    echo "influxdb: port 8086 is taken by another process; stop it or change configs/influxdb/influxdb.conf" >&2
    exit 1
  fi
  mkdir -p "$state/influxdb"
  sed "s|@DATA@|$state/influxdb|g" configs/influxdb/influxdb.conf >"$state/influxdb.conf"
  nohup "$influxd_bin" -config "$state/influxdb.conf" >>"$state/influxdb.log" 2>&1 &
  echo $! >"$state/influxdb.pid"
  wait_for influxdb "curl -fsS -o /dev/null http://127.0.0.1:8086/ping"
  for db in greenpulse greenpulse_indicators; do
    curl -fsS -o /dev/null -XPOST http://127.0.0.1:8086/query --data-urlencode "q=CREATE DATABASE \"$db\""
  done
  echo "influxdb: started on http://127.0.0.1:8086 (pid $(cat "$state/influxdb.pid")), databases greenpulse and greenpulse_indicators"
}

stop_one() {
  if running "$1"; then
    local pid; pid=$(cat "$state/$1.pid")
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    echo "$1: stopped"
  fi
  rm -f "$state/$1.pid"
}

status() {
  if running mosquitto; then echo "mosquitto: up on tcp://127.0.0.1:1883 (pid $(cat "$state/mosquitto.pid"))"
  elif [ -f "$state/mosquitto.reused" ] && listening 1883; then echo "mosquitto: up on tcp://127.0.0.1:1883 (not started by devstack)"
  else echo "mosquitto: down"; fi
  if running influxdb; then echo "influxdb: up on http://127.0.0.1:8086 (pid $(cat "$state/influxdb.pid"))"
  else echo "influxdb: down"; fi
}

case "${1:-}" in
  start)
    scripts/install-deps.sh
    mkdir -p "$state"
    start_mosquitto
    start_influxdb
    ;;
  stop)
    stop_one influxdb
    stop_one mosquitto
    rm -f "$state/mosquitto.reused"
    ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
