#!/usr/bin/env bash
# Agent benchmark: builds the agent as it ships (static, stripped) for amd64,
# arm64 and armv7 and prints their sizes, then starts its own Mosquitto and
# prints the agent's memory and CPU at steady state (one facility, 10 s
# interval) and how fast it drains a week-offline outbox. Extra flags go to
# `greenpulse-bench agent` (e.g. --steady 20s for a quick run).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh >/dev/null
mkdir -p bin
build() { CGO_ENABLED=0 GOOS=linux GOARCH="$1" GOARM="${2:-}" go build -trimpath -ldflags "-s -w" -o "$3" ./cmd/greenpulse-agent; }
build amd64 "" bin/greenpulse-agent
build arm64 "" bin/greenpulse-agent-linux-arm64
build arm 7 bin/greenpulse-agent-linux-armv7
for b in bin/greenpulse-agent bin/greenpulse-agent-linux-arm64 bin/greenpulse-agent-linux-armv7; do
  awk -v f="$b" -v s="$(stat -c %s "$b")" 'BEGIN { printf "%-36s %6.1f MB\n", f, s / 1e6 }'
done
go build -o bin/greenpulse-bench ./cmd/greenpulse-bench
exec bin/greenpulse-bench agent --agent bin/greenpulse-agent "$@"
