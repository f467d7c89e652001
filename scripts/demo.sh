#!/usr/bin/env bash
# The main job: on a fresh machine, installs and starts the dev stack
# (Mosquitto, InfluxDB 1.8), runs the collector, and runs a simulated agent
# for every facility of the example registry (configs/facilities.csv), which
# first generates 30 days of history into its outbox and publishes it, then
# goes on live. One facility, BG-H-001, runs a real agent instead that reads
# its inverter and meters over Modbus TCP from `greenpulse-agent
# simulate-device`, the path a real installation takes. The mass
# gatherings of the collector config (events.list: Arba'een in Karbala and
# Najaf) are played by the simulators of their facilities, which also
# generate each event and the baseline weeks before it, so the Events view
# shows the last Arba'een against normal. Prints what InfluxDB holds and
# where to look. Everything keeps running; `scripts/demo.sh stop` stops it
# all.
#
#   scripts/demo.sh                 all 241 facilities, 30 days of history
#   DEMO_FACILITIES=20 DEMO_HISTORY=7d scripts/demo.sh   a smaller demo
#
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
state="$root/.devstack"
http=127.0.0.1:8080
fleet_http=127.0.0.1:8082
agent_http=127.0.0.1:8081
backfill_http=127.0.0.1:8083
modbus_listen=127.0.0.1:1502
real=BG-H-001 # the facility whose agent reads its devices over Modbus
agent_password=${DEMO_AGENT_PASSWORD:-waste-demo}
# The dashboard's demo users share one password (a demo's, printed at the
# end like the agent page's); a real collector's users each choose theirs.
dashboard_password=${DEMO_DASHBOARD_PASSWORD:-greenpulse-demo}
facilities=${DEMO_FACILITIES:-0}
history=${DEMO_HISTORY:-30d}

# stop_proc NAME: stops the process of $state/NAME.pid with SIGTERM.
stop_proc() {
  local pidfile="$state/$1.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    kill -TERM "$(cat "$pidfile")"
    for _ in $(seq 1 150); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
    echo "$1 stopped"
  fi
  rm -f "$pidfile"
}

if [ "${1:-}" = "stop" ]; then
  stop_proc agent
  stop_proc device
  stop_proc backfill
  stop_proc fleet
  stop_proc collector
  scripts/devstack.sh stop
  exit 0
fi

scripts/devstack.sh start
mkdir -p "$state" bin
go build -o bin/greenpulse-collector ./cmd/greenpulse-collector
go build -o bin/greenpulse-agent ./cmd/greenpulse-agent
# The demo's collector config is the shipped one with three changes: the
# registry by its full path (the state files and users.json land in
# $state beside it), the windowed alert rules every 20 s instead of every
# 5 min, so that the alerts of the history show before the demo ends, and
# public access, so that the dashboard shows national and governorate
# figures before anyone signs in.
collector_cfg="$state/collector.yaml"
sed -e "s|^registry: facilities.csv|registry: $root/configs/facilities.csv|" \
  -e 's|^  windowed_schedule: .*|  windowed_schedule: "@every 20s"|' \
  -e 's|^  mode: users$|  mode: public|' configs/collector.yaml >"$collector_cfg"
rm -f "$state/users.json"
for user in planner:planner: baghdad:officer:IQ-BG bg-h-001:facility:BG-H-001 admin:admin:; do
  IFS=: read -r name role scope <<<"$user"
  printf '%s\n' "$dashboard_password" | bin/greenpulse-collector user add "$name" --role "$role" ${scope:+--scope "$scope"} \
    --password-stdin --config "$collector_cfg" >/dev/null
done
# The demo's own reads of the API (DHIS2 export, alerts) use an admin token
# made for this run, kept in a 0600 file and never printed.
(umask 077 && head -c 24 /dev/urandom | base64 | tr -d '/+=\n' >"$state/admin.token")
admin_token=$(cat "$state/admin.token")
bin/greenpulse-collector check-config --config "$collector_cfg"

