#!/usr/bin/env bash
# The cluster fault test on its own: installs what it needs (nats-server
# v2.15.3 and influxd 1.8.10, built into the cache by install-deps.sh),
# then starts a 3-node NATS cluster with configs/nats' settings, InfluxDB,
# three collectors sharing the facilities by partition and twelve agents
# spread over the nodes; kills one node and one collector with SIGKILL
# mid-stream, restarts both, and counts every acknowledged reading in
# InfluxDB. It ends with the line "lost: N of M readings". Extra flags go
# to go test (e.g. -count=3).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
# CI=true makes a missing nats-server or influxd a failure, not a skip.
CI=true go test -count=1 -v -timeout 10m \
  -run '^(TestClusterSurvivesANodeAndACollectorKilled|TestNATSMappingAgreesWithPartitionOf|TestShippedNATSConfigsAreValid)$' \
  "$@" ./collector/ >"$log" 2>&1 || status=$?
# The verdicts and the test's own lines, without the agents' reconnect logs.
grep -E '^(=== RUN|--- |PASS|FAIL|ok )|^\s+[a-z_]+_test\.go:[0-9]+: ' "$log" | grep -v 'teststack.go' || true
lost="$(grep -E '^lost: [0-9]+ of [0-9]+ readings$' "$log" | tail -n 1 || true)"
if [ -z "$lost" ]; then
  echo "lost: unknown (the test failed before it counted; see above)"
  exit 1
fi
echo "$lost"
exit "$status"
