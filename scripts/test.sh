#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian machine
# (Mosquitto, InfluxDB 1.8.10), checks formatting and vet, runs every test
# (integration tests start their own broker and database on free loopback
# ports) and gives each fuzz target a short run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt -l lists:"; echo "$unformatted"; exit 1
fi
echo "== go vet"
go vet ./...

echo "== go test"
go test -count=1 -timeout 20m ./...

echo "== fuzz (short runs; a counted budget avoids the runner's deadline race)"
fuzz() { go test -run '^$' -fuzz "^$2\$" -fuzztime "${FUZZ_EXECS:-20000x}" "$1"; }
fuzz ./collector/decode FuzzDecode
fuzz ./collector/decode FuzzDecodeStatus
fuzz ./collector/decode FuzzJSONScanAgreesWithEncodingJSON
fuzz ./registry FuzzParse
echo "all tests passed"