stop_proc agent
stop_proc device
stop_proc backfill
stop_proc fleet
stop_proc collector
GREENPULSE_ADMIN_TOKEN="$admin_token" bin/greenpulse-collector serve --config "$collector_cfg" >"$state/collector.log" 2>&1 &
echo $! >"$state/collector.pid"
for _ in $(seq 1 100); do
  curl -fsS "http://$http/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://$http/readyz" >/dev/null || { echo "collector not ready; log:"; tail -20 "$state/collector.log"; exit 1; }
echo "collector ready on http://$http (log: $state/collector.log)"

# One real agent beside the simulated fleet, for Baghdad Teaching Hospital:
# it reads a SunSpec inverter (unit 1), the grid's SDM630 meter (unit 2) and
# the generator's Deep Sea controller (unit 3) over Modbus TCP from the device simulator, which
# serves the simulator model's values of the moment; the simulator itself
# gives it only the waste hand-overs. It also serves the waste entry page a
# facility manager would open on the LAN.
bin/greenpulse-agent simulate-device --listen "$modbus_listen" --facility "$real" \
  --registry configs/facilities.csv --seed 1 >"$state/device.log" 2>&1 &
echo $! >"$state/device.pid"
for _ in $(seq 1 50); do grep -q "simulating devices" "$state/device.log" && break; sleep 0.1; done
grep -q "simulating devices" "$state/device.log" || { echo "device simulator not ready; log:"; tail -20 "$state/device.log"; exit 1; }
echo "Modbus device simulator of $real on tcp://$modbus_listen (log: $state/device.log)"
cat >"$state/agent.yaml" <<YAML
facility: $real
http:
  listen: $agent_http
mqtt:
  broker: tcp://127.0.0.1:1883
outbox:
  dir: $state/agent-outbox
sources:
  simulate:
    enabled: true
    streams: [waste] # the meters come over Modbus
    interval: 1m
    seed: 1
    registry: $root/configs/facilities.csv
  manual:
    enabled: true
  modbus:
    buses:
      - url: tcp://$modbus_listen
        timeout: 2s
        pause: 20ms
        devices:
          - {name: inverter, unit: 1, preset: sunspec, stream: solar, inverter: main, interval: 10s}
          - {name: grid, unit: 2, preset: sdm630, stream: energy, meter: main, source: grid, interval: 10s}
          - {name: generator, unit: 3, preset: gencomm, stream: energy, meter: gen1, source: generator, tank_litres: 1000, interval: 10s}
YAML
bin/greenpulse-agent check-config --config "$state/agent.yaml" >/dev/null
GREENPULSE_AGENT_PASSWORD="$agent_password" bin/greenpulse-agent run --config "$state/agent.yaml" >"$state/agent.log" 2>&1 &
echo $! >"$state/agent.pid"

# The fleet simulates every other facility; $real's history (the days
# before its "installation") comes from a fleet run of that facility alone
# with the same seed, so the counters read over Modbus continue it. Its
# only live tick is at 00:00 UTC (--interval 24h), a point of the history
# again; it is stopped once its history is published. The fleet plays the
# collector's events (--events) and, at each event's facilities, also
# generates the event with its baseline weeks (--event-history): a few
# hundred facility-days more, not months for every facility.
awk -F, -v id="$real" '$1 != id' configs/facilities.csv >"$state/fleet-facilities.csv"
awk -F, -v id="$real" 'NR == 1 || $1 == id' configs/facilities.csv >"$state/backfill-facilities.csv"
bin/greenpulse-agent fleet --registry "$state/fleet-facilities.csv" --facilities "$facilities" \
  --history "$history" --dir "$state/fleet" --listen "$fleet_http" \
  --events "$collector_cfg" --event-history >"$state/fleet.log" 2>&1 &
echo $! >"$state/fleet.pid"
bin/greenpulse-agent fleet --registry "$state/backfill-facilities.csv" --history "$history" --interval 24h \
  --dir "$state/backfill" --listen "$backfill_http" >"$state/backfill.log" 2>&1 &
