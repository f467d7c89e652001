#!/usr/bin/env bash
# The main job: brings up the dev stack (Mosquitto, InfluxDB 1.8), runs the
# collector against it, publishes sample readings of every stream (JSON and
# line protocol, one deliberately bad) and shows what was stored and what was
# rejected. The collector keeps running; `scripts/demo.sh stop` stops it all.
#
# The simulated facilities and the dashboard arrive with the agent (issue 3)
# and dashboard (issue 5) work; until then this shows the ingest path.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state="$root/.devstack"
pidfile="$state/collector.pid"
http=127.0.0.1:8080

stop_collector() {
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 1 100); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
    echo "collector stopped"
  fi
  rm -f "$pidfile"
}

if [ "${1:-}" = "stop" ]; then
  stop_collector
  scripts/devstack.sh stop
  exit 0
fi

scripts/devstack.sh start
mkdir -p "$state" bin
go build -o bin/greenpulse-collector ./cmd/greenpulse-collector
bin/greenpulse-collector check-config --config configs/collector.yaml

stop_collector
bin/greenpulse-collector serve --config configs/collector.yaml >"$state/collector.log" 2>&1 &
echo $! >"$pidfile"
for _ in $(seq 1 100); do
  curl -fsS "http://$http/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://$http/readyz" >/dev/null || { echo "collector not ready; log:"; tail -20 "$state/collector.log"; exit 1; }
echo "collector ready on http://$http (log: $state/collector.log)"

# Watch rejections while publishing.
mosquitto_sub -h 127.0.0.1 -p 1883 -t 'greenpulse/_rejected/#' -v -W 5 -C 1 >"$state/rejected.txt" 2>/dev/null &
watcher=$!
sleep 0.5

now_ms=$(( $(date +%s) * 1000 ))
ns=$(( $(date +%s) * 1000000000 ))
pub() { mosquitto_pub -h 127.0.0.1 -p 1883 -q 1 -t "greenpulse/$1/$2" -m "$3"; }
pub BG-H-001 energy "[{\"ts\":$now_ms,\"source\":\"grid\",\"kwh_total\":15230.5,\"available\":true},{\"ts\":$now_ms,\"source\":\"generator\",\"kwh_total\":8120,\"fuel_l_total\":2436}]"
pub BG-H-001 solar "{\"ts\":$now_ms,\"inverter\":\"roof\",\"kwh_total\":40210.2,\"power_w\":18500,\"battery_soc_pct\":82}"
pub BG-H-001 waste "{\"ts\":$now_ms,\"category\":\"sharps\",\"treatment\":\"autoclave\",\"mass_kg\":12.5,\"stored_hours\":20}"
pub BA-H-001 energy "energy,host=telegraf,source=grid kwh_total=99120i,available=false $ns"
pub BA-H-001 waste "waste,category=infectious,treatment=open_burning mass_kg=30,stored_hours=72 $ns"
pub BA-H-001 solar '{"kwh_total": -5}'
wait "$watcher" || true

q() { curl -fsS -G -H "Accept: application/csv" "http://127.0.0.1:8086/query" --data-urlencode "db=greenpulse" --data-urlencode "q=$1"; }
sleep 1
for m in energy solar waste; do
  echo
  echo "== $m points stored in InfluxDB (database greenpulse) in the last hour"
  q "SELECT * FROM $m WHERE time > now() - 1h" | cut -d, -f1,3- | column -t -s, 2>/dev/null || q "SELECT * FROM $m WHERE time > now() - 1h"
done
echo
echo "== rejected (greenpulse/_rejected/#)"
cat "$state/rejected.txt"
echo
echo "== collector metrics"
curl -fsS "http://$http/metrics" | grep -E '^greenpulse_collector_(readings|rejected|points_written)' | grep -v ' 0$'
cat <<MSG

The collector keeps running. Publish your own readings, e.g.
  mosquitto_pub -q 1 -t greenpulse/BG-H-001/solar -m '{"kwh_total": 40215}'
Metrics: http://$http/metrics   Health: http://$http/readyz
Stop everything: scripts/demo.sh stop
MSG