echo $! >"$state/backfill.pid"

metric() { curl -fsS "http://$1/metrics" 2>/dev/null | awk -v m="$2" '$1 == m { printf "%d", $2 }'; }
echo "simulated agents generating ${history} of history and publishing it (log: $state/fleet.log)"
# History is done when the fleet logs it; the backlog is sent when every
# outbox is empty. Poll both, showing progress.
for i in $(seq 1 1200); do
  sleep 1
  kill -0 "$(cat "$state/fleet.pid")" 2>/dev/null || { echo "fleet stopped; log:"; tail -20 "$state/fleet.log"; exit 1; }
  kill -0 "$(cat "$state/agent.pid")" 2>/dev/null || { echo "agent of $real stopped; log:"; tail -20 "$state/agent.log"; exit 1; }
  if [ -f "$state/backfill.pid" ] && ! kill -0 "$(cat "$state/backfill.pid")" 2>/dev/null; then
    echo "history of $real stopped; log:"; tail -20 "$state/backfill.log"; exit 1
  fi
  if [ -f "$state/backfill.pid" ] && grep -q "history generated" "$state/backfill.log" &&
    [ "$(metric "$backfill_http" greenpulse_agent_outbox_readings)" = "0" ]; then
    stop_proc backfill >/dev/null
  fi
  pending=$(metric "$fleet_http" greenpulse_agent_outbox_readings)
  stored=$(metric "$http" greenpulse_collector_points_written_total)
  if grep -q "history generated" "$state/fleet.log" && [ "${pending:-1}" = "0" ] && [ ! -f "$state/backfill.pid" ]; then
    printf '\rhistory published: %s points stored                          \n' "${stored:-?}"
    break
  fi
  printf '\r%4ds: %s readings waiting in outboxes, %s points stored   ' "$i" "${pending:-?}" "${stored:-?}"
done

days=${history%d}
[[ $days =~ ^[0-9]+$ ]] || days=1 # a history such as 12h: roll up from yesterday
first_day=$(date -u -d "@$(( $(date +%s) + 10800 - 86400 * days ))" +%F)
tomorrow=$(date -u -d "@$(( $(date +%s) + 10800 + 86400 ))" +%F)
today=$(date -u -d "@$(( $(date +%s) + 10800 ))" +%F)

# The events' windows (each event's baseline weeks and days), as the fleet
# logged them; events not yet begun are left out. They are rolled up in the
# background while the rest runs, by the running collector
# (POST /api/v1/rollup, in spans of at most 60 days), so that its surge
# answers know of them; the summary further down waits for them and shows
# the latest event begun.
latest_event="" latest_first="" windows=()
while read -r ev ev_first ev_last ev_weeks; do
  [ -n "$ev" ] || continue
  [[ "$ev_first" > "$today" ]] && continue
  ev_from=$(date -u -d "$ev_first - $(( 7 * ev_weeks )) days" +%F)
  ev_to=$(date -u -d "$ev_last + 1 day" +%F)
  [[ "$ev_to" > "$tomorrow" ]] && ev_to=$tomorrow
  windows+=("$ev $ev_from $ev_to")
  if [[ "$ev_first" > "$latest_first" ]]; then latest_event=$ev latest_first=$ev_first; fi
done < <(awk '/msg="event history"/ {
    delete v; for (i = 1; i <= NF; i++) { n = index($i, "="); if (n) v[substr($i, 1, n - 1)] = substr($i, n + 1) }
    print v["event"], v["first_day"], v["last_day"], v["baseline_weeks"] }' "$state/fleet.log")
rm -f "$state/event-rollup.log"
if [ ${#windows[@]} -gt 0 ]; then
  for w in "${windows[@]}"; do
    read -r ev ev_first_from ev_to <<<"$w"
    ev_from=$ev_first_from started=$(date +%s)
    while [[ "$ev_from" < "$ev_to" ]]; do
      span_to=$(date -u -d "$ev_from + 60 days" +%F)
      [[ "$span_to" > "$ev_to" ]] && span_to=$ev_to
      curl -fsS --max-time 900 -X POST -H "Authorization: Bearer $admin_token" \
        "http://$http/api/v1/rollup?from=$ev_from&to=$span_to" -o /dev/null || echo "$ev: roll-up of $ev_from to $span_to failed"
      ev_from=$span_to
    done
    echo "$ev: $ev_first_from to $ev_to in $(( $(date +%s) - started )) s"
  done >"$state/event-rollup.log" 2>&1 &
  event_rollup_pid=$!
fi

q() { curl -fsS -G -H "Accept: application/csv" "http://127.0.0.1:8086/query" --data-urlencode "db=greenpulse" --data-urlencode "q=$1"; }
# rows: prints CSV rows as "local date  tags  value" (Baghdad is UTC+3 all year).
rows() {
  tail -n +2 | while IFS=, read -r _ tags ns value; do
    day=$([ "$ns" = 0 ] && echo "" || date -u -d "@$(( ns / 1000000000 + 10800 ))" +%F)
    printf '  %-10s %-26s %12.1f\n' "$day" "$tags" "$value"
  done
}
site=$(sed -n 2p configs/facilities.csv | cut -d, -f1,2)
id=${site%%,*}
echo
echo "== points stored per measurement"
for mf in energy:kwh_total solar:kwh_total waste:mass_kg; do
  printf '  %-7s %s\n' "${mf%%:*}" "$(q "SELECT count(${mf#*:}) FROM ${mf%%:*}" | tail -1 | cut -d, -f4)"
done
echo
echo "== ${site/,/ (}), last 7 days: PV yield and energy by source, kWh per day"
q "SELECT spread(kwh_total) FROM solar WHERE facility='$id' AND time > now() - 7d GROUP BY time(1d, -3h) fill(none)" | rows | sed 's/^  \(.\{10\}\) \{27\}/  \1 solar                      /'
q "SELECT spread(kwh_total) FROM energy WHERE facility='$id' AND time > now() - 7d GROUP BY time(1d, -3h), source fill(none)" | rows
echo
echo "== $real read over Modbus by its agent, last 5 minutes (greenpulse-agent simulate-device)"
q "SELECT last(kwh_total), last(power_w) FROM solar WHERE facility='$real' AND time > now() - 5m" | tail -n +2 |
  awk -F, '{ printf "  solar inverter main          %12.1f kWh %10.0f W\n", $4, $5 }'
q "SELECT last(kwh_total), last(power_w), last(available) FROM energy WHERE facility='$real' AND time > now() - 5m GROUP BY source" | tail -n +2 |
  awk -F, '{ printf "  energy %-22s %12.1f kWh %10.0f W  available %s\n", $2, $4, $5, $6 }'
curl -fsS "http://$agent_http/metrics" 2>/dev/null | awk '$1 ~ /^greenpulse_agent_modbus_polls_total/ { printf "  %s %d\n", $1, $2 }' || true
echo
echo "== waste over the history, all facilities, kg by category"
q "SELECT sum(mass_kg) FROM waste GROUP BY category" | rows
echo
echo "== facilities that burned hazardous waste in the open (hand-overs)"
q "SELECT count(mass_kg) FROM waste WHERE treatment='open_burning' GROUP BY facility" | rows | sed -n '1,15p'

# Indicators: the collector rolls up today and the last 3 days on its own
# schedule; the history before that is rolled up here by hand.
echo
echo "== rolling up indicators from $first_day (greenpulse-collector rollup)"
bin/greenpulse-collector rollup --config "$collector_cfg" --from "$first_day" --to "$tomorrow" 2>/dev/null | tail -1
rolled_up=$(date +%s)
month=$(date -u -d "@$(( $(date +%s) + 10800 ))" +%Y-%m-01)
api() { curl -fsS "http://$http/api/v1/indicators?$1"; }
echo
echo "== national indicators this month (GET /api/v1/indicators?level=national&period=month&format=csv)"
api "level=national&period=month&from=$month&to=$tomorrow&format=csv" | cut -d, -f1,6,7 | column -t -s, 2>/dev/null || true
echo
echo "== renewable share by governorate this month, %"
api "indicator=renewable_share_pct&level=governorate&period=month&from=$month&to=$tomorrow&format=csv" |
  tail -n +2 | cut -d, -f3,6 | sort -t, -k2 -rn | awk -F, '{ printf "  %-6s %6.1f\n", $1, $2 }'
echo
period=$(date -u -d "$month -1 day" +%Y%m) # the month a push on the 5th sends
echo "== what a DHIS2 push of last month would send (GET /api/v1/export/dhis2?period=$period)"
curl -fsS -o /dev/null -D - -H "Authorization: Bearer $admin_token" "http://$http/api/v1/export/dhis2?period=$period" |
  awk -F': ' 'tolower($1) == "x-greenpulse-values" { v = $2 } tolower($1) == "x-greenpulse-unmapped-facilities" { u = $2 }
    END { gsub(/\r/, "", v); gsub(/\r/, "", u); printf "  %s data values; %s facilities without a DHIS2 org unit\n", v, u }' || true
echo
# The windowed rules (grid availability, solar against peers, …) read the
# rolled-up days: wait for their first run after the roll-up.
for _ in $(seq 1 60); do
  swept=$(curl -fsS "http://$http/metrics" | awk '$1 == "greenpulse_collector_alerts_sweep_last_success_timestamp_seconds" { printf "%d", $2 }')
  [ "${swept:-0}" -gt "$rolled_up" ] && break
  sleep 1
done
echo "== facility alerts raised from the history (GET /api/v1/alerts?state=active&format=csv)"
curl -fsS -H "Authorization: Bearer $admin_token" "http://$http/api/v1/alerts?state=active&format=csv" |
  awk -F, 'NR > 1 { n[$2 " (" $6 ")"]++ } END { for (r in n) printf "  %-32s %4d %s\n", r, n[r], n[r] == 1 ? "facility" : "facilities" }' | sort || true
echo
if [ -n "${event_rollup_pid:-}" ]; then
  wait "$event_rollup_pid" || true
  echo "== the events and their baselines rolled up (POST /api/v1/rollup)"
  sed 's/^/  /' "$state/event-rollup.log"
  echo
fi
if [ -n "$latest_event" ]; then
  # The surge API (GET /api/v1/surge?event=ID): the event's days against
  # the same weekdays of its baseline weeks, summed over its facilities.
  # The roll-up made its cached answer stale; a request starts computing
  # it again, and answers the old one meanwhile: wait for the new one.
  events_rolled=$(date -u +%Y-%m-%dT%H:%M:%S)
  surge_ok=""
  for _ in $(seq 1 90); do
    curl -fsS --max-time 60 -H "Authorization: Bearer $admin_token" "http://$http/api/v1/surge?event=$latest_event" \
      -o "$state/surge.json" 2>/dev/null || break
    computed=$(grep -o '"computed_at": *"[^"]*"' "$state/surge.json" | sed 's/.*"\([^"]*\)"$/\1/')
    if [[ "$computed" > "$events_rolled" ]]; then surge_ok=1; break; fi
    sleep 1
  done
  if [ -n "$surge_ok" ] && command -v python3 >/dev/null; then
    python3 - "$state/surge.json" <<'PY' || echo "  (could not read GET /api/v1/surge?event=$latest_event)"
import json, sys

d = json.load(open(sys.argv[1]))
ev, base = d["event"], d["baseline"]


def num(v, unit=""):
    return "-" if v is None else f"{v:,.1f}{unit}"


def ratio(v):
    return "-" if v is None else f"x{v:.2f}"


print(f"== {ev['name']}: waste at the event's facilities against the baseline")
print(f"  {ev['facilities']} facilities in {', '.join(ev['areas'])}, {ev['first_day']} to {ev['last_day']};"
      f" baseline: the same weekday over the {base['weeks']} weeks {base['from']} to {base['to']}")
area = next(a for a in d["areas"] if a["level"] == "event")
print(f"  {'day':<10} {'waste kg':>10} {'baseline':>10} {'ratio':>7}")
for day in area["days"]:
    v = day["values"].get("waste_kg") or {}
    print(f"  {day['day']:<10} {num(v.get('value')):>10} {num(v.get('baseline')):>10} {ratio(v.get('ratio')):>7}")
print("  over the event:")
for m in d["measures"]:
    v = area["total"].get(m) or {}
    print(f"    {m:<24} {num(v.get('value')):>12} against {num(v.get('baseline')):>12}  {ratio(v.get('ratio'))}")
ex = d.get("exceeded") or []
print(f"  {len(ex)} facilities did not treat all their hazardous waste safely during the event"
      + (f": {', '.join(ex[:6])}{' ...' if len(ex) > 6 else ''}" if ex else ""))
prev = d.get("previous")
if prev:
    pv = (prev.get("total") or {}).get("waste_kg") or {}
    cur = area["total"].get("waste_kg") or {}
    print(f"  a year earlier ({prev['event']}): {num(pv.get('value'))} kg of waste over its days; this year {num(cur.get('value'))} kg")
PY
  else
    echo "== $latest_event: the surge API (GET /api/v1/surge?event=$latest_event) did not answer; see the Events view"
  fi
  echo
fi
echo "== a waste hand-over recorded at BG-H-001 through its agent (greenpulse-agent log-waste)"
GREENPULSE_AGENT_PASSWORD="$agent_password" bin/greenpulse-agent log-waste --config "$state/agent.yaml" \
  --category sharps --treatment autoclave --kg 12.5 --stored-hours 20 --note "demo: ward 3" || true
cat <<MSG

Everything keeps running: ${facilities/#0/all} simulated facilities publish live every minute, and
$real's agent reads its inverter and meters over Modbus every 10 s.
  collector metrics   http://$http/metrics    health: http://$http/readyz
  agents' metrics     http://$fleet_http/metrics
  indicators API      http://$http/api/v1/indicators?level=governorate&period=month   (catalog: /api/v1/catalog)
  DHIS2 export        http://$http/api/v1/export/dhis2?period=$period   (&format=csv; pushing it: docs/dhis2.md)
  facility alerts     http://$http/#/alerts   (API: /api/v1/alerts?state=active; routing them on: docs/alerts.md)
  mass gatherings     http://$http/#/events${latest_event:+/$latest_event}   (API: /api/v1/surge; the events: configs/collector.yaml events.list)
  InfluxDB            http://127.0.0.1:8086 (database greenpulse), e.g.
    curl -G http://127.0.0.1:8086/query --data-urlencode db=greenpulse --data-urlencode "q=SELECT * FROM solar WHERE facility='BG-H-001' ORDER BY time DESC LIMIT 5"
  Modbus devices      $real's inverter (unit 1), grid meter (2), generator controller (3) on tcp://$modbus_listen
                      (greenpulse-agent scan --bus tcp://$modbus_listen shows them)
  logs                $state/collector.log, $state/fleet.log, $state/device.log
Record a waste hand-over as a facility manager would: the agent of BG-H-001
  (log: $state/agent.log) serves its waste entry page at http://$agent_http/
  (password: $agent_password), or from a terminal:
  GREENPULSE_AGENT_PASSWORD=$agent_password bin/greenpulse-agent log-waste --config $state/agent.yaml --category sharps --treatment autoclave --kg 12.5
Stop everything: scripts/demo.sh stop

Dashboard (the $history of history by facility, district, governorate and nation; English and العربية):
  http://$http/   national and governorate figures without signing in (access.mode: public);
  sign in for the rest as planner, baghdad (officer of IQ-BG), bg-h-001 (its facility) or admin,
  password $dashboard_password (docs/access-control.md). The API for scripts:
  curl -H "Authorization: Bearer \$(cat $state/admin.token)" http://$http/api/v1/alerts
MSG
